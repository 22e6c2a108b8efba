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

/// GroupQueryAttention (com.microsoft), the attention of
/// onnxruntime-genai's decoders: per batch entry b, the S new tokens sit
/// after past_len[b] = seqlens_k[b] + 1 - S cached ones. Q and K are
/// rotated at those positions (do_rotary), the new K and V are written
/// into the present caches after the past (which may be a larger, shared
/// buffer: its rows past past_len[b] are zeros in the present, as
/// onnxruntime leaves them), and each query attends causally to the
/// present's first seqlens_k[b] + 1 keys, kv head h / (H / kv_num_heads).
/// The presents are built at their bound, past + S rows, and hold
/// max(past, total_sequence_length) of them: a size the inputs' values
/// decide.
LogicalResult importGroupQueryAttention(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  static const char *const unsupportedInputs[] = {
      "position_ids", "attention_bias", "head_sink", "k_scale",
      "v_scale",      "q_norm_weight",  "k_norm_weight", "query_seqlens"};
  for (unsigned i = 9; i < nc.inputs.size(); ++i)
    if (nc.inputs[i]) {
      InFlightDiagnostic diag = nc.error();
      diag << "input " << i;
      if (i - 9 < std::size(unsupportedInputs))
        diag << " (" << unsupportedInputs[i - 9] << ")";
      diag << " is not supported";
      return failure();
    }
  for (auto [name, none] :
       {std::pair{"local_window_size", int64_t(-1)}, {"qk_output", 0},
        {"kv_cache_bit_width", 0}})
    if (nc.intAttr(name, none) != none) {
      nc.error() << name << "=" << nc.intAttr(name, none)
                 << " is not supported";
      return failure();
    }
  // onnxruntime turns the smooth softmax on for 1 only.
  if (nc.intAttr("smooth_softmax", -1) == 1) {
    nc.error() << "smooth_softmax=1 is not supported";
    return failure();
  }
  for (const char *name : {"k_quant_type", "v_quant_type"})
    if (const onnx::AttributeProto *a = nc.attr(name);
        a && a->s() != "NONE") {
      nc.error() << name << " '" << a->s() << "' is not supported";
      return failure();
    }
  if (wantsOutput(nc, 3)) {
    nc.error() << "output_qk is not supported";
    return failure();
  }
  if (nc.inputs.size() < 7 || !nc.inputs[5] || !nc.inputs[6]) {
    nc.error() << "needs seqlens_k (input 5) and total_sequence_length "
                  "(input 6)";
    return failure();
  }
  int64_t heads = nc.intAttr("num_heads", 0),
          kvHeads = nc.intAttr("kv_num_heads", 0);
  RankedTensorType qType = nc.inputType(0);
  if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 ||
      qType.getRank() != 3 || !qType.hasStaticShape()) {
    nc.error() << "needs num_heads a multiple of kv_num_heads and a static "
                  "query [batch, seq, hidden], got "
               << heads << ", " << kvHeads << " and " << qType;
    return failure();
  }
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  Value query = nc.inputs[0], key = nc.optionalInput(1),
        value = nc.optionalInput(2);
  int64_t head;
  auto sliceHidden = [&](Value v, int64_t start, int64_t width) -> Value {
    SmallVector<int64_t> starts = {0, 0, start}, steps = {1, 1, 1};
    return nc.builder.createOrFold<SliceOp>(
        nc.loc, qType.clone({batch, seq, width}), v,
        nc.builder.getDenseI64ArrayAttr(starts),
        nc.builder.getDenseI64ArrayAttr(steps));
  };
  if (!key && !value) { // packed QKV
    int64_t hidden = qType.getDimSize(2);
    if (hidden % (heads + 2 * kvHeads) != 0) {
      nc.error() << "packed QKV hidden size " << hidden
                 << " is not (num_heads + 2 * kv_num_heads) * head size";
      return failure();
    }
    head = hidden / (heads + 2 * kvHeads);
    key = sliceHidden(query, heads * head, kvHeads * head);
    value = sliceHidden(query, (heads + kvHeads) * head, kvHeads * head);
    query = sliceHidden(query, 0, heads * head);
  } else if (key && value) {
    head = qType.getDimSize(2) / heads;
    SmallVector<int64_t> kvShape = {batch, seq, kvHeads * head};
    if (qType.getDimSize(2) % heads != 0 ||
        typeOf(key).getShape() != ArrayRef(kvShape) ||
        typeOf(value).getShape() != ArrayRef(kvShape)) {
      nc.error() << "key and value must be [" << batch << ", " << seq << ", "
                 << kvHeads * head << "], got " << typeOf(key) << " and "
                 << typeOf(value);
      return failure();
    }
  } else {
    nc.error() << "needs both key and value, or neither (packed QKV)";
    return failure();
  }
  Value pastK = nc.optionalInput(3), pastV = nc.optionalInput(4);
  int64_t past = 0;
  if (pastK || pastV) {
    SmallVector<int64_t> expected = {batch, kvHeads, -1, head};
    auto fits = [&](Value v) {
      RankedTensorType t = v ? typeOf(v) : RankedTensorType();
      return t && t.hasStaticShape() && t.getRank() == 4 &&
             t.getDimSize(0) == batch && t.getDimSize(1) == kvHeads &&
             t.getDimSize(3) == head;
    };
    if (!fits(pastK) || !fits(pastV) ||
        typeOf(pastK).getShape() != typeOf(pastV).getShape()) {
      nc.error() << "past_key and past_value must both be [" << batch << ", "
                 << kvHeads << ", past, " << head << "]";
      return failure();
    }
    past = typeOf(pastK).getDimSize(2);
  }
  RankedTensorType seqlensType = nc.inputType(5), totalType = nc.inputType(6);
  if (!seqlensType.getElementType().isInteger(32) ||
      seqlensType.getShape() != ArrayRef(batch) ||
      !totalType.getElementType().isInteger(32) ||
      totalType.getNumElements() != 1) {
    nc.error() << "seqlens_k must be int32 [" << batch
               << "] and total_sequence_length an int32 scalar, got "
               << seqlensType << " and " << totalType;
    return failure();
  }
  OpBuilder &b = nc.builder;
  Type i64 = b.getI64Type(), f = qType.getElementType();
  int64_t bound = past + seq;
  // past_len[b], kept within [0, past] so that a bad seqlens_k cannot
  // write outside the caches.
  Value pastLen = bin<SubOp>(nc, nc.castTo(nc.inputs[5], i64),
                             i64Constant(nc, {seq - 1}, {}));
  pastLen = bin<MinOp>(nc, bin<MaxOp>(nc, pastLen, i64Constant(nc, {0}, {})),
                       i64Constant(nc, {past}, {}));
  Value validKeys = bin<AddOp>(nc, pastLen, i64Constant(nc, {seq}, {}));
  Value positions = bin<AddOp>(nc, nc.reshape(pastLen, {batch, 1}),
                               nc.reshape(iota(nc, seq), {1, seq}));
  Value q4 = nc.reshape(query, {batch, seq, heads, head});
  Value k4 = nc.reshape(key, {batch, seq, kvHeads, head});
  Value v4 = nc.reshape(value, {batch, seq, kvHeads, head});
  if (nc.intAttr("do_rotary", 0)) {
    Value cos = nc.optionalInput(7), sin = nc.optionalInput(8);
    if (!cos || !sin || typeOf(cos).getRank() != 2 ||
        typeOf(cos) != typeOf(sin) || typeOf(cos).getElementType() != f ||
        typeOf(cos).getDimSize(1) < 1 || 2 * typeOf(cos).getDimSize(1) > head) {
      nc.error() << "do_rotary needs cos_cache and sin_cache [positions, "
                    "rotary / 2] of the query's type, rotary <= "
                 << head;
      return failure();
    }
    int64_t rotary = 2 * typeOf(cos).getDimSize(1);
    bool interleaved = nc.intAttr("rotary_interleaved", 0) != 0;
    q4 = rotaryEmbedding(nc, q4, cos, sin, positions, rotary, interleaved);
    k4 = rotaryEmbedding(nc, k4, cos, sin, positions, rotary, interleaved);
  }
  auto heads4 = [&](Value v) {
    RankedTensorType t = typeOf(v);
    return TransposeOp::create(
        b, nc.loc,
        t.clone({t.getDimSize(0), t.getDimSize(2), t.getDimSize(1),
                 t.getDimSize(3)}),
        v, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  };
  Value q = heads4(q4), k = heads4(k4), v = heads4(v4);
  // The presents: the past's first past_len[b] rows, the new rows after
  // them, zeros elsewhere.
  auto presentType = RankedTensorType::get({batch, kvHeads, bound, head}, f);
  Value kept = LessOp::create(
      b, nc.loc, RankedTensorType::get({batch, 1, bound, 1}, b.getI1Type()),
      nc.reshape(iota(nc, bound), {1, 1, bound, 1}),
      nc.reshape(pastLen, {batch, 1, 1, 1}));
  Value indices = BroadcastToOp::create(
      b, nc.loc, RankedTensorType::get({batch, kvHeads, seq, head}, i64),
      nc.reshape(positions, {batch, 1, seq, 1}));
  auto present = [&](Value pastValue, Value now) -> Value {
    Value base = ConstantOp::create(
        b, nc.loc,
        DenseElementsAttr::get(presentType, b.getFloatAttr(f, 0.0)));
    if (pastValue) {
      SmallVector<int64_t> pads = {0, 0, 0, 0, 0, 0, seq, 0};
      Value padded = PadOp::create(b, nc.loc, presentType, pastValue,
                                   b.getDenseI64ArrayAttr(pads),
                                   b.getStringAttr("constant"),
                                   b.getF64FloatAttr(0.0));
      base = WhereOp::create(b, nc.loc, presentType, kept, padded, base);
    }
    return ScatterElementsOp::create(b, nc.loc, presentType, base, indices,
                                     now, b.getI64IntegerAttr(2),
                                     b.getStringAttr("none"));
  };
  Value presentK = present(pastK, k), presentV = present(pastV, v);
  Value total = nc.castTo(nc.reshape(nc.inputs[6], {}), i64);
  nc.inputs = {q, presentK, presentV, Value(), Value(), Value(), validKeys};
  AttentionOptions options;
  options.causal = true;
  if (float scale = nc.floatAttr("scale", 0.0f); scale != 0.0f)
    options.scale = scale;
  options.softcap = nc.floatAttr("softcap", 0.0f);
  if (failed(buildAttention(nc, options)))
    return failure();
  Value out = nc.outputs.front();
  out = TransposeOp::create(b, nc.loc, qType.clone({batch, seq, heads, head}),
                            out, b.getDenseI64ArrayAttr({0, 2, 1, 3}));
  out = nc.reshape(out, {batch, seq, heads * head});
  nc.outputs = {out, presentK, presentV};
  // max(past, total_sequence_length) rows, at most the bound.
  Value rowsHeld = bin<MinOp>(nc, bin<MaxOp>(nc, total, i64Constant(nc, {past}, {})),
                              i64Constant(nc, {bound}, {}));
  for (unsigned i : {1u, 2u})
    if (wantsOutput(nc, i))
      nc.setDataDependentSize(i, {Value(), Value(), rowsHeld, Value()});
  return success();
}

} // namespace

void addContribAttentionImporters(StringMap<OpImporterFn> &table) {
  table["Attention"] = importContribAttention;
  table["EmbedLayerNormalization"] = importEmbedLayerNorm;
  table["GroupQueryAttention"] = importGroupQueryAttention;
  table["MultiHeadAttention"] = importMultiHeadAttention;
}

} // namespace gcomp::detail
