# RUN: %python %s | FileCheck %s
# Convolutions that gcomp-fuse-conv turns into the runtime's implicit-GEMM
# kernel, with each part of the epilogue (bias, residual add in either
# operand order, ReLU, Clip, GELU, SiLU; depthwise convs too) and the windows that stress its chunking: a
# 3-channel stem (kernel rows read whole), channels past one 256-deep weight
# slice, padding wider than the kernel, strides and dilations, output
# channels that do not fill a panel, batch 3; plus chains it must not fuse
# (a conv result used twice); and MatMuls with a constant weight, which
# run as 1x1 convs. Compiled by gcomp and compared with
# onnxruntime on the same inputs (fp32: rtol 1e-4, atol 1e-5).
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(7)


def weight(*shape):
    fan_in = int(np.prod(shape[1:]))
    return (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)


def check(label, nodes, x_shape, out_shape, inits, extra_inputs=()):
    feeds = {"x": rng.standard_normal(x_shape).astype(np.float32)}
    inputs = [tensor_info("x", list(x_shape))]
    for name, shape in extra_inputs:
        feeds[name] = rng.standard_normal(shape).astype(np.float32)
        inputs.append(tensor_info(name, list(shape)))
    model = make_model(nodes, inputs, [tensor_info("y", list(out_shape))], inits,
                       opset=17)
    res.check(label, check_against_onnxruntime, model, label, feeds=feeds)


def conv(x, w, y, b=None, **attrs):
    return helper.make_node("Conv", [x, w] + ([b] if b else []), [y], **attrs)


check("stem 7x7 stride 2, 3 channels, bias relu",
      [conv("x", "w", "c", "b", strides=[2, 2], pads=[3, 3, 3, 3]),
       helper.make_node("Relu", ["c"], ["y"])],
      (1, 3, 23, 19), (1, 20, 12, 10), {"w": weight(20, 3, 7, 7), "b": weight(20)})

check("residual add (conv second) and relu, batch 3",
      [conv("x", "w", "c", "b", pads=[1, 1, 1, 1]),
       helper.make_node("Add", ["r", "c"], ["a"]),
       helper.make_node("Relu", ["a"], ["y"])],
      (3, 16, 9, 9), (3, 24, 9, 9), {"w": weight(24, 16, 3, 3), "b": weight(24)},
      extra_inputs=[("r", (3, 24, 9, 9))])

check("residual add without relu, 300 channels",
      [conv("x", "w", "c", pads=[1, 1, 1, 1]),
       helper.make_node("Add", ["c", "x"], ["y"])],
      (1, 300, 6, 5), (1, 300, 6, 5), {"w": weight(300, 300, 3, 3)})

check("dilated, asymmetric pads wider than the kernel",
      [conv("x", "w", "y", "b", dilations=[2, 1], strides=[1, 2], pads=[3, 3, 2, 4])],
      (2, 8, 7, 6), (2, 9, 10, 6), {"w": weight(9, 8, 2, 2), "b": weight(9)})

check("1x1 projection, 7x7 pixels, 2048 outputs",
      [conv("x", "w", "c", "b"), helper.make_node("Relu", ["c"], ["y"])],
      (1, 64, 7, 7), (1, 2048, 7, 7), {"w": weight(2048, 64, 1, 1), "b": weight(2048)})

check("conv result used twice: the add is not absorbed",
      [conv("x", "w", "c", pads=[1, 1, 1, 1]),
       helper.make_node("Add", ["c", "x"], ["a"]),
       helper.make_node("Mul", ["a", "c"], ["y"])],
      (1, 8, 5, 5), (1, 8, 5, 5), {"w": weight(8, 8, 3, 3)})

