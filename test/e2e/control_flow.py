# RUN: %python %s | FileCheck %s
# If over a shape test, as exporters write it: each variant of a library
# compiled with --specialize takes its own branch, and both match
# onnxruntime.
# CHECK: PASS batch 1 (else branch)
# CHECK: PASS batch 3 (then branch)
# CHECK: 2 of 2 checks passed
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
res.finish()
