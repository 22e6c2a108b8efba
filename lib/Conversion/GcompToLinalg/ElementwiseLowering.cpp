//===- ElementwiseLowering.cpp - elementwise gcomp ops to linalg ----------===//
//
// Every elementwise op becomes one all-parallel linalg.generic whose
// indexing maps do the numpy broadcasting; what differs between ops is only
// the scalar body, built here from arith and math.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

Value cst(OpBuilder &b, Location loc, Value like, double v) {
  return scalarConstant(b, loc, like.getType(), v);
}

Value select(OpBuilder &b, Location loc, Value c, Value t, Value f) {
  return arith::SelectOp::create(b, loc, c, t, f);
}

Value fcmp(OpBuilder &b, Location loc, arith::CmpFPredicate p, Value x, Value y) {
  return arith::CmpFOp::create(b, loc, p, x, y);
}

Value expm1Like(OpBuilder &b, Location loc, Value x) {
  return math::ExpM1Op::create(b, loc, x);
}

/// log(1 + exp(x)) without overflow for large x.
Value softplus(OpBuilder &b, Location loc, Value x) {
  Value zero = cst(b, loc, x, 0.0);
  Value absX = math::AbsFOp::create(b, loc, x);
  Value tail = math::Log1pOp::create(
      b, loc, math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absX)));
  return arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, zero),
                               tail);
}

/// `x` converted to `to`; `fromUnsigned` reads an integer `x` as unsigned
/// (bools always are), `toUnsigned` converts a float to an unsigned integer.
Value castScalar(OpBuilder &b, Location loc, Value x, Type to,
                 bool fromUnsigned = false, bool toUnsigned = false) {
  Type from = x.getType();
  if (from == to)
    return x;
  bool fromBool = from.isInteger(1) || fromUnsigned;
  if (auto toInt = dyn_cast<IntegerType>(to)) {
    if (toInt.getWidth() == 1) // anything to bool: != 0
      return isFloat(x) ? fcmp(b, loc, arith::CmpFPredicate::UNE, x, cst(b, loc, x, 0))
                        : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                                x, cst(b, loc, x, 0)).getResult();
    if (isFloat(x))
      return toUnsigned ? arith::FPToUIOp::create(b, loc, to, x).getResult()
                        : arith::FPToSIOp::create(b, loc, to, x).getResult();
    unsigned fw = from.getIntOrFloatBitWidth(), tw = toInt.getWidth();
    if (fw > tw)
      return arith::TruncIOp::create(b, loc, to, x);
    return fromBool ? arith::ExtUIOp::create(b, loc, to, x).getResult()
                    : arith::ExtSIOp::create(b, loc, to, x).getResult();
  }
  if (!isFloat(x))
    return fromBool ? arith::UIToFPOp::create(b, loc, to, x).getResult()
                    : arith::SIToFPOp::create(b, loc, to, x).getResult();
  if (from.getIntOrFloatBitWidth() > to.getIntOrFloatBitWidth())
    return arith::TruncFOp::create(b, loc, to, x);
  return arith::ExtFOp::create(b, loc, to, x);
}

