# RUN: %python %s | FileCheck %s
# f16 and bf16 models: convolutions (im2col products and a depthwise loop
# nest), a long matrix product, long means, a softmax over long rows and a
# global pooling, each against onnxruntime running the same model in fp32
# on the same values (every input and weight is exactly representable in
# the half type).
#
# gcomp sums half-precision terms in f32 and rounds once, as onnxruntime
# and cuDNN do. So the only differences from the fp32 result are the
# rounding of the output (relative error u = 2^-11 for f16, 2^-8 for bf16)
# and at most one more rounding of an intermediate no larger than the
# output's largest value (a bias added after a product): rtol 2u, atol
# 2u x max |ref|. Summed in the half type instead, a 576-term convolution
# is off by about 1 % of its largest output, and a mean of 4,096 values
# stalls once the running sum's spacing exceeds the terms.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import sys
import tempfile

import ml_dtypes
import numpy as np
from gcomp_testing import *

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import gcomp  # noqa: E402

res = Results()
rng = np.random.default_rng(16)
TYPES = {"f16": (TensorProto.FLOAT16, np.float16, 2.0 ** -11),
         "bf16": (TensorProto.BFLOAT16, ml_dtypes.bfloat16, 2.0 ** -8)}


def check_half(label, kind, nodes, inputs, out_shape, inits=()):
    elem, np_type, u = TYPES[kind]
    inputs = {k: v.astype(np_type) for k, v in inputs.items()}
    inits = {k: v.astype(np_type) for k, v in dict(inits).items()}

    def model(element, cast):
        return make_model(
            nodes, [tensor_info(k, list(v.shape), element)
                    for k, v in inputs.items()],
            [tensor_info("y", list(out_shape), element)],
            {k: cast(v) for k, v in inits.items()})

    half = model(elem, lambda v: v)
    wide = model(TensorProto.FLOAT, lambda v: v.astype(np.float32))
    sess = ort.InferenceSession(wide.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    ref = sess.run(None, {k: v.astype(np.float32)
                          for k, v in inputs.items()})[0].astype(np.float64)
    with tempfile.TemporaryDirectory() as d:
        _, so = compile_model(half, d)
        with gcomp.load(so) as m:
            got = list(m.run(*inputs.values()).values())[0]
    assert got.dtype == np.dtype(np_type), got.dtype
    got = got.astype(np.float64)
    atol = 2 * u * float(np.max(np.abs(ref)))
    bad = ~np.isclose(got, ref, rtol=2 * u, atol=atol)
    if bad.any():
        raise AssertionError(
            f"{bad.sum()} of {bad.size} outside rtol {2 * u:.3g}, atol "
            f"{atol:.3g}; max abs error {np.max(np.abs(got - ref)):.4g}")
    print(f"PASS {label} (max abs error {np.max(np.abs(got - ref)):.3g} "
          f"of max |ref| {np.max(np.abs(ref)):.3g})")


def uniform(*shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


for kind in TYPES:
    res.check(f"{kind} conv 3x3, 64 channels, bias", check_half,
              f"{kind} conv 3x3", kind,
              [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1] * 4)],
              {"x": uniform(1, 64, 14, 14)}, [1, 64, 14, 14],
              {"w": uniform(64, 64, 3, 3), "b": uniform(64)})
    res.check(f"{kind} depthwise conv 3x3, bias", check_half,
              f"{kind} depthwise", kind,
              [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1] * 4,
                                group=32)],
              {"x": uniform(1, 32, 10, 10)}, [1, 32, 10, 10],
              {"w": uniform(32, 1, 3, 3), "b": uniform(32)})
    res.check(f"{kind} matmul of 1024 terms", check_half,
              f"{kind} matmul", kind,
              [helper.make_node("MatMul", ["x", "w"], ["y"])],
              {"x": uniform(8, 1024)}, [8, 48], {"w": uniform(1024, 48)})
    # Positive values: a mean of 4,096 of them is about 0.5, their f16 sum
    # 2,048, where f16's spacing (2) exceeds every term.
    res.check(f"{kind} mean of 4096", check_half, f"{kind} mean", kind,
              [helper.make_node("ReduceMean", ["x"], ["y"], axes=[1])],
              {"x": rng.uniform(0, 1, (3, 4096)).astype(np.float32)}, [3, 1])
    res.check(f"{kind} global average pool 56x56", check_half,
              f"{kind} pool", kind,
              [helper.make_node("GlobalAveragePool", ["x"], ["y"])],
              {"x": rng.uniform(0, 4, (1, 8, 56, 56)).astype(np.float32)},
              [1, 8, 1, 1])
    res.check(f"{kind} softmax over 2048", check_half, f"{kind} softmax",
              kind, [helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
              {"x": uniform(4, 2048)}, [4, 2048])
res.finish()
