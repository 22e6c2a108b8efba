//===- GcompFolders.cpp - compile-time evaluation of gcomp ops ------------===//
//
// Exporters compute shapes with small integer graphs (Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape); with static input shapes every value in
// them is known at compile time. These folders evaluate such ops on
// constants (up to kFoldElementLimit elements), so the importer's
// createOrFold and canonicalization collapse the chains into constants.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/APSInt.h"

using namespace mlir;
using namespace gcomp;

namespace {

/// Constant operands as dense attributes, or empty if any is not constant.
SmallVector<DenseElementsAttr> denseOperands(ArrayRef<Attribute> operands) {
  SmallVector<DenseElementsAttr> dense;
  for (Attribute a : operands) {
    auto d = dyn_cast_or_null<DenseElementsAttr>(a);
    if (!d)
      return {};
    dense.push_back(d);
  }
  return dense;
}

bool foldable(ShapedType type) {
  return type.hasStaticShape() && type.getNumElements() <= kFoldElementLimit;
}

/// Linear index into an operand of `shape` for the result multi-index
/// `index`, numpy broadcasting (operand dims right-aligned, size 1 repeats).
int64_t broadcastIndex(ArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  int64_t linear = 0, offset = index.size() - shape.size();
  for (size_t d = 0; d < shape.size(); ++d)
    linear = linear * shape[d] + (shape[d] == 1 ? 0 : index[d + offset]);
  return linear;
}

/// Evaluates `fn` on every element of the broadcast of `operands`; `fn`
/// returns a null attribute where it cannot, which abandons the fold.
Attribute foldBroadcast(ArrayRef<Attribute> operands, ShapedType resultType,
                        function_ref<Attribute(ArrayRef<Attribute>)> fn) {
  SmallVector<DenseElementsAttr> dense = denseOperands(operands);
  if (dense.empty() || !foldable(resultType))
    return {};
  SmallVector<SmallVector<Attribute>> values;
  for (DenseElementsAttr d : dense)
    values.push_back(llvm::to_vector(d.getValues<Attribute>()));
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> index(shape.size(), 0);
  SmallVector<Attribute> results;
  for (int64_t n = 0, e = resultType.getNumElements(); n < e; ++n) {
    int64_t rest = n;
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      index[d] = rest % shape[d];
      rest /= shape[d];
    }
    SmallVector<Attribute> args;
    for (auto [d, v] : llvm::zip(dense, values))
      args.push_back(v[broadcastIndex(index, d.getType().getShape())]);
    Attribute r = fn(args);
    if (!r)
      return {};
    results.push_back(r);
  }
  return DenseElementsAttr::get(resultType, results);
}

using IntFn = function_ref<std::optional<APInt>(const APInt &, const APInt &)>;
using FloatFn = function_ref<std::optional<APFloat>(const APFloat &, const APFloat &)>;

/// An arithmetic fold for int and float elements.
Attribute foldArith(ArrayRef<Attribute> operands, ShapedType type, IntFn intFn,
                    FloatFn floatFn) {
  return foldBroadcast(operands, type, [&](ArrayRef<Attribute> a) -> Attribute {
    if (auto l = dyn_cast<IntegerAttr>(a[0])) {
      if (!intFn)
        return {};
      auto r = intFn(l.getValue(), cast<IntegerAttr>(a[1]).getValue());
      return r ? IntegerAttr::get(l.getType(), *r) : Attribute();
    }
    auto l = cast<FloatAttr>(a[0]);
    if (!floatFn)
      return {};
    auto r = floatFn(l.getValue(), cast<FloatAttr>(a[1]).getValue());
    return r ? FloatAttr::get(l.getType(), *r) : Attribute();
  });
}

