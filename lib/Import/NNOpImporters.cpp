//===- NNOpImporters.cpp - convolution, pooling, normalization, Pad -------===//
//
// Conv and pooling map onto gcomp.conv / gcomp.*_pool with explicit pads
// (auto_pad and ceil_mode are resolved here). The normalizations are
// spelled with elementwise and reduction ops; the graph optimizer is where
// they get recognized and fused.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include <numeric>
#include <type_traits>

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {

Value scalar(NodeContext &nc, Type element, double v) {
  Attribute value =
      isa<IntegerType>(element)
          ? Attribute(nc.builder.getIntegerAttr(element, static_cast<int64_t>(v)))
          : Attribute(nc.builder.getFloatAttr(element, v));
  return ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get({}, element), value));
}

Value i64Constant(NodeContext &nc, ArrayRef<int64_t> values,
                  ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, nc.builder.getI64Type());
  return ConstantOp::create(nc.builder, nc.loc,
                            DenseIntElementsAttr::get(type, values));
}

Value iota(NodeContext &nc, int64_t n) {
  SmallVector<int64_t> values(n);
  std::iota(values.begin(), values.end(), 0);
  return i64Constant(nc, values, {n});
}

Value transposed(NodeContext &nc, Value v, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return nc.builder.createOrFold<TransposeOp>(
      nc.loc, type.clone(shape), v, nc.builder.getDenseI64ArrayAttr(perm));
}

/// (x - mean(x)) / sqrt(var(x) + eps) over `axes`; also returns the mean
/// and 1 / sqrt(var + eps) (keepdims).
Value swish(NodeContext &nc, Value x, double alpha) {
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  Value scaled = bin<MulOp>(nc, x, scalar(nc, element, alpha));
  return bin<MulOp>(nc, x, SigmoidOp::create(nc.builder, nc.loc, scaled));
}

std::pair<Value, Value> rmsNormalize(NodeContext &nc, Value x,
                                    ArrayRef<int64_t> axes, float epsilon) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> kept(type.getShape());
  for (int64_t d : axes)
    kept[d] = 1;
  OpBuilder &b = nc.builder;
  Value meanSquare = ReduceMeanOp::create(b, nc.loc, type.clone(kept),
                                          bin<MulOp>(nc, x, x),
                                          b.getDenseI64ArrayAttr(axes),
                                          b.getBoolAttr(true));
  Value inv = ReciprocalOp::create(
      b, nc.loc,
      SqrtOp::create(b, nc.loc,
                     bin<AddOp>(nc, meanSquare,
                                scalar(nc, type.getElementType(), epsilon))));
  return {bin<MulOp>(nc, x, inv), inv};
}

std::tuple<Value, Value, Value> normalize(NodeContext &nc, Value x,
                                          ArrayRef<int64_t> axes, double eps) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> kept(type.getShape());
  for (int64_t a : axes)
    kept[a] = 1;
  auto keptType = type.clone(kept);
  OpBuilder &b = nc.builder;
  Value mean = ReduceMeanOp::create(b, nc.loc, keptType, x,
                                    b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  Value centered = bin<SubOp>(nc, x, mean);
  Value var = ReduceMeanOp::create(b, nc.loc, keptType,
                                   bin<MulOp>(nc, centered, centered),
                                   b.getDenseI64ArrayAttr(axes), b.getBoolAttr(true));
  Value invStd = ReciprocalOp::create(
      b, nc.loc,
      SqrtOp::create(b, nc.loc,
                     bin<AddOp>(nc, var, scalar(nc, type.getElementType(), eps))));
  return {bin<MulOp>(nc, centered, invStd), mean, invStd};
}

namespace {

/// Window parameters of a conv or pool, with explicit pads.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads, outShape;
};

/// An ints attribute of exactly `count` entries, or `count` copies of `def`
/// when absent.
FailureOr<SmallVector<int64_t>> intListAttr(NodeContext &nc, StringRef name,
                                            int64_t count, int64_t def) {
  auto v = nc.intsAttr(name);
  if (!v)
    return SmallVector<int64_t>(count, def);
  if (static_cast<int64_t>(v->size()) != count) {
    nc.error() << name << " has " << v->size() << " entries, expected " << count;
    return failure();
  }
  return SmallVector<int64_t>(v->begin(), v->end());
}

