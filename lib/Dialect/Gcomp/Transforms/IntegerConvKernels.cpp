//===- IntegerConvKernels.cpp - int8 convolutions as runtime kernels ------===//
//
// A quantized CNN's convolutions reach this pass as channels-last integer
// `gcomp.conv`s of `cast(x) - z` (x the uint8 activations) by constant
// weights (gcomp-quantized-products writes QDQ convolutions so; ConvInteger
// and QLinearConv are imported so), followed by the float steps that
// dequantize the int32 sums (`* scale + bias`), maybe a ReLU, and usually
// the QuantizeLinear of the next layer's input. Lowered through linalg that
// is a loop nest of int32 multiply-adds and a chain of elementwise passes
// over f32 tensors. This pass puts one `gcomp.qconv` in their place: the
// weights packed once for the runtime's VNNI/AMX int8 product, and as much
// of the chain as it can take (each step must be the only user of the one
// before) computed on each output tile while it is in cache, down to the
// bytes of the next layer's activations. The float steps are the chain's
// own, in its order, so the values are the same.
//
//===----------------------------------------------------------------------===//

#include "IntegerKernels.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPINTEGERCONVKERNELS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// The only user of `v`, if it has exactly one.
Operation *onlyUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

/// The operand of the binary `op` other than `v`.
Value otherOperand(Operation *op, Value v) {
  if (op->getNumOperands() != 2)
    return nullptr;
  return op->getOperand(0) == v ? op->getOperand(1) : op->getOperand(0);
}

/// The values of a constant f32 `v` as one per output channel (m of them):
/// a single value (any rank) repeated, or [..., 1, m] with every other dim
/// 1, which broadcasts along the channels of a channels-last result.
std::optional<std::vector<float>> perChannel(Value v, int64_t m) {
  std::optional<std::vector<float>> values = floatValues(v);
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!values || !type || !type.hasStaticShape() || type.getRank() > 4)
    return std::nullopt;
  if (values->size() == 1)
    return std::vector<float>(m, values->front());
  if (type.getRank() == 0 || type.getShape().back() != m ||
      static_cast<int64_t>(values->size()) != m)
    return std::nullopt;
  return values;
}

/// A one-element f32 constant's value.
std::optional<float> scalarValue(Value v) {
  std::optional<std::vector<float>> values = floatValues(v);
  if (!values || values->size() != 1)
    return std::nullopt;
  return values->front();
}

bool isCast(Operation *op, Type from, Type to) {
  auto cast = dyn_cast_or_null<CastOp>(op);
  return cast && cast.getInput().getType().getElementType() == from &&
         cast.getType().getElementType() == to && !cast.getUnsignedInput() &&
         !cast.getUnsignedResult();
}

/// The float steps after an int32 convolution that gcomp.qconv computes.
struct Epilogue {
  std::vector<float> scale, bias;
  bool relu = false;
  /// Requantization (QuantizeLinear's steps) into a byte.
  std::optional<float> outScale, outZero;
  bool outSigned = false;
  /// The value the qconv replaces: the last step matched.
  Value last;
  /// The ops after the conv that it takes, in order.
  SmallVector<Operation *> steps;
};

