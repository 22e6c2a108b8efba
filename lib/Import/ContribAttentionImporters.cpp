//===- ContribAttentionImporters.cpp - BERT's fused contrib ops -----------===//
//
// onnxruntime's transformer optimizer turns a BERT's embeddings into one
// EmbedLayerNormalization and each self-attention block into one Attention
// (domain com.microsoft), or, for models whose projections stay separate
// (encoder-decoder cross-attention), MultiHeadAttention. Both are spelled here with gcomp ops, following
// onnxruntime's CPU kernels: the attention as the packed QKV projection,
// the heads, `Q Kt * scale + mask`, softmax and the product with V, which
// gcomp-fuse-attention turns back into one runtime kernel; the embeddings
// as three gathers, their sum and a layer norm.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include <cmath>
#include <numeric>

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Whether the node names output `i` (a non-empty name).
bool wantsOutput(NodeContext &nc, int i) {
  return nc.node.output_size() > i && !nc.node.output(i).empty();
}

/// (b, s, heads * d) -> (b, heads, s, d).
Value splitHeads(NodeContext &nc, Value v, int64_t heads) {
  RankedTensorType type = typeOf(v);
  int64_t b = type.getDimSize(0), s = type.getDimSize(1),
          d = type.getDimSize(2) / heads;
  return transposed(nc, nc.reshape(v, {b, s, heads, d}), {0, 2, 1, 3});
}

/// softmax(Q Kt * scale + mask + attention bias) V for Q [b, heads, s, d],
/// K [b, heads, t, d] and V [b, heads, t, dv], merged back to [b, s,
/// heads * dv]. The mask follows onnxruntime's mask_index / key padding
/// mask: 1-D [b] (the end of each entry's keys), or raw [b, t] or [b, s,
/// t] (0 masks); with `unidirectional` key j > query i is masked too. A
/// masked score is set to the node's mask_filter_value (-10000 by
/// default), not -inf, as onnxruntime does.
FailureOr<Value> attend(NodeContext &nc, Value q, Value k, Value v,
                        Value mask, Value attentionBias, StringRef maskName) {
  RankedTensorType qt = typeOf(q), kt = typeOf(k), vt = typeOf(v);
  Type t = qt.getElementType();
  int64_t b = qt.getDimSize(0), heads = qt.getDimSize(1),
          s = qt.getDimSize(2), d = qt.getDimSize(3), len = kt.getDimSize(2),
          dv = vt.getDimSize(3);
  Value scores = MatMulOp::create(nc.builder, nc.loc,
                                  RankedTensorType::get({b, heads, s, len}, t),
                                  q, transposed(nc, k, {0, 1, 3, 2}));
  double scale = nc.attr("scale") ? nc.floatAttr("scale", 1.0f)
                                  : 1.0 / std::sqrt(static_cast<double>(d));
  scores = bin<MulOp>(nc, scores, scalar(nc, t, scale));

  Value masked;
  Type i1 = nc.builder.getI1Type();
  if (mask) {
    RankedTensorType m = typeOf(mask);
    Value zero = scalar(nc, m.getElementType(), 0);
    if (!m.getElementType().isSignlessInteger(32)) {
      nc.error() << maskName << " must be int32, got " << m;
      return failure();
    }
    if (m.getRank() == 1 && m.getDimSize(0) == b) {
      // The end of each batch entry's keys: key j is masked from it on.
      SmallVector<int32_t> range(len);
      std::iota(range.begin(), range.end(), 0);
      Value keys = ConstantOp::create(
          nc.builder, nc.loc,
          DenseElementsAttr::get(RankedTensorType::get({1, len}, m.getElementType()),
                                 ArrayRef(range)));
      masked = GreaterEqualOp::create(
          nc.builder, nc.loc, RankedTensorType::get({b, len}, i1), keys,
          nc.reshape(mask, {b, 1}));
      masked = nc.reshape(masked, {b, 1, 1, len});
    } else if (m.getRank() == 2 && m.getDimSize(0) == b &&
               m.getDimSize(1) == len) {
      masked = nc.reshape(bin<EqualOp>(nc, mask, zero), {b, 1, 1, len});
    } else if (m.getRank() == 3 && m.getDimSize(0) == b &&
               m.getDimSize(1) == s && m.getDimSize(2) == len) {
      masked = nc.reshape(bin<EqualOp>(nc, mask, zero), {b, 1, s, len});
    } else {
      nc.error() << maskName << " " << m << " is not supported (1-D end "
                 << "positions [" << b << "], or a raw mask [" << b << ", "
                 << len << "] or [" << b << ", " << s << ", " << len << "])";
      return failure();
    }
  }
  if (nc.intAttr("unidirectional", 0)) {
    SmallVector<bool> future;
    for (int64_t i = 0; i < s; ++i)
      for (int64_t j = 0; j < len; ++j)
        future.push_back(j > i + (len - s));
    Value causal = ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(RankedTensorType::get({1, 1, s, len}, i1),
                               ArrayRef(future)));
    masked = masked ? bin<OrOp>(nc, masked, causal) : causal;
  }
  if (masked) {
    float filter = nc.floatAttr("mask_filter_value", -10000.0f);
    RankedTensorType mt = typeOf(masked);
    Value bias = WhereOp::create(nc.builder, nc.loc, mt.clone(t), masked,
                                 scalar(nc, t, filter), scalar(nc, t, 0));
    scores = bin<AddOp>(nc, scores, bias);
  }
  if (attentionBias)
    scores = bin<AddOp>(nc, scores, attentionBias);
  Value probs = SoftmaxOp::create(nc.builder, nc.loc, typeOf(scores), scores,
                                  nc.builder.getI64IntegerAttr(3),
                                  nc.builder.getF32FloatAttr(1.0f), UnitAttr());
  Value out = MatMulOp::create(nc.builder, nc.loc,
                               RankedTensorType::get({b, heads, s, dv}, t),
                               probs, v);
  return nc.reshape(transposed(nc, out, {0, 2, 1, 3}), {b, s, heads * dv});
}

