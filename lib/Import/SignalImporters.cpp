//===- SignalImporters.cpp - DFT, STFT, windows, mel filters --------------===//
//
// Speech and audio front ends (spectrograms, mel filter banks) in ONNX's
// signal ops. Every size is static, so a DFT over n samples is a matrix
// product by a constant [n * c, k * 2] matrix of cosines and sines (c = 1
// for a real signal, 2 for complex; the result's last dim holds the real
// and imaginary parts): the runtime's GEMM, with the matrix packed at
// compile time, instead of an FFT. For the lengths front ends use (a few
// hundred samples per frame) that is a few MFLOP per frame, and the
// product runs at the GEMM's speed. STFT gathers its frames with a
// constant index and folds a constant window into the matrix. The windows
// and the mel weight matrix depend only on constant sizes: they are
// computed here, in double precision, and become constants.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

/// A scalar (or one-element) constant integer input.
FailureOr<int64_t> scalarInt(NodeContext &nc, unsigned i, StringRef what) {
  FailureOr<SmallVector<int64_t>> v = nc.constantInts(i, what);
  if (failed(v))
    return failure();
  if (v->size() != 1) {
    nc.error() << what << " must be a scalar, got " << v->size() << " values";
    return failure();
  }
  return v->front();
}

/// A scalar constant float input.
FailureOr<double> scalarFloat(NodeContext &nc, unsigned i, StringRef what) {
  FailureOr<SmallVector<double>> v = nc.constantFloats(i, what);
  if (failed(v))
    return failure();
  if (v->size() != 1) {
    nc.error() << what << " must be a scalar, got " << v->size() << " values";
    return failure();
  }
  return v->front();
}

/// A constant of `shape` and the float `type` holding `values`.
Value floatConstant(NodeContext &nc, ArrayRef<int64_t> shape, Type type,
                    ArrayRef<double> values) {
  auto tensorType = RankedTensorType::get(shape, type);
  SmallVector<APFloat> floats;
  for (double v : values) {
    APFloat f(v);
    bool lost;
    f.convert(cast<FloatType>(type).getFloatSemantics(),
              APFloat::rmNearestTiesToEven, &lost);
    floats.push_back(f);
  }
  return ConstantOp::create(nc.builder, nc.loc,
                            DenseElementsAttr::get(tensorType, floats));
}

/// The element type of output_datatype (a float type; default float).
FailureOr<Type> outputFloatType(NodeContext &nc) {
  int64_t code = nc.intAttr("output_datatype", 1);
  Type t = elementTypeFor(nc.builder.getContext(), code);
  if (!t || !isa<FloatType>(t)) {
    nc.error() << "output_datatype " << onnxTypeName(code)
               << " is not supported (float types are)";
    return failure();
  }
  return t;
}

/// The [n * c, k * 2] matrix that maps n samples (c = 1 real, 2 complex,
/// interleaved) to k frequency bins (real and imaginary interleaved) of a
/// DFT of length `length` (samples past it contribute nothing, missing
/// ones are zeros); inverse divides by the length and turns the rotation
/// around. `window` (n values, or empty) scales each sample's row.
std::vector<double> dftMatrix(int64_t n, int64_t c, int64_t k, int64_t length,
                              bool inverse, ArrayRef<double> window) {
  std::vector<double> m(n * c * k * 2, 0.0);
  double sign = inverse ? 1.0 : -1.0;
  double scale = inverse ? 1.0 / static_cast<double>(length) : 1.0;
  for (int64_t t = 0; t < std::min(n, length); ++t) {
    double w = window.empty() ? 1.0 : window[t];
    for (int64_t f = 0; f < k; ++f) {
      // e^{sign i 2 pi f t / length}, with the product reduced first so
      // that the angle stays exact for long transforms.
      double angle = 2.0 * M_PI * static_cast<double>((f * t) % length) /
                     static_cast<double>(length);
      double re = std::cos(angle) * scale * w,
             im = sign * std::sin(angle) * scale * w;
      // (xr + i xi)(re + i im) = (xr re - xi im) + i (xr im + xi re)
      m[(t * c) * k * 2 + f * 2] = re;
      m[(t * c) * k * 2 + f * 2 + 1] = im;
      if (c == 2) {
        m[(t * c + 1) * k * 2 + f * 2] = -im;
        m[(t * c + 1) * k * 2 + f * 2 + 1] = re;
      }
    }
  }
  return m;
}

