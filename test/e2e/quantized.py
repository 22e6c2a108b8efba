# RUN: %python %s | FileCheck %s
# Quantized models and the ops they are made of, against onnxruntime on the
# same inputs.
#
# Where ONNX defines the integer math exactly (QuantizeLinear,
# DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger,
# QLinearMatMul, QLinearConv, Cast of uint8) the outputs must be identical:
# rtol 0, atol 0. The inputs include exact ties (x / scale = k + 1/2, which
# round to even), values that saturate, and uint8 values above 127, which
# the graph holds in a signless i8. Max, Min, comparisons, Div and Mod of
# uint8/16/32 values above 2^(bits-1) must be exact too.
#
# Whole models: an MLP quantized by onnxruntime.quantization.quantize_dynamic
# and a CNN quantized by quantize_static (QDQ, with a calibration set made
# here), against onnxruntime running the same quantized model node by node
# (graph optimizations off, so it computes what the graph says rather than
# its fused integer kernels). The dynamic MLP must then agree to the bit:
# its integer products are exact and its float steps are the same single
# roundings. The QDQ CNN's float convolutions sum in another order than
# onnxruntime's, so an intermediate that lands within an ulp of a rounding
# boundary may quantize one step apart: the final output may differ by one
# step of its scale in a few elements (at most 2 % of them), never more.
# Against onnxruntime's default session, which fuses the QDQ pairs into
# integer kernels that requantize with one multiplier, at most 5 % may.
# gcomp runs the QDQ convolutions and matmuls on int8 kernels too
# (gcomp-quantized-products): the checks also say that they do.
#
# onnxruntime's QOperator form: the contrib QLinearAdd, QLinearMul,
# QLinearGlobalAveragePool, QLinearAveragePool, QLinearSigmoid,
# QLinearLeakyRelu, QLinearSoftmax, QLinearConcat and QGemm and MaxPool on
# 8-bit integers, each
# alone (computed as onnxruntime's kernels compute them, so they agree to
# the bit today; the check allows one step in 2 % of the elements, where
# float sums in another order may land on the other side of a tie), and a
# residual CNN quantized by quantize_static in that form.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import tempfile

import numpy as np
from gcomp_testing import *
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat,
                                      QuantType, quantize_dynamic,
                                      quantize_static)

MS = "com.microsoft"
rng = np.random.default_rng(21)
res = Results()
U8, I8, I32, F32 = (TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32,
                    TensorProto.FLOAT)


def model_of(nodes, inputs, outputs, inits=(), opset=21, contrib=False):
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              [numpy_helper.from_array(v, k)
                               for k, v in dict(inits).items()])
    opsets = [helper.make_opsetid("", opset)]
    if contrib:
        opsets.append(helper.make_opsetid(MS, 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 10 if opset >= 21 else 8
    return model


def run_gcomp(model, feeds, d, flags=()):
    _, so = compile_model(model, d, extra=flags)
    with gcomp.load(so) as m:
        return m.run(**feeds)


def compare(label, model, feeds, rtol=0.0, atol=0.0, optimized=True,
            flags=()):
    opts = ort.SessionOptions()
    if not optimized:
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    expected = dict(zip(names, sess.run(None, feeds)))
    with tempfile.TemporaryDirectory() as d:
        got = run_gcomp(model, feeds, d, flags)
    for name, ref in expected.items():
        out = got[name]
        assert out.dtype == ref.dtype, f"{name}: {out.dtype} vs {ref.dtype}"
        assert out.shape == ref.shape, f"{name}: {out.shape} vs {ref.shape}"
        if rtol == 0 and atol == 0:
            bad = out != ref
        else:
            bad = ~np.isclose(out, ref, rtol=rtol, atol=atol)
        if bad.any():
            i = tuple(np.argwhere(bad)[0])
            raise AssertionError(f"{name}: {bad.sum()} of {bad.size} differ, "
                                 f"first at {i}: {out[i]} vs {ref[i]}")
    print(f"PASS {label}")


import sys  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import gcomp  # noqa: E402

# --- QuantizeLinear / DequantizeLinear -----------------------------------
# Ties: x / 0.5 = k + 1/2 for x = 0.25 * odd; saturation past +-3 / 0.5.
ties = (np.arange(-40, 41, dtype=np.float32) * 0.25).reshape(1, 81)
x = rng.uniform(-80, 80, (3, 81)).astype(np.float32)
x[0] = ties
for zp_type, zp in ((U8, np.uint8(128)), (I8, np.int8(-3))):
    name = "uint8" if zp_type == U8 else "int8"
    q = model_of([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])],
                 [tensor_info("x", [3, 81])], [tensor_info("y", [3, 81], zp_type)],
                 {"s": np.float32(0.5), "z": np.array(zp)})
    res.check(f"QuantizeLinear {name}", compare, f"QuantizeLinear {name}", q,
              {"x": x})

