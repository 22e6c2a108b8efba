//===- QuantizedProducts.cpp - QDQ convolutions and matmuls in integers ---===//
//
// A statically quantized model in QDQ form keeps its products in float:
// `Conv(DequantizeLinear(xq), DequantizeLinear(wq))`, the activations and
// weights stored as integers and dequantized just before. Dequantization
// is `(q - z) * s`, so with a per-tensor activation scale sx and a
// per-tensor or per-output-channel weight scale sw
//
//   conv((xq - zx) * sx, (wq - zw) * sw) = conv(xq - zx, wq - zw) * sx * sw
//
// and the product can run on integers: this pass writes the conv (or
// matmul) on the int32 operands the importer's DequantizeLinear already
// computes and dequantizes the int32 sums afterwards (then adds the bias),
// which is what onnxruntime does when it fuses the QDQ pairs into
// QLinearConv. gcomp-integer-conv-kernels and gcomp-integer-matmul-kernels
// then run those products on the runtime's int8 kernels. It must run
// before gcomp-fold-constants folds the dequantized weights into floats.
//
// Only products that will reach those kernels are rewritten: 2-D
// convolutions with one group, matmuls by a 2-D weight, and Gemms
// (alpha = beta = 1, A not transposed; a transposed weight is transposed
// at compile time); uint8 or int8
// activations with a scalar zero point and scale; constant int8 weights
// with zero zero points (quantize_static's symmetric weights). Others keep
// the float product they have.
//
// Weight-only quantization keeps its 4- or 8-bit codes instead:
// gcomp.matmul_nbits reads them packed, as onnxruntime's MatMulNBits does,
// a quarter (or an eighth) of the float weights' bytes. That is a MatMul or
// Gemm of f32 activations by constant integer weights times a constant
// scale: DequantizeLinear with a block_size along K (opset 21), or, for
// products of up to GCOMP_NBITS_GEMV_MAX_ROWS rows, per tensor or per
// column of the product, or integer initializers Cast to float and
// multiplied by a scale. Products the int8 kernels take are theirs first.
//
//===----------------------------------------------------------------------===//

#include "IntegerKernels.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPQUANTIZEDPRODUCTS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// A float operand written as DequantizeLinear: `cast(centered) * scale`
/// with `centered` the int32 `q - z`.
struct Dequantized {
  Value centered;
  Value scale;
};

std::optional<Dequantized> matchDequantized(Value v) {
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul || !mul.getType().getElementType().isF32())
    return std::nullopt;
  for (auto [data, scale] : {std::pair{mul.getLhs(), mul.getRhs()},
                             std::pair{mul.getRhs(), mul.getLhs()}}) {
    auto cast = data.getDefiningOp<CastOp>();
    if (cast && !cast.getUnsignedInput() &&
        cast.getInput().getType().getElementType().isSignlessInteger(32) &&
        cast.getType() == mul.getType())
      return Dequantized{cast.getInput(), scale};
  }
  return std::nullopt;
}

/// `v` through reshapes and casts: a constant whose values are all zero.
bool isZeroConstant(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<ReshapeOp>(def) ||
        (isa<CastOp>(def) && isa<IntegerType>(getElementTypeOrSelf(
                                 def->getOperand(0).getType()))))
      v = def->getOperand(0);
    else
      break;
  }
  std::optional<std::vector<int32_t>> values = constantInts(v);
  return values && llvm::all_of(*values, [](int32_t x) { return x == 0; });
}

/// Constant weights `centered` = `wq - zw` (as the importer writes them,
/// folded or not) with zw zero and the values within int8: the int32 value
/// to multiply by (without the subtraction), or null.
Value symmetricInt8Weights(Value centered) {
  if (constantInt8s(centered))
    return centered;
  auto sub = centered.getDefiningOp<SubOp>();
  if (sub && isZeroConstant(sub.getRhs()) &&
      sub.getLhs().getType() == sub.getType() && constantInt8s(sub.getLhs()))
    return sub.getLhs();
  return nullptr;
}

int64_t numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

bool hasStaticShape(Value v) {
  return cast<RankedTensorType>(v.getType()).hasStaticShape();
}

