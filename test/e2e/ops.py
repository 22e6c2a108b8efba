# RUN: %python %s | FileCheck %s
# Every supported ONNX operator, compiled by gcomp and compared with
# onnxruntime on the same inputs (fp32: rtol 1e-4, atol 1e-5).
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(7)
F = TensorProto.FLOAT


def single(op, in_shapes, out_shape, attrs=None, inits=None, opset=17,
           label=None, dtype=F):
    names = [f"i{k}" for k in range(len(in_shapes))]
    inits = inits or {}
    inputs = [tensor_info(n, s, dtype) for n, s in zip(names, in_shapes)]
    node = helper.make_node(op, names + list(inits), ["y"], **(attrs or {}))
    model = make_model([node], inputs, [tensor_info("y", out_shape, dtype)],
                       inits, opset=opset)
    res.check(label or op, check_against_onnxruntime, model, label or op)


# Elementwise binary with numpy broadcasting.
for op in ["Add", "Sub", "Mul", "Div"]:
    single(op, [[2, 3, 4], [2, 3, 4]], [2, 3, 4], label=f"{op} same shape")
    single(op, [[2, 3, 4], [4]], [2, 3, 4], label=f"{op} trailing vector")
    single(op, [[2, 1, 4], [3, 1]], [2, 3, 4], label=f"{op} both broadcast")
single("Add", [[2, 3], [2, 3]], [2, 3], dtype=TensorProto.INT64,
       label="Add int64")
single("Mul", [[5], [5]], [5], dtype=TensorProto.INT32, label="Mul int32")
single("Add", [[3, 4]], [3, 4],
       inits={"c": rng.standard_normal((1, 4)).astype(np.float32)},
       label="Add initializer")

# Unary.
for op in ["Relu", "Sigmoid", "Tanh"]:
    single(op, [[3, 17]], [3, 17])

# Softmax: opset 13 (one axis) and opset 11 (flatten at axis).
single("Softmax", [[2, 3, 5]], [2, 3, 5], label="Softmax opset 13 default")
single("Softmax", [[2, 3, 5]], [2, 3, 5], {"axis": 1},
       label="Softmax opset 13 axis 1")
single("Softmax", [[2, 3, 5]], [2, 3, 5], {"axis": -2},
       label="Softmax opset 13 axis -2")
single("Softmax", [[2, 3, 5]], [2, 3, 5], {"axis": 1}, opset=11,
       label="Softmax opset 11 axis 1")
single("Softmax", [[4, 6]], [4, 6], opset=11, label="Softmax opset 11 default")

# MatMul with numpy semantics.
single("MatMul", [[3, 4], [4, 5]], [3, 5], label="MatMul 2-D")
single("MatMul", [[2, 3, 4], [4, 5]], [2, 3, 5], label="MatMul batched x 2-D")
single("MatMul", [[2, 1, 3, 4], [3, 4, 5]], [2, 3, 3, 5],
       label="MatMul batch broadcast")
single("MatMul", [[4], [2, 4, 5]], [2, 5], label="MatMul vector x batched")
single("MatMul", [[3, 4], [4]], [3], label="MatMul matrix x vector")

# Gemm variants.
single("Gemm", [[3, 4], [4, 5], [5]], [3, 5], label="Gemm bias vector")
single("Gemm", [[4, 3], [5, 4], [3, 5]], [3, 5],
       {"transA": 1, "transB": 1, "alpha": 0.5, "beta": 2.0},
       label="Gemm transposed alpha beta")
single("Gemm", [[3, 4], [4, 5]], [3, 5], label="Gemm without C")
single("Gemm", [[3, 4], [4, 5], [3, 1]], [3, 5], {"beta": 0.0},
       label="Gemm beta 0")

# Data movement.
single("Reshape", [[2, 3, 4]], [4, 6],
       inits={"s": np.array([4, -1], np.int64)}, label="Reshape -1")
single("Reshape", [[2, 3, 4]], [2, 12],
       inits={"s": np.array([0, -1], np.int64)}, label="Reshape 0")
single("Flatten", [[2, 3, 4]], [6, 4], {"axis": 2}, label="Flatten axis 2")
single("Flatten", [[2, 3, 4]], [1, 24], {"axis": 0}, label="Flatten axis 0")
single("Flatten", [[2, 3, 4]], [6, 4], {"axis": -1}, label="Flatten axis -1")
single("Transpose", [[2, 3, 4]], [4, 3, 2], label="Transpose default")
single("Transpose", [[2, 3, 4]], [3, 4, 2], {"perm": [1, 2, 0]},
       label="Transpose perm")
single("Identity", [[2, 3]], [2, 3])

# Constant feeding a computation, and as a graph output on its own.
const = helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(
    rng.standard_normal((2, 3)).astype(np.float32)))
model = make_model([const, helper.make_node("Mul", ["x", "c"], ["y"])],
                   [tensor_info("x", [2, 3])], [tensor_info("y", [2, 3])])
res.check("Constant", check_against_onnxruntime, model, "Constant")
model = make_model(
    [helper.make_node("Constant", [], ["y"], value_floats=[1.5, -2.0])],
    [], [tensor_info("y", [2])])
res.check("Constant output", check_against_onnxruntime, model,
          "Constant output", feeds={})

res.finish()