x = rng.uniform(-4, 4, (2, 4, 5)).astype(np.float32)
q_axis = model_of(
    [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], axis=1)],
    [tensor_info("x", [2, 4, 5])], [tensor_info("y", [2, 4, 5], I8)],
    {"s": np.array([0.01, 0.02, 0.05, 0.1], np.float32),
     "z": np.array([0, -5, 7, 100], np.int8)})
res.check("QuantizeLinear int8 per-axis", compare,
          "QuantizeLinear int8 per-axis", q_axis, {"x": x})

xq = rng.integers(0, 256, (2, 4, 5)).astype(np.uint8)
dq_axis = model_of(
    [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1)],
    [tensor_info("x", [2, 4, 5], U8)], [tensor_info("y", [2, 4, 5])],
    {"s": np.array([0.01, 0.02, 0.05, 0.1], np.float32),
     "z": np.array([0, 128, 255, 3], np.uint8)})
res.check("DequantizeLinear uint8 per-axis", compare,
          "DequantizeLinear uint8 per-axis", dq_axis, {"x": xq})

xi = rng.integers(-2**20, 2**20, (6, 7)).astype(np.int32)
dq_i32 = model_of([helper.make_node("DequantizeLinear", ["x", "s"], ["y"])],
                  [tensor_info("x", [6, 7], I32)], [tensor_info("y", [6, 7])],
                  {"s": np.float32(0.0078125 * 3)})
res.check("DequantizeLinear int32", compare, "DequantizeLinear int32",
          dq_i32, {"x": xi})

x = rng.uniform(-2, 2, (4, 8)).astype(np.float32)
dq_block = model_of(
    [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["y"], axis=1,
                      block_size=3)],
    [tensor_info("x", [4, 8], I8)], [tensor_info("y", [4, 8])],
    {"s": rng.uniform(0.01, 0.1, (4, 3)).astype(np.float32),
     "z": rng.integers(-5, 5, (4, 3)).astype(np.int8)})
res.check("DequantizeLinear int8 blocked", compare,
          "DequantizeLinear int8 blocked", dq_block,
          {"x": rng.integers(-128, 128, (4, 8)).astype(np.int8)})

# --- DynamicQuantizeLinear ----------------------------------------------
dyn = model_of(
    [helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])],
    [tensor_info("x", [4, 33])],
    [tensor_info("y", [4, 33], U8), tensor_info("s", []),
     tensor_info("z", [], U8)])
for lo, hi in ((-1.5, 3.0), (0.5, 4.0), (-7.0, -0.25)):
    res.check(f"DynamicQuantizeLinear [{lo}, {hi}]", compare,
              f"DynamicQuantizeLinear [{lo}, {hi}]", dyn,
              {"x": rng.uniform(lo, hi, (4, 33)).astype(np.float32)})

# --- Cast of uint8 ------------------------------------------------------
cast = model_of(
    [helper.make_node("Cast", ["x"], ["f"], to=F32),
     helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT32),
     helper.make_node("Cast", ["f"], ["back"], to=U8)],
    [tensor_info("x", [256], U8)],
    [tensor_info("f", [256]), tensor_info("i", [256], I32),
     tensor_info("back", [256], U8)])
res.check("Cast uint8", compare, "Cast uint8", cast,
          {"x": np.arange(256).astype(np.uint8)})