/// The [n * c, length] matrix of an inverse DFT of a one-sided spectrum (n
/// bins of a Hermitian-symmetric one, c = 1 or 2) into `length` real
/// samples, as numpy's irfft computes it: the first length / 2 + 1 bins
/// (missing ones zero), each but the zero-frequency one and (for an even
/// length) the last standing for its mirror image too, whose imaginary
/// parts drop out.
std::vector<double> inverseOnesidedMatrix(int64_t n, int64_t c,
                                          int64_t length) {
  std::vector<double> m(n * c * length, 0.0);
  int64_t bins = std::min(n, length / 2 + 1);
  for (int64_t f = 0; f < bins; ++f) {
    bool mirrored = f != 0 && !(length % 2 == 0 && f == length / 2);
    double weight = (mirrored ? 2.0 : 1.0) / static_cast<double>(length);
    for (int64_t t = 0; t < length; ++t) {
      double angle = 2.0 * M_PI * static_cast<double>((f * t) % length) /
                     static_cast<double>(length);
      // Re((xr + i xi) e^{i angle}) = xr cos - xi sin
      m[(f * c) * length + t] = weight * std::cos(angle);
      if (c == 2)
        m[(f * c + 1) * length + t] = -weight * std::sin(angle);
    }
  }
  return m;
}

/// `x` ([rows..., n * c], f32) times a constant [n * c, k * parts] matrix:
/// [rows..., k, parts] (parts = 2 for complex results, 1 for real ones).
Value applyDft(NodeContext &nc, Value x, ArrayRef<double> matrix, int64_t n,
               int64_t c, int64_t k, int64_t parts = 2) {
  auto type = cast<RankedTensorType>(x.getType());
  Type f32 = nc.builder.getF32Type();
  Value m = floatConstant(nc, {n * c, k * parts}, f32, matrix);
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = k * parts;
  Value y = MatMulOp::create(nc.builder, nc.loc, type.clone(shape), x, m);
  shape.back() = k;
  shape.push_back(parts);
  return nc.reshape(y, shape);
}

/// DFT (opset 17: axis attribute; opset 20: axis input).
LogicalResult importDft(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  if (!type.hasStaticShape() || rank < 2 ||
      (type.getShape().back() != 1 && type.getShape().back() != 2)) {
    nc.error() << "expects a static [..., signal, 1 or 2] input, got " << type;
    return failure();
  }
  int64_t axis = nc.intAttr("axis", 1);
  if (nc.opset >= 20) {
    axis = -2;
    if (nc.optionalInput(2)) {
      FailureOr<int64_t> a = scalarInt(nc, 2, "axis");
      if (failed(a))
        return failure();
      axis = *a;
    }
  }
  if (axis < -rank || axis >= rank || (axis + rank) % rank == rank - 1) {
    nc.error() << "axis " << axis << " must name a signal dim of " << type
               << " (not the last, which holds the real and imaginary parts)";
    return failure();
  }
  axis = (axis + rank) % rank;
  bool inverse = nc.intAttr("inverse", 0) != 0;
  bool onesided = nc.intAttr("onesided", 0) != 0;
  int64_t c = type.getShape().back(), n = type.getDimSize(axis);
  if (onesided && c == 2 && !inverse) {
    nc.error() << "onesided takes a real signal ([..., 1]), got " << type;
    return failure();
  }
  // An inverse of a one-sided spectrum of n bins is 2 (n - 1) samples
  // unless dft_length says otherwise.
  int64_t length = inverse && onesided ? 2 * (n - 1) : n;
  if (nc.optionalInput(1)) {
    FailureOr<int64_t> l = scalarInt(nc, 1, "dft_length");
    if (failed(l))
      return failure();
    if (*l < 1) {
      nc.error() << "dft_length must be positive, got " << *l;
      return failure();
    }
    length = *l;
  }
  if (length < 1) {
    nc.error() << "a one-sided spectrum of " << n
               << " bins needs a dft_length";
    return failure();
  }
  // Bins out (or real samples out, for an inverse of a one-sided spectrum).
  int64_t k = onesided && !inverse ? length / 2 + 1 : length;

  // The signal dim next to the real/imaginary dim: [others..., n, c].
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank - 1; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  perm.push_back(rank - 1);
  bool moved = axis != rank - 2;
  Value x = nc.castTo(nc.inputs[0], nc.builder.getF32Type());
  if (moved)
    x = transposed(nc, x, perm);
  auto movedType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> rows(movedType.getShape().drop_back(2));
  SmallVector<int64_t> flat(rows);
  flat.push_back(n * c);
  x = nc.reshape(x, flat);
  Value y = inverse && onesided
                ? applyDft(nc, x, inverseOnesidedMatrix(n, c, length), n, c,
                           length, /*parts=*/1)
                : applyDft(nc, x, dftMatrix(n, c, k, length, inverse, {}), n,
                           c, k);
  if (moved) {
    SmallVector<int64_t> back(rank);
    for (int64_t i = 0; i < rank; ++i)
      back[perm[i]] = i;
    y = transposed(nc, y, back);
  }
  nc.outputs.push_back(nc.castTo(y, type.getElementType()));
  return success();
}

