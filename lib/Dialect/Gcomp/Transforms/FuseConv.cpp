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

/// The only user of `v`, if it has exactly one use.
Operation *soleUser(Value v) {
  return v.hasOneUse() ? *v.getUsers().begin() : nullptr;
}

/// The value of a splat f32 constant, if `v` is one.
std::optional<float> splatFloat(Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || !dense.isSplat() || !dense.getElementType().isF32())
    return std::nullopt;
  return dense.getSplatValue<float>();
}

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
    std::optional<float> value = splatFloat(op.getRhs());
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

/// The [KH * KW * C, M] matrix of a constant [KH, KW, C, M] f32 weight,
/// packed for the runtime's GEMM; null if the weight is not such a
/// constant.
ElementsAttr packedConvWeight(Value weight) {
  auto constant = weight.getDefiningOp<ConstantOp>();
  if (!constant)
    return {};
  auto type = cast<RankedTensorType>(weight.getType());
  if (!type.hasStaticShape() || !type.getElementType().isF32())
    return {};
  std::optional<ArrayRef<char>> raw = rawElements(constant.getValue());
  if (!raw || raw->size() != type.getNumElements() * sizeof(float))
    return {};
  // Copied into a float array: the blob carries no alignment guarantee.
  std::vector<float> data(type.getNumElements());
  std::memcpy(data.data(), raw->data(), raw->size());
  int64_t m = type.getDimSize(3), k = type.getNumElements() / m;
  std::vector<float> packed = packGemmB(data.data(), k, m, m, 1);
  auto packedType = RankedTensorType::get(
      {static_cast<int64_t>(packed.size())}, type.getElementType());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(packed.data()),
                       packed.size() * sizeof(float));
  std::string name = "conv_weight.packed";
  if (auto resource =
          dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = (resource.getRawHandle().getKey() + ".packed").str();
  return DenseResourceElementsAttr::get(
      packedType, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 64));
}