# --- Arithmetic whose answer depends on signedness -----------------------
# Values at and above 2^(bits-1), where signed arithmetic on the signless
# graph would go wrong.
for dtype, elem in ((np.uint8, U8), (np.uint16, TensorProto.UINT16),
                    (np.uint32, TensorProto.UINT32)):
    hi = np.iinfo(dtype).max
    a = np.array([hi, hi // 2 + 1, 3, hi - 7, 0, 200], dtype)
    b = np.array([2, hi, hi // 2 + 1, 5, 9, 7], dtype)
    for op in ("Max", "Min", "Less", "Greater", "LessOrEqual", "Div", "Mod"):
        if op in ("Max", "Min") and dtype == np.uint16:
            continue  # (onnxruntime has no uint16 Max / Min kernel)
        out_elem = (TensorProto.BOOL if op in ("Less", "Greater", "LessOrEqual")
                    else elem)
        model = model_of([helper.make_node(op, ["a", "b"], ["y"])],
                         [tensor_info("a", [6], elem), tensor_info("b", [6], elem)],
                         [tensor_info("y", [6], out_elem)], opset=17)
        label = f"{op} {np.dtype(dtype).name}"
        res.check(label, compare, label, model, {"a": a, "b": b})

# --- Integer products ---------------------------------------------------
a = rng.integers(0, 256, (2, 5, 40)).astype(np.uint8)
for b_type, b in ((I8, rng.integers(-128, 128, (40, 24)).astype(np.int8)),
                  (U8, rng.integers(0, 256, (40, 24)).astype(np.uint8))):
    name = "uint8 x " + ("int8" if b_type == I8 else "uint8")
    bz = (rng.integers(-3, 3, 24).astype(np.int8) if b_type == I8
          else rng.integers(120, 136, 24).astype(np.uint8))
    mm = model_of(
        [helper.make_node("MatMulInteger", ["a", "b", "az", "bz"], ["y"])],
        [tensor_info("a", [2, 5, 40], U8)], [tensor_info("y", [2, 5, 24], I32)],
        {"b": b, "az": np.uint8(131), "bz": bz})
    res.check(f"MatMulInteger {name}", compare, f"MatMulInteger {name}", mm,
              {"a": a})

x = rng.integers(0, 256, (1, 4, 9, 9)).astype(np.uint8)
for label, attrs, wshape in (
        ("pads", dict(pads=[1, 1, 1, 1]), (6, 4, 3, 3)),
        ("strides dilations", dict(strides=[2, 2], dilations=[2, 1],
                                   pads=[2, 0, 1, 1]), (6, 4, 3, 3)),
        ("group", dict(group=2, pads=[1, 1, 1, 1]), (6, 2, 3, 3))):
    out = ort.InferenceSession(
        model_of([helper.make_node("ConvInteger", ["x", "w", "xz"], ["y"],
                                   **attrs)],
                 [tensor_info("x", [1, 4, 9, 9], U8)],
                 [helper.make_tensor_value_info("y", I32, None)],
                 {"w": np.zeros(wshape, np.uint8), "xz": np.uint8(100)}
                 ).SerializeToString(),
        providers=["CPUExecutionProvider"]).get_outputs()[0].shape
    conv = model_of(
        [helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"],
                          **attrs)],
        [tensor_info("x", [1, 4, 9, 9], U8)], [tensor_info("y", out, I32)],
        {"w": rng.integers(0, 256, wshape).astype(np.uint8),
         "xz": np.uint8(100), "wz": np.uint8(129)})
    res.check(f"ConvInteger {label}", compare, f"ConvInteger {label}", conv,
              {"x": x})

conv1d = model_of(
    [helper.make_node("ConvInteger", ["x", "w", "xz"], ["y"], pads=[2, 1])],
    [tensor_info("x", [2, 3, 11], U8)], [tensor_info("y", [2, 5, 13], I32)],
    {"w": rng.integers(0, 256, (5, 3, 2)).astype(np.uint8),
     "xz": np.uint8(7)})
res.check("ConvInteger 1-D", compare, "ConvInteger 1-D", conv1d,
          {"x": rng.integers(0, 256, (2, 3, 11)).astype(np.uint8)})

qconv = model_of(
    [helper.make_node("QLinearConv",
                      ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                      ["y"], pads=[1, 1, 1, 1], strides=[1, 2])],
    [tensor_info("x", [1, 4, 9, 9], U8)], [tensor_info("y", [1, 6, 9, 5], U8)],
    {"xs": np.float32(0.05), "xz": np.uint8(120),
     "w": rng.integers(-128, 128, (6, 4, 3, 3)).astype(np.int8),
     "ws": rng.uniform(0.002, 0.01, 6).astype(np.float32),
     "wz": np.zeros(6, np.int8), "ys": np.float32(0.5), "yz": np.uint8(128),
     "b": rng.integers(-2000, 2000, 6).astype(np.int32)})
res.check("QLinearConv per-channel", compare, "QLinearConv per-channel",
          qconv, {"x": x})

qmm = model_of(
    [helper.make_node("QLinearMatMul",
                      ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"])],
    [tensor_info("a", [2, 5, 40], U8)], [tensor_info("y", [2, 5, 24], U8)],
    {"as": np.float32(0.03), "az": np.uint8(127),
     "b": rng.integers(0, 256, (40, 24)).astype(np.uint8),
     "bs": np.float32(0.02), "bz": np.uint8(128), "ys": np.float32(0.7),
     "yz": np.uint8(100)})
res.check("QLinearMatMul uint8", compare, "QLinearMatMul uint8", qmm, {"a": a})

# --- onnxruntime's quantized contrib ops ----------------------------------
bias = rng.standard_normal(24).astype(np.float32)
b8 = rng.integers(-128, 128, (40, 24)).astype(np.int8)
mmf = model_of(
    [helper.make_node("MatMulIntegerToFloat",
                      ["a", "b", "as", "bs", "az", "bz", "bias"], ["y"],
                      domain=MS)],
    [tensor_info("a", [2, 5, 40], U8)], [tensor_info("y", [2, 5, 24])],
    {"b": b8, "as": np.float32(0.03),
     "bs": rng.uniform(0.01, 0.02, 24).astype(np.float32),
     "az": np.uint8(127), "bz": np.zeros(24, np.int8), "bias": bias},
    opset=17, contrib=True)
res.check("MatMulIntegerToFloat", compare, "MatMulIntegerToFloat", mmf,
          {"a": a}, rtol=RTOL, atol=ATOL)
dqmm = model_of(
    [helper.make_node("DynamicQuantizeMatMul", ["a", "b", "bs", "bz", "bias"],
                      ["y"], domain=MS)],
    [tensor_info("a", [2, 5, 40])], [tensor_info("y", [2, 5, 24])],
    {"b": b8, "bs": np.float32(0.015), "bz": np.int8(0), "bias": bias},
    opset=17, contrib=True)
res.check("DynamicQuantizeMatMul", compare, "DynamicQuantizeMatMul", dqmm,
          {"a": rng.uniform(-2, 3, (2, 5, 40)).astype(np.float32)},
          rtol=RTOL, atol=ATOL)

# --- Models quantized by onnxruntime.quantization ------------------------
def mlp():
    # 64 rows and k = 128, 256: whole 32 x 64 blocks for the AMX kernel on
    # CPUs that have it (the VNNI one elsewhere).
    w1 = (rng.standard_normal((128, 256)) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((256, 10)) * 0.1).astype(np.float32)
    return make_model(
        [helper.make_node("MatMul", ["x", "w1"], ["h"]),
         helper.make_node("Add", ["h", "b1"], ["hb"]),
         helper.make_node("Relu", ["hb"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["y"])],
        [tensor_info("x", [64, 128])], [tensor_info("y", [64, 10])],
        {"w1": w1, "w2": w2,
         "b1": rng.standard_normal(256).astype(np.float32) * 0.1})


def cnn():
    def w(*shape):
        return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))
                ).astype(np.float32)
    return make_model(
        [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1] * 4),
         helper.make_node("Relu", ["c1"], ["r1"]),
         helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[1] * 4,
                          strides=[2, 2]),
         helper.make_node("Relu", ["c2"], ["r2"]),
         helper.make_node("GlobalAveragePool", ["r2"], ["p"]),
         helper.make_node("Flatten", ["p"], ["f"]),
         helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], transB=1)],
        [tensor_info("x", [4, 3, 16, 16])], [tensor_info("y", [4, 10])],
        {"w1": w(8, 3, 3, 3), "b1": w(8, 1).ravel(), "w2": w(16, 8, 3, 3),
         "b2": w(16, 1).ravel(), "w3": w(10, 16), "b3": w(10, 1).ravel()})