/// The activations' side: int8 `cast(xq) - zx` with one scale.
std::optional<Dequantized> matchActivations(Value v) {
  std::optional<Dequantized> dq = matchDequantized(v);
  if (!dq || !hasStaticShape(dq->scale) || numElements(dq->scale) != 1 ||
      !matchInt8Activations(dq->centered))
    return std::nullopt;
  return dq;
}

/// `scale` laid out as `shape` (a [1, ..., n, ..., 1] broadcast), or as it
/// is when it has one element.
Value reshapedScale(OpBuilder &b, Location loc, Value scale,
                    ArrayRef<int64_t> shape) {
  if (numElements(scale) == 1)
    return scale;
  auto type = cast<RankedTensorType>(scale.getType());
  return b.createOrFold<ReshapeOp>(loc, type.clone(shape), scale);
}

/// Integer weights `centered[p * n + j]` (K x N, row-major) with one
/// scale per block of `blockSize` rows and column (`scales[b * n + j]`),
/// as gcomp.matmul_nbits takes them: codes of 4 bits where every block of
/// every column spans at most 16 values, else 8 bits where it spans at most
/// 256, each block shifted to unsigned codes by its own zero point. Exact:
/// the codes less their zero points are `centered`.
struct NBitsWeights {
  int64_t bits;
  std::vector<char> packed; // [N, blocks, blockSize * bits / 8]
  std::vector<float> scales, zeros; // [N, blocks]
};

std::optional<NBitsWeights> packNBits(ArrayRef<int32_t> centered,
                                      ArrayRef<float> scales, int64_t k,
                                      int64_t n, int64_t blockSize) {
  const int64_t blocks = (k + blockSize - 1) / blockSize;
  // Each block's range, [column][block].
  std::vector<int32_t> lo(n * blocks, INT32_MAX), hi(n * blocks, INT32_MIN);
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j) {
      int64_t at = j * blocks + p / blockSize;
      lo[at] = std::min(lo[at], centered[p * n + j]);
      hi[at] = std::max(hi[at], centered[p * n + j]);
    }
  auto spans = [&](int64_t levels) {
    for (int64_t i = 0; i < n * blocks; ++i)
      if (static_cast<int64_t>(hi[i]) - lo[i] >= levels)
        return false;
    return true;
  };
  // The zero points below are floats: exact up to 2^24.
  for (int64_t i = 0; i < n * blocks; ++i)
    if (lo[i] < -(1 << 24) || hi[i] > (1 << 24))
      return std::nullopt;
  NBitsWeights w;
  if (spans(16))
    w.bits = 4;
  else if (spans(256))
    w.bits = 8;
  else
    return std::nullopt;
  const int64_t levels = int64_t{1} << w.bits, middle = levels / 2,
                blobBytes = blockSize * w.bits / 8;
  // The zero point: the usual one (0, or 2^(bits-1) for signed codes)
  // where the block fits it, else the block's minimum.
  std::vector<int32_t> zero(n * blocks);
  for (int64_t i = 0; i < n * blocks; ++i) {
    if (lo[i] >= 0 && hi[i] < levels)
      zero[i] = 0;
    else if (lo[i] >= -middle && hi[i] < middle)
      zero[i] = static_cast<int32_t>(middle);
    else
      zero[i] = -lo[i];
  }
  w.packed.assign(n * blocks * blobBytes, 0);
  w.scales.resize(n * blocks);
  w.zeros.resize(n * blocks);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t b = 0; b < blocks; ++b) {
      w.scales[j * blocks + b] = scales[b * n + j];
      w.zeros[j * blocks + b] = static_cast<float>(zero[j * blocks + b]);
    }
    char *column = w.packed.data() + j * blocks * blobBytes;
    for (int64_t p = 0; p < k; ++p) {
      auto q = static_cast<uint8_t>(centered[p * n + j] +
                                    zero[j * blocks + p / blockSize]);
      if (w.bits == 8)
        column[p] = static_cast<char>(q);
      else
        column[p / 2] = static_cast<char>(static_cast<uint8_t>(column[p / 2]) |
                                          (q << (4 * (p % 2))));
    }
  }
  return w;
}

