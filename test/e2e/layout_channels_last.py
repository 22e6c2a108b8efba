# RUN: %python %s | FileCheck %s
# Graphs that gcomp-channels-last rewrites: convolutions (one group,
# depthwise, strided, dilated, padded) and the ops the layout flows through
# after them (activations, residual adds, broadcast scales, max and average
# pooling with ceil mode and pads, reductions, concat), plus the ops where it
# must stop (a grouped conv, a reshape). Compiled by gcomp and compared with
# onnxruntime on the same inputs (fp32: rtol 1e-4, atol 1e-5).
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from onnx import shape_inference
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(5)


def weight(*shape):
    return (rng.standard_normal(shape) * 0.3).astype(np.float32)


def check(label, nodes, out_shape, inits, x_shape=(2, 8, 9, 9), outputs=None):
    x = rng.standard_normal(x_shape).astype(np.float32)
    model = make_model(nodes, [tensor_info("x", list(x_shape))],
                       outputs or [tensor_info("y", list(out_shape))], inits, opset=17)
    res.check(label, check_against_onnxruntime, model, label, feeds={"x": x})


# Conv -> Relu -> Conv with a residual Add and a bias.
check("conv relu conv residual",
      [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
       helper.make_node("Relu", ["c1"], ["r1"]),
       helper.make_node("Conv", ["r1", "w2"], ["c2"]),
       helper.make_node("Add", ["c2", "x"], ["y"])],
      (2, 8, 9, 9), {"w1": weight(16, 8, 3, 3), "b1": weight(16), "w2": weight(8, 16, 1, 1)})

# Strided, dilated, asymmetric pads; a per-channel scale ([C, 1, 1]) and a
# scalar; Sigmoid * x (SiLU).
check("strided dilated conv, scale, silu",
      [helper.make_node("Conv", ["x", "w"], ["c"], strides=[2, 1], dilations=[1, 2],
                        pads=[0, 2, 1, 1]),
       helper.make_node("Mul", ["c", "s"], ["m"]),
       helper.make_node("Add", ["m", "k"], ["a"]),
       helper.make_node("Sigmoid", ["a"], ["g"]),
       helper.make_node("Mul", ["a", "g"], ["y"])],
      (2, 12, 4, 8), {"w": weight(12, 8, 3, 3), "s": weight(12, 1, 1),
                      "k": np.array(0.25, np.float32)})

# Depthwise (MobileNet style) with Clip, then a 1x1 projection.
check("depthwise clip project",
      [helper.make_node("Conv", ["x", "dw", "db"], ["d"], group=8, strides=[2, 2],
                        pads=[1, 1, 1, 1]),
       helper.make_node("Clip", ["d", "lo", "hi"], ["r"]),
       helper.make_node("Conv", ["r", "pw"], ["y"])],
      (2, 4, 5, 5), {"dw": weight(8, 1, 3, 3), "db": weight(8), "pw": weight(4, 8, 1, 1),
                     "lo": np.array(0, np.float32), "hi": np.array(0.5, np.float32)})

# Max pool (ceil mode, pads) and average pool with and without counting
# pads, after a conv.
for label, op, attrs in [
        ("maxpool ceil pads", "MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2],
                                          "pads": [1, 1, 1, 1], "ceil_mode": 1}),
        ("avgpool pads excluded", "AveragePool", {"kernel_shape": [3, 2], "strides": [2, 2],
                                                  "pads": [1, 0, 1, 1]}),
        ("avgpool pads counted ceil", "AveragePool",
         {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
          "count_include_pad": 1, "ceil_mode": 1}),
        ("maxpool dilated asymmetric", "MaxPool",
         {"kernel_shape": [2, 3], "strides": [1, 2], "dilations": [2, 1],
          "pads": [0, 1, 1, 0]})]:
    x_shape = (1, 8, 9, 9)
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node(op, ["c"], ["y"], **attrs)]
    graph = helper.make_graph(nodes, "g", [tensor_info("x", list(x_shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(weight(6, 8, 3, 3), "w")])
    inferred = shape_inference.infer_shapes(helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)]))
    out = [d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
    check(label, nodes, out, {"w": weight(6, 8, 3, 3)}, x_shape=x_shape)

# Squeeze-and-excite: global pool, two 1x1 convs, sigmoid, broadcast multiply.
check("squeeze excite",
      [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
       helper.make_node("GlobalAveragePool", ["c"], ["p"]),
       helper.make_node("Conv", ["p", "w1"], ["q"]),
       helper.make_node("Relu", ["q"], ["r"]),
       helper.make_node("Conv", ["r", "w2"], ["s"]),
       helper.make_node("Sigmoid", ["s"], ["g"]),
       helper.make_node("Mul", ["c", "g"], ["y"])],
      (2, 8, 9, 9), {"w": weight(8, 8, 3, 3), "w1": weight(2, 8, 1, 1),
                     "w2": weight(8, 2, 1, 1)})

# Global pools as gcomp-pool-kernels sees them: GlobalMaxPool, and a
# ReduceMean over the spatial dims without keepdims (a [N, C] result).
check("global max pool",
      [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
       helper.make_node("GlobalMaxPool", ["c"], ["y"])],
      (2, 8, 1, 1), {"w": weight(8, 8, 3, 3)})
check("spatial mean without keepdims",
      [helper.make_node("Conv", ["x", "w"], ["c"]),
       helper.make_node("ReduceMean", ["c"], ["y"], axes=[2, 3], keepdims=0)],
      (2, 40), {"w": weight(40, 8, 1, 1)})

# Concat along channels, a ReduceMax that keeps dims, and a ReduceSum that
# does not (the layout stops there), a grouped conv (left NCHW) and a
# Flatten + Gemm head.
check("concat reduce grouped head",
      [helper.make_node("Conv", ["x", "wa"], ["a"]),
       helper.make_node("Conv", ["x", "wb"], ["b"], pads=[1, 1, 1, 1]),
       helper.make_node("Concat", ["a", "b"], ["cat"], axis=1),
       helper.make_node("Conv", ["cat", "wg"], ["g"], group=2),
       helper.make_node("ReduceMax", ["g"], ["mx"], axes=[1], keepdims=1),
       helper.make_node("Add", ["g", "mx"], ["h"]),
       helper.make_node("ReduceSum", ["h", "ax"], ["sm"], keepdims=0),
       helper.make_node("Flatten", ["sm"], ["f"]),
       helper.make_node("Gemm", ["f", "fc"], ["y"], transB=1)],
      (2, 5), {"wa": weight(4, 8, 1, 1), "wb": weight(6, 8, 3, 3), "wg": weight(6, 5, 1, 1),
               "ax": np.array([2, 3], np.int64), "fc": weight(5, 6)})

res.finish()