class Calibration(CalibrationDataReader):
    def __init__(self, n, shape=(4, 3, 16, 16)):
        self.batches = iter([{"x": rng.uniform(-1, 1, shape)
                              .astype(np.float32)} for _ in range(n)])

    def get_next(self):
        return next(self.batches, None)


def check_kernel_kinds(label, model, wanted, absent):
    """`model` compiles to exactly the kernels `wanted` (kind: count) of
    those kinds and none of the kinds `absent` (as gcomp --stats counts
    them)."""
    kinds = gcomp_stats(model)["kernels_by_kind"]
    for kind, n in wanted.items():
        assert kinds.get(kind, 0) == n, f"{kinds}: not {n} {kind}"
    for kind in absent:
        assert kind not in kinds, f"{kinds}: has {kind}"
    print(f"PASS {label} kernels: {kinds}")


def output_step(model):
    """The output's own quantization step: the scale of y's
    DequantizeLinear (that of the last QuantizeLinear before it)."""
    last_dq = [n for n in model.graph.node if n.output[0] == "y"][0]
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return float(inits[last_dq.input[1]])


def check_within_steps(label, model, feeds, step, optimized, most_steps,
                       most_off):
    opts = ort.SessionOptions()
    if not optimized:
        opts.graph_optimization_level = \
            ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
    ref = sess.run(None, feeds)[0]
    with tempfile.TemporaryDirectory() as d:
        got = run_gcomp(model, feeds, d)["y"]
    steps = np.abs(got.astype(np.float64) - ref) / step
    off = int((steps > 1e-3).sum())
    assert steps.max() <= most_steps + 1e-3, f"{steps.max():.3f} steps apart"
    assert off <= most_off * steps.size, f"{off} of {steps.size} differ"
    print(f"PASS {label}: {off} of {steps.size} elements differ, "
          f"by at most {steps.max():.0f} steps")