FailureOr<Window> resolveWindow(NodeContext &nc, RankedTensorType input,
                                ArrayRef<int64_t> kernel, bool ceilMode) {
  int64_t k = input.getRank() - 2;
  // A symbolic batch dim is a loop like any other; the window arithmetic
  // needs the rest.
  if (k < 1 || llvm::any_of(input.getShape().drop_front(), ShapedType::isDynamic)) {
    nc.error() << "expects an [N, C, spatial...] input whose C and spatial "
                  "dims are static, got "
               << input;
    return failure();
  }
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  auto listAttr = [&](StringRef name, int64_t count, int64_t def) {
    return intListAttr(nc, name, count, def);
  };
  auto strides = listAttr("strides", k, 1);
  auto dilations = listAttr("dilations", k, 1);
  auto pads = listAttr("pads", 2 * k, 0);
  if (failed(strides) || failed(dilations) || failed(pads))
    return failure();
  w.strides = *strides;
  w.dilations = *dilations;
  w.pads = *pads;
  // Sizes past 2^31 are no real model's; bounding them keeps the window
  // arithmetic below from overflowing.
  constexpr int64_t kMaxWindowValue = int64_t(1) << 31;
  for (ArrayRef<int64_t> list : {kernel, ArrayRef<int64_t>(w.strides),
                                 ArrayRef<int64_t>(w.dilations),
                                 ArrayRef<int64_t>(w.pads)})
    for (int64_t v : list)
      if (v > kMaxWindowValue || v < -kMaxWindowValue) {
        nc.error() << "kernel size, stride, dilation or pad " << v
                   << " is out of range";
        return failure();
      }
  if (static_cast<int64_t>(kernel.size()) != k) {
    nc.error() << "kernel has " << kernel.size() << " dims for " << k
               << " spatial dims";
    return failure();
  }
  const onnx::AttributeProto *autoPad = nc.attr("auto_pad");
  std::string mode = autoPad ? autoPad->s() : "NOTSET";
  for (int64_t d = 0; d < k; ++d) {
    int64_t in = input.getDimSize(d + 2), s = w.strides[d];
    int64_t span = (w.kernel[d] - 1) * w.dilations[d] + 1;
    if (s < 1 || w.dilations[d] < 1 || w.kernel[d] < 1) {
      nc.error() << "kernel, strides and dilations must be positive";
      return failure();
    }
    if (mode == "VALID") {
      w.pads[d] = w.pads[d + k] = 0;
    } else if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
      int64_t out = (in + s - 1) / s;
      int64_t total = std::max<int64_t>(0, (out - 1) * s + span - in);
      int64_t small = total / 2, large = total - small;
      w.pads[d] = mode == "SAME_UPPER" ? small : large;
      w.pads[d + k] = mode == "SAME_UPPER" ? large : small;
    } else if (mode != "NOTSET") {
      nc.error() << "unknown auto_pad '" << mode << "'";
      return failure();
    }
    int64_t padded = in + w.pads[d] + w.pads[d + k] - span;
    if (padded < 0) {
      nc.error() << "the window (" << span << ") is larger than the padded "
                 << "input (" << in + w.pads[d] + w.pads[d + k] << ")";
      return failure();
    }
    int64_t out = (ceilMode ? (padded + s - 1) / s : padded / s) + 1;
    // A last window that would start in the end padding is dropped.
    if (ceilMode && (out - 1) * s >= in + w.pads[d])
      --out;
    w.outShape.push_back(out);
  }
  return w;
}

} // namespace

FailureOr<Value> convolve(NodeContext &nc, Value x, Value weights, Value bias) {
  auto in = cast<RankedTensorType>(x.getType()),
       weight = cast<RankedTensorType>(weights.getType());
  if (in.getRank() < 3 || !weight.hasStaticShape() ||
      weight.getRank() != in.getRank()) {
    nc.error() << "expects an [N, C, spatial...] input and weights of the "
                  "same rank, got "
               << in << " and " << weight;
    return failure();
  }
  SmallVector<int64_t> kernel(weight.getShape().drop_front(2));
  FailureOr<Window> w = resolveWindow(nc, in, kernel, false);
  if (failed(w))
    return failure();
  int64_t group = nc.intAttr("group", 1);
  SmallVector<int64_t> shape = {in.getDimSize(0), weight.getDimSize(0)};
  shape.append(w->outShape);
  OpBuilder &b = nc.builder;
  auto conv = ConvOp::create(b, nc.loc, in.clone(shape), x, weights, bias,
                             b.getDenseI64ArrayAttr(w->strides),
                             b.getDenseI64ArrayAttr(w->dilations),
                             b.getDenseI64ArrayAttr(w->pads),
                             b.getI64IntegerAttr(group));
  if (failed(mlir::verify(conv))) // channel/group mismatches
    return failure();
  return Value(conv);
}

