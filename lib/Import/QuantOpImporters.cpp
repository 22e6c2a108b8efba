//===- QuantOpImporters.cpp - quantization and integer products -----------===//
//
// ONNX's linear quantization ops and the integer products of quantized
// models, written as the gcomp ops they stand for:
//
//   DequantizeLinear   y = (x - zero_point) * scale, in f32
//   QuantizeLinear     y = saturate(round_half_even(x / scale) + zero_point)
//   MatMulInteger      y = (a - a_zero_point) @ (b - b_zero_point), in i32
//   ConvInteger        the same with a convolution
//   QLinearMatMul/Conv the integer product, requantized by
//                      a_scale * b_scale / y_scale
//   MatMulNBits        (com.microsoft) f32 A times 4- or 8-bit weights
//                      quantized in blocks along K: gcomp.matmul_nbits
//
// The arithmetic follows onnxruntime's CPU kernels step for step (divide,
// not multiply by a reciprocal; one f32 rounding of the requantization
// multiplier), so that the integers come out identical. Integers are
// signless in the graph: NodeContext::isUnsignedInput says which hold
// uint8, and the casts here read them as such.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

Type f32(NodeContext &nc) { return nc.builder.getF32Type(); }
Type i32(NodeContext &nc) { return nc.builder.getI32Type(); }

/// An integer element type a quantized tensor may have, with its range.
struct QuantType {
  Type type;
  bool isUnsigned;
  double lowest() const {
    return isUnsigned ? 0.0
                      : -std::ldexp(1.0, type.getIntOrFloatBitWidth() - 1);
  }
  double highest() const {
    unsigned bits = type.getIntOrFloatBitWidth();
    return std::ldexp(1.0, isUnsigned ? bits : bits - 1) - 1.0;
  }
};

/// Checks that `v` (named `what`) is an 8- or 16-bit integer tensor (or
/// 32-bit with `allow32`).
LogicalResult requireQuantType(NodeContext &nc, Value v, StringRef what,
                               bool allow32 = false) {
  Type t = cast<RankedTensorType>(v.getType()).getElementType();
  unsigned bits = t.isSignlessInteger() ? t.getIntOrFloatBitWidth() : 0;
  if (bits == 8 || bits == 16 || (allow32 && bits == 32))
    return success();
  nc.error() << what << " has element type " << t
             << "; gcomp supports int8, uint8, int16 and uint16"
             << (allow32 ? " and int32" : "") << " here";
  return failure();
}

/// requireQuantType of input `i`.
LogicalResult requireQuantInput(NodeContext &nc, unsigned i, StringRef what,
                                bool allow32 = false) {
  return requireQuantType(nc, nc.inputs[i], what, allow32);
}

LogicalResult requireFloat(NodeContext &nc, unsigned i, StringRef what) {
  if (isa<FloatType>(nc.inputType(i).getElementType()))
    return success();
  nc.error() << what << " must be a float tensor, got " << nc.inputType(i);
  return failure();
}

/// Input `i`, or null when it is absent.
/// An integer operand of a product: its value (null when absent) and
/// whether it holds an unsigned ONNX type.
struct IntOperand {
  Value value;
  bool isUnsigned = false;
};

IntOperand intInput(NodeContext &nc, unsigned i) {
  return {nc.optionalInput(i), nc.isUnsignedInput(i)};
}

/// A scale or zero point `param`, laid out to broadcast against a tensor of
/// type `x`: a scalar (or one-element 1-D) applies to all of it; a 1-D
/// [D] applies along `axis` (per-axis); with `block` > 0 (opset 21+) it has
/// `x`'s rank and dim `axis` of ceil(D / block), and each entry covers
/// `block` consecutive elements along `axis` (gathered out to D).
FailureOr<Value> alongAxis(NodeContext &nc, Value param, RankedTensorType x,
                           int64_t axis, int64_t block, StringRef what) {
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getRank() == 0)
    return param;
  FailureOr<int64_t> ax = nc.normalizeAxis(axis, x.getRank());
  if (failed(ax))
    return failure();
  int64_t d = x.getDimSize(*ax);
  if (block > 0) {
    bool fits = type.getRank() == x.getRank() && !ShapedType::isDynamic(d);
    for (int64_t i = 0; fits && i < x.getRank(); ++i)
      fits = i == *ax ? type.getDimSize(i) == (d + block - 1) / block
                      : type.getDimSize(i) == x.getDimSize(i);
    if (!fits) {
      nc.error() << what << " " << type << " does not block " << x
                 << " by " << block << " along axis " << *ax;
      return failure();
    }
    SmallVector<int64_t> indices;
    for (int64_t i = 0; i < d; ++i)
      indices.push_back(i / block);
    Value idx = ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(
            RankedTensorType::get({d}, nc.builder.getI64Type()),
            ArrayRef(indices)));
    // Not folded here: gcomp-quantized-products reads the blocks of a
    // weight-only quantized matmul's scales and zero points out of it.
    return GatherOp::create(nc.builder, nc.loc, param, idx,
                            nc.builder.getI64IntegerAttr(*ax))
        .getResult();
  }
  if (type.getRank() != 1) {
    nc.error() << what << " must be a scalar or 1-D (per-axis), got " << type
               << " (blocked quantization needs block_size)";
    return failure();
  }
  int64_t n = type.getDimSize(0);
  if (n == 1 && d != 1)
    return nc.reshape(param, {});
  if (n != d) {
    nc.error() << what << " has " << n << " entries but axis " << *ax
               << " of " << x << " has " << d;
    return failure();
  }
  SmallVector<int64_t> shape(x.getRank(), 1);
  shape[*ax] = d;
  return nc.reshape(param, shape);
}

/// `x` (integers) minus `zeroPoint` (may be null), in i32.
Value centered(NodeContext &nc, Value x, bool xUnsigned, Value zeroPoint,
               bool zpUnsigned) {
  Value wide = nc.castTo(x, i32(nc), xUnsigned);
  if (!zeroPoint)
    return wide;
  return bin<SubOp>(nc, wide, nc.castTo(zeroPoint, i32(nc), zpUnsigned));
}

