//===- SamplingImporters.cpp - GridSample, RoiAlign, Col2Im ---------------===//
//
// Ops that read their input at positions computed from the data become
// runtime kernels, since no tap can be planned at compile time; Col2Im,
// whose positions follow from its attributes, a scatter by a constant map.
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

/// Col2Im: each column entry (channel c, block offset k, block l) adds
/// into the image at l * stride + k * dilation (in padded coordinates).
/// The positions depend only on the attributes, so it is a scatter-add by
/// a constant index map into the padded image, and a slice of the pads.
LogicalResult importCol2Im(NodeContext &nc) {
  if (failed(nc.requireInputs(3)))
    return failure();
  RankedTensorType in = nc.inputType(0);
  auto image = nc.constantInts(1, "image_shape");
  auto block = nc.constantInts(2, "block_shape");
  if (failed(image) || failed(block))
    return failure();
  int64_t dims = static_cast<int64_t>(image->size());
  auto listAttr = [&](StringRef name, int64_t size,
                      int64_t fill) -> SmallVector<int64_t> {
    if (auto v = nc.intsAttr(name))
      return SmallVector<int64_t>(v->begin(), v->end());
    return SmallVector<int64_t>(size, fill);
  };
  SmallVector<int64_t> dilations = listAttr("dilations", dims, 1),
                       strides = listAttr("strides", dims, 1),
                       pads = listAttr("pads", 2 * dims, 0);
  int64_t blockSize = 1;
  for (int64_t b : *block)
    blockSize *= b;
  if (!in.hasStaticShape() || in.getRank() != 3 || dims < 1 ||
      static_cast<int64_t>(block->size()) != dims ||
      static_cast<int64_t>(dilations.size()) != dims ||
      static_cast<int64_t>(strides.size()) != dims ||
      static_cast<int64_t>(pads.size()) != 2 * dims || blockSize < 1 ||
      in.getDimSize(1) % blockSize != 0) {
    nc.error() << "expects input [N, C * prod(block_shape), L] of static "
                  "shape and one block size, dilation, stride and two pads "
                  "per image dim, got "
               << in;
    return failure();
  }
  // The padded image and the grid of blocks along each dim.
  SmallVector<int64_t> padded(dims), blocks(dims);
  int64_t paddedSize = 1, blockCount = 1;
  for (int64_t d = 0; d < dims; ++d) {
    padded[d] = (*image)[d] + pads[d] + pads[dims + d];
    int64_t extent = dilations[d] * ((*block)[d] - 1) + 1;
    if (strides[d] < 1 || dilations[d] < 1 || (*image)[d] < 1 ||
        padded[d] < extent) {
      nc.error() << "block " << (*block)[d] << " (dilation " << dilations[d]
                 << ") does not fit image dim " << d << " of " << padded[d]
                 << " with its pads, or a stride is not positive";
      return failure();
    }
    blocks[d] = (padded[d] - extent) / strides[d] + 1;
    paddedSize *= padded[d];
    blockCount *= blocks[d];
  }
  if (blockCount != in.getDimSize(2)) {
    nc.error() << "the input has " << in.getDimSize(2)
               << " blocks, but the image, block shape, pads, strides and "
                  "dilations make "
               << blockCount;
    return failure();
  }
  int64_t n = in.getDimSize(0), c = in.getDimSize(1) / blockSize;
  // Entry (k, l) of a channel's [block, L] columns goes to flat position
  // sum over d of (l_d * stride_d + k_d * dilation_d) * (padded stride).
  SmallVector<int64_t> positions;
  positions.reserve(blockSize * blockCount);
  SmallVector<int64_t> k(dims, 0);
  for (int64_t kk = 0; kk < blockSize; ++kk) {
    SmallVector<int64_t> l(dims, 0);
    for (int64_t ll = 0; ll < blockCount; ++ll) {
      int64_t flat = 0;
      for (int64_t d = 0; d < dims; ++d)
        flat = flat * padded[d] + l[d] * strides[d] + k[d] * dilations[d];
      positions.push_back(flat);
      for (int64_t d = dims - 1; d >= 0 && ++l[d] == blocks[d]; --d)
        l[d] = 0;
    }
    for (int64_t d = dims - 1; d >= 0 && ++k[d] == (*block)[d]; --d)
      k[d] = 0;
  }
  Type element = in.getElementType(), i64 = nc.builder.getI64Type();
  int64_t entries = blockSize * blockCount;
  auto indexType = RankedTensorType::get({1, 1, entries}, i64);
  Value indices = ConstantOp::create(
      nc.builder, nc.loc, DenseIntElementsAttr::get(indexType, positions));
  indices = BroadcastToOp::create(nc.builder, nc.loc,
                                  RankedTensorType::get({n, c, entries}, i64),
                                  indices);
  auto flatType = RankedTensorType::get({n, c, paddedSize}, element);
  Value zeros = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(flatType, nc.builder.getZeroAttr(element)));
  Value sums = ScatterElementsOp::create(
      nc.builder, nc.loc, flatType, zeros, indices,
      nc.reshape(nc.inputs[0], {n, c, entries}), nc.builder.getI64IntegerAttr(2),
      nc.builder.getStringAttr("add"));
  SmallVector<int64_t> paddedShape = {n, c}, shape = {n, c}, starts = {0, 0};
  for (int64_t d = 0; d < dims; ++d) {
    paddedShape.push_back(padded[d]);
    shape.push_back((*image)[d]);
    starts.push_back(pads[d]);
  }
  Value result = nc.reshape(sums, paddedShape);
  result = nc.builder.createOrFold<SliceOp>(
      nc.loc, RankedTensorType::get(shape, element), result,
      nc.builder.getDenseI64ArrayAttr(starts),
      nc.builder.getDenseI64ArrayAttr(SmallVector<int64_t>(dims + 2, 1)));
  nc.outputs.push_back(result);
  return success();
}

