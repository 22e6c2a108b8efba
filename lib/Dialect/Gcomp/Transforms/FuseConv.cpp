//===- FuseConv.cpp - a conv and its epilogue as one kernel ---------------===//
//
// On the CPU a convolution lowered op by op is five passes over memory: a
// padded copy of the input, an im2col matrix, the bias broadcast into the
// output, the GEMM, and the residual add and ReLU after it. The runtime's
// implicit-GEMM kernel does all of it in one: it reads the input where it
// lies (positions in the padding read zeros), starts the output from the
// bias and the residual, and applies the ReLU as it stores the last slice.
// This pass forms that kernel's op, gcomp.fused_conv, on the graph.
//
//===----------------------------------------------------------------------===//

#include "ConstantData.h"
#include "GraphMatchers.h"
#include "WeightPacking.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include <array>
#include <limits>

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFUSECONV
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// A Clip after the chain, as the importer writes it (max with a splat
/// lower bound, then min with a splat upper bound, either one alone),
/// appended to `chain`; nullopt if there is none.
std::optional<std::array<float, 2>> absorbClamp(SmallVector<Operation *> &chain,
                                                RankedTensorType type) {
  std::array<float, 2> clamp = {-std::numeric_limits<float>::infinity(),
                                std::numeric_limits<float>::infinity()};
  bool found = false;
  auto step = [&](auto opTag, int bound) {
    using OpT = decltype(opTag);
    auto op = dyn_cast_or_null<OpT>(soleUser(chain.back()->getResult(0)));
    if (!op || op.getType() != type || op.getLhs() != chain.back()->getResult(0))
      return;
    std::optional<float> value = splatF32(op.getRhs());
    if (!value)
      return;
    clamp[bound] = *value;
    chain.push_back(op);
    found = true;
  };
  step(MaxOp(), 0);
  step(MinOp(), 1);
  if (!found || !(clamp[0] <= clamp[1]))
    return std::nullopt;
  return clamp;
}

/// The 1-D f32 resource `values`, named after `constant`'s resource with
/// `suffix`, 64-byte aligned.
ElementsAttr weightResource(ConstantOp constant, ArrayRef<float> values,
                            StringRef suffix) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    Float32Type::get(constant.getContext()));
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  std::string name = ("conv_weight." + suffix).str();
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = (resource.getRawHandle().getKey() + "." + suffix).str();
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 64));
}

/// A constant f32 weight read as the row-major [k, n] matrix (a conv's
/// [KH, KW, C, M] weight is the [KH * KW * C, M] one), or with `transposed`
/// as the transpose of a row-major [n, k] one, times `scale`, packed for
/// the runtime's GEMM; null if its elements cannot be read.
ElementsAttr packedWeight(ConstantOp constant, int64_t k, int64_t n,
                          bool transposed = false, float scale = 1.0f) {
  auto type = cast<RankedTensorType>(constant.getType());
  std::optional<std::vector<float>> data = floatValues(constant);
  if (!data || type.getNumElements() != k * n)
    return {};
  if (scale != 1.0f)
    for (float &v : *data)
      v *= scale;
  std::vector<float> packed =
      transposed ? packGemmB(data->data(), k, n, 1, k)
                 : packGemmB(data->data(), k, n, n, 1);
  return weightResource(constant, packed, "packed");
}

/// A depthwise conv's [KH, KW, 1, C] weight as the [KH * KW * C] vector the
/// runtime's kernel reads; null if its elements cannot be read.
ElementsAttr flatWeight(ConstantOp constant) {
  std::optional<std::vector<float>> data = floatValues(constant);
  if (!data)
    return {};
  return weightResource(constant, *data, "flat");
}

/// The ops after an anchor (a conv or a product) that its kernel computes
/// too, each the sole user of the one before, in this order: an add of a
/// constant [N] (the bias; only where `n` is given), an add of a tensor of
/// the result's type (the residual), then a ReLU, an exact GELU, a SiLU or
/// a Clip.
struct Epilogue {
  SmallVector<Operation *> chain;
  Value bias, residual;
  bool relu = false, gelu = false, silu = false;
  std::optional<std::array<float, 2>> clamp;

