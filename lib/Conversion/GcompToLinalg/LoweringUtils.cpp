//===- LoweringUtils.cpp - shared by the GcompToLinalg patterns -----------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

using namespace mlir;

namespace gcomp::lowering {

LogicalResult requireStatic(Operation *op, ConversionPatternRewriter &rewriter) {
  for (Type t : llvm::concat<Type>(TypeRange(op->getOperandTypes()),
                                   TypeRange(op->getResultTypes())))
    if (auto shaped = dyn_cast<ShapedType>(t); shaped && !shaped.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes are not lowered yet");
  return success();
}

/// The operand dim that lines up with dim `d` of a rank-`rank` result, or
/// -1 if the operand has fewer dims.
static int64_t alignedDim(ShapedType operand, int64_t rank, int64_t d) {
  int64_t j = d - (rank - operand.getRank());
  return j >= 0 ? j : -1;
}

LogicalResult requireAlignedDims(Operation *op,
                                 ConversionPatternRewriter &rewriter) {
  if (succeeded(requireStatic(op, rewriter)))
    return success();
  for (Value result : op->getResults()) {
    auto type = dyn_cast<RankedTensorType>(result.getType());
    if (!type)
      continue;
    int64_t rank = type.getRank();
    for (Value operand : op->getOperands()) {
      auto shaped = dyn_cast<RankedTensorType>(operand.getType());
      if (!shaped)
        continue;
      if (shaped.getRank() > rank)
        return rewriter.notifyMatchFailure(op, "an operand of higher rank");
      for (int64_t j = 0; j < shaped.getRank(); ++j)
        if (shaped.isDynamicDim(j) &&
            !type.isDynamicDim(j + rank - shaped.getRank()))
          return rewriter.notifyMatchFailure(
              op, "a dynamic operand dim against a static result dim");
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (!type.isDynamicDim(d))
        continue;
      bool found = llvm::any_of(op->getOperands(), [&](Value operand) {
        auto shaped = dyn_cast<RankedTensorType>(operand.getType());
        if (!shaped)
          return false;
        int64_t j = alignedDim(shaped, rank, d);
        return j >= 0 && shaped.isDynamicDim(j);
      });
      if (!found)
        return rewriter.notifyMatchFailure(
            op, "a dynamic result dim that no operand dim gives");
    }
  }
  return success();
}

SmallVector<Value> alignedDynamicSizes(OpBuilder &b, Location loc,
                                       RankedTensorType type, ValueRange like) {
  SmallVector<Value> sizes;
  int64_t rank = type.getRank();
  for (int64_t d = 0; d < rank; ++d) {
    if (!type.isDynamicDim(d))
      continue;
    for (Value v : like) {
      auto shaped = cast<RankedTensorType>(v.getType());
      int64_t j = alignedDim(shaped, rank, d);
      if (j >= 0 && shaped.isDynamicDim(j)) {
        sizes.push_back(tensor::DimOp::create(b, loc, v, j));
        break;
      }
    }
  }
  assert(static_cast<int64_t>(sizes.size()) == type.getNumDynamicDims() &&
         "a dynamic dim without an aligned operand dim");
  return sizes;
}

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ValueRange dynamicSizes) {
  return tensor::EmptyOp::create(b, loc, type, dynamicSizes);
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   TypedAttr value, ValueRange dynamicSizes) {
  Value init = emptyTensor(b, loc, type, dynamicSizes);
  Value scalar = arith::ConstantOp::create(b, loc, value);
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

TypedAttr zeroAttr(Type elementType) {
  if (auto ft = dyn_cast<FloatType>(elementType))
    return FloatAttr::get(ft, 0.0);
  return IntegerAttr::get(elementType, 0);
}

Value scalarConstant(OpBuilder &b, Location loc, Type type, double v) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, FloatAttr::get(ft, v));
  return arith::ConstantOp::create(
      b, loc, IntegerAttr::get(type, static_cast<int64_t>(v)));
}

AffineMap broadcastMap(ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape, MLIRContext *ctx) {
  unsigned rank = resultShape.size();
  unsigned offset = rank - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [j, dim] : llvm::enumerate(operandShape)) {
    if (dim == 1 && resultShape[j + offset] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(j + offset, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, ScalarFn fn) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(cast<RankedTensorType>(in.getType()).getShape(),
                                resultType.getShape(), ctx));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx));
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, inputs,
      emptyTensor(b, loc, resultType,
                  alignedDynamicSizes(b, loc, resultType, inputs)),
      maps, iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, fn(nb, nloc, args.drop_back()));
      });
  return generic.getResult(0);
}