/// gcomp.matmul_nbits(lhs, w) (+ bias) of result type `type`.
Value buildMatMulNBits(OpBuilder &b, Location loc, RankedTensorType type,
                       Value lhs, const NBitsWeights &w, int64_t n,
                       int64_t blocks, int64_t blockSize, Value bias) {
  Value weights = makeConstant(
      b, loc,
      RankedTensorType::get({n, blocks, blockSize * w.bits / 8}, b.getI8Type()),
      w.packed, "nbits_weights");
  auto perBlock = RankedTensorType::get({n, blocks}, b.getF32Type());
  auto floats = [&](const std::vector<float> &v) {
    return ConstantOp::create(b, loc,
                              DenseElementsAttr::get(perBlock, ArrayRef(v)));
  };
  return MatMulNBitsOp::create(b, loc, type, lhs, weights, floats(w.scales),
                               floats(w.zeros), bias,
                               b.getI64IntegerAttr(w.bits),
                               b.getI64IntegerAttr(blockSize));
}

/// Weight-only quantized weights: `w * scale` with `w` integers known now
/// (the int32 `q - z` of a DequantizeLinear, or the f32 constant that a
/// Cast of integer weights folded into) and a constant scale.
struct IntegerWeights {
  std::vector<int32_t> values;
  std::vector<float> scale;
  RankedTensorType scaleType;
};

std::optional<IntegerWeights> matchIntegerWeights(Value v) {
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul || !mul.getType().getElementType().isF32() ||
      !mul.getType().hasStaticShape())
    return std::nullopt;
  for (auto [data, scale] : {std::pair{mul.getLhs(), mul.getRhs()},
                             std::pair{mul.getRhs(), mul.getLhs()}}) {
    if (data.getType() != mul.getType())
      continue;
    // The importer reshapes a per-axis scale for broadcasting; a reshape
    // keeps the values' order.
    Value scaleData = scale;
    while (auto reshape = scaleData.getDefiningOp<ReshapeOp>())
      scaleData = reshape.getInput();
    std::optional<std::vector<float>> scales = floatValues(scaleData);
    if (!scales)
      continue;
    IntegerWeights w{{}, std::move(*scales),
                     cast<RankedTensorType>(scale.getType())};
    // A cast of int32 (DequantizeLinear's `q - z`) or of 8-bit integers (a
    // Cast node's, unsigned or not).
    auto cast = data.getDefiningOp<CastOp>();
    Type from = cast ? cast.getInput().getType().getElementType() : Type();
    if (cast && (from.isSignlessInteger(8) ||
                 (from.isSignlessInteger(32) && !cast.getUnsignedInput()))) {
      std::optional<std::vector<int32_t>> values =
          constantInts(cast.getInput());
      if (!values)
        continue;
      if (from.isSignlessInteger(8) && cast.getUnsignedInput())
        for (int32_t &x : *values)
          x &= 0xff;
      w.values = std::move(*values);
      return w;
    }
    std::optional<std::vector<float>> floats = floatValues(data);
    if (!floats)
      continue;
    // Integers within 8 bits, written as floats.
    w.values.reserve(floats->size());
    for (float f : *floats) {
      if (!(f >= -256.0f && f <= 256.0f) || f != static_cast<float>(
                                                    static_cast<int32_t>(f)))
        break;
      w.values.push_back(static_cast<int32_t>(f));
    }
    if (w.values.size() == floats->size())
      return w;
  }
  return std::nullopt;
}

/// The block size for weights with one scale per column: blocks of 256
/// (or of a smaller power of two that divides K, so that no padding is
/// stored) repeat the column's scale and zero point.
int64_t columnBlockSize(int64_t k) {
  for (int64_t size = 256; size >= 16; size /= 2)
    if (k % size == 0)
      return size;
  return std::min<int64_t>(
      256, static_cast<int64_t>(llvm::PowerOf2Ceil(
               static_cast<uint64_t>(std::max<int64_t>(k, 16)))));
}