/// round_half_even(v) + zeroPoint (may be null), saturated to `to`: `v`
/// and the result's arithmetic are f32, the result `to`'s integer type.
Value roundToQuant(NodeContext &nc, Value v, Value zeroPoint, bool zpUnsigned,
                   QuantType to) {
  Value q = RoundOp::create(nc.builder, nc.loc, v);
  if (zeroPoint)
    q = bin<AddOp>(nc, q, nc.castTo(zeroPoint, f32(nc), zpUnsigned));
  q = bin<MaxOp>(nc, q, scalar(nc, f32(nc), to.lowest()));
  q = bin<MinOp>(nc, q, scalar(nc, f32(nc), to.highest()));
  // Via i32: the saturated value fits, and a truncation to 8 or 16 bits
  // keeps an unsigned value's bits.
  return nc.castTo(nc.castTo(q, i32(nc)), to.type);
}

/// The node's quantized output type: the zero point's, else output_dtype
/// (opset 21+), else uint8.
FailureOr<QuantType> outputQuantType(NodeContext &nc, unsigned zpInput) {
  if (Value zp = nc.optionalInput(zpInput)) {
    if (failed(requireQuantInput(nc, zpInput, "the zero point")))
      return failure();
    return QuantType{nc.inputType(zpInput).getElementType(),
                     nc.isUnsignedInput(zpInput)};
  }
  int64_t code = nc.intAttr("output_dtype", 0);
  if (!code)
    return QuantType{nc.builder.getI8Type(), true};
  Type t = elementTypeFor(nc.builder.getContext(), code);
  if (!t || !t.isSignlessInteger() || t.getIntOrFloatBitWidth() > 16) {
    nc.error() << "output_dtype " << onnxTypeName(code)
               << " is not supported (int8, uint8, int16, uint16 are)";
    return failure();
  }
  return QuantType{t, isUnsignedOnnxType(code)};
}

/// DequantizeLinear(x, x_scale, x_zero_point?): (x - zp) * scale in f32,
/// returned in the scale's type.
LogicalResult importDequantizeLinear(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) ||
      failed(requireQuantInput(nc, 0, "x", /*allow32=*/true)) ||
      failed(requireFloat(nc, 1, "x_scale")))
    return failure();
  RankedTensorType x = nc.inputType(0);
  Value zp = nc.optionalInput(2);
  if (zp && nc.inputType(2).getElementType() != x.getElementType()) {
    nc.error() << "x_zero_point " << nc.inputType(2)
               << " does not have x's element type " << x.getElementType();
    return failure();
  }
  int64_t axis = nc.intAttr("axis", 1), block = nc.intAttr("block_size", 0);
  FailureOr<Value> scale =
      alongAxis(nc, nc.inputs[1], x, axis, block, "x_scale");
  if (failed(scale))
    return failure();
  if (zp) {
    FailureOr<Value> z = alongAxis(nc, zp, x, axis, block, "x_zero_point");
    if (failed(z))
      return failure();
    zp = *z;
  }
  Value diff = centered(nc, nc.inputs[0], nc.isUnsignedInput(0), zp,
                        nc.isUnsignedInput(0));
  Type outType = nc.inputType(1).getElementType();
  // Built unfolded even for constant weights: gcomp-quantized-products
  // reads the integers and the scale out of `cast(diff) * scale` to run a
  // QDQ model's products on int8 kernels; gcomp-fold-constants folds what
  // it leaves.
  auto diffType = cast<RankedTensorType>(diff.getType());
  Value diffF32 = CastOp::create(nc.builder, nc.loc, diffType.clone(f32(nc)),
                                 diff, false, false);
  Value scaleF32 = nc.castTo(*scale, f32(nc));
  FailureOr<RankedTensorType> yType = inferBroadcastType(
      diffType.clone(f32(nc)), cast<RankedTensorType>(scaleF32.getType()),
      nullptr);
  if (failed(yType))
    return failure();
  Value y = MulOp::create(nc.builder, nc.loc, *yType, diffF32, scaleF32);
  nc.outputs.push_back(nc.castTo(y, outType));
  return success();
}

/// QuantizeLinear(x, y_scale, y_zero_point?).
LogicalResult importQuantizeLinear(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireFloat(nc, 1, "y_scale")))
    return failure();
  RankedTensorType x = nc.inputType(0);
  if (!isa<FloatType>(x.getElementType()) &&
      !x.getElementType().isSignlessInteger(32)) {
    nc.error() << "x must be a float or int32 tensor, got " << x;
    return failure();
  }
  FailureOr<QuantType> to = outputQuantType(nc, 2);
  if (failed(to))
    return failure();
  int64_t axis = nc.intAttr("axis", 1), block = nc.intAttr("block_size", 0);
  FailureOr<Value> scale =
      alongAxis(nc, nc.inputs[1], x, axis, block, "y_scale");
  if (failed(scale))
    return failure();
  Value zp = nc.optionalInput(2);
  if (zp) {
    FailureOr<Value> z = alongAxis(nc, zp, x, axis, block, "y_zero_point");
    if (failed(z))
      return failure();
    zp = *z;
  }
  Value scaled = bin<DivOp>(nc, nc.castTo(nc.inputs[0], f32(nc)),
                            nc.castTo(*scale, f32(nc)));
  nc.outputs.push_back(roundToQuant(nc, scaled, zp, to->isUnsigned, *to));
  nc.setUnsignedOutput(0, to->isUnsigned);
  return success();
}