/// Attention(input, weights, bias?, mask_index?, past?, attention_bias?):
/// multi-head self-attention with the Q, K and V projections packed in one
/// [hidden, 3 * hidden] weight.
LogicalResult importContribAttention(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  if (nc.optionalInput(4) || wantsOutput(nc, 1)) {
    nc.error() << "past and present (a key/value cache) are not supported "
                  "yet";
    return failure();
  }
  if (nc.intAttr("do_rotary", 0)) {
    nc.error() << "do_rotary is not supported yet";
    return failure();
  }
  RankedTensorType in = nc.inputType(0), w = nc.inputType(1);
  int64_t heads = nc.intAttr("num_heads", 0);
  if (!in.hasStaticShape() || in.getRank() != 3 || !w.hasStaticShape() ||
      w.getRank() != 2 || w.getDimSize(0) != in.getDimSize(2) ||
      w.getDimSize(1) % 3 != 0 || heads < 1 ||
      (w.getDimSize(1) / 3) % heads != 0) {
    nc.error() << "expects a static [batch, sequence, hidden] input, a "
                  "[hidden, 3 * H] weight and num_heads dividing H; got "
               << in << ", " << w << " and num_heads " << heads;
    return failure();
  }
  if (auto sizes = nc.intsAttr("qkv_hidden_sizes");
      sizes && !(sizes->size() == 3 && (*sizes)[0] == (*sizes)[1] &&
                 (*sizes)[1] == (*sizes)[2])) {
    nc.error() << "qkv_hidden_sizes other than three equal sizes are not "
                  "supported yet";
    return failure();
  }
  Type t = in.getElementType();
  int64_t b = in.getDimSize(0), s = in.getDimSize(1),
          hidden = w.getDimSize(1) / 3, d = hidden / heads;

  // [b, s, 3 * hidden] -> [3, b, heads, s, d], then Q, K and V.
  Value qkv = MatMulOp::create(nc.builder, nc.loc,
                               RankedTensorType::get({b, s, 3 * hidden}, t),
                               nc.inputs[0], nc.inputs[1]);
  if (Value bias = nc.optionalInput(2))
    qkv = bin<AddOp>(nc, qkv, bias);
  qkv = transposed(nc, nc.reshape(qkv, {b, s, 3, heads, d}), {2, 0, 3, 1, 4});
  auto part = [&](int64_t i) {
    Value index = ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(RankedTensorType::get({}, nc.builder.getI64Type()),
                               i));
    return GatherOp::create(nc.builder, nc.loc,
                            RankedTensorType::get({b, heads, s, d}, t), qkv,
                            index, nc.builder.getI64IntegerAttr(0))
        .getResult();
  };
  FailureOr<Value> out = attend(nc, part(0), part(1), part(2),
                                nc.optionalInput(3), nc.optionalInput(5),
                                "mask_index");
  if (failed(out))
    return failure();
  nc.outputs.push_back(*out);
  return success();
}