/// A comparison fold producing i1.
Attribute foldCompare(ArrayRef<Attribute> operands, ShapedType type,
                      function_ref<bool(int)> accept) {
  Type i1 = type.getElementType();
  return foldBroadcast(operands, type, [&](ArrayRef<Attribute> a) -> Attribute {
    int order;
    if (auto l = dyn_cast<IntegerAttr>(a[0])) {
      const APInt &x = l.getValue(), &y = cast<IntegerAttr>(a[1]).getValue();
      bool isBool = l.getType().isInteger(1);
      order = x == y ? 0 : ((isBool ? x.ult(y) : x.slt(y)) ? -1 : 1);
    } else {
      APFloat::cmpResult c = cast<FloatAttr>(a[0]).getValue().compare(
          cast<FloatAttr>(a[1]).getValue());
      if (c == APFloat::cmpUnordered)
        return IntegerAttr::get(i1, 0); // NaN compares false
      order = c == APFloat::cmpEqual ? 0 : (c == APFloat::cmpLessThan ? -1 : 1);
    }
    return IntegerAttr::get(i1, accept(order) ? 1 : 0);
  });
}

} // namespace

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldArith(a.getOperands(), getType(),
                   [](const APInt &x, const APInt &y) { return x + y; },
                   [](const APFloat &x, const APFloat &y) { return x + y; });
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldArith(a.getOperands(), getType(),
                   [](const APInt &x, const APInt &y) { return x - y; },
                   [](const APFloat &x, const APFloat &y) { return x - y; });
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldArith(a.getOperands(), getType(),
                   [](const APInt &x, const APInt &y) { return x * y; },
                   [](const APFloat &x, const APFloat &y) { return x * y; });
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  return foldArith(
      a.getOperands(), getType(),
      [](const APInt &x, const APInt &y) -> std::optional<APInt> {
        if (y.isZero())
          return std::nullopt; // leave the run-time behaviour alone
        return x.sdiv(y);
      },
      [](const APFloat &x, const APFloat &y) { return x / y; });
}
OpFoldResult MinOp::fold(FoldAdaptor a) {
  return foldArith(
      a.getOperands(), getType(),
      [](const APInt &x, const APInt &y) { return x.slt(y) ? x : y; },
      [](const APFloat &x, const APFloat &y) { return minimum(x, y); });
}
OpFoldResult MaxOp::fold(FoldAdaptor a) {
  return foldArith(
      a.getOperands(), getType(),
      [](const APInt &x, const APInt &y) { return x.sgt(y) ? x : y; },
      [](const APFloat &x, const APFloat &y) { return maximum(x, y); });
}
OpFoldResult PowOp::fold(FoldAdaptor) { return {}; }
OpFoldResult ModOp::fold(FoldAdaptor) { return {}; }
OpFoldResult FModOp::fold(FoldAdaptor) { return {}; }
OpFoldResult PReluOp::fold(FoldAdaptor) { return {}; }
OpFoldResult BitShiftLeftOp::fold(FoldAdaptor) { return {}; }
OpFoldResult BitShiftRightOp::fold(FoldAdaptor) { return {}; }
OpFoldResult BitShiftRightArithOp::fold(FoldAdaptor) { return {}; }
OpFoldResult AndOp::fold(FoldAdaptor a) {
  return foldArith(a.getOperands(), getType(),
                   [](const APInt &x, const APInt &y) { return x & y; }, {});
}
OpFoldResult OrOp::fold(FoldAdaptor a) {
  return foldArith(a.getOperands(), getType(),
                   [](const APInt &x, const APInt &y) { return x | y; }, {});
}
OpFoldResult XorOp::fold(FoldAdaptor a) {
  return foldArith(a.getOperands(), getType(),
                   [](const APInt &x, const APInt &y) { return x ^ y; }, {});
}
OpFoldResult EqualOp::fold(FoldAdaptor a) {
  return foldCompare(a.getOperands(), getType(), [](int o) { return o == 0; });
}
OpFoldResult LessOp::fold(FoldAdaptor a) {
  return foldCompare(a.getOperands(), getType(), [](int o) { return o < 0; });
}
OpFoldResult LessEqualOp::fold(FoldAdaptor a) {
  return foldCompare(a.getOperands(), getType(), [](int o) { return o <= 0; });
}
OpFoldResult GreaterOp::fold(FoldAdaptor a) {
  return foldCompare(a.getOperands(), getType(), [](int o) { return o > 0; });
}
OpFoldResult GreaterEqualOp::fold(FoldAdaptor a) {
  return foldCompare(a.getOperands(), getType(), [](int o) { return o >= 0; });
}

OpFoldResult WhereOp::fold(FoldAdaptor a) {
  return foldBroadcast(a.getOperands(), getType(),
                       [](ArrayRef<Attribute> v) -> Attribute {
                         return cast<IntegerAttr>(v[0]).getValue().isZero()
                                    ? v[2]
                                    : v[1];
                       });
}

