//===- FoldConstants.cpp - evaluate constant subgraphs at compile time ----===//
//
// The ops' own folders evaluate small tensors (shape arithmetic, up to
// kFoldElementLimit elements) element by element as attributes. Weights
// are bigger and live in resource blobs: a transposed, scaled or
// reciprocal weight that the exporter left as ops over initializers would
// run on every call. This pass evaluates such ops on the raw f32 data,
// up to a size cap (gcomp --fold-limit), so the result is one constant;
// and it merges constants whose bytes are equal, wherever they came from.
//
//===----------------------------------------------------------------------===//

#include "ConstantData.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstring>

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFOLDCONSTANTS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// Row-major strides of `shape` read as an operand broadcast to `result`:
/// 0 along the dims it broadcasts.
SmallVector<int64_t> broadcastStrides(ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> result) {
  SmallVector<int64_t> strides(result.size(), 0);
  int64_t stride = 1, offset = result.size() - shape.size();
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    if (shape[d] != 1)
      strides[d + offset] = stride;
    stride *= shape[d];
  }
  return strides;
}

using UnaryFn = float (*)(float);
using BinaryFn = float (*)(float, float);

std::optional<UnaryFn> unaryFunction(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<UnaryFn>>(op)
      .Case([](NegOp) { return [](float x) { return -x; }; })
      .Case([](AbsOp) { return [](float x) { return std::fabs(x); }; })
      .Case([](SqrtOp) { return [](float x) { return std::sqrt(x); }; })
      .Case([](ReciprocalOp) { return [](float x) { return 1.0f / x; }; })
      .Case([](ExpOp) { return [](float x) { return std::exp(x); }; })
      .Case([](LogOp) { return [](float x) { return std::log(x); }; })
      .Case([](ReluOp) {
        return [](float x) { return x < 0.0f ? 0.0f : x; };
      })
      .Case([](SigmoidOp) {
        return [](float x) { return 1.0f / (1.0f + std::exp(-x)); };
      })
      .Case([](TanhOp) { return [](float x) { return std::tanh(x); }; })
      .Case([](ErfOp) { return [](float x) { return std::erf(x); }; })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<BinaryFn> binaryFunction(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<BinaryFn>>(op)
      .Case([](AddOp) { return [](float x, float y) { return x + y; }; })
      .Case([](SubOp) { return [](float x, float y) { return x - y; }; })
      .Case([](MulOp) { return [](float x, float y) { return x * y; }; })
      .Case([](DivOp) { return [](float x, float y) { return x / y; }; })
      .Case([](PowOp) {
        return [](float x, float y) { return std::pow(x, y); };
      })
      // ONNX Min and Max propagate NaN.
      .Case([](MinOp) {
        return [](float x, float y) {
          return std::isnan(x) || std::isnan(y) ? NAN : std::fmin(x, y);
        };
      })
      .Case([](MaxOp) {
        return [](float x, float y) {
          return std::isnan(x) || std::isnan(y) ? NAN : std::fmax(x, y);
        };
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// `op`'s result as raw bytes, if the pass can evaluate it on `inputs`.
/// Element `i` of raw little-endian integers of `bytes` bytes each.
int64_t readInteger(ArrayRef<char> raw, unsigned bytes, int64_t i,
                    bool isUnsigned) {
  uint64_t v = 0;
  std::memcpy(&v, raw.data() + i * bytes, bytes);
  if (!isUnsigned && bytes < 8 && (v >> (8 * bytes - 1)) & 1)
    v |= ~uint64_t(0) << (8 * bytes); // sign-extend
  return static_cast<int64_t>(v);
}

/// `fn(n, i, j)` for each element n of `shape` (row-major), with i and j
/// the offsets of the two operands' elements broadcast to it.
template <typename Fn>
void forEachBroadcast(Operation *op, ArrayRef<int64_t> shape, Fn fn) {
  SmallVector<int64_t> lhsStrides = broadcastStrides(
      cast<ShapedType>(op->getOperand(0).getType()).getShape(), shape);
  SmallVector<int64_t> rhsStrides = broadcastStrides(
      cast<ShapedType>(op->getOperand(1).getType()).getShape(), shape);
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  SmallVector<int64_t> index(shape.size(), 0);
  int64_t i = 0, j = 0;
  for (int64_t n = 0; n < count; ++n) {
    fn(n, i, j);
    // Advance the multi-index; the operand offsets follow their strides.
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      i += lhsStrides[d];
      j += rhsStrides[d];
      if (++index[d] < shape[d])
        break;
      i -= lhsStrides[d] * shape[d];
      j -= rhsStrides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/// Casts of integer constants to integers or f32, and i32 add, sub and
/// mul (wrapping, as at run time): what a quantized model's constant
/// weights go through before they meet the activations.
std::optional<std::vector<char>>
evaluateInteger(Operation *op, ArrayRef<ArrayRef<char>> inputs,
                RankedTensorType resultType) {
  Type to = resultType.getElementType();
  int64_t count = resultType.getNumElements();
  auto intBytes = [](Type t) -> unsigned {
    return t.isSignlessInteger() && t.getIntOrFloatBitWidth() % 8 == 0
               ? t.getIntOrFloatBitWidth() / 8
               : 0;
  };
  if (auto cast = dyn_cast<CastOp>(op)) {
    unsigned from = intBytes(cast.getInput().getType().getElementType());
    unsigned toBytes = intBytes(to);
    if (!from || (!toBytes && !to.isF32()))
      return std::nullopt;
    std::vector<char> out(count * (toBytes ? toBytes : sizeof(float)));
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = readInteger(inputs[0], from, i, cast.getUnsignedInput());
      if (toBytes) {
        std::memcpy(out.data() + i * toBytes, &v, toBytes); // truncates
      } else {
        // Round to nearest even, as sitofp / uitofp do.
        float f = cast.getUnsignedInput() ? static_cast<float>(
                                                static_cast<uint64_t>(v))
                                          : static_cast<float>(v);
        std::memcpy(out.data() + i * sizeof(float), &f, sizeof(float));
      }
    }
    return out;
  }
  if (!isa<AddOp, SubOp, MulOp>(op) || !to.isSignlessInteger(32) ||
      llvm::any_of(op->getOperandTypes(), [](Type t) {
        return !cast<ShapedType>(t).getElementType().isSignlessInteger(32);
      }))
    return std::nullopt;
  std::vector<char> out(count * sizeof(int32_t));
  forEachBroadcast(op, resultType.getShape(), [&](int64_t n, int64_t i,
                                                  int64_t j) {
    uint32_t a = static_cast<uint32_t>(readInteger(inputs[0], 4, i, false));
    uint32_t b = static_cast<uint32_t>(readInteger(inputs[1], 4, j, false));
    uint32_t r = isa<AddOp>(op) ? a + b : isa<SubOp>(op) ? a - b : a * b;
    std::memcpy(out.data() + n * sizeof(int32_t), &r, sizeof(int32_t));
  });
  return out;
}

std::optional<std::vector<char>>
evaluate(Operation *op, ArrayRef<ArrayRef<char>> inputs,
         RankedTensorType resultType) {
  int64_t count = resultType.getNumElements();
  // Data movement, for any element type: the bytes reinterpreted or
  // permuted.
  if (isa<ReshapeOp>(op))
    return std::vector<char>(inputs[0].begin(), inputs[0].end());
  if (auto transpose = dyn_cast<TransposeOp>(op))
    return permuteBytes(
        inputs[0], cast<RankedTensorType>(transpose.getInput().getType()),
        transpose.getPerm());
  // Integer weights and their zero points (quantized models), widened to
  // i32 or f32 and less the zero point.
  if (std::optional<std::vector<char>> ints =
          evaluateInteger(op, inputs, resultType))
    return ints;
  // Arithmetic, on f32.
  if (!resultType.getElementType().isF32() ||
      llvm::any_of(op->getOperandTypes(), [](Type t) {
        return !cast<ShapedType>(t).getElementType().isF32();
      }))
    return std::nullopt;
  std::vector<char> out(count * sizeof(float));
  auto *y = reinterpret_cast<float *>(out.data());
  if (std::optional<UnaryFn> fn = unaryFunction(op)) {
    const auto *x = reinterpret_cast<const float *>(inputs[0].data());
    for (int64_t i = 0; i < count; ++i)
      y[i] = (*fn)(x[i]);
    return out;
  }
  std::optional<BinaryFn> fn = binaryFunction(op);
  if (!fn)
    return std::nullopt;
  const auto *a = reinterpret_cast<const float *>(inputs[0].data());
  const auto *b = reinterpret_cast<const float *>(inputs[1].data());
  forEachBroadcast(op, resultType.getShape(),
                   [&](int64_t n, int64_t i, int64_t j) {
                     y[n] = (*fn)(a[i], b[j]);
                   });
  return out;
}

struct FoldConstantsPass
    : gcomp::impl::GcompFoldConstantsBase<FoldConstantsPass> {
  using GcompFoldConstantsBase::GcompFoldConstantsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int64_t folded = 0;
    // Ops in order: an op's constant operands were folded before it.
    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (op->getNumResults() == 1 && op->getNumOperands() > 0 &&
          !isa<ConstantOp>(op) && isPure(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!resultType || !resultType.hasStaticShape() ||
          !resultType.getElementType().isIntOrFloat() ||
          resultType.getElementTypeBitWidth() % 8 != 0)
        continue;
      int64_t bytes =
          resultType.getNumElements() * resultType.getElementTypeBitWidth() / 8;
      if (bytes > limit)
        continue; // over the cap: the op stays and runs at run time
      SmallVector<ArrayRef<char>> inputs;
      SmallVector<std::vector<char>> splats(op->getNumOperands());
      for (auto [operand, storage] : llvm::zip(op->getOperands(), splats)) {
        // The cap holds for operands too: a splat is expanded to its full
        // size to be read (a reduction of a 16 GB splat has a small result).
        auto constant = operand.getDefiningOp<ConstantOp>();
        auto operandType = dyn_cast<RankedTensorType>(operand.getType());
        if (!constant || !operandType || !operandType.hasStaticShape() ||
            !operandType.getElementType().isIntOrFloat() ||
            operandType.getNumElements() * operandType.getElementTypeBitWidth() /
                    8 >
                limit)
          break;
        std::optional<ArrayRef<char>> raw =
            rawBytes(constant.getValue(), storage);
        if (!raw)
          break;
        inputs.push_back(*raw);
      }
      if (inputs.size() != op->getNumOperands())
        continue;
      std::optional<std::vector<char>> result =
          evaluate(op, inputs, resultType);
      if (!result)
        continue;
      OpBuilder b(op);
      std::string name =
          (op->getName().getStringRef().drop_front(6) + ".folded").str();
      op->getResult(0).replaceAllUsesWith(
          makeConstant(b, op->getLoc(), resultType, *result, name));
      op->erase();
      ++folded;
    }
    numFolded += folded;
    numMerged += deduplicate(func);
    // The folded chains' constants that nothing reads any more.
    SmallVector<ConstantOp> dead;
    func.walk([&](ConstantOp c) {
      if (c->use_empty())
        dead.push_back(c);
    });
    for (ConstantOp c : dead)
      c.erase();
  }

  /// Merges constants of equal type and bytes into the first of them.
  int64_t deduplicate(func::FuncOp func) {
    // Views of the bytes stay valid: the attributes outlive the pass.
    DenseMap<llvm::hash_code, SmallVector<std::pair<ConstantOp, ArrayRef<char>>>>
        seen;
    int64_t merged = 0;
    SmallVector<ConstantOp> constants;
    func.walk([&](ConstantOp c) { constants.push_back(c); });
    for (ConstantOp c : constants) {
      // Splats and small ones are uniqued attributes, which CSE merges.
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      if (dense && dense.isSplat())
        continue;
      std::vector<char> unused;
      std::optional<ArrayRef<char>> raw = rawBytes(c.getValue(), unused);
      if (!raw || raw->size() < 64)
        continue;
      llvm::hash_code hash = llvm::hash_combine(
          c.getType().getAsOpaquePointer(),
          llvm::hash_combine_range(raw->begin(), raw->end()));
      auto &bucket = seen[hash];
      auto same = llvm::find_if(bucket, [&](auto &entry) {
        return entry.first.getType() == c.getType() && entry.second == *raw;
      });
      if (same == bucket.end()) {
        bucket.emplace_back(c, *raw);
        continue;
      }
      // The first comes earlier in the block, so it dominates every use.
      c.getResult().replaceAllUsesWith(same->first.getResult());
      c.erase();
      ++merged;
    }
    return merged;
  }
};

} // namespace
