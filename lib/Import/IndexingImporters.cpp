//===- IndexingImporters.cpp - GatherND, scatters, TopK, ReverseSequence -===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

#include <numeric>

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

LogicalResult requireIntegerIndices(NodeContext &nc, unsigned i) {
  Type t = nc.inputType(i).getElementType();
  if (t.isInteger(32) || t.isInteger(64))
    return success();
  nc.error() << "indices must be int32 or int64, got " << t;
  return failure();
}

LogicalResult importGatherND(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireIntegerIndices(nc, 1)))
    return failure();
  RankedTensorType data = nc.inputType(0), indices = nc.inputType(1);
  int64_t batchDims = nc.intAttr("batch_dims", 0);
  auto shape = inferGatherNDShape(data.getShape(), indices.getShape(),
                                  batchDims, nc.errorFn());
  if (failed(shape))
    return failure();
  nc.outputs.push_back(GatherNDOp::create(
      nc.builder, nc.loc, data.clone(*shape), nc.inputs[0], nc.inputs[1],
      nc.builder.getI64IntegerAttr(batchDims)));
  return success();
}

/// The `reduction` attribute (ScatterND and ScatterElements from opset 16).
std::string reductionOf(NodeContext &nc) {
  const onnx::AttributeProto *r = nc.attr("reduction");
  return r ? r->s() : "none";
}

LogicalResult importScatterND(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(requireIntegerIndices(nc, 1)))
    return failure();
  auto op = ScatterNDOp::create(nc.builder, nc.loc, nc.inputType(0),
                                nc.inputs[0], nc.inputs[1], nc.inputs[2],
                                nc.builder.getStringAttr(reductionOf(nc)));
  if (failed(mlir::verify(op)))
    return failure();
  nc.outputs.push_back(op);
  return success();
}

/// ScatterElements, and the deprecated Scatter (opsets 9 and 10) it renamed.
LogicalResult importScatterElements(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(requireIntegerIndices(nc, 1)))
    return failure();
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.intAttr("axis", 0), nc.inputType(0).getRank());
  if (failed(axis))
    return failure();
  auto op = ScatterElementsOp::create(
      nc.builder, nc.loc, nc.inputType(0), nc.inputs[0], nc.inputs[1],
      nc.inputs[2], nc.builder.getI64IntegerAttr(*axis),
      nc.builder.getStringAttr(reductionOf(nc)));
  if (failed(mlir::verify(op)))
    return failure();
  nc.outputs.push_back(op);
  return success();
}

LogicalResult importTopK(NodeContext &nc) {
  if (failed(nc.requireInputs(nc.opset < 10 ? 1 : 2)))
    return failure();
  RankedTensorType in = nc.inputType(0);
  int64_t k;
  if (nc.opset < 10) {
    k = nc.intAttr("k", -1);
  } else {
    FailureOr<SmallVector<int64_t>> kValue = nc.constantInts(1, "K");
    if (failed(kValue))
      return failure();
    if (kValue->size() != 1) {
      nc.error() << "K must hold one value";
      return failure();
    }
    k = (*kValue)[0];
  }
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", -1), in.getRank());
  if (failed(axis))
    return failure();
  if (in.isDynamicDim(*axis) || k < 0 || k > in.getDimSize(*axis)) {
    nc.error() << "k = " << k << " must be in [0, " << in.getDimSize(*axis)
               << "], the static size of axis " << *axis;
    return failure();
  }
  SmallVector<int64_t> shape(in.getShape());
  shape[*axis] = k;
  // `sorted` = 0 lets any order through; sorted output is one of them.
  auto op = TopKOp::create(nc.builder, nc.loc, in.clone(shape),
                           in.clone(shape, nc.builder.getI64Type()),
                           nc.inputs[0], nc.builder.getI64IntegerAttr(*axis),
                           nc.builder.getBoolAttr(nc.intAttr("largest", 1) != 0));
  nc.outputs.push_back(op.getValues());
  nc.outputs.push_back(op.getIndices());
  return success();
}

/// ReverseSequence(input, sequence_lens): along time_axis, the first
/// sequence_lens[b] elements of each batch entry b (along batch_axis) in
/// reverse order, the rest as they are: a GatherElements along the time
/// axis by `t < len ? len - 1 - t : t`. The lengths are clamped to [0, T],
/// so that a wrong one cannot index outside the input.
LogicalResult importReverseSequence(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType type = nc.inputType(0), lensType = nc.inputType(1);
  int64_t rank = type.getRank();
  if (rank < 2 || !type.hasStaticShape()) {
    nc.error() << "expects a static input of rank 2 or more, got " << type;
    return failure();
  }
  FailureOr<int64_t> timeAxis = nc.normalizeAxis(nc.intAttr("time_axis", 0), rank),
                     batchAxis = nc.normalizeAxis(nc.intAttr("batch_axis", 1), rank);
  if (failed(timeAxis) || failed(batchAxis))
    return failure();
  if (*timeAxis == *batchAxis || *timeAxis > 1 || *batchAxis > 1) {
    nc.error() << "time_axis and batch_axis must be 0 and 1 in some order";
    return failure();
  }
  int64_t steps = type.getDimSize(*timeAxis), batch = type.getDimSize(*batchAxis);
  if (lensType.getRank() != 1 || lensType.getDimSize(0) != batch ||
      !lensType.getElementType().isSignlessInteger(64)) {
    nc.error() << "sequence_lens must be int64 [" << batch << "], got "
               << lensType;
    return failure();
  }
  Type i64 = nc.builder.getI64Type();
  SmallVector<int64_t> tShape(rank, 1), bShape(rank, 1);
  tShape[*timeAxis] = steps;
  bShape[*batchAxis] = batch;
  SmallVector<int64_t> range(steps);
  std::iota(range.begin(), range.end(), 0);
  Value t = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get(tShape, i64), ArrayRef(range)));
  auto scalarI64 = [&](int64_t v) -> Value {
    return ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(RankedTensorType::get({}, i64), v));
  };
  Value lens = nc.reshape(nc.inputs[1], bShape);
  lens = bin<MinOp>(nc, bin<MaxOp>(nc, lens, scalarI64(0)), scalarI64(steps));
  Value reversed = bin<SubOp>(nc, bin<SubOp>(nc, lens, scalarI64(1)), t);
  Value inside = LessOp::create(nc.builder, nc.loc, t, lens);
  Value index = WhereOp::create(nc.builder, nc.loc, inside, reversed, t);
  index = BroadcastToOp::create(nc.builder, nc.loc, type.clone(i64), index);
  nc.outputs.push_back(GatherElementsOp::create(
      nc.builder, nc.loc, type, nc.inputs[0], index,
      nc.builder.getI64IntegerAttr(*timeAxis)));
  return success();
}

} // namespace

void addIndexingImporters(StringMap<OpImporterFn> &table) {
  table["GatherND"] = importGatherND;
  table["ReverseSequence"] = importReverseSequence;
  table["Scatter"] = importScatterElements;
  table["ScatterElements"] = importScatterElements;
  table["ScatterND"] = importScatterND;
  table["TopK"] = importTopK;
}

} // namespace gcomp::detail
