//===- ConvLowering.cpp - convolution, pooling and padding to linalg ------===//
//
// Convolutions become one linalg.generic for every rank and group count:
// the input is viewed as [N, G, C/G, spatial...], the weight as
// [G, M/G, C/G, kernel...] and the output as [N, G, M/G, out...], so every
// indexing map is a projected permutation except the input's spatial
// `o * stride + k * dilation`. Pooling is the same window walk with max or
// sum. f32 convolutions with enough work per output become matrix products
// (im2col) that gcomp-gemm-to-runtime-call hands to the runtime's GEMM;
// channels-last convolutions (gcomp-channels-last) are one [positions x
// window*C] * [window*C x M] product, or a depthwise loop nest with the
// channels innermost.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

/// `input` padded by `low`/`high` with the scalar `value` (no op if none).
Value padWith(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> low,
              ArrayRef<int64_t> high, TypedAttr value) {
  if (llvm::all_of(low, [](int64_t v) { return v == 0; }) &&
      llvm::all_of(high, [](int64_t v) { return v == 0; }))
    return input;
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> lo, hi;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    shape.push_back(type.getDimSize(d) + low[d] + high[d]);
    lo.push_back(b.getIndexAttr(low[d]));
    hi.push_back(b.getIndexAttr(high[d]));
  }
  Value padValue = arith::ConstantOp::create(b, loc, value);
  return tensor::PadOp::create(b, loc, type.clone(shape), input, lo, hi,
                               padValue);
}

/// The im2col gather: col[i...] = in[inExprs(i...)], an identity-indexed
/// copy of windows of `in` into a new tensor of `colType`.
static Value gatherWindows(OpBuilder &b, Location loc, Value in,
                           RankedTensorType colType,
                           ArrayRef<AffineExpr> inExprs) {
  MLIRContext *ctx = b.getContext();
  int64_t loops = colType.getRank();
  return linalg::GenericOp::create(
             b, loc, colType, ValueRange{in}, emptyTensor(b, loc, colType),
             ArrayRef<AffineMap>{AffineMap::get(loops, 0, inExprs, ctx),
                                 AffineMap::getMultiDimIdentityMap(loops, ctx)},
             SmallVector<utils::IteratorType>(loops,
                                              utils::IteratorType::parallel),
             [](OpBuilder &nb, Location l, ValueRange args) {
               linalg::YieldOp::create(nb, l, args[0]);
             })
      .getResult(0);
}

/// A product's initial value: `bias` (already shaped to broadcast into
/// `type`, widened to its accumulator type) or zeros.
static Value initialProduct(OpBuilder &b, Location loc, RankedTensorType type,
                            Value bias) {
  if (!bias)
    return filledTensor(b, loc, type, zeroAttr(type.getElementType()));
  Type acc = type.getElementType();
  return elementwise(b, loc, type, ValueRange{bias},
                     [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                       if (a[0].getType() == acc)
                         return a[0];
                       return arith::ExtFOp::create(nb, l, acc, a[0]);
                     });
}

