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

# Unary elementwise, on inputs inside each op's domain.
positive = rng.uniform(0.1, 3.0, (3, 7)).astype(np.float32)
unit = rng.uniform(-0.9, 0.9, (3, 7)).astype(np.float32)
above_one = rng.uniform(1.1, 3.0, (3, 7)).astype(np.float32)
wide = rng.uniform(-4, 4, (3, 7)).astype(np.float32)
for op, data in [("Exp", wide), ("Log", positive), ("Sqrt", positive),
                 ("Reciprocal", positive), ("Sin", wide), ("Cos", wide),
                 ("Tan", unit), ("Asin", unit), ("Acos", unit), ("Atan", wide),
                 ("Sinh", wide), ("Cosh", wide), ("Asinh", wide),
                 ("Acosh", above_one), ("Atanh", unit), ("Floor", wide),
                 ("Ceil", wide), ("Round", wide), ("Erf", wide),
                 ("Softplus", wide), ("Softsign", wide), ("Mish", wide),
                 ("HardSwish", wide), ("Neg", wide), ("Abs", wide),
                 ("Sign", wide), ("Elu", wide), ("Celu", wide), ("Selu", wide),
                 ("LeakyRelu", wide), ("ThresholdedRelu", wide),
                 ("HardSigmoid", wide), ("Shrink", wide)]:
    opset = 18  # Mish needs 18
    model = make_model([helper.make_node(op, ["x"], ["y"])],
                       [tensor_info("x", [3, 7])], [tensor_info("y", [3, 7])],
                       opset=opset)
    res.check(op, check_against_onnxruntime, model, op, feeds={"x": data})
model = make_model([helper.make_node("Gelu", ["x"], ["y"], approximate="tanh")],
                   [tensor_info("x", [3, 7])], [tensor_info("y", [3, 7])], opset=20)
res.check("Gelu tanh", check_against_onnxruntime, model, "Gelu tanh",
          feeds={"x": wide})

# Binary, comparisons, logic, select.
B = TensorProto.BOOL
for op in ["Pow", "Min", "Max", "Sum", "Mean"]:
    model = make_model([helper.make_node(op, ["a", "b"], ["y"])],
                       [tensor_info("a", [2, 3]), tensor_info("b", [3])],
                       [tensor_info("y", [2, 3])])
    res.check(op, check_against_onnxruntime, model, op,
              feeds={"a": positive[:2, :3].copy(), "b": wide[0, :3].copy()})
for op in ["Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"]:
    model = make_model([helper.make_node(op, ["a", "b"], ["y"])],
                       [tensor_info("a", [2, 3], TensorProto.INT64),
                        tensor_info("b", [3], TensorProto.INT64)],
                       [tensor_info("y", [2, 3], B)])
    res.check(op, check_against_onnxruntime, model, op)
for op in ["And", "Or", "Xor"]:
    model = make_model([helper.make_node(op, ["a", "b"], ["y"])],
                       [tensor_info("a", [2, 3], B), tensor_info("b", [2, 3], B)],
                       [tensor_info("y", [2, 3], B)])
    res.check(op, check_against_onnxruntime, model, op,
              feeds={"a": rng.integers(0, 2, (2, 3)).astype(bool),
                     "b": rng.integers(0, 2, (2, 3)).astype(bool)})
model = make_model([helper.make_node("Where", ["c", "a", "b"], ["y"])],
                   [tensor_info("c", [2, 1], B), tensor_info("a", [3]),
                    tensor_info("b", [2, 3])], [tensor_info("y", [2, 3])])
res.check("Where", check_against_onnxruntime, model, "Where",
          feeds={"c": np.array([[True], [False]]),
                 "a": wide[0, :3].copy(), "b": wide[:2, :3].copy()})
model = make_model([helper.make_node("Mod", ["a", "b"], ["y"])],
                   [tensor_info("a", [6], TensorProto.INT64),
                    tensor_info("b", [6], TensorProto.INT64)],
                   [tensor_info("y", [6], TensorProto.INT64)])
