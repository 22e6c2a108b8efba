//===- DataDependentImporters.cpp - NonZero, Compress, Unique, NMS --------===//
//
// These ops' output sizes depend on the input values. Where the inputs
// that decide them are constants, the importer computes the result (or
// its indices) and the output is static. Otherwise the output is built at
// its bound, the most it can hold, with the entries past its actual size
// set to 0, and the importer records its actual size
// (NodeContext::setDataDependentSize): such a value can be a graph output,
// which the library returns with its actual shape.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"

#include <numeric>

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

Value i64Scalar(NodeContext &nc, int64_t v) { return i64Constant(nc, {v}, {}); }

/// The size of a value of rank `rank` whose dim `varying` is `count`.
SmallVector<Value> varyingIn(int64_t rank, int64_t varying, Value count) {
  SmallVector<Value> counts(rank);
  counts[varying] = count;
  return counts;
}

/// `x != 0` elementwise (a bool tensor as it is).
Value nonZeroMask(NodeContext &nc, Value x) {
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  if (element.isInteger(1))
    return x;
  auto zeroType = RankedTensorType::get({}, element);
  Value zero = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(zeroType, nc.builder.getZeroAttr(element)));
  return NotOp::create(nc.builder, nc.loc, bin<EqualOp>(nc, x, zero));
}

/// The positions of a constant's non-zero elements, in order.
SmallVector<int64_t> nonZeroPositions(DenseElementsAttr dense) {
  SmallVector<int64_t> positions;
  int64_t i = 0;
  for (Attribute a : dense.getValues<Attribute>()) {
    bool nonZero = isa<FloatAttr>(a) ? !cast<FloatAttr>(a).getValue().isZero()
                                     : !cast<IntegerAttr>(a).getValue().isZero();
    if (nonZero)
      positions.push_back(i);
    ++i;
  }
  return positions;
}

/// NonZero: the coordinates of the non-zero elements, [rank, count].
LogicalResult importNonZero(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  if (!type.hasStaticShape() || rank == 0) {
    nc.error() << "expects an input of static shape and rank 1 or more, got "
               << type;
    return failure();
  }
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * type.getDimSize(d + 1);
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(nc.constantInput(0))) {
    SmallVector<int64_t> flat = nonZeroPositions(dense);
    int64_t count = static_cast<int64_t>(flat.size());
    SmallVector<int64_t> coords(rank * count);
    for (int64_t d = 0; d < rank; ++d)
      for (int64_t j = 0; j < count; ++j)
        coords[d * count + j] = (flat[j] / strides[d]) % type.getDimSize(d);
    nc.outputs.push_back(i64Constant(nc, coords, {rank, count}));
    return success();
  }
  int64_t n = type.getNumElements();
  Type i64 = nc.builder.getI64Type();
  auto found = NonZeroIndicesOp::create(
      nc.builder, nc.loc, RankedTensorType::get({n}, i64),
      RankedTensorType::get({}, i64),
      nonZeroMask(nc, nc.reshape(nc.inputs[0], {n})));
  // Each flat position's coordinates; the padding 0s become 0s.
  SmallVector<Value> rows;
  for (int64_t d = 0; d < rank; ++d) {
    Value c = found.getIndices();
    if (strides[d] > 1)
      c = bin<DivOp>(nc, c, i64Scalar(nc, strides[d]));
    if (d > 0)
      c = bin<ModOp>(nc, c, i64Scalar(nc, type.getDimSize(d)));
    rows.push_back(nc.reshape(c, {1, n}));
  }
  Value result = rows.front();
  if (rank > 1)
    result = ConcatOp::create(nc.builder, nc.loc,
                              RankedTensorType::get({rank, n}, i64), rows,
                              nc.builder.getI64IntegerAttr(0));
  nc.outputs.push_back(result);
  nc.setDataDependentSize(0, varyingIn(2, 1, found.getCount()));
  return success();
}