  Epilogue(Operation *anchor, RankedTensorType out,
           std::optional<int64_t> biasSize) {
    chain.push_back(anchor);
    if (biasSize)
      if (AddOp add = nextAdd(out)) {
        Value other = otherOperand(add);
        auto type = dyn_cast<RankedTensorType>(other.getType());
        if (other.getDefiningOp<ConstantOp>() && type &&
            type.hasStaticShape() && type.getNumElements() == *biasSize &&
            type.getDimSize(type.getRank() - 1) == *biasSize) {
          bias = other;
          chain.push_back(add);
        }
      }
    if (AddOp add = nextAdd(out)) {
      Value other = otherOperand(add);
      if (other != last() && other.getType() == out) {
        residual = other;
        chain.push_back(add);
      }
    }
    if (auto reluOp = dyn_cast_or_null<ReluOp>(soleUser(last()));
        reluOp && reluOp.getType() == out) {
      relu = true;
      chain.push_back(reluOp);
    } else if (auto geluOp = dyn_cast_or_null<GeluOp>(soleUser(last()));
               geluOp && geluOp.getType() == out &&
               !geluOp.getTanhApproximation()) {
      gelu = true;
      chain.push_back(geluOp);
    } else if (auto siluOp = dyn_cast_or_null<SiluOp>(soleUser(last()));
               siluOp && siluOp.getType() == out) {
      silu = true;
      chain.push_back(siluOp);
    } else {
      clamp = absorbClamp(chain, out);
    }
  }

  /// The value the fused op replaces.
  Value last() const { return chain.back()->getResult(0); }

  /// The fused op, built before the last op of the chain (every operand
  /// dominates it: the residual may be computed after the anchor), with
  /// the epilogue's attributes.
  FusedConvOp build(OpBuilder &b, Location loc, RankedTensorType type,
                    Value input, Value weight, Value init, Value biasVector,
                    ArrayRef<int64_t> kernel, DenseI64ArrayAttr strides,
                    DenseI64ArrayAttr dilations, DenseI64ArrayAttr pads) const {
    return FusedConvOp::create(
        b, loc, type, input, weight, init, biasVector,
        b.getDenseI64ArrayAttr(kernel), strides, dilations, pads,
        residual ? b.getUnitAttr() : UnitAttr(),
        relu ? b.getUnitAttr() : UnitAttr(),
        clamp ? b.getDenseF32ArrayAttr(*clamp) : DenseF32ArrayAttr(),
        /*input_nchw=*/UnitAttr(), gelu ? b.getUnitAttr() : UnitAttr(),
        silu ? b.getUnitAttr() : UnitAttr());
  }

  /// Replaces the chain's value with `result` and erases the chain, from
  /// its end: each op's only user goes first.
  void replace(Value result) {
    chain.back()->getResult(0).replaceAllUsesWith(result);
    for (Operation *op : llvm::reverse(chain))
      op->erase();
  }

private:
  AddOp nextAdd(RankedTensorType out) const {
    auto add = dyn_cast_or_null<AddOp>(soleUser(last()));
    return add && add.getType() == out ? add : AddOp();
  }
  Value otherOperand(AddOp add) const {
    return add.getLhs() == last() ? add.getRhs() : add.getLhs();
  }
};

struct FuseConvPass : gcomp::impl::GcompFuseConvBase<FuseConvPass> {
  using Base::Base;

  void runOnOperation() override {
    forEachContraction(getOperation(), [&](auto op) { fuse(op); });
  }

