//===- DataDependentSizes.cpp - ops on values whose size depends on data --===//
//
// A value whose size depends on the data (NonZero's, NonMaxSuppression's
// ...) is held at its bound with its actual dims beside it, and its
// entries past the actual size are defined (0 where it is made). An op
// may take such a value where the op's result is again "the actual result
// at the front of the bound", its padding computed from defined values
// without a trap, and its actual dims follow from the operand's:
//
//  - elementwise ops, where the other operands do not vary along the dims
//    that vary (they broadcast along them) or vary the same way; integer
//    division and remainder not by such a value (its padding may be 0);
//  - Transpose; Unsqueeze; Squeeze, Slice and Gather along dims that do not
//    vary; Gather and GatherND by such indices (their padding, 0, is a
//    valid index), which is how detectors pick their boxes after NMS;
//  - Concat, along a dim that does not vary, of values that vary alike.
//
// Each varying dim's actual size is a rank-0 i64 value (NonZero's count,
// ...); "alike" means the same values. Anything else (a reduction, a
// reshape...) would mix the padding into the result, and is refused with
// the nodes named.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

using Size = NodeContext::DataDependentSize;

/// Elementwise ops: each output has the shape of the broadcast of the
/// inputs, element i computed from the inputs' elements at i.
bool isElementwise(StringRef op) {
  static const llvm::StringSet<> ops = {
      "Abs", "Acos", "Acosh", "Add", "And", "Asin", "Asinh", "Atan", "Atanh",
      "BitShift", "BitwiseAnd", "BitwiseNot", "BitwiseOr", "BitwiseXor",
      "Cast", "CastLike", "Ceil", "Celu", "Clip", "Cos", "Cosh", "Div",
      "Elu", "Equal", "Erf", "Exp", "Floor", "Gelu", "Greater",
      "GreaterOrEqual", "HardSigmoid", "HardSwish", "IsInf", "IsNaN",
      "LeakyRelu", "Less", "LessOrEqual", "Log", "Max", "Mean", "Min", "Mish",
      "Mod", "Mul", "Neg", "Not", "Or", "Pow", "PRelu", "Reciprocal", "Relu",
      "Round", "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus",
      "Softsign", "Sqrt", "Sub", "Sum", "Tan", "Tanh", "ThresholdedRelu",
      "Where", "Xor"};
  return ops.contains(op);
}

RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// The axes of a Squeeze, Unsqueeze or Slice: input `input` from opset
/// `inputOpset` on, the attribute before; normalized by `rank`. None when
/// absent.
FailureOr<std::optional<SmallVector<int64_t>>>
axesOf(NodeContext &nc, unsigned input, int64_t inputOpset, int64_t rank) {
  std::optional<SmallVector<int64_t>> axes;
  if (nc.opset >= inputOpset) {
    if (input < nc.inputs.size() && nc.inputs[input]) {
      auto values = nc.constantInts(input, "axes");
      if (failed(values))
        return failure();
      axes = *values;
    }
  } else if (auto values = nc.intsAttr("axes")) {
    axes = SmallVector<int64_t>(values->begin(), values->end());
  }
  if (axes)
    for (int64_t &axis : *axes) {
      FailureOr<int64_t> normalized = nc.normalizeAxis(axis, rank);
      if (failed(normalized))
        return failure();
      axis = *normalized;
    }
  return axes;
}

} // namespace