/// A convolution as matrix products: per image and group,
///   out[mg, P] = W[mg, Kc] * col[Kc, P]
/// with P the output positions and Kc = C/G x kernel positions. `col`
/// (im2col) gathers, for each (channel, kernel position), the input under
/// every output position; a 1x1 stride-1 conv needs no gathering, its input
/// already is `col`. The product is a plain contraction that
/// gcomp-gemm-to-runtime-call hands to the packed GEMM; the bias is its
/// initial value. `in` is the padded input as [N, G, C/G, spatial...],
/// `w` the weight as [G, M/G, C/G, kernel...].
Value im2colProduct(OpBuilder &b, Location loc, ConvOp op, Value in, Value w,
                    Value bias, RankedTensorType outType) {
  MLIRContext *ctx = b.getContext();
  auto inType = cast<RankedTensorType>(in.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t k = inType.getRank() - 3;
  int64_t n = inType.getDimSize(0), g = inType.getDimSize(1),
          cg = inType.getDimSize(2), mg = wType.getDimSize(1);
  int64_t window = 1, positions = 1;
  for (int64_t d = 0; d < k; ++d) {
    window *= wType.getDimSize(3 + d);
    positions *= outType.getDimSize(2 + d);
  }
  Type t = outType.getElementType();
  bool direct = window == 1 &&
                llvm::all_of(op.getStrides(), [](int64_t s) { return s == 1; });
  Value col;
  if (direct) {
    col = reshapeTo(b, loc, in, inType.clone({n, g, cg, positions}));
  } else {
    // col[n, g, cg, k_1..k_k, o_1..o_k] = in[n, g, cg, o * s + k * d].
    SmallVector<int64_t> colShape = {n, g, cg};
    for (int64_t d = 0; d < k; ++d)
      colShape.push_back(wType.getDimSize(3 + d));
    for (int64_t d = 0; d < k; ++d)
      colShape.push_back(outType.getDimSize(2 + d));
    auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> inExprs = {dim(0), dim(1), dim(2)};
    for (int64_t d = 0; d < k; ++d)
      inExprs.push_back(dim(3 + k + d) * op.getStrides()[d] +
                        dim(3 + d) * op.getDilations()[d]);
    auto colType = RankedTensorType::get(colShape, t);
    col = gatherWindows(b, loc, in, colType, inExprs);
    col = reshapeTo(b, loc, col, colType.clone({n, g, cg * window, positions}));
  }
  Value weights = reshapeTo(b, loc, w, wType.clone({g, mg, cg * window}));
  Type acc = accumulatorType(t);
  auto productType = RankedTensorType::get({n, g, mg, positions}, acc);
  Value start = initialProduct(
      b, loc, productType,
      bias ? reshapeTo(b, loc, bias, RankedTensorType::get({g, mg, 1}, t))
           : Value());
  // Loops: n, g, mg, p | kc.
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  Value product =
      linalg::GenericOp::create(
          b, loc, productType, ValueRange{weights, col}, start,
          ArrayRef<AffineMap>{
              AffineMap::get(5, 0, {dim(1), dim(2), dim(4)}, ctx),
              AffineMap::get(5, 0, {dim(0), dim(1), dim(4), dim(3)}, ctx),
              AffineMap::get(5, 0, {dim(0), dim(1), dim(2), dim(3)}, ctx)},
          {utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::reduction},
          yieldMultiplyAdd)
          .getResult(0);
  return convertElements(
      b, loc, reshapeTo(b, loc, product, outType.clone(acc)), outType);
}

/// A channels-last conv with one group as one matrix product:
///   out[N x P, M] = col[N x P, window x C] * W[window x C, M]
/// `col` gathers, for each output position, the window's rows of C
/// contiguous channels (a 1x1 stride-1 conv's input already is `col`); the
/// weight [kernel..., C, M] already is W. The bias is the initial value.
/// `in` is the padded input [N, spatial..., C].
Value channelsLastProduct(OpBuilder &b, Location loc, ConvOp op, Value in,
                          Value w, Value bias, RankedTensorType outType) {
  MLIRContext *ctx = b.getContext();
  auto inType = cast<RankedTensorType>(in.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t rank = inType.getRank(), k = rank - 2;
  int64_t n = inType.getDimSize(0), c = inType.getDimSize(rank - 1),
          m = outType.getDimSize(rank - 1);
  int64_t window = 1, positions = 1;
  for (int64_t d = 0; d < k; ++d) {
    window *= wType.getDimSize(d);
    positions *= outType.getDimSize(1 + d);
  }
  Type t = outType.getElementType();
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  bool direct = window == 1 &&
                llvm::all_of(op.getStrides(), [](int64_t s) { return s == 1; });
  Value col;
  if (direct) {
    col = reshapeTo(b, loc, in, inType.clone({n * positions, c}));
  } else {
    // col[n, o_1..o_k, k_1..k_k, c] = in[n, o * s + k * d, c].
    SmallVector<int64_t> colShape = {n};
    for (int64_t d = 0; d < k; ++d)
      colShape.push_back(outType.getDimSize(1 + d));
    for (int64_t d = 0; d < k; ++d)
      colShape.push_back(wType.getDimSize(d));
    colShape.push_back(c);
    SmallVector<AffineExpr> inExprs = {dim(0)};
    for (int64_t d = 0; d < k; ++d)
      inExprs.push_back(dim(1 + d) * op.getStrides()[d] +
                        dim(1 + k + d) * op.getDilations()[d]);
    inExprs.push_back(dim(1 + 2 * k));
    auto colType = RankedTensorType::get(colShape, t);
    col = gatherWindows(b, loc, in, colType, inExprs);
    col = reshapeTo(b, loc, col, colType.clone({n * positions, window * c}));
  }
  Value weights = reshapeTo(b, loc, w, wType.clone({window * c, m}));
  Type acc = accumulatorType(t);
  auto productType = RankedTensorType::get({n * positions, m}, acc);
  Value start = initialProduct(b, loc, productType, bias);
  // Loops: i (positions), j (output channels) | p.
  Value product =
      linalg::GenericOp::create(
          b, loc, productType, ValueRange{col, weights}, start,
          ArrayRef<AffineMap>{AffineMap::get(3, 0, {dim(0), dim(2)}, ctx),
                              AffineMap::get(3, 0, {dim(2), dim(1)}, ctx),
                              AffineMap::get(3, 0, {dim(0), dim(1)}, ctx)},
          {utils::IteratorType::parallel, utils::IteratorType::parallel,
           utils::IteratorType::reduction},
          yieldMultiplyAdd)
          .getResult(0);
  return convertElements(
      b, loc, reshapeTo(b, loc, product, outType.clone(acc)), outType);
}

/// A channels-last depthwise conv: channels are the innermost loop, so
/// every access (input, weight, output) walks contiguous memory and the
/// loop vectorizes. Loops: n, o_1..o_k | k_1..k_k | c. `in` is padded.
Value channelsLastDepthwise(OpBuilder &b, Location loc, ConvOp op, Value in,
                            Value w, Value bias, RankedTensorType outType) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = outType.getRank(), k = rank - 2, loops = 2 + 2 * k;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineExpr> inExprs = {dim(0)}, wExprs, outExprs = {dim(0)};
  for (int64_t d = 0; d < k; ++d) {
    inExprs.push_back(dim(1 + d) * op.getStrides()[d] +
                      dim(1 + k + d) * op.getDilations()[d]);
    wExprs.push_back(dim(1 + k + d));
    outExprs.push_back(dim(1 + d));
  }
  inExprs.push_back(dim(1 + 2 * k));
  wExprs.push_back(getAffineConstantExpr(0, ctx));
  wExprs.push_back(dim(1 + 2 * k));
  outExprs.push_back(dim(1 + 2 * k));
  SmallVector<utils::IteratorType> iterators(1 + k, utils::IteratorType::parallel);
  iterators.append(k, utils::IteratorType::reduction);
  iterators.push_back(utils::IteratorType::parallel);
  Type t = outType.getElementType();
  RankedTensorType accType = outType.clone(accumulatorType(t));
  Value acc = initialProduct(b, loc, accType, bias);
  auto conv = linalg::GenericOp::create(
             b, loc, accType, ValueRange{in, w}, acc,
             ArrayRef<AffineMap>{AffineMap::get(loops, 0, inExprs, ctx),
                                 AffineMap::get(loops, 0, wExprs, ctx),
                                 AffineMap::get(loops, 0, outExprs, ctx)},
             iterators,
             yieldMultiplyAdd);
  // 2-D f32: marked for the runtime's kernel (gcomp-depthwise-to-runtime-call).
  if (t.isF32() && k == 2)
    conv->setAttr(kDepthwiseNhwcConvAttr,
                  b.getDenseI64ArrayAttr({op.getStrides()[0], op.getStrides()[1],
                                          op.getDilations()[0],
                                          op.getDilations()[1]}));
  return convertElements(b, loc, conv.getResult(0), outType);
}

/// gcomp.conv with channels_last (see gcomp-channels-last), one group or
/// depthwise.
LogicalResult lowerChannelsLast(ConvOp op, Value input, Value weight,
                                Value bias, ConversionPatternRewriter &rewriter) {
  Location loc = op.getLoc();
  RankedTensorType outType = op.getType();
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t rank = outType.getRank(), k = rank - 2;
  int64_t g = static_cast<int64_t>(op.getGroup());
  int64_t m = outType.getDimSize(rank - 1);
  bool depthwise = g == m && wType.getDimSize(rank - 2) == 1;
  if (g != 1 && !depthwise)
    return rewriter.notifyMatchFailure(
        op, "channels-last convolutions have one group or are depthwise");
  ArrayRef<int64_t> pads = op.getPads();
  SmallVector<int64_t> low = {0}, high = {0};
  low.append(pads.begin(), pads.begin() + k);
  high.append(pads.begin() + k, pads.end());
  low.push_back(0);
  high.push_back(0);
  Value in = padWith(rewriter, loc, input, low, high,
                     zeroAttr(outType.getElementType()));
  rewriter.replaceOp(op, g == 1 ? channelsLastProduct(rewriter, loc, op, in,
                                                      weight, bias, outType)
                                : channelsLastDepthwise(rewriter, loc, op, in,
                                                        weight, bias, outType));
  return success();
}

struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    if (op.getChannelsLast())
      return lowerChannelsLast(op, adaptor.getInput(), adaptor.getWeight(),
                               adaptor.getBias(), rewriter);
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    auto wType = cast<RankedTensorType>(adaptor.getWeight().getType());
    RankedTensorType outType = op.getType();
    Type t = outType.getElementType();
    int64_t k = inType.getRank() - 2;
    int64_t g = static_cast<int64_t>(op.getGroup());
    int64_t n = inType.getDimSize(0), c = inType.getDimSize(1),
            m = wType.getDimSize(0);
    ArrayRef<int64_t> pads = op.getPads();

    SmallVector<int64_t> low(2, 0), high(2, 0);
    low.append(pads.begin(), pads.begin() + k);
    high.append(pads.begin() + k, pads.end());
    Value input = padWith(rewriter, loc, adaptor.getInput(), low, high,
                          zeroAttr(t));
    auto padded = cast<RankedTensorType>(input.getType());

    SmallVector<int64_t> inShape = {n, g, c / g}, wShape = {g, m / g, c / g},
                         outShape = {n, g, m / g};
    for (int64_t d = 0; d < k; ++d) {
      inShape.push_back(padded.getDimSize(d + 2));
      wShape.push_back(wType.getDimSize(d + 2));
      outShape.push_back(outType.getDimSize(d + 2));
    }
    Value in = reshapeTo(rewriter, loc, input, padded.clone(inShape));
    Value w = reshapeTo(rewriter, loc, adaptor.getWeight(), wType.clone(wShape));
    auto groupedOut = outType.clone(outShape);

    // Matrix products pay off unless the per-group product is tiny
    // (depthwise convs keep the direct loop nest).
    bool half = accumulatorType(t) != t;
    if ((t.isF32() || half) && wType.getNumElements() / m >= 8 && m / g >= 4) {
      rewriter.replaceOp(op, im2colProduct(rewriter, loc, op, in, w, adaptor.getBias(),
                                           outType));
      return success();
    }

    // Loops: n, g, mg, o_1..o_k | cg, k_1..k_k.
    int64_t loops = 4 + 2 * k;
    auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineExpr> inExprs = {dim(0), dim(1), dim(3 + k)};
    SmallVector<AffineExpr> wExprs = {dim(1), dim(2), dim(3 + k)};
    SmallVector<AffineExpr> outExprs = {dim(0), dim(1), dim(2)};
    for (int64_t d = 0; d < k; ++d) {
      inExprs.push_back(dim(3 + d) * op.getStrides()[d] +
                        dim(4 + k + d) * op.getDilations()[d]);
      wExprs.push_back(dim(4 + k + d));
      outExprs.push_back(dim(3 + d));
    }
    SmallVector<utils::IteratorType> iterators(3 + k,
                                               utils::IteratorType::parallel);
    iterators.append(1 + k, utils::IteratorType::reduction);
    // Half-precision terms sum in f32, rounded once, after the bias.
    Type accElement = accumulatorType(t);
    groupedOut = groupedOut.clone(accElement);
    Value acc = filledTensor(rewriter, loc, groupedOut, zeroAttr(accElement));
    auto convOp =
        linalg::GenericOp::create(
            rewriter, loc, groupedOut, ValueRange{in, w}, acc,
            ArrayRef<AffineMap>{AffineMap::get(loops, 0, inExprs, ctx),
                                AffineMap::get(loops, 0, wExprs, ctx),
                                AffineMap::get(loops, 0, outExprs, ctx)},
            iterators,
            yieldMultiplyAdd);
    // A 2-D depthwise f32 conv is marked for the runtime's depthwise kernel
    // (gcomp-depthwise-to-runtime-call), with its window's strides and
    // dilations; unmarked or changed by fusion, it stays this loop nest.
    if (t.isF32() && k == 2 && c == g && m == g)
      convOp->setAttr(kDepthwiseConvAttr,
                      rewriter.getDenseI64ArrayAttr(
                          {op.getStrides()[0], op.getStrides()[1],
                           op.getDilations()[0], op.getDilations()[1]}));
    Value conv = convOp.getResult(0);
    RankedTensorType accOut = outType.clone(accElement);
    Value result = reshapeTo(rewriter, loc, conv, accOut);
    if (Value bias = adaptor.getBias()) {
      // [M] -> [M, 1, ..., 1] so it broadcasts over the spatial dims.
      SmallVector<int64_t> biasShape = {m};
      biasShape.append(k, 1);
      Value b2 = reshapeTo(rewriter, loc, bias,
                           cast<RankedTensorType>(bias.getType()).clone(biasShape));
      result = elementwise(rewriter, loc, accOut, ValueRange{result, b2},
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             Value term = a[1];
                             if (isa<IntegerType>(accElement))
                               return arith::AddIOp::create(b, l, a[0], term);
                             if (term.getType() != accElement)
                               term = arith::ExtFOp::create(b, l, accElement, term);
                             return arith::AddFOp::create(b, l, a[0], term);
                           });
    }
    rewriter.replaceOp(op, convertElements(rewriter, loc, result, outType));
    return success();
  }
};