/// The uint8 scale and zero point onnxruntime's dynamic quantization gives
/// `x` (f32): its range widened to hold 0, over 255 steps.
std::pair<Value, Value> dynamicParams(NodeContext &nc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(type.getRank()));
  auto scalarType = RankedTensorType::get({}, f32(nc));
  Value zero = scalar(nc, f32(nc), 0.0);
  // Over the leading dims first, then the last: the first reduction's
  // inner loop runs along contiguous elements, independent lanes that
  // vectorize, where one loop over all elements would carry a single
  // maximum from each to the next. Max and min are exact in any order.
  auto reduce = [&](auto tag) -> Value {
    using OpT = decltype(tag);
    Value v = x;
    auto over = [&](ArrayRef<int64_t> axes, RankedTensorType to) {
      v = OpT::create(nc.builder, nc.loc, to, v,
                      nc.builder.getDenseI64ArrayAttr(axes),
                      nc.builder.getBoolAttr(false));
    };
    if (all.size() >= 2 && type.hasStaticShape())
      over(ArrayRef(all).drop_back(),
           RankedTensorType::get({type.getShape().back()}, f32(nc)));
    if (!all.empty())
      over(cast<RankedTensorType>(v.getType()).getRank() == 1
               ? ArrayRef<int64_t>{0}
               : ArrayRef<int64_t>(all),
           scalarType);
    return v;
  };
  Value hi = bin<MaxOp>(nc, reduce(ReduceMaxOp()), zero);
  Value lo = bin<MinOp>(nc, reduce(ReduceMinOp()), zero);
  // onnxruntime: scale = max == min ? 1 : (max - min) / 255.
  Value range = bin<SubOp>(nc, hi, lo);
  Value same = bin<EqualOp>(nc, hi, lo);
  Value scale = bin<DivOp>(nc,
                           nc.builder.createOrFold<WhereOp>(
                               nc.loc, scalarType, same,
                               scalar(nc, f32(nc), 1.0), range),
                           scalar(nc, f32(nc), 255.0));
  // zero point = round(clamp(0 - min / scale, 0, 255)).
  Value zp = bin<SubOp>(nc, zero, bin<DivOp>(nc, lo, scale));
  QuantType u8{nc.builder.getI8Type(), true};
  return {scale, roundToQuant(nc, zp, nullptr, false, u8)};
}

/// DynamicQuantizeLinear(x) -> (y uint8, y_scale, y_zero_point uint8).
LogicalResult importDynamicQuantizeLinear(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  if (!nc.inputType(0).getElementType().isF32()) {
    nc.error() << "x must be a float32 tensor, got " << nc.inputType(0);
    return failure();
  }
  auto [scale, zp] = dynamicParams(nc, nc.inputs[0]);
  QuantType u8{nc.builder.getI8Type(), true};
  Value y = roundToQuant(nc, bin<DivOp>(nc, nc.inputs[0], scale), zp,
                         /*zpUnsigned=*/true, u8);
  nc.outputs.append({y, scale, zp});
  nc.setUnsignedOutput(0, true);
  nc.setUnsignedOutput(1, false);
  nc.setUnsignedOutput(2, true);
  return success();
}

/// (a - a_zp) @ (b - b_zp) in i32. a_zp is a scalar or one per row of a
/// ([M]), b_zp a scalar or one per column of b ([N]).
FailureOr<Value> integerMatMul(NodeContext &nc, IntOperand a, IntOperand b,
                               IntOperand aZp, IntOperand bZp) {
  if (failed(requireQuantType(nc, a.value, "A")) ||
      failed(requireQuantType(nc, b.value, "B")))
    return failure();
  auto shifted = [&](IntOperand x, IntOperand zero,
                     bool perRow) -> FailureOr<Value> {
    Value zp = zero.value;
    if (zp) {
      if (failed(requireQuantType(nc, zp, "the zero point")))
        return failure();
      auto zpType = cast<RankedTensorType>(zp.getType());
      auto xType = cast<RankedTensorType>(x.value.getType());
      if (zpType.getRank() == 1 && zpType.getDimSize(0) != 1) {
        // Per row of A: [M] -> [M, 1]; per column of B: [N] as is.
        int64_t dim = xType.getRank() < 2 ? -1
                      : perRow            ? xType.getDimSize(xType.getRank() - 2)
                                          : xType.getDimSize(xType.getRank() - 1);
        if (dim != zpType.getDimSize(0)) {
          nc.error() << "zero point " << zpType << " matches neither a "
                     << (perRow ? "row" : "column") << " count of " << xType
                     << " nor a scalar";
          return failure();
        }
        if (perRow)
          zp = nc.reshape(zp, {dim, 1});
      } else if (zpType.getNumElements() == 1) {
        zp = nc.reshape(zp, {});
      } else {
        nc.error() << "zero point " << zpType
                   << " must be a scalar or 1-D";
        return failure();
      }
    }
    return centered(nc, x.value, x.isUnsigned, zp, zero.isUnsigned);
  };
  FailureOr<Value> lhs = shifted(a, aZp, true), rhs = shifted(b, bZp, false);
  if (failed(lhs) || failed(rhs))
    return failure();
  FailureOr<RankedTensorType> type = inferMatMulType(
      cast<RankedTensorType>(lhs->getType()),
      cast<RankedTensorType>(rhs->getType()), nc.errorFn());
  if (failed(type))
    return failure();
  return Value(MatMulOp::create(nc.builder, nc.loc, *type, *lhs, *rhs));
}

/// MatMulInteger(A, B, a_zero_point?, b_zero_point?) -> int32.
LogicalResult importMatMulInteger(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  FailureOr<Value> y = integerMatMul(nc, intInput(nc, 0), intInput(nc, 1),
                                     intInput(nc, 2), intInput(nc, 3));
  if (failed(y))
    return failure();
  nc.outputs.push_back(*y);
  nc.setUnsignedOutput(0, false);
  return success();
}

/// (x - x_zp) conv (w - w_zp) in i32; w_zp is a scalar or one per output
/// channel. Padding after the shift is zero, which is what ONNX's padding
/// with the zero point means.
FailureOr<Value> integerConv(NodeContext &nc, unsigned x, unsigned w,
                             unsigned xZp, unsigned wZp, Value bias) {
  if (failed(requireQuantInput(nc, x, "x")) ||
      failed(requireQuantInput(nc, w, "w")))
    return failure();
  Value xz = nc.optionalInput(xZp), wz = nc.optionalInput(wZp);
  if (xz) {
    if (failed(requireQuantInput(nc, xZp, "x_zero_point")))
      return failure();
    if (cast<RankedTensorType>(xz.getType()).getNumElements() != 1) {
      nc.error() << "x_zero_point must be a scalar, got " << xz.getType();
      return failure();
    }
    xz = nc.reshape(xz, {});
  }
  if (wz) {
    if (failed(requireQuantInput(nc, wZp, "w_zero_point")))
      return failure();
    FailureOr<Value> z = alongAxis(nc, wz, nc.inputType(w), 0, 0,
                                   "w_zero_point");
    if (failed(z))
      return failure();
    wz = *z;
  }
  Value in = centered(nc, nc.inputs[x], nc.isUnsignedInput(x), xz,
                      nc.isUnsignedInput(xZp));
  Value weights = centered(nc, nc.inputs[w], nc.isUnsignedInput(w), wz,
                           nc.isUnsignedInput(wZp));
  FailureOr<Value> conv = convolve(nc, in, weights, nullptr);
  if (failed(conv) || !bias)
    return conv;
  // The int32 bias [M] along the channels.
  auto type = cast<RankedTensorType>(conv->getType());
  FailureOr<Value> b = alongAxis(nc, bias, type, 1, 0, "the bias");
  if (failed(b))
    return failure();
  return bin<AddOp>(nc, *conv, *b);
}

