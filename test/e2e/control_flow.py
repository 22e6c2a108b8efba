# RUN: %python %s | FileCheck %s
# If over a shape test, as exporters write it: each variant of a library
# compiled with --specialize takes its own branch, and both match
# onnxruntime. Scan, unrolled over its static sequence: two states, two scan
# inputs (one along axis 1, one read backwards), two scan outputs (one
# stacked along axis 1, one backwards), against onnxruntime at -O2 and -O0.
# CHECK: PASS batch 1 (else branch)
# CHECK: PASS batch 3 (then branch)
# CHECK: PASS scan
# CHECK: PASS scan
# CHECK: 4 of 4 checks passed
import numpy as np
from gcomp_testing import *

rng = np.random.default_rng(11)
then_branch = helper.make_graph(
    [helper.make_node("Mul", ["x", "x"], ["t"])], "then_g", [],
    [helper.make_tensor_value_info("t", TensorProto.FLOAT, ["batch", 4])])
else_branch = helper.make_graph(
    [helper.make_node("Sub", ["x", "c"], ["e"])], "else_g", [],
    [helper.make_tensor_value_info("e", TensorProto.FLOAT, ["batch", 4])],
    [numpy_helper.from_array(np.full([4], 0.5, np.float32), "c")])
model = make_model(
    [helper.make_node("Shape", ["x"], ["shape"]),
     helper.make_node("Gather", ["shape", "zero"], ["b"], axis=0),
     helper.make_node("Greater", ["b", "one"], ["big"]),
     helper.make_node("If", ["big"], ["y"], then_branch=then_branch,
                      else_branch=else_branch)],
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
    {"zero": np.array(0, np.int64), "one": np.array(1, np.int64)})

res = Results()
with tempfile.TemporaryDirectory() as d:
    _, so = compile_model(model, d, extra=["--specialize", "batch=1,3"])
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])

    def check(batch, label):
        x = rng.standard_normal((batch, 4)).astype(np.float32)
        np.save(os.path.join(d, "x.npy"), x)
        np.save(os.path.join(d, "y.npy"), sess.run(None, {"x": x})[0])
        r = run([GCOMP_RUN, so, "--input", f"x={d}/x.npy", "--expect",
                 f"y={d}/y.npy", "--rtol", str(RTOL), "--atol", str(ATOL)])
        if r.returncode != 0:
            raise AssertionError(r.stdout + r.stderr)
        print(f"PASS {label}")

    res.check("batch 1", check, 1, "batch 1 (else branch)")
    res.check("batch 3", check, 3, "batch 3 (then branch)")

# Scan: s = s * 0.5 + a_t; m = max(m, b_t); outputs s + b_t and m - a_t.
f = TensorProto.FLOAT
body = helper.make_graph(
    [helper.make_node("Mul", ["s_in", "half"], ["s_half"]),
     helper.make_node("Add", ["s_half", "a_t"], ["s_out"]),
     helper.make_node("Max", ["m_in", "b_t"], ["m_out"]),
     helper.make_node("Add", ["s_out", "b_t"], ["y_t"]),
     helper.make_node("Sub", ["m_out", "a_t"], ["z_t"])],
    "scan_body",
    [helper.make_tensor_value_info(n, f, [3]) for n in
     ("s_in", "m_in", "a_t", "b_t")],
    [helper.make_tensor_value_info(n, f, [3]) for n in
     ("s_out", "m_out", "y_t", "z_t")],
    [numpy_helper.from_array(np.full([3], 0.5, np.float32), "half")])
scan = make_model(
    [helper.make_node("Scan", ["s0", "m0", "a", "b"],
                      ["s", "m", "y", "z"], body=body, num_scan_inputs=2,
                      scan_input_axes=[0, 1], scan_input_directions=[0, 1],
                      scan_output_axes=[0, 1],
                      scan_output_directions=[0, 1])],
    [tensor_info("s0", [3]), tensor_info("m0", [3]),
     tensor_info("a", [5, 3]), tensor_info("b", [3, 5])],
    [tensor_info("s", [3]), tensor_info("m", [3]), tensor_info("y", [5, 3]),
     tensor_info("z", [3, 5])])
for flags in ((), ("-O0",)):
    res.check(f"scan {flags}", check_against_onnxruntime, scan, "scan",
              gcomp_flags=flags)
res.finish()