with tempfile.TemporaryDirectory() as d:
    fp32 = os.path.join(d, "mlp.onnx")
    onnx.save(mlp(), fp32)
    dyn_path = os.path.join(d, "mlp.dyn.onnx")
    quantize_dynamic(fp32, dyn_path, weight_type=QuantType.QInt8)
    dyn_model = onnx.load(dyn_path)
    ops = sorted({n.op_type for n in dyn_model.graph.node})
    assert "MatMulInteger" in ops and "DynamicQuantizeLinear" in ops, ops
    feeds = {"x": rng.uniform(-2, 2, (64, 128)).astype(np.float32)}
    res.check("quantize_dynamic MLP", compare, "quantize_dynamic MLP",
              dyn_model, feeds, optimized=False)
    res.check("quantize_dynamic MLP -O0", compare, "quantize_dynamic MLP -O0",
              dyn_model, feeds, optimized=False, flags=("-O0",))
    # uint8 weights with zero points: W - zw leaves int8, so the kernel
    # multiplies by W shifted into int8 per column and subtracts the
    # shift's share; still bit-identical, and still the int8 kernel.
    dyn_u8_path = os.path.join(d, "mlp.dyn.u8.onnx")
    quantize_dynamic(fp32, dyn_u8_path, weight_type=QuantType.QUInt8)
    dyn_u8 = onnx.load(dyn_u8_path)
    res.check("quantize_dynamic MLP uint8 weights kernels", check_kernel_kinds,
              "quantize_dynamic MLP uint8 weights", dyn_u8, {"qgemm": 2}, [])
    res.check("quantize_dynamic MLP uint8 weights", compare,
              "quantize_dynamic MLP uint8 weights", dyn_u8, feeds,
              optimized=False)

    fp32 = os.path.join(d, "cnn.onnx")
    onnx.save(cnn(), fp32)
    qdq_path = os.path.join(d, "cnn.qdq.onnx")
    quantize_static(fp32, qdq_path, Calibration(16),
                    quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, per_channel=True)
    qdq = onnx.load(qdq_path)
    step = output_step(qdq)
    feeds = {"x": rng.uniform(-1, 1, (4, 3, 16, 16)).astype(np.float32)}
    # Both QDQ convolutions run on the int8 kernel (requantizing in its
    # epilogue), and the Gemm at the end on the int8 product: no float
    # convolution (the CPU's fused conv kernel is "conv") or GEMM is left.
    res.check("quantize_static QDQ CNN kernels", check_kernel_kinds,
              "quantize_static QDQ CNN", qdq, {"qconv": 2, "qgemm": 1},
              ["conv", "sgemm"])
    res.check("quantize_static QDQ CNN", check_within_steps,
              "quantize_static QDQ CNN", qdq, feeds, step, False, 1, 0.02)
    res.check("quantize_static QDQ CNN vs fused", check_within_steps,
              "quantize_static QDQ CNN vs fused", qdq, feeds, step, True,
              1, 0.05)

    # int8 (not uint8) activations: the kernel reads them signed and
    # requantizes into [-128, 127].
    qdq_s8_path = os.path.join(d, "cnn.qdq.s8.onnx")
    quantize_static(fp32, qdq_s8_path, Calibration(16),
                    quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QInt8,
                    weight_type=QuantType.QInt8, per_channel=True)
    qdq_s8 = onnx.load(qdq_s8_path)
    step = output_step(qdq_s8)
    res.check("quantize_static QDQ CNN int8 activations kernels",
              check_kernel_kinds, "quantize_static QDQ CNN int8 activations",
              qdq_s8, {"qconv": 2, "qgemm": 1}, ["conv", "sgemm"])
    res.check("quantize_static QDQ CNN int8 activations", check_within_steps,
              "quantize_static QDQ CNN int8 activations", qdq_s8, feeds, step,
              False, 1, 0.02)

    # A QDQ MLP: its MatMuls run on the int8 product.
    fp32 = os.path.join(d, "mlp.onnx")
    qdq_mlp_path = os.path.join(d, "mlp.qdq.onnx")
    quantize_static(fp32, qdq_mlp_path, Calibration(16, (64, 128)),
                    quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, per_channel=True)
    qdq_mlp = onnx.load(qdq_mlp_path)
    step = output_step(qdq_mlp)
    feeds = {"x": rng.uniform(-1, 1, (64, 128)).astype(np.float32)}
    res.check("quantize_static QDQ MLP kernels", check_kernel_kinds,
              "quantize_static QDQ MLP", qdq_mlp, {"qgemm": 2}, ["sgemm"])
    res.check("quantize_static QDQ MLP", check_within_steps,
              "quantize_static QDQ MLP", qdq_mlp, feeds, step, False, 1, 0.02)
    res.check("quantize_static QDQ MLP vs fused", check_within_steps,
              "quantize_static QDQ MLP vs fused", qdq_mlp, feeds, step, True,
              1, 0.05)