/// Groups of the dims of `big` that each make one dim of `small`, for a
/// reshape with symbolic dims where upstream's matching gives up: a
/// dynamic dim of
/// `small` is one dynamic dim of `big` with unit dims around it, a static
/// one static dims of that product; unit dims at the end join the last
/// group.
static std::optional<SmallVector<ReassociationIndices>>
symbolicReassociation(ArrayRef<int64_t> big, ArrayRef<int64_t> small) {
  SmallVector<ReassociationIndices> groups;
  size_t i = 0;
  for (int64_t dim : small) {
    ReassociationIndices group;
    if (ShapedType::isDynamic(dim)) {
      while (i < big.size() && big[i] == 1)
        group.push_back(i++);
      if (i == big.size() || !ShapedType::isDynamic(big[i]))
        return std::nullopt;
      group.push_back(i++);
    } else {
      int64_t product = 1;
      while (i < big.size() && !ShapedType::isDynamic(big[i]) &&
             (product < dim || group.empty())) {
        product *= big[i];
        group.push_back(i++);
      }
      if (group.empty() || product != dim)
        return std::nullopt;
    }
    groups.push_back(group);
  }
  for (; i < big.size(); ++i) {
    if (big[i] != 1 || groups.empty())
      return std::nullopt;
    groups.back().push_back(i);
  }
  return groups;
}

std::optional<SmallVector<ReassociationIndices>>
reshapeReassociation(RankedTensorType source, RankedTensorType type) {
  if (source.getRank() == type.getRank())
    return std::nullopt;
  if (auto groups = getReassociationIndicesForReshape(source, type))
    return groups;
  if (source.hasStaticShape() && type.hasStaticShape())
    return std::nullopt;
  return source.getRank() > type.getRank()
             ? symbolicReassociation(source.getShape(), type.getShape())
             : symbolicReassociation(type.getShape(), source.getShape());
}

RankedTensorType withoutUnitDims(RankedTensorType type) {
  SmallVector<int64_t> dims;
  for (int64_t d : type.getShape())
    if (d != 1)
      dims.push_back(d);
  return type.clone(dims);
}

bool isSymbolicReshape(RankedTensorType source, RankedTensorType type) {
  return reshapeReassociation(source, type) ||
         withoutUnitDims(source).getShape() == withoutUnitDims(type).getShape();
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
  if (v.getType() == type)
    return v;
  // A reshape that only splits or only merges dims is an expand_shape or a
  // collapse_shape: those bufferize into views even of strided buffers
  // (a column slice split into attention heads), where tensor.reshape
  // needs an identity layout and so a copy.
  auto source = cast<RankedTensorType>(v.getType());
  if (std::optional<SmallVector<ReassociationIndices>> groups =
          reshapeReassociation(source, type)) {
    if (source.getRank() > type.getRank())
      return tensor::CollapseShapeOp::create(b, loc, type, v, *groups);
    if (source.getRank() < type.getRank())
      return tensor::ExpandShapeOp::create(b, loc, type, v, *groups);
  }
  if (!source.hasStaticShape() || !type.hasStaticShape()) {
    // A reshape that moves unit dims around symbolic ones ([?, 512, 1, 1]
    // to [?, 1, 1, 512]): merge into the dims other than 1, then split.
    RankedTensorType middle = withoutUnitDims(source);
    auto in = reshapeReassociation(source, middle);
    auto out = reshapeReassociation(middle, type);
    assert((in || middle == source) && (out || middle == type) &&
           "a reshape of symbolic dims that is not a split or a merge");
    if (in)
      v = tensor::CollapseShapeOp::create(b, loc, middle, v, *in);
    if (out)
      v = tensor::ExpandShapeOp::create(b, loc, type, v, *out);
    return v;
  }
  ArrayRef<int64_t> shape = type.getShape();
  auto shapeType = RankedTensorType::get({static_cast<int64_t>(shape.size())},
                                         b.getI64Type());
  Value shapeValue = arith::ConstantOp::create(
      b, loc, DenseIntElementsAttr::get(shapeType, shape));
  return tensor::ReshapeOp::create(b, loc, type, v, shapeValue);
}

