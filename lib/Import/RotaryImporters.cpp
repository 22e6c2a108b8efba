//===- RotaryImporters.cpp - RotaryEmbedding ------------------------------===//
//
// Rotary position embeddings (ONNX RotaryEmbedding, opset 23): the first
// rotary_embedding_dim entries of each head are rotated pairwise by the
// angles whose cosines and sines the caches hold, at each token's
// position. Pairs are the two halves of the rotated part, or neighbours
// with `interleaved`. All of it is gathers, slices and elementwise ops,
// which the graph passes fuse. onnxruntime's contrib RotaryEmbedding is
// the same with its inputs in another order.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Entries [start, start + count * step) by `step` of the last dim.
Value sliceLast(NodeContext &nc, Value v, int64_t start, int64_t count,
                int64_t step = 1) {
  RankedTensorType type = typeOf(v);
  SmallVector<int64_t> shape(type.getShape()), starts(type.getRank(), 0),
      steps(type.getRank(), 1);
  shape.back() = count;
  starts.back() = start;
  steps.back() = step;
  return nc.builder.createOrFold<SliceOp>(
      nc.loc, type.clone(shape), v, nc.builder.getDenseI64ArrayAttr(starts),
      nc.builder.getDenseI64ArrayAttr(steps));
}

Value concatLast(NodeContext &nc, ArrayRef<Value> pieces) {
  int64_t axis = typeOf(pieces.front()).getRank() - 1;
  auto type = inferConcatType(TypeRange(ValueRange(pieces)), axis, nc.errorFn());
  if (failed(type))
    return nc.mismatch(pieces.front(), "concat", pieces);
  return ConcatOp::create(nc.builder, nc.loc, *type, pieces,
                          nc.builder.getI64IntegerAttr(axis));
}

/// `x` [B, S, H, D] with its first `rotary` entries per head rotated by
/// `cos` and `sin` [B, S, 1, rotary / 2].
Value rotate(NodeContext &nc, Value x, Value cos, Value sin, int64_t rotary,
             bool interleaved) {
  RankedTensorType type = typeOf(x);
  SmallVector<int64_t> shape(type.getShape());
  int64_t head = shape.back(), half = rotary / 2;
  Value part = rotary < head ? sliceLast(nc, x, 0, rotary) : x;
  Value x1 = interleaved ? sliceLast(nc, part, 0, half, 2)
                         : sliceLast(nc, part, 0, half);
  Value x2 = interleaved ? sliceLast(nc, part, 1, half, 2)
                         : sliceLast(nc, part, half, half);
  Value real = bin<SubOp>(nc, bin<MulOp>(nc, cos, x1), bin<MulOp>(nc, sin, x2));
  Value imag = bin<AddOp>(nc, bin<MulOp>(nc, sin, x1), bin<MulOp>(nc, cos, x2));
  Value rotated;
  if (interleaved) {
    SmallVector<int64_t> pairs(shape);
    pairs.back() = half;
    pairs.push_back(1);
    rotated = concatLast(nc, {nc.reshape(real, pairs), nc.reshape(imag, pairs)});
    SmallVector<int64_t> flat(shape);
    flat.back() = rotary;
    rotated = nc.reshape(rotated, flat);
  } else {
    rotated = concatLast(nc, {real, imag});
  }
  if (rotary == head)
    return rotated;
  return concatLast(nc, {rotated, sliceLast(nc, x, rotary, head - rotary)});
}

} // namespace

Value rotaryEmbedding(NodeContext &nc, Value x, Value cos, Value sin,
                      Value positions, int64_t rotary, bool interleaved) {
  RankedTensorType type = typeOf(x);
  int64_t batch = type.getDimSize(0), seq = type.getDimSize(1);
  Value caches[2] = {cos, sin};
  for (Value &cache : caches) {
    cache = GatherOp::create(
        nc.builder, nc.loc, typeOf(cache).clone({batch, seq, rotary / 2}),
        cache, positions, nc.builder.getI64IntegerAttr(0));
    cache = nc.reshape(cache, {batch, seq, 1, rotary / 2});
  }
  return rotate(nc, x, caches[0], caches[1], rotary, interleaved);
}

