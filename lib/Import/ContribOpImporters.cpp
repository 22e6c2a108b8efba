//===- ContribOpImporters.cpp - onnxruntime's com.microsoft ops -----------===//
//
// onnxruntime's graph optimizer fuses common patterns into its own contrib
// ops and saves them in the model (domain com.microsoft); exported models
// ship with them. Each is written here as the gcomp ops it stands for, which
// gcomp's own passes then recognize and fuse again (a skip layer norm
// becomes an add and gcomp.layer_norm, a bias GELU an add and gcomp.gelu).
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

/// x + bias where the optional input `i` is present.
Value withBias(NodeContext &nc, Value x, unsigned i) {
  Value bias = nc.optionalInput(i);
  return bias ? bin<AddOp>(nc, x, bias) : x;
}

LogicalResult importGeluFamily(NodeContext &nc, bool tanh, bool bias) {
  if (failed(nc.requireInputs(bias ? 2 : 1)) || failed(nc.requireFloatInput(0)))
    return failure();
  Value x = withBias(nc, nc.inputs[0], 1);
  nc.outputs.push_back(
      GeluOp::create(nc.builder, nc.loc, x, nc.builder.getBoolAttr(tanh)));
  return success();
}

/// FastGelu(X, bias?): the tanh approximation of GELU(X + bias).
LogicalResult importFastGelu(NodeContext &nc) {
  return importGeluFamily(nc, /*tanh=*/true, /*bias=*/false);
}
/// BiasGelu(A, B): the exact GELU(A + B).
LogicalResult importBiasGelu(NodeContext &nc) {
  return importGeluFamily(nc, /*tanh=*/false, /*bias=*/true);
}
/// Gelu(X): the exact GELU.
LogicalResult importContribGelu(NodeContext &nc) {
  return importGeluFamily(nc, /*tanh=*/false, /*bias=*/false);
}

/// QuickGelu(X) = X * sigmoid(alpha * X), alpha 1.702 by default.
LogicalResult importQuickGelu(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  nc.outputs.push_back(swish(nc, nc.inputs[0], nc.floatAttr("alpha", 1.702f)));
  return success();
}

/// BiasAdd(X, bias, skip) = X + bias + skip.
LogicalResult importBiasAdd(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  nc.outputs.push_back(bin<AddOp>(
      nc, bin<AddOp>(nc, nc.inputs[0], nc.inputs[1]), nc.inputs[2]));
  return success();
}

/// SkipLayerNormalization(input, skip, gamma, beta?, bias?): the layer norm
/// over the last axis of s = input + skip (+ bias), times gamma (+ beta).
/// Outputs: the result, the mean, 1 / sqrt(var + epsilon), and s.
/// input + skip (+ the bias at input `biasInput`), of rank 1 or more: what
/// the skip layer norms normalize.
FailureOr<Value> skipSum(NodeContext &nc, unsigned biasInput) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  Value sum =
      withBias(nc, bin<AddOp>(nc, nc.inputs[0], nc.inputs[1]), biasInput);
  if (cast<RankedTensorType>(sum.getType()).getRank() < 1) {
    nc.error() << "expects an input of rank 1 or more";
    return failure();
  }
  return sum;
}

LogicalResult importSkipLayerNorm(NodeContext &nc) {
  FailureOr<Value> sum = skipSum(nc, 4);
  if (failed(sum))
    return failure();
  int64_t rank = cast<RankedTensorType>(sum->getType()).getRank();
  // onnxruntime's default epsilon for this op is 1e-12.
  auto [normalized, mean, invStd] =
      normalize(nc, *sum, {rank - 1}, nc.floatAttr("epsilon", 1e-12f));
  Value y = withBias(nc, bin<MulOp>(nc, normalized, nc.inputs[2]), 3);
  nc.outputs.append({y, mean, invStd, *sum});
  return success();
}