Value reshapeThroughFlat(OpBuilder &b, Location loc, Value v,
                         RankedTensorType type, ValueRange sizes) {
  auto source = cast<RankedTensorType>(v.getType());
  if (!sizes.empty()) {
    // A split of one dynamic dim into several (rows back into batch and
    // sequence): tensor.reshape to the given sizes. (An expand_shape group
    // of several dynamic dims crashes upstream's expand-strided-metadata in
    // LLVM 22.) tensor.dim of the result folds to the sizes.
    SmallVector<Value> shape;
    auto dyn = sizes.begin();
    for (int64_t d : type.getShape())
      shape.push_back(ShapedType::isDynamic(d)
                          ? *dyn++
                          : arith::ConstantIndexOp::create(b, loc, d).getResult());
    Value shapeValue = tensor::FromElementsOp::create(
        b, loc,
        RankedTensorType::get({type.getRank()}, b.getIndexType()), shape);
    return tensor::ReshapeOp::create(b, loc, type, v, shapeValue);
  }
  auto flatType = RankedTensorType::get(
      {source.hasStaticShape() ? source.getNumElements() : ShapedType::kDynamic},
      source.getElementType());
  Value flat = v;
  if (source.getRank() != 1) {
    ReassociationIndices all =
        llvm::to_vector(llvm::seq<int64_t>(source.getRank()));
    flat = tensor::CollapseShapeOp::create(
        b, loc, flatType, v,
        source.getRank() ? SmallVector<ReassociationIndices>{all}
                         : SmallVector<ReassociationIndices>{});
  }
  SmallVector<Value> dynamic(sizes);
  if (dynamic.empty() && type.getNumDynamicDims() == 1) {
    // The source's dynamic dims times what is left of its static ones
    // (a product, which reads the same however the rows were reshaped
    // before: gcomp-symbolic-dims compares sizes by how they are computed).
    auto staticProduct = [](RankedTensorType t) {
      int64_t p = 1;
      for (int64_t d : t.getShape())
        if (!ShapedType::isDynamic(d))
          p *= d;
      return p;
    };
    int64_t in = staticProduct(source), out = std::max<int64_t>(staticProduct(type), 1);
    Value size;
    for (int64_t d = 0; d < source.getRank(); ++d)
      if (source.isDynamicDim(d)) {
        Value dim = tensor::DimOp::create(b, loc, v, d);
        size = size ? Value(arith::MulIOp::create(b, loc, size, dim)) : dim;
      }
    if (in % out == 0 && in / out != 1)
      size = arith::MulIOp::create(b, loc, size,
                                   arith::ConstantIndexOp::create(b, loc, in / out));
    else if (in % out != 0)
      size = arith::DivUIOp::create(
          b, loc,
          arith::MulIOp::create(b, loc, size,
                                arith::ConstantIndexOp::create(b, loc, in)),
          arith::ConstantIndexOp::create(b, loc, out));
    dynamic.push_back(size);
  }
  SmallVector<OpFoldResult> outputShape;
  auto dyn = dynamic.begin();
  for (int64_t d : type.getShape())
    outputShape.push_back(ShapedType::isDynamic(d) ? OpFoldResult(*dyn++)
                                                   : b.getIndexAttr(d));
  if (type.getRank() == 1 && type.isDynamicDim(0))
    return flat;
  ReassociationIndices all = llvm::to_vector(llvm::seq<int64_t>(type.getRank()));
  return tensor::ExpandShapeOp::create(
      b, loc, type, flat,
      type.getRank() ? SmallVector<ReassociationIndices>{all}
                     : SmallVector<ReassociationIndices>{},
      outputShape);
}

Value generate(OpBuilder &b, Location loc, RankedTensorType resultType,
               IndexFn fn, ValueRange dynamicSizes) {
  MLIRContext *ctx = b.getContext();
  SmallVector<utils::IteratorType> iterators(resultType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, resultType, ValueRange{},
      emptyTensor(b, loc, resultType, dynamicSizes),
      ArrayRef<AffineMap>{
          AffineMap::getMultiDimIdentityMap(resultType.getRank(), ctx)},
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange) {
        SmallVector<Value> indices;
        for (int64_t d = 0; d < resultType.getRank(); ++d)
          indices.push_back(linalg::IndexOp::create(nb, nloc, d));
        linalg::YieldOp::create(nb, nloc, fn(nb, nloc, indices));
      });
  return generic.getResult(0);
}

