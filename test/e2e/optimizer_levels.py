# RUN: %python %s | FileCheck %s
# The same graphs with the optimizer off (-O0: no optimization pass, the
# im2col convolutions, separate epilogues, allocated buffers) and on (-O2:
# channels-last, fused conv/matmul epilogues, planned workspace, parallel
# kernels), each compared with onnxruntime on the same inputs (fp32: rtol
# 1e-4, atol 1e-5).
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(13)


def weight(*shape):
    return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)


def check(label, nodes, x_shape, out_shape, inits):
    x = rng.standard_normal(x_shape).astype(np.float32)
    model = make_model(nodes, [tensor_info("x", list(x_shape))],
                       [tensor_info("y", list(out_shape))], inits, opset=17)
    for level in ("-O0", "-O2"):
        res.check(f"{label} {level}", check_against_onnxruntime, model, label,
                  feeds={"x": x}, gcomp_flags=(level,))


check("residual block with pooling and a classifier",
      [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
       helper.make_node("Relu", ["c1"], ["r1"]),
       helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
       helper.make_node("Add", ["c2", "x"], ["a"]),
       helper.make_node("Relu", ["a"], ["r"]),
       helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
       helper.make_node("GlobalAveragePool", ["p"], ["g"]),
       helper.make_node("Flatten", ["g"], ["f"]),
       helper.make_node("Gemm", ["f", "fc", "fb"], ["y"], transB=1)],
      (1, 16, 12, 12), (1, 10),
      {"w1": weight(16, 16, 3, 3), "b1": weight(16), "w2": weight(16, 16, 3, 3),
       "b2": weight(16), "fc": weight(10, 16), "fb": weight(10)})

check("transformer feed-forward with layer norm and softmax",
      [helper.make_node("MatMul", ["x", "w1"], ["m1"]),
       helper.make_node("Add", ["m1", "b1"], ["h"]),
       helper.make_node("Relu", ["h"], ["r"]),
       helper.make_node("MatMul", ["r", "w2"], ["m2"]),
       helper.make_node("Add", ["m2", "x"], ["s"]),
       helper.make_node("LayerNormalization", ["s", "g", "bb"], ["n"], axis=-1),
       helper.make_node("Softmax", ["n"], ["y"], axis=-1)],
      (2, 96, 192), (2, 96, 192),
      {"w1": weight(192, 256), "b1": weight(256), "w2": weight(256, 192),
       "g": weight(192), "bb": weight(192)})

res.finish()
