//===- ResizeImporter.cpp - Resize (opsets 10 to 19) and Upsample ---------===//
//
// Every spelling becomes one gcomp.resize whose result type and per-dim
// scales are resolved here: scales or sizes (constant inputs), `axes`,
// `keep_aspect_ratio_policy`. Upsample and Resize-10 are Resize with
// asymmetric coordinates and truncating nearest rounding.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

#include <cmath>

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

std::string stringAttr(NodeContext &nc, StringRef name, StringRef defaultValue) {
  const onnx::AttributeProto *a = nc.attr(name);
  return a ? a->s() : defaultValue.str();
}

struct ResizeSpec {
  std::string mode = "nearest", coordinateMode = "half_pixel",
              nearestMode = "round_prefer_floor";
  SmallVector<double> scales, roi;
  SmallVector<int64_t> shape;
};

LogicalResult emitResize(NodeContext &nc, const ResizeSpec &spec) {
  RankedTensorType in = nc.inputType(0);
  if (spec.mode != "nearest" && failed(nc.requireFloatInput(0)))
    return failure();
  OpBuilder &b = nc.builder;
  auto op = ResizeOp::create(
      b, nc.loc, in.clone(spec.shape), nc.inputs[0],
      b.getStringAttr(spec.mode), b.getStringAttr(spec.coordinateMode),
      b.getStringAttr(spec.nearestMode), b.getDenseF64ArrayAttr(spec.scales),
      b.getDenseF64ArrayAttr(spec.roi),
      b.getF64FloatAttr(nc.floatAttr("cubic_coeff_a", -0.75f)),
      b.getBoolAttr(nc.intAttr("exclude_outside", 0) != 0),
      b.getF64FloatAttr(nc.floatAttr("extrapolation_value", 0.0f)),
      b.getBoolAttr(nc.intAttr("antialias", 0) != 0));
  if (failed(mlir::verify(op)))
    return failure();
  nc.outputs.push_back(op);
  return success();
}

/// Upsample and Resize-10 truncate the source coordinate when enlarging and
/// round it up when shrinking (onnxruntime's "simple" nearest mode).
LogicalResult simpleNearestMode(NodeContext &nc, ResizeSpec &spec) {
  bool up = llvm::all_of(spec.scales, [](double s) { return s >= 1; });
  bool down = llvm::all_of(spec.scales, [](double s) { return s <= 1; });
  if (!up && !down) {
    nc.error() << "nearest resampling that enlarges some dims and shrinks "
                  "others is not supported at this opset";
    return failure();
  }
  spec.nearestMode = up ? "floor" : "ceil";
  return success();
}

/// Upsample (opsets 7 to 9) and Resize-10: input 0 scaled by `scales`.
LogicalResult importScaledByAttrOrInput(NodeContext &nc, unsigned scalesInput) {
  if (failed(nc.requireInputs(nc.opset < 9 ? 1 : scalesInput + 1)))
    return failure();
  RankedTensorType in = nc.inputType(0);
  if (!in.hasStaticShape()) {
    nc.error() << "needs a static input shape, got " << in;
    return failure();
  }
  ResizeSpec spec;
  if (nc.opset < 9) {
    const onnx::AttributeProto *a = nc.attr("scales");
    if (!a) {
      nc.error() << "needs the scales attribute";
      return failure();
    }
    spec.scales.append(a->floats().begin(), a->floats().end());
  } else {
    auto scales = nc.constantFloats(scalesInput, "scales");
    if (failed(scales))
      return failure();
    spec.scales = *scales;
  }
  if (static_cast<int64_t>(spec.scales.size()) != in.getRank()) {
    nc.error() << "expects one scale per dim of " << in;
    return failure();
  }
  for (auto [d, s] : llvm::enumerate(spec.scales))
    spec.shape.push_back(static_cast<int64_t>(std::floor(in.getDimSize(d) * s)));
  spec.mode = stringAttr(nc, "mode", "nearest");
  if (spec.mode == "bilinear") // Upsample-7's spelling
    spec.mode = "linear";
  spec.coordinateMode = "asymmetric";
  if (spec.mode == "nearest" && failed(simpleNearestMode(nc, spec)))
    return failure();
  return emitResize(nc, spec);
}

