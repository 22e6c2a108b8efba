//===- AttentionImporter.cpp - ONNX Attention (opset 23) ------------------===//
//
// Spelled with matmuls, a masked, numerically safe softmax and reshapes,
// following the ONNX reference: 3-D inputs are split into heads, past
// key/value caches are concatenated (and returned as present_*), grouped
// query attention repeats the kv heads, masks are padded to the total
// sequence, causal masking is bottom-right aligned with the cache, and rows
// that are fully masked produce zeros.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

struct Builder {
  NodeContext &nc;
  Type t; // the float element type

  RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

  template <typename OpT> Value bin(Value a, Value b, bool predicate = false) {
    auto inferred = inferBroadcastType(typeOf(a), typeOf(b), nullptr);
    if (failed(inferred))
      return nc.mismatch(a, OpT::getOperationName(), {a, b});
    auto type = *inferred;
    if (predicate)
      type = type.clone(nc.builder.getI1Type());
    return nc.builder.createOrFold<OpT>(nc.loc, type, a, b);
  }
  Value scalar(double v) {
    return ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(RankedTensorType::get({}, t),
                               ArrayRef<Attribute>{nc.builder.getFloatAttr(t, v)}));
  }
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    auto type = inferTransposeType(typeOf(v), perm, nullptr);
    if (failed(type))
      return nc.mismatch(v, "transpose", {v});
    return TransposeOp::create(nc.builder, nc.loc, *type, v, perm);
  }
  Value matmul(Value a, Value b) {
    auto type = inferMatMulType(typeOf(a), typeOf(b), nullptr);
    if (failed(type))
      return nc.mismatch(a, "matmul", {a, b});
    return MatMulOp::create(nc.builder, nc.loc, *type, a, b);
  }
  Value where(Value c, Value x, Value y) {
    auto type = inferWhereType(typeOf(c), typeOf(x), typeOf(y), nullptr);
    if (failed(type))
      return nc.mismatch(x, "where", {c, x, y});
    return nc.builder.createOrFold<WhereOp>(nc.loc, *type, c, x, y);
  }
  template <typename OpT> Value reduceLast(Value v) {
    auto type = typeOf(v);
    SmallVector<int64_t> shape(type.getShape());
    shape.back() = 1;
    return OpT::create(nc.builder, nc.loc, type.clone(shape), v,
                       nc.builder.getDenseI64ArrayAttr({type.getRank() - 1}),
                       nc.builder.getBoolAttr(true));
  }
  /// -inf where `mask` is false, 0 where true.
  Value boolToBias(Value mask) {
    return where(mask, scalar(0), scalar(-INFINITY));
  }
  /// (B, S, H*D) -> (B, H, S, D).
  Value splitHeads(Value v, int64_t heads) {
    auto type = typeOf(v);
    int64_t b = type.getDimSize(0), s = type.getDimSize(1),
            d = type.getDimSize(2) / heads;
    return transpose(nc.reshape(v, {b, s, heads, d}), {0, 2, 1, 3});
  }
  /// (B, kvH, T, D) -> (B, kvH * reps, T, D), each head repeated in place.
  Value repeatHeads(Value v, int64_t reps) {
    if (reps == 1)
      return v;
    auto type = typeOf(v);
    int64_t b = type.getDimSize(0), h = type.getDimSize(1),
            s = type.getDimSize(2), d = type.getDimSize(3);
    Value expanded = nc.reshape(v, {b, h, 1, s, d});
    Value tiled = BroadcastToOp::create(
        nc.builder, nc.loc, type.clone({b, h, reps, s, d}), expanded);
    return nc.reshape(tiled, {b, h * reps, s, d});
  }
};

} // namespace