FailureOr<bool>
propagateDataDependentSizes(NodeContext &nc,
                            ArrayRef<const NodeContext::DataDependentSize *> sizes) {
  StringRef op = nc.node.op_type();
  auto bounded = [&](unsigned i) -> const Size * {
    return i < sizes.size() ? sizes[i] : nullptr;
  };
  auto setAll = [&](ArrayRef<Value> counts) {
    for (unsigned i = 0; i < nc.outputs.size(); ++i)
      nc.setDataDependentSize(i, counts);
    return true;
  };
  RankedTensorType in = typeOf(nc.inputs[0]);
  const Size *size = bounded(0);
  // The input's count of dim d (null where it is the bound's).
  auto countOf = [&](const Size *s, int64_t d) {
    return s ? s->counts[d] : Value();
  };
  SmallVector<Value> counts;

  if (isElementwise(op)) {
    // The varying operands vary alike and have the outputs' shape; the
    // others broadcast along the dims that vary.
    const Size *shared = nullptr;
    RankedTensorType out = typeOf(nc.outputs.front());
    for (auto [i, input] : llvm::enumerate(nc.inputs))
      if (const Size *s = bounded(i)) {
        if ((shared && shared->counts != s->counts) ||
            typeOf(input).getShape() != out.getShape())
          return false;
        shared = s;
      }
    for (auto [i, input] : llvm::enumerate(nc.inputs)) {
      if (!input || bounded(i))
        continue;
      RankedTensorType type = typeOf(input);
      int64_t offset = out.getRank() - type.getRank();
      for (int64_t d = std::max<int64_t>(offset, 0); d < out.getRank(); ++d)
        if (shared->varies(d) && type.getDimSize(d - offset) != 1)
          return false;
    }
    // Integer division by padding that may be 0 would trap.
    if ((op == "Div" || op == "Mod") && bounded(1) &&
        isa<IntegerType>(typeOf(nc.inputs[1]).getElementType()))
      return false;
    return setAll(shared->counts);
  }
  if (op == "Transpose" && size) {
    SmallVector<int64_t> perm;
    if (auto attr = nc.intsAttr("perm"))
      perm.assign(attr->begin(), attr->end());
    else
      for (int64_t d = in.getRank() - 1; d >= 0; --d)
        perm.push_back(d);
    for (int64_t d : perm)
      counts.push_back(size->counts[d]);
    return setAll(counts);
  }
  if ((op == "Unsqueeze" || op == "Squeeze") && size) {
    bool unsqueeze = op == "Unsqueeze";
    RankedTensorType out = typeOf(nc.outputs.front());
    auto axes = axesOf(nc, 1, 13, unsqueeze ? out.getRank() : in.getRank());
    if (failed(axes))
      return failure();
    SmallVector<int64_t> listed;
    if (*axes)
      listed = **axes;
    else
      for (int64_t d = 0; d < in.getRank(); ++d)
        if (in.getDimSize(d) == 1)
          listed.push_back(d);
    int64_t next = 0;
    for (int64_t d = 0; d < (unsqueeze ? out.getRank() : in.getRank()); ++d) {
      bool isListed = llvm::is_contained(listed, d);
      if (unsqueeze)
        counts.push_back(isListed ? Value() : size->counts[next++]);
      else if (isListed && size->varies(d))
        return false; // A dim of bound 1 whose actual size may be 0.
      else if (!isListed)
        counts.push_back(size->counts[d]);
    }
    return setAll(counts);
  }
  if (op == "Slice" && size && !bounded(1) && !bounded(2)) {
    // Along dims that do not vary, or the whole of one that does.
    RankedTensorType out = typeOf(nc.outputs.front());
    auto axes = axesOf(nc, 3, 10, in.getRank());
    if (failed(axes))
      return failure();
    FailureOr<SmallVector<int64_t>> starts = failure();
    if (nc.opset >= 10)
      starts = nc.constantInts(1, "starts");
    else if (auto attr = nc.intsAttr("starts"))
      starts = SmallVector<int64_t>(attr->begin(), attr->end());
    if (failed(starts))
      return false;
    SmallVector<int64_t> steps(starts->size(), 1);
    if (nc.opset >= 10 && nc.optionalInput(4)) {
      auto values = nc.constantInts(4, "steps");
      if (failed(values))
        return failure();
      steps = *values;
    }
    for (auto [k, start] : llvm::enumerate(*starts)) {
      int64_t axis = *axes ? (**axes)[k] : static_cast<int64_t>(k);
      if (size->varies(axis) && (start != 0 || steps[k] != 1 ||
                                 out.getDimSize(axis) != in.getDimSize(axis)))
        return false;
    }
    return setAll(size->counts);
  }
  if (op == "Gather" && (size != nullptr) != (bounded(1) != nullptr)) {
    // The data's dims around the axis, the indices' in its place.
    FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", 0), in.getRank());
    if (failed(axis))
      return failure();
    if (size && size->varies(*axis))
      return false;
    for (int64_t d = 0; d < *axis; ++d)
      counts.push_back(countOf(size, d));
    for (int64_t d = 0; d < typeOf(nc.inputs[1]).getRank(); ++d)
      counts.push_back(countOf(bounded(1), d));
    for (int64_t d = *axis + 1; d < in.getRank(); ++d)
      counts.push_back(countOf(size, d));
    return setAll(counts);
  }
  if (op == "GatherND" && !size && bounded(1) &&
      nc.intAttr("batch_dims", 0) == 0) {
    // The indices' leading dims, then the data's past the index depth.
    RankedTensorType indices = typeOf(nc.inputs[1]);
    int64_t last = indices.getRank() - 1;
    if (bounded(1)->varies(last))
      return false;
    for (int64_t d = 0; d < last; ++d)
      counts.push_back(bounded(1)->counts[d]);
    counts.append(in.getRank() - indices.getDimSize(last), Value());
    return setAll(counts);
  }
  if (op == "Concat" && llvm::all_of(llvm::seq<unsigned>(nc.inputs.size()),
                                     [&](unsigned i) { return bounded(i); })) {
    // Along a dim that does not vary, of inputs that vary alike.
    FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", 0), in.getRank());
    if (failed(axis))
      return failure();
    for (unsigned i = 0; i < nc.inputs.size(); ++i)
      if (bounded(i)->varies(*axis) || bounded(i)->counts != size->counts)
        return false;
    return setAll(size->counts);
  }
  return false;
}

} // namespace gcomp::detail