res.check("Mod", check_against_onnxruntime, model, "Mod",
          feeds={"a": np.array([-7, 7, -7, 7, 5, 0]),
                 "b": np.array([3, 3, -3, -3, 5, 2])})
model = make_model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])],
                   [tensor_info("x", [3, 7]), tensor_info("lo", []),
                    tensor_info("hi", [])], [tensor_info("y", [3, 7])])
res.check("Clip", check_against_onnxruntime, model, "Clip",
          feeds={"x": wide, "lo": np.array(-1, np.float32), "hi": np.array(2, np.float32)})
for to, name in [(TensorProto.INT64, "int64"), (TensorProto.BOOL, "bool"),
                 (TensorProto.DOUBLE, "double")]:
    model = make_model([helper.make_node("Cast", ["x"], ["y"], to=to)],
                       [tensor_info("x", [3, 7])], [tensor_info("y", [3, 7], to)])
    res.check(f"Cast {name}", check_against_onnxruntime, model, f"Cast {name}",
              feeds={"x": wide})

# Reductions (axes as attribute and as input), arg-reductions, LogSoftmax.
for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
           "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
           "ReduceLogSumExp"]:
    model = make_model([helper.make_node(op, ["x"], ["y"], axes=[1], keepdims=0)],
                       [tensor_info("x", [3, 4, 5])], [tensor_info("y", [3, 5])],
                       opset=11)
    res.check(f"{op} axes attribute", check_against_onnxruntime, model,
              f"{op} axes attribute", feeds={"x": rng.uniform(0.5, 1.5, (3, 4, 5)).astype(np.float32)})
    model = make_model([helper.make_node(op, ["x", "axes"], ["y"])],
                       [tensor_info("x", [3, 4, 5])], [tensor_info("y", [1, 4, 1])],
                       {"axes": np.array([0, -1], np.int64)}, opset=18)
    res.check(f"{op} axes input", check_against_onnxruntime, model,
              f"{op} axes input", feeds={"x": rng.uniform(0.5, 1.5, (3, 4, 5)).astype(np.float32)})
for op in ["ArgMax", "ArgMin"]:
    model = make_model([helper.make_node(op, ["x"], ["y"], axis=1, keepdims=1)],
                       [tensor_info("x", [3, 4, 5])],
                       [tensor_info("y", [3, 1, 5], TensorProto.INT64)])
    res.check(op, check_against_onnxruntime, model, op)
single("LogSoftmax", [[2, 3, 5]], [2, 3, 5], {"axis": 1}, label="LogSoftmax")

# Data movement and shape arithmetic (folded at compile time).
single("Concat", [[2, 3], [4, 3]], [6, 3], {"axis": 0}, label="Concat")
model = make_model([helper.make_node("Gather", ["x", "i"], ["y"], axis=1)],
                   [tensor_info("x", [3, 5]), tensor_info("i", [2, 2], TensorProto.INT64)],
                   [tensor_info("y", [3, 2, 2])])
res.check("Gather", check_against_onnxruntime, model, "Gather",
          feeds={"x": wide[:, :5].copy(), "i": np.array([[0, -1], [4, 2]])})
single("Unsqueeze", [[3, 4]], [3, 1, 4, 1],
       inits={"axes": np.array([1, -1], np.int64)}, label="Unsqueeze")
single("Squeeze", [[3, 1, 4, 1]], [3, 4],
       inits={"axes": np.array([1, 3], np.int64)}, label="Squeeze")
single("Expand", [[3, 1]], [2, 3, 4],
       inits={"shape": np.array([2, 1, 4], np.int64)}, label="Expand")
single("Tile", [[2, 3]], [4, 9],
       inits={"repeats": np.array([2, 3], np.int64)}, label="Tile")
single("Slice", [[5, 6]], [2, 2],
       inits={"starts": np.array([1, -1], np.int64),
              "ends": np.array([4, 0], np.int64),
              "axes": np.array([0, 1], np.int64),
              "steps": np.array([2, -3], np.int64)}, label="Slice negative step")
model = make_model([helper.make_node("Split", ["x", "s"], ["a", "b"], axis=1)],
                   [tensor_info("x", [2, 5])],
                   [tensor_info("a", [2, 2]), tensor_info("b", [2, 3])],
                   {"s": np.array([2, 3], np.int64)})
