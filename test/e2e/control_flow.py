# RUN: %python %s | FileCheck %s
# If over a shape test, as exporters write it: each variant of a library
# compiled with --specialize takes its own branch, and both match
# onnxruntime. Scan, unrolled over its static sequence: two states, two scan
# inputs (one along axis 1, one read backwards), two scan outputs (one
# stacked along axis 1, one backwards), against onnxruntime at -O2 and -O0.
# Loop with a constant trip count, unrolled, also ended early by its body's
# condition.
# CHECK: PASS batch 1 (else branch)
# CHECK: PASS batch 3 (then branch)
# CHECK: PASS scan
# CHECK: PASS scan
# CHECK: PASS loop
# CHECK: PASS loop
# CHECK: PASS loop until
# CHECK: PASS loop until
# CHECK: 8 of 8 checks passed
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


# Loop, unrolled: v = v * 2 + i for a constant trip count of 4, also
# collected per iteration; with `until`, the body's condition (i < 2) ends
# it after three iterations.
def loop_model(until):
    i64, b = TensorProto.INT64, TensorProto.BOOL
    nodes = [helper.make_node("Cast", ["i"], ["i_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["v_in", "two"], ["v2"]),
             helper.make_node("Add", ["v2", "i_f"], ["v_out"]),
             helper.make_node("Identity", ["v_out"], ["v_scan"])]
    if until:
        nodes.append(helper.make_node("Less", ["i", "limit"], ["c_out"]))
    else:
        nodes.append(helper.make_node("Identity", ["c_in"], ["c_out"]))
    inits = [numpy_helper.from_array(np.full([3], 2.0, np.float32), "two")]
    if until:
        inits.append(numpy_helper.from_array(np.array(2, np.int64), "limit"))
    body = helper.make_graph(
        nodes, "loop_body",
        [helper.make_tensor_value_info("i", i64, []),
         helper.make_tensor_value_info("c_in", b, []),
         helper.make_tensor_value_info("v_in", f, [3])],
        [helper.make_tensor_value_info("c_out", b, []),
         helper.make_tensor_value_info("v_out", f, [3]),
         helper.make_tensor_value_info("v_scan", f, [3])], inits)
    steps = 3 if until else 4
    return make_model(
        [helper.make_node("Loop", ["trips", "cond", "v0"], ["v", "vs"],
                          body=body)],
        [tensor_info("v0", [3])],
        [tensor_info("v", [3]), tensor_info("vs", [steps, 3])],
        {"trips": np.array(4, np.int64), "cond": np.array(True)})


for label, until in (("loop", False), ("loop until", True)):
    for flags in ((), ("-O0",)):
        res.check(f"{label} {flags}", check_against_onnxruntime,
                  loop_model(until), label, gcomp_flags=flags)
res.finish()