# onnxruntime's QOperator form (quantize_static with QuantFormat.QOperator):
# QLinearConv, and the contrib QLinearAdd, QLinearMul,
# QLinearGlobalAveragePool and QGemm, and MaxPool on uint8. Each op alone
# (uint8 and int8), then a residual CNN quantized that way.
def q8(shape, unsigned=True):
    return (rng.integers(0, 256, shape).astype(np.uint8) if unsigned else
            rng.integers(-128, 128, shape).astype(np.int8))


def qtype(unsigned):
    return TensorProto.UINT8 if unsigned else TensorProto.INT8


def qop_model(node, inputs, out_shape, out_type, inits):
    graph = helper.make_graph(
        [node], "g", inputs, [tensor_info("y", out_shape, out_type)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 13), helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    return model


def check_steps(label, model, feeds, most_steps=1, most_off=0.02):
    """Integer outputs within `most_steps` of onnxruntime's in at most
    `most_off` of the elements (its kernels round the dequantized sums with
    other float operations), float outputs to 1e-5 of their range."""
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    ref = sess.run(None, feeds)[0]
    with tempfile.TemporaryDirectory() as d:
        got = run_gcomp(model, feeds, d)["y"]
    assert got.dtype == ref.dtype and got.shape == ref.shape, \
        f"{got.dtype}{got.shape} vs {ref.dtype}{ref.shape}"
    if ref.dtype == np.float32:
        # QGemm's float output: the exact int32 sums times one multiplier
        # computed as onnxruntime computes it, so only the last rounding
        # may differ.
        np.testing.assert_allclose(got, ref, rtol=1e-5,
                                   atol=1e-5 * np.abs(ref).max())
        print(f"PASS {label}")
        return
    diff = np.abs(got.astype(np.int32) - ref.astype(np.int32))
    off = int((diff > 0).sum())
    assert diff.max() <= most_steps, f"{diff.max()} steps apart"
    assert off <= most_off * diff.size, f"{off} of {diff.size} differ"
    print(f"PASS {label}: {off} of {diff.size} differ")


for unsigned in (True, False):
    t = qtype(unsigned)
    kind = "uint8" if unsigned else "int8"
    zp = (lambda v: np.array(v + 128 if unsigned else v, np.uint8 if unsigned
                             else np.int8))
    for op in ("QLinearAdd", "QLinearMul"):
        model = qop_model(
            helper.make_node(op, ["a", "as", "az", "b", "bs", "bz", "cs", "cz"],
                             ["y"], domain=MS),
            [tensor_info("a", [2, 3, 8], t), tensor_info("b", [3, 1], t)],
            [2, 3, 8], t,
            {"as": np.array(0.05, np.float32), "az": zp(3),
             "bs": np.array(0.02, np.float32), "bz": zp(-7),
             "cs": np.array(0.08 if op == "QLinearAdd" else 0.3, np.float32),
             "cz": zp(1)})
        feeds = {"a": q8((2, 3, 8), unsigned), "b": q8((3, 1), unsigned)}
        res.check(f"{op} {kind}", check_steps, f"{op} {kind}", model, feeds)
    for channels_last in (0, 1):
        shape = [2, 5, 6, 4] if channels_last else [2, 4, 5, 6]
        out = [2, 1, 1, 4] if channels_last else [2, 4, 1, 1]
        model = qop_model(
            helper.make_node("QLinearGlobalAveragePool",
                             ["x", "xs", "xz", "ys", "yz"], ["y"], domain=MS,
                             channels_last=channels_last),
            [tensor_info("x", shape, t)], out, t,
            {"xs": np.array(0.05, np.float32), "xz": zp(-2),
             "ys": np.array(0.03, np.float32), "yz": zp(4)})
        label = f"QLinearGlobalAveragePool {kind} channels_last={channels_last}"
        res.check(label, check_steps, label, model, {"x": q8(shape, unsigned)})
    params = {"xs": np.array(0.05, np.float32), "xz": zp(-2),
              "ys": np.array(0.01, np.float32), "yz": zp(-100)}
    for op, attrs in (("QLinearSigmoid", {}),
                      ("QLinearLeakyRelu", {"alpha": 0.2}),
                      ("QLinearSoftmax", {"axis": -1, "opset": 13})):
        model = qop_model(
            helper.make_node(op, ["x", "xs", "xz", "ys", "yz"], ["y"],
                             domain=MS, **attrs),
            [tensor_info("x", [3, 4, 10], t)], [3, 4, 10], t, params)
        res.check(f"{op} {kind}", check_steps, f"{op} {kind}", model,
                  {"x": q8((3, 4, 10), unsigned)})
    for channels_last in (0, 1):
        shape = [1, 7, 7, 3] if channels_last else [1, 3, 7, 7]
        out = [1, 4, 4, 3] if channels_last else [1, 3, 4, 4]
        model = qop_model(
            helper.make_node("QLinearAveragePool",
                             ["x", "xs", "xz", "ys", "yz"], ["y"], domain=MS,
                             kernel_shape=[3, 3], strides=[2, 2],
                             pads=[1, 1, 1, 1], channels_last=channels_last),
            [tensor_info("x", shape, t)], out, t,
            # Not 0.05 / 0.04: with that ratio (1.25) the averages of 4 or
            # 6 values land exactly on ties (k + 1/2) that one ulp of the
            # window sum's order rounds either way.
            {"xs": np.array(0.05, np.float32), "xz": zp(-2),
             "ys": np.array(0.037, np.float32), "yz": zp(5)})
        label = f"QLinearAveragePool {kind} channels_last={channels_last}"
        res.check(label, check_steps, label, model, {"x": q8(shape, unsigned)})
    model = qop_model(
        helper.make_node("QLinearConcat", ["ys", "yz", "a", "as", "az", "b",
                                           "bs", "bz"], ["y"], domain=MS,
                         axis=1),
        [tensor_info("a", [2, 3, 4], t), tensor_info("b", [2, 5, 4], t)],
        [2, 8, 4], t,
        {"ys": np.array(0.04, np.float32), "yz": zp(0),
         "as": np.array(0.04, np.float32), "az": zp(0),
         "bs": np.array(0.03, np.float32), "bz": zp(9)})
    res.check(f"QLinearConcat {kind}", check_steps, f"QLinearConcat {kind}",
              model, {"a": q8((2, 3, 4), unsigned), "b": q8((2, 5, 4), unsigned)})
    pool = qop_model(
        helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1]),
        [tensor_info("x", [1, 3, 9, 9], t)], [1, 3, 5, 5], t, {})
    res.check(f"MaxPool {kind}", check_steps, f"MaxPool {kind}", pool,
              {"x": q8((1, 3, 9, 9), unsigned)}, 0, 0)