res.check("Split", check_against_onnxruntime, model, "Split")
# Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as exporters write it.
nodes = [helper.make_node("Shape", ["x"], ["s"]),
         helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
         helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
         helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
         helper.make_node("Reshape", ["x", "shape"], ["y"])]
model = make_model(nodes, [tensor_info("x", [2, 3, 4])], [tensor_info("y", [2, 12])],
                   {"zero": np.array(0, np.int64), "axes": np.array([0], np.int64),
                    "minus1": np.array([-1], np.int64)})
res.check("shape arithmetic", check_against_onnxruntime, model, "shape arithmetic")
model = make_model([helper.make_node("ConstantOfShape", ["s"], ["c"],
                                     value=numpy_helper.from_array(np.array([0.5], np.float32))),
                    helper.make_node("Add", ["x", "c"], ["y"])],
                   [tensor_info("x", [2, 3])], [tensor_info("y", [2, 3])],
                   {"s": np.array([2, 3], np.int64)})
res.check("ConstantOfShape", check_against_onnxruntime, model, "ConstantOfShape")
model = make_model([helper.make_node("Range", ["a", "b", "c"], ["r"]),
                    helper.make_node("Add", ["x", "r"], ["y"])],
                   [tensor_info("x", [4])], [tensor_info("y", [4])],
                   {"a": np.array(1.0, np.float32), "b": np.array(3.0, np.float32),
                    "c": np.array(0.5, np.float32)})
res.check("Range", check_against_onnxruntime, model, "Range")
# Convolution, pooling, normalization, padding.
def nn(label, nodes, inputs, outputs, inits=None, opset=17, feeds=None):
    model = make_model(nodes, inputs, outputs, inits or {}, opset=opset)
    res.check(label, check_against_onnxruntime, model, label, feeds=feeds)

img = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
w = (rng.standard_normal((6, 4, 3, 3)) * 0.3).astype(np.float32)
bias = rng.standard_normal(6).astype(np.float32)
nn("Conv pads strides bias",
   [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 2, 1], strides=[2, 1])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 6, 5, 8])],
   {"w": w, "b": bias}, feeds={"x": img})
nn("Conv SAME_UPPER strided",
   [helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2, 2])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 6, 5, 5])],
   {"w": w}, feeds={"x": img})
nn("Conv dilated",
   [helper.make_node("Conv", ["x", "w"], ["y"], dilations=[2, 2], pads=[2, 2, 2, 2])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 6, 9, 9])],
   {"w": w}, feeds={"x": img})
nn("Conv grouped",
   [helper.make_node("Conv", ["x", "w"], ["y"], group=2)],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 6, 7, 7])],
   {"w": (rng.standard_normal((6, 2, 3, 3)) * 0.3).astype(np.float32)},
   feeds={"x": img})
nn("Conv depthwise",
   [helper.make_node("Conv", ["x", "w"], ["y"], group=4, pads=[1, 1, 1, 1])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 9, 9])],
   {"w": (rng.standard_normal((4, 1, 3, 3)) * 0.3).astype(np.float32)},
   feeds={"x": img})
nn("Conv 1-D",
   [helper.make_node("Conv", ["x", "w"], ["y"], strides=[2])],
   [tensor_info("x", [2, 4, 9])], [tensor_info("y", [2, 3, 4])],
   {"w": (rng.standard_normal((3, 4, 3)) * 0.3).astype(np.float32)},
   feeds={"x": img[:, :, 0, :].copy()})
nn("MaxPool ceil",
   [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 4, 4])], feeds={"x": img})
nn("MaxPool pads",
   [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 5, 5])], feeds={"x": img})
nn("AveragePool exclude pad",
   [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 9, 9])], feeds={"x": img})
nn("AveragePool include pad",
   [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
                     pads=[1, 1, 1, 1], count_include_pad=1)],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 5, 5])], feeds={"x": img})