namespace {

LogicalResult importConv(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  Value bias = nc.optionalInput(2);
  FailureOr<Value> conv = convolve(nc, nc.inputs[0], nc.inputs[1], bias);
  if (failed(conv))
    return failure();
  nc.outputs.push_back(*conv);
  return success();
}

/// Python's floor division (pads can be negative when output_shape grows
/// the result).
int64_t floorDiv(int64_t a, int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/// ConvTranspose is the convolution whose im2col matrix is the transpose of
/// Conv's: spread the input by the stride (s - 1 zeros between elements),
/// pad each side by dilation * (kernel - 1) minus the ONNX pad, and convolve
/// at stride 1 with the weights flipped spatially and their in/out channels
/// swapped per group. Constant weights fold to the new layout at compile
/// time. Negative effective pads (large ONNX pads) become slices.
LogicalResult importConvTranspose(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType in = nc.inputType(0), weight = nc.inputType(1);
  int64_t k = in.getRank() - 2, group = nc.intAttr("group", 1);
  if (k < 1 || !in.hasStaticShape() || !weight.hasStaticShape() ||
      weight.getRank() != in.getRank() || group < 1 ||
      in.getDimSize(1) != weight.getDimSize(0) || in.getDimSize(1) % group) {
    nc.error() << "expects a static [N, C, spatial...] input and [C, M / group, "
                  "kernel...] weights, got "
               << in << " and " << weight;
    return failure();
  }
  auto listAttr = [&](StringRef name, int64_t count, int64_t def) {
    return intListAttr(nc, name, count, def);
  };
  SmallVector<int64_t> kernel(weight.getShape().drop_front(2));
  auto strides = listAttr("strides", k, 1), dilations = listAttr("dilations", k, 1),
       outputPadding = listAttr("output_padding", k, 0);
  if (failed(strides) || failed(dilations) || failed(outputPadding))
    return failure();
  const onnx::AttributeProto *autoPadAttr = nc.attr("auto_pad");
  std::string autoPad = autoPadAttr ? autoPadAttr->s() : "NOTSET";
  auto givenPads = nc.intsAttr("pads");
  auto outputShape = nc.intsAttr("output_shape");
  if (outputShape && static_cast<int64_t>(outputShape->size()) == k + 2)
    outputShape->erase(outputShape->begin(), outputShape->begin() + 2);
  if (outputShape && static_cast<int64_t>(outputShape->size()) != k) {
    nc.error() << "output_shape has " << outputShape->size() << " entries, expected "
               << k;
    return failure();
  }
  SmallVector<int64_t> pads(2 * k, 0), outShape;
  for (int64_t d = 0; d < k; ++d) {
    int64_t s = (*strides)[d], span = (kernel[d] - 1) * (*dilations)[d] + 1;
    int64_t natural = s * (in.getDimSize(d + 2) - 1) + (*outputPadding)[d] + span;
    if ((givenPads && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") ||
        (!outputShape && autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")) {
      if (givenPads) {
        if (static_cast<int64_t>(givenPads->size()) != 2 * k) {
          nc.error() << "pads has " << givenPads->size() << " entries, expected "
                     << 2 * k;
          return failure();
        }
        pads[d] = (*givenPads)[d];
        pads[d + k] = (*givenPads)[d + k];
      }
      outShape.push_back(outputShape ? (*outputShape)[d]
                                     : natural - pads[d] - pads[d + k]);
      continue;
    }
    // output_shape or SAME_*: pads follow from the wanted size.
    int64_t out = outputShape ? (*outputShape)[d] : in.getDimSize(d + 2) * s;
    int64_t total = natural - out;
    int64_t half = floorDiv(total, 2);
    pads[d] = autoPad == "SAME_UPPER" ? half : total - half;
    pads[d + k] = total - pads[d];
    outShape.push_back(out);
  }
  if (llvm::any_of(outShape, [](int64_t n) { return n < 1; })) {
    nc.error() << "the output would be empty";
    return failure();
  }

  OpBuilder &b = nc.builder;
  Type et = in.getElementType();
  // Spread: [N, C, L...] -> [N, C, L, 1, ...] -> pad the 1s to s -> [N, C, L * s...].
  Value x = nc.inputs[0];
  SmallVector<int64_t> spreadShape(in.getShape().take_front(2));
  SmallVector<int64_t> paddedShape(spreadShape), spreadPads, flatShape(spreadShape);
  for (int64_t d = 0; d < k; ++d) {
    spreadShape.append({in.getDimSize(d + 2), 1});
    paddedShape.append({in.getDimSize(d + 2), (*strides)[d]});
    flatShape.push_back(in.getDimSize(d + 2) * (*strides)[d]);
  }
  if (llvm::any_of(*strides, [](int64_t s) { return s > 1; })) {
    SmallVector<int64_t> p(2 * (k * 2 + 2), 0);
    for (int64_t d = 0; d < k; ++d)
      p[(k * 2 + 2) + 2 + 2 * d + 1] = (*strides)[d] - 1;
    x = PadOp::create(b, nc.loc, RankedTensorType::get(paddedShape, et),
                      nc.reshape(x, spreadShape), b.getDenseI64ArrayAttr(p),
                      b.getStringAttr("constant"), b.getF64FloatAttr(0.0));
    x = nc.reshape(x, flatShape);
  }
  // The spread input ends in s - 1 zeros, which count toward the end pad.
  SmallVector<int64_t> convPads(2 * k), starts(k + 2, 0), steps(k + 2, 1),
      sliced(flatShape);
  bool slice = false;
  for (int64_t d = 0; d < k; ++d) {
    int64_t reach = (kernel[d] - 1) * (*dilations)[d];
    int64_t front = reach - pads[d];
    // What makes the stride-1 conv produce outShape; without output_shape
    // that is reach - end pad + output_padding - (s - 1).
    int64_t back = outShape[d] + reach - front - flatShape[d + 2];
    if (front < 0) {
      starts[d + 2] = -front;
      sliced[d + 2] += front;
      front = 0;
      slice = true;
    }
    if (back < 0) {
      sliced[d + 2] += back;
      back = 0;
      slice = true;
    }
    convPads[d] = front;
    convPads[d + k] = back;
  }
  if (slice)
    x = b.createOrFold<SliceOp>(nc.loc, RankedTensorType::get(sliced, et), x,
                                b.getDenseI64ArrayAttr(starts),
                                b.getDenseI64ArrayAttr(steps));
  // Weights [C, M/g, K...] -> [g, C/g, M/g, K...] -> [g, M/g, C/g, K...]
  // -> [M, C/g, K...], flipped along K.
  int64_t c = in.getDimSize(1), mg = weight.getDimSize(1);
  SmallVector<int64_t> grouped = {group, c / group, mg}, perm = {0, 2, 1},
                       convWeightShape = {group * mg, c / group};
  grouped.append(kernel);
  convWeightShape.append(kernel);
  for (int64_t d = 0; d < k; ++d)
    perm.push_back(d + 3);
  Value w = nc.reshape(nc.inputs[1], grouped);
  auto wt = *inferTransposeType(cast<RankedTensorType>(w.getType()), perm, nullptr);
  w = b.createOrFold<TransposeOp>(nc.loc, wt, w, b.getDenseI64ArrayAttr(perm));
  w = nc.reshape(w, convWeightShape);
  SmallVector<int64_t> flipStarts = {0, 0}, flipSteps = {1, 1};
  for (int64_t d = 0; d < k; ++d) {
    flipStarts.push_back(kernel[d] - 1);
    flipSteps.push_back(-1);
  }
  w = b.createOrFold<SliceOp>(nc.loc, RankedTensorType::get(convWeightShape, et), w,
                              b.getDenseI64ArrayAttr(flipStarts),
                              b.getDenseI64ArrayAttr(flipSteps));
  SmallVector<int64_t> resultShape = {in.getDimSize(0), group * mg};
  resultShape.append(outShape);
  Value bias = nc.optionalInput(2);
  auto conv = ConvOp::create(b, nc.loc, RankedTensorType::get(resultShape, et), x,
                             w, bias, b.getDenseI64ArrayAttr(SmallVector<int64_t>(k, 1)),
                             b.getDenseI64ArrayAttr(*dilations),
                             b.getDenseI64ArrayAttr(convPads),
                             b.getI64IntegerAttr(group));
  if (failed(mlir::verify(conv)))
    return failure();
  nc.outputs.push_back(conv);
  return success();
}

template <typename OpT>
LogicalResult importPool(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  // MaxPool of 8-bit integers (quantized models: a max commutes with the
  // dequantization): the pool of their exact f32 values, back to integers.
  Value input = nc.inputs[0];
  Type inElement = nc.inputType(0).getElementType();
  bool integerMax = std::is_same_v<OpT, MaxPoolOp> &&
                    inElement.isSignlessInteger(8);
  if (integerMax)
    input = nc.castTo(input, nc.builder.getF32Type(), nc.isUnsignedInput(0));
  else if (failed(nc.requireFloatInput(0)))
    return failure();
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty()) {
    nc.error() << "the Indices output is not supported";
    return failure();
  }
  auto kernel = nc.intsAttr("kernel_shape");
  if (!kernel) {
    nc.error() << "needs kernel_shape";
    return failure();
  }
  auto in = cast<RankedTensorType>(input.getType());
  FailureOr<Window> w =
      resolveWindow(nc, in, *kernel, nc.intAttr("ceil_mode", 0) != 0);
  if (failed(w))
    return failure();
  SmallVector<int64_t> shape(in.getShape().take_front(2));
  shape.append(w->outShape);
  OpBuilder &b = nc.builder;
  Value pooled = OpT::create(
      b, nc.loc, in.clone(shape), input, b.getDenseI64ArrayAttr(w->kernel),
      b.getDenseI64ArrayAttr(w->strides), b.getDenseI64ArrayAttr(w->dilations),
      b.getDenseI64ArrayAttr(w->pads),
      b.getBoolAttr(nc.intAttr("count_include_pad", 0) != 0));
  if (integerMax) {
    // Via i32: the values fit, and the truncation keeps uint8's bits.
    pooled = nc.castTo(nc.castTo(pooled, b.getI32Type()), inElement);
    nc.setUnsignedOutput(0, nc.isUnsignedInput(0));
  }
  nc.outputs.push_back(pooled);
  return success();
}

/// LpPool: (sum over the window of |x|^p)^(1/p). Padding adds nothing to
/// the sum, so it is an average pool that counts the padding, times the
/// window's size (every window lies within the padded extent without
/// ceil_mode).
LogicalResult importLpPool(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  auto kernel = nc.intsAttr("kernel_shape");
  if (!kernel) {
    nc.error() << "needs kernel_shape";
    return failure();
  }
  if (nc.intAttr("ceil_mode", 0)) {
    nc.error() << "ceil_mode is not supported yet";
    return failure();
  }
  RankedTensorType in = nc.inputType(0);
  FailureOr<Window> w = resolveWindow(nc, in, *kernel, false);
  if (failed(w))
    return failure();
  int64_t p = nc.intAttr("p", 2), size = 1;
  if (p < 1) {
    nc.error() << "p must be positive, got " << p;
    return failure();
  }
  for (int64_t k : w->kernel)
    size *= k;
  Type element = in.getElementType();
  Value x = nc.inputs[0];
  Value powered = p == 1   ? Value(AbsOp::create(nc.builder, nc.loc, x))
                  : p == 2 ? bin<MulOp>(nc, x, x)
                           : bin<PowOp>(nc, AbsOp::create(nc.builder, nc.loc, x),
                                        scalar(nc, element, p));
  SmallVector<int64_t> shape(in.getShape().take_front(2));
  shape.append(w->outShape);
  OpBuilder &b = nc.builder;
  Value mean = AveragePoolOp::create(
      b, nc.loc, in.clone(shape), powered, b.getDenseI64ArrayAttr(w->kernel),
      b.getDenseI64ArrayAttr(w->strides), b.getDenseI64ArrayAttr(w->dilations),
      b.getDenseI64ArrayAttr(w->pads), b.getBoolAttr(true));
  Value sum = bin<MulOp>(nc, mean, scalar(nc, element, size));
  nc.outputs.push_back(p == 1   ? sum
                       : p == 2 ? Value(SqrtOp::create(b, nc.loc, sum))
                                : bin<PowOp>(nc, sum, scalar(nc, element, 1.0 / p)));
  return success();
}

template <typename OpT>
LogicalResult importGlobalPool(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType in = nc.inputType(0);
  SmallVector<int64_t> axes, shape(in.getShape().take_front(2));
  for (int64_t d = 2; d < in.getRank(); ++d) {
    axes.push_back(d);
    shape.push_back(1);
  }
  nc.outputs.push_back(OpT::create(nc.builder, nc.loc, in.clone(shape),
                                   nc.inputs[0],
                                   nc.builder.getDenseI64ArrayAttr(axes),
                                   nc.builder.getBoolAttr(true)));
  return success();
}

/// [C] -> [C, 1, ..., 1] to broadcast along dim 1 of a rank-`rank` tensor.
Value perChannel(NodeContext &nc, Value v, int64_t rank) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.append(rank - 2, 1);
  return nc.reshape(v, shape);
}

LogicalResult importBatchNorm(NodeContext &nc) {
  if (failed(nc.requireInputs(5)) || failed(nc.requireFloatInput(0)))
    return failure();
  if (nc.intAttr("training_mode", 0) ||
      (nc.node.output_size() > 1 && !nc.node.output(1).empty())) {
    nc.error() << "training mode is not supported (gcomp compiles for "
                  "inference)";
    return failure();
  }
  int64_t rank = nc.inputType(0).getRank();
  if (rank < 2) {
    nc.error() << "expects an [N, C, ...] input";
    return failure();
  }
  Type t = nc.inputType(0).getElementType();
  double eps = nc.floatAttr("epsilon", 1e-5f);
  // y = (x - mean) * (scale / sqrt(var + eps)) + bias
  Value scale = perChannel(nc, nc.inputs[1], rank);
  Value bias = perChannel(nc, nc.inputs[2], rank);
  Value mean = perChannel(nc, nc.inputs[3], rank);
  Value var = perChannel(nc, nc.inputs[4], rank);
  Value invStd = ReciprocalOp::create(
      nc.builder, nc.loc,
      SqrtOp::create(nc.builder, nc.loc, bin<AddOp>(nc, var, scalar(nc, t, eps))));
  Value factor = bin<MulOp>(nc, scale, invStd);
  Value y = bin<AddOp>(nc, bin<MulOp>(nc, bin<SubOp>(nc, nc.inputs[0], mean), factor),
                       bias);
  nc.outputs.push_back(y);
  return success();
}

/// The dims from the `axis` attribute (default -1) to the last.
FailureOr<SmallVector<int64_t>> trailingAxes(NodeContext &nc,
                                             RankedTensorType type) {
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < type.getRank(); ++d)
    axes.push_back(d);
  return axes;
}

LogicalResult importLayerNorm(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = trailingAxes(nc, nc.inputType(0));
  if (failed(axes))
    return failure();
  auto [normalized, mean, invStd] =
      normalize(nc, nc.inputs[0], *axes, nc.floatAttr("epsilon", 1e-5f));
  Value y = bin<MulOp>(nc, normalized, nc.inputs[1]);
  if (nc.optionalInput(2))
    y = bin<AddOp>(nc, y, nc.inputs[2]);
  nc.outputs.append({y, mean, invStd});
  return success();
}

LogicalResult importInstanceNorm(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  if (axes.empty()) {
    nc.error() << "expects spatial dims";
    return failure();
  }
  Value normalized =
      std::get<0>(normalize(nc, nc.inputs[0], axes, nc.floatAttr("epsilon", 1e-5f)));
  Value y = bin<AddOp>(nc, bin<MulOp>(nc, normalized, perChannel(nc, nc.inputs[1], rank)),
                       perChannel(nc, nc.inputs[2], rank));
  nc.outputs.push_back(y);
  return success();
}

LogicalResult importPad(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  if (!type.hasStaticShape()) {
    nc.error() << "expects a static input, got " << type;
    return failure();
  }
  SmallVector<int64_t> pads;
  double value = 0;
  if (nc.opset < 11) {
    auto p = nc.intsAttr("pads");
    if (!p) {
      nc.error() << "needs pads";
      return failure();
    }
    pads.assign(p->begin(), p->end());
    value = nc.floatAttr("value", 0);
  } else {
    auto p = nc.constantInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (nc.optionalInput(2)) {
      ElementsAttr v = nc.constantInput(2);
      if (!v) {
        nc.error() << "the constant_value input must be a constant";
        return failure();
      }
      Attribute a = *v.getValues<Attribute>().begin();
      value = isa<FloatAttr>(a) ? cast<FloatAttr>(a).getValueAsDouble()
                                : static_cast<double>(cast<IntegerAttr>(a).getInt());
    }
    if (nc.optionalInput(3)) {
      // Pads given for some axes only: spread them over all dims.
      auto axes = nc.constantInts(3, "axes");
      if (failed(axes))
        return failure();
      SmallVector<int64_t> full(2 * rank, 0);
      int64_t n = axes->size();
      if (static_cast<int64_t>(pads.size()) != 2 * n) {
        nc.error() << "pads must have two entries per axis";
        return failure();
      }
      for (auto [i, a] : llvm::enumerate(*axes)) {
        FailureOr<int64_t> axis = nc.normalizeAxis(a, rank);
        if (failed(axis))
          return failure();
        full[*axis] = pads[i];
        full[*axis + rank] = pads[i + n];
      }
      pads = full;
    }
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank) {
    nc.error() << "pads has " << pads.size() << " entries for rank " << rank;
    return failure();
  }
  const onnx::AttributeProto *m = nc.attr("mode");
  std::string mode = m ? m->s() : "constant";
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (pads[d] < 0 || pads[d + rank] < 0) {
      nc.error() << "negative pads (cropping) are not supported yet";
      return failure();
    }
    if (mode == "reflect" && (pads[d] >= type.getDimSize(d) ||
                              pads[d + rank] >= type.getDimSize(d)) &&
        type.getDimSize(d) > 1) {
      nc.error() << "reflect pads must be smaller than the dim";
      return failure();
    }
    shape.push_back(type.getDimSize(d) + pads[d] + pads[d + rank]);
  }
  OpBuilder &b = nc.builder;
  auto pad = PadOp::create(b, nc.loc, type.clone(shape), nc.inputs[0],
                           b.getDenseI64ArrayAttr(pads), b.getStringAttr(mode),
                           b.getF64FloatAttr(value));
  if (failed(mlir::verify(pad)))
    return failure();
  nc.outputs.push_back(pad);
  return success();
}