/// ConvInteger(x, w, x_zero_point?, w_zero_point?) -> int32.
LogicalResult importConvInteger(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  FailureOr<Value> y = integerConv(nc, 0, 1, 2, 3, nullptr);
  if (failed(y))
    return failure();
  nc.outputs.push_back(*y);
  nc.setUnsignedOutput(0, false);
  return success();
}

/// acc (i32) requantized: round(f32(acc) * multiplier) + y_zp, saturated.
/// The multiplier is a_scale * b_scale / y_scale in f32, as onnxruntime
/// computes it; `perChannel` lays a 1-D b_scale along `channelAxis`.
FailureOr<Value> requantize(NodeContext &nc, Value acc, unsigned aScale,
                            unsigned bScale, unsigned yScale, unsigned yZp,
                            int64_t channelAxis) {
  for (unsigned i : {aScale, bScale, yScale})
    if (failed(requireFloat(nc, i, "a scale")))
      return failure();
  FailureOr<QuantType> to = outputQuantType(nc, yZp);
  if (failed(to))
    return failure();
  auto accType = cast<RankedTensorType>(acc.getType());
  auto asF32 = [&](unsigned i) -> FailureOr<Value> {
    Value v = nc.castTo(nc.inputs[i], f32(nc));
    return alongAxis(nc, v, accType, channelAxis, 0, "a scale");
  };
  FailureOr<Value> as = asF32(aScale), bs = asF32(bScale), ys = asF32(yScale);
  if (failed(as) || failed(bs) || failed(ys))
    return failure();
  Value multiplier = bin<DivOp>(nc, bin<MulOp>(nc, *as, *bs), *ys);
  Value scaled = bin<MulOp>(nc, nc.castTo(acc, f32(nc)), multiplier);
  Value zp = nc.optionalInput(yZp);
  if (zp && cast<RankedTensorType>(zp.getType()).getNumElements() == 1)
    zp = nc.reshape(zp, {});
  return roundToQuant(nc, scaled, zp, to->isUnsigned, *to);
}

/// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp).
LogicalResult importQLinearMatMul(NodeContext &nc) {
  if (failed(nc.requireInputs(8)))
    return failure();
  FailureOr<Value> acc = integerMatMul(nc, intInput(nc, 0), intInput(nc, 3),
                                       intInput(nc, 2), intInput(nc, 5));
  if (failed(acc))
    return failure();
  int64_t rank = cast<RankedTensorType>(acc->getType()).getRank();
  FailureOr<Value> y = requantize(nc, *acc, 1, 4, 6, 7, rank - 1);
  if (failed(y))
    return failure();
  nc.outputs.push_back(*y);
  nc.setUnsignedOutput(0, nc.isUnsignedInput(7));
  return success();
}

/// QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?).
LogicalResult importQLinearConv(NodeContext &nc) {
  if (failed(nc.requireInputs(8)))
    return failure();
  Value bias = nc.optionalInput(8);
  if (bias && !nc.inputType(8).getElementType().isSignlessInteger(32)) {
    nc.error() << "B must be an int32 tensor, got " << nc.inputType(8);
    return failure();
  }
  FailureOr<Value> acc = integerConv(nc, 0, 3, 2, 5, bias);
  if (failed(acc))
    return failure();
  FailureOr<Value> y = requantize(nc, *acc, 1, 4, 6, 7, 1);
  if (failed(y))
    return failure();
  nc.outputs.push_back(*y);
  nc.setUnsignedOutput(0, nc.isUnsignedInput(7));
  return success();
}

/// f32(acc) * (a_scale * b_scale) (+ bias): onnxruntime's
/// MatMulIntegerToFloat, with b_scale a scalar or one per column.
FailureOr<Value> integerToFloat(NodeContext &nc, Value acc, Value aScale,
                                unsigned bScale, Value bias) {
  auto accType = cast<RankedTensorType>(acc.getType());
  FailureOr<Value> bs = alongAxis(nc, nc.castTo(nc.inputs[bScale], f32(nc)),
                                  accType, accType.getRank() - 1, 0,
                                  "b_scale");
  if (failed(bs))
    return failure();
  Value y = bin<MulOp>(nc, nc.castTo(acc, f32(nc)),
                       bin<MulOp>(nc, nc.castTo(aScale, f32(nc)), *bs));
  return bias ? bin<AddOp>(nc, y, bias) : y;
}

/// MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zp?, b_zp?, bias?)
/// (com.microsoft).
LogicalResult importMatMulIntegerToFloat(NodeContext &nc) {
  if (failed(nc.requireInputs(4)) || failed(requireFloat(nc, 2, "a_scale")) ||
      failed(requireFloat(nc, 3, "b_scale")))
    return failure();
  FailureOr<Value> acc = integerMatMul(nc, intInput(nc, 0), intInput(nc, 1),
                                       intInput(nc, 4), intInput(nc, 5));
  if (failed(acc))
    return failure();
  FailureOr<Value> y =
      integerToFloat(nc, *acc, nc.inputs[2], 3, nc.optionalInput(6));
  if (failed(y))
    return failure();
  nc.outputs.push_back(*y);
  return success();
}