nn("GlobalAveragePool", [helper.make_node("GlobalAveragePool", ["x"], ["y"])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 1, 1])], feeds={"x": img})
nn("GlobalMaxPool", [helper.make_node("GlobalMaxPool", ["x"], ["y"])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 1, 1])], feeds={"x": img})
nn("BatchNormalization",
   [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 9, 9])],
   {"s": rng.standard_normal(4).astype(np.float32), "b": rng.standard_normal(4).astype(np.float32),
    "m": rng.standard_normal(4).astype(np.float32),
    "v": rng.uniform(0.5, 2, 4).astype(np.float32)}, feeds={"x": img})
nn("LayerNormalization",
   [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1, epsilon=1e-5)],
   [tensor_info("x", [2, 5, 8])], [tensor_info("y", [2, 5, 8])],
   {"s": rng.standard_normal(8).astype(np.float32), "b": rng.standard_normal(8).astype(np.float32)})
nn("InstanceNormalization",
   [helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"])],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 9, 9])],
   {"s": rng.standard_normal(4).astype(np.float32), "b": rng.standard_normal(4).astype(np.float32)},
   feeds={"x": img})
for mode in ["constant", "reflect", "edge"]:
    nn(f"Pad {mode}",
       [helper.make_node("Pad", ["x", "p", "v"], ["y"], mode=mode)],
       [tensor_info("x", [2, 4, 5])], [tensor_info("y", [2, 7, 8])],
       {"p": np.array([0, 1, 2, 0, 2, 1], np.int64), "v": np.array(1.5, np.float32)},
       feeds={"x": img[:, :, :5, 0].copy().reshape(2, 4, 5)})
model = make_model([helper.make_node("Trilu", ["x", "k"], ["y"], upper=0)],
                   [tensor_info("x", [2, 4, 5])], [tensor_info("y", [2, 4, 5])],
                   {"k": np.array(1, np.int64)})
res.check("Trilu", check_against_onnxruntime, model, "Trilu")
model = make_model([helper.make_node("GatherElements", ["x", "i"], ["y"], axis=1)],
                   [tensor_info("x", [3, 4]), tensor_info("i", [3, 2], TensorProto.INT64)],
                   [tensor_info("y", [3, 2])])
res.check("GatherElements", check_against_onnxruntime, model, "GatherElements",
          feeds={"x": wide[:3, :4].copy(), "i": np.array([[0, 3], [-1, 1], [2, 2]])})
single("LpNormalization", [[3, 5]], [3, 5], {"axis": 1, "p": 2}, label="LpNormalization")
labels = np.array([[1, 0, 2], [3, 3, 1]], np.int64)
scores = rng.standard_normal((2, 4, 3)).astype(np.float32)
for reduction in ["none", "sum", "mean"]:
    model = make_model([helper.make_node("NegativeLogLikelihoodLoss", ["x", "t", "w"], ["y"],
                                         reduction=reduction, ignore_index=3)],
                       [tensor_info("x", [2, 4, 3]), tensor_info("t", [2, 3], TensorProto.INT64)],
                       [tensor_info("y", [2, 3] if reduction == "none" else [])],
                       {"w": rng.uniform(0.5, 1.5, 4).astype(np.float32)})
    res.check(f"NegativeLogLikelihoodLoss {reduction}", check_against_onnxruntime, model,
              f"NegativeLogLikelihoodLoss {reduction}", feeds={"x": scores, "t": labels})
model = make_model([helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t"], ["y", "lp"])],
                   [tensor_info("x", [2, 4, 3]), tensor_info("t", [2, 3], TensorProto.INT64)],
                   [tensor_info("y", []), tensor_info("lp", [2, 4, 3])])
res.check("SoftmaxCrossEntropyLoss", check_against_onnxruntime, model,
          "SoftmaxCrossEntropyLoss", feeds={"x": scores, "t": np.clip(labels, 0, 3)})
model = make_model([helper.make_node("Swish", ["x"], ["y"], alpha=1.5)],
                   [tensor_info("x", [3, 7])], [tensor_info("y", [3, 7])], opset=24)
res.check("Swish", check_against_onnxruntime, model, "Swish", feeds={"x": wide})
# Attention (opset 23): 3-D with grouped-query heads and a causal mask, and
# 4-D with a past cache, a boolean mask and the present outputs.
model = make_model([helper.make_node("Attention", ["q", "k", "v"], ["y"], is_causal=1,
                                     q_num_heads=4, kv_num_heads=2)],
                   [tensor_info("q", [2, 5, 32]), tensor_info("k", [2, 5, 16]),
                    tensor_info("v", [2, 5, 16])], [tensor_info("y", [2, 5, 32])], opset=23)
res.check("Attention causal GQA", check_against_onnxruntime, model, "Attention causal GQA")
model = make_model([helper.make_node("Attention", ["q", "k", "v", "m", "pk", "pv"],
                                     ["y", "present_k", "present_v"])],
                   [tensor_info("q", [1, 2, 3, 8]), tensor_info("k", [1, 2, 3, 8]),
                    tensor_info("v", [1, 2, 3, 8]), tensor_info("m", [3, 7], B),
                    tensor_info("pk", [1, 2, 4, 8]), tensor_info("pv", [1, 2, 4, 8])],
                   [tensor_info("y", [1, 2, 3, 8]), tensor_info("present_k", [1, 2, 7, 8]),
                    tensor_info("present_v", [1, 2, 7, 8])], opset=23)
feeds = random_inputs(model)
feeds["m"] = rng.integers(0, 2, (3, 7)).astype(bool)
feeds["m"][:, 0] = True
res.check("Attention past mask", check_against_onnxruntime, model, "Attention past mask",
          feeds=feeds)
# CenterCropPad: cropped along one axis (an odd difference), padded along
# another, unchanged along a third.
model = make_model([helper.make_node("CenterCropPad", ["x", "shape"], ["y"], axes=[0, 2, 1])],
                   [tensor_info("x", [5, 4, 6])], [tensor_info("y", [2, 4, 9])],
                   {"shape": np.array([2, 9, 4], np.int64)}, opset=18)
res.check("CenterCropPad", check_against_onnxruntime, model, "CenterCropPad")
# Mod of floats with fmod=0 (newer opsets): numpy.mod's remainder, with the
# divisor's sign, including zeros, infinities and NaN (onnxruntime refuses
# it, so numpy is the reference).
a = np.array([5.5, -5.5, 5.5, -5.5, 0.0, -0.0, 3.0, -3.0, np.inf, 7.0, 2.0, np.nan],
             np.float32)
b = np.array([2.0, 2.0, -2.0, -2.0, 3.0, 3.0, np.inf, np.inf, 2.0, 0.0, -np.inf, 1.0],
             np.float32)
model = make_model([helper.make_node("Mod", ["a", "b"], ["y"], fmod=0)],
                   [tensor_info("a", [12]), tensor_info("b", [12])],
                   [tensor_info("y", [12])])
with np.errstate(all="ignore"):
    expected_mod = np.mod(a, b)
res.check("Mod float fmod=0", check_expected, model, "Mod float fmod=0",
          {"a": a, "b": b}, {"y": expected_mod})
# Attention: a sliding window (opset 25; causal, and both ways), and a
# padded external cache whose valid lengths (nonpad_kv_seqlen, opset 24)
# come at run time, with causal masking aligned to each batch entry's last
# key.
for attrs in ({"is_causal": 1, "left_window_size": 2},
              {"left_window_size": 1, "right_window_size": 2}):
    model = make_model([helper.make_node("Attention", ["q", "k", "v"], ["y"], **attrs)],
                       [tensor_info("q", [2, 2, 6, 8]), tensor_info("k", [2, 2, 6, 8]),
                        tensor_info("v", [2, 2, 6, 8])], [tensor_info("y", [2, 2, 6, 8])],
                       opset=25)
    res.check(f"Attention window {attrs}", check_against_onnxruntime, model,
              f"Attention window {attrs}")
model = make_model([helper.make_node("Attention", ["q", "k", "v", "", "", "", "n"], ["y"],
                                     is_causal=1, q_num_heads=4, kv_num_heads=2)],
                   [tensor_info("q", [3, 2, 32]), tensor_info("k", [3, 7, 16]),
                    tensor_info("v", [3, 7, 16]), tensor_info("n", [3], TensorProto.INT64)],
                   [tensor_info("y", [3, 2, 32])], opset=24)
feeds = random_inputs(model)
feeds["n"] = np.array([7, 4, 2], np.int64)
res.check("Attention nonpad_kv_seqlen", check_against_onnxruntime, model,
          "Attention nonpad_kv_seqlen", feeds=feeds)
single("DepthToSpace", [[1, 8, 2, 3]], [1, 2, 4, 6], {"blocksize": 2, "mode": "CRD"},
       label="DepthToSpace CRD")
single("DepthToSpace", [[1, 8, 2, 3]], [1, 2, 4, 6], {"blocksize": 2},
       label="DepthToSpace DCR")
single("SpaceToDepth", [[1, 2, 4, 6]], [1, 8, 2, 3], {"blocksize": 2}, label="SpaceToDepth")
single("CumSum", [[3, 4]], [3, 4], {"exclusive": 1, "reverse": 1},
       inits={"axis": np.array(1, np.int64)}, label="CumSum exclusive reverse")
single("CumSum", [[3, 4]], [3, 4], inits={"axis": np.array(0, np.int64)}, label="CumSum")
single("CumProd", [[3, 4]], [3, 4], inits={"axis": np.array(1, np.int64)},
       opset=26, label="CumProd")
single("CumProd", [[5, 3]], [5, 3], {"exclusive": 1, "reverse": 1},
       inits={"axis": np.array(0, np.int64)}, opset=26,
       label="CumProd exclusive reverse")
single("CumProd", [[2, 6]], [2, 6], inits={"axis": np.array(-1, np.int64)},
       opset=26, dtype=TensorProto.INT32, label="CumProd int32")
model = make_model([helper.make_node("OneHot", ["i", "depth", "values"], ["y"], axis=1)],
                   [tensor_info("i", [2, 3], TensorProto.INT64)], [tensor_info("y", [2, 5, 3])],
                   {"depth": np.array(5, np.int64), "values": np.array([-1.0, 2.0], np.float32)})
res.check("OneHot", check_against_onnxruntime, model, "OneHot",
          feeds={"i": np.array([[0, 4, -1], [2, -5, 1]], np.int64)})
model = make_model([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=2)],
                   [tensor_info("x", [2, 4, 3, 3])], [tensor_info("y", [2, 4, 3, 3])],
                   {"s": rng.standard_normal(4).astype(np.float32),
                    "b": rng.standard_normal(4).astype(np.float32)}, opset=21)
res.check("GroupNormalization", check_against_onnxruntime, model, "GroupNormalization")
nn("LRN", [helper.make_node("LRN", ["x"], ["y"], size=3, alpha=1e-3, beta=0.75, bias=2.0)],
   [tensor_info("x", [2, 4, 9, 9])], [tensor_info("y", [2, 4, 9, 9])], feeds={"x": img})
for op, opset in [("RMSNormalization", 23)]:
    model = make_model([helper.make_node(op, ["x", "s"], ["y"], axis=-1)],
                       [tensor_info("x", [2, 5, 8])], [tensor_info("y", [2, 5, 8])],
                       {"s": rng.standard_normal(8).astype(np.float32)}, opset=opset)
    res.check(op, check_against_onnxruntime, model, op)
# Det of a batch of matrices, one of them singular, one needing a row swap
# (a zero pivot), and of 1 x 1 matrices.
mats = rng.standard_normal((3, 2, 4, 4)).astype(np.float32)
mats[0, 1, 3] = mats[0, 1, 0] * 2
mats[1, 0, 0, 0] = 0
single("Det", [[3, 2, 4, 4]], [3, 2], label="Det")
res.check("Det singular", check_against_onnxruntime,
          make_model([helper.make_node("Det", ["x"], ["y"])],
                     [tensor_info("x", [3, 2, 4, 4])], [tensor_info("y", [3, 2])]),
          "Det singular and pivoting", feeds={"x": mats}, atol=1e-5)
single("Det", [[5, 1, 1]], [5], label="Det 1x1")
# Hardmax: along an axis (opset 13), of the input flattened at the axis
# (opset 11), with ties (the first maximum wins).
ties = rng.integers(0, 3, (2, 3, 4)).astype(np.float32)
for opset, axis in ((13, 1), (13, -1), (11, 1)):
    model = make_model([helper.make_node("Hardmax", ["x"], ["y"], axis=axis)],
                       [tensor_info("x", [2, 3, 4])], [tensor_info("y", [2, 3, 4])],
                       opset=opset)
    res.check(f"Hardmax opset {opset} axis {axis}", check_against_onnxruntime,
              model, f"Hardmax opset {opset} axis {axis}", feeds={"x": ties})
for k, dtype in ((0, None), (2, TensorProto.INT32), (-1, TensorProto.FLOAT)):
    attrs = {"k": k} if dtype is None else {"k": k, "dtype": dtype}
    out = dtype or TensorProto.FLOAT
    model = make_model([helper.make_node("EyeLike", ["x"], ["y"], **attrs)],
                       [tensor_info("x", [3, 5])], [tensor_info("y", [3, 5], out)])
    res.check(f"EyeLike k {k}", check_against_onnxruntime, model, f"EyeLike k {k}")
for p, extra, out in ((1, {}, [2, 3, 5, 5]),
                      (2, {"pads": [1, 0, 1, 1], "strides": [2, 1]}, [2, 3, 4, 6]),
                      (3, {"strides": [1, 2]}, [2, 3, 5, 3])):
    model = make_model([helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[3, 2],
                                         p=p, **extra)],
                       [tensor_info("x", [2, 3, 7, 6])], [tensor_info("y", out)],
                       opset=18)
    res.check(f"LpPool p {p}", check_against_onnxruntime, model, f"LpPool p {p}")