# QGemm: uint8 A by int8 B, per-tensor or per-column B scale, transposed
# operands, an int32 C, a quantized or a float output (float without
# y_zero_point, divided by y_scale where there is one).
for label, trans_a, trans_b, per_column, with_c, quantized_out in (
        ("QGemm transB, C, uint8 out", 0, 1, False, True, True),
        ("QGemm per-column B, float out", 0, 0, True, False, False),
        ("QGemm transA, C, float out", 1, 0, True, True, False),
        ("QGemm y_scale without y_zero_point, float out", 0, 1, True, True,
         "scale only")):
    m, k, n = 5, 24, 7
    a_shape = [k, m] if trans_a else [m, k]
    b_shape = [n, k] if trans_b else [k, n]
    inits = {"as": np.array(0.02, np.float32), "az": np.array(131, np.uint8),
             "b": q8(b_shape, False),
             "bs": (rng.uniform(0.01, 0.03, n) if per_column else
                    np.array(0.02)).astype(np.float32),
             "bz": np.zeros(n if per_column else (), np.int8)}
    inputs = ["a", "as", "az", "b", "bs", "bz"]
    if with_c:
        inits["c"] = rng.integers(-500, 500, n).astype(np.int32)
    inputs.append("c" if with_c else "")
    if quantized_out:
        inits["ys"] = np.array(0.4, np.float32)
        inputs.append("ys")
    if quantized_out is True:
        inits["yz"] = np.array(120, np.uint8)
        inputs.append("yz")
    model = qop_model(
        helper.make_node("QGemm", inputs, ["y"], domain=MS, alpha=0.5,
                         transA=trans_a, transB=trans_b),
        [tensor_info("a", a_shape, TensorProto.UINT8)], [m, n],
        TensorProto.UINT8 if quantized_out is True else TensorProto.FLOAT,
        inits)
    res.check(label, check_steps, label, model,
              {"a": q8(a_shape, True)})