LogicalResult importGatherElements(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType data = nc.inputType(0), indices = nc.inputType(1);
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", 0), data.getRank());
  if (failed(axis))
    return failure();
  auto op = GatherElementsOp::create(nc.builder, nc.loc,
                                     indices.clone(data.getElementType()),
                                     nc.inputs[0], nc.inputs[1],
                                     nc.builder.getI64IntegerAttr(*axis));
  if (failed(mlir::verify(op)))
    return failure();
  nc.outputs.push_back(op);
  return success();
}

LogicalResult importRMSNorm(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  FailureOr<SmallVector<int64_t>> axes = trailingAxes(nc, nc.inputType(0));
  if (failed(axes))
    return failure();
  auto [normalized, invStd] = rmsNormalize(nc, nc.inputs[0], *axes,
                                           nc.floatAttr("epsilon", 1e-5f));
  nc.outputs.push_back(bin<MulOp>(nc, normalized, nc.inputs[1]));
  // onnxruntime's SimplifiedLayerNormalization (the same, in the default
  // domain, before RMSNormalization existed) also gives inv_std_var.
  nc.outputs.push_back(invStd);
  return success();
}

LogicalResult importSwish(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  nc.outputs.push_back(swish(nc, nc.inputs[0], nc.floatAttr("alpha", 1.0f)));
  return success();
}