/// STFT(signal [batch, length, 1 or 2], frame_step, window?, frame_length?).
LogicalResult importStft(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  if (!type.hasStaticShape() || type.getRank() != 3 ||
      (type.getDimSize(2) != 1 && type.getDimSize(2) != 2)) {
    nc.error() << "expects a static [batch, length, 1 or 2] signal, got "
               << type;
    return failure();
  }
  int64_t batch = type.getDimSize(0), length = type.getDimSize(1),
          c = type.getDimSize(2);
  FailureOr<int64_t> step = scalarInt(nc, 1, "frame_step");
  if (failed(step))
    return failure();
  Value window = nc.optionalInput(2);
  int64_t frame = length;
  if (window) {
    RankedTensorType w = nc.inputType(2);
    if (w.getRank() != 1 || !w.hasStaticShape()) {
      nc.error() << "window must be 1-D, got " << w;
      return failure();
    }
    frame = w.getDimSize(0);
  }
  if (nc.optionalInput(3)) {
    FailureOr<int64_t> l = scalarInt(nc, 3, "frame_length");
    if (failed(l))
      return failure();
    if (window && *l != frame) {
      nc.error() << "frame_length " << *l << " differs from the window's "
                 << frame << " values";
      return failure();
    }
    frame = *l;
  }
  if (*step < 1 || frame < 1 || frame > length) {
    nc.error() << "frame_step " << *step << " and frame_length " << frame
               << " do not fit a signal of " << length << " samples";
    return failure();
  }
  bool onesided = nc.intAttr("onesided", 1) != 0;
  if (onesided && c == 2) {
    nc.error() << "onesided takes a real signal ([batch, length, 1])";
    return failure();
  }
  int64_t frames = 1 + (length - frame) / *step;
  int64_t k = onesided ? frame / 2 + 1 : frame;

  // The frames, [batch, frames, frame * c], gathered with a constant index.
  SmallVector<int64_t> index;
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t t = 0; t < frame * c; ++t)
      index.push_back(f * *step * c + t);
  Value idx = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(
          RankedTensorType::get({frames, frame * c}, nc.builder.getI64Type()),
          ArrayRef(index)));
  Type f32 = nc.builder.getF32Type();
  Value x = nc.reshape(nc.castTo(nc.inputs[0], f32), {batch, length * c});
  x = GatherOp::create(nc.builder, nc.loc,
                       RankedTensorType::get({batch, frames, frame * c}, f32),
                       x, idx, nc.builder.getI64IntegerAttr(1));
  // A constant window scales the matrix's rows; one computed at run time
  // scales the frames.
  SmallVector<double> constantWindow;
  if (window) {
    if (nc.constantInput(2)) {
      FailureOr<SmallVector<double>> w = nc.constantFloats(2, "window");
      if (failed(w))
        return failure();
      constantWindow = *w;
    } else {
      Value w = nc.castTo(window, f32);
      if (c == 2)
        w = nc.reshape(
            ConcatOp::create(nc.builder, nc.loc,
                             RankedTensorType::get({frame, 2}, f32),
                             ValueRange{nc.reshape(w, {frame, 1}),
                                        nc.reshape(w, {frame, 1})},
                             nc.builder.getI64IntegerAttr(1)),
            {frame * 2});
      x = bin<MulOp>(nc, x, w);
    }
  }
  Value y = applyDft(nc, x, dftMatrix(frame, c, k, frame, false, constantWindow),
                     frame, c, k);
  nc.outputs.push_back(nc.castTo(y, type.getElementType()));
  return success();
}