/// QuantizeLinear of `y` as the importer writes it: `y / s`, rounded,
/// `+ zy` (absent for zero), clamped to a byte's range, cast to i32 and
/// then to i8. Fills `e` and returns true if all of it is there.
bool matchRequantization(Value y, Epilogue &e) {
  MLIRContext *ctx = y.getContext();
  auto div = dyn_cast_or_null<DivOp>(onlyUser(y));
  if (!div || div.getLhs() != y)
    return false;
  std::optional<float> s = scalarValue(div.getRhs());
  auto round = dyn_cast_or_null<RoundOp>(onlyUser(div.getResult()));
  if (!s || !round)
    return false;
  Value v = round.getResult();
  float zero = 0.0f;
  if (auto add = dyn_cast_or_null<AddOp>(onlyUser(v))) {
    std::optional<float> z = scalarValue(otherOperand(add, v));
    if (!z)
      return false;
    zero = *z;
    v = add.getResult();
  }
  auto max = dyn_cast_or_null<MaxOp>(onlyUser(v));
  if (!max)
    return false;
  std::optional<float> lo = scalarValue(otherOperand(max, v));
  auto min = dyn_cast_or_null<MinOp>(onlyUser(max.getResult()));
  if (!lo || !min)
    return false;
  std::optional<float> hi = scalarValue(otherOperand(min, max.getResult()));
  bool isSigned = lo == -128.0f && hi == 127.0f;
  if (!hi || !(isSigned || (lo == 0.0f && hi == 255.0f)))
    return false;
  Type f32 = Float32Type::get(ctx), i32 = IntegerType::get(ctx, 32),
       i8 = IntegerType::get(ctx, 8);
  Operation *toI32 = onlyUser(min.getResult());
  if (!isCast(toI32, f32, i32))
    return false;
  Operation *toI8 = onlyUser(toI32->getResult(0));
  auto narrow = dyn_cast_or_null<CastOp>(toI8);
  // Broadcasting only grows shapes: the steps all kept y's if the last did.
  if (!narrow || narrow.getType().getElementType() != i8 ||
      narrow.getType().getShape() != cast<RankedTensorType>(y.getType()).getShape())
    return false;
  e.steps.push_back(div);
  e.steps.push_back(round);
  if (v != round.getResult())
    e.steps.push_back(v.getDefiningOp());
  e.steps.append({max, min, toI32, toI8});
  e.outScale = *s;
  e.outZero = zero;
  e.outSigned = isSigned;
  e.last = narrow.getResult();
  return true;
}

/// The steps after `acc` (an int32 [N, OH, OW, M]) that qconv can take.
Epilogue matchEpilogue(Value acc, int64_t m) {
  MLIRContext *ctx = acc.getContext();
  Epilogue e;
  e.last = acc;
  Operation *toFloat = onlyUser(acc);
  if (!isCast(toFloat, IntegerType::get(ctx, 32), Float32Type::get(ctx)))
    return e;
  Value f = toFloat->getResult(0);
  auto mul = dyn_cast_or_null<MulOp>(onlyUser(f));
  if (!mul || mul.getType() != f.getType())
    return e;
  std::optional<std::vector<float>> scale = perChannel(otherOperand(mul, f), m);
  if (!scale)
    return e;
  e.scale = std::move(*scale);
  e.steps.append({toFloat, mul});
  Value y = mul.getResult();
  if (auto add = dyn_cast_or_null<AddOp>(onlyUser(y))) {
    if (std::optional<std::vector<float>> bias =
            perChannel(otherOperand(add, y), m);
        bias && add.getType() == y.getType()) {
      e.bias = std::move(*bias);
      e.steps.push_back(add);
      y = add.getResult();
    }
  }
  if (auto relu = dyn_cast_or_null<ReluOp>(onlyUser(y))) {
    e.relu = true;
    e.steps.push_back(relu);
    y = relu.getResult();
  }
  e.last = y;
  matchRequantization(y, e);
  return e;
}

/// The activations of the conv's input: `cast(x) - z`, or a transpose of it
/// (the first conv, whose input came channels-first), which then transposes
/// the bytes of x instead.
std::optional<Int8Activations> convActivations(OpBuilder &b, Value input) {
  if (auto act = matchInt8Activations(input))
    return act;
  auto transpose = input.getDefiningOp<TransposeOp>();
  if (!transpose)
    return std::nullopt;
  std::optional<Int8Activations> act =
      matchInt8Activations(transpose.getInput());
  if (!act)
    return std::nullopt;
  auto xType = cast<RankedTensorType>(act->x.getType());
  act->x = TransposeOp::create(
      b, transpose.getLoc(),
      RankedTensorType::get(transpose.getType().getShape(),
                            xType.getElementType()),
      act->x, transpose.getPermAttr());
  return act;
}