namespace {

/// ONNX RotaryEmbedding; `defaultHeads` is the head count of a 3-D input
/// without num_heads (0: none, an error).
LogicalResult importRotaryEmbeddingWith(NodeContext &nc, int64_t defaultHeads) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  if (!type.hasStaticShape() || (rank != 3 && rank != 4)) {
    nc.error() << "expects an input [batch, heads, seq, head] or [batch, "
                  "seq, hidden] of static shape, got "
               << type;
    return failure();
  }
  Value x = nc.inputs[0];
  int64_t batch = type.getDimSize(0);
  int64_t seq = type.getDimSize(rank == 4 ? 2 : 1), heads, head;
  if (rank == 4) {
    heads = type.getDimSize(1);
    head = type.getDimSize(3);
    x = TransposeOp::create(nc.builder, nc.loc,
                            type.clone({batch, seq, heads, head}), x,
                            nc.builder.getDenseI64ArrayAttr({0, 2, 1, 3}));
  } else {
    heads = nc.intAttr("num_heads", 0);
    if (heads == 0)
      heads = defaultHeads;
    if (heads < 1 || type.getDimSize(2) % heads != 0) {
      nc.error() << "a 3-D input needs num_heads dividing its hidden size "
                 << type.getDimSize(2) << ", got " << heads;
      return failure();
    }
    head = type.getDimSize(2) / heads;
    x = nc.reshape(x, {batch, seq, heads, head});
  }
  int64_t rotary = nc.intAttr("rotary_embedding_dim", 0);
  if (rotary == 0)
    rotary = head;
  if (rotary < 2 || rotary > head || rotary % 2 != 0) {
    nc.error() << "rotary_embedding_dim " << rotary
               << " must be even and at most the head size " << head;
    return failure();
  }
  // The caches at each token's position: [batch, seq, 1, rotary / 2].
  Value caches[2] = {nc.inputs[1], nc.inputs[2]};
  bool positions = static_cast<bool>(nc.optionalInput(3));
  for (Value &cache : caches) {
    RankedTensorType cacheType = typeOf(cache);
    if (cacheType.getElementType() != type.getElementType() ||
        cacheType.getRank() != (positions ? 2 : 3) ||
        cacheType.getShape().back() != rotary / 2) {
      nc.error() << "the cos and sin caches must be "
                 << (positions ? "[positions, " : "[batch, seq, ")
                 << rotary / 2 << "] of the input's type, got " << cacheType;
      return failure();
    }
    if (positions) {
      RankedTensorType ids = nc.inputType(3);
      if (ids.getShape() != ArrayRef<int64_t>{batch, seq}) {
        nc.error() << "position_ids must be [" << batch << ", " << seq
                   << "], got " << ids;
        return failure();
      }
      cache = GatherOp::create(
          nc.builder, nc.loc, cacheType.clone({batch, seq, rotary / 2}), cache,
          nc.inputs[3], nc.builder.getI64IntegerAttr(0));
    }
    cache = nc.reshape(cache, {batch, seq, 1, rotary / 2});
  }
  Value y = rotate(nc, x, caches[0], caches[1], rotary,
                   nc.intAttr("interleaved", 0) != 0);
  if (rank == 4)
    y = TransposeOp::create(nc.builder, nc.loc, type, y,
                            nc.builder.getDenseI64ArrayAttr({0, 2, 1, 3}));
  else
    y = nc.reshape(y, type.getShape());
  nc.outputs.push_back(y);
  return success();
}

/// onnxruntime's RotaryEmbedding (com.microsoft): the same rotation with
/// the inputs (input, position_ids, cos_cache, sin_cache), where
/// position_ids may also be [1] or a scalar, the position of the first
/// token (the others follow it), and a 3-D input may leave out num_heads.
LogicalResult importContribRotaryEmbedding(NodeContext &nc) {
  if (failed(nc.requireInputs(4)) || failed(nc.requireFloatInput(0)))
    return failure();
  if (nc.intAttr("is_packed_batching", 0)) {
    nc.error() << "is_packed_batching is not supported";
    return failure();
  }
  if (nc.floatAttr("scale", 1.0f) != 1.0f) {
    nc.error() << "a scale other than 1 is not supported";
    return failure();
  }
  RankedTensorType type = nc.inputType(0), ids = nc.inputType(1);
  if (!type.hasStaticShape() || type.getRank() < 3 ||
      !ids.getElementType().isInteger(64)) {
    nc.error() << "expects a static input of rank 3 or 4 and int64 "
                  "position_ids, got "
               << type << " and " << ids;
    return failure();
  }
  int64_t batch = type.getDimSize(0),
          seq = type.getDimSize(type.getRank() == 4 ? 2 : 1);
  Value positions = nc.inputs[1];
  if (ids.getNumElements() == 1 && ids.getRank() <= 1) {
    SmallVector<int64_t> offsets;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < seq; ++t)
        offsets.push_back(t);
    Value steps = i64Constant(nc, offsets, {batch, seq});
    positions = bin<AddOp>(nc, steps, nc.reshape(positions, {1}));
  }
  // onnxruntime takes a 3-D input without num_heads (or with 0) as heads
  // of the rotary size, twice the caches' width.
  int64_t defaultHeads = 0;
  RankedTensorType cache = nc.inputType(2);
  if (type.getRank() == 3 && nc.intAttr("rotary_embedding_dim", 0) == 0 &&
      cache.getRank() == 2 && cache.getDimSize(1) > 0 &&
      type.getDimSize(2) % (2 * cache.getDimSize(1)) == 0)
    defaultHeads = type.getDimSize(2) / (2 * cache.getDimSize(1));
  nc.inputs = {nc.inputs[0], nc.inputs[2], nc.inputs[3], positions};
  return importRotaryEmbeddingWith(nc, defaultHeads);
}

} // namespace

LogicalResult importRotaryEmbedding(NodeContext &nc) {
  return importRotaryEmbeddingWith(nc, 0);
}

void addRotaryImporters(StringMap<OpImporterFn> &table) {
  table["RotaryEmbedding"] = importRotaryEmbedding;
}

void addContribRotaryImporters(StringMap<OpImporterFn> &table) {
  table["RotaryEmbedding"] = importContribRotaryEmbedding;
}

} // namespace gcomp::detail