LogicalResult importLpNormalization(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", -1), type.getRank());
  if (failed(axis))
    return failure();
  int64_t p = nc.intAttr("p", 2);
  if (p != 1 && p != 2) {
    nc.error() << "p must be 1 or 2, got " << p;
    return failure();
  }
  SmallVector<int64_t> kept(type.getShape());
  kept[*axis] = 1;
  OpBuilder &b = nc.builder;
  auto axes = b.getDenseI64ArrayAttr({*axis});
  Value norm = p == 1 ? Value(ReduceL1Op::create(b, nc.loc, type.clone(kept),
                                                 nc.inputs[0], axes, b.getBoolAttr(true)))
                      : Value(ReduceL2Op::create(b, nc.loc, type.clone(kept),
                                                 nc.inputs[0], axes, b.getBoolAttr(true)));
  // Zero vectors stay zero instead of becoming NaN.
  Type t = type.getElementType();
  Value isZero = bin<EqualOp>(nc, norm, scalar(nc, t, 0));
  Value safe = nc.builder.createOrFold<WhereOp>(
      nc.loc, cast<RankedTensorType>(norm.getType()), isZero, scalar(nc, t, 1), norm);
  nc.outputs.push_back(bin<DivOp>(nc, nc.inputs[0], safe));
  return success();
}