struct QuantizedProductsPass
    : gcomp::impl::GcompQuantizedProductsBase<QuantizedProductsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> products;
    getOperation().walk([&](Operation *op) {
      if (isa<ConvOp, MatMulOp, GemmOp>(op))
        products.push_back(op);
    });
    for (Operation *op : products) {
      if (auto conv = dyn_cast<ConvOp>(op))
        rewriteConv(conv);
      else if (auto gemm = dyn_cast<GemmOp>(op))
        rewriteGemm(gemm);
      else
        rewriteMatMul(cast<MatMulOp>(op));
    }
  }

  /// `cast(acc) * (sx * sw) (+ bias)` in place of `op`.
  void dequantizeResult(OpBuilder &b, Operation *op, Value acc, Value sx,
                        Value sw, Value bias) {
    Location loc = op->getLoc();
    auto f32Type = cast<RankedTensorType>(op->getResult(0).getType());
    Value sums = CastOp::create(b, loc, f32Type, acc, false, false);
    Value scale = b.createOrFold<MulOp>(loc, sx, sw);
    Value y = MulOp::create(b, loc, sums, scale);
    if (bias)
      y = AddOp::create(b, loc, y, bias);
    op->getResult(0).replaceAllUsesWith(y);
    op->erase();
  }

  void rewriteConv(ConvOp conv) {
    RankedTensorType type = conv.getType();
    auto wType = conv.getWeight().getType();
    if (!type.getElementType().isF32() || type.getRank() != 4 ||
        !type.hasStaticShape() || !wType.hasStaticShape() ||
        conv.getGroup() != 1 || conv.getChannelsLast())
      return;
    std::optional<Dequantized> x = matchActivations(conv.getInput());
    std::optional<Dequantized> w = matchDequantized(conv.getWeight());
    if (!x || !w)
      return;
    Value weights = symmetricInt8Weights(w->centered);
    int64_t m = wType.getDimSize(0);
    // sw per tensor, or per output channel ([M, 1, 1, 1], axis 0).
    auto swType = cast<RankedTensorType>(w->scale.getType());
    bool perChannel = swType.hasStaticShape() && swType.getNumElements() == m &&
                      swType.getRank() == 4 && swType.getDimSize(0) == m;
    if (!weights || !(numElements(w->scale) == 1 || perChannel))
      return;
    Value bias = conv.getBias();
    if (bias && (cast<RankedTensorType>(bias.getType()).getRank() != 1 ||
                 !hasStaticShape(bias)))
      return;
    OpBuilder b(conv);
    Location loc = conv.getLoc();
    auto accType = type.clone(b.getI32Type());
    Value acc = ConvOp::create(
        b, loc, accType, x->centered, weights, Value(),
        conv.getStridesAttr(), conv.getDilationsAttr(), conv.getPadsAttr(),
        conv.getGroupAttr(), UnitAttr());
    acc.getDefiningOp()->setDiscardableAttrs(
        conv->getDiscardableAttrDictionary());
    Value sw = reshapedScale(b, loc, w->scale, {1, m, 1, 1});
    if (bias)
      bias = b.createOrFold<ReshapeOp>(
          loc, cast<RankedTensorType>(bias.getType()).clone({1, m, 1, 1}), bias);
    dequantizeResult(b, conv, acc, x->scale, sw, bias);
  }

  /// MatMul(A, DequantizeLinear(wq [K, N], scale, zp) with blocks of K)
  /// and f32 A: the weights stay 4- or 8-bit codes, packed for
  /// gcomp.matmul_nbits (onnxruntime's MatMulNBits layout), which reads
  /// them without dequantizing them in memory.
  bool rewriteBlockQuantizedMatMul(MatMulOp matmul) {
    RankedTensorType type = matmul.getType();
    auto wType = cast<RankedTensorType>(matmul.getRhs().getType());
    auto aType = cast<RankedTensorType>(matmul.getLhs().getType());
    if (!type.getElementType().isF32() || !aType.getElementType().isF32() ||
        !type.hasStaticShape() || aType.getRank() < 1 ||
        wType.getRank() != 2 || !wType.hasStaticShape())
      return false;
    std::optional<Dequantized> w = matchDequantized(matmul.getRhs());
    if (!w)
      return false;
    int64_t k = wType.getDimSize(0), n = wType.getDimSize(1);
    // The scales: a gather of [blocks, N] rows by k / block_size.
    auto scaleGather = w->scale.getDefiningOp<GatherOp>();
    if (!scaleGather || scaleGather.getAxis() != 0)
      return false;
    std::optional<std::vector<float>> scales =
        floatValues(scaleGather.getData());
    auto rowsConstant = scaleGather.getIndices().getDefiningOp<ConstantOp>();
    auto rows = rowsConstant
                    ? dyn_cast<DenseIntElementsAttr>(rowsConstant.getValue())
                    : DenseIntElementsAttr();
    auto blockType = cast<RankedTensorType>(scaleGather.getData().getType());
    if (!scales || !rows || rows.getNumElements() != k ||
        blockType.getRank() != 2 || blockType.getDimSize(1) != n)
      return false;
    // The block size: where the second block starts (one block: any power
    // of two that holds all of K).
    int64_t blocks = blockType.getDimSize(0), blockSize = 0;
    for (auto [p, row] : llvm::enumerate(rows.getValues<APInt>()))
      if (row.getSExtValue() == 1) {
        blockSize = static_cast<int64_t>(p);
        break;
      }
    if (blocks == 1)
      blockSize = static_cast<int64_t>(
          llvm::PowerOf2Ceil(static_cast<uint64_t>(std::max<int64_t>(k, 16))));
    if (blockSize < 16 || !llvm::isPowerOf2_64(blockSize) ||
        (k + blockSize - 1) / blockSize != blocks)
      return false;
    for (auto [p, row] : llvm::enumerate(rows.getValues<APInt>()))
      if (row.getSExtValue() != static_cast<int64_t>(p) / blockSize)
        return false;
    // The codes, less the zero points gathered the same way (or none).
    Value codesValue = w->centered, zpValue;
    bool zpUnsigned = false;
    if (auto sub = w->centered.getDefiningOp<SubOp>()) {
      auto zpCast = sub.getRhs().getDefiningOp<CastOp>();
      auto zpGather = zpCast ? zpCast.getInput().getDefiningOp<GatherOp>()
                             : GatherOp();
      // The same rows as the scales' (the importer makes each gather its
      // own index constant; equal constants have one attribute).
      auto zpRows = zpGather ? zpGather.getIndices().getDefiningOp<ConstantOp>()
                             : ConstantOp();
      if (!zpRows || zpGather.getAxis() != 0 ||
          zpRows.getValue() != rowsConstant.getValue())
        return false;
      codesValue = sub.getLhs();
      zpValue = zpGather.getData();
      zpUnsigned = zpCast.getUnsignedInput();
    }
    std::optional<std::vector<int32_t>> codes = constantInts(codesValue);
    std::optional<std::vector<int32_t>> zps;
    if (zpValue) {
      zps = constantInts(zpValue);
      if (!zps || static_cast<int64_t>(zps->size()) != blocks * n)
        return false;
      if (zpUnsigned)
        for (int32_t &z : *zps)
          z &= 0xff;
    }
    if (!codes || static_cast<int64_t>(codes->size()) != k * n)
      return false;
    std::vector<int32_t> centered(k * n);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j)
        centered[p * n + j] =
            (*codes)[p * n + j] - (zps ? (*zps)[(p / blockSize) * n + j] : 0);
    std::optional<NBitsWeights> packed =
        packNBits(centered, *scales, k, n, blockSize);
    if (!packed)
      return false;
    OpBuilder b(matmul);
    Value product = buildMatMulNBits(b, matmul.getLoc(), type, matmul.getLhs(),
                                     *packed, n, blocks, blockSize, Value());
    matmul.getResult().replaceAllUsesWith(product);
    matmul.erase();
    return true;
  }

  /// A product of few rows of f32 activations by weight-only quantized
  /// weights (per tensor, or per column of the product) becomes
  /// gcomp.matmul_nbits, which reads the codes instead of floats four
  /// times their size. `weights` is [K, N], or [N, K] if `transposed`;
  /// `alpha` scales the product; `bias` (null, [N] or [1, N]) is added.
  bool rewriteWeightOnly(Operation *op, Value lhs, Value weights,
                         bool transposed, float alpha, Value bias) {
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    auto wType = cast<RankedTensorType>(weights.getType());
    auto aType = cast<RankedTensorType>(lhs.getType());
    if (!type.getElementType().isF32() || !aType.getElementType().isF32() ||
        !type.hasStaticShape() || !aType.hasStaticShape() ||
        aType.getRank() < 1 || wType.getRank() != 2 || !wType.hasStaticShape())
      return false;
    // The kernel reads the codes in registers for up to
    // GCOMP_NBITS_GEMV_MAX_ROWS rows (decoding, small batches: a quarter
    // of the bytes, several times faster than f32 weights). For more rows
    // it dequantizes tiles of weights for the GEMM, slower than the f32
    // GEMM on weights folded at compile time (docs/performance.md), so
    // those keep the float product.
    if (aType.getShape().back() < 1 ||
        aType.getNumElements() / aType.getShape().back() >
            GCOMP_NBITS_GEMV_MAX_ROWS)
      return false;
    std::optional<IntegerWeights> w = matchIntegerWeights(weights);
    if (!w)
      return false;
    int64_t k = wType.getDimSize(transposed ? 1 : 0),
            n = wType.getDimSize(transposed ? 0 : 1);
    // One scale, or one per column: [N] or [1, N] by [K, N] weights,
    // [N, 1] by [N, K] ones.
    ArrayRef<int64_t> sShape = w->scaleType.getShape();
    int64_t perColumnDim = transposed ? 0 : static_cast<int64_t>(sShape.size()) - 1;
    bool perColumn =
        static_cast<int64_t>(w->scale.size()) == n && !sShape.empty() &&
        sShape.size() <= 2 && sShape[perColumnDim] == n &&
        (transposed ? sShape.size() == 2 : true);
    if (w->scale.size() != 1 && !perColumn)
      return false;
    // A bias of one value per column is the kernel's; any other (a Gemm's
    // C of [M, N] or a scalar) is added after it.
    Value addedAfter;
    if (bias) {
      auto biasType = cast<RankedTensorType>(bias.getType());
      if (!biasType.hasStaticShape() || biasType.getNumElements() != n ||
          biasType.getRank() < 1 || biasType.getShape().back() != n ||
          biasType.getRank() > 2)
        std::swap(bias, addedAfter);
    }
    const int64_t blockSize = columnBlockSize(k),
                  blocks = (k + blockSize - 1) / blockSize;
    std::vector<int32_t> centered(k * n);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j)
        centered[p * n + j] = w->values[transposed ? j * k + p : p * n + j];
    std::vector<float> scales(blocks * n);
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t j = 0; j < n; ++j)
        scales[b * n + j] = alpha * w->scale[w->scale.size() == 1 ? 0 : j];
    std::optional<NBitsWeights> packed =
        packNBits(centered, scales, k, n, blockSize);
    if (!packed)
      return false;
    OpBuilder b(op);
    Location loc = op->getLoc();
    if (bias && cast<RankedTensorType>(bias.getType()).getRank() != 1)
      bias = b.createOrFold<ReshapeOp>(
          loc, RankedTensorType::get({n}, b.getF32Type()), bias);
    Value product = buildMatMulNBits(b, loc, type, lhs, *packed, n, blocks,
                                     blockSize, bias);
    if (addedAfter)
      product = AddOp::create(b, loc, product, addedAfter);
    op->getResult(0).replaceAllUsesWith(product);
    op->erase();
    return true;
  }

  void rewriteMatMul(MatMulOp matmul) {
    if (!rewriteBlockQuantizedMatMul(matmul) && !rewriteInt8MatMul(matmul))
      rewriteWeightOnly(matmul, matmul.getLhs(), matmul.getRhs(),
                        /*transposed=*/false, 1.0f, Value());
  }

  /// A QDQ matmul of int8 activations by symmetric int8 weights, on
  /// integers.
  bool rewriteInt8MatMul(MatMulOp matmul) {
    RankedTensorType type = matmul.getType();
    auto wType = cast<RankedTensorType>(matmul.getRhs().getType());
    // A 1-D lhs drops the row dim, which the [1, N] scale would bring back.
    if (!type.getElementType().isF32() || !type.hasStaticShape() ||
        type.getRank() < 2 || wType.getRank() != 2 || !wType.hasStaticShape())
      return false;
    std::optional<Dequantized> x = matchActivations(matmul.getLhs());
    std::optional<Dequantized> w = matchDequantized(matmul.getRhs());
    if (!x || !w)
      return false;
    Value weights = symmetricInt8Weights(w->centered);
    int64_t n = wType.getDimSize(1);
    // sw per tensor, or per column ([1, N], axis 1).
    auto swType = cast<RankedTensorType>(w->scale.getType());
    bool perColumn = swType.hasStaticShape() && swType.getRank() == 2 &&
                     swType.getDimSize(0) == 1 && swType.getDimSize(1) == n;
    if (!weights || !(numElements(w->scale) == 1 || perColumn))
      return false;
    OpBuilder b(matmul);
    Value acc = MatMulOp::create(b, matmul.getLoc(),
                                 type.clone(b.getI32Type()), x->centered,
                                 weights);
    dequantizeResult(b, matmul, acc, x->scale, w->scale, Value());
    return true;
  }

  /// Gemm(x, W, C) with alpha = beta = 1 and A as it is: the product by
  /// W (transposed now, as int8, where trans_b says), then C.
  void rewriteGemm(GemmOp gemm) {
    if (rewriteInt8Gemm(gemm))
      return;
    // Weight-only: alpha goes into the scales; C is the bias when beta
    // leaves it as it is.
    Value c = gemm.getC();
    if (!gemm.getTransA() && (!c || gemm.getBeta().convertToFloat() == 1.0f))
      rewriteWeightOnly(gemm, gemm.getA(), gemm.getB(), gemm.getTransB(),
                        gemm.getAlpha().convertToFloat(), c);
  }

  bool rewriteInt8Gemm(GemmOp gemm) {
    RankedTensorType type = gemm.getType();
    auto wType = cast<RankedTensorType>(gemm.getB().getType());
    if (gemm.getTransA() || gemm.getAlpha().convertToFloat() != 1.0f ||
        gemm.getBeta().convertToFloat() != 1.0f ||
        !type.getElementType().isF32() || !type.hasStaticShape() ||
        !wType.hasStaticShape())
      return false;
    std::optional<Dequantized> x = matchActivations(gemm.getA());
    std::optional<Dequantized> w = matchDequantized(gemm.getB());
    if (!x || !w)
      return false;
    Value weights = symmetricInt8Weights(w->centered);
    std::optional<std::vector<int8_t>> values =
        weights ? constantInt8s(weights) : std::nullopt;
    bool transB = gemm.getTransB();
    int64_t k = wType.getDimSize(transB ? 1 : 0),
            n = wType.getDimSize(transB ? 0 : 1);
    // sw per tensor, or per column of the product: [N, 1] for a
    // transposed weight (axis 0), [1, N] otherwise (axis 1).
    auto swType = cast<RankedTensorType>(w->scale.getType());
    SmallVector<int64_t> perColumn = {transB ? n : 1, transB ? 1 : n};
    bool columnScale = swType.hasStaticShape() &&
                       swType.getShape() == ArrayRef<int64_t>(perColumn);
    if (!values || !(numElements(w->scale) == 1 || columnScale))
      return false;
    std::vector<char> kn(k * n);
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < n; ++j)
        kn[p * n + j] = static_cast<char>(
            (*values)[transB ? j * k + p : p * n + j]);
    OpBuilder b(gemm);
    Location loc = gemm.getLoc();
    auto i8Type = RankedTensorType::get({k, n}, b.getI8Type());
    Value int8 = makeConstant(b, loc, i8Type, kn, "qdq_gemm_weights");
    Value widened = CastOp::create(b, loc, i8Type.clone(b.getI32Type()), int8,
                                   false, false);
    Value acc = MatMulOp::create(b, loc, type.clone(b.getI32Type()),
                                 x->centered, widened);
    Value sw = reshapedScale(b, loc, w->scale, {1, n});
    dequantizeResult(b, gemm, acc, x->scale, sw, gemm.getC());
    return true;
  }
};

} // namespace