struct FuseConvPass : gcomp::impl::GcompFuseConvBase<FuseConvPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> anchors;
    getOperation().walk([&](Operation *op) {
      if (isa<ConvOp, MatMulOp>(op))
        anchors.push_back(op);
    });
    for (Operation *op : anchors) {
      if (auto conv = dyn_cast<ConvOp>(op))
        fuse(conv);
      else
        fuse(cast<MatMulOp>(op));
    }
  }

  /// A product x[..., M, K] * W[K, N] with a constant W is a 1x1 conv over
  /// the M rows: the same kernel gives it its bias (an add of a constant
  /// [N]), residual and ReLU epilogue.
  void fuse(MatMulOp matmul) {
    auto x = dyn_cast<RankedTensorType>(matmul.getLhs().getType());
    auto w = dyn_cast<RankedTensorType>(matmul.getRhs().getType());
    auto out = dyn_cast<RankedTensorType>(matmul.getType());
    if (!x || !w || !out || x.getRank() < 2 || w.getRank() != 2 ||
        !x.hasStaticShape() || !out.hasStaticShape() ||
        !x.getElementType().isF32() || x.getDimSize(x.getRank() - 1) < minChannels)
      return;
    auto constant = matmul.getRhs().getDefiningOp<ConstantOp>();
    if (!constant)
      return;
    int64_t k = w.getDimSize(0), n = w.getDimSize(1);
    int64_t rows = x.getNumElements() / k;
    // The weight as a [1, 1, K, N] conv weight, for packedConvWeight.
    OpBuilder b(matmul);
    auto weight4 = RankedTensorType::get({1, 1, k, n}, w.getElementType());
    ElementsAttr value = constant.getValue();
    ElementsAttr reshaped;
    if (auto dense = dyn_cast<DenseElementsAttr>(value))
      reshaped = dense.reshape(weight4);
    else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
      reshaped = DenseResourceElementsAttr::get(weight4,
                                                resource.getRawHandle());
    if (!reshaped)
      return;
    Value weight4Value =
        ConstantOp::create(b, constant.getLoc(), reshaped).getResult();
    ElementsAttr packed = packedConvWeight(weight4Value);
    if (!packed) {
      weight4Value.getDefiningOp()->erase();
      return;
    }

    // Epilogue: an add of a constant [N] (the bias), then a residual add,
    // then a ReLU, each the sole user of what comes before.
    SmallVector<Operation *> chain = {matmul};
    Value bias, residual;
    auto otherOperand = [](AddOp add, Value v) {
      return add.getLhs() == v ? add.getRhs() : add.getLhs();
    };
    if (auto add = dyn_cast_or_null<AddOp>(soleUser(matmul.getResult()))) {
      Value other = otherOperand(add, matmul.getResult());
      auto type = dyn_cast<RankedTensorType>(other.getType());
      if (add.getType() == out && other.getDefiningOp<ConstantOp>() && type &&
          type.hasStaticShape() && type.getNumElements() == n &&
          type.getDimSize(type.getRank() - 1) == n) {
        bias = other;
        chain.push_back(add);
      }
    }
    if (auto add = dyn_cast_or_null<AddOp>(
            soleUser(chain.back()->getResult(0)))) {
      Value other = otherOperand(add, chain.back()->getResult(0));
      if (other != chain.back()->getResult(0) && other.getType() == out &&
          add.getType() == out) {
        residual = other;
        chain.push_back(add);
      }
    }
    bool relu = false;
    if (auto reluOp = dyn_cast_or_null<ReluOp>(
            soleUser(chain.back()->getResult(0)));
        reluOp && reluOp.getType() == out) {
      relu = true;
      chain.push_back(reluOp);
    }
    std::optional<std::array<float, 2>> clamp;
    if (!relu)
      clamp = absorbClamp(chain, out);

    Operation *last = chain.back();
    b.setInsertionPoint(last);
    Location loc = b.getFusedLoc({matmul.getLoc(), last->getLoc()});
    auto rowsType = [&](int64_t c) {
      return RankedTensorType::get({1, 1, rows, c}, x.getElementType());
    };
    Value input = ReshapeOp::create(b, loc, rowsType(k), matmul.getLhs());
    Value packedWeight = ConstantOp::create(b, constant.getLoc(), packed);
    Value init =
        residual ? ReshapeOp::create(b, loc, rowsType(n), residual).getResult()
                 : tensor::EmptyOp::create(b, loc, rowsType(n).getShape(),
                                           out.getElementType())
                       .getResult();
    Value biasVector;
    if (bias)
      biasVector = ReshapeOp::create(
          b, loc, RankedTensorType::get({n}, x.getElementType()), bias);
    auto fused = FusedConvOp::create(
        b, loc, rowsType(n), input, packedWeight, init, biasVector,
        b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr({1, 1}),
        b.getDenseI64ArrayAttr({1, 1}), b.getDenseI64ArrayAttr({0, 0, 0, 0}),
        residual ? b.getUnitAttr() : UnitAttr(),
        relu ? b.getUnitAttr() : UnitAttr(),
        clamp ? b.getDenseF32ArrayAttr(*clamp) : DenseF32ArrayAttr());
    Value result = ReshapeOp::create(b, loc, out, fused.getResult());
    last->getResult(0).replaceAllUsesWith(result);
    for (Operation *op : llvm::reverse(chain))
      op->erase();
    weight4Value.getDefiningOp()->erase();
  }

  void fuse(ConvOp conv) {
    RankedTensorType in = conv.getInput().getType(), out = conv.getType();
    if (!conv.getChannelsLast() || conv.getGroup() != 1 ||
        in.getRank() != 4 || !in.hasStaticShape() || !out.hasStaticShape() ||
        !in.getElementType().isF32() || in.getDimSize(3) < minChannels)
      return;
    ElementsAttr packed = packedConvWeight(conv.getWeight());
    if (!packed)
      return;
    auto weightType = cast<RankedTensorType>(conv.getWeight().getType());

    // The epilogue: a residual add, then a ReLU, each the sole user.
    SmallVector<Operation *> chain = {conv};
    Operation *last = conv;
    Value residual;
    if (auto add = dyn_cast_or_null<AddOp>(soleUser(conv.getResult()))) {
      Value other = add.getLhs() == conv.getResult() ? add.getRhs()
                                                     : add.getLhs();
      if (other != conv.getResult() && other.getType() == out &&
          add.getType() == out) {
        residual = other;
        last = add;
        chain.push_back(add);
      }
    }
    bool relu = false;
    if (auto reluOp = dyn_cast_or_null<ReluOp>(soleUser(last->getResult(0)));
        reluOp && reluOp.getType() == out) {
      relu = true;
      last = reluOp;
      chain.push_back(reluOp);
    }
    std::optional<std::array<float, 2>> clamp;
    if (!relu && (clamp = absorbClamp(chain, out)))
      last = chain.back();

    // Every operand dominates the last op of the chain, where the fused op
    // goes (the residual may be computed after the conv).
    OpBuilder b(last);
    Location loc = b.getFusedLoc({conv.getLoc(), last->getLoc()});
    Value weight = ConstantOp::create(b, conv.getWeight().getLoc(), packed);
    Value init = residual ? residual
                          : tensor::EmptyOp::create(b, loc, out.getShape(),
                                                    out.getElementType())
                                .getResult();
    auto fused = FusedConvOp::create(
        b, loc, out, conv.getInput(), weight, init, conv.getBias(),
        b.getDenseI64ArrayAttr(
            {weightType.getDimSize(0), weightType.getDimSize(1)}),
        conv.getStridesAttr(), conv.getDilationsAttr(), conv.getPadsAttr(),
        residual ? b.getUnitAttr() : UnitAttr(),
        relu ? b.getUnitAttr() : UnitAttr(),
        clamp ? b.getDenseF32ArrayAttr(*clamp) : DenseF32ArrayAttr());
    last->getResult(0).replaceAllUsesWith(fused.getResult());
    // From the end: each op's only user goes first.
    for (Operation *op : llvm::reverse(chain))
      op->erase();
  }
};

} // namespace