/// NegativeLogLikelihoodLoss on log-probabilities `logProb` [N, C, d...]
/// and targets [N, d...], as ONNX defines it.
FailureOr<Value> nllLoss(NodeContext &nc, Value logProb, Value target,
                         Value weight) {
  auto type = cast<RankedTensorType>(logProb.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  Type t = type.getElementType();
  if (type.getRank() < 2 || targetType.getRank() != type.getRank() - 1 ||
      !isa<IntegerType>(targetType.getElementType())) {
    nc.error() << "expects input [N, C, d...] and integer target [N, d...], "
               << "got " << type << " and " << targetType;
    return failure();
  }
  SmallVector<int64_t> unsqueezed(targetType.getShape());
  unsqueezed.insert(unsqueezed.begin() + 1, 1);
  Value index = nc.reshape(target, unsqueezed);
  Value picked = GatherElementsOp::create(
      nc.builder, nc.loc, targetType.clone(unsqueezed).clone(t), logProb, index,
      nc.builder.getI64IntegerAttr(1));
  picked = nc.reshape(picked, targetType.getShape());
  Value w;
  if (weight) {
    auto wType = cast<RankedTensorType>(weight.getType());
    w = nc.builder.createOrFold<GatherOp>(
        nc.loc, targetType.clone(wType.getElementType()), weight, target,
        nc.builder.getI64IntegerAttr(0));
  } else {
    w = ConstantOp::create(nc.builder, nc.loc,
                           DenseElementsAttr::get(targetType.clone(t),
                                                  nc.builder.getFloatAttr(t, 1.0)));
  }
  if (const onnx::AttributeProto *ignore = nc.attr("ignore_index")) {
    Value ignoreValue = ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(
            RankedTensorType::get({}, targetType.getElementType()),
            ArrayRef<Attribute>{nc.builder.getIntegerAttr(
                targetType.getElementType(), ignore->i())}));
    Value ignored = bin<EqualOp>(nc, target, ignoreValue);
    w = nc.builder.createOrFold<WhereOp>(nc.loc, targetType.clone(t), ignored,
                                         scalar(nc, t, 0), w);
  }
  Value loss = NegOp::create(nc.builder, nc.loc, bin<MulOp>(nc, picked, w));
  const onnx::AttributeProto *r = nc.attr("reduction");
  std::string reduction = r ? r->s() : "mean";
  if (reduction == "none")
    return loss;
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < targetType.getRank(); ++d)
    all.push_back(d);
  auto scalarType = RankedTensorType::get({}, t);
  auto sumOf = [&](Value v) -> Value {
    return ReduceSumOp::create(nc.builder, nc.loc, scalarType, v,
                               nc.builder.getDenseI64ArrayAttr(all),
                               nc.builder.getBoolAttr(false));
  };
  if (reduction == "sum")
    return sumOf(loss);
  if (reduction != "mean") {
    nc.error() << "unknown reduction '" << reduction << "'";
    return failure();
  }
  return bin<DivOp>(nc, sumOf(loss), sumOf(w));
}