  /// Gemm(x[M, K], W, C) with a constant W ([K, N], or [N, K] with trans_b)
  /// and C absent or a constant [N] or [1, N]: a product whose alpha goes
  /// into the packed weight and whose beta * C is the bias (a classifier
  /// head, with what follows it).
  void fuse(GemmOp gemm) {
    auto x = dyn_cast<RankedTensorType>(gemm.getA().getType());
    auto out = dyn_cast<RankedTensorType>(gemm.getType());
    auto weight = gemm.getB().getDefiningOp<ConstantOp>();
    // Symbolic rows (a batch of feature vectors) are the conv's batch.
    if (!x || !out || !weight || gemm.getTransA() || x.getRank() != 2 ||
        x.isDynamicDim(1) || out.isDynamicDim(1) ||
        !x.getElementType().isF32() || x.getDimSize(1) < minChannels)
      return;
    int64_t k = x.getDimSize(1), n = out.getDimSize(1);
    std::optional<std::vector<float>> bias;
    if (Value c = gemm.getC()) {
      auto cType = cast<RankedTensorType>(c.getType());
      auto constant = c.getDefiningOp<ConstantOp>();
      if (!constant || cType.getNumElements() != n ||
          cType.getDimSize(cType.getRank() - 1) != n)
        return;
      bias = floatValues(constant);
      if (!bias)
        return;
      for (float &v : *bias)
        v *= gemm.getBeta().convertToFloat();
    }
    ElementsAttr packed = packedWeight(weight, k, n, gemm.getTransB(),
                                       gemm.getAlpha().convertToFloat());
    if (!packed)
      return;
    // Without C, an add of a constant [N] after it is the bias.
    Epilogue epilogue(gemm, out, bias ? std::nullopt : std::optional(n));

    OpBuilder b(epilogue.chain.back());
    Location loc =
        b.getFusedLoc({gemm.getLoc(), epilogue.chain.back()->getLoc()});
    int64_t m = x.getDimSize(0);
    // Static rows are the pixels of one image; symbolic ones a batch of
    // 1x1 images, the same product for the kernel (its rows are pixels of
    // every image).
    auto rowsType = [&](int64_t c) {
      return RankedTensorType::get(ShapedType::isDynamic(m)
                                       ? SmallVector<int64_t>{m, 1, 1, c}
                                       : SmallVector<int64_t>{1, 1, m, c},
                                   x.getElementType());
    };
    auto vectorType = RankedTensorType::get({n}, x.getElementType());
    auto makeBias = [&]() -> Value {
      if (bias)
        return ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(vectorType, ArrayRef<float>(*bias)));
      if (epilogue.bias)
        return ReshapeOp::create(b, loc, vectorType, epilogue.bias);
      return {};
    };
    buildRows(b, loc, epilogue, gemm.getA(), weight.getLoc(), packed,
              makeBias, out, rowsType(k), rowsType(n));
  }

  /// The fused op of a product of `lhs` (as `inType` rows) and a packed
  /// weight, with the epilogue, replacing the chain with a value of `out`.
  void buildRows(OpBuilder &b, Location loc, Epilogue &epilogue, Value lhs,
                 Location weightLoc, ElementsAttr packed,
                 function_ref<Value()> makeBias, RankedTensorType out,
                 RankedTensorType inType, RankedTensorType outType) {
    Value input = ReshapeOp::create(b, loc, inType, lhs);
    Value weight = ConstantOp::create(b, weightLoc, packed);
    SmallVector<Value> rows;
    if (outType.isDynamicDim(0))
      rows.push_back(tensor::DimOp::create(b, loc, input, 0));
    Value init = epilogue.residual
                     ? ReshapeOp::create(b, loc, outType, epilogue.residual)
                           .getResult()
                     : tensor::EmptyOp::create(b, loc, outType, rows)
                           .getResult();
    Value biasVector = makeBias();
    FusedConvOp fused = epilogue.build(
        b, loc, outType, input, weight, init, biasVector, {1, 1},
        b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr({1, 1}),
        b.getDenseI64ArrayAttr({0, 0, 0, 0}));
    // Rows back into the product's symbolic dims, which are the lhs's.
    SmallVector<Value> sizes;
    if (out.getNumDynamicDims() > 1)
      for (int64_t d = 0; d < out.getRank(); ++d)
        if (out.isDynamicDim(d))
          sizes.push_back(tensor::DimOp::create(b, loc, lhs, d));
    epilogue.replace(
        ReshapeOp::create(b, loc, out, fused.getResult(), sizes));
  }

  /// A product x[..., M, K] * W[K, N] with a constant W is a 1x1 conv over
  /// the M rows: the same kernel gives it its bias (an add of a constant
  /// [N]), residual and activation.
  void fuse(MatMulOp matmul) {
    auto x = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
    auto w = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
    auto out = dyn_cast<RankedTensorType>(matmul.getType());
    auto constant = matmul.getRhs().getDefiningOp<ConstantOp>();
    // Symbolic leading dims (batch, sequence) are rows like any other: the
    // rows become the kernel's batch of 1x1 images.
    if (!x || !w || !out || !constant || x.getRank() < 2 ||
        w.getRank() != 2 || x.isDynamicDim(x.getRank() - 1) ||
        !x.getElementType().isF32() ||
        x.getDimSize(x.getRank() - 1) < minChannels)
      return;
    int64_t k = w.getDimSize(0), n = w.getDimSize(1);
    ElementsAttr packed = packedWeight(constant, k, n);
    if (!packed)
      return;
    Epilogue epilogue(matmul, out, n);

    OpBuilder b(epilogue.chain.back());
    Location loc =
        b.getFusedLoc({matmul.getLoc(), epilogue.chain.back()->getLoc()});
    bool symbolic = !x.hasStaticShape();
    int64_t rows = symbolic ? ShapedType::kDynamic : x.getNumElements() / k;
    auto rowsType = [&](int64_t c) {
      return RankedTensorType::get(symbolic
                                       ? SmallVector<int64_t>{rows, 1, 1, c}
                                       : SmallVector<int64_t>{1, 1, rows, c},
                                   x.getElementType());
    };
    auto makeBias = [&]() -> Value {
      if (!epilogue.bias)
        return {};
      return ReshapeOp::create(
          b, loc, RankedTensorType::get({n}, x.getElementType()),
          epilogue.bias);
    };
    buildRows(b, loc, epilogue, matmul.getLhs(), constant.getLoc(), packed,
              makeBias, out, rowsType(k), rowsType(n));
  }

  void fuse(ConvOp conv) {
    RankedTensorType in = conv.getInput().getType(), out = conv.getType();
    auto constant = conv.getWeight().getDefiningOp<ConstantOp>();
    // A dynamic batch dim is the kernel's n argument.
    if (!constant || !conv.getChannelsLast() || in.getRank() != 4 ||
        !isStaticButBatch(in) || !isStaticButBatch(out) ||
        !in.getElementType().isF32())
      return;
    auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
    int64_t c = in.getDimSize(3), m = weightType.getDimSize(3);
    // A depthwise conv (a group per channel, one output channel each) runs
    // in the runtime's depthwise kernel with the same epilogue.
    bool depthwise =
        static_cast<int64_t>(conv.getGroup()) == c && m == c && c > 1;
    if (!depthwise && (conv.getGroup() != 1 || c < minChannels))
      return;
    ElementsAttr packed =
        depthwise ? flatWeight(constant)
                  : packedWeight(constant, weightType.getNumElements() / m, m);
    if (!packed)
      return;
    // The conv has its own bias operand.
    Epilogue epilogue(conv, out, std::nullopt);

    OpBuilder b(epilogue.chain.back());
    Location loc =
        b.getFusedLoc({conv.getLoc(), epilogue.chain.back()->getLoc()});
    Value weight = ConstantOp::create(b, conv.getWeight().getLoc(), packed);
    // A channels-first input transposed for this conv alone (a network's
    // input before its stem) is read as it is: the kernel's gather takes
    // either layout, and the transpose was a full pass over the input.
    Value input = conv.getInput();
    auto transpose = input.getDefiningOp<TransposeOp>();
    bool inputNchw = !depthwise && transpose &&
                     transpose.getPerm() == ArrayRef<int64_t>{0, 2, 3, 1} &&
                     input.hasOneUse();
    if (inputNchw)
      input = transpose.getInput();
    // A symbolic batch is dim 0 in either layout.
    SmallVector<Value> batch;
    if (out.isDynamicDim(0))
      batch.push_back(tensor::DimOp::create(b, loc, input, 0));
    Value init = epilogue.residual
                     ? epilogue.residual
                     : tensor::EmptyOp::create(b, loc, out, batch).getResult();
    FusedConvOp fused = epilogue.build(
        b, loc, out, input, weight, init, conv.getBias(),
        {weightType.getDimSize(0), weightType.getDimSize(1)},
        conv.getStridesAttr(), conv.getDilationsAttr(), conv.getPadsAttr());
    if (inputNchw)
      fused.setInputNchw(true);
    if (depthwise)
      fused.setDepthwise(true);
    epilogue.replace(fused.getResult());
    if (inputNchw)
      transpose->erase();
  }
};

} // namespace