/// AffineGrid: each theta applied to the base grid of normalized
/// coordinates (x, y[, z], 1) of the size given, a product by a constant.
LogicalResult importAffineGrid(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType theta = nc.inputType(0);
  auto size = nc.constantInts(1, "size");
  if (failed(size))
    return failure();
  int64_t spatial = static_cast<int64_t>(size->size()) - 2;
  if ((spatial != 2 && spatial != 3) || !theta.hasStaticShape() ||
      theta.getRank() != 3 || theta.getDimSize(0) != (*size)[0] ||
      theta.getDimSize(1) != spatial || theta.getDimSize(2) != spatial + 1 ||
      !isa<FloatType>(theta.getElementType())) {
    nc.error() << "expects float theta [N, " << (spatial == 3 ? "3, 4" : "2, 3")
               << "] and a size [N, C, H, W] or [N, C, D, H, W], got "
               << theta;
    return failure();
  }
  bool align = nc.intAttr("align_corners", 0) != 0;
  // Per spatial dim (outermost first), its normalized positions.
  SmallVector<SmallVector<double>> axes;
  int64_t points = 1;
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t n = (*size)[2 + d];
    SmallVector<double> v(n);
    for (int64_t i = 0; i < n; ++i)
      v[i] = align ? (n > 1 ? -1.0 + 2.0 * i / (n - 1) : -1.0)
                   : (2.0 * i + 1.0) / n - 1.0;
    axes.push_back(v);
    points *= n;
  }
  // The base grid [points, spatial + 1], rows (x, y[, z], 1) with x the
  // innermost dim's position.
  Type element = theta.getElementType();
  SmallVector<Attribute> base;
  SmallVector<int64_t> index(spatial, 0);
  for (int64_t p = 0; p < points; ++p) {
    for (int64_t d = spatial - 1; d >= 0; --d)
      base.push_back(nc.builder.getFloatAttr(element, axes[d][index[d]]));
    base.push_back(nc.builder.getFloatAttr(element, 1.0));
    for (int64_t d = spatial - 1; d >= 0 && ++index[d] == (*size)[2 + d]; --d)
      index[d] = 0;
  }
  Value grid = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(
          RankedTensorType::get({points, spatial + 1}, element), base));
  int64_t n = theta.getDimSize(0);
  Value thetaT = TransposeOp::create(
      nc.builder, nc.loc,
      RankedTensorType::get({n, spatial + 1, spatial}, element), nc.inputs[0],
      nc.builder.getDenseI64ArrayAttr({0, 2, 1}));
  Value product = MatMulOp::create(
      nc.builder, nc.loc, RankedTensorType::get({n, points, spatial}, element),
      grid, thetaT);
  SmallVector<int64_t> shape = {n};
  for (int64_t d = 0; d < spatial; ++d)
    shape.push_back((*size)[2 + d]);
  shape.push_back(spatial);
  nc.outputs.push_back(nc.reshape(product, shape));
  return success();
}

} // namespace

void addSamplingImporters(StringMap<OpImporterFn> &table) {
  table["GridSample"] = importGridSample;
  table["RoiAlign"] = importRoiAlign;
  table["Col2Im"] = importCol2Im;
  table["AffineGrid"] = importAffineGrid;
}

} // namespace gcomp::detail
