//===- GcompOps.cpp - gcomp dialect ops -----------------------------------===//
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
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

#define GCOMP_BINARY_INFER(OP)                                                 \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,              \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    auto emit = errorAt(loc);                                                  \
    return pushInferred(                                                       \
        inferBroadcastType(                                                    \
            cast<RankedTensorType>(adaptor.getLhs().getType()),                \
            cast<RankedTensorType>(adaptor.getRhs().getType()),                \
            loc ? EmitErrorFn(emit) : EmitErrorFn()),                          \
        types);                                                                \
  }
GCOMP_BINARY_INFER(AddOp)
GCOMP_BINARY_INFER(SubOp)
GCOMP_BINARY_INFER(MulOp)
GCOMP_BINARY_INFER(DivOp)
#undef GCOMP_BINARY_INFER

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

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  // I64Attr's accessor is unsigned; a negative axis must read as negative.
  int64_t axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return emitOpError() << "axis " << axis
                         << " is out of range for a tensor of rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getResult().getType();
  if (in.hasStaticShape() && out.hasStaticShape() &&
      in.getNumElements() != out.getNumElements())
    return emitOpError() << "cannot reshape " << shapeStr(in.getShape())
                         << " (" << in.getNumElements() << " elements) to "
                         << shapeStr(out.getShape()) << " ("
                         << out.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    // reshape(reshape(x)) == reshape(x): fold the chain in place.
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if (static_cast<int64_t>(i) != p)
      return {};
  return getInput();
}

#define GET_OP_CLASSES
#include "gcomp/Dialect/Gcomp/IR/GcompOps.cpp.inc"
