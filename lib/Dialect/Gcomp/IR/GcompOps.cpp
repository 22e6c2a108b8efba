//===- GcompOps.cpp - gcomp dialect ops -----------------------------------===//
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace gcomp;

std::string gcomp::shapeToString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ",";
    s += ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
  }
  return s + "]";
}
static std::string shapeStr(ArrayRef<int64_t> shape) {
  return shapeToString(shape);
}

static LogicalResult fail(EmitErrorFn emitError, const Twine &message) {
  if (emitError)
    emitError() << message;
  return failure();
}

/// An EmitErrorFn for an op's inferReturnTypes, silent without a location.
static auto errorAt(std::optional<Location> loc) {
  return [loc]() { return mlir::emitError(*loc); };
}

LogicalResult gcomp::broadcastShapes(ArrayRef<int64_t> lhs,
                                     ArrayRef<int64_t> rhs,
                                     SmallVectorImpl<int64_t> &result,
                                     EmitErrorFn emitError) {
  size_t rank = std::max(lhs.size(), rhs.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right, numpy-style; missing dims act as 1.
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l == r || r == 1) {
      result[i] = l;
    } else if (l == 1) {
      result[i] = r;
    } else if (ShapedType::isDynamic(l)) {
      result[i] = r; // the static side decides; checked at run time
    } else if (ShapedType::isDynamic(r)) {
      result[i] = l;
    } else {
      return fail(emitError,
                  llvm::formatv("shapes {0} and {1} do not broadcast (dim {2}: "
                                "{3} vs {4})",
                                shapeStr(lhs), shapeStr(rhs), i, l, r));
    }
  }
  return success();
}

FailureOr<RankedTensorType> gcomp::inferBroadcastType(RankedTensorType lhs,
                                                      RankedTensorType rhs,
                                                      EmitErrorFn emitError) {
  if (lhs.getElementType() != rhs.getElementType())
    return fail(emitError, "operand element types differ");
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(lhs.getShape(), rhs.getShape(), shape, emitError)))
    return failure();
  return RankedTensorType::get(shape, lhs.getElementType());
}

FailureOr<RankedTensorType> gcomp::inferMatMulType(RankedTensorType lhsType,
                                                   RankedTensorType rhsType,
                                                   EmitErrorFn emitError) {
  if (lhsType.getElementType() != rhsType.getElementType())
    return fail(emitError, "operand element types differ");
  if (lhsType.getRank() == 0 || rhsType.getRank() == 0)
    return fail(emitError, "matmul operands must have rank >= 1");
  // Promote 1-D operands to matrices as numpy does.
  SmallVector<int64_t> lhs(lhsType.getShape()), rhs(rhsType.getShape());
  bool lhsVector = lhs.size() == 1, rhsVector = rhs.size() == 1;
  if (lhsVector)
    lhs.insert(lhs.begin(), 1);
  if (rhsVector)
    rhs.push_back(1);
  int64_t lk = lhs.back(), rk = rhs[rhs.size() - 2];
  if (!ShapedType::isDynamic(lk) && !ShapedType::isDynamic(rk) && lk != rk)
    return fail(emitError,
                llvm::formatv("contraction dims differ: {0} x {1} (K = {2} vs "
                              "{3})",
                              shapeStr(lhsType.getShape()),
                              shapeStr(rhsType.getShape()), lk, rk));
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(ArrayRef(lhs).drop_back(2),
                             ArrayRef(rhs).drop_back(2), shape, emitError)))
    return failure();
  if (!lhsVector)
    shape.push_back(lhs[lhs.size() - 2]);
  if (!rhsVector)
    shape.push_back(rhs.back());
  return RankedTensorType::get(shape, lhsType.getElementType());
}

FailureOr<RankedTensorType>
gcomp::inferGemmType(RankedTensorType aType, RankedTensorType bType,
                     RankedTensorType cType, bool transA, bool transB,
                     EmitErrorFn emitError) {
  if (aType.getRank() != 2 || bType.getRank() != 2)
    return fail(emitError,
                llvm::formatv("gemm operands must be 2-D, got {0} and {1}",
                              shapeStr(aType.getShape()),
                              shapeStr(bType.getShape())));
  if (aType.getElementType() != bType.getElementType() ||
      (cType && cType.getElementType() != aType.getElementType()))
    return fail(emitError, "operand element types differ");
  int64_t m = aType.getDimSize(transA ? 1 : 0);
  int64_t ka = aType.getDimSize(transA ? 0 : 1);
  int64_t kb = bType.getDimSize(transB ? 1 : 0);
  int64_t n = bType.getDimSize(transB ? 0 : 1);
  if (!ShapedType::isDynamic(ka) && !ShapedType::isDynamic(kb) && ka != kb)
    return fail(emitError,
                llvm::formatv("contraction dims differ: A {0}{1} has K = {2}, "
                              "B {3}{4} has K = {5}",
                              shapeStr(aType.getShape()),
                              transA ? " (transposed)" : "", ka,
                              shapeStr(bType.getShape()),
                              transB ? " (transposed)" : "", kb));
  SmallVector<int64_t> shape = {m, n};
  if (cType) {
    SmallVector<int64_t> bcast;
    // C broadcasts unidirectionally: to [M, N] and never beyond it.
    if (cType.getRank() > 2 ||
        failed(broadcastShapes(shape, cType.getShape(), bcast, nullptr)) ||
        !llvm::equal(bcast, shape))
      return fail(emitError,
                  llvm::formatv("C of shape {0} does not broadcast to [M, N] = "
                                "{1}",
                                shapeStr(cType.getShape()), shapeStr(shape)));
  }
  return RankedTensorType::get(shape, aType.getElementType());
}

FailureOr<RankedTensorType>
gcomp::inferTransposeType(RankedTensorType inType, ArrayRef<int64_t> perm,
                          EmitErrorFn emitError) {
  int64_t rank = inType.getRank();
  if (static_cast<int64_t>(perm.size()) != rank)
    return fail(emitError, llvm::formatv("perm has {0} entries but the input "
                                         "has rank {1}",
                                         perm.size(), rank));
  SmallVector<bool> seen(rank, false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return fail(emitError, "perm is not a permutation of [0, rank)");
    seen[p] = true;
    shape.push_back(inType.getDimSize(p));
  }
  return RankedTensorType::get(shape, inType.getElementType());
}

/// Adapts a shared shape function to an op's inferReturnTypes.
static LogicalResult pushInferred(FailureOr<RankedTensorType> type,
                                  SmallVectorImpl<Type> &types) {
  if (failed(type))
    return failure();
  types.push_back(*type);
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Type inference
//===----------------------------------------------------------------------===//

#define GCOMP_BROADCAST_INFER(OP, RESULT_ELEMENT)                              \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    auto emit = errorAt(loc);                                                  \
    FailureOr<RankedTensorType> t = inferBroadcastType(                        \
        cast<RankedTensorType>(adaptor.getLhs().getType()),                    \
        cast<RankedTensorType>(adaptor.getRhs().getType()),                    \
        loc ? EmitErrorFn(emit) : EmitErrorFn());                              \
    if (failed(t))                                                             \
      return failure();                                                        \
    Type element = RESULT_ELEMENT;                                             \
    types.push_back(element ? t->clone(element) : *t);                         \
    return success();                                                          \
  }