/// Compress: the slices along `axis` (of the flattened input without one)
/// whose condition is true.
LogicalResult importCompress(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType type = nc.inputType(0), condType = nc.inputType(1);
  if (!type.hasStaticShape() || condType.getRank() != 1 ||
      !condType.getElementType().isInteger(1)) {
    nc.error() << "expects an input of static shape and a 1-D bool "
                  "condition, got "
               << type << " and " << condType;
    return failure();
  }
  Value x = nc.inputs[0];
  int64_t axis = 0;
  if (nc.attr("axis")) {
    FailureOr<int64_t> normalized =
        nc.normalizeAxis(nc.intAttr("axis", 0), type.getRank());
    if (failed(normalized))
      return failure();
    axis = *normalized;
  } else {
    x = nc.reshape(x, {type.getNumElements()});
  }
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t length = condType.getDimSize(0), size = xType.getDimSize(axis);
  if (length > size) {
    nc.error() << "the condition has " << length << " entries, more than the "
               << size << " slices of the input along the axis";
    return failure();
  }
  Type i64 = nc.builder.getI64Type();
  SmallVector<int64_t> shape(xType.getShape());
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(nc.constantInput(1))) {
    SmallVector<int64_t> kept = nonZeroPositions(dense);
    shape[axis] = static_cast<int64_t>(kept.size());
    nc.outputs.push_back(GatherOp::create(
        nc.builder, nc.loc, xType.clone(shape), x,
        i64Constant(nc, kept, {shape[axis]}), nc.builder.getI64IntegerAttr(axis)));
    return success();
  }
  auto found = NonZeroIndicesOp::create(nc.builder, nc.loc,
                                        RankedTensorType::get({length}, i64),
                                        RankedTensorType::get({}, i64),
                                        nc.inputs[1]);
  shape[axis] = length;
  // The padding indices are 0: their slices are the input's first, past
  // the actual size.
  nc.outputs.push_back(GatherOp::create(nc.builder, nc.loc, xType.clone(shape),
                                        x, found.getIndices(),
                                        nc.builder.getI64IntegerAttr(axis)));
  nc.setDataDependentSize(
      0, varyingIn(static_cast<int64_t>(shape.size()), axis, found.getCount()));
  return success();
}

/// Unique of the flattened input (or along the axis of a 1-D one): a
/// stable sort, then the runs of equal values. Unsorted output orders the
/// runs by where each value first occurs.
LogicalResult importUnique(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  if (!type.hasStaticShape()) {
    nc.error() << "expects an input of static shape, got " << type;
    return failure();
  }
  if (nc.attr("axis") && type.getRank() != 1) {
    nc.error() << "Unique along an axis of a rank-" << type.getRank()
               << " input is not supported yet (only without axis, or of a "
                  "1-D input)";
    return failure();
  }
  if (nc.attr("axis") &&
      failed(nc.normalizeAxis(nc.intAttr("axis", 0), type.getRank())))
    return failure();
  int64_t n = type.getNumElements();
  Type element = type.getElementType(), i64 = nc.builder.getI64Type();
  if (n == 0) {
    auto empty = [&](Type t) {
      auto emptyType = RankedTensorType::get({0}, t);
      return ConstantOp::create(nc.builder, nc.loc,
                                DenseElementsAttr::get(emptyType,
                                                       ArrayRef<Attribute>{}));
    };
    nc.outputs.append({empty(element), empty(i64), empty(i64), empty(i64)});
    return success();
  }
  auto flatType = RankedTensorType::get({n}, element),
       indexType = RankedTensorType::get({n}, i64),
       countType = RankedTensorType::get({}, i64);
  Value flat = nc.reshape(nc.inputs[0], {n});
  // Smallest first; equal values keep their order, so the first of each
  // run is where the value first occurs.
  auto sort = [&](Value v) {
    return TopKOp::create(nc.builder, nc.loc,
                          cast<RankedTensorType>(v.getType()), indexType, v,
                          nc.builder.getI64IntegerAttr(0),
                          nc.builder.getBoolAttr(false));
  };
  auto sorted = sort(flat);
  auto runs = UniqueRunsOp::create(nc.builder, nc.loc, flatType, indexType,
                                   indexType, indexType, countType,
                                   sorted.getValues(), sorted.getIndices());
  Value values = runs.getValues(), first = runs.getFirst(),
        inverse = runs.getInverse(), counts = runs.getCounts();
  if (!nc.intAttr("sorted", 1)) {
    // Runs ordered by first occurrence, the padding ones (past count) last.
    Value positions = iota(nc, n);
    Value valid = LessOp::create(nc.builder, nc.loc, positions, runs.getCount());
    Value key = WhereOp::create(nc.builder, nc.loc, valid, first,
                                bin<AddOp>(nc, positions, i64Scalar(nc, n)));
    Value order = sort(key).getIndices();
    auto gather = [&](Value v) -> Value {
      return GatherOp::create(nc.builder, nc.loc, v.getType(), v, order,
                              nc.builder.getI64IntegerAttr(0));
    };
    values = gather(values);
    first = gather(first);
    counts = gather(counts);
    // Run order[j] becomes run j.
    Value renumber = ScatterElementsOp::create(
        nc.builder, nc.loc, indexType, i64Constant(nc, SmallVector<int64_t>(n, 0), {n}),
        order, positions, nc.builder.getI64IntegerAttr(0),
        nc.builder.getStringAttr("none"));
    inverse = GatherOp::create(nc.builder, nc.loc, indexType, renumber, inverse,
                               nc.builder.getI64IntegerAttr(0));
  }
  nc.outputs.append({values, first, inverse, counts});
  for (unsigned i : {0u, 1u, 3u})
    nc.setDataDependentSize(i, {runs.getCount()});
  return success();
}

