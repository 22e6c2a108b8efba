# RUN: %python %s | FileCheck %s
# Weight-only quantized products with one scale per tensor or per column:
# int8 or uint8 weights dequantized just before an f32 MatMul or Gemm, as
# DequantizeLinear (per axis or per tensor, with or without zero points) or
# as a Cast to float times a scale. gcomp-quantized-products keeps the
# codes (the product must become gcomp.matmul_nbits, never a float product
# of dequantized weights) for products of up to 7 rows (decoding's one row,
# a few rows), and the numbers must match onnxruntime at the fp32
# tolerances: K a multiple of the block or not, 3-D activations, a Gemm
# with a transposed weight, alpha and a bias, and a Gemm whose C is [M, N].
# Products of more rows keep a float product (faster there) and must match
# too.
# CHECK: PASS per column int8 zero points, 3-D A
# CHECK: PASS per column int8 zero points, one row
# CHECK: PASS per tensor uint8, K not a multiple of 16
# CHECK: PASS Cast int8 times per-column scale
# CHECK: PASS Cast uint8 times scalar scale, one row
# CHECK: PASS Gemm transposed weight, alpha, bias
# CHECK: PASS Gemm C per row and column
# CHECK: PASS per tensor int8 no zero point, many rows (float)
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

rng = np.random.default_rng(5)
res = Results()


def weights(wtype, shape):
    lo, hi = (-128, 127) if wtype == TensorProto.INT8 else (0, 255)
    np_type = helper.tensor_dtype_to_np_dtype(wtype)
    return rng.integers(lo, hi + 1, shape).astype(np_type), np_type


def dq_matmul(a_shape, k, n, wtype, axis, with_zp):
    """MatMul(a, DequantizeLinear(w [k, n], scale, zp)): per column
    (axis 1, scale [n]) or per tensor (axis None)."""
    w, np_type = weights(wtype, (k, n))
    count = n if axis is not None else 1
    shape = [count] if axis is not None else []
    inits = {"w": w,
             "s": rng.uniform(0.002, 0.02, count).astype(np.float32)
                     .reshape(shape)}
    inputs = ["w", "s"]
    if with_zp:
        inits["z"] = (rng.integers(-20, 20, count) if wtype == TensorProto.INT8
                      else rng.integers(100, 156, count)
                      ).astype(np_type).reshape(shape)
        inputs.append("z")
    attrs = {"axis": axis} if axis is not None else {}
    nodes = [helper.make_node("DequantizeLinear", inputs, ["wf"], **attrs),
             helper.make_node("MatMul", ["a", "wf"], ["y"])]
    return make_model(nodes, [tensor_info("a", a_shape)],
                      [tensor_info("y", a_shape[:-1] + [n])], inits, opset=13)


def cast_matmul(rows, k, n, wtype, per_column):
    """MatMul(a, Cast(w) * scale)."""
    w, _ = weights(wtype, (k, n))
    scale = rng.uniform(0.002, 0.02, n if per_column else 1).astype(np.float32)
    nodes = [helper.make_node("Cast", ["w"], ["wc"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["wc", "s"], ["wf"]),
             helper.make_node("MatMul", ["a", "wf"], ["y"])]
    inits = {"w": w, "s": scale if per_column else scale.reshape([])}
    return make_model(nodes, [tensor_info("a", [rows, k])],
                      [tensor_info("y", [rows, n])], inits)


def dq_gemm(rows, k, n, c_shape, alpha):
    """Gemm(a, DequantizeLinear(w [n, k], scale [n], axis 0), C), trans_b."""
    w, _ = weights(TensorProto.INT8, (n, k))
    inits = {"w": w, "s": rng.uniform(0.002, 0.02, n).astype(np.float32),
             "c": rng.standard_normal(c_shape).astype(np.float32)}
    nodes = [helper.make_node("DequantizeLinear", ["w", "s"], ["wf"], axis=0),
             helper.make_node("Gemm", ["a", "wf", "c"], ["y"], transB=1,
                              alpha=alpha)]
    return make_model(nodes, [tensor_info("a", [rows, k])],
                      [tensor_info("y", [rows, n])], inits, opset=13)


for label, model in {
        "per column int8 zero points, 3-D A":
            dq_matmul([2, 3, 768], 768, 96, TensorProto.INT8, 1, True),
        "per column int8 zero points, one row":
            dq_matmul([1, 512], 512, 200, TensorProto.INT8, 1, True),
        "per tensor uint8, K not a multiple of 16":
            dq_matmul([3, 300], 300, 64, TensorProto.UINT8, None, True),
        "Cast int8 times per-column scale":
            cast_matmul(4, 256, 48, TensorProto.INT8, True),
        "Cast uint8 times scalar scale, one row":
            cast_matmul(1, 200, 33, TensorProto.UINT8, False),
        "Gemm transposed weight, alpha, bias":
            dq_gemm(6, 320, 72, [72], 0.5),
        "Gemm C per row and column":
            dq_gemm(2, 128, 24, [2, 24], 1.0),
}.items():
    res.check(label, check_weight_only_product, label, model)
label = "per tensor int8 no zero point, many rows (float)"
res.check(label, check_weight_only_product, label,
          dq_matmul([70, 384], 384, 130, TensorProto.INT8, None, False),
          packed=False)
res.finish()