#define GCOMP_ARITH_INFER(OP) GCOMP_BROADCAST_INFER(OP, Type())
#define GCOMP_PREDICATE_INFER(OP)                                              \
  GCOMP_BROADCAST_INFER(OP, IntegerType::get(ctx, 1))
GCOMP_ARITH_INFER(AddOp)
GCOMP_ARITH_INFER(SubOp)
GCOMP_ARITH_INFER(MulOp)
GCOMP_ARITH_INFER(DivOp)
GCOMP_ARITH_INFER(PowOp)
GCOMP_ARITH_INFER(MinOp)
GCOMP_ARITH_INFER(MaxOp)
GCOMP_ARITH_INFER(ModOp)
GCOMP_ARITH_INFER(FModOp)
GCOMP_ARITH_INFER(PReluOp)
GCOMP_ARITH_INFER(BitShiftLeftOp)
GCOMP_ARITH_INFER(BitShiftRightOp)
GCOMP_ARITH_INFER(BitShiftRightArithOp)
GCOMP_ARITH_INFER(AndOp)
GCOMP_ARITH_INFER(OrOp)
GCOMP_ARITH_INFER(XorOp)
GCOMP_PREDICATE_INFER(EqualOp)
GCOMP_PREDICATE_INFER(LessOp)
GCOMP_PREDICATE_INFER(LessEqualOp)
GCOMP_PREDICATE_INFER(GreaterOp)
GCOMP_PREDICATE_INFER(GreaterEqualOp)
#undef GCOMP_PREDICATE_INFER
#undef GCOMP_ARITH_INFER
#undef GCOMP_BROADCAST_INFER

FailureOr<RankedTensorType>
gcomp::inferWhereType(RankedTensorType condition, RankedTensorType x,
                      RankedTensorType y, EmitErrorFn emitError) {
  if (x.getElementType() != y.getElementType())
    return fail(emitError, "x and y element types differ");
  SmallVector<int64_t> xy, all;
  if (failed(broadcastShapes(x.getShape(), y.getShape(), xy, emitError)) ||
      failed(broadcastShapes(condition.getShape(), xy, all, emitError)))
    return failure();
  return RankedTensorType::get(all, x.getElementType());
}

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  auto emit = errorAt(loc);
  return pushInferred(
      inferWhereType(cast<RankedTensorType>(adaptor.getCondition().getType()),
                     cast<RankedTensorType>(adaptor.getX().getType()),
                     cast<RankedTensorType>(adaptor.getY().getType()),
                     loc ? EmitErrorFn(emit) : EmitErrorFn()),
      types);
}

FailureOr<RankedTensorType>
gcomp::inferReduceType(RankedTensorType input, ArrayRef<int64_t> axes,
                       bool keepdims, Type elementType, EmitErrorFn emitError) {
  int64_t rank = input.getRank();
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis < 0 || axis >= rank || (i > 0 && axes[i - 1] >= axis))
      return fail(emitError,
                  llvm::formatv("axes must be sorted, unique and in [0, {0})",
                                rank));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(input.getDimSize(d));
    else if (keepdims)
      shape.push_back(1);
  }
  return RankedTensorType::get(shape, elementType);
}

#define GCOMP_REDUCE_INFER(OP)                                                 \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    auto emit = errorAt(loc);                                                  \
    auto input = cast<RankedTensorType>(adaptor.getInput().getType());         \
    return pushInferred(inferReduceType(input, adaptor.getAxes(),              \
                                        adaptor.getKeepdims(),                 \
                                        input.getElementType(),                \
                                        loc ? EmitErrorFn(emit)                \
                                            : EmitErrorFn()),                  \
                        types);                                                \
  }
GCOMP_REDUCE_INFER(ReduceSumOp)
GCOMP_REDUCE_INFER(ReduceMeanOp)
GCOMP_REDUCE_INFER(ReduceMaxOp)
GCOMP_REDUCE_INFER(ReduceMinOp)
GCOMP_REDUCE_INFER(ReduceProdOp)
GCOMP_REDUCE_INFER(ReduceL1Op)
GCOMP_REDUCE_INFER(ReduceL2Op)
GCOMP_REDUCE_INFER(ReduceSumSquareOp)
GCOMP_REDUCE_INFER(ReduceLogSumOp)
GCOMP_REDUCE_INFER(ReduceLogSumExpOp)
#undef GCOMP_REDUCE_INFER

#define GCOMP_ARG_REDUCE_INFER(OP)                                             \
  LogicalResult OP::inferReturnTypes(MLIRContext *ctx,                         \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    auto emit = errorAt(loc);                                                  \
    auto input = cast<RankedTensorType>(adaptor.getInput().getType());         \
    int64_t axis = static_cast<int64_t>(adaptor.getAxis());                    \
    return pushInferred(inferReduceType(input, {axis}, adaptor.getKeepdims(),  \
                                        IntegerType::get(ctx, 64),             \
                                        loc ? EmitErrorFn(emit)                \
                                            : EmitErrorFn()),                  \
                        types);                                                \
  }
GCOMP_ARG_REDUCE_INFER(ArgMaxOp)
GCOMP_ARG_REDUCE_INFER(ArgMinOp)
#undef GCOMP_ARG_REDUCE_INFER

FailureOr<RankedTensorType> gcomp::inferConcatType(TypeRange inputs,
                                                   int64_t axis,
                                                   EmitErrorFn emitError) {
  if (inputs.empty())
    return fail(emitError, "concat needs at least one input");
  auto first = cast<RankedTensorType>(inputs.front());
  int64_t rank = first.getRank();
  if (axis < 0 || axis >= rank)
    return fail(emitError, llvm::formatv("axis {0} is out of range for rank "
                                         "{1}",
                                         axis, rank));
  SmallVector<int64_t> shape(first.getShape());
  for (Type t : inputs.drop_front()) {
    auto type = cast<RankedTensorType>(t);
    if (type.getRank() != rank || type.getElementType() != first.getElementType())
      return fail(emitError, "concat inputs must have the same rank and "
                             "element type");
    for (int64_t d = 0; d < rank; ++d) {
      int64_t size = type.getDimSize(d);
      if (d == axis) {
        shape[d] = ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(size)
                       ? ShapedType::kDynamic
                       : shape[d] + size;
      } else if (ShapedType::isDynamic(shape[d])) {
        shape[d] = size;
      } else if (!ShapedType::isDynamic(size) && size != shape[d]) {
        return fail(emitError,
                    llvm::formatv("concat inputs differ in dim {0}: {1} vs "
                                  "{2}",
                                  d, shape[d], size));
      }
    }
  }
  return RankedTensorType::get(shape, first.getElementType());
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto emit = errorAt(loc);
  return pushInferred(inferConcatType(adaptor.getInputs().getTypes(),
                                      static_cast<int64_t>(adaptor.getAxis()),
                                      loc ? EmitErrorFn(emit) : EmitErrorFn()),
                      types);
}