for align in (0, 1):
    model = make_model([helper.make_node("AffineGrid", ["theta", "size"], ["grid"],
                                         align_corners=align)],
                       [tensor_info("theta", [2, 2, 3])],
                       [tensor_info("grid", [2, 4, 5, 2])],
                       {"size": np.array([2, 3, 4, 5], np.int64)}, opset=20)
    res.check(f"AffineGrid align {align}", check_against_onnxruntime, model,
              f"AffineGrid align {align}")
# RotaryEmbedding (opset 23): 4-D and 3-D inputs, halves and interleaved
# pairs, a partial rotary dim, with and without position ids.
angles = rng.random((16, 3)).astype(np.float32) * 6
cos_cache, sin_cache = np.cos(angles), np.sin(angles)
for shape, attrs, with_ids in (([2, 4, 5, 8], {"rotary_embedding_dim": 6}, True),
                               ([2, 4, 5, 6], {"interleaved": 1}, True),
                               ([2, 5, 24], {"num_heads": 4}, True),
                               ([2, 4, 5, 6], {"interleaved": 1}, False)):
    inputs = [tensor_info("x", shape), tensor_info("cos", [16, 3] if with_ids else [2, 5, 3]),
              tensor_info("sin", [16, 3] if with_ids else [2, 5, 3])]
    feeds = {"x": rng.standard_normal(shape).astype(np.float32)}
    if with_ids:
        inputs.append(tensor_info("ids", [2, 5], TensorProto.INT64))
        feeds.update(cos=cos_cache, sin=sin_cache, ids=rng.integers(0, 16, (2, 5)))
    else:
        feeds.update(cos=np.cos(angles[:10]).reshape(2, 5, 3),
                     sin=np.sin(angles[:10]).reshape(2, 5, 3))
    names = ["x", "cos", "sin"] + (["ids"] if with_ids else [])
    model = make_model([helper.make_node("RotaryEmbedding", names, ["y"], **attrs)],
                       inputs, [tensor_info("y", shape)], opset=23)
    model.ir_version = 10
    label = f"RotaryEmbedding {len(shape)}-D {attrs}{'' if with_ids else ' no ids'}"
    res.check(label, check_against_onnxruntime, model, label, feeds=feeds)
res.finish()