OpFoldResult CastOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType())
    return getInput();
  Type to = getType().getElementType();
  auto input = dyn_cast_or_null<DenseElementsAttr>(a.getInput());
  if (!input || !foldable(getType()))
    return {};
  SmallVector<Attribute> results;
  for (Attribute v : input.getValues<Attribute>()) {
    if (auto i = dyn_cast<IntegerAttr>(v)) {
      // Bools are 0/1; other ints are signed unless marked unsigned.
      bool isBool = i.getType().isInteger(1) || getUnsignedInput();
      APInt x = i.getValue();
      if (auto it = dyn_cast<IntegerType>(to)) {
        if (it.getWidth() == 1)
          results.push_back(IntegerAttr::get(to, !x.isZero()));
        else
          results.push_back(IntegerAttr::get(
              to, isBool ? x.zextOrTrunc(it.getWidth()) : x.sextOrTrunc(it.getWidth())));
      } else {
        APFloat f(cast<FloatType>(to).getFloatSemantics());
        f.convertFromAPInt(x, !isBool, APFloat::rmNearestTiesToEven);
        results.push_back(FloatAttr::get(to, f));
      }
      continue;
    }
    APFloat x = cast<FloatAttr>(v).getValue();
    if (auto it = dyn_cast<IntegerType>(to)) {
      if (it.getWidth() == 1) {
        results.push_back(IntegerAttr::get(to, !x.isZero()));
        continue;
      }
      APSInt r(it.getWidth(), /*isUnsigned=*/getUnsignedResult());
      bool exact;
      if (x.convertToInteger(r, APFloat::rmTowardZero, &exact) &
          APFloat::opInvalidOp)
        return {}; // NaN or out of range: leave it to run time
      results.push_back(IntegerAttr::get(to, r));
    } else {
      bool losesInfo;
      x.convert(cast<FloatType>(to).getFloatSemantics(),
                APFloat::rmNearestTiesToEven, &losesInfo);
      results.push_back(FloatAttr::get(to, x));
    }
  }
  return DenseElementsAttr::get(getType(), results);
}

OpFoldResult ConcatOp::fold(FoldAdaptor a) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  SmallVector<DenseElementsAttr> dense = denseOperands(a.getInputs());
  if (dense.empty() || !foldable(getType()))
    return {};
  int64_t axis = static_cast<int64_t>(getAxis());
  ArrayRef<int64_t> shape = getType().getShape();
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  SmallVector<SmallVector<Attribute>> values;
  SmallVector<int64_t> blocks; // elements per outer index, per input
  for (DenseElementsAttr d : dense) {
    values.push_back(llvm::to_vector(d.getValues<Attribute>()));
    blocks.push_back(outer ? d.getNumElements() / outer : 0);
  }
  SmallVector<Attribute> results;
  for (int64_t o = 0; o < outer; ++o)
    for (auto [v, block] : llvm::zip(values, blocks))
      results.append(v.begin() + o * block, v.begin() + (o + 1) * block);
  return DenseElementsAttr::get(getType(), results);
}

OpFoldResult GatherOp::fold(FoldAdaptor a) {
  auto data = dyn_cast_or_null<DenseElementsAttr>(a.getData());
  auto indices = dyn_cast_or_null<DenseElementsAttr>(a.getIndices());
  if (!data || !indices || !foldable(getType()) ||
      !data.getType().hasStaticShape())
    return {};
  int64_t axis = static_cast<int64_t>(getAxis());
  ArrayRef<int64_t> shape = data.getType().getShape();
  int64_t outer = 1, inner = 1, size = shape[axis];
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
    inner *= shape[d];
  auto values = llvm::to_vector(data.getValues<Attribute>());
  SmallVector<Attribute> results;
  for (int64_t o = 0; o < outer; ++o)
    for (APInt idx : indices.getValues<APInt>()) {
      int64_t i = idx.getSExtValue();
      if (i < 0)
        i += size;
      if (i < 0 || i >= size)
        return {}; // out of bounds: reported at run time, not folded
      for (int64_t n = 0; n < inner; ++n)
        results.push_back(values[(o * size + i) * inner + n]);
    }
  return DenseElementsAttr::get(getType(), results);
}

OpFoldResult SliceOp::fold(FoldAdaptor a) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getStarts(), [](int64_t s) { return s == 0; }) &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  auto input = dyn_cast_or_null<DenseElementsAttr>(a.getInput());
  if (!input || !foldable(getType()) || !input.getType().hasStaticShape())
    return {};
  ArrayRef<int64_t> inShape = input.getType().getShape();
  ArrayRef<int64_t> outShape = getType().getShape();
  auto values = llvm::to_vector(input.getValues<Attribute>());
  SmallVector<Attribute> results;
  SmallVector<int64_t> index(outShape.size(), 0);
  for (int64_t n = 0, e = getType().getNumElements(); n < e; ++n) {
    int64_t rest = n, linear = 0;
    for (int64_t d = outShape.size() - 1; d >= 0; --d) {
      index[d] = rest % outShape[d];
      rest /= outShape[d];
    }
    for (size_t d = 0; d < outShape.size(); ++d)
      linear = linear * inShape[d] + getStarts()[d] + index[d] * getSteps()[d];
    results.push_back(values[linear]);
  }
  return DenseElementsAttr::get(getType(), results);
}

OpFoldResult NegOp::fold(FoldAdaptor a) {
  return foldBroadcast(a.getOperands(), getType(),
                       [](ArrayRef<Attribute> v) -> Attribute {
                         if (auto i = dyn_cast<IntegerAttr>(v[0]))
                           return IntegerAttr::get(i.getType(), -i.getValue());
                         auto f = cast<FloatAttr>(v[0]);
                         return FloatAttr::get(f.getType(), -f.getValue());
                       });
}