FailureOr<RankedTensorType> gcomp::inferGatherType(RankedTensorType data,
                                                   RankedTensorType indices,
                                                   int64_t axis,
                                                   EmitErrorFn emitError) {
  if (axis < 0 || axis >= data.getRank())
    return fail(emitError, llvm::formatv("axis {0} is out of range for rank "
                                         "{1}",
                                         axis, data.getRank()));
  SmallVector<int64_t> shape(data.getShape().take_front(axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(axis + 1));
  return RankedTensorType::get(shape, data.getElementType());
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto emit = errorAt(loc);
  return pushInferred(
      inferGatherType(cast<RankedTensorType>(adaptor.getData().getType()),
                      cast<RankedTensorType>(adaptor.getIndices().getType()),
                      static_cast<int64_t>(adaptor.getAxis()),
                      loc ? EmitErrorFn(emit) : EmitErrorFn()),
      types);
}

LogicalResult QMatMulOp::verify() {
  RankedTensorType lhs = getLhs().getType(), result = getType();
  int64_t k = static_cast<int64_t>(getK()), n = static_cast<int64_t>(getN());
  int64_t rank = lhs.getRank();
  if (rank < 2 || result.getRank() != rank || !lhs.hasStaticShape() ||
      !result.hasStaticShape())
    return emitOpError() << "expects a static [..., M, K] lhs and a result of "
                            "its rank";
  if (lhs.getDimSize(rank - 1) != k || k < 1 || n < 1)
    return emitOpError() << "lhs " << shapeStr(lhs.getShape())
                         << " does not have k = " << k << " columns";
  SmallVector<int64_t> expected(lhs.getShape());
  expected.back() = n;
  if (result.getShape() != ArrayRef<int64_t>(expected))
    return emitOpError() << "result should be " << shapeStr(expected);
  int64_t blocks = (n + GCOMP_QGEMM_BLOCK - 1) / GCOMP_QGEMM_BLOCK;
  int64_t packed = blocks * ((k + 3) / 4) * 4 * GCOMP_QGEMM_BLOCK;
  if (getRhsPacked().getType().getDimSize(0) != packed)
    return emitOpError() << "packed weights of k = " << k << ", n = " << n
                         << " take " << packed << " bytes, not "
                         << getRhsPacked().getType().getDimSize(0);
  if (getRhsSums().getType().getDimSize(0) != blocks * GCOMP_QGEMM_BLOCK)
    return emitOpError() << "expects " << blocks * GCOMP_QGEMM_BLOCK
                         << " column sums";
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  auto emit = errorAt(loc);
  return pushInferred(
      inferMatMulType(cast<RankedTensorType>(adaptor.getLhs().getType()),
                      cast<RankedTensorType>(adaptor.getRhs().getType()),
                      loc ? EmitErrorFn(emit) : EmitErrorFn()),
      types);
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  auto emit = errorAt(loc);
  RankedTensorType cType;
  if (Value c = adaptor.getC())
    cType = cast<RankedTensorType>(c.getType());
  return pushInferred(
      inferGemmType(cast<RankedTensorType>(adaptor.getA().getType()),
                    cast<RankedTensorType>(adaptor.getB().getType()), cType,
                    adaptor.getTransA(), adaptor.getTransB(),
                    loc ? EmitErrorFn(emit) : EmitErrorFn()),
      types);
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  auto emit = errorAt(loc);
  return pushInferred(
      inferTransposeType(cast<RankedTensorType>(adaptor.getInput().getType()),
                         adaptor.getPerm(),
                         loc ? EmitErrorFn(emit) : EmitErrorFn()),
      types);
}

//===----------------------------------------------------------------------===//
// SoftmaxOp
//===----------------------------------------------------------------------===//

template <typename OpT>
static LogicalResult verifySoftmaxAxis(OpT op) {
  int64_t rank = op.getInput().getType().getRank();
  // I64Attr's accessor is unsigned; a negative axis must read as negative.
  int64_t axis = static_cast<int64_t>(op.getAxis());
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return op.emitOpError() << "axis " << axis
                            << " is out of range for a tensor of rank " << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (failed(verifySoftmaxAxis(*this)))
    return failure();
  if (!(getScale().convertToFloat() > 0.0f))
    return emitOpError() << "scale must be positive, got "
                         << getScale().convertToFloat();
  RankedTensorType type = getType();
  if (getRuntimeKernel() &&
      (type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1) ||
       !type.getElementType().isF32() ||
       static_cast<int64_t>(getAxis()) != type.getRank() - 1))
    return emitOpError() << "runtime_kernel needs an f32 tensor with static "
                            "rows and the last axis";
  return success();
}
LogicalResult LogSoftmaxOp::verify() { return verifySoftmaxAxis(*this); }

/// Whether `param` (a layer norm's scale or bias) holds exactly one value
/// per normalized element: right-aligned to `input`, its dims before `axis`
/// are 1 and the others match, so that its buffer is one dense row.
bool gcomp::isLayerNormRowParameter(Value param, RankedTensorType input,
                                    int64_t axis) {
  if (!param)
    return true;
  auto type = cast<RankedTensorType>(param.getType());
  int64_t rank = input.getRank(), offset = rank - type.getRank();
  if (offset < 0 || !type.hasStaticShape())
    return false;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t inputDim = offset + d;
    if (inputDim < axis ? type.getDimSize(d) != 1
                        : type.getDimSize(d) != input.getDimSize(inputDim))
      return false;
  }
  return true;
}

/// `shape` transposed by `perm` (empty: the identity), or failure if
/// `perm` is not a permutation of its dims.
static FailureOr<SmallVector<int64_t>> permuted(ArrayRef<int64_t> shape,
                                                ArrayRef<int64_t> perm) {
  if (perm.empty())
    return SmallVector<int64_t>(shape);
  if (perm.size() != shape.size() || !isPermutationVector(perm))
    return failure();
  SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(shape[p]);
  return out;
}

/// Whether two dims can be one size: equal, or one of them symbolic (the
/// generic variant checks symbolic sizes at run time).
static bool compatibleDims(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a.size() == b.size() &&
         llvm::all_of(llvm::zip(a, b), [](auto pair) {
           auto [x, y] = pair;
           return x == y || ShapedType::isDynamic(x) ||
                  ShapedType::isDynamic(y);
         });
}

