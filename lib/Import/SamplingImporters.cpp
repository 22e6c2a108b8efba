//===- SamplingImporters.cpp - GridSample, RoiAlign -----------------------===//
//
// Ops that read their input at positions computed from the data: they
// become runtime kernels, since no tap can be planned at compile time.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

std::string textAttr(NodeContext &nc, StringRef name, StringRef defaultValue) {
  const onnx::AttributeProto *a = nc.attr(name);
  return a ? a->s() : defaultValue.str();
}

/// GridSample (opset 16: 2-D, "bilinear"/"bicubic"; opset 20: 1 to 3
/// spatial dims, "linear"/"cubic").
LogicalResult importGridSample(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType in = nc.inputType(0), grid = nc.inputType(1);
  Type f32 = nc.builder.getF32Type();
  int64_t spatial = in.getRank() - 2;
  if (in.getElementType() != f32 || grid.getElementType() != f32 ||
      !in.hasStaticShape() || !grid.hasStaticShape() || spatial < 1 ||
      spatial > 3 || (nc.opset < 20 && spatial != 2)) {
    nc.error() << "expects float32 input and grid of static shape with "
               << (nc.opset < 20 ? "2" : "1 to 3") << " spatial dims, got "
               << in << " and " << grid;
    return failure();
  }
  if (grid.getRank() != spatial + 2 || grid.getDimSize(0) != in.getDimSize(0) ||
      grid.getDimSize(spatial + 1) != spatial) {
    nc.error() << "grid " << grid << " must be [N, spatial dims..., "
               << spatial << "] for input " << in;
    return failure();
  }
  std::string mode = textAttr(nc, "mode", nc.opset < 20 ? "bilinear" : "linear");
  mode = llvm::StringSwitch<std::string>(mode)
             .Case("bilinear", "linear")
             .Case("bicubic", "cubic")
             .Default(mode);
  std::string padding = textAttr(nc, "padding_mode", "zeros");
  if (!is_contained({"nearest", "linear", "cubic"}, StringRef(mode)) ||
      !is_contained({"zeros", "border", "reflection"}, StringRef(padding))) {
    nc.error() << "unknown mode '" << mode << "' or padding_mode '" << padding
               << "'";
    return failure();
  }
  SmallVector<int64_t> shape = {in.getDimSize(0), in.getDimSize(1)};
  for (int64_t d = 1; d <= spatial; ++d)
    shape.push_back(grid.getDimSize(d));
  nc.outputs.push_back(GridSampleOp::create(
      nc.builder, nc.loc, in.clone(shape), nc.inputs[0], nc.inputs[1],
      nc.builder.getStringAttr(mode), nc.builder.getStringAttr(padding),
      nc.builder.getBoolAttr(nc.intAttr("align_corners", 0) != 0)));
  return success();
}

/// RoiAlign (opset 10: "output_half_pixel" coordinates; 16: either).
LogicalResult importRoiAlign(NodeContext &nc) {
  if (failed(nc.requireInputs(3)))
    return failure();
  RankedTensorType in = nc.inputType(0), rois = nc.inputType(1),
                   indices = nc.inputType(2);
  Type f32 = nc.builder.getF32Type();
  if (in.getElementType() != f32 || rois.getElementType() != f32 ||
      in.getRank() != 4 || rois.getRank() != 2 || rois.getDimSize(1) != 4 ||
      indices.getRank() != 1 || indices.getDimSize(0) != rois.getDimSize(0) ||
      !in.hasStaticShape() || !rois.hasStaticShape()) {
    nc.error() << "expects float32 X [N, C, H, W], rois [R, 4] and "
                  "batch_indices [R] of static shape, got "
               << in << ", " << rois << " and " << indices;
    return failure();
  }
  std::string mode = textAttr(nc, "mode", "avg");
  std::string transform = textAttr(
      nc, "coordinate_transformation_mode",
      nc.opset >= 16 ? "half_pixel" : "output_half_pixel");
  if ((mode != "avg" && mode != "max") ||
      (transform != "half_pixel" && transform != "output_half_pixel")) {
    nc.error() << "unknown mode '" << mode
               << "' or coordinate_transformation_mode '" << transform << "'";
    return failure();
  }
  int64_t outH = nc.intAttr("output_height", 1), outW = nc.intAttr("output_width", 1);
  if (outH < 1 || outW < 1) {
    nc.error() << "output_height and output_width must be positive";
    return failure();
  }
  Value batchIndices = nc.castTo(nc.inputs[2], nc.builder.getI64Type());
  nc.outputs.push_back(RoiAlignOp::create(
      nc.builder, nc.loc,
      RankedTensorType::get({rois.getDimSize(0), in.getDimSize(1), outH, outW},
                            f32),
      nc.inputs[0], nc.inputs[1], batchIndices, nc.builder.getStringAttr(mode),
      nc.builder.getI64IntegerAttr(std::max<int64_t>(nc.intAttr("sampling_ratio", 0), 0)),
      nc.builder.getF32FloatAttr(nc.floatAttr("spatial_scale", 1.0f)),
      nc.builder.getBoolAttr(transform == "half_pixel")));
  return success();
}

} // namespace

void addSamplingImporters(StringMap<OpImporterFn> &table) {
  table["GridSample"] = importGridSample;
  table["RoiAlign"] = importRoiAlign;
}

} // namespace gcomp::detail