/// DynamicQuantizeMatMul(A, B, b_scale, b_zp?, bias?) (com.microsoft): A
/// quantized to uint8 as DynamicQuantizeLinear does, then
/// MatMulIntegerToFloat.
LogicalResult importDynamicQuantizeMatMul(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(requireFloat(nc, 2, "b_scale")))
    return failure();
  if (!nc.inputType(0).getElementType().isF32()) {
    nc.error() << "A must be a float32 tensor, got " << nc.inputType(0);
    return failure();
  }
  auto [scale, zp] = dynamicParams(nc, nc.inputs[0]);
  QuantType u8{nc.builder.getI8Type(), true};
  Value a = roundToQuant(nc, bin<DivOp>(nc, nc.inputs[0], scale), zp, true, u8);
  FailureOr<Value> acc = integerMatMul(nc, {a, true}, intInput(nc, 1),
                                       {zp, true}, intInput(nc, 3));
  if (failed(acc))
    return failure();
  FailureOr<Value> y =
      integerToFloat(nc, *acc, scale, 2, nc.optionalInput(4));
  if (failed(y))
    return failure();
  nc.outputs.push_back(*y);
  return success();
}

/// MatMulNBits(A, B, scales, zero_points?, g_idx?, bias?) (com.microsoft):
/// A times weights quantized in blocks along K, which gcomp.matmul_nbits
/// reads packed. accuracy_level is a permission to compute with less
/// precision that gcomp does not take: every level is computed in f32.
LogicalResult importMatMulNBits(NodeContext &nc) {
  if (failed(nc.requireInputs(3)))
    return failure();
  auto need = [&](StringRef name) -> FailureOr<int64_t> {
    if (!nc.attr(name)) {
      nc.error() << "needs the attribute " << name;
      return failure();
    }
    return nc.intAttr(name, 0);
  };
  FailureOr<int64_t> kAttr = need("K"), nAttr = need("N"),
                     blockAttr = need("block_size");
  if (failed(kAttr) || failed(nAttr) || failed(blockAttr))
    return failure();
  int64_t k = *kAttr, n = *nAttr, blockSize = *blockAttr,
          bits = nc.intAttr("bits", 4);
  if (bits != 4 && bits != 8) {
    nc.error() << "bits=" << bits << " is not supported (4 and 8 are)";
    return failure();
  }
  if (blockSize < 16 || !llvm::isPowerOf2_64(blockSize)) {
    nc.error() << "block_size must be a power of two, at least 16, got "
               << blockSize;
    return failure();
  }
  for (unsigned i = 0; i < nc.inputs.size(); ++i)
    if (nc.inputs[i] && !nc.inputType(i).hasStaticShape()) {
      nc.error() << "input " << i << " has a dynamic shape "
                 << nc.inputType(i);
      return failure();
    }
  RankedTensorType a = nc.inputType(0);
  if (!a.getElementType().isF32()) {
    nc.error() << "supports float32 A, got " << a
               << " (float16 and bfloat16 are not supported yet)";
    return failure();
  }
  if (a.getRank() < 1 || a.getShape().back() != k || k <= 0 || n <= 0) {
    nc.error() << "A " << a << " must have K = " << k << " as its last dim";
    return failure();
  }
  int64_t blocks = (k + blockSize - 1) / blockSize,
          blobBytes = blockSize * bits / 8;
  RankedTensorType b = nc.inputType(1);
  if (!b.getElementType().isInteger(8) || !nc.isUnsignedInput(1) ||
      b.getNumElements() != n * blocks * blobBytes) {
    nc.error() << "B must be uint8 [" << n << ", " << blocks << ", "
               << blobBytes << "] for K = " << k << ", N = " << n
               << ", block_size = " << blockSize << ", bits = " << bits
               << "; got " << b;
    return failure();
  }
  Value weights = nc.reshape(nc.inputs[1], {n, blocks, blobBytes});
  RankedTensorType scaleType = nc.inputType(2);
  if (!scaleType.getElementType().isF32() ||
      scaleType.getNumElements() != n * blocks) {
    nc.error() << "scales must be float32 with N * blocks = " << n * blocks
               << " entries, got " << scaleType;
    return failure();
  }
  Value scales = nc.reshape(nc.inputs[2], {n, blocks});
  Value zeroPoints;
  if (Value zp = nc.optionalInput(3)) {
    RankedTensorType zpType = nc.inputType(3);
    if (zpType.getElementType().isF32() &&
        zpType.getNumElements() == n * blocks) {
      zeroPoints = nc.reshape(zp, {n, blocks});
    } else if (zpType.getElementType().isInteger(8) &&
               nc.isUnsignedInput(3)) {
      // Packed like the codes: each column's zero points in
      // ceil(blocks * bits / 8) bytes, low bits first.
      int64_t rowBytes = (blocks * bits + 7) / 8;
      auto dense = dyn_cast_or_null<DenseElementsAttr>(nc.constantInput(3));
      if (zpType.getNumElements() != n * rowBytes) {
        nc.error() << "packed uint8 zero_points must have N * "
                   << "ceil(blocks * bits / 8) = " << n * rowBytes
                   << " entries, got " << zpType;
        return failure();
      }
      if (!dense) {
        nc.error() << "packed uint8 zero_points must be an initializer";
        return failure();
      }
      SmallVector<uint8_t> packed;
      for (APInt v : dense.getValues<APInt>())
        packed.push_back(static_cast<uint8_t>(v.getZExtValue()));
      SmallVector<float> unpacked;
      for (int64_t col = 0; col < n; ++col)
        for (int64_t blk = 0; blk < blocks; ++blk) {
          uint8_t byte = packed[col * rowBytes + blk * bits / 8];
          unpacked.push_back(bits == 8 ? byte
                                       : (blk & 1 ? byte >> 4 : byte & 15));
        }
      zeroPoints = ConstantOp::create(
          nc.builder, nc.loc,
          DenseElementsAttr::get(RankedTensorType::get({n, blocks}, f32(nc)),
                                 ArrayRef(unpacked)));
    } else {
      nc.error() << "zero_points must be packed uint8 or float32 [N * "
                 << "blocks], got " << zpType;
      return failure();
    }
  }
  if (nc.optionalInput(4)) {
    // g_idx maps each k to its block; only the identity map (k /
    // block_size), which exporters write when they write it at all, is
    // supported.
    auto dense = dyn_cast_or_null<DenseElementsAttr>(nc.constantInput(4));
    bool identity = dense && dense.getNumElements() == k;
    if (identity) {
      int64_t p = 0;
      for (APInt v : dense.getValues<APInt>())
        identity &= v.getSExtValue() == p++ / blockSize;
    }
    if (!identity) {
      nc.error() << "g_idx (a reordering of K) is not supported";
      return failure();
    }
  }
  Value bias = nc.optionalInput(5);
  if (bias && (!nc.inputType(5).getElementType().isF32() ||
               nc.inputType(5).getShape() != ArrayRef(n))) {
    nc.error() << "bias must be float32 [" << n << "], got "
               << nc.inputType(5);
    return failure();
  }
  SmallVector<int64_t> shape(a.getShape().drop_back());
  shape.push_back(n);
  nc.outputs.push_back(MatMulNBitsOp::create(
      nc.builder, nc.loc, RankedTensorType::get(shape, f32(nc)), nc.inputs[0],
      weights, scales, zeroPoints, bias, nc.builder.getI64IntegerAttr(bits),
      nc.builder.getI64IntegerAttr(blockSize)));
  return success();
}