LogicalResult AttentionOp::verify() {
  auto logical = [&](Value v, ArrayRef<int64_t> perm,
                     StringRef name) -> FailureOr<SmallVector<int64_t>> {
    auto shape = permuted(cast<RankedTensorType>(v.getType()).getShape(), perm);
    if (failed(shape))
      emitOpError() << name << "_perm is not a permutation of its "
                    << cast<RankedTensorType>(v.getType()).getRank()
                    << " dims";
    return shape;
  };
  auto q = logical(getQuery(), getQueryPerm(), "query");
  auto kt = logical(getKeyT(), getKeyTPerm(), "key_t");
  auto v = logical(getValue(), getValuePerm(), "value");
  if (failed(q) || failed(kt) || failed(v))
    return failure();
  size_t rank = q->size();
  if (rank < 3 || rank > 4 || kt->size() != rank || v->size() != rank)
    return emitOpError() << "needs query, key_t and value of one rank, 3 or "
                            "4 (one or two head dims)";
  ArrayRef<int64_t> heads(q->data(), rank - 2);
  if (!compatibleDims(ArrayRef<int64_t>(kt->data(), rank - 2), heads) ||
      !compatibleDims(ArrayRef<int64_t>(v->data(), rank - 2), heads))
    return emitOpError() << "query, key_t and value must have the same head "
                            "dims";
  int64_t s = (*q)[rank - 2], d = (*q)[rank - 1], t = (*kt)[rank - 1];
  if (!compatibleDims((*kt)[rank - 2], d) ||
      !compatibleDims((*v)[rank - 2], t))
    return emitOpError() << "expects Q [..., s, d], Kt [..., d, t] and V "
                            "[..., t, dv]";
  if (Value mask = getMask()) {
    SmallVector<int64_t> scores(heads), shape;
    scores.append({s, t});
    if (failed(broadcastShapes(scores,
                               cast<RankedTensorType>(mask.getType()).getShape(),
                               shape, nullptr)) ||
        !compatibleDims(shape, scores))
      return emitOpError() << "mask " << mask.getType()
                           << " does not broadcast to the scores";
  }
  SmallVector<int64_t> out(heads);
  out.append({s, (*v)[rank - 1]});
  auto result = permuted(out, getResultPerm());
  if (failed(result))
    return emitOpError() << "result_perm is not a permutation of its "
                         << rank << " dims";
  if (ArrayRef<int64_t>(*result) != getType().getShape())
    return emitOpError() << "result type " << getType()
                         << " does not match the attention's output";
  if (!(getScale().convertToFloat() > 0.0f) ||
      !std::isfinite(getScale().convertToFloat()))
    return emitOpError() << "scale must be positive and finite";
  return success();
}

LogicalResult
AttentionOp::reifyResultShapes(OpBuilder &b,
                               ReifiedRankedShapedTypeDims &shapes) {
  // The logical output [heads..., s, dv]: the heads and s are the query's,
  // dv the value's.
  int64_t rank = getType().getRank();
  auto operandDim = [&](Value v, ArrayRef<int64_t> perm, int64_t logical) {
    return tensor::getMixedSize(b, getLoc(), v,
                                perm.empty() ? logical : perm[logical]);
  };
  SmallVector<OpFoldResult> logical;
  for (int64_t i = 0; i < rank - 1; ++i)
    logical.push_back(operandDim(getQuery(), getQueryPerm(), i));
  logical.push_back(operandDim(getValue(), getValuePerm(), rank - 1));
  ArrayRef<int64_t> perm = getResultPerm();
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < rank; ++i)
    sizes.push_back(logical[perm.empty() ? i : perm[i]]);
  shapes.push_back(sizes);
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType type = getInput().getType();
  int64_t rank = type.getRank(), axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis
                         << " is out of range for a tensor of rank " << rank;
  if (getType() != type)
    return emitOpError() << "result type " << getType()
                         << " must be the input type " << type;
  for (Value param : {getScale(), getBias()}) {
    if (!param)
      continue;
    auto paramType = cast<RankedTensorType>(param.getType());
    SmallVector<int64_t> shape;
    if (paramType.getElementType() != type.getElementType() ||
        failed(broadcastShapes(type.getShape(), paramType.getShape(), shape,
                               nullptr)) ||
        ArrayRef<int64_t>(shape) != type.getShape())
      return emitOpError() << "scale and bias must broadcast to the input "
                           << type << ", got " << paramType;
  }
  if (!(getEpsilon().convertToFloat() >= 0.0f))
    return emitOpError() << "epsilon must be non-negative";
  if (getRuntimeKernel() &&
      (llvm::any_of(type.getShape().drop_front(axis), ShapedType::isDynamic) ||
       !type.getElementType().isF32() ||
       !isLayerNormRowParameter(getScale(), type, axis) ||
       !isLayerNormRowParameter(getBias(), type, axis)))
    return emitOpError() << "runtime_kernel needs an f32 tensor with static "
                            "normalized dims and a scale and bias of their "
                            "shape";
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement verifiers
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  int64_t rank = in.getRank();
  if (out.getRank() != rank || static_cast<int64_t>(getStarts().size()) != rank ||
      static_cast<int64_t>(getSteps().size()) != rank)
    return emitOpError() << "expects starts and steps for each of the " << rank
                         << " dims and a result of the same rank";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t size = in.getDimSize(d), count = out.getDimSize(d);
    int64_t start = getStarts()[d], step = getSteps()[d];
    if (step == 0)
      return emitOpError() << "step of dim " << d << " is 0";
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(count) ||
        count == 0)
      continue;
    int64_t last = start + (count - 1) * step;
    if (start < 0 || start >= size || last < 0 || last >= size)
      return emitOpError() << "dim " << d << " reads [" << start << ", "
                           << last << "] outside [0, " << size << ")";
  }
  return success();
}

/// Output size of a sliding window: floor or ceil of
/// (in + padBegin + padEnd - dilation * (kernel - 1) - 1) / stride + 1.
static int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                                int64_t dilation, int64_t padBegin,
                                int64_t padEnd) {
  // A symbolic size (kDynamic, the lowest int64) has no arithmetic.
  if (ShapedType::isDynamic(in))
    return ShapedType::kDynamic;
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

/// Checks the window attributes of a conv/pool against the ranks.
static LogicalResult verifyWindow(Operation *op, int64_t spatial,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dilations,
                                  ArrayRef<int64_t> pads) {
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial)
    return op->emitOpError() << "expects " << spatial << " strides and "
                             << "dilations and " << 2 * spatial << " pads";
  if (llvm::any_of(strides, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(dilations, [](int64_t v) { return v < 1; }) ||
      llvm::any_of(pads, [](int64_t v) { return v < 0; }))
    return op->emitOpError() << "strides and dilations must be positive and "
                                "pads non-negative";
  return success();
}

/// Dim of the channels and of spatial dim `d` in a conv or pool operand of
/// `rank` in NCHW (channels first) or channels-last order.
static int64_t channelDim(int64_t rank, bool channelsLast) {
  return channelsLast ? rank - 1 : 1;
}
static int64_t spatialDim(int64_t d, bool channelsLast) {
  return channelsLast ? d + 1 : d + 2;
}

LogicalResult ConvOp::verify() {
  RankedTensorType in = getInput().getType(), w = getWeight().getType(),
                   out = getType();
  int64_t rank = in.getRank(), spatial = rank - 2;
  bool last = getChannelsLast();
  if (rank < 3 || w.getRank() != rank || out.getRank() != rank)
    return emitOpError() << "expects input, weight and result of one rank >= 3";
  // Integer convolutions are the i32 products of quantized models.
  SmallVector<Type> elements = {in.getElementType(), w.getElementType(),
                                out.getElementType()};
  if (getBias())
    elements.push_back(getBias().getType().getElementType());
  if (llvm::any_of(elements, [](Type t) { return isa<IntegerType>(t); }) &&
      !llvm::all_of(elements, [](Type t) { return t.isSignlessInteger(32); }))
    return emitOpError() << "an integer convolution takes i32 input, weight, "
                            "bias and result";
  if (failed(verifyWindow(*this, spatial, getStrides(), getDilations(),
                          getPads())))
    return failure();
  // Weight dims: [M, C/G, kernel...], or [kernel..., C/G, M] channels-last.
  int64_t wOut = last ? rank - 1 : 0, wIn = last ? rank - 2 : 1;
  auto wKernel = [&](int64_t d) { return w.getDimSize(last ? d : d + 2); };
  int64_t group = static_cast<int64_t>(getGroup());
  int64_t c = in.getDimSize(channelDim(rank, last)), m = w.getDimSize(wOut);
  if (group < 1 || (!ShapedType::isDynamic(c) && c % group) || m % group ||
      (!ShapedType::isDynamic(c) && w.getDimSize(wIn) * group != c))
    return emitOpError() << "channels do not match: input has " << c
                         << ", weight " << shapeStr(w.getShape())
                         << " with group " << group;
  if (getBias() && (getBias().getType().getRank() != 1 ||
                    getBias().getType().getDimSize(0) != m))
    return emitOpError() << "bias must be [" << m << "]";
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t size = in.getDimSize(spatialDim(d, last));
    int64_t expected =
        windowOutputSize(size, wKernel(d), getStrides()[d], getDilations()[d],
                         getPads()[d], getPads()[d + spatial]);
    if (!ShapedType::isDynamic(size) &&
        out.getDimSize(spatialDim(d, last)) != expected)
      return emitOpError() << "spatial dim " << d << " should be " << expected
                           << ", the result has "
                           << out.getDimSize(spatialDim(d, last));
  }
  if (out.getDimSize(channelDim(rank, last)) != m)
    return emitOpError() << "result has "
                         << out.getDimSize(channelDim(rank, last))
                         << " channels, the weight " << m;
  return success();
}