/// The scalar computation of one element of `op`'s result.
Value scalarBody(Operation *op, OpBuilder &b, Location loc, ValueRange args,
                 Type resultElement) {
  Value x = args[0];
  Value y = args.size() > 1 ? args[1] : Value();
  using P = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  auto binary = [&](auto floatOp, auto intOp) -> Value {
    using F = decltype(floatOp);
    using I = decltype(intOp);
    if (isFloat(x))
      return F::create(b, loc, x, y);
    return I::create(b, loc, x, y);
  };
  auto compare = [&](P fp, IP ip) -> Value {
    if (isFloat(x))
      return fcmp(b, loc, fp, x, y);
    if (x.getType().isInteger(1)) // bools compare unsigned
      ip = ip == IP::slt ? IP::ult : ip == IP::sle ? IP::ule
           : ip == IP::sgt ? IP::ugt : ip == IP::sge ? IP::uge : ip;
    return arith::CmpIOp::create(b, loc, ip, x, y);
  };
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case([&](AddOp) { return binary(arith::AddFOp(), arith::AddIOp()); })
      .Case([&](SubOp) { return binary(arith::SubFOp(), arith::SubIOp()); })
      .Case([&](MulOp) { return binary(arith::MulFOp(), arith::MulIOp()); })
      .Case([&](DivOp) { return binary(arith::DivFOp(), arith::DivSIOp()); })
      .Case([&](MinOp) { return binary(arith::MinimumFOp(), arith::MinSIOp()); })
      .Case([&](MaxOp) { return binary(arith::MaximumFOp(), arith::MaxSIOp()); })
      .Case([&](PowOp) -> Value {
        if (isFloat(x))
          return math::PowFOp::create(b, loc, x, y);
        // Integer powers through f64 are exact for the results that fit.
        Type f64 = b.getF64Type();
        Value r = math::PowFOp::create(b, loc, castScalar(b, loc, x, f64),
                                       castScalar(b, loc, y, f64));
        return arith::FPToSIOp::create(b, loc, x.getType(), r);
      })
      .Case([&](FModOp) { return binary(arith::RemFOp(), arith::RemSIOp()); })
      .Case([&](ModOp) -> Value {
        if (isFloat(x)) // ONNX requires fmod=1 for floats; be total anyway
          return arith::RemFOp::create(b, loc, x, y);
        // Python-style: the result takes the sign of the divisor.
        Value r = arith::RemSIOp::create(b, loc, x, y);
        Value zero = cst(b, loc, x, 0);
        Value rNeg = arith::CmpIOp::create(b, loc, IP::slt, r, zero);
        Value yNeg = arith::CmpIOp::create(b, loc, IP::slt, y, zero);
        Value rNonZero = arith::CmpIOp::create(b, loc, IP::ne, r, zero);
        Value fix = arith::AndIOp::create(
            b, loc, rNonZero, arith::XOrIOp::create(b, loc, rNeg, yNeg));
        return select(b, loc, fix, arith::AddIOp::create(b, loc, r, y), r);
      })
      .Case([&](PReluOp) -> Value {
        Value zero = cst(b, loc, x, 0);
        Value isNeg = isFloat(x) ? fcmp(b, loc, P::OLT, x, zero)
                                 : arith::CmpIOp::create(b, loc, IP::slt, x, zero)
                                       .getResult();
        Value scaled = isFloat(x) ? arith::MulFOp::create(b, loc, x, y).getResult()
                                  : arith::MulIOp::create(b, loc, x, y).getResult();
        return select(b, loc, isNeg, scaled, x);
      })
      // LLVM's shifts are poison past the width; ONNX's give 0 (or the
      // sign for an arithmetic right shift): the amount is compared as
      // unsigned, so a negative one is out of range too.
      .Case([&](BitShiftLeftOp) -> Value {
        Value inRange = arith::CmpIOp::create(
            b, loc, IP::ult, y, cst(b, loc, y, x.getType().getIntOrFloatBitWidth()));
        return select(b, loc, inRange, arith::ShLIOp::create(b, loc, x, y),
                      cst(b, loc, x, 0));
      })
      .Case([&](BitShiftRightOp) -> Value {
        Value inRange = arith::CmpIOp::create(
            b, loc, IP::ult, y, cst(b, loc, y, x.getType().getIntOrFloatBitWidth()));
        return select(b, loc, inRange, arith::ShRUIOp::create(b, loc, x, y),
                      cst(b, loc, x, 0));
      })
      .Case([&](BitShiftRightArithOp) -> Value {
        unsigned width = x.getType().getIntOrFloatBitWidth();
        Value inRange =
            arith::CmpIOp::create(b, loc, IP::ult, y, cst(b, loc, y, width));
        Value amount = select(b, loc, inRange, y, cst(b, loc, y, width - 1));
        return arith::ShRSIOp::create(b, loc, x, amount);
      })
      .Case([&](EqualOp) { return compare(P::OEQ, IP::eq); })
      .Case([&](LessOp) { return compare(P::OLT, IP::slt); })
      .Case([&](LessEqualOp) { return compare(P::OLE, IP::sle); })
      .Case([&](GreaterOp) { return compare(P::OGT, IP::sgt); })
      .Case([&](GreaterEqualOp) { return compare(P::OGE, IP::sge); })
      .Case([&](AndOp) { return arith::AndIOp::create(b, loc, x, y); })
      .Case([&](OrOp) { return arith::OrIOp::create(b, loc, x, y); })
      .Case([&](XorOp) { return arith::XOrIOp::create(b, loc, x, y); })
      .Case([&](NotOp) {
        // All ones: true for i1, every bit flipped for integers.
        return arith::XOrIOp::create(b, loc, x, cst(b, loc, x, -1));
      })
      .Case([&](WhereOp) { return select(b, loc, x, y, args[2]); })
      .Case([&](CastOp cast) {
        return castScalar(b, loc, x, resultElement, cast.getUnsignedInput(),
                          cast.getUnsignedResult());
      })
      .Case([&](ReluOp) {
        return arith::MaximumFOp::create(b, loc, x, cst(b, loc, x, 0));
      })
      .Case([&](SigmoidOp) -> Value {
        Value one = cst(b, loc, x, 1);
        Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
        return arith::DivFOp::create(b, loc, one,
                                     arith::AddFOp::create(b, loc, one, e));
      })
      .Case([&](SiluOp) -> Value {
        Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
        return arith::DivFOp::create(
            b, loc, x, arith::AddFOp::create(b, loc, cst(b, loc, x, 1), e));
      })
      .Case([&](TanhOp) { return math::TanhOp::create(b, loc, x); })
      .Case([&](ExpOp) { return math::ExpOp::create(b, loc, x); })
      .Case([&](LogOp) { return math::LogOp::create(b, loc, x); })
      .Case([&](SqrtOp) { return math::SqrtOp::create(b, loc, x); })
      .Case([&](ReciprocalOp) {
        return arith::DivFOp::create(b, loc, cst(b, loc, x, 1), x);
      })
      .Case([&](SinOp) { return math::SinOp::create(b, loc, x); })
      .Case([&](CosOp) { return math::CosOp::create(b, loc, x); })
      .Case([&](TanOp) { return math::TanOp::create(b, loc, x); })
      .Case([&](AsinOp) { return math::AsinOp::create(b, loc, x); })
      .Case([&](AcosOp) { return math::AcosOp::create(b, loc, x); })
      .Case([&](AtanOp) { return math::AtanOp::create(b, loc, x); })
      .Case([&](SinhOp) { return math::SinhOp::create(b, loc, x); })
      .Case([&](CoshOp) { return math::CoshOp::create(b, loc, x); })
      .Case([&](AsinhOp) { return math::AsinhOp::create(b, loc, x); })
      .Case([&](AcoshOp) { return math::AcoshOp::create(b, loc, x); })
      .Case([&](AtanhOp) { return math::AtanhOp::create(b, loc, x); })
      .Case([&](FloorOp) { return math::FloorOp::create(b, loc, x); })
      .Case([&](CeilOp) { return math::CeilOp::create(b, loc, x); })
      .Case([&](RoundOp) { return math::RoundEvenOp::create(b, loc, x); })
      .Case([&](ErfOp) { return math::ErfOp::create(b, loc, x); })
      .Case([&](SoftplusOp) { return softplus(b, loc, x); })
      .Case([&](SoftsignOp) -> Value {
        Value den = arith::AddFOp::create(b, loc, cst(b, loc, x, 1),
                                          math::AbsFOp::create(b, loc, x));
        return arith::DivFOp::create(b, loc, x, den);
      })
      .Case([&](MishOp) -> Value {
        return arith::MulFOp::create(
            b, loc, x, math::TanhOp::create(b, loc, softplus(b, loc, x)));
      })
      .Case([&](HardSwishOp) -> Value {
        Value t = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, x, 1.0 / 6.0)),
            cst(b, loc, x, 0.5));
        t = arith::MinimumFOp::create(
            b, loc, arith::MaximumFOp::create(b, loc, t, cst(b, loc, x, 0)),
            cst(b, loc, x, 1));
        return arith::MulFOp::create(b, loc, x, t);
      })
      .Case([&](NegOp) -> Value {
        if (isFloat(x))
          return arith::NegFOp::create(b, loc, x);
        return arith::SubIOp::create(b, loc, cst(b, loc, x, 0), x);
      })
      .Case([&](AbsOp) -> Value {
        if (isFloat(x))
          return math::AbsFOp::create(b, loc, x);
        return math::AbsIOp::create(b, loc, x);
      })
      .Case([&](SignOp) -> Value {
        Value zero = cst(b, loc, x, 0), one = cst(b, loc, x, 1),
              minusOne = cst(b, loc, x, -1);
        Value pos = isFloat(x) ? fcmp(b, loc, P::OGT, x, zero)
                               : arith::CmpIOp::create(b, loc, IP::sgt, x, zero)
                                     .getResult();
        Value neg = isFloat(x) ? fcmp(b, loc, P::OLT, x, zero)
                               : arith::CmpIOp::create(b, loc, IP::slt, x, zero)
                                     .getResult();
        // NaN stays NaN: neither branch matches and x itself is returned.
        Value rest = isFloat(x) ? select(b, loc, fcmp(b, loc, P::OEQ, x, zero),
                                         zero, x)
                                : zero;
        return select(b, loc, pos, one, select(b, loc, neg, minusOne, rest));
      })
      .Case([&](IsNaNOp) { return fcmp(b, loc, P::UNO, x, x); })
      .Case([&](IsInfOp op) -> Value {
        Value inf = cst(b, loc, x, INFINITY), ninf = cst(b, loc, x, -INFINITY);
        Value f = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
        Value pos = op.getDetectPositive() ? fcmp(b, loc, P::OEQ, x, inf) : f;
        Value neg = op.getDetectNegative() ? fcmp(b, loc, P::OEQ, x, ninf) : f;
        return arith::OrIOp::create(b, loc, pos, neg);
      })
      .Case([&](EluOp op) -> Value {
        Value alpha = cst(b, loc, x, op.getAlpha().convertToDouble());
        Value neg = arith::MulFOp::create(b, loc, alpha, expm1Like(b, loc, x));
        return select(b, loc, fcmp(b, loc, P::OLT, x, cst(b, loc, x, 0)), neg, x);
      })
      .Case([&](CeluOp op) -> Value {
        double a = op.getAlpha().convertToDouble();
        Value alpha = cst(b, loc, x, a);
        Value neg = arith::MulFOp::create(
            b, loc, alpha,
            expm1Like(b, loc, arith::DivFOp::create(b, loc, x, alpha)));
        Value zero = cst(b, loc, x, 0);
        return arith::AddFOp::create(
            b, loc, arith::MaximumFOp::create(b, loc, x, zero),
            arith::MinimumFOp::create(b, loc, zero, neg));
      })
      .Case([&](SeluOp op) -> Value {
        Value alpha = cst(b, loc, x, op.getAlpha().convertToDouble());
        Value gamma = cst(b, loc, x, op.getGamma().convertToDouble());
        Value neg = arith::MulFOp::create(b, loc, alpha, expm1Like(b, loc, x));
        Value v = select(b, loc, fcmp(b, loc, P::OLE, x, cst(b, loc, x, 0)), neg, x);
        return arith::MulFOp::create(b, loc, gamma, v);
      })
      .Case([&](LeakyReluOp op) -> Value {
        Value alpha = cst(b, loc, x, op.getAlpha().convertToDouble());
        return select(b, loc, fcmp(b, loc, P::OLT, x, cst(b, loc, x, 0)),
                      arith::MulFOp::create(b, loc, alpha, x), x);
      })
      .Case([&](ThresholdedReluOp op) -> Value {
        Value alpha = cst(b, loc, x, op.getAlpha().convertToDouble());
        return select(b, loc, fcmp(b, loc, P::OGT, x, alpha), x, cst(b, loc, x, 0));
      })
      .Case([&](HardSigmoidOp op) -> Value {
        Value t = arith::AddFOp::create(
            b, loc,
            arith::MulFOp::create(b, loc, x,
                                  cst(b, loc, x, op.getAlpha().convertToDouble())),
            cst(b, loc, x, op.getBeta().convertToDouble()));
        return arith::MinimumFOp::create(
            b, loc, arith::MaximumFOp::create(b, loc, t, cst(b, loc, x, 0)),
            cst(b, loc, x, 1));
      })
      .Case([&](GeluOp op) -> Value {
        Value half = cst(b, loc, x, 0.5), one = cst(b, loc, x, 1);
        Value inner;
        if (op.getTanhApproximation()) {
          // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
          Value x3 = arith::MulFOp::create(
              b, loc, x, arith::MulFOp::create(b, loc, x, x));
          Value poly = arith::AddFOp::create(
              b, loc, x,
              arith::MulFOp::create(b, loc, cst(b, loc, x, 0.044715), x3));
          inner = math::TanhOp::create(
              b, loc,
              arith::MulFOp::create(b, loc, cst(b, loc, x, std::sqrt(2.0 / M_PI)),
                                    poly));
        } else {
          inner = math::ErfOp::create(
              b, loc, arith::MulFOp::create(b, loc, x, cst(b, loc, x, M_SQRT1_2)));
        }
        return arith::MulFOp::create(
            b, loc, arith::MulFOp::create(b, loc, half, x),
            arith::AddFOp::create(b, loc, one, inner));
      })
      .Case([&](ShrinkOp op) -> Value {
        Value lambd = cst(b, loc, x, op.getLambd().convertToDouble());
        Value bias = cst(b, loc, x, op.getBias().convertToDouble());
        Value negLambd = arith::NegFOp::create(b, loc, lambd);
        Value low = arith::AddFOp::create(b, loc, x, bias);
        Value high = arith::SubFOp::create(b, loc, x, bias);
        return select(b, loc, fcmp(b, loc, P::OLT, x, negLambd), low,
                      select(b, loc, fcmp(b, loc, P::OGT, x, lambd), high,
                             cst(b, loc, x, 0)));
      })
      .Case([&](BroadcastToOp) { return x; })
      .Default([](Operation *) { return Value(); });
}