/// Input `i`, a scale or zero point that must hold one value, as a
/// rank-0 tensor.
FailureOr<Value> perTensorInput(NodeContext &nc, unsigned i, StringRef what) {
  Value v = nc.optionalInput(i);
  if (!v)
    return Value();
  if (!nc.inputType(i).hasStaticShape() ||
      nc.inputType(i).getNumElements() != 1) {
    nc.error() << what << " must hold one value (per-tensor), got "
               << nc.inputType(i);
    return failure();
  }
  return nc.reshape(v, {});
}

/// (x - zp) * scale in f32 for inputs x, scale and zp (absent: 0), each
/// scale and zero point one value.
FailureOr<Value> dequantizedInput(NodeContext &nc, unsigned x, unsigned scale,
                                  unsigned zp) {
  if (failed(requireQuantInput(nc, x, "a quantized input")) ||
      failed(requireFloat(nc, scale, "a scale")))
    return failure();
  FailureOr<Value> s = perTensorInput(nc, scale, "a scale"),
                   z = perTensorInput(nc, zp, "a zero point");
  if (failed(s) || failed(z))
    return failure();
  Value diff = centered(nc, nc.inputs[x], nc.isUnsignedInput(x), *z,
                        nc.isUnsignedInput(zp));
  return bin<MulOp>(nc, nc.castTo(diff, f32(nc)), nc.castTo(*s, f32(nc)));
}

/// The type of a QOperator node's quantized output: its zero point's, or
/// without one, input `likeInput`'s (onnxruntime's ops keep the input's
/// type).
FailureOr<QuantType> outputQuantTypeLike(NodeContext &nc, unsigned zpInput,
                                         unsigned likeInput) {
  if (nc.optionalInput(zpInput))
    return outputQuantType(nc, zpInput);
  if (failed(requireQuantInput(nc, likeInput, "a quantized input")))
    return failure();
  return QuantType{nc.inputType(likeInput).getElementType(),
                   nc.isUnsignedInput(likeInput)};
}

/// The inputs `required` must be present (the others may be omitted).
LogicalResult requirePresent(NodeContext &nc,
                             std::initializer_list<unsigned> required) {
  for (unsigned i : required)
    if (failed(nc.requiredInput(i)))
      return failure();
  return success();
}

/// `v` (f32) quantized with the scale and zero point inputs `scale` and
/// `zp` (per-tensor; without a zero point, of input `likeInput`'s type) as
/// the node's output 0.
LogicalResult quantizedOutput(NodeContext &nc, Value v, unsigned scale,
                              unsigned zp, unsigned likeInput) {
  if (failed(requireFloat(nc, scale, "y_scale")))
    return failure();
  FailureOr<QuantType> to = outputQuantTypeLike(nc, zp, likeInput);
  FailureOr<Value> s = perTensorInput(nc, scale, "y_scale"),
                   z = perTensorInput(nc, zp, "y_zero_point");
  if (failed(to) || failed(s) || failed(z))
    return failure();
  Value scaled = bin<DivOp>(nc, v, nc.castTo(*s, f32(nc)));
  nc.outputs.push_back(roundToQuant(nc, scaled, *z, to->isUnsigned, *to));
  nc.setUnsignedOutput(0, to->isUnsigned);
  return success();
}

/// QLinearAdd / QLinearMul (com.microsoft), onnxruntime's QOperator form
/// of a quantized Add / Mul: (A, A_scale, A_zp, B, B_scale, B_zp, C_scale,
/// C_zp?), all per tensor. Computed as onnxruntime's kernels do, so that
/// ties round alike: C's zero point is added before rounding (half to
/// even), Add as (a - a_zp) * (A_scale / C_scale) + (b - b_zp) * (B_scale /
/// C_scale) + C_zp, Mul as (a - a_zp) * (b - b_zp) * (A_scale * B_scale /
/// C_scale) + C_zp.
template <typename OpT>
LogicalResult importQLinearBinary(NodeContext &nc) {
  if (failed(requirePresent(nc, {0, 1, 3, 4, 6})))
    return failure();
  for (unsigned i : {0u, 3u})
    if (failed(requireQuantInput(nc, i, i ? "B" : "A")))
      return failure();
  for (unsigned i : {1u, 4u, 6u})
    if (failed(requireFloat(nc, i, "a scale")))
      return failure();
  FailureOr<QuantType> to = outputQuantTypeLike(nc, 7, 0);
  FailureOr<Value> as = perTensorInput(nc, 1, "A_scale"),
                   az = perTensorInput(nc, 2, "A_zero_point"),
                   bs = perTensorInput(nc, 4, "B_scale"),
                   bz = perTensorInput(nc, 5, "B_zero_point"),
                   cs = perTensorInput(nc, 6, "C_scale"),
                   cz = perTensorInput(nc, 7, "C_zero_point");
  if (failed(to) || failed(as) || failed(az) || failed(bs) || failed(bz) ||
      failed(cs) || failed(cz))
    return failure();
  auto f = [&](Value v) { return nc.castTo(v, f32(nc)); };
  auto shifted = [&](unsigned x, Value zp, unsigned zpInput) {
    return f(centered(nc, nc.inputs[x], nc.isUnsignedInput(x), zp,
                      nc.isUnsignedInput(zpInput)));
  };
  Value a = shifted(0, *az, 2), b = shifted(3, *bz, 5);
  FailureOr<Value> v;
  if constexpr (std::is_same_v<OpT, AddOp>) {
    FailureOr<Value> sum = broadcastBinary<AddOp>(
        nc, bin<MulOp>(nc, a, bin<DivOp>(nc, f(*as), f(*cs))),
        bin<MulOp>(nc, b, bin<DivOp>(nc, f(*bs), f(*cs))));
    v = sum;
  } else {
    FailureOr<Value> product = broadcastBinary<MulOp>(nc, a, b);
    if (succeeded(product))
      v = bin<MulOp>(nc, *product,
                     bin<DivOp>(nc, bin<MulOp>(nc, f(*as), f(*bs)), f(*cs)));
    else
      v = product;
  }
  if (failed(v))
    return failure();
  Value y = *v;
  if (*cz)
    y = bin<AddOp>(nc, y, nc.castTo(*cz, f32(nc), nc.isUnsignedInput(7)));
  nc.outputs.push_back(roundToQuant(nc, y, Value(), false, *to));
  nc.setUnsignedOutput(0, to->isUnsigned);
  return success();
}