/// A pool's result: the input's batch (dim 0 in either layout), the rest
/// static (other symbolic dims are not reified).
static LogicalResult reifyPoolShape(OpBuilder &b, Location loc, Value input,
                                    RankedTensorType type,
                                    ReifiedRankedShapedTypeDims &shapes) {
  if (!isStaticButBatch(type))
    return failure();
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(type.isDynamicDim(d) && d == 0
                        ? OpFoldResult(tensor::getMixedSize(b, loc, input, 0))
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
  shapes.push_back(sizes);
  return success();
}

LogicalResult MaxPoolOp::reifyResultShapes(OpBuilder &b,
                                           ReifiedRankedShapedTypeDims &shapes) {
  return reifyPoolShape(b, getLoc(), getInput(), getType(), shapes);
}

LogicalResult AveragePoolOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &shapes) {
  return reifyPoolShape(b, getLoc(), getInput(), getType(), shapes);
}

// Softmax and layer norm keep their input's shape (their runtime kernels
// take symbolic rows).
LogicalResult SoftmaxOp::reifyResultShapes(OpBuilder &b,
                                           ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(b, getLoc(), getInput()));
  return success();
}

LogicalResult LayerNormOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(b, getLoc(), getInput()));
  return success();
}

LogicalResult FusedConvOp::reifyResultShapes(
    OpBuilder &b, ReifiedRankedShapedTypeDims &shapes) {
  // The result is init's buffer.
  shapes.push_back(tensor::getMixedSizes(b, getLoc(), getInit()));
  return success();
}

LogicalResult FusedConvOp::verify() {
  RankedTensorType in = getInput().getType(), w = getWeight().getType(),
                   out = getType();
  // Only the batch dim may be dynamic.
  if (in.getRank() != 4 || out.getRank() != 4 || w.getRank() != 1 ||
      !isStaticButBatch(in) || !w.hasStaticShape() || !isStaticButBatch(out) ||
      !in.getElementType().isF32() || !out.getElementType().isF32())
    return emitOpError() << "expects f32 [N, H, W, C] input and result, "
                            "static but for N, and a packed 1-D weight";
  // The input's dims in [N, H, W, C] order.
  SmallVector<int64_t> inNHWC(in.getShape());
  if (getInputNchw())
    inNHWC = {in.getDimSize(0), in.getDimSize(2), in.getDimSize(3),
              in.getDimSize(1)};
  if (getInit().getType() != out)
    return emitOpError() << "init must have the result's type " << out;
  if (getKernel().size() != 2 ||
      llvm::any_of(getKernel(), [](int64_t k) { return k < 1; }))
    return emitOpError() << "expects a positive [KH, KW] kernel";
  if (failed(verifyWindow(*this, 2, getStrides(), getDilations(), getPads())))
    return failure();
  int64_t c = inNHWC[3], m = out.getDimSize(3);
  if (getDepthwise()) {
    if (getInputNchw())
      return emitOpError() << "depthwise takes a channels-last input";
    if (c != m)
      return emitOpError() << "depthwise needs as many result channels as "
                              "input channels, has "
                           << m << " and " << c;
    int64_t taps = getKernel()[0] * getKernel()[1] * c;
    if (w.getDimSize(0) != taps)
      return emitOpError() << "depthwise weight must hold " << taps
                           << " floats (" << getKernel()[0] << " x "
                           << getKernel()[1] << " x " << c << "), has "
                           << w.getDimSize(0);
  } else {
    int64_t k = getKernel()[0] * getKernel()[1] * c;
    const int64_t panel = GCOMP_SGEMM_PANEL;
    int64_t packed = k * ((m + panel - 1) / panel * panel);
    if (w.getDimSize(0) != packed)
      return emitOpError() << "packed weight must hold " << packed
                           << " floats (" << k << " x " << m
                           << " in panels of " << panel << "), has "
                           << w.getDimSize(0);
  }
  if (getBias() && (getBias().getType().getRank() != 1 ||
                    getBias().getType().getDimSize(0) != m))
    return emitOpError() << "bias must be [" << m << "]";
  if (std::optional<ArrayRef<float>> clamp = getClamp()) {
    if (clamp->size() != 2 || !((*clamp)[0] <= (*clamp)[1]))
      return emitOpError() << "clamp must be [lo, hi] with lo <= hi";
    if (getRelu())
      return emitOpError() << "takes relu or clamp, not both";
  }
  if (int(getRelu()) + int(getClamp().has_value()) + int(getGelu()) +
          int(getSilu()) >
      1)
    return emitOpError() << "takes one activation: relu, clamp, gelu or silu";
  if (out.getDimSize(0) != inNHWC[0])
    return emitOpError() << "batch of input and result differ";
  for (int64_t d = 0; d < 2; ++d) {
    int64_t expected = windowOutputSize(
        inNHWC[d + 1], getKernel()[d], getStrides()[d],
        getDilations()[d], getPads()[d], getPads()[d + 2]);
    if (out.getDimSize(d + 1) != expected)
      return emitOpError() << "spatial dim " << d << " should be " << expected
                           << ", the result has " << out.getDimSize(d + 1);
  }
  return success();
}

