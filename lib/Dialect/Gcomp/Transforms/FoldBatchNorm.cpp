//===- FoldBatchNorm.cpp - per-channel affine ops into conv/GEMM weights --===//
//
// ONNX BatchNormalization at inference is y = (x - mean) * factor + bias
// per channel, and the importer writes it so: a subtraction, a
// multiplication and an addition of per-channel constants. After a
// convolution or a product with constant weights all three fold into the
// weights and the bias, so the normalization costs nothing at run time.
// PyTorch folds BN into Conv when it exports; TensorFlow, Keras and older
// exporters leave it in the graph, and many published models have it.
//
//===----------------------------------------------------------------------===//

#include "ConstantData.h"
#include "GraphMatchers.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFOLDBATCHNORM
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// The values of `c`, a constant that varies at most along dim `channel`
/// of `out` (of size `channels`), one per channel; nullopt otherwise.
std::optional<std::vector<float>>
perChannel(Value c, RankedTensorType out, int64_t channel, int64_t channels) {
  auto type = dyn_cast<RankedTensorType>(c.getType());
  if (!type || !type.hasStaticShape() || type.getRank() > out.getRank())
    return std::nullopt;
  int64_t offset = out.getRank() - type.getRank();
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t size = type.getDimSize(d);
    if (size != 1 && (offset + d != channel || size != channels))
      return std::nullopt;
  }
  std::optional<std::vector<float>> values = floatValues(c);
  if (!values)
    return std::nullopt;
  if (values->size() == 1)
    values->assign(channels, (*values)[0]);
  return values;
}

/// What follows a contraction, one sole user after another: x - c, x + c
/// (either side) and x * c with c per channel, as a scale and a shift of
/// each channel (y = x * scale + shift). Stops at anything else.
struct Affine {
  std::vector<float> scale, shift;
  SmallVector<Operation *> ops;

  Affine(Value result, int64_t channel, int64_t channels)
      : scale(channels, 1.0f), shift(channels, 0.0f) {
    auto type = cast<RankedTensorType>(result.getType());
    Value v = result;
    while (Operation *user = soleUser(v)) {
      if (user->getNumResults() != 1 || user->getResult(0).getType() != type ||
          !isa<AddOp, SubOp, MulOp>(user))
        break;
      Value lhs = user->getOperand(0), rhs = user->getOperand(1);
      Value c = lhs == v ? rhs : lhs;
      if (c == v)
        break;
      std::optional<std::vector<float>> k = perChannel(c, type, channel, channels);
      if (!k)
        break;
      for (int64_t i = 0; i < channels; ++i) {
        if (isa<MulOp>(user)) {
          scale[i] *= (*k)[i];
          shift[i] *= (*k)[i];
        } else if (isa<AddOp>(user)) {
          shift[i] += (*k)[i];
        } else if (lhs == v) { // x - c
          shift[i] -= (*k)[i];
        } else { // c - x
          scale[i] = -scale[i];
          shift[i] = (*k)[i] - shift[i];
        }
      }
      ops.push_back(user);
      v = user->getResult(0);
    }
  }

  bool scales() const {
    return llvm::any_of(scale, [](float s) { return s != 1.0f; });
  }
  bool shifts() const {
    return llvm::any_of(shift, [](float s) { return s != 0.0f; });
  }

  /// Replaces the last op's value with `result` and erases the chain.
  void replace(Value result) {
    ops.back()->getResult(0).replaceAllUsesWith(result);
    for (Operation *op : llvm::reverse(ops))
      op->erase();
  }
};

Value floatConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    ArrayRef<float> values, StringRef name) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return makeConstant(
      b, loc, type,
      ArrayRef(reinterpret_cast<const char *>(values.data()),
               values.size() * sizeof(float)),
      name);
}