/// Sums (or maxes) `input` over windows into `outType`. Loops: n, c,
/// o_1..o_k | k_1..k_k; channels-last: n, o_1..o_k | k_1..k_k | c, so that
/// the innermost loop walks contiguous channels.
Value windowReduce(OpBuilder &b, Location loc, Value input,
                   RankedTensorType outType, ArrayRef<int64_t> kernel,
                   ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                   TypedAttr init, bool isMax, bool channelsLast) {
  MLIRContext *ctx = b.getContext();
  int64_t k = kernel.size(), loops = 2 + 2 * k;
  auto dim = [&](int64_t i) { return getAffineDimExpr(i, ctx); };
  int64_t cLoop = channelsLast ? 1 + 2 * k : 1;
  auto oLoop = [&](int64_t d) { return channelsLast ? 1 + d : 2 + d; };
  auto kLoop = [&](int64_t d) { return oLoop(d) + k; };
  SmallVector<AffineExpr> inExprs = {dim(0)}, outExprs = {dim(0)};
  if (!channelsLast) {
    inExprs.push_back(dim(cLoop));
    outExprs.push_back(dim(cLoop));
  }
  for (int64_t d = 0; d < k; ++d) {
    inExprs.push_back(dim(oLoop(d)) * strides[d] + dim(kLoop(d)) * dilations[d]);
    outExprs.push_back(dim(oLoop(d)));
  }
  if (channelsLast) {
    inExprs.push_back(dim(cLoop));
    outExprs.push_back(dim(cLoop));
  }
  // The window extents enter as a kernel-shaped operand that is never read,
  // so linalg can derive the window loops' ranges.
  SmallVector<AffineExpr> windowExprs;
  for (int64_t d = 0; d < k; ++d)
    windowExprs.push_back(dim(kLoop(d)));
  Value window = tensor::EmptyOp::create(b, loc, kernel,
                                         outType.getElementType());
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  for (int64_t d = 0; d < k; ++d)
    iterators[kLoop(d)] = utils::IteratorType::reduction;
  Value acc = filledTensor(b, loc, outType, init);
  return linalg::GenericOp::create(
             b, loc, outType, ValueRange{input, window}, acc,
             ArrayRef<AffineMap>{AffineMap::get(loops, 0, inExprs, ctx),
                                 AffineMap::get(loops, 0, windowExprs, ctx),
                                 AffineMap::get(loops, 0, outExprs, ctx)},
             iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value r = isMax ? arith::MaximumFOp::create(nb, l, args[0], args[2])
                                     .getResult()
                               : arith::AddFOp::create(nb, l, args[0], args[2])
                                     .getResult();
               linalg::YieldOp::create(nb, l, r);
             })
      .getResult(0);
}