LogicalResult QConvOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  if (!in.hasStaticShape() || !out.hasStaticShape())
    return emitOpError() << "expects static [N, H, W, C] input and result";
  if (getKernel().size() != 2 ||
      llvm::any_of(getKernel(), [](int64_t k) { return k < 1; }))
    return emitOpError() << "expects a positive [KH, KW] kernel";
  if (failed(verifyWindow(*this, 2, getStrides(), getDilations(), getPads())))
    return failure();
  int64_t c = in.getDimSize(3), m = out.getDimSize(3);
  int64_t k = getKernel()[0] * getKernel()[1] * c;
  int64_t kPacked = static_cast<int64_t>(getKPacked());
  if (kPacked < k || kPacked % 4 != 0)
    return emitOpError() << "k_packed " << kPacked << " must be a multiple of "
                         << "4 no less than KH * KW * C = " << k;
  int64_t blocks = (m + GCOMP_QGEMM_BLOCK - 1) / GCOMP_QGEMM_BLOCK;
  int64_t packed = blocks * kPacked * GCOMP_QGEMM_BLOCK;
  if (getWeightPacked().getType().getDimSize(0) != packed)
    return emitOpError() << "packed weights of k = " << kPacked << ", m = " << m
                         << " take " << packed << " bytes, not "
                         << getWeightPacked().getType().getDimSize(0);
  if (getWeightSums().getType().getDimSize(0) != blocks * GCOMP_QGEMM_BLOCK)
    return emitOpError() << "expects " << blocks * GCOMP_QGEMM_BLOCK
                         << " column sums";
  Type element = out.getElementType();
  bool isFloat = element.isF32(), isBytes = element.isSignlessInteger(8);
  if (!isFloat && !isBytes) {
    if (getScale() || getBias() || getRelu() || getOutScale())
      return emitOpError() << "with an i32 result takes no scale, bias, relu "
                              "or requantization";
  } else if (!getScale()) {
    return emitOpError() << "with a " << element << " result needs a scale";
  }
  for (Value v : {getScale(), getBias()})
    if (v && cast<RankedTensorType>(v.getType()).getDimSize(0) != m)
      return emitOpError() << "scale and bias must be [" << m << "]";
  if (isBytes != (getOutScale().has_value() && getOutZeroPoint().has_value()))
    return emitOpError() << "an i8 result, and only it, needs out_scale and "
                            "out_zero_point";
  if (getResultSigned() && !isBytes)
    return emitOpError() << "result_signed needs an i8 result";
  if (out.getDimSize(0) != in.getDimSize(0))
    return emitOpError() << "batch of input and result differ";
  for (int64_t d = 0; d < 2; ++d) {
    int64_t expected = windowOutputSize(
        in.getDimSize(d + 1), getKernel()[d], getStrides()[d],
        getDilations()[d], getPads()[d], getPads()[d + 2]);
    if (out.getDimSize(d + 1) != expected)
      return emitOpError() << "spatial dim " << d << " should be " << expected
                           << ", the result has " << out.getDimSize(d + 1);
  }
  return success();
}

template <typename OpT> static LogicalResult verifyPool(OpT op) {
  RankedTensorType in = op.getInput().getType(), out = op.getType();
  int64_t spatial = in.getRank() - 2;
  bool last = op.getChannelsLast();
  if (in.getRank() < 3 || out.getRank() != in.getRank() ||
      static_cast<int64_t>(op.getKernel().size()) != spatial)
    return op.emitOpError() << "expects a kernel size per spatial dim";
  if (failed(verifyWindow(op, spatial, op.getStrides(), op.getDilations(),
                          op.getPads())))
    return failure();
  int64_t cDim = channelDim(in.getRank(), last);
  auto differ = [&](int64_t d) {
    return !ShapedType::isDynamic(in.getDimSize(d)) &&
           !ShapedType::isDynamic(out.getDimSize(d)) &&
           in.getDimSize(d) != out.getDimSize(d);
  };
  if (differ(0) || differ(cDim))
    return op.emitOpError() << "result must keep the batch and channel dims";
  if (op.getRuntimeKernel() &&
      (!last || spatial != 2 || !isStaticButBatch(in) || !isStaticButBatch(out) ||
       !in.getElementType().isF32()))
    return op.emitOpError()
           << "runtime_kernel needs a channels_last 2-D pool of f32 tensors, "
              "static but for the batch dim";
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t size = out.getDimSize(spatialDim(d, last));
    int64_t inSize = in.getDimSize(spatialDim(d, last));
    // Ceil mode may add one window that starts inside the padded input.
    int64_t floorSize = windowOutputSize(
        inSize, op.getKernel()[d], op.getStrides()[d], op.getDilations()[d],
        op.getPads()[d], op.getPads()[d + spatial]);
    if (!ShapedType::isDynamic(inSize) &&
        (size < floorSize || size > floorSize + 1))
      return op.emitOpError() << "spatial dim " << d << " has " << size
                              << " windows, expected " << floorSize
                              << " (or one more in ceil mode)";
  }
  return success();
}
LogicalResult MaxPoolOp::verify() { return verifyPool(*this); }
LogicalResult AveragePoolOp::verify() { return verifyPool(*this); }

LogicalResult PadOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  int64_t rank = in.getRank();
  if (static_cast<int64_t>(getPads().size()) != 2 * rank ||
      out.getRank() != rank)
    return emitOpError() << "expects " << 2 * rank << " pads";
  StringRef mode = getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge" &&
      mode != "wrap")
    return emitOpError() << "unknown mode '" << mode << "'";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = getPads()[d], hi = getPads()[d + rank];
    if (lo < 0 || hi < 0)
      return emitOpError() << "pads must be non-negative";
    if (!ShapedType::isDynamic(in.getDimSize(d)) &&
        out.getDimSize(d) != in.getDimSize(d) + lo + hi)
      return emitOpError() << "result dim " << d << " should be "
                           << in.getDimSize(d) + lo + hi;
  }
  return success();
}

LogicalResult GatherElementsOp::verify() {
  RankedTensorType data = getData().getType(), indices = getIndices().getType();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (data.getRank() != indices.getRank() || axis < 0 || axis >= data.getRank())
    return emitOpError() << "expects data and indices of one rank and an axis "
                            "in range";
  if (getType().getShape() != indices.getShape() ||
      getType().getElementType() != data.getElementType())
    return emitOpError() << "result must have the indices' shape and the "
                            "data's element type";
  return success();
}

LogicalResult BroadcastToOp::verify() {
  if (!getSizes().empty() &&
      getSizes().size() != static_cast<size_t>(getType().getNumDynamicDims()))
    return emitOpError() << "has " << getSizes().size()
                         << " sizes for a result with "
                         << getType().getNumDynamicDims() << " dynamic dims";
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(getInput().getType().getShape(),
                             getType().getShape(), shape, nullptr)) ||
      !llvm::equal(shape, getType().getShape()))
    return emitOpError() << "cannot broadcast "
                         << shapeStr(getInput().getType().getShape()) << " to "
                         << shapeStr(getType().getShape());
  return success();
}

LogicalResult IotaOp::verify() {
  if (getType().isDynamicDim(0) != static_cast<bool>(getSize()))
    return emitOpError() << "takes a size exactly when its result's dim is "
                            "dynamic";
  return success();
}