/// A broadcast to sizes computed from symbolic dims: the result's dynamic
/// dims are the op's `sizes`; a dynamic input dim lines up with its result
/// dim (the importer proved them one size).
struct BroadcastToSizesLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (adaptor.getSizes().empty())
      return failure();
    RankedTensorType type = op.getType();
    MLIRContext *ctx = rewriter.getContext();
    Value input = adaptor.getInput();
    SmallVector<AffineMap> maps = {
        broadcastMap(cast<RankedTensorType>(input.getType()).getShape(),
                     type.getShape(), ctx),
        AffineMap::getMultiDimIdentityMap(type.getRank(), ctx)};
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        rewriter, op.getLoc(), type, input,
        emptyTensor(rewriter, op.getLoc(), type, adaptor.getSizes()), maps,
        iterators, [](OpBuilder &b, Location loc, ValueRange args) {
          linalg::YieldOp::create(b, loc, args[0]);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// 0, 1, ..., n-1 in the result's element type.
struct IotaLowering : OpConversionPattern<IotaOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(IotaOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    Type element = type.getElementType();
    SmallVector<Value> sizes;
    if (adaptor.getSize())
      sizes.push_back(adaptor.getSize());
    rewriter.replaceOp(
        op, generate(
                rewriter, op.getLoc(), type,
                [&](OpBuilder &b, Location loc, ArrayRef<Value> indices) {
                  Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                       indices[0]);
                  if (isa<FloatType>(element))
                    return Value(arith::SIToFPOp::create(b, loc, element, i));
                  if (element.getIntOrFloatBitWidth() < 64)
                    return Value(arith::TruncIOp::create(b, loc, element, i));
                  return i;
                },
                sizes));
    return success();
  }
};