/// HannWindow, HammingWindow, BlackmanWindow: a0 - a1 cos(2 pi n / N) +
/// a2 cos(4 pi n / N), N = size (periodic) or size - 1 (symmetric).
template <int kind>
LogicalResult importWindow(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  FailureOr<int64_t> size = scalarInt(nc, 0, "size");
  FailureOr<Type> type = outputFloatType(nc);
  if (failed(size) || failed(type))
    return failure();
  if (*size < 0) {
    nc.error() << "size must not be negative, got " << *size;
    return failure();
  }
  bool periodic = nc.intAttr("periodic", 1) != 0;
  double n1 = static_cast<double>(periodic ? *size : *size - 1);
  // Hann, Hamming (ONNX's 25/46), Blackman.
  static const double a[3][3] = {
      {0.5, 0.5, 0.0}, {25.0 / 46.0, 21.0 / 46.0, 0.0}, {0.42, 0.5, 0.08}};
  std::vector<double> values;
  for (int64_t i = 0; i < *size; ++i) {
    double t = static_cast<double>(i) / n1;
    values.push_back(a[kind][0] - a[kind][1] * std::cos(2.0 * M_PI * t) +
                     a[kind][2] * std::cos(4.0 * M_PI * t));
  }
  nc.outputs.push_back(floatConstant(nc, {*size}, *type, values));
  return success();
}

/// MelWeightMatrix: [dft_length / 2 + 1, num_mel_bins] triangular filters
/// between the edges, as ONNX's reference computes them (mel = 2595 *
/// log10(1 + hz / 700), num_mel_bins + 2 points, bins floor((dft_length +
/// 1) * hz / sample_rate)).
LogicalResult importMelWeightMatrix(NodeContext &nc) {
  if (failed(nc.requireInputs(5)))
    return failure();
  FailureOr<int64_t> bins = scalarInt(nc, 0, "num_mel_bins"),
                     dft = scalarInt(nc, 1, "dft_length"),
                     rate = scalarInt(nc, 2, "sample_rate");
  FailureOr<double> lower = scalarFloat(nc, 3, "lower_edge_hertz"),
                    upper = scalarFloat(nc, 4, "upper_edge_hertz");
  FailureOr<Type> type = outputFloatType(nc);
  if (failed(bins) || failed(dft) || failed(rate) || failed(lower) ||
      failed(upper) || failed(type))
    return failure();
  if (*bins < 1 || *dft < 1 || *rate < 1 || !(*lower >= 0.0) ||
      !(*upper > *lower)) {
    nc.error() << "expects positive num_mel_bins, dft_length and "
                  "sample_rate and 0 <= lower_edge_hertz < upper_edge_hertz";
    return failure();
  }
  int64_t spectrum = *dft / 2 + 1;
  auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  double low = mel(*lower), high = mel(*upper);
  double step = (high - low) / static_cast<double>(*bins + 2);
  std::vector<int64_t> points;
  for (int64_t i = 0; i < *bins + 2; ++i) {
    double hz = 700.0 * (std::pow(10.0, (i * step + low) / 2595.0) - 1.0);
    points.push_back(static_cast<int64_t>(
        std::floor(static_cast<double>(*dft + 1) * hz / *rate)));
  }
  for (int64_t p : points)
    if (p < 0 || p >= spectrum) {
      nc.error() << "the filters reach bin " << p << ", past the "
                 << spectrum << " bins of a " << *dft << "-point DFT";
      return failure();
    }
  std::vector<double> w(spectrum * *bins, 0.0);
  for (int64_t i = 0; i < *bins; ++i) {
    int64_t lo = points[i], center = points[i + 1], hi = points[i + 2];
    if (center == lo) {
      w[center * *bins + i] = 1.0;
    } else {
      for (int64_t j = lo; j <= center; ++j)
        w[j * *bins + i] = static_cast<double>(j - lo) / (center - lo);
    }
    for (int64_t j = center; j < hi; ++j)
      w[j * *bins + i] = static_cast<double>(hi - j) / (hi - center);
  }
  nc.outputs.push_back(floatConstant(nc, {spectrum, *bins}, *type, w));
  return success();
}

} // namespace

void addSignalImporters(StringMap<OpImporterFn> &table) {
  table["DFT"] = importDft;
  table["STFT"] = importStft;
  table["HannWindow"] = importWindow<0>;
  table["HammingWindow"] = importWindow<1>;
  table["BlackmanWindow"] = importWindow<2>;
  table["MelWeightMatrix"] = importMelWeightMatrix;
}

} // namespace gcomp::detail