/// conv(x, W, B) then the affine chain: conv(x, W * scale, B * scale + shift).
void foldInto(ConvOp conv) {
  RankedTensorType out = conv.getType();
  if (conv.getChannelsLast() || !out.getElementType().isF32() ||
      out.getRank() < 3)
    return;
  int64_t channels = out.getDimSize(1);
  Affine affine(conv.getResult(), /*channel=*/1, channels);
  if (affine.ops.empty())
    return;
  std::optional<std::vector<float>> weight = floatValues(conv.getWeight());
  std::optional<std::vector<float>> bias =
      conv.getBias() ? floatValues(conv.getBias())
                     : std::optional<std::vector<float>>(
                           std::vector<float>(channels, 0.0f));
  if (!weight || !bias || bias->size() != static_cast<size_t>(channels))
    return;
  int64_t perChannelWeights = weight->size() / channels;
  for (int64_t m = 0; m < channels; ++m) {
    for (int64_t i = 0; i < perChannelWeights; ++i)
      (*weight)[m * perChannelWeights + i] *= affine.scale[m];
    (*bias)[m] = (*bias)[m] * affine.scale[m] + affine.shift[m];
  }
  OpBuilder b(affine.ops.back());
  Location loc = conv.getLoc();
  auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
  Value newWeight = floatConstant(b, loc, weightType.getShape(), *weight,
                                  "conv.folded_weight");
  Value newBias = floatConstant(b, loc, {channels}, *bias, "conv.folded_bias");
  auto folded = ConvOp::create(b, b.getFusedLoc({conv.getLoc(),
                                                 affine.ops.back()->getLoc()}),
                               out, conv.getInput(), newWeight, newBias,
                               conv.getStridesAttr(), conv.getDilationsAttr(),
                               conv.getPadsAttr(), conv.getGroupAttr(),
                               conv.getChannelsLastAttr());
  affine.replace(folded.getResult());
  conv.erase();
}

/// matmul(x, W) with a constant 2-D W then the chain: the scale goes into
/// W's columns, the shift stays an addition (a bias that gcomp-fuse-conv
/// takes into the kernel).
void foldInto(MatMulOp matmul) {
  RankedTensorType out = matmul.getType();
  auto rhsType = cast<RankedTensorType>(matmul.getRhs().getType());
  if (!out.getElementType().isF32() || rhsType.getRank() != 2 ||
      out.getRank() < 2)
    return;
  int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
  Affine affine(matmul.getResult(), out.getRank() - 1, n);
  if (affine.ops.empty())
    return;
  std::optional<std::vector<float>> weight = floatValues(matmul.getRhs());
  if (!weight)
    return;
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c)
      (*weight)[r * n + c] *= affine.scale[c];
  OpBuilder b(affine.ops.back());
  Location loc = b.getFusedLoc({matmul.getLoc(), affine.ops.back()->getLoc()});
  Value result = MatMulOp::create(
      b, loc, out, matmul.getLhs(),
      floatConstant(b, loc, rhsType.getShape(), *weight, "matmul.folded_weight"));
  if (affine.shifts())
    result = AddOp::create(b, loc, out, result,
                           floatConstant(b, loc, {n}, affine.shift,
                                         "matmul.folded_bias"));
  affine.replace(result);
  matmul.erase();
}

/// gemm(A, B, C) then the chain, for a constant B and a C that is absent
/// or one value per column: B's columns (rows with trans_b) scaled, and
/// C = (beta * C * scale + shift) with beta 1.
void foldInto(GemmOp gemm) {
  RankedTensorType out = gemm.getType();
  auto bType = cast<RankedTensorType>(gemm.getB().getType());
  if (!out.getElementType().isF32() || gemm.getTransA())
    return;
  int64_t n = out.getDimSize(1);
  std::optional<std::vector<float>> c =
      gemm.getC() ? perChannel(gemm.getC(), out, 1, n)
                  : std::optional<std::vector<float>>(std::vector<float>(n, 0.0f));
  std::optional<std::vector<float>> weight = floatValues(gemm.getB());
  if (!c || !weight)
    return;
  Affine affine(gemm.getResult(), 1, n);
  if (affine.ops.empty())
    return;
  int64_t rows = bType.getDimSize(0), cols = bType.getDimSize(1);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t col = 0; col < cols; ++col)
      (*weight)[r * cols + col] *= affine.scale[gemm.getTransB() ? r : col];
  float beta = gemm.getBeta().convertToFloat();
  for (int64_t i = 0; i < n; ++i)
    (*c)[i] = beta * (*c)[i] * affine.scale[i] + affine.shift[i];
  OpBuilder b(affine.ops.back());
  Location loc = b.getFusedLoc({gemm.getLoc(), affine.ops.back()->getLoc()});
  auto folded = GemmOp::create(
      b, loc, out, gemm.getA(),
      floatConstant(b, loc, bType.getShape(), *weight, "gemm.folded_weight"),
      floatConstant(b, loc, {n}, *c, "gemm.folded_bias"), gemm.getAlphaAttr(),
      b.getF32FloatAttr(1.0f), gemm.getTransAAttr(), gemm.getTransBAttr());
  affine.replace(folded.getResult());
  gemm.erase();
}

struct FoldBatchNormPass
    : gcomp::impl::GcompFoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    forEachContraction(getOperation(), [](auto op) { foldInto(op); });
  }
};

} // namespace