/// NonMaxSuppression: the runtime's __gcomp_nms, into a bound of
/// B * C * min(N, max_output_boxes_per_class where it is constant) rows.
LogicalResult importNonMaxSuppression(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType boxes = nc.inputType(0), scores = nc.inputType(1);
  Type f32 = nc.builder.getF32Type(), i64 = nc.builder.getI64Type();
  if (!boxes.hasStaticShape() || !scores.hasStaticShape() ||
      boxes.getRank() != 3 || scores.getRank() != 3 ||
      boxes.getDimSize(2) != 4 || scores.getDimSize(0) != boxes.getDimSize(0) ||
      scores.getDimSize(2) != boxes.getDimSize(1) ||
      boxes.getElementType() != f32 || scores.getElementType() != f32) {
    nc.error() << "expects float32 boxes [B, N, 4] and scores [B, C, N] of "
                  "static shape, got "
               << boxes << " and " << scores;
    return failure();
  }
  auto optional = [&](unsigned i, Type element) -> FailureOr<Value> {
    if (!nc.optionalInput(i))
      return Value();
    auto t = nc.inputType(i);
    if (t.getElementType() != element || !t.hasStaticShape() ||
        t.getNumElements() != 1) {
      nc.error() << "input " << i << " must hold one " << element
                 << ", got " << t;
      return failure();
    }
    return nc.inputs[i];
  };
  FailureOr<Value> maxOutput = optional(2, i64), iou = optional(3, f32),
                   scoreThreshold = optional(4, f32);
  if (failed(maxOutput) || failed(iou) || failed(scoreThreshold))
    return failure();
  int64_t batches = boxes.getDimSize(0), classes = scores.getDimSize(1),
          n = boxes.getDimSize(1);
  // Without max_output_boxes_per_class nothing is selected.
  int64_t perClass = *maxOutput ? n : 0;
  if (*maxOutput)
    if (auto dense = dyn_cast_or_null<DenseElementsAttr>(nc.constantInput(2)))
      perClass = std::clamp<int64_t>(*dense.getValues<int64_t>().begin(), 0, n);
  int64_t rows = batches * classes * perClass;
  if (rows == 0) {
    nc.outputs.push_back(i64Constant(nc, {}, {0, 3}));
    return success();
  }
  auto op = NonMaxSuppressionOp::create(
      nc.builder, nc.loc, RankedTensorType::get({rows, 3}, i64),
      RankedTensorType::get({}, i64), nc.inputs[0], nc.inputs[1], *maxOutput,
      *iou, *scoreThreshold, nc.intAttr("center_point_box", 0) != 0);
  nc.outputs.push_back(op.getSelected());
  nc.setDataDependentSize(0, varyingIn(2, 0, op.getCount()));
  return success();
}

} // namespace

void addDataDependentImporters(StringMap<OpImporterFn> &table) {
  table["NonZero"] = importNonZero;
  table["Compress"] = importCompress;
  table["Unique"] = importUnique;
  table["NonMaxSuppression"] = importNonMaxSuppression;
}

} // namespace gcomp::detail
