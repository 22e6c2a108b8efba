# RUN: %python %s | FileCheck %s
# gcomp --specialize: one library with a static variant per size of the
# symbolic dims, checked against onnxruntime at every size it was compiled
# for, with the exporter-style shape arithmetic (Shape, Gather, Concat into
# a Reshape) folded in each variant; sizes it was not compiled for are
# refused with the input, the dim and the sizes there are.
# CHECK: PASS 1x2
# CHECK: PASS 1x7
# CHECK: PASS 3x2
# CHECK: PASS 3x7
# CHECK: PASS batch 2 refused
# CHECK: PASS seq mismatch refused
# CHECK: 6 of 6 checks passed
import itertools
import numpy as np
from gcomp_testing import *

rng = np.random.default_rng(5)
W = rng.standard_normal((8, 5)).astype(np.float32)
model = make_model(
    [helper.make_node("MatMul", ["x", "W"], ["m"]),
     helper.make_node("Add", ["m", "b"], ["s"]),
     helper.make_node("Relu", ["s"], ["r"]),
     # [batch, seq * 5], the batch read from the input's shape at run time
     # as exporters write it.
     helper.make_node("Shape", ["x"], ["shape"]),
     helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
     helper.make_node("Concat", ["batch", "minus_one"], ["target"], axis=0),
     helper.make_node("Reshape", ["r", "target"], ["y"])],
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", 8]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, ["seq", 5])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", None])],
    {"W": W, "zero": np.array([0], np.int64),
     "minus_one": np.array([-1], np.int64)})

res = Results()
with tempfile.TemporaryDirectory() as d:
    _, so = compile_model(model, d, extra=["--specialize", "batch=1,3",
                                           "--specialize", "seq=2,7"])
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])

    def run_at(batch, seq, b_seq=None):
        feeds = {"x": rng.standard_normal((batch, seq, 8)).astype(np.float32),
                 "b": rng.standard_normal((b_seq or seq, 5)).astype(np.float32)}
        args = [GCOMP_RUN, so, "--rtol", str(RTOL), "--atol", str(ATOL)]
        for k, v in feeds.items():
            np.save(os.path.join(d, k + ".npy"), v)
            args += ["--input", f"{k}={os.path.join(d, k + '.npy')}"]
        if b_seq is None:
            np.save(os.path.join(d, "y.npy"), sess.run(None, feeds)[0])
            args += ["--expect", f"y={os.path.join(d, 'y.npy')}"]
        return run(args)

    def check_size(batch, seq):
        r = run_at(batch, seq)
        if r.returncode != 0:
            raise AssertionError(r.stdout + r.stderr)
        print(f"PASS {batch}x{seq}")

    def check_refused(label, expected, *size):
        r = run_at(*size)
        if r.returncode == 0 or expected not in r.stderr:
            raise AssertionError(f"expected '{expected}', got: {r.stderr}")
        print(f"PASS {label} refused")

    for batch, seq in itertools.product([1, 3], [2, 7]):
        res.check(f"{batch}x{seq}", check_size, batch, seq)
    res.check("batch 2", check_refused, "batch 2",
              "input 'x': dim 0 (batch) is 2 (shape [2,7,8]), but this library was "
              "compiled for 1, 3 there only (gcomp --specialize)", 2, 7)
    res.check("seq mismatch", check_refused, "seq mismatch",
              "the input shapes are a combination of sizes this library was "
              "not compiled for", 1, 2, 7)
res.finish()