/// Lowers every elementwise gcomp op (those scalarBody knows).
struct ElementwiseLowering : ConversionPattern {
  ElementwiseLowering(MLIRContext *ctx)
      : ConversionPattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isa<GcompDialect>(op->getDialect()) || op->getNumResults() != 1 ||
        !isa<AddOp, SubOp, MulOp, DivOp, MinOp, MaxOp, PowOp, FModOp, ModOp,
             PReluOp, BitShiftLeftOp, BitShiftRightOp, BitShiftRightArithOp,
             EqualOp, LessOp,
             LessEqualOp, GreaterOp, GreaterEqualOp, AndOp, OrOp, XorOp, NotOp,
             WhereOp, CastOp, ReluOp, SigmoidOp, TanhOp, ExpOp, LogOp, SqrtOp,
             ReciprocalOp, SinOp, CosOp, TanOp, AsinOp, AcosOp, AtanOp, SinhOp,
             CoshOp, AsinhOp, AcoshOp, AtanhOp, FloorOp, CeilOp, RoundOp,
             ErfOp, SoftplusOp, SoftsignOp, MishOp, HardSwishOp, SiluOp, NegOp,
             AbsOp,
             SignOp, IsNaNOp, IsInfOp, EluOp, CeluOp, SeluOp, LeakyReluOp,
             ThresholdedReluOp, HardSigmoidOp, GeluOp, ShrinkOp,
             BroadcastToOp>(op))
      return failure();
    if (auto broadcast = dyn_cast<BroadcastToOp>(op);
        broadcast && !broadcast.getSizes().empty())
      return failure(); // BroadcastToSizesLowering

    if (failed(requireAlignedDims(op, rewriter)))
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Value result = elementwise(
        rewriter, op->getLoc(), resultType, operands,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Type resultElement = resultType.getElementType();
          if (isa<CastOp, WhereOp, BroadcastToOp>(op))
            return scalarBody(op, b, loc, args, resultElement);
          // f16 and bf16 math runs in f32, rounded once at the end, as
          // onnxruntime and the ONNX reference do.
          auto isHalf = [](Type t) {
            return isa<FloatType>(t) && t.getIntOrFloatBitWidth() < 32;
          };
          SmallVector<Value> wide;
          for (Value a : args)
            wide.push_back(isHalf(a.getType())
                               ? arith::ExtFOp::create(b, loc, b.getF32Type(), a)
                               : a);
          Type wideResult = isHalf(resultElement) ? b.getF32Type() : resultElement;
          Value v = scalarBody(op, b, loc, wide, wideResult);
          return wideResult != resultElement
                     ? Value(arith::TruncFOp::create(b, loc, resultElement, v))
                     : v;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void gcomp::lowering::populateElementwiseLowering(RewritePatternSet &patterns) {
  patterns.add<ElementwiseLowering>(patterns.getContext());
  patterns.add<BroadcastToSizesLowering, IotaLowering>(patterns.getContext(),
                                                       /*benefit=*/2);
}