/// MultiHeadAttention(query, key, value, bias?, key_padding_mask?,
/// attention_bias?): attention over separate (already projected) Q, K and
/// V, [batch, length, heads * head_size] each; present_key / present_value
/// are the heads of K and V.
LogicalResult importMultiHeadAttention(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  if (nc.optionalInput(6) || nc.optionalInput(7)) {
    nc.error() << "past_key and past_value (a key/value cache) are not "
                  "supported yet";
    return failure();
  }
  int64_t heads = nc.intAttr("num_heads", 0);
  RankedTensorType qt = nc.inputType(0), kt = nc.inputType(1),
                   vt = nc.inputType(2);
  bool fits = heads > 0;
  for (RankedTensorType x : {qt, kt, vt})
    fits = fits && x.hasStaticShape() && x.getRank() == 3 &&
           x.getDimSize(0) == qt.getDimSize(0) && x.getDimSize(2) % heads == 0;
  fits = fits && kt.getDimSize(1) == vt.getDimSize(1) &&
         kt.getDimSize(2) == qt.getDimSize(2);
  if (!fits) {
    nc.error() << "expects static 3-D query, key and value [batch, length, "
                  "num_heads * size] (query's and key's sizes equal), got "
               << qt << ", " << kt << ", " << vt << " with num_heads "
               << heads;
    return failure();
  }
  Value q = nc.inputs[0], k = nc.inputs[1], v = nc.inputs[2];
  if (Value bias = nc.optionalInput(3)) {
    // [D + D + Dv]: the biases of Q, K and V in turn.
    int64_t dq = qt.getDimSize(2), dv = vt.getDimSize(2);
    RankedTensorType bt = typeOf(bias);
    if (bt.getRank() != 1 || bt.getDimSize(0) != 2 * dq + dv) {
      nc.error() << "bias must be [" << 2 * dq + dv << "], got " << bt;
      return failure();
    }
    auto slice = [&](int64_t begin, int64_t size) {
      SmallVector<int64_t> index(size);
      std::iota(index.begin(), index.end(), begin);
      Value idx = ConstantOp::create(
          nc.builder, nc.loc,
          DenseElementsAttr::get(
              RankedTensorType::get({size}, nc.builder.getI64Type()),
              ArrayRef(index)));
      return GatherOp::create(nc.builder, nc.loc, bt.clone({size}), bias, idx,
                              nc.builder.getI64IntegerAttr(0))
          .getResult();
    };
    q = bin<AddOp>(nc, q, slice(0, dq));
    k = bin<AddOp>(nc, k, slice(dq, dq));
    v = bin<AddOp>(nc, v, slice(2 * dq, dv));
  }
  Value kh = splitHeads(nc, k, heads), vh = splitHeads(nc, v, heads);
  FailureOr<Value> out =
      attend(nc, splitHeads(nc, q, heads), kh, vh, nc.optionalInput(4),
             nc.optionalInput(5), "key_padding_mask");
  if (failed(out))
    return failure();
  nc.outputs.append({*out, kh, vh});
  return success();
}