/// Rows of the packed weight matrix: KH * KW * C rounded up to a multiple
/// of 64 (AMX's tile depth) where that adds at most a third, else of 4
/// (VNNI's); a 1x1 convolution with stride 1 and no padding reads its
/// input as the matrix itself and keeps k = C when that is a multiple of 4.
int64_t packedRows(int64_t k, bool direct) {
  if (direct && k % 4 == 0)
    return k;
  int64_t to64 = (k + 63) / 64 * 64;
  if ((to64 - k) * 3 <= k)
    return to64;
  return (k + 3) / 4 * 4;
}

struct IntegerConvKernelsPass
    : gcomp::impl::GcompIntegerConvKernelsBase<IntegerConvKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<ConvOp> convs;
    getOperation().walk([&](ConvOp op) { convs.push_back(op); });
    for (ConvOp op : convs)
      rewrite(op);
  }

  void rewrite(ConvOp op) {
    RankedTensorType type = op.getType(), in = op.getInput().getType(),
                     w = op.getWeight().getType();
    if (!op.getChannelsLast() || op.getGroup() != 1 || op.getBias() ||
        !type.getElementType().isSignlessInteger(32) || type.getRank() != 4 ||
        !type.hasStaticShape() || !in.hasStaticShape() || !w.hasStaticShape())
      return;
    std::optional<std::vector<int8_t>> weights = constantInt8s(op.getWeight());
    if (!weights)
      return;
    OpBuilder b(op);
    Location loc = op.getLoc();
    std::optional<Int8Activations> act = convActivations(b, op.getInput());
    if (!act)
      return;
    // [KH, KW, C, M]: rows (ky, kx, c) of a [K, M] matrix as they are.
    int64_t kh = w.getDimSize(0), kw = w.getDimSize(1), c = w.getDimSize(2),
            m = w.getDimSize(3), k = kh * kw * c;
    ArrayRef<int64_t> strides = op.getStrides(), pads = op.getPads();
    bool direct = kh == 1 && kw == 1 && llvm::all_of(strides, [](int64_t s) {
                    return s == 1;
                  }) && llvm::all_of(pads, [](int64_t p) { return p == 0; });
    int64_t kPacked = packedRows(k, direct);
    auto [packedWeights, sums] = makePackedConstants(
        b, loc, packInt8Matrix(*weights, k, m, kPacked), "qconv");
    Value zeroPoint = scalarZeroPoint(b, loc, *act);

    Epilogue e = matchEpilogue(op.getResult(), m);
    if (e.last != op.getResult())
      b.setInsertionPointAfterValue(e.last);
    auto vector = [&](const std::vector<float> &values) -> Value {
      if (values.empty())
        return nullptr;
      return makeConstant(
          b, loc, RankedTensorType::get({m}, b.getF32Type()),
          ArrayRef(reinterpret_cast<const char *>(values.data()),
                   values.size() * sizeof(float)),
          "qconv_scale");
    };
    Type resultElement = b.getI32Type();
    if (e.outScale)
      resultElement = b.getI8Type();
    else if (!e.scale.empty())
      resultElement = b.getF32Type();
    auto qconv = QConvOp::create(
        b, loc, type.clone(resultElement), act->x, zeroPoint, packedWeights,
        sums, vector(e.scale), vector(e.bias),
        b.getDenseI64ArrayAttr({kh, kw}), op.getStridesAttr(),
        op.getDilationsAttr(), op.getPadsAttr(), b.getI64IntegerAttr(kPacked),
        act->isUnsigned ? UnitAttr() : b.getUnitAttr(),
        e.relu ? b.getUnitAttr() : UnitAttr(),
        e.outScale ? b.getF32FloatAttr(*e.outScale) : FloatAttr(),
        e.outZero ? b.getF32FloatAttr(*e.outZero) : FloatAttr(),
        e.outSigned ? b.getUnitAttr() : UnitAttr());
    e.last.replaceAllUsesWith(qconv.getResult());
    for (Operation *step : llvm::reverse(e.steps))
      step->erase();
    op.erase();
  }
};

} // namespace