LogicalResult importNLLLoss(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  Value weight = nc.optionalInput(2);
  FailureOr<Value> loss = nllLoss(nc, nc.inputs[0], nc.inputs[1], weight);
  if (failed(loss))
    return failure();
  nc.outputs.push_back(*loss);
  return success();
}

LogicalResult importSoftmaxCrossEntropy(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  if (nc.inputType(0).getRank() < 2) {
    nc.error() << "expects scores [N, C, d...]";
    return failure();
  }
  Value logProb = LogSoftmaxOp::create(nc.builder, nc.loc, nc.inputs[0],
                                       nc.builder.getI64IntegerAttr(1));
  Value weight = nc.optionalInput(2);
  FailureOr<Value> loss = nllLoss(nc, logProb, nc.inputs[1], weight);
  if (failed(loss))
    return failure();
  nc.outputs.append({*loss, logProb});
  return success();
}

LogicalResult importGroupNorm(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t groups = nc.intAttr("num_groups", 0);
  if (type.getRank() < 3 || !type.hasStaticShape() || groups < 1 ||
      type.getDimSize(1) % groups) {
    nc.error() << "expects a static [N, C, spatial...] input with C divisible "
                  "by num_groups";
    return failure();
  }
  int64_t n = type.getDimSize(0), c = type.getDimSize(1), spatial = 1;
  for (int64_t d = 2; d < type.getRank(); ++d)
    spatial *= type.getDimSize(d);
  Value grouped = nc.reshape(nc.inputs[0], {n, groups, c / groups * spatial});
  Value normalized = std::get<0>(
      normalize(nc, grouped, {2}, nc.floatAttr("epsilon", 1e-5f)));
  normalized = nc.reshape(normalized, {n, groups, c / groups, spatial});
  // Opset 18 scales per group, opset 21 per channel.
  int64_t perGroup = nc.inputType(1).getNumElements() == groups && groups != c;
  SmallVector<int64_t> paramShape = {groups, perGroup ? 1 : c / groups, 1};
  Value y = bin<AddOp>(nc, bin<MulOp>(nc, normalized, nc.reshape(nc.inputs[1], paramShape)),
                       nc.reshape(nc.inputs[2], paramShape));
  nc.outputs.push_back(nc.reshape(y, type.getShape()));
  return success();
}