check("bottleneck block: 1x1, 3x3 stride 2, 1x1 + projected shortcut",
      [conv("x", "w1", "c1", "b1"), helper.make_node("Relu", ["c1"], ["r1"]),
       conv("r1", "w2", "c2", "b2", strides=[2, 2], pads=[1, 1, 1, 1]),
       helper.make_node("Relu", ["c2"], ["r2"]),
       conv("r2", "w3", "c3", "b3"),
       conv("x", "ws", "s", "bs", strides=[2, 2]),
       helper.make_node("Add", ["c3", "s"], ["a"]),
       helper.make_node("Relu", ["a"], ["y"])],
      (1, 32, 14, 14), (1, 64, 7, 7),
      {"w1": weight(16, 32, 1, 1), "b1": weight(16), "w2": weight(16, 16, 3, 3),
       "b2": weight(16), "w3": weight(64, 16, 1, 1), "b3": weight(64),
       "ws": weight(64, 32, 1, 1), "bs": weight(64)})

# Clip after a conv (MobileNet's ReLU6) and after a product: the kernel's
# clamp.
check("conv + clip(0, 6)",
      [conv("x", "w", "c", "b", pads=[1, 1, 1, 1]),
       helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
      (1, 16, 8, 8), (1, 24, 8, 8),
      {"w": weight(24, 16, 3, 3), "b": weight(24), "lo": np.array(0, np.float32),
       "hi": np.array(0.6, np.float32)})
check("matmul + clip(-0.2, 0.3)",
      [helper.make_node("MatMul", ["x", "w"], ["m"]),
       helper.make_node("Clip", ["m", "lo", "hi"], ["y"])],
      (30, 40), (30, 24), {"w": weight(40, 24), "lo": np.array(-0.2, np.float32),
                           "hi": np.array(0.3, np.float32)})

# Products with a constant weight run as 1x1 convs over their rows, with
# the bias add (constant [N], either operand order), residual and ReLU.
check("matmul + bias + residual + relu, 3-D input",
      [helper.make_node("MatMul", ["x", "w"], ["m"]),
       helper.make_node("Add", ["bias", "m"], ["a"]),
       helper.make_node("Add", ["a", "x"], ["s"]),
       helper.make_node("Relu", ["s"], ["y"])],
      (2, 50, 40), (2, 50, 40), {"w": weight(40, 40), "bias": weight(40)})

check("matmul + bias, wide weight past one 256-row slice",
      [helper.make_node("MatMul", ["x", "w"], ["m"]),
       helper.make_node("Add", ["m", "bias"], ["y"])],
      (7, 300), (7, 600), {"w": weight(300, 600), "bias": weight(600)})

# Gemm: trans_b and a [N] bias (a classifier head); alpha and beta with a
# [1, N] C; no C, then a bias add and a residual; relu after it.
check("gemm trans_b + bias + relu",
      [helper.make_node("Gemm", ["x", "w", "c"], ["g"], transB=1),
       helper.make_node("Relu", ["g"], ["y"])],
      (3, 300), (3, 1000), {"w": weight(1000, 300), "c": weight(1000)})
check("gemm alpha beta, [1, N] C",
      [helper.make_node("Gemm", ["x", "w", "c"], ["y"], alpha=0.5, beta=2.0)],
      (5, 20), (5, 17), {"w": weight(20, 17), "c": weight(1, 17)})
check("gemm without C, bias and residual adds",
      [helper.make_node("Gemm", ["x", "w"], ["g"], transB=1),
       helper.make_node("Add", ["g", "bias"], ["a"]),
       helper.make_node("Add", ["a", "x"], ["y"])],
      (4, 24), (4, 24), {"w": weight(24, 24), "bias": weight(24)})

# SiLU as PyTorch exports it (x * Sigmoid(x), gcomp-recognize-ops), the
# kernel's epilogue: EfficientNet's stem (channels-first input, stride 2)
# and an expansion 1x1 conv into 144 channels (tiles of 64 and a partial
# one); its large negative and positive inputs (exp overflows, underflows).
check("stem 3x3 stride 2, bias, exported silu",
      [conv("x", "w", "c", "b", strides=[2, 2], pads=[1, 1, 1, 1]),
       helper.make_node("Sigmoid", ["c"], ["s"]),
       helper.make_node("Mul", ["c", "s"], ["y"])],
      (1, 3, 30, 30), (1, 32, 15, 15), {"w": weight(32, 3, 3, 3), "b": weight(32)})
check("1x1 expansion into 144 channels, exported silu, wide values",
      [conv("x", "w", "c", "b"),
       helper.make_node("Sigmoid", ["c"], ["s"]),
       helper.make_node("Mul", ["s", "c"], ["y"])],
      (1, 24, 14, 14), (1, 144, 14, 14),
      {"w": weight(144, 24, 1, 1) * 60, "b": weight(144)})

# Depthwise convs (a group per channel) run in the runtime's depthwise
# kernel with the same epilogue: MobileNet's stride-2 3x3 with ReLU6 (Clip)
# over 72 channels (a block of 64 and a rest), EfficientNet's 5x5 with
# SiLU, a dilated one with a residual add and ReLU, each reading its input
# with implicit padding.
check("depthwise 3x3 stride 2, bias, relu6",
      [conv("x", "w", "c", "b", group=72, strides=[2, 2], pads=[1, 1, 1, 1]),
       helper.make_node("Clip", ["c", "lo", "hi"], ["y"])],
      (1, 72, 11, 10), (1, 72, 6, 5),
      {"w": weight(72, 1, 3, 3) * 3, "b": weight(72),
       "lo": np.array(0, np.float32), "hi": np.array(6, np.float32)})
check("depthwise 5x5, bias, exported silu",
      [conv("x", "w", "c", "b", group=40, pads=[2, 2, 2, 2]),
       helper.make_node("Sigmoid", ["c"], ["s"]),
       helper.make_node("Mul", ["c", "s"], ["y"])],
      (2, 40, 9, 9), (2, 40, 9, 9), {"w": weight(40, 1, 5, 5) * 4, "b": weight(40)})
check("depthwise dilated, residual add and relu",
      [conv("x", "w", "c", group=24, dilations=[2, 2], pads=[2, 2, 2, 2]),
       helper.make_node("Add", ["c", "x"], ["a"]),
       helper.make_node("Relu", ["a"], ["y"])],
      (1, 24, 8, 7), (1, 24, 8, 7), {"w": weight(24, 1, 3, 3)})

# GELU as PyTorch exports it (gcomp-recognize-ops), the kernel's epilogue
# after a transformer MLP's first projection; and a standalone one.
check("matmul + bias + exported gelu",
      [helper.make_node("MatMul", ["x", "w"], ["m"]),
       helper.make_node("Add", ["m", "bias"], ["h"]),
       helper.make_node("Div", ["h", "sqrt2"], ["d"]),
       helper.make_node("Erf", ["d"], ["e"]),
       helper.make_node("Add", ["e", "one"], ["a"]),
       helper.make_node("Mul", ["h", "a"], ["p"]),
       helper.make_node("Mul", ["p", "half"], ["y"])],
      (2, 16, 48), (2, 16, 96),
      {"w": weight(48, 96), "bias": weight(96),
       "sqrt2": np.array(np.sqrt(2), np.float32),
       "one": np.array(1, np.float32), "half": np.array(0.5, np.float32)})
check("exported gelu alone, wide values",
      [helper.make_node("Mul", ["x", "big"], ["h"]),
       helper.make_node("Mul", ["h", "r"], ["d"]),
       helper.make_node("Erf", ["d"], ["e"]),
       helper.make_node("Add", ["one", "e"], ["a"]),
       helper.make_node("Mul", ["h", "half"], ["hh"]),
       helper.make_node("Mul", ["hh", "a"], ["y"])],
      (3, 333), (3, 333),
      {"big": np.array(4, np.float32), "r": np.array(1 / np.sqrt(2), np.float32),
       "one": np.array(1, np.float32), "half": np.array(0.5, np.float32)})

res.finish()