/// SkipSimplifiedLayerNormalization(input, skip, gamma, bias?): the RMS
/// normalization of input + skip (+ bias) over the last axis, times gamma;
/// outputs (output, mean, inv_std_var, input_skip_bias_sum), of which mean
/// is not computed (onnxruntime leaves it out of the simplified norm).
LogicalResult importSkipSimplifiedLayerNorm(NodeContext &nc) {
  if (nc.node.output_size() > 1 && !nc.node.output(1).empty()) {
    nc.error() << "the simplified norm has no mean; output 1 ('"
               << nc.node.output(1) << "') must be left out";
    return failure();
  }
  FailureOr<Value> sum = skipSum(nc, 3);
  if (failed(sum))
    return failure();
  int64_t rank = cast<RankedTensorType>(sum->getType()).getRank();
  // onnxruntime's default epsilon for this op is 1e-12.
  auto [normalized, invStd] =
      rmsNormalize(nc, *sum, {rank - 1}, nc.floatAttr("epsilon", 1e-12f));
  nc.outputs.append(
      {bin<MulOp>(nc, normalized, nc.inputs[2]), invStd, invStd, *sum});
  return success();
}

/// `v` with its last two dims swapped (rank 2 or more).
Value swapLastTwo(NodeContext &nc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm, shape;
  for (int64_t d = 0; d < rank; ++d)
    perm.push_back(d < rank - 2 ? d : (d == rank - 2 ? rank - 1 : rank - 2));
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return nc.builder.createOrFold<TransposeOp>(
      nc.loc, type.clone(shape), v, nc.builder.getDenseI64ArrayAttr(perm));
}

/// FusedMatMul(A, B) = alpha * op(A) op(B), op swapping the last two dims
/// where transA / transB say (onnxruntime's fusion of a MatMul with the
/// transposes and the scale around it, e.g. attention's Q Kt / sqrt(d)).
LogicalResult importFusedMatMul(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(nc.requireFloatInput(0)))
    return failure();
  if (nc.intAttr("transBatchA", 0) || nc.intAttr("transBatchB", 0)) {
    nc.error() << "transBatchA and transBatchB are not supported";
    return failure();
  }
  Value a = nc.inputs[0], b = nc.inputs[1];
  for (auto [value, attr] : {std::pair{&a, "transA"}, {&b, "transB"}}) {
    if (!nc.intAttr(attr, 0))
      continue;
    if (cast<RankedTensorType>(value->getType()).getRank() < 2) {
      nc.error() << attr << " needs an input of rank 2 or more";
      return failure();
    }
    *value = swapLastTwo(nc, *value);
  }
  FailureOr<RankedTensorType> type =
      inferMatMulType(cast<RankedTensorType>(a.getType()),
                      cast<RankedTensorType>(b.getType()), nc.errorFn());
  if (failed(type))
    return failure();
  Value y = MatMulOp::create(nc.builder, nc.loc, *type, a, b);
  float alpha = nc.floatAttr("alpha", 1.0f);
  if (alpha != 1.0f)
    y = bin<MulOp>(nc, y, scalar(nc, type->getElementType(), alpha));
  nc.outputs.push_back(y);
  return success();
}

} // namespace

const StringMap<OpImporterFn> &contribOpImporters() {
  static const StringMap<OpImporterFn> table = [] {
    StringMap<OpImporterFn> t = {
        {"BiasAdd", importBiasAdd},
        {"BiasGelu", importBiasGelu},
        {"FastGelu", importFastGelu},
        {"FusedMatMul", importFusedMatMul},
        {"Gelu", importContribGelu},
        {"QuickGelu", importQuickGelu},
        {"SkipLayerNormalization", importSkipLayerNorm},
        {"SkipSimplifiedLayerNormalization", importSkipSimplifiedLayerNorm},
    };
    addQuantContribOpImporters(t);
    addContribAttentionImporters(t);
    addContribRotaryImporters(t);
    return t;
  }();
  return table;
}

} // namespace gcomp::detail