/// QLinearGlobalAveragePool (com.microsoft): (X, x_scale, x_zp, y_scale,
/// y_zp) with `channels_last`: the mean over the spatial dims of the
/// dequantized X, quantized with y's scale and zero point (the spatial dims
/// kept as 1).
LogicalResult importQLinearGlobalAveragePool(NodeContext &nc) {
  if (failed(requirePresent(nc, {0, 1, 3})))
    return failure();
  FailureOr<Value> x = dequantizedInput(nc, 0, 1, 2);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  if (type.getRank() < 3 || !type.hasStaticShape()) {
    nc.error() << "expects a static input of rank 3 or more, got "
               << nc.inputType(0);
    return failure();
  }
  bool channelsLast = nc.intAttr("channels_last", 0) != 0;
  SmallVector<int64_t> axes, shape(type.getShape());
  for (int64_t d = channelsLast ? 1 : 2,
               end = channelsLast ? type.getRank() - 1 : type.getRank();
       d < end; ++d) {
    axes.push_back(d);
    shape[d] = 1;
  }
  Value mean = ReduceMeanOp::create(nc.builder, nc.loc, type.clone(shape), *x,
                                    nc.builder.getDenseI64ArrayAttr(axes),
                                    nc.builder.getBoolAttr(true));
  return quantizedOutput(nc, mean, 3, 4, 0);
}

/// onnxruntime's QOperator forms of float ops (QLinearSigmoid,
/// QLinearLeakyRelu, QLinearSoftmax, QLinearAveragePool): (X, X_scale,
/// X_zp, Y_scale, Y_zp) with the float op's attributes. X is dequantized,
/// the float op's importer runs on it with the node's attributes (as
/// `opset` of the default domain), and the result is quantized with Y's
/// parameters. `channelsLast` nodes (NHWC) are transposed around it.
LogicalResult throughFloat(NodeContext &nc, StringRef floatOp, int64_t opset,
                           bool channelsLast = false) {
  if (failed(requirePresent(nc, {0, 1, 3})))
    return failure();
  FailureOr<Value> x = dequantizedInput(nc, 0, 1, 2);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  SmallVector<int64_t> toFirst, toLast;
  if (channelsLast) {
    if (rank < 3) {
      nc.error() << "channels_last needs an input of rank 3 or more, got "
                 << nc.inputType(0);
      return failure();
    }
    // [N, spatial..., C] -> [N, C, spatial...] and back.
    toFirst = {0, rank - 1};
    toLast = {0};
    for (int64_t d = 1; d < rank - 1; ++d) {
      toFirst.push_back(d);
      toLast.push_back(d + 1);
    }
    toLast.push_back(1);
    x = transposed(nc, *x, toFirst);
  }
  // The float importer sees one input and the node's attributes.
  SmallVector<Value> quantizedInputs = std::move(nc.inputs);
  int64_t contribOpset = nc.opset;
  nc.inputs = {*x};
  nc.opset = opset;
  LogicalResult imported = opImporters().lookup(floatOp)(nc);
  nc.inputs = std::move(quantizedInputs);
  nc.opset = contribOpset;
  if (failed(imported) || nc.outputs.size() != 1)
    return failure();
  Value y = nc.outputs.pop_back_val();
  if (channelsLast)
    y = transposed(nc, y, toLast);
  return quantizedOutput(nc, y, 3, 4, 0);
}

LogicalResult importQLinearSigmoid(NodeContext &nc) {
  return throughFloat(nc, "Sigmoid", 13);
}

LogicalResult importQLinearLeakyRelu(NodeContext &nc) {
  return throughFloat(nc, "LeakyRelu", 16);
}

/// QLinearSoftmax's `opset` attribute says which Softmax it is (before 13:
/// of the input flattened at `axis`).
LogicalResult importQLinearSoftmax(NodeContext &nc) {
  int64_t opset = nc.intAttr("opset", 0);
  if (opset < 1) {
    nc.error() << "needs the opset attribute (the Softmax it quantizes)";
    return failure();
  }
  return throughFloat(nc, "Softmax", opset);
}

LogicalResult importQLinearAveragePool(NodeContext &nc) {
  return throughFloat(nc, "AveragePool", 11,
                      nc.intAttr("channels_last", 0) != 0);
}