/// EmbedLayerNormalization(input_ids, segment_ids?, word_embedding,
/// position_embedding, segment_embedding?, gamma, beta, mask?,
/// position_ids?): the layer norm of the sum of the three embeddings
/// (positions 0..S-1 unless given); mask_index is the number of ones in
/// each row of the mask (0 without one), the optional third output the
/// sum before the norm.
LogicalResult importEmbedLayerNorm(NodeContext &nc) {
  for (unsigned i : {0u, 2u, 3u, 5u, 6u})
    if (failed(nc.requiredInput(i)))
      return failure();
  RankedTensorType ids = nc.inputType(0), words = nc.inputType(2);
  if (ids.getRank() != 2 || !ids.hasStaticShape() || words.getRank() != 2 ||
      !isa<FloatType>(words.getElementType())) {
    nc.error() << "expects [batch, sequence] input_ids and a 2-D float "
                  "word_embedding; got "
               << ids << " and " << words;
    return failure();
  }
  Type t = words.getElementType();
  int64_t b = ids.getDimSize(0), s = ids.getDimSize(1),
          hidden = words.getDimSize(1);
  auto embed = [&](Value table, Value index) {
    SmallVector<int64_t> shape(typeOf(index).getShape());
    shape.push_back(hidden);
    return GatherOp::create(nc.builder, nc.loc, RankedTensorType::get(shape, t),
                            table, index, nc.builder.getI64IntegerAttr(0))
        .getResult();
  };
  Value sum = embed(nc.inputs[2], nc.inputs[0]);
  Value positions = nc.optionalInput(8);
  if (!positions) {
    SmallVector<int32_t> range(s);
    std::iota(range.begin(), range.end(), 0);
    positions = ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(
            RankedTensorType::get({1, s}, nc.builder.getI32Type()),
            ArrayRef(range)));
  }
  sum = bin<AddOp>(nc, sum, embed(nc.inputs[3], positions));
  Value segments = nc.optionalInput(1), segmentTable = nc.optionalInput(4);
  if (segments && segmentTable)
    sum = bin<AddOp>(nc, sum, embed(segmentTable, segments));
  auto [normalized, mean, invStd] =
      normalize(nc, sum, {2}, nc.floatAttr("epsilon", 1e-12f));
  Value y = bin<AddOp>(nc, bin<MulOp>(nc, normalized, nc.inputs[5]),
                       nc.inputs[6]);
  (void)mean;
  (void)invStd;
  Value maskIndex;
  auto indexType = RankedTensorType::get({b}, nc.builder.getI32Type());
  if (Value mask = nc.optionalInput(7)) {
    maskIndex = nc.castTo(
        ReduceSumOp::create(nc.builder, nc.loc,
                            typeOf(mask).clone({b}), mask,
                            nc.builder.getDenseI64ArrayAttr({1}),
                            nc.builder.getBoolAttr(false)),
        nc.builder.getI32Type());
  } else {
    maskIndex = ConstantOp::create(nc.builder, nc.loc,
                                   DenseElementsAttr::get(indexType, int32_t(0)));
  }
  nc.outputs.append({y, maskIndex, sum});
  return success();
}

} // namespace

void addContribAttentionImporters(StringMap<OpImporterFn> &table) {
  table["Attention"] = importContribAttention;
  table["EmbedLayerNormalization"] = importEmbedLayerNorm;
  table["MultiHeadAttention"] = importMultiHeadAttention;
}

} // namespace gcomp::detail