LogicalResult importUpsample(NodeContext &nc) {
  return importScaledByAttrOrInput(nc, 1);
}

LogicalResult importResize(NodeContext &nc) {
  if (nc.opset < 11)
    return importScaledByAttrOrInput(nc, 1);
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType in = nc.inputType(0);
  if (!in.hasStaticShape()) {
    nc.error() << "needs a static input shape, got " << in;
    return failure();
  }
  if (nc.intAttr("antialias", 0) && stringAttr(nc, "mode", "nearest") == "nearest") {
    nc.error() << "antialias applies to linear and cubic modes only";
    return failure();
  }
  int64_t rank = in.getRank();
  FailureOr<SmallVector<int64_t>> axesOrFailure = nc.axesAttr("axes", rank);
  if (failed(axesOrFailure))
    return failure();
  SmallVector<int64_t> &axes = *axesOrFailure;
  auto given = [&](unsigned i) {
    // (A dynamic scales or sizes input is given; it must then fold.)
    return nc.optionalInput(i) &&
           (!nc.inputType(i).hasStaticShape() ||
            nc.inputType(i).getNumElements() != 0);
  };
  ResizeSpec spec;
  spec.mode = stringAttr(nc, "mode", "nearest");
  spec.coordinateMode =
      stringAttr(nc, "coordinate_transformation_mode", "half_pixel");
  spec.nearestMode = stringAttr(nc, "nearest_mode", "round_prefer_floor");
  spec.scales.assign(rank, 1.0);
  spec.shape.assign(in.getShape().begin(), in.getShape().end());
  size_t count = axes.size();
  if (given(1) && spec.coordinateMode == "tf_crop_and_resize") {
    auto roi = nc.constantFloats(1, "roi");
    if (failed(roi))
      return failure();
    if (roi->size() != 2 * count) {
      nc.error() << "roi must hold " << 2 * count << " values";
      return failure();
    }
    spec.roi.assign(rank, 0.0);
    spec.roi.append(rank, 1.0);
    for (auto [i, d] : llvm::enumerate(axes)) {
      spec.roi[d] = (*roi)[i];
      spec.roi[rank + d] = (*roi)[count + i];
    }
  } else if (spec.coordinateMode == "tf_crop_and_resize") {
    nc.error() << "tf_crop_and_resize needs a roi";
    return failure();
  }
  if (given(2) == given(3)) {
    nc.error() << "expects exactly one of scales and sizes";
    return failure();
  }
  if (given(2)) {
    auto scales = nc.constantFloats(2, "scales");
    if (failed(scales))
      return failure();
    if (scales->size() != count) {
      nc.error() << "scales must hold " << count << " values";
      return failure();
    }
    for (auto [i, d] : llvm::enumerate(axes)) {
      spec.scales[d] = (*scales)[i];
      spec.shape[d] =
          static_cast<int64_t>(std::floor((*scales)[i] * in.getDimSize(d)));
    }
  } else {
    auto sizes = nc.constantInts(3, "sizes");
    if (failed(sizes))
      return failure();
    if (sizes->size() != count) {
      nc.error() << "sizes must hold " << count << " values";
      return failure();
    }
    std::string policy = stringAttr(nc, "keep_aspect_ratio_policy", "stretch");
    if (policy != "stretch" && policy != "not_larger" && policy != "not_smaller") {
      nc.error() << "unknown keep_aspect_ratio_policy '" << policy << "'";
      return failure();
    }
    double common = policy == "not_larger" ? INFINITY : 0;
    for (auto [i, d] : llvm::enumerate(axes)) {
      double s = static_cast<double>((*sizes)[i]) / in.getDimSize(d);
      spec.scales[d] = s;
      spec.shape[d] = (*sizes)[i];
      common = policy == "not_larger" ? std::min(common, s) : std::max(common, s);
    }
    if (policy != "stretch")
      for (int64_t d : axes) {
        spec.scales[d] = common;
        spec.shape[d] = static_cast<int64_t>(common * in.getDimSize(d) + 0.5);
      }
  }
  return emitResize(nc, spec);
}

} // namespace

void addResizeImporters(StringMap<OpImporterFn> &table) {
  table["Resize"] = importResize;
  table["Upsample"] = importUpsample;
}

} // namespace gcomp::detail