/// QLinearConcat (com.microsoft): (Y_scale, Y_zp, then X, X_scale, X_zp for
/// each input) with `axis`: the inputs dequantized, concatenated and
/// quantized with Y's parameters.
LogicalResult importQLinearConcat(NodeContext &nc) {
  unsigned count = static_cast<unsigned>(nc.inputs.size());
  if (count < 5 || (count - 2) % 3 != 0) {
    nc.error() << "expects Y_scale, Y_zero_point and (X, X_scale, "
                  "X_zero_point) triples, got "
               << count << " inputs";
    return failure();
  }
  if (failed(nc.requireInputs(count)))
    return failure();
  SmallVector<Value> parts;
  SmallVector<Type> types;
  for (unsigned i = 2; i < count; i += 3) {
    FailureOr<Value> x = dequantizedInput(nc, i, i + 1, i + 2);
    if (failed(x))
      return failure();
    parts.push_back(*x);
    types.push_back(x->getType());
  }
  auto first = cast<RankedTensorType>(parts.front().getType());
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.intAttr("axis", 0), first.getRank());
  if (failed(axis))
    return failure();
  FailureOr<RankedTensorType> type =
      inferConcatType(TypeRange(types), *axis, nc.errorFn());
  if (failed(type))
    return failure();
  Value y = ConcatOp::create(nc.builder, nc.loc, *type, parts,
                             nc.builder.getI64IntegerAttr(*axis));
  return quantizedOutput(nc, y, 0, 1, 2);
}

/// QGemm (com.microsoft): (A, a_scale, a_zp, B, b_scale, b_zp, C?,
/// y_scale?, y_zp?) with alpha, transA, transB: the integer product
/// (a_zp one value, b's scale and zero point one or one per column) plus
/// C (int32, of scale alpha * a_scale * b_scale), times that scale over
/// y_scale where there is one; quantized with y_zero_point where there is
/// one, else f32 (as onnxruntime's kernel decides).
LogicalResult importQGemm(NodeContext &nc) {
  if (failed(requirePresent(nc, {0, 1, 3, 4})))
    return failure();
  for (unsigned i : {0u, 3u})
    if (nc.inputType(i).getRank() != 2 || !nc.inputType(i).hasStaticShape()) {
      nc.error() << "expects static 2-D A and B, got " << nc.inputType(0)
                 << " and " << nc.inputType(3);
      return failure();
    }
  IntOperand a = intInput(nc, 0), b = intInput(nc, 3);
  if (nc.intAttr("transA", 0))
    a.value = transposed(nc, a.value, {1, 0});
  if (nc.intAttr("transB", 0))
    b.value = transposed(nc, b.value, {1, 0});
  FailureOr<Value> acc =
      integerMatMul(nc, a, b, intInput(nc, 2), intInput(nc, 5));
  if (failed(acc))
    return failure();
  if (Value c = nc.optionalInput(6)) {
    if (!nc.inputType(6).getElementType().isSignlessInteger(32)) {
      nc.error() << "C must be an int32 tensor, got " << nc.inputType(6);
      return failure();
    }
    FailureOr<Value> sum = broadcastBinary<AddOp>(nc, *acc, c);
    if (failed(sum) || cast<RankedTensorType>(sum->getType()).getShape() !=
                           cast<RankedTensorType>(acc->getType()).getShape()) {
      if (succeeded(sum))
        nc.error() << "C " << nc.inputType(6) << " does not broadcast to "
                   << acc->getType();
      return failure();
    }
    acc = *sum;
  }
  if (failed(requireFloat(nc, 1, "a_scale")) ||
      failed(requireFloat(nc, 4, "b_scale")))
    return failure();
  auto accType = cast<RankedTensorType>(acc->getType());
  FailureOr<Value> as = perTensorInput(nc, 1, "a_scale");
  FailureOr<Value> bs = alongAxis(nc, nc.castTo(nc.inputs[4], f32(nc)),
                                  accType, 1, 0, "b_scale");
  if (failed(as) || failed(bs))
    return failure();
  // One multiplier, (alpha * a_scale * b_scale) / y_scale, as onnxruntime
  // computes it, then one product with the sums.
  float alpha = nc.floatAttr("alpha", 1.0f);
  Value multiplier =
      bin<MulOp>(nc, bin<MulOp>(nc, scalar(nc, f32(nc), alpha),
                                nc.castTo(*as, f32(nc))),
                 *bs);
  if (nc.optionalInput(7)) {
    if (failed(requireFloat(nc, 7, "y_scale")))
      return failure();
    FailureOr<Value> ys = perTensorInput(nc, 7, "y_scale");
    if (failed(ys))
      return failure();
    multiplier = bin<DivOp>(nc, multiplier, nc.castTo(*ys, f32(nc)));
  }
  Value y = bin<MulOp>(nc, nc.castTo(*acc, f32(nc)), multiplier);
  // Quantized only with a zero point (onnxruntime's output type is y's
  // zero point's; without one the output is f32).
  if (!nc.optionalInput(8)) {
    nc.outputs.push_back(y);
    return success();
  }
  FailureOr<QuantType> to = outputQuantType(nc, 8);
  FailureOr<Value> z = perTensorInput(nc, 8, "y_zero_point");
  if (failed(to) || failed(z))
    return failure();
  nc.outputs.push_back(roundToQuant(nc, y, *z, to->isUnsigned, *to));
  nc.setUnsignedOutput(0, to->isUnsigned);
  return success();
}

} // namespace

void addQuantOpImporters(StringMap<OpImporterFn> &table) {
  table["ConvInteger"] = importConvInteger;
  table["DequantizeLinear"] = importDequantizeLinear;
  table["DynamicQuantizeLinear"] = importDynamicQuantizeLinear;
  table["MatMulInteger"] = importMatMulInteger;
  table["QLinearConv"] = importQLinearConv;
  table["QLinearMatMul"] = importQLinearMatMul;
  table["QuantizeLinear"] = importQuantizeLinear;
}

void addQuantContribOpImporters(StringMap<OpImporterFn> &table) {
  table["DynamicQuantizeMatMul"] = importDynamicQuantizeMatMul;
  table["MatMulIntegerToFloat"] = importMatMulIntegerToFloat;
  table["MatMulNBits"] = importMatMulNBits;
  table["QGemm"] = importQGemm;
  table["QLinearAdd"] = importQLinearBinary<AddOp>;
  table["QLinearAveragePool"] = importQLinearAveragePool;
  table["QLinearConcat"] = importQLinearConcat;
  table["QLinearGlobalAveragePool"] = importQLinearGlobalAveragePool;
  table["QLinearLeakyRelu"] = importQLinearLeakyRelu;
  table["QLinearMul"] = importQLinearBinary<MulOp>;
  table["QLinearSigmoid"] = importQLinearSigmoid;
  table["QLinearSoftmax"] = importQLinearSoftmax;
}

} // namespace gcomp::detail