# A residual CNN in the QOperator form: the whole model within one step of
# its output scale of onnxruntime's.
def residual_cnn():
    def w(*shape):
        return (rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))
                ).astype(np.float32)
    return make_model(
        [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1] * 4),
         helper.make_node("Relu", ["c1"], ["r1"]),
         helper.make_node("MaxPool", ["r1"], ["m1"], kernel_shape=[2, 2],
                          strides=[2, 2]),
         helper.make_node("Conv", ["m1", "w2", "b2"], ["c2"], pads=[1] * 4),
         helper.make_node("Relu", ["c2"], ["r2"]),
         helper.make_node("Add", ["r2", "m1"], ["s"]),
         helper.make_node("GlobalAveragePool", ["s"], ["p"]),
         helper.make_node("Flatten", ["p"], ["f"]),
         helper.make_node("Gemm", ["f", "w3", "b3"], ["y"], transB=1)],
        [tensor_info("x", [4, 3, 16, 16])], [tensor_info("y", [4, 10])],
        {"w1": w(8, 3, 3, 3), "b1": w(8, 1).ravel(), "w2": w(8, 8, 3, 3),
         "b2": w(8, 1).ravel(), "w3": w(10, 8), "b3": w(10, 1).ravel()})


with tempfile.TemporaryDirectory() as d:
    fp32 = os.path.join(d, "res.onnx")
    onnx.save(residual_cnn(), fp32)
    qop_path = os.path.join(d, "res.qop.onnx")
    quantize_static(fp32, qop_path, Calibration(16),
                    quant_format=QuantFormat.QOperator,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8, per_channel=True)
    qop = onnx.load(qop_path)
    ops = {(n.domain, n.op_type) for n in qop.graph.node}
    for want in [("", "QLinearConv"), (MS, "QLinearAdd"), ("", "MaxPool"),
                 (MS, "QLinearGlobalAveragePool"), (MS, "QGemm")]:
        assert want in ops, (want, sorted(ops))
    step = output_step(qop)
    feeds = {"x": rng.uniform(-1, 1, (4, 3, 16, 16)).astype(np.float32)}
    res.check("quantize_static QOperator residual CNN", check_within_steps,
              "quantize_static QOperator residual CNN", qop, feeds, step, True,
              1, 0.02)

res.finish()