Value normalizedIndex(OpBuilder &b, Location loc, Value raw, int64_t size) {
  return normalizedIndex(b, loc, raw,
                         arith::ConstantIndexOp::create(b, loc, size));
}

Value normalizedIndex(OpBuilder &b, Location loc, Value raw, Value size) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, loc, negative,
                              arith::AddIOp::create(b, loc, i, size), i);
  // (folds to a constant for a static size)
  Value maxIndex = arith::MaxSIOp::create(
      b, loc, arith::SubIOp::create(b, loc, size, one), zero);
  return arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, i, zero),
                                maxIndex);
}

SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value index,
                               ArrayRef<int64_t> shape) {
  SmallVector<Value> coords(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    Value size = arith::ConstantIndexOp::create(b, loc, shape[d]);
    coords[d] = d == 0 ? index : arith::RemUIOp::create(b, loc, index, size);
    if (d > 0)
      index = arith::DivUIOp::create(b, loc, index, size);
  }
  return coords;
}

Value maxOf(OpBuilder &b, Location l, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, l, x, y);
  if (x.getType().isInteger(1))
    return arith::OrIOp::create(b, l, x, y);
  return arith::MaxSIOp::create(b, l, x, y);
}

Value minOf(OpBuilder &b, Location l, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MinimumFOp::create(b, l, x, y);
  if (x.getType().isInteger(1))
    return arith::AndIOp::create(b, l, x, y);
  return arith::MinSIOp::create(b, l, x, y);
}

Value combineScatter(OpBuilder &b, Location loc, StringRef reduction, Value old,
                     Value update) {
  bool isFloat = isa<FloatType>(update.getType());
  bool isBool = update.getType().isInteger(1);
  if (reduction == "add")
    return isFloat  ? Value(arith::AddFOp::create(b, loc, old, update))
           : isBool ? Value(arith::OrIOp::create(b, loc, old, update))
                    : Value(arith::AddIOp::create(b, loc, old, update));
  if (reduction == "mul")
    return isFloat  ? Value(arith::MulFOp::create(b, loc, old, update))
           : isBool ? Value(arith::AndIOp::create(b, loc, old, update))
                    : Value(arith::MulIOp::create(b, loc, old, update));
  if (reduction == "max")
    return maxOf(b, loc, old, update);
  if (reduction == "min")
    return minOf(b, loc, old, update);
  return update;
}

} // namespace gcomp::lowering

Value gcomp::lowering::multiplyAdd(OpBuilder &b, Location loc, Value a, Value x,
                                   Value acc) {
  if (isa<FloatType>(a.getType()))
    return arith::AddFOp::create(b, loc, acc, arith::MulFOp::create(b, loc, a, x));
  return arith::AddIOp::create(b, loc, acc, arith::MulIOp::create(b, loc, a, x));
}

void gcomp::lowering::yieldMultiplyAdd(OpBuilder &b, Location loc,
                                       ValueRange args) {
  // Half-precision factors into a wider (f32) accumulator: widened first,
  // so that each product is exact and the sum keeps f32's digits.
  Value x = args[0], y = args[1];
  Type accType = args[2].getType();
  auto widen = [&](Value v) -> Value {
    return v.getType() == accType || !isa<FloatType>(accType)
               ? v
               : arith::ExtFOp::create(b, loc, accType, v);
  };
  linalg::YieldOp::create(b, loc,
                          multiplyAdd(b, loc, widen(x), widen(y), args[2]));
}

Type gcomp::lowering::accumulatorType(Type element) {
  if (isa<Float16Type, BFloat16Type>(element))
    return Float32Type::get(element.getContext());
  return element;
}

Value gcomp::lowering::convertElements(OpBuilder &b, Location loc, Value value,
                                       RankedTensorType type) {
  Type from = cast<RankedTensorType>(value.getType()).getElementType();
  Type to = type.getElementType();
  if (from == to)
    return value;
  return elementwise(b, loc, type, ValueRange{value},
                     [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       if (to.getIntOrFloatBitWidth() >
                           from.getIntOrFloatBitWidth())
                         return arith::ExtFOp::create(nb, l, to, a[0]);
                       return arith::TruncFOp::create(nb, l, to, a[0]);
                     });
}
