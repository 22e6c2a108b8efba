//===- ResizeLowering.cpp - gcomp.resize to a tap-table linalg.generic ----===//
//
// Resize is separable: along each dim that changes, output position x reads
// a few input positions (taps) with fixed weights. Both depend only on the
// static sizes and attributes, so they are computed here, in double
// precision, following the ONNX reference (onnx/reference/ops/op_resize.py):
// source coordinate by coordinate mode, a window of taps around it (edge
// positions clamped, or dropped and renormalized with exclude_outside), and
// their weights. The kernel is then one linalg.generic that reads the tap
// tables as 1-D operands and the input with tensor.extract.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

/// The taps of one resized dim: for each output position, `taps` input
/// positions and weights, and whether the position extrapolates.
struct DimTaps {
  int64_t taps = 0;
  std::vector<int32_t> index;  // [out][taps]
  std::vector<double> weight;  // [out][taps]
  SmallVector<bool> outside;   // [out]
};

double sourceCoordinate(StringRef mode, double x, double scale, int64_t in,
                        int64_t out, double roiStart, double roiEnd) {
  double outWidth = scale * static_cast<double>(in);
  if (mode == "align_corners")
    return outWidth == 1 ? 0.0 : x * (in - 1) / (outWidth - 1);
  if (mode == "asymmetric")
    return x / scale;
  if (mode == "tf_crop_and_resize") {
    double xo = outWidth == 1 ? (roiEnd - roiStart) * (in - 1) / 2
                              : x * (roiEnd - roiStart) * (in - 1) / (outWidth - 1);
    return xo + roiStart * (in - 1);
  }
  if (mode == "pytorch_half_pixel")
    return outWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  if (mode == "half_pixel_symmetric") {
    double adjustment = static_cast<double>(out) / outWidth;
    double offset = in / 2.0 * (1 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  return (x + 0.5) / scale - 0.5; // half_pixel
}

/// Weights of the window for `ratio` in (0, 1] (the reference's coeffs).
SmallVector<double> windowWeights(ResizeOp op, double ratio, double scale) {
  StringRef mode = op.getMode();
  if (mode == "nearest") {
    if (ratio == 1.0)
      return {0, 1};
    StringRef nearest = op.getNearestMode();
    bool right = nearest == "round_prefer_floor"  ? ratio > 0.5
                 : nearest == "round_prefer_ceil" ? ratio >= 0.5
                                                  : nearest == "ceil";
    return {right ? 0.0 : 1.0, right ? 1.0 : 0.0};
  }
  double a = op.getCubicCoeffA().convertToDouble();
  if (op.getAntialias()) {
    // The filter stretched by 1 / scale when downsampling, normalized.
    double sc = std::min(scale, 1.0);
    bool linear = mode == "linear";
    int64_t first = static_cast<int64_t>(std::floor((linear ? -1 : -2) / sc)) + 1;
    int64_t last = 2 - first;
    SmallVector<double> w;
    double sum = 0;
    for (int64_t i = first; i < last; ++i) {
      double x = std::abs(sc * (i - ratio)), v;
      if (linear)
        v = std::clamp(1 - x, 0.0, 1.0);
      else
        v = x <= 1  ? ((a + 2) * x - (a + 3)) * x * x + 1
            : x < 2 ? ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
                    : 0.0;
      w.push_back(v);
      sum += v;
    }
    for (double &v : w)
      v /= sum;
    return w;
  }
  if (mode == "linear")
    return {1 - ratio, ratio};
  double r = ratio, s = 1 - ratio;
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
          ((a + 2) * r - (a + 3)) * r * r + 1,
          ((a + 2) * s - (a + 3)) * s * s + 1,
          ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
}

DimTaps computeTaps(ResizeOp op, int64_t dim, int64_t in, int64_t out) {
  double scale = op.getScales()[dim];
  ArrayRef<double> roi = op.getRoi();
  int64_t rank = static_cast<int64_t>(op.getScales().size());
  double roiStart = roi.empty() ? 0 : roi[dim];
  double roiEnd = roi.empty() ? 1 : roi[rank + dim];
  bool nearest = op.getMode() == "nearest";
  DimTaps t;
  for (int64_t x = 0; x < out; ++x) {
    double xo = sourceCoordinate(op.getCoordinateMode(), x, scale, in, out,
                                 roiStart, roiEnd);
    t.outside.push_back(op.getCoordinateMode() == "tf_crop_and_resize" &&
                        (xo < 0 || xo > in - 1));
    double fl = std::floor(xo);
    double ratio = xo == fl ? 1.0 : xo - fl;
    SmallVector<double> w = windowWeights(op, ratio, scale);
    int64_t n = static_cast<int64_t>(w.size()), pad = (n + 1) / 2;
    // The n positions nearest to xo, ties to the smaller (reference
    // _get_neighbor_idxes), in edge-padded coordinates.
    double xp = xo + pad, pp = std::floor(xp), frac = xp - pp;
    int64_t start = static_cast<int64_t>(pp) +
                    (n % 2 == 0 ? (frac == 0 ? -(n / 2) : -(n / 2) + 1)
                                : (frac <= 0.5 ? -((n - 1) / 2) : -((n - 1) / 2) + 1)) -
                    pad;
    if (op.getExcludeOutside()) {
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) {
        if (start + j < 0 || start + j >= in)
          w[j] = 0;
        sum += w[j];
      }
      for (double &v : w)
        v /= sum == 0 ? 1 : sum;
    }
    SmallVector<std::pair<int32_t, double>> kept;
    for (int64_t j = 0; j < n; ++j) {
      if (nearest && w[j] == 0)
        continue;
      int64_t i = std::clamp<int64_t>(start + j, 0, std::max<int64_t>(in - 1, 0));
      kept.push_back({static_cast<int32_t>(i), w[j]});
    }
    if (kept.empty()) // nearest: a window whose weights are all 0 cannot occur
      kept.push_back({0, 0.0});
    t.taps = static_cast<int64_t>(kept.size());
    for (auto [i, v] : kept) {
      t.index.push_back(i);
      t.weight.push_back(v);
    }
  }
  return t;
}

struct ResizeLowering : OpConversionPattern<ResizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    RankedTensorType outType = op.getType();
    Type elemType = inType.getElementType();
    bool nearest = op.getMode() == "nearest";
    bool crop = op.getCoordinateMode() == "tf_crop_and_resize";
    // Half-precision inputs interpolate in f32.
    Type computeType = elemType;
    if (!nearest && cast<FloatType>(elemType).getWidth() < 32)
      computeType = rewriter.getF32Type();
    int64_t rank = inType.getRank();
    MLIRContext *ctx = rewriter.getContext();

    // Tables, as 1-D operands indexed by the output position of their dim.
    struct Table {
      int64_t dim, taps;
    };
    SmallVector<Table> tables;
    SmallVector<Value> operands;
    SmallVector<AffineMap> maps;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t in = inType.getDimSize(d), out = outType.getDimSize(d);
      if (in == out && op.getScales()[d] == 1.0 && !crop)
        continue; // identity along d
      DimTaps t = computeTaps(op, d, in, out);
      tables.push_back({d, t.taps});
      AffineMap map = AffineMap::get(rank, 0, getAffineDimExpr(d, ctx));
      auto addTable = [&](DenseElementsAttr value) {
        operands.push_back(arith::ConstantOp::create(rewriter, loc, value));
        maps.push_back(map);
      };
      auto idxType = RankedTensorType::get({out}, rewriter.getI32Type());
      auto wType = RankedTensorType::get({out}, computeType);
      for (int64_t j = 0; j < t.taps; ++j) {
        SmallVector<int32_t> idx;
        SmallVector<Attribute> w;
        for (int64_t x = 0; x < out; ++x) {
          idx.push_back(t.index[x * t.taps + j]);
          w.push_back(FloatAttr::get(computeType, t.weight[x * t.taps + j]));
        }
        addTable(DenseElementsAttr::get(idxType, ArrayRef(idx)));
        if (!nearest)
          addTable(DenseElementsAttr::get(wType, w));
      }
      if (crop) {
        auto maskType = RankedTensorType::get({out}, rewriter.getI1Type());
        addTable(DenseElementsAttr::get(maskType, ArrayRef(t.outside)));
      }
    }
    maps.push_back(rewriter.getMultiDimIdentityMap(rank));
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    Value init = emptyTensor(rewriter, loc, outType);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, outType, operands, init, maps, iterators,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          // Per table: the tap indices (and weights), then the mask.
          SmallVector<SmallVector<Value>> tapIndex(tables.size()),
              tapWeight(tables.size());
          SmallVector<Value> outside;
          unsigned a = 0;
          for (auto [ti, table] : llvm::enumerate(tables)) {
            for (int64_t j = 0; j < table.taps; ++j) {
              tapIndex[ti].push_back(arith::IndexCastOp::create(
                  b, loc, b.getIndexType(), args[a++]));
              if (!nearest)
                tapWeight[ti].push_back(args[a++]);
            }
            if (crop)
              outside.push_back(args[a++]);
          }
          SmallVector<Value> coords;
          for (int64_t d = 0; d < rank; ++d)
            coords.push_back(linalg::IndexOp::create(b, loc, d));
          // Sum over every combination of taps.
          Value acc;
          SmallVector<int64_t> choice(tables.size(), 0);
          while (true) {
            SmallVector<Value> at(coords);
            Value weight;
            for (auto [ti, table] : llvm::enumerate(tables)) {
              at[table.dim] = tapIndex[ti][choice[ti]];
              if (!nearest)
                weight = weight ? arith::MulFOp::create(b, loc, weight,
                                                        tapWeight[ti][choice[ti]])
                                : tapWeight[ti][choice[ti]];
            }
            Value v = tensor::ExtractOp::create(b, loc, input, at);
            if (!nearest) {
              if (computeType != elemType)
                v = arith::ExtFOp::create(b, loc, computeType, v);
              v = weight ? Value(arith::MulFOp::create(b, loc, v, weight)) : v;
              acc = acc ? arith::AddFOp::create(b, loc, acc, v) : v;
            } else {
              acc = v;
            }
            int64_t t = static_cast<int64_t>(tables.size()) - 1;
            while (t >= 0 && ++choice[t] == tables[t].taps)
              choice[t--] = 0;
            if (t < 0)
              break;
          }
          if (computeType != elemType)
            acc = arith::TruncFOp::create(b, loc, elemType, acc);
          if (crop) {
            Value any = outside.front();
            for (Value o : ArrayRef(outside).drop_front())
              any = arith::OrIOp::create(b, loc, any, o);
            acc = arith::SelectOp::create(
                b, loc, any,
                scalarConstant(b, loc, elemType,
                               op.getExtrapolationValue().convertToDouble()),
                acc);
          }
          linalg::YieldOp::create(b, loc, acc);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void gcomp::lowering::populateResizeLowering(RewritePatternSet &patterns) {
  patterns.add<ResizeLowering>(patterns.getContext());
}