LogicalResult TileOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  if (in.getRank() != out.getRank())
    return emitOpError() << "result rank differs from the input's";
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t size = in.getDimSize(d), tiled = out.getDimSize(d);
    if (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(tiled) &&
        (size == 0 ? tiled != 0 : tiled % size != 0))
      return emitOpError() << "result dim " << d << " (" << tiled
                           << ") is not a multiple of the input's (" << size
                           << ")";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (!getSizes().empty() &&
      getSizes().size() != static_cast<size_t>(out.getNumDynamicDims()))
    return emitOpError() << "has " << getSizes().size()
                         << " sizes for a result with "
                         << out.getNumDynamicDims() << " dynamic dims";
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError() << "cannot reshape " << shapeStr(in.getShape())
                         << " (" << in.getNumElements() << " elements) to "
                         << shapeStr(out.getShape()) << " ("
                         << out.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() && getType().hasStaticShape())
    return getInput();
  if (getInput().getType() == getType() && getSizes().empty())
    return getInput();
  auto producer = getInput().getDefiningOp<ReshapeOp>();
  // The sizes of dynamic dims stay known: given, or the one dynamic dim
  // (the element count over the static dims).
  if (producer && getType().getNumDynamicDims() > 1 && getSizes().empty())
    producer = nullptr;
  if (producer) {
    // reshape(reshape(x)) == reshape(x): fold the chain in place.
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    if (getType().hasStaticShape())
      return dense.reshape(getType());
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  bool changed = false;
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    // transpose(transpose(x, inner), outer) == transpose(x, composed):
    // result dim j is the producer's dim outer[j], which is x's dim
    // inner[outer[j]]. Fold the chain in place.
    SmallVector<int64_t> composed;
    for (int64_t p : getPerm())
      composed.push_back(producer.getPerm()[p]);
    getInputMutable().assign(producer.getInput());
    setPerm(composed);
    changed = true;
  }
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if (static_cast<int64_t>(i) != p)
      return changed ? OpFoldResult(getResult()) : OpFoldResult();
  return getInput();
}

//===----------------------------------------------------------------------===//
// Indexed reads and writes, TopK, Resize
//===----------------------------------------------------------------------===//

/// The GatherND result shape: indices.shape[:-1] + data.shape[b + k:].
FailureOr<SmallVector<int64_t>> gcomp::inferGatherNDShape(
    ArrayRef<int64_t> data, ArrayRef<int64_t> indices, int64_t batchDims,
    EmitErrorFn emitError) {
  auto fail = [&](const Twine &message) -> FailureOr<SmallVector<int64_t>> {
    if (emitError)
      emitError() << message;
    return failure();
  };
  if (indices.empty() || ShapedType::isDynamic(indices.back()))
    return fail("indices must have a static last dim");
  int64_t k = indices.back();
  if (batchDims < 0 || batchDims >= static_cast<int64_t>(indices.size()) ||
      batchDims + k > static_cast<int64_t>(data.size()))
    return fail("batch_dims " + Twine(batchDims) + " plus tuple length " +
                Twine(k) + " exceeds the data rank " + Twine(data.size()));
  for (int64_t d = 0; d < batchDims; ++d)
    if (data[d] != indices[d])
      return fail("data " + shapeStr(data) + " and indices " +
                  shapeStr(indices) + " differ in batch dim " + Twine(d));
  SmallVector<int64_t> shape(indices.drop_back());
  shape.append(data.begin() + batchDims + k, data.end());
  return shape;
}

LogicalResult GatherNDOp::verify() {
  auto shape = inferGatherNDShape(
      getData().getType().getShape(), getIndices().getType().getShape(),
      static_cast<int64_t>(getBatchDims()), [&] { return emitOpError(); });
  if (failed(shape))
    return failure();
  if (getType().getShape() != ArrayRef(*shape) ||
      getType().getElementType() != getData().getType().getElementType())
    return emitOpError() << "result must be " << shapeStr(*shape)
                         << " of the data's element type";
  return success();
}

static LogicalResult verifyReduction(Operation *op, StringRef reduction) {
  if (!llvm::is_contained({"none", "add", "mul", "max", "min"}, reduction))
    return op->emitOpError() << "unknown reduction '" << reduction
                             << "' (expected none, add, mul, max or min)";
  return success();
}

LogicalResult ScatterNDOp::verify() {
  ArrayRef<int64_t> data = getData().getType().getShape(),
                    indices = getIndices().getType().getShape(),
                    updates = getUpdates().getType().getShape();
  if (indices.empty() || ShapedType::isDynamic(indices.back()) ||
      indices.back() > static_cast<int64_t>(data.size()))
    return emitOpError() << "indices " << shapeStr(indices)
                         << " must end in a static tuple length <= the data rank";
  SmallVector<int64_t> expected(indices.drop_back());
  expected.append(data.begin() + indices.back(), data.end());
  if (updates != ArrayRef(expected))
    return emitOpError() << "updates must be " << shapeStr(expected) << ", got "
                         << shapeStr(updates);
  if (getUpdates().getType().getElementType() !=
      getData().getType().getElementType())
    return emitOpError() << "updates and data differ in element type";
  return verifyReduction(*this, getReduction());
}

LogicalResult ScatterElementsOp::verify() {
  RankedTensorType data = getData().getType(), indices = getIndices().getType();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (data.getRank() != indices.getRank() || axis < 0 || axis >= data.getRank())
    return emitOpError() << "expects data and indices of one rank and an axis "
                            "in range";
  if (getUpdates().getType().getShape() != indices.getShape() ||
      getUpdates().getType().getElementType() != data.getElementType())
    return emitOpError() << "updates must have the indices' shape and the "
                            "data's element type";
  return verifyReduction(*this, getReduction());
}

LogicalResult NonZeroIndicesOp::verify() {
  if (getIndices().getType().getShape() != getMask().getType().getShape())
    return emitOpError() << "indices " << getIndices().getType()
                         << " must have the mask's length "
                         << getMask().getType();
  return success();
}

LogicalResult UniqueRunsOp::verify() {
  RankedTensorType sorted = getSorted().getType();
  if (getValues().getType() != sorted)
    return emitOpError() << "values must have the type of sorted " << sorted;
  for (Value v : {getPositions(), getFirst(), getInverse(), getCounts()})
    if (cast<RankedTensorType>(v.getType()).getShape() != sorted.getShape())
      return emitOpError() << "positions, first, inverse and counts must have "
                              "the length of sorted "
                           << sorted;
  return success();
}

LogicalResult GridSampleOp::verify() {
  RankedTensorType in = getInput().getType(), grid = getGrid().getType(),
                   out = getType();
  int64_t spatial = in.getRank() - 2;
  if (spatial < 1 || spatial > 3 || !in.hasStaticShape() ||
      !grid.hasStaticShape() || !out.hasStaticShape())
    return emitOpError() << "expects static shapes with 1 to 3 spatial dims";
  if (grid.getRank() != spatial + 2 || grid.getDimSize(0) != in.getDimSize(0) ||
      grid.getDimSize(spatial + 1) != spatial)
    return emitOpError() << "grid " << grid << " does not fit input " << in;
  SmallVector<int64_t> shape = {in.getDimSize(0), in.getDimSize(1)};
  for (int64_t d = 1; d <= spatial; ++d)
    shape.push_back(grid.getDimSize(d));
  if (out.getShape() != ArrayRef(shape))
    return emitOpError() << "result " << out << " must be [N, C] + the grid's "
                            "spatial dims";
  if (!llvm::is_contained({"nearest", "linear", "cubic"}, getMode()) ||
      !llvm::is_contained({"zeros", "border", "reflection"}, getPaddingMode()))
    return emitOpError() << "unknown mode '" << getMode()
                         << "' or padding mode '" << getPaddingMode() << "'";
  return success();
}