template <typename OpT>
struct PoolLowering : OpConversionPattern<OpT> {
  using OpConversionPattern<OpT>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpT op, typename OpT::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    constexpr bool isMax = std::is_same_v<OpT, MaxPoolOp>;
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(adaptor.getInput().getType());
    RankedTensorType outType = op.getType();
    auto t = cast<FloatType>(outType.getElementType());
    int64_t rank = inType.getRank(), k = rank - 2;
    bool last = op.getChannelsLast();
    auto sd = [&](int64_t d) { return last ? 1 + d : 2 + d; };
    ArrayRef<int64_t> kernel = op.getKernel(), strides = op.getStrides(),
                      dilations = op.getDilations(), pads = op.getPads();
    // Declared pads, then what ceil mode needs beyond them.
    SmallVector<int64_t> low(rank, 0), high(rank, 0), extra(rank, 0);
    for (int64_t d = 0; d < k; ++d) {
      low[sd(d)] = pads[d];
      high[sd(d)] = pads[d + k];
      int64_t needed = (outType.getDimSize(sd(d)) - 1) * strides[d] +
                       (kernel[d] - 1) * dilations[d] + 1;
      int64_t have = inType.getDimSize(sd(d)) + pads[d] + pads[d + k];
      extra[sd(d)] = std::max<int64_t>(0, needed - have);
    }
    SmallVector<int64_t> highAll(high);
    for (int64_t d = 0; d < rank; ++d)
      highAll[d] += extra[d];
    TypedAttr padValue =
        isMax ? TypedAttr(FloatAttr::get(t, APFloat::getInf(t.getFloatSemantics(),
                                                            true)))
              : zeroAttr(t);
    Value input = padWith(rewriter, loc, adaptor.getInput(), low, highAll,
                          padValue);
    Value result = windowReduce(rewriter, loc, input, outType, kernel, strides,
                                dilations, padValue, isMax, last);
    if constexpr (!isMax) {
      // Divide by the number of counted elements in each window: sum a
      // tensor of ones that covers what counts, padded with zeros.
      bool includePad = op.getCountIncludePad();
      SmallVector<int64_t> onesShape(inType.getShape());
      SmallVector<int64_t> onesLow(rank, 0), onesHigh(rank, 0);
      for (int64_t d = 0; d < k; ++d) {
        if (includePad)
          onesShape[sd(d)] += pads[d] + pads[d + k];
        onesLow[sd(d)] = includePad ? 0 : pads[d];
        onesHigh[sd(d)] = (includePad ? 0 : pads[d + k]) + extra[sd(d)];
      }
      Value ones = filledTensor(rewriter, loc, inType.clone(onesShape),
                                FloatAttr::get(t, 1.0));
      Value counts = windowReduce(
          rewriter, loc, padWith(rewriter, loc, ones, onesLow, onesHigh, zeroAttr(t)),
          outType, kernel, strides, dilations, zeroAttr(t), false, last);
      result = elementwise(rewriter, loc, outType, ValueRange{result, counts},
                           [](OpBuilder &b, Location l, ValueRange a) -> Value {
                             return arith::DivFOp::create(b, l, a[0], a[1]);
                           });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = inType.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    Type t = inType.getElementType();
    if (op.getMode() == "constant") {
      TypedAttr value =
          isa<FloatType>(t)
              ? TypedAttr(FloatAttr::get(t, op.getValue().convertToDouble()))
              : TypedAttr(IntegerAttr::get(t, static_cast<int64_t>(
                                                  op.getValue().convertToDouble())));
      rewriter.replaceOp(op, padWith(rewriter, loc, input, pads.take_front(rank),
                                     pads.drop_front(rank), value));
      return success();
    }
    StringRef mode = op.getMode();
    Value result = generate(
        rewriter, loc, op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> iv) {
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t size = inType.getDimSize(d);
            auto c = [&](int64_t v) {
              return arith::ConstantIndexOp::create(b, l, v).getResult();
            };
            Value j = arith::SubIOp::create(b, l, iv[d], c(pads[d]));
            Value zero = c(0), last = c(size - 1);
            if (mode == "edge") {
              j = arith::MinSIOp::create(b, l, arith::MaxSIOp::create(b, l, j, zero),
                                         last);
            } else if (mode == "reflect") {
              // Mirror without repeating the edge, as many times as needed.
              int64_t period = std::max<int64_t>(2 * (size - 1), 1);
              Value m = arith::RemSIOp::create(b, l, j, c(period));
              m = arith::SelectOp::create(
                  b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, m, zero),
                  arith::AddIOp::create(b, l, m, c(period)), m);
              Value mirrored = arith::SubIOp::create(b, l, c(period), m);
              j = arith::SelectOp::create(
                  b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::sgt, m, last),
                  mirrored, m);
              if (size == 1)
                j = zero;
            } else { // wrap
              Value m = arith::RemSIOp::create(b, l, j, c(size));
              j = arith::SelectOp::create(
                  b, l, arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, m, zero),
                  arith::AddIOp::create(b, l, m, c(size)), m);
            }
            at.push_back(j);
          }
          return tensor::ExtractOp::create(b, l, input, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void gcomp::lowering::populateConvLowering(RewritePatternSet &patterns) {
  patterns.add<ConvLowering, PoolLowering<MaxPoolOp>,
               PoolLowering<AveragePoolOp>, PadLowering>(patterns.getContext());
}