LogicalResult buildAttention(NodeContext &nc, const AttentionOptions &options) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  int64_t leftWindow = options.leftWindow, rightWindow = options.rightWindow;
  if (leftWindow < -1 || rightWindow < -1) {
    nc.error() << "left_window_size and right_window_size must be -1 or "
                  "non-negative";
    return failure();
  }
  Builder b{nc, nc.inputType(0).getElementType()};
  Value q = nc.inputs[0], k = nc.inputs[1], v = nc.inputs[2];
  Value mask = nc.optionalInput(3);
  Value pastK = nc.optionalInput(4);
  Value pastV = nc.optionalInput(5);
  Type element = b.typeOf(q).getElementType();
  for (Value x : {q, k, v})
    if (!b.typeOf(x).hasStaticShape() ||
        b.typeOf(x).getElementType() != element) {
      nc.error() << "expects static shapes of one element type, got "
                 << b.typeOf(q) << ", " << b.typeOf(k) << " and "
                 << b.typeOf(v);
      return failure();
    }
  int64_t rank = b.typeOf(q).getRank();
  if ((rank != 3 && rank != 4) || b.typeOf(k).getRank() != rank ||
      b.typeOf(v).getRank() != rank) {
    nc.error() << "expects 3-D or 4-D Q, K and V, got " << b.typeOf(q) << ", "
               << b.typeOf(k) << " and " << b.typeOf(v);
    return failure();
  }
  for (Value x : {mask, pastK, pastV})
    if (x && (b.typeOf(x).getRank() < 1 ||
              (x != mask && b.typeOf(x).getRank() != 4))) {
      nc.error() << "expects a mask of rank 1 or more and 4-D past keys "
                    "and values, got "
                 << b.typeOf(x);
      return failure();
    }
  // The number of valid keys per batch entry (an external, padded cache).
  Value validKeys = nc.optionalInput(6);
  if (validKeys && (pastK || pastV)) {
    nc.error() << "nonpad_kv_seqlen cannot be combined with past_key and "
                  "past_value";
    return failure();
  }
  if (validKeys && (!isa<IntegerType>(b.typeOf(validKeys).getElementType()) ||
                    b.typeOf(validKeys).getRank() != 1 ||
                    b.typeOf(validKeys).getDimSize(0) !=
                        b.typeOf(q).getDimSize(0))) {
    nc.error() << "nonpad_kv_seqlen must be an integer [batch] tensor, got "
               << b.typeOf(validKeys);
    return failure();
  }
  int64_t qHeads, kvHeads;
  if (rank == 3) {
    qHeads = options.qHeads;
    kvHeads = options.kvHeads;
    if (qHeads < 1 || kvHeads < 1) {
      nc.error() << "3-D inputs need q_num_heads and kv_num_heads";
      return failure();
    }
    if (b.typeOf(q).getDimSize(2) % qHeads ||
        b.typeOf(k).getDimSize(2) % kvHeads ||
        b.typeOf(v).getDimSize(2) % kvHeads) {
      nc.error() << "hidden sizes " << b.typeOf(q).getDimSize(2) << ", "
                 << b.typeOf(k).getDimSize(2) << " and "
                 << b.typeOf(v).getDimSize(2) << " are not multiples of "
                 << qHeads << " and " << kvHeads << " heads";
      return failure();
    }
    q = b.splitHeads(q, qHeads);
    k = b.splitHeads(k, kvHeads);
    v = b.splitHeads(v, kvHeads);
  } else {
    qHeads = b.typeOf(q).getDimSize(1);
    kvHeads = b.typeOf(k).getDimSize(1);
  }
  // [batch, heads, length, head size] each: K and V agree on all but the
  // head size, Q and K on the batch and the head size.
  RankedTensorType qt = b.typeOf(q), kt = b.typeOf(k), vt = b.typeOf(v);
  if (kt.getDimSize(0) != qt.getDimSize(0) ||
      vt.getDimSize(0) != qt.getDimSize(0) ||
      kt.getDimSize(1) != vt.getDimSize(1) ||
      kt.getDimSize(2) != vt.getDimSize(2) ||
      kt.getDimSize(3) != qt.getDimSize(3)) {
    nc.error() << "Q " << qt << ", K " << kt << " and V " << vt
               << " (as [batch, heads, length, head size]) do not fit";
    return failure();
  }
  if (kvHeads < 1 || qHeads % kvHeads) {
    nc.error() << qHeads << " query heads are not a multiple of " << kvHeads
               << " key/value heads";
    return failure();
  }
  auto concat = [&](Value past, Value now) -> FailureOr<Value> {
    auto type = inferConcatType(TypeRange{past.getType(), now.getType()}, 2,
                                nc.errorFn());
    if (failed(type))
      return failure();
    return Value(ConcatOp::create(nc.builder, nc.loc, *type,
                                  ValueRange{past, now},
                                  nc.builder.getI64IntegerAttr(2)));
  };
  int64_t pastLength = 0;
  if (pastK && pastV) {
    pastLength = b.typeOf(pastK).getDimSize(2);
    auto kk = concat(pastK, k), vv = concat(pastV, v);
    if (failed(kk) || failed(vv))
      return failure();
    k = *kk;
    v = *vv;
  }
  Value presentK = k, presentV = v;
  int64_t headSize = b.typeOf(q).getDimSize(3);
  int64_t qLength = b.typeOf(q).getDimSize(2), total = b.typeOf(k).getDimSize(2);
  double scale = options.scale ? *options.scale
                                : 1.0 / std::sqrt(static_cast<double>(headSize));
  // The reference scales Q and K by sqrt(scale) each.
  Value rootScale = b.scalar(static_cast<float>(std::sqrt(scale)));
  Value keys = b.repeatHeads(k, qHeads / kvHeads);
  Value values = b.repeatHeads(v, qHeads / kvHeads);
  Value scores = b.matmul(b.bin<MulOp>(q, rootScale),
                          b.transpose(b.bin<MulOp>(keys, rootScale), {0, 1, 3, 2}));
  float softcap = options.softcap;
  if (softcap > 0) {
    Value cap = b.scalar(softcap);
    scores = b.bin<MulOp>(TanhOp::create(nc.builder, nc.loc, b.bin<DivOp>(scores, cap)),
                          cap);
  }
  Value qkOut = scores;

  // The additive bias: the mask (padded to the total length), then causal.
  Value bias = b.scalar(0);
  if (mask) {
    auto maskType = b.typeOf(mask);
    // It broadcasts to the scores, [batch, heads, queries, keys], its last
    // dim at most the keys (it is padded to them).
    SmallVector<int64_t> scoresShape = {b.typeOf(q).getDimSize(0), qHeads,
                                        qLength, total};
    bool fits = maskType.hasStaticShape() && maskType.getRank() <= 4 &&
                maskType.getShape().back() <= total &&
                (maskType.getElementType().isInteger(1) ||
                 maskType.getElementType() == element);
    for (int64_t i = 2; fits && i <= maskType.getRank(); ++i) {
      int64_t d = maskType.getDimSize(maskType.getRank() - i);
      fits = d == 1 || d == scoresShape[4 - i];
    }
    if (!fits) {
      nc.error() << "attn_mask " << maskType
                 << " does not broadcast to the scores [" << scoresShape[0]
                 << ", " << qHeads << ", " << qLength << ", " << total << "]";
      return failure();
    }
    int64_t padWidth = total - maskType.getDimSize(maskType.getRank() - 1);
    bool isBool = maskType.getElementType().isInteger(1);
    if (padWidth > 0) {
      SmallVector<int64_t> pads(2 * maskType.getRank(), 0), shape(maskType.getShape());
      pads.back() = padWidth;
      shape.back() = total;
      mask = PadOp::create(nc.builder, nc.loc, maskType.clone(shape), mask,
                           nc.builder.getDenseI64ArrayAttr(pads),
                           nc.builder.getStringAttr("constant"),
                           nc.builder.getF64FloatAttr(isBool ? 0.0 : -INFINITY));
    }
    bias = isBool ? b.boolToBias(mask) : mask;
  }
  // Query row i is at position i + offset among the keys: the past's
  // length, or with nonpad_kv_seqlen, per batch entry, the valid keys less
  // the queries (a padded external cache). Causal masking and the sliding
  // window are aligned to that position.
  int64_t batch = b.typeOf(q).getDimSize(0);
  Type i64 = nc.builder.getI64Type();
  Value keyIndex = nc.reshape(iota(nc, total), {1, 1, total});
  Value keysValid = validKeys ? nc.castTo(validKeys, i64) : Value();
  // (i + offset) - j: [q, total], or [batch, q, total] per batch entry.
  auto distance = [&]() -> Value {
    if (!keysValid) {
      SmallVector<int64_t> d;
      for (int64_t i = 0; i < qLength; ++i)
        for (int64_t j = 0; j < total; ++j)
          d.push_back(i + pastLength - j);
      return i64Constant(nc, d, {qLength, total});
    }
    Value offset = nc.reshape(
        b.bin<SubOp>(keysValid, i64Constant(nc, {qLength}, {})), {batch, 1, 1});
    Value position =
        b.bin<AddOp>(nc.reshape(iota(nc, qLength), {1, qLength, 1}), offset);
    return b.bin<SubOp>(position, keyIndex);
  };
  // An allowed-or-not mask [q, total] or [batch, q or 1, total] as a bias
  // broadcasting against [batch, heads, q, total].
  auto addMask = [&](Value allowed) {
    Value maskBias = b.boolToBias(allowed);
    RankedTensorType maskType = b.typeOf(maskBias);
    if (maskType.getRank() == 3)
      maskBias = nc.reshape(maskBias, {batch, 1, maskType.getDimSize(1), total});
    bias = b.bin<AddOp>(bias, maskBias);
  };
  Value zero = i64Constant(nc, {0}, {});
  if (options.causal)
    addMask(b.bin<GreaterEqualOp>(distance(), zero, true));
  if (leftWindow >= 0)
    addMask(b.bin<LessEqualOp>(distance(), i64Constant(nc, {leftWindow}, {}), true));
  if (rightWindow >= 0)
    addMask(b.bin<GreaterEqualOp>(distance(), i64Constant(nc, {-rightWindow}, {}),
                                  true));
  if (keysValid) {
    Value valid = b.bin<LessOp>(keyIndex, nc.reshape(keysValid, {batch, 1, 1}),
                                true);
    addMask(valid);
  }
  Value withBias = b.bin<AddOp>(scores, bias);
  int64_t mode = options.qkOutputMode;
  if (mode == 2)
    qkOut = withBias;

  // Softmax that maps fully masked rows to 0 instead of NaN.
  auto isNegInf = [&](Value x) {
    return IsInfOp::create(nc.builder, nc.loc,
                           b.typeOf(x).clone(nc.builder.getI1Type()), x,
                           nc.builder.getBoolAttr(false),
                           nc.builder.getBoolAttr(true))
        .getResult();
  };
  Value rowMax = b.reduceLast<ReduceMaxOp>(withBias);
  Value safeMax = b.where(isNegInf(rowMax), b.scalar(0), rowMax);
  Value e = ExpOp::create(nc.builder, nc.loc, b.bin<SubOp>(withBias, safeMax));
  Value sum = b.reduceLast<ReduceSumOp>(e);
  sum = b.where(b.bin<EqualOp>(sum, b.scalar(0), true), b.scalar(1), sum);
  Value probs = b.bin<DivOp>(e, sum);
  if (b.typeOf(bias).getRank() > 0) {
    Value biasRowMasked = isNegInf(b.reduceLast<ReduceMaxOp>(bias));
    probs = b.where(biasRowMasked, b.scalar(0), probs);
  }
  if (mode == 3)
    qkOut = probs;

  Value out = b.matmul(probs, values);
  if (rank == 3) {
    auto type = b.typeOf(out);
    out = nc.reshape(b.transpose(out, {0, 2, 1, 3}),
                     {type.getDimSize(0), type.getDimSize(2),
                      type.getDimSize(1) * type.getDimSize(3)});
  }
  nc.outputs.append({out, presentK, presentV, qkOut});
  return success();
}

namespace {

LogicalResult importAttention(NodeContext &nc) {
  AttentionOptions options;
  options.qHeads = nc.intAttr("q_num_heads", 0);
  options.kvHeads = nc.intAttr("kv_num_heads", 0);
  options.causal = nc.intAttr("is_causal", 0) != 0;
  options.leftWindow = nc.intAttr("left_window_size", -1);
  options.rightWindow = nc.intAttr("right_window_size", -1);
  if (nc.attr("scale"))
    options.scale = nc.floatAttr("scale", 1.0f);
  options.softcap = nc.floatAttr("softcap", 0.0f);
  options.qkOutputMode = nc.intAttr("qk_matmul_output_mode", 0);
  return buildAttention(nc, options);
}

} // namespace

void addAttentionImporter(StringMap<OpImporterFn> &table) {
  table["Attention"] = importAttention;
}

} // namespace gcomp::detail