LogicalResult RoiAlignOp::verify() {
  RankedTensorType in = getInput().getType(), rois = getRois().getType(),
                   out = getType();
  int64_t r = rois.getDimSize(0);
  if (!in.hasStaticShape() || !rois.hasStaticShape() || !out.hasStaticShape() ||
      rois.getDimSize(1) != 4 || getBatchIndices().getType().getDimSize(0) != r ||
      out.getDimSize(0) != r || out.getDimSize(1) != in.getDimSize(1))
    return emitOpError() << "expects rois [R, 4], batch_indices [R] and a [R, "
                            "C, OH, OW] result of static shapes";
  if (getMode() != "avg" && getMode() != "max")
    return emitOpError() << "unknown mode '" << getMode() << "'";
  return success();
}

LogicalResult MatMulNBitsOp::verify() {
  RankedTensorType lhs = getLhs().getType(), weights = getWeights().getType(),
                   scales = getScales().getType(), result = getType();
  int64_t bits = static_cast<int64_t>(getBits()),
          blockSize = static_cast<int64_t>(getBlockSize());
  if (bits != 4 && bits != 8)
    return emitOpError() << "supports 4 and 8 bits, not " << bits;
  if (blockSize < 16 || !llvm::isPowerOf2_64(blockSize))
    return emitOpError() << "expects a block_size that is a power of two, at "
                            "least 16, got "
                         << blockSize;
  if (!lhs.hasStaticShape() || lhs.getRank() < 1 ||
      !weights.hasStaticShape() || weights.getRank() != 3 ||
      !scales.hasStaticShape() || !result.hasStaticShape())
    return emitOpError() << "expects static shapes, lhs [..., K] and weights "
                            "[N, blocks, bytes]";
  int64_t k = lhs.getShape().back(), n = weights.getDimSize(0),
          blocks = (k + blockSize - 1) / blockSize;
  if (k < 1 || n < 1)
    return emitOpError() << "expects K and N of at least 1";
  if (weights.getDimSize(1) != blocks ||
      weights.getDimSize(2) != blockSize * bits / 8)
    return emitOpError() << "expects weights [" << n << ", " << blocks << ", "
                         << blockSize * bits / 8 << "] for K = " << k
                         << ", got " << weights;
  SmallVector<int64_t> perBlock = {n, blocks};
  if (scales.getShape() != ArrayRef(perBlock) ||
      (getZeroPoints() &&
       getZeroPoints().getType().getShape() != ArrayRef(perBlock)))
    return emitOpError() << "expects scales and zero points [" << n << ", "
                         << blocks << "]";
  if (getBias() && getBias().getType().getShape() != ArrayRef(n))
    return emitOpError() << "expects a bias [" << n << "]";
  SmallVector<int64_t> shape(lhs.getShape().drop_back());
  shape.push_back(n);
  if (result.getShape() != ArrayRef(shape))
    return emitOpError() << "expects a result " << RankedTensorType::get(shape, result.getElementType())
                         << ", got " << result;
  return success();
}

LogicalResult DetOp::verify() {
  RankedTensorType in = getInput().getType();
  int64_t rank = in.getRank();
  if (rank < 2 || !in.hasStaticShape() ||
      in.getDimSize(rank - 1) != in.getDimSize(rank - 2) ||
      getType().getShape() != in.getShape().drop_back(2))
    return emitOpError() << "expects static [..., N, N] matrices and a [...] "
                            "result, got "
                         << in << " -> " << getType();
  return success();
}

LogicalResult NonMaxSuppressionOp::verify() {
  RankedTensorType boxes = getBoxes().getType(), scores = getScores().getType(),
                   selected = getSelected().getType();
  if (!boxes.hasStaticShape() || !scores.hasStaticShape() ||
      !selected.hasStaticShape())
    return emitOpError() << "expects static shapes";
  int64_t batches = boxes.getDimSize(0), n = boxes.getDimSize(1);
  if (boxes.getDimSize(2) != 4 || scores.getDimSize(0) != batches ||
      scores.getDimSize(2) != n)
    return emitOpError() << "expects boxes [B, N, 4] and scores [B, C, N], got "
                         << boxes << " and " << scores;
  int64_t lists = batches * scores.getDimSize(1);
  int64_t rows = selected.getDimSize(0);
  if (selected.getDimSize(1) != 3 ||
      (lists == 0 ? rows != 0 : rows % lists != 0 || rows / lists > n))
    return emitOpError() << "selected " << selected
                         << " must be [B * C * K, 3] with K <= N";
  for (Value scalar : {getMaxOutputBoxesPerClass(), getIouThreshold(),
                       getScoreThreshold()})
    if (scalar && cast<RankedTensorType>(scalar.getType()).getNumElements() != 1)
      return emitOpError() << "expects one-element thresholds, got "
                           << scalar.getType();
  return success();
}

LogicalResult TopKOp::verify() {
  RankedTensorType in = getInput().getType(), values = getValues().getType();
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= in.getRank())
    return emitOpError() << "axis " << axis << " is out of range for " << in;
  if (values.getShape() != getIndices().getType().getShape() ||
      values.getElementType() != in.getElementType() ||
      values.getRank() != in.getRank())
    return emitOpError() << "values and indices must share a shape of the "
                            "input's rank, values the input's element type";
  for (int64_t d = 0; d < in.getRank(); ++d) {
    int64_t size = in.getDimSize(d), k = values.getDimSize(d);
    if (d == axis ? (!ShapedType::isDynamic(size) && !ShapedType::isDynamic(k) &&
                     k > size)
                  : size != k)
      return emitOpError() << "results " << values << " do not fit input " << in
                           << " with k along axis " << axis;
  }
  return success();
}

LogicalResult ResizeOp::verify() {
  RankedTensorType in = getInput().getType(), out = getType();
  if (in.getRank() != out.getRank() ||
      static_cast<int64_t>(getScales().size()) != in.getRank())
    return emitOpError() << "expects one scale per dim and equal ranks";
  if (!llvm::is_contained({"nearest", "linear", "cubic"}, getMode()))
    return emitOpError() << "unknown mode '" << getMode() << "'";
  if (!llvm::is_contained({"half_pixel", "half_pixel_symmetric",
                           "pytorch_half_pixel", "align_corners", "asymmetric",
                           "tf_crop_and_resize"},
                          getCoordinateMode()))
    return emitOpError() << "unknown coordinate mode '" << getCoordinateMode()
                         << "'";
  if (!llvm::is_contained({"round_prefer_floor", "round_prefer_ceil", "floor",
                           "ceil"},
                          getNearestMode()))
    return emitOpError() << "unknown nearest mode '" << getNearestMode() << "'";
  if (getMode() != "nearest" && !isa<FloatType>(in.getElementType()))
    return emitOpError() << getMode() << " interpolation needs a float type";
  if (llvm::any_of(getScales(), [](double s) { return !(s > 0); }))
    return emitOpError() << "scales must be positive";
  if (getCoordinateMode() == "tf_crop_and_resize" &&
      static_cast<int64_t>(getRoi().size()) != 2 * in.getRank())
    return emitOpError() << "tf_crop_and_resize needs a roi of 2 x rank values";
  return success();
}

#define GET_OP_CLASSES
#include "gcomp/Dialect/Gcomp/IR/GcompOps.cpp.inc"