/// LRN: y = x / (bias + alpha / size * sum of x^2 over `size` neighboring
/// channels)^beta. The channel window sum is an average pool (counting the
/// zero padding) over x^2 viewed as [N, 1, C, rest].
LogicalResult importLRN(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t size = nc.intAttr("size", 0);
  if (type.getRank() < 3 || !type.hasStaticShape() || size < 1) {
    nc.error() << "expects a static [N, C, spatial...] input and size >= 1";
    return failure();
  }
  int64_t n = type.getDimSize(0), c = type.getDimSize(1), rest = 1;
  for (int64_t d = 2; d < type.getRank(); ++d)
    rest *= type.getDimSize(d);
  Type t = type.getElementType();
  Value x = nc.inputs[0];
  Value squares = nc.reshape(bin<MulOp>(nc, x, x), {n, 1, c, rest});
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  OpBuilder &b = nc.builder;
  Value mean = AveragePoolOp::create(
      b, nc.loc, type.clone({n, 1, c, rest}), squares,
      b.getDenseI64ArrayAttr({size, 1}), b.getDenseI64ArrayAttr({1, 1}),
      b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr({before, 0, after, 0}),
      b.getBoolAttr(true));
  mean = nc.reshape(mean, type.getShape());
  // alpha / size * sum == alpha * mean (the pool divides by size).
  Value base = bin<AddOp>(nc, scalar(nc, t, nc.floatAttr("bias", 1.0f)),
                          bin<MulOp>(nc, mean, scalar(nc, t, nc.floatAttr("alpha", 1e-4f))));
  Value denom = bin<PowOp>(nc, base, scalar(nc, t, nc.floatAttr("beta", 0.75f)));
  nc.outputs.push_back(bin<DivOp>(nc, x, denom));
  return success();
}

} // namespace

void addNNOpImporters(StringMap<OpImporterFn> &table) {
  table["AveragePool"] = importPool<AveragePoolOp>;
  table["BatchNormalization"] = importBatchNorm;
  table["Conv"] = importConv;
  table["ConvTranspose"] = importConvTranspose;
  table["GlobalAveragePool"] = importGlobalPool<ReduceMeanOp>;
  table["GlobalMaxPool"] = importGlobalPool<ReduceMaxOp>;
  table["InstanceNormalization"] = importInstanceNorm;
  table["LayerNormalization"] = importLayerNorm;
  table["LRN"] = importLRN;
  table["MaxPool"] = importPool<MaxPoolOp>;
  table["LpPool"] = importLpPool;
  table["Pad"] = importPad;
  table["GatherElements"] = importGatherElements;
  table["GroupNormalization"] = importGroupNorm;
  table["LpNormalization"] = importLpNormalization;
  table["NegativeLogLikelihoodLoss"] = importNLLLoss;
  table["RMSNormalization"] = importRMSNorm;
  table["SimplifiedLayerNormalization"] = importRMSNorm;
  table["SoftmaxCrossEntropyLoss"] = importSoftmaxCrossEntropy;
  table["Swish"] = importSwish;
}

} // namespace gcomp::detail
