//===- TensorOpImporters.cpp - reductions, shape and data movement --------===//
//
// Shape-like inputs (axes, shapes, starts/ends, repeats) must be constants
// at compile time; with static input shapes, the exporter's shape
// arithmetic folds to constants as it is imported (createOrFold), so they
// are.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

/// Axes from the `axes` attribute (before `inputSince`) or input 1 (from
/// it), normalized and sorted; nullopt when none are given.
FailureOr<std::optional<SmallVector<int64_t>>>
axesOf(NodeContext &nc, int64_t rank, int64_t inputSince,
       bool inclusiveEnd = false) {
  std::optional<std::vector<int64_t>> given;
  if (nc.opset < inputSince) {
    given = nc.intsAttr("axes");
  } else if (nc.optionalInput(1)) {
    FailureOr<SmallVector<int64_t>> v = nc.constantInts(1, "axes");
    if (failed(v))
      return failure();
    given = std::vector<int64_t>(v->begin(), v->end());
  }
  if (!given)
    return std::optional<SmallVector<int64_t>>();
  SmallVector<int64_t> axes;
  for (int64_t a : *given) {
    FailureOr<int64_t> n = nc.normalizeAxis(a, rank, inclusiveEnd);
    if (failed(n))
      return failure();
    if (llvm::is_contained(axes, *n)) {
      nc.error() << "axis " << a << " is repeated";
      return failure();
    }
    axes.push_back(*n);
  }
  llvm::sort(axes);
  return std::optional<SmallVector<int64_t>>(axes);
}

/// Opset where each reduction's axes moved from attribute to input.
int64_t axesInputSince(StringRef op) { return op == "ReduceSum" ? 13 : 18; }

template <typename OpT>
LogicalResult importReduce(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  auto axes = axesOf(nc, type.getRank(), axesInputSince(nc.node.op_type()));
  if (failed(axes))
    return failure();
  bool keepdims = nc.intAttr("keepdims", 1);
  SmallVector<int64_t> resolved;
  if (*axes && !(*axes)->empty()) {
    resolved = **axes;
  } else if (nc.intAttr("noop_with_empty_axes", 0)) {
    nc.outputs.push_back(nc.inputs[0]);
    return success();
  } else {
    for (int64_t d = 0; d < type.getRank(); ++d)
      resolved.push_back(d);
  }
  FailureOr<RankedTensorType> result = inferReduceType(
      type, resolved, keepdims, type.getElementType(), nc.errorFn());
  if (failed(result))
    return failure();
  if (resolved.empty()) { // a rank-0 input: nothing to reduce over
    nc.outputs.push_back(nc.inputs[0]);
    return success();
  }
  nc.outputs.push_back(OpT::create(nc.builder, nc.loc, *result, nc.inputs[0],
                                   nc.builder.getDenseI64ArrayAttr(resolved),
                                   nc.builder.getBoolAttr(keepdims)));
  return success();
}

template <typename OpT>
LogicalResult importArgReduce(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  bool keepdims = nc.intAttr("keepdims", 1);
  FailureOr<RankedTensorType> result = inferReduceType(
      type, {*axis}, keepdims, nc.builder.getI64Type(), nc.errorFn());
  if (failed(result))
    return failure();
  nc.outputs.push_back(OpT::create(
      nc.builder, nc.loc, *result, nc.inputs[0],
      nc.builder.getI64IntegerAttr(*axis), nc.builder.getBoolAttr(keepdims),
      nc.builder.getBoolAttr(nc.intAttr("select_last_index", 0))));
  return success();
}

LogicalResult importConcat(NodeContext &nc) {
  if (nc.inputs.empty() || llvm::is_contained(nc.inputs, Value())) {
    nc.error() << "expects at least one input, none omitted";
    return failure();
  }
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.intAttr("axis", 0), nc.inputType(0).getRank());
  if (failed(axis))
    return failure();
  // Empty inputs contribute nothing (exporters emit them).
  SmallVector<Value> inputs;
  for (Value v : nc.inputs) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getRank() != nc.inputType(0).getRank()) {
      nc.error() << "inputs have different ranks: " << nc.inputType(0)
                 << " and " << type;
      return failure();
    }
    if (type.getDimSize(*axis) != 0)
      inputs.push_back(v);
  }
  if (inputs.empty())
    inputs.push_back(nc.inputs[0]);
  // Symbolic dims other than the axis must be the same size in every input
  // (the concat's loops run over the first input's).
  if (llvm::any_of(inputs, [](Value v) {
        return !cast<RankedTensorType>(v.getType()).hasStaticShape();
      })) {
    int64_t rank = nc.inputType(0).getRank();
    for (int64_t d = 0; d < rank; ++d) {
      if (d == *axis)
        continue;
      std::optional<SymExpr> first =
          nc.symbolic ? nc.symbolic->dim(inputs[0], d) : std::nullopt;
      for (Value v : inputs) {
        std::optional<SymExpr> e =
            nc.symbolic ? nc.symbolic->dim(v, d) : std::nullopt;
        if (!first || !e || *e != *first) {
          nc.error() << "dim " << d << " of the inputs is "
                     << (first && e ? nc.symbolic->str(*first) + " and " +
                                          nc.symbolic->str(*e)
                                    : std::string("symbolic"))
                     << ", which the generic variant concatenates only where "
                        "the sizes are the same; fix the dims with --dim "
                        "NAME=N or --shape INPUT=DIMS";
          return failure();
        }
      }
    }
  }
  FailureOr<RankedTensorType> type =
      inferConcatType(ValueRange(inputs).getTypes(), *axis, nc.errorFn());
  if (failed(type))
    return failure();
  nc.outputs.push_back(nc.builder.createOrFold<ConcatOp>(
      nc.loc, *type, inputs, nc.builder.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult importGather(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.intAttr("axis", 0), nc.inputType(0).getRank());
  if (failed(axis))
    return failure();
  if (!isa<IntegerType>(nc.inputType(1).getElementType())) {
    nc.error() << "indices must be integers";
    return failure();
  }
  FailureOr<RankedTensorType> type = inferGatherType(
      nc.inputType(0), nc.inputType(1), *axis, nc.errorFn());
  if (failed(type))
    return failure();
  nc.outputs.push_back(nc.builder.createOrFold<GatherOp>(
      nc.loc, *type, nc.inputs[0], nc.inputs[1],
      nc.builder.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult requireStatic(NodeContext &nc, unsigned i) {
  if (nc.inputType(i).hasStaticShape())
    return success();
  nc.error() << "input " << i << " has dynamic dims (" << nc.inputType(i)
             << "); fix them with --dim NAME=N or --shape INPUT=DIMS";
  return failure();
}

LogicalResult importUnsqueeze(NodeContext &nc) {
  // Unit dims in and out keep symbolic dims whole.
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  // Axes index the output, whose rank is the input's plus their count.
  int64_t count = nc.opset < 13 ? (nc.intsAttr("axes") ? nc.intsAttr("axes")->size() : 0)
                  : (nc.constantInput(1) ? nc.constantInput(1).getNumElements() : 0);
  auto axes = axesOf(nc, type.getRank() + count, 13);
  if (failed(axes))
    return failure();
  if (!*axes) {
    nc.error() << "needs axes";
    return failure();
  }
  SmallVector<int64_t> shape;
  auto in = type.getShape().begin();
  for (int64_t d = 0; d < type.getRank() + count; ++d)
    shape.push_back(llvm::is_contained(**axes, d) ? 1 : *in++);
  nc.outputs.push_back(nc.reshape(nc.inputs[0], shape));
  return success();
}

LogicalResult importSqueeze(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  auto axes = axesOf(nc, type.getRank(), 13);
  if (failed(axes))
    return failure();
  // Without axes every dim of size 1 goes, which a symbolic dim may be.
  if (!*axes && failed(requireStatic(nc, 0)))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    bool listed = *axes ? llvm::is_contained(**axes, d) : type.getDimSize(d) == 1;
    if (listed && type.getDimSize(d) != 1) {
      nc.error() << "cannot squeeze dim " << d << " of size "
                 << type.getDimSize(d);
      return failure();
    }
    if (!listed)
      shape.push_back(type.getDimSize(d));
  }
  nc.outputs.push_back(nc.reshape(nc.inputs[0], shape));
  return success();
}

Value intConstant(NodeContext &nc, ArrayRef<int64_t> values, bool scalar = false) {
  auto type = RankedTensorType::get(
      scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
      nc.builder.getI64Type());
  return ConstantOp::create(nc.builder, nc.loc,
                            DenseIntElementsAttr::get(type, values));
}

/// The symbolic dims of input `i` (symbolic sizes computed at compile
/// time, SymbolicShapes.h); an error where the importer cannot tell them.
FailureOr<SmallVector<SymExpr>> symbolicShape(NodeContext &nc, unsigned i) {
  std::optional<SmallVector<SymExpr>> dims;
  if (nc.symbolic)
    dims = nc.symbolic->shape(nc.inputs[i]);
  if (!dims) {
    nc.error() << "input " << i << " has dynamic dims (" << nc.inputType(i)
               << ") whose sizes the importer cannot tell from the input "
                  "dims; fix them with --dim NAME=N or --shape INPUT=DIMS";
    return failure();
  }
  return *dims;
}

LogicalResult importShape(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i += rank;
    return std::clamp<int64_t>(i, 0, rank);
  };
  int64_t start = clampIndex(nc.intAttr("start", 0));
  int64_t end = clampIndex(nc.intAttr("end", rank));
  int64_t count = std::max<int64_t>(end - start, 0);
  ArrayRef<int64_t> shape = type.getShape().slice(start, count);
  if (!llvm::any_of(shape, ShapedType::isDynamic)) {
    nc.outputs.push_back(intConstant(nc, shape));
    return success();
  }
  // A shape with symbolic dims: its values are known at compile time as
  // sizes of the input dims; the tensor is built only if the graph reads
  // it as data.
  FailureOr<SmallVector<SymExpr>> dims = symbolicShape(nc, 0);
  if (failed(dims))
    return failure();
  ArrayRef<SymExpr> values = ArrayRef(*dims).slice(start, count);
  auto resultType = RankedTensorType::get({count}, nc.builder.getI64Type());
  Value v = nc.symbolic->materializeTensor(nc.builder, nc.loc, resultType, values);
  nc.symbolic->setContent(v, values);
  nc.outputs.push_back(v);
  return success();
}

LogicalResult importSize(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  if (nc.inputType(0).hasStaticShape()) {
    nc.outputs.push_back(
        intConstant(nc, {nc.inputType(0).getNumElements()}, true));
    return success();
  }
  FailureOr<SmallVector<SymExpr>> dims = symbolicShape(nc, 0);
  if (failed(dims))
    return failure();
  SymExpr size = SymExpr::constant(1);
  for (const SymExpr &d : *dims) {
    std::optional<SymExpr> product = SymExpr::mul(size, d);
    if (!product) {
      nc.error() << "the size overflows int64";
      return failure();
    }
    size = *product;
  }
  auto resultType = RankedTensorType::get({}, nc.builder.getI64Type());
  Value v = nc.symbolic->materializeTensor(nc.builder, nc.loc, resultType, {size});
  nc.symbolic->setContent(v, {size});
  nc.outputs.push_back(v);
  return success();
}

LogicalResult importConstantOfShape(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  FailureOr<SmallVector<SymExpr>> sizes = nc.symbolicInts(0, "shape");
  if (failed(sizes))
    return failure();
  SmallVector<int64_t> shape;
  for (const SymExpr &e : *sizes) {
    std::optional<int64_t> c = e.getConstant();
    shape.push_back(c ? *c : ShapedType::kDynamic);
    if ((c && *c < 0) || (!c && !e.isNonNegative())) {
      nc.error() << "shape has a size that may be negative: "
                 << nc.symbolic->str(e);
      return failure();
    }
  }
  Attribute element = nc.builder.getF32FloatAttr(0);
  Type elementType = nc.builder.getF32Type();
  if (const onnx::AttributeProto *a = nc.attr("value")) {
    FailureOr<ElementsAttr> v = importTensor(a->t(), nc.builder.getContext(),
                                             *nc.tensorSource, nc.errorFn());
    if (failed(v))
      return failure();
    elementType = v->getElementType();
    element = *v->getValues<Attribute>().begin();
  }
  auto type = RankedTensorType::get(shape, elementType);
  if (type.hasStaticShape()) {
    nc.outputs.push_back(ConstantOp::create(
        nc.builder, nc.loc, DenseElementsAttr::get(type, ArrayRef(element))));
    return success();
  }
  // Sizes computed from symbolic dims (a causal mask's [seq, seq]): the
  // value broadcast to them.
  Value scalarValue = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get({}, elementType),
                             ArrayRef(element)));
  Value v = BroadcastToOp::create(
      nc.builder, nc.loc, type, scalarValue,
      nc.symbolic->materializeDynamicDims(nc.builder, nc.loc, type, *sizes));
  nc.symbolic->setShape(v, *sizes);
  nc.outputs.push_back(v);
  return success();
}

/// Range whose start or limit are sizes computed from symbolic dims
/// (positions 0..seq-1, or past..past+seq-1): start + delta * iota(count).
LogicalResult importSymbolicRange(NodeContext &nc) {
  FailureOr<SmallVector<SymExpr>> start = nc.symbolicInts(0, "start"),
                                  limit = nc.symbolicInts(1, "limit"),
                                  delta = nc.symbolicInts(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  Type t = nc.inputType(0).getElementType();
  std::optional<int64_t> step =
      delta->size() == 1 ? (*delta)[0].getConstant() : std::nullopt;
  std::optional<SymExpr> span;
  if (start->size() == 1 && limit->size() == 1)
    span = SymExpr::sub((*limit)[0], (*start)[0]);
  if (!step || *step <= 0 || !span || !span->isNonNegative()) {
    nc.error() << "a range from " << nc.symbolic->str(*start) << " to "
               << nc.symbolic->str(*limit) << " by " << nc.symbolic->str(*delta)
               << " is supported with a constant positive delta and a limit "
                  "that is not below the start; fix the dims with --dim "
                  "NAME=N or --shape INPUT=DIMS";
    return failure();
  }
  std::optional<SymExpr> rounded = SymExpr::add(*span, SymExpr::constant(*step - 1));
  std::optional<SymExpr> count =
      rounded ? nc.symbolic->floorDiv(*rounded, *step) : std::nullopt;
  if (!count) {
    nc.error() << "the range's size overflows int64";
    return failure();
  }
  OpBuilder &b = nc.builder;
  // A count that is constant (past .. past + 1) gives a static iota.
  std::optional<int64_t> staticCount = count->getConstant();
  auto type = RankedTensorType::get(
      {staticCount ? *staticCount : ShapedType::kDynamic}, t);
  Value v = IotaOp::create(
      b, nc.loc, type,
      staticCount ? Value() : nc.symbolic->materialize(b, nc.loc, *count));
  nc.symbolic->setShape(v, {*count});
  auto scalarType = RankedTensorType::get({}, t);
  if (*step != 1)
    v = MulOp::create(b, nc.loc, type, v,
                      ConstantOp::create(
                          b, nc.loc,
                          DenseElementsAttr::get(
                              scalarType,
                              ArrayRef<Attribute>(b.getIntegerAttr(t, *step)))));
  if ((*start)[0] != SymExpr::constant(0))
    v = AddOp::create(b, nc.loc, type, v,
                      nc.symbolic->materializeTensor(b, nc.loc, scalarType,
                                                     {(*start)[0]}));
  nc.symbolic->setShape(v, {*count});
  nc.outputs.push_back(v);
  return success();
}

LogicalResult importRange(NodeContext &nc) {
  if (failed(nc.requireInputs(3)))
    return failure();
  ElementsAttr start = nc.constantInput(0), limit = nc.constantInput(1),
               delta = nc.constantInput(2);
  if (nc.symbolic && isa<IntegerType>(nc.inputType(0).getElementType()) &&
      llvm::any_of(nc.inputs, [&](Value v) {
        return nc.symbolic->hasSymbolicContent(v);
      }))
    return importSymbolicRange(nc);
  if (!start || !limit || !delta) {
    nc.error() << "start, limit and delta must be constants";
    return failure();
  }
  for (ElementsAttr a : {start, limit, delta})
    if (a.getNumElements() != 1 ||
        a.getElementType() != start.getElementType()) {
      nc.error() << "start, limit and delta must be scalars of one type, got "
                 << start.getShapedType() << ", " << limit.getShapedType()
                 << " and " << delta.getShapedType();
      return failure();
    }
  Type t = start.getElementType();
  auto scalar = [&](ElementsAttr a) -> double {
    Attribute v = *a.getValues<Attribute>().begin();
    if (auto f = dyn_cast<FloatAttr>(v))
      return f.getValueAsDouble();
    return static_cast<double>(cast<IntegerAttr>(v).getInt());
  };
  auto integer = [&](ElementsAttr a) -> int64_t {
    return cast<IntegerAttr>(*a.getValues<Attribute>().begin()).getInt();
  };
  double s = scalar(start), l = scalar(limit), d = scalar(delta);
  if (d == 0) {
    nc.error() << "delta is 0";
    return failure();
  }
  // Compared as a double first: a count out of int64's range (or NaN)
  // must not be converted.
  double count = std::ceil((l - s) / d);
  if (!(count <= static_cast<double>(kFoldElementLimit))) {
    nc.error() << "a range of " << count << " elements is too large";
    return failure();
  }
  int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < n; ++i) {
    if (isa<FloatType>(t))
      values.push_back(nc.builder.getFloatAttr(t, s + i * d));
    else // Exact in integers (wrapping as the type does, never UB).
      values.push_back(nc.builder.getIntegerAttr(
          t, static_cast<int64_t>(static_cast<uint64_t>(integer(start)) +
                                  static_cast<uint64_t>(i) *
                                      static_cast<uint64_t>(integer(delta)))));
  }
  nc.outputs.push_back(ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get({n}, t), values)));
  return success();
}

/// Expand where the input or the target shape has sizes of symbolic dims:
/// numpy broadcasting on the sizes, which must be equal where neither is 1.
LogicalResult importSymbolicExpand(NodeContext &nc) {
  FailureOr<SmallVector<SymExpr>> target = nc.symbolicInts(1, "shape");
  FailureOr<SmallVector<SymExpr>> in = symbolicShape(nc, 0);
  if (failed(target) || failed(in))
    return failure();
  size_t rank = std::max(in->size(), target->size());
  SmallVector<SymExpr> dims;
  SmallVector<int64_t> shape;
  SymExpr one = SymExpr::constant(1);
  for (size_t d = 0; d < rank; ++d) {
    auto aligned = [&](ArrayRef<SymExpr> v) {
      size_t pad = rank - v.size();
      return d < pad ? one : v[d - pad];
    };
    SymExpr a = aligned(*in), t = aligned(*target);
    if (!t.isNonNegative() && !(t.getConstant() && *t.getConstant() >= 0)) {
      nc.error() << "shape has a size that may be negative: "
                 << nc.symbolic->str(t);
      return failure();
    }
    if (a != t && a != one && t != one) {
      nc.error() << "cannot expand " << nc.symbolic->str(*in) << " to "
                 << nc.symbolic->str(*target) << ": dim " << d << " is "
                 << nc.symbolic->str(a) << " against "
                 << nc.symbolic->str(t)
                 << " (sizes of symbolic dims broadcast only where they are "
                    "equal or 1)";
      return failure();
    }
    dims.push_back(a == one ? t : a);
    std::optional<int64_t> c = dims.back().getConstant();
    shape.push_back(c ? *c : ShapedType::kDynamic);
  }
  auto type = nc.inputType(0).clone(shape);
  if (type == nc.inputType(0)) {
    nc.outputs.push_back(nc.inputs[0]);
    return success();
  }
  Value v = BroadcastToOp::create(
      nc.builder, nc.loc, type, nc.inputs[0],
      type.hasStaticShape()
          ? SmallVector<Value>()
          : nc.symbolic->materializeDynamicDims(nc.builder, nc.loc, type, dims));
  nc.symbolic->setShape(v, dims);
  nc.outputs.push_back(v);
  return success();
}

LogicalResult importExpand(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType inType = nc.inputType(0);
  if (nc.symbolic && (!inType.hasStaticShape() ||
                      nc.symbolic->hasSymbolicContent(nc.inputs[1])))
    return importSymbolicExpand(nc);
  FailureOr<SmallVector<int64_t>> shape = nc.constantInts(1, "shape");
  if (failed(shape))
    return failure();
  SmallVector<int64_t> result;
  if (failed(broadcastShapes(nc.inputType(0).getShape(), *shape, result,
                             nc.errorFn())))
    return failure();
  auto type = nc.inputType(0).clone(result);
  if (type == nc.inputType(0)) {
    nc.outputs.push_back(nc.inputs[0]);
    return success();
  }
  nc.outputs.push_back(BroadcastToOp::create(nc.builder, nc.loc, type, nc.inputs[0]));
  return success();
}

LogicalResult importTile(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireStatic(nc, 0)))
    return failure();
  FailureOr<SmallVector<int64_t>> repeats = nc.constantInts(1, "repeats");
  if (failed(repeats))
    return failure();
  RankedTensorType type = nc.inputType(0);
  if (static_cast<int64_t>(repeats->size()) != type.getRank()) {
    nc.error() << "repeats has " << repeats->size() << " entries for rank "
               << type.getRank();
    return failure();
  }
  SmallVector<int64_t> shape;
  for (auto [d, r] : llvm::zip(type.getShape(), *repeats)) {
    if (r < 0) {
      nc.error() << "repeats must be non-negative";
      return failure();
    }
    shape.push_back(d * r);
  }
  nc.outputs.push_back(
      TileOp::create(nc.builder, nc.loc, type.clone(shape), nc.inputs[0]));
  return success();
}

/// ONNX Slice semantics for one dim: clamped start, element count.
std::pair<int64_t, int64_t> resolveSlice(int64_t size, int64_t start,
                                         int64_t end, int64_t step) {
  auto clampTo = [](int64_t v, int64_t lo, int64_t hi) {
    return std::max(lo, std::min(v, hi));
  };
  if (start < 0)
    start += size;
  if (end < 0)
    end += size;
  if (step > 0) {
    start = clampTo(start, 0, size);
    end = clampTo(end, 0, size);
    return {start, std::max<int64_t>(0, (end - start + step - 1) / step)};
  }
  start = clampTo(start, 0, size - 1);
  end = clampTo(end, -1, size - 1);
  return {start, std::max<int64_t>(0, (start - end + (-step) - 1) / (-step))};
}

/// `input[..., start:end, ...]` along the symbolic dim `axis`, by ONNX
/// Slice's rules (negative bounds count from the end, both are clamped to
/// the size) evaluated on the size at run time: a gather of `count`
/// indices from `start'`, where
///   start' = start >= 0 ? min(n, start) : max(n + start, 0)
///   end'   = end >= INT32_MAX ? n : end >= 0 ? min(n, end) : max(n + end, 0)
///   count  = max(end' - start', 0),
/// which the size expressions keep as symbols (max(seq - 1, 0)), so that
/// the same part of the same dim is the same size wherever it is cut.
static FailureOr<Value> gatherSymbolicPart(NodeContext &nc, Value input,
                                           int64_t axis, int64_t start,
                                           int64_t end) {
  SymbolicShapes &shapes = *nc.symbolic;
  auto type = cast<RankedTensorType>(input.getType());
  std::optional<SymExpr> n = shapes.dim(input, axis);
  if (!n) {
    nc.error() << "dim " << axis << " of " << type
               << " is symbolic, and the importer cannot tell its size from "
                  "the input dims; fix them with --dim NAME=N or --shape "
                  "INPUT=DIMS";
    return failure();
  }
  auto offset = [&](int64_t k) -> std::optional<SymExpr> {
    std::optional<SymExpr> shifted = SymExpr::add(*n, SymExpr::constant(k));
    return shifted ? shapes.maxZero(*shifted) : std::nullopt;
  };
  std::optional<SymExpr> from, count;
  if (start < 0)
    from = start <= -INT32_MAX ? SymExpr::constant(0) : offset(start);
  else
    from = shapes.minConstant(*n, start);
  if (end >= INT32_MAX && start >= 0) {
    // (the common x[:, k:]: n - min(n, k) is max(n - k, 0))
    count = offset(-start);
  } else if (end >= INT32_MAX && start > -INT32_MAX) {
    // (x[:, -k:]: n - max(n - k, 0) is min(n, k))
    count = shapes.minConstant(*n, -start);
  } else {
    std::optional<SymExpr> to =
        end >= INT32_MAX ? n : end >= 0 ? shapes.minConstant(*n, end)
                                        : offset(end);
    std::optional<SymExpr> difference =
        to && from ? SymExpr::sub(*to, *from) : std::nullopt;
    count = difference ? shapes.maxZero(*difference) : std::nullopt;
  }
  if (!from || !count) {
    nc.error() << "the slice's size overflows int64";
    return failure();
  }
  OpBuilder &b = nc.builder;
  Type i64 = b.getI64Type();
  std::optional<int64_t> staticCount = count->getConstant();
  auto indicesType = RankedTensorType::get(
      {staticCount ? *staticCount : ShapedType::kDynamic}, i64);
  Value indices = IotaOp::create(
      b, nc.loc, indicesType,
      staticCount ? Value() : shapes.materialize(b, nc.loc, *count));
  shapes.setShape(indices, {*count});
  if (*from != SymExpr::constant(0)) {
    indices = AddOp::create(
        b, nc.loc, indicesType, indices,
        shapes.materializeTensor(b, nc.loc, RankedTensorType::get({}, i64),
                                 {*from}));
    shapes.setShape(indices, {*count});
  }
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = indicesType.getDimSize(0);
  Value gathered = GatherOp::create(b, nc.loc, type.clone(shape), input,
                                    indices, b.getI64IntegerAttr(axis));
  if (std::optional<SmallVector<SymExpr>> dims = shapes.shape(input)) {
    (*dims)[axis] = *count;
    shapes.setShape(gathered, *dims);
  }
  return gathered;
}

LogicalResult importSlice(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (nc.opset < 10) {
    auto s = nc.intsAttr("starts"), e = nc.intsAttr("ends");
    if (!s || !e) {
      nc.error() << "needs starts and ends";
      return failure();
    }
    starts.assign(s->begin(), s->end());
    ends.assign(e->begin(), e->end());
    if (auto a = nc.intsAttr("axes"))
      axes.assign(a->begin(), a->end());
  } else {
    if (failed(nc.requireInputs(3)))
      return failure();
    auto s = nc.constantInts(1, "starts"), e = nc.constantInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (nc.optionalInput(3)) {
      auto a = nc.constantInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (nc.optionalInput(4)) {
      auto st = nc.constantInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    nc.error() << "starts, ends, axes and steps differ in length";
    return failure();
  }
  SmallVector<int64_t> outStarts(rank, 0), outSteps(rank, 1),
      shape(type.getShape());
  struct SymbolicPart {
    int64_t axis, start, end;
  };
  SmallVector<SymbolicPart> symbolicParts;
  for (auto [i, rawAxis] : llvm::enumerate(axes)) {
    FailureOr<int64_t> axis = nc.normalizeAxis(rawAxis, rank);
    if (failed(axis))
      return failure();
    if (steps[i] == 0) {
      nc.error() << "step is 0";
      return failure();
    }
    if (type.isDynamicDim(*axis)) {
      // All of a symbolic dim stays symbolic; a part of it (x[:, 1:],
      // x[:, -1:]) is gathered below, from a start and a count computed
      // from its size.
      bool whole = steps[i] == 1 && (starts[i] == 0 || starts[i] <= -INT32_MAX) &&
                   ends[i] >= INT32_MAX;
      if (!whole) {
        if (!nc.symbolic) {
          nc.error() << "slicing dim " << *axis << " of " << type
                     << " (a symbolic dim) from " << starts[i] << " to "
                     << ends[i] << " needs its size, which this compile does "
                        "not track; fix the dims with --dim NAME=N or "
                        "--shape INPUT=DIMS";
          return failure();
        }
        if (steps[i] != 1) {
          nc.error() << "slicing dim " << *axis << " of " << type
                     << " (a symbolic dim) from " << starts[i] << " to "
                     << ends[i] << " by " << steps[i]
                     << " is compiled by the generic variant with a step of "
                        "1 only; fix the dims with --dim NAME=N or --shape "
                        "INPUT=DIMS";
          return failure();
        }
        symbolicParts.push_back({*axis, starts[i], ends[i]});
      }
      continue;
    }
    auto [start, count] =
        resolveSlice(type.getDimSize(*axis), starts[i], ends[i], steps[i]);
    outStarts[*axis] = count ? start : 0;
    outSteps[*axis] = steps[i];
    shape[*axis] = count;
  }
  Value sliced = nc.builder.createOrFold<SliceOp>(
      nc.loc, type.clone(shape), nc.inputs[0],
      nc.builder.getDenseI64ArrayAttr(outStarts),
      nc.builder.getDenseI64ArrayAttr(outSteps));
  for (const SymbolicPart &part : symbolicParts) {
    FailureOr<Value> gathered =
        gatherSymbolicPart(nc, sliced, part.axis, part.start, part.end);
    if (failed(gathered))
      return failure();
    sliced = *gathered;
  }
  nc.outputs.push_back(sliced);
  return success();
}

LogicalResult importSplit(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  // The other dims may be symbolic: each part keeps them whole.
  if (type.isDynamicDim(*axis)) {
    nc.error() << "splitting dim " << *axis << " of " << type
               << ", a symbolic dim, needs sizes computed from it, which the "
                  "generic variant does not compile yet; fix the dims with "
                  "--dim NAME=N or --shape INPUT=DIMS";
    return failure();
  }
  int64_t size = type.getDimSize(*axis);
  SmallVector<int64_t> parts;
  if (nc.opset < 13) {
    if (auto s = nc.intsAttr("split"))
      parts.assign(s->begin(), s->end());
  } else if (nc.optionalInput(1)) {
    auto s = nc.constantInts(1, "split");
    if (failed(s))
      return failure();
    parts = *s;
  }
  int64_t outputs = nc.node.output_size();
  if (parts.empty()) {
    int64_t n = nc.opset >= 18 && nc.attr("num_outputs")
                    ? nc.intAttr("num_outputs", outputs)
                    : outputs;
    if (n < 1 || n != outputs) {
      nc.error() << "num_outputs is " << n << " but the node has " << outputs
                 << " outputs";
      return failure();
    }
    int64_t chunk = (size + n - 1) / n; // the last part may be smaller
    for (int64_t i = 0, left = size; i < n; ++i, left -= chunk)
      parts.push_back(std::max<int64_t>(0, std::min(chunk, left)));
  }
  int64_t total = 0;
  for (int64_t p : parts) {
    if (p < 0 || p > size) {
      nc.error() << "split size " << p << " is out of range for dim "
                 << *axis << " (" << size << ")";
      return failure();
    }
    total += p;
  }
  if (total != size || static_cast<int64_t>(parts.size()) != outputs) {
    nc.error() << "split sizes do not add up to dim " << *axis << " (" << size
               << ") across " << outputs << " outputs";
    return failure();
  }
  int64_t offset = 0;
  for (int64_t p : parts) {
    SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1),
        shape(type.getShape());
    starts[*axis] = p ? offset : 0;
    shape[*axis] = p;
    nc.outputs.push_back(nc.builder.createOrFold<SliceOp>(
        nc.loc, type.clone(shape), nc.inputs[0],
        nc.builder.getDenseI64ArrayAttr(starts),
        nc.builder.getDenseI64ArrayAttr(steps)));
    offset += p;
  }
  return success();
}

/// Inference: Dropout is the identity (its mask output, if used, all true).
LogicalResult importDropout(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  if (nc.optionalInput(2)) {
    ElementsAttr training = nc.constantInput(2);
    if (!training || training.getValues<APInt>()[0] != 0) {
      nc.error() << "training mode is not supported (gcomp compiles for "
                    "inference)";
      return failure();
    }
  }
  nc.outputs.push_back(nc.inputs[0]);
  if (nc.node.output_size() > 1) {
    auto maskType = nc.inputType(0).clone(nc.builder.getI1Type());
    nc.outputs.push_back(ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(maskType, nc.builder.getBoolAttr(true))));
  }
  return success();
}

/// Trilu keeps the upper (or lower) triangle of the last two dims: a
/// constant mask selects between the input and zero (folded when the input
/// is constant, as causal masks are).
/// Trilu's mask over symbolic rows or columns: column - row compared with
/// k, from two iotas.
Value symbolicTriangleMask(NodeContext &nc, RankedTensorType type, bool upper,
                           int64_t k) {
  OpBuilder &b = nc.builder;
  Type i64 = b.getI64Type();
  int64_t rank = type.getRank();
  auto iotaOf = [&](int64_t d, ArrayRef<int64_t> shape) {
    int64_t n = type.getDimSize(d);
    auto iotaType = RankedTensorType::get({n}, i64);
    Value size;
    std::optional<SymExpr> e = nc.symbolic->dim(nc.inputs[0], d);
    if (ShapedType::isDynamic(n))
      size = nc.symbolic->materialize(b, nc.loc, *e);
    Value v = IotaOp::create(b, nc.loc, iotaType, size);
    nc.symbolic->setShape(v, {*e});
    return nc.reshape(v, shape);
  };
  int64_t rows = type.getDimSize(rank - 2), cols = type.getDimSize(rank - 1);
  Value row = iotaOf(rank - 2, {rows, 1}), col = iotaOf(rank - 1, {1, cols});
  auto square = RankedTensorType::get({rows, cols}, i64);
  Value diff = SubOp::create(b, nc.loc, square, col, row);
  Value kValue = ConstantOp::create(
      b, nc.loc,
      DenseIntElementsAttr::get(RankedTensorType::get({}, i64), ArrayRef(k)));
  auto maskType = square.clone(b.getI1Type());
  if (upper)
    return GreaterEqualOp::create(b, nc.loc, maskType, diff, kValue);
  return LessEqualOp::create(b, nc.loc, maskType, diff, kValue);
}

LogicalResult importTrilu(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  if (type.getRank() < 2) {
    nc.error() << "expects rank >= 2, got " << type;
    return failure();
  }
  int64_t k = 0;
  if (nc.optionalInput(1)) {
    auto v = nc.constantInts(1, "k");
    if (failed(v))
      return failure();
    k = v->empty() ? 0 : (*v)[0];
  }
  if (!type.hasStaticShape()) {
    int64_t rank = type.getRank();
    if (!nc.symbolic)
      return requireStatic(nc, 0);
    if ((type.isDynamicDim(rank - 2) &&
         !nc.symbolic->dim(nc.inputs[0], rank - 2)) ||
        (type.isDynamicDim(rank - 1) &&
         !nc.symbolic->dim(nc.inputs[0], rank - 1)))
      return requireStatic(nc, 0);
    Value mask = symbolicTriangleMask(nc, type, nc.intAttr("upper", 1), k);
    Type t = type.getElementType();
    Attribute zero = isa<FloatType>(t) ? Attribute(nc.builder.getFloatAttr(t, 0))
                                       : Attribute(nc.builder.getIntegerAttr(t, 0));
    Value zeros = ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(RankedTensorType::get({}, t), zero));
    nc.outputs.push_back(
        WhereOp::create(nc.builder, nc.loc, type, mask, nc.inputs[0], zeros));
    return success();
  }
  if (type.getNumElements() == 0) { // (its mask could still be huge)
    nc.outputs.push_back(nc.inputs[0]);
    return success();
  }
  bool upper = nc.intAttr("upper", 1);
  int64_t rows = type.getDimSize(type.getRank() - 2),
          cols = type.getDimSize(type.getRank() - 1);
  SmallVector<bool> mask;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      mask.push_back(upper ? j - i >= k : j - i <= k);
  OpBuilder &b = nc.builder;
  Value maskValue = ConstantOp::create(
      b, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get({rows, cols}, b.getI1Type()),
                             ArrayRef(mask)));
  Type t = type.getElementType();
  Attribute zero = isa<FloatType>(t) ? Attribute(b.getFloatAttr(t, 0))
                                     : Attribute(b.getIntegerAttr(t, 0));
  Value zeros = ConstantOp::create(
      b, nc.loc, DenseElementsAttr::get(RankedTensorType::get({}, t), zero));
  nc.outputs.push_back(b.createOrFold<WhereOp>(nc.loc, type, maskValue,
                                               nc.inputs[0], zeros));
  return success();
}

LogicalResult importDepthToSpace(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(requireStatic(nc, 0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t b = nc.intAttr("blocksize", 0);
  if (type.getRank() != 4 || b < 1 || type.getDimSize(1) % (b * b)) {
    nc.error() << "expects [N, C, H, W] with C divisible by blocksize^2";
    return failure();
  }
  int64_t n = type.getDimSize(0), c = type.getDimSize(1), h = type.getDimSize(2),
          w = type.getDimSize(3);
  const onnx::AttributeProto *m = nc.attr("mode");
  bool crd = m && m->s() == "CRD";
  Value v = crd ? nc.reshape(nc.inputs[0], {n, c / (b * b), b, b, h, w})
                : nc.reshape(nc.inputs[0], {n, b, b, c / (b * b), h, w});
  v = crd ? transposed(nc, v, {0, 1, 4, 2, 5, 3})
          : transposed(nc, v, {0, 3, 4, 1, 5, 2});
  nc.outputs.push_back(nc.reshape(v, {n, c / (b * b), h * b, w * b}));
  return success();
}

LogicalResult importSpaceToDepth(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(requireStatic(nc, 0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t b = nc.intAttr("blocksize", 0);
  if (type.getRank() != 4 || b < 1 || type.getDimSize(2) % b ||
      type.getDimSize(3) % b) {
    nc.error() << "expects [N, C, H, W] with H and W divisible by blocksize";
    return failure();
  }
  int64_t n = type.getDimSize(0), c = type.getDimSize(1), h = type.getDimSize(2),
          w = type.getDimSize(3);
  const onnx::AttributeProto *m = nc.attr("mode");
  bool crd = m && m->s() == "CRD";
  Value v = nc.reshape(nc.inputs[0], {n, c, h / b, b, w / b, b});
  v = crd ? transposed(nc, v, {0, 1, 3, 5, 2, 4})
          : transposed(nc, v, {0, 3, 5, 1, 2, 4});
  nc.outputs.push_back(nc.reshape(v, {n, c * b * b, h / b, w / b}));
  return success();
}

/// Moves `axis` of a rank-`rank` tensor last (and back: the inverse).
SmallVector<int64_t> axisLast(int64_t rank, int64_t axis) {
  SmallVector<int64_t> perm;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  return perm;
}

/// CumSum and CumProd: y[..., i] = the sum (product) of x[..., j] over the
/// j that the triangular 0/1 matrix M[j, i] takes (j <= i, or j < i when
/// exclusive, the other way round when reversed), along the axis moved last.
/// CumSum is the product x M; CumProd reduces where(M, x, 1) over j. Both
/// are n^2 in the axis' length, which is bounded.
LogicalResult importCumulative(NodeContext &nc, bool product) {
  if (failed(nc.requireInputs(2)) || failed(requireStatic(nc, 0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  auto axisValue = nc.constantInts(1, "axis");
  if (failed(axisValue) || axisValue->size() != 1) {
    if (succeeded(axisValue))
      nc.error() << "axis must hold one value";
    return failure();
  }
  FailureOr<int64_t> axis = nc.normalizeAxis((*axisValue)[0], type.getRank());
  if (failed(axis))
    return failure();
  bool exclusive = nc.intAttr("exclusive", 0), reverse = nc.intAttr("reverse", 0);
  int64_t n = type.getDimSize(*axis);
  if (type.getNumElements() == 0) {
    nc.outputs.push_back(nc.inputs[0]);
    return success();
  }
  constexpr int64_t kMaxCumulativeLength = 4096;
  const char *what = product ? "product" : "sum";
  if (n > kMaxCumulativeLength ||
      (product && type.getNumElements() > (int64_t{1} << 28) / n)) {
    nc.error() << "a cumulative " << what << " along " << n
               << " elements of a tensor of " << type.getNumElements()
               << " is not supported (at most " << kMaxCumulativeLength
               << " along the axis"
               << (product ? ", 2^28 elements times that length" : "") << ")";
    return failure();
  }
  Type t = type.getElementType();
  Type maskElement = product ? nc.builder.getI1Type() : t;
  SmallVector<Attribute> m;
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < n; ++i) {
      bool in = reverse ? (exclusive ? j > i : j >= i) : (exclusive ? j < i : j <= i);
      m.push_back(isa<FloatType>(maskElement)
                      ? Attribute(nc.builder.getFloatAttr(maskElement, in))
                      : Attribute(nc.builder.getIntegerAttr(maskElement, in)));
    }
  Value tri = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get({n, n}, maskElement), m));
  SmallVector<int64_t> perm = axisLast(type.getRank(), *axis);
  Value x = transposed(nc, nc.inputs[0], perm);
  auto xType = cast<RankedTensorType>(x.getType());
  Value y;
  if (product) {
    // [..., n (j), 1] against M [n (j), n (i)]: [..., n, n], reduced over j.
    SmallVector<int64_t> column(xType.getShape()), square(xType.getShape());
    column.push_back(1);
    square.push_back(n);
    Value chosen = WhereOp::create(nc.builder, nc.loc, xType.clone(square), tri,
                                   nc.reshape(x, column), scalar(nc, t, 1.0));
    y = ReduceProdOp::create(
        nc.builder, nc.loc, xType, chosen,
        nc.builder.getDenseI64ArrayAttr({xType.getRank() - 1}),
        nc.builder.getBoolAttr(false));
  } else {
    auto productType =
        *inferMatMulType(xType, cast<RankedTensorType>(tri.getType()), nullptr);
    y = MatMulOp::create(nc.builder, nc.loc, productType, x, tri);
  }
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  nc.outputs.push_back(transposed(nc, y, inverse));
  return success();
}

LogicalResult importCumSum(NodeContext &nc) {
  return importCumulative(nc, /*product=*/false);
}

LogicalResult importCumProd(NodeContext &nc) {
  return importCumulative(nc, /*product=*/true);
}

/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere (before
/// opset 13, of the input flattened to 2-D at the axis).
LogicalResult importHardmax(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)) ||
      failed(requireStatic(nc, 0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  FailureOr<int64_t> axis = nc.normalizeAxis(
      nc.intAttr("axis", nc.opset >= 13 ? -1 : 1), type.getRank());
  if (failed(axis))
    return failure();
  Value x = nc.inputs[0];
  if (nc.opset < 13) {
    int64_t outer = 1;
    for (int64_t d = 0; d < *axis; ++d)
      outer *= type.getDimSize(d);
    x = nc.reshape(x, {outer, type.getNumElements() / std::max<int64_t>(outer, 1)});
    axis = 1;
  }
  auto xType = cast<RankedTensorType>(x.getType());
  Value argmax = ArgMaxOp::create(nc.builder, nc.loc, x,
                                  nc.builder.getI64IntegerAttr(*axis),
                                  nc.builder.getBoolAttr(true),
                                  nc.builder.getBoolAttr(false));
  int64_t n = xType.getDimSize(*axis);
  SmallVector<int64_t> positions(n), iotaShape(xType.getRank(), 1);
  for (int64_t i = 0; i < n; ++i)
    positions[i] = i;
  iotaShape[*axis] = n;
  Value iota = ConstantOp::create(
      nc.builder, nc.loc,
      DenseIntElementsAttr::get(
          RankedTensorType::get(iotaShape, nc.builder.getI64Type()), positions));
  Value y = nc.castTo(bin<EqualOp>(nc, iota, argmax), type.getElementType());
  nc.outputs.push_back(nc.reshape(y, type.getShape()));
  return success();
}

/// EyeLike: a constant of the input's (2-D) shape with ones on the k-th
/// diagonal.
LogicalResult importEyeLike(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(requireStatic(nc, 0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  if (type.getRank() != 2) {
    nc.error() << "expects a 2-D input, got " << type;
    return failure();
  }
  Type element = type.getElementType();
  if (const onnx::AttributeProto *dtype = nc.attr("dtype")) {
    element = elementTypeFor(nc.builder.getContext(), dtype->i());
    if (!element) {
      nc.error() << "dtype " << dtype->i() << " is not supported";
      return failure();
    }
    nc.setUnsignedOutput(0, isUnsignedOnnxType(dtype->i()));
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1),
          k = nc.intAttr("k", 0);
  Attribute one = isa<FloatType>(element)
                      ? Attribute(nc.builder.getFloatAttr(element, 1.0))
                      : Attribute(nc.builder.getIntegerAttr(element, 1));
  Attribute zero = nc.builder.getZeroAttr(element);
  SmallVector<Attribute> values;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      values.push_back(c - r == k ? one : zero);
  nc.outputs.push_back(ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get({rows, cols}, element),
                             values)));
  return success();
}

/// CenterCropPad: along each axis, the centered window of the target size
/// (a slice) where it is smaller, the input centered in zeros (a pad)
/// where it is larger; an odd difference puts the extra element at the end.
LogicalResult importCenterCropPad(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireStatic(nc, 0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  auto shape = nc.constantInts(1, "shape");
  if (failed(shape))
    return failure();
  int64_t rank = type.getRank();
  FailureOr<SmallVector<int64_t>> axesOrFailure = nc.axesAttr("axes", rank);
  if (failed(axesOrFailure))
    return failure();
  SmallVector<int64_t> &axes = *axesOrFailure;
  if (axes.size() != shape->size()) {
    nc.error() << "shape has " << shape->size() << " sizes for " << axes.size()
               << " axes";
    return failure();
  }
  SmallVector<int64_t> cropped(type.getShape()), starts(rank, 0),
      pads(2 * rank, 0), target(type.getShape());
  for (auto [axis, size] : llvm::zip(axes, *shape)) {
    int64_t dim = type.getDimSize(axis);
    if (size < 0) {
      nc.error() << "target size " << size << " is negative";
      return failure();
    }
    target[axis] = size;
    if (size < dim) {
      starts[axis] = (dim - size) / 2;
      cropped[axis] = size;
    } else if (size > dim) {
      pads[axis] = (size - dim) / 2;
      pads[rank + axis] = size - dim - pads[axis];
    }
  }
  Value x = nc.builder.createOrFold<SliceOp>(
      nc.loc, type.clone(cropped), nc.inputs[0],
      nc.builder.getDenseI64ArrayAttr(starts),
      nc.builder.getDenseI64ArrayAttr(SmallVector<int64_t>(rank, 1)));
  if (llvm::any_of(pads, [](int64_t p) { return p != 0; }))
    x = PadOp::create(nc.builder, nc.loc, type.clone(target), x,
                      nc.builder.getDenseI64ArrayAttr(pads),
                      nc.builder.getStringAttr("constant"),
                      nc.builder.getF64FloatAttr(0.0));
  nc.outputs.push_back(x);
  return success();
}

LogicalResult importOneHot(NodeContext &nc) {
  if (failed(nc.requireInputs(3)) || failed(requireStatic(nc, 0)))
    return failure();
  auto depthValue = nc.constantInts(1, "depth");
  ElementsAttr depthAttr = nc.constantInput(1);
  int64_t depth;
  if (succeeded(depthValue)) {
    depth = (*depthValue)[0];
  } else if (depthAttr && isa<FloatType>(depthAttr.getElementType())) {
    depth = static_cast<int64_t>(
        cast<FloatAttr>(*depthAttr.getValues<Attribute>().begin()).getValueAsDouble());
  } else {
    return failure();
  }
  RankedTensorType indices = nc.inputType(0), values = nc.inputType(2);
  if (values.getNumElements() != 2 || depth < 1) {
    nc.error() << "values must hold [off, on] and depth be positive";
    return failure();
  }
  int64_t rank = indices.getRank() + 1;
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", -1), rank);
  if (failed(axis))
    return failure();
  OpBuilder &b = nc.builder;
  // Normalize negative indices, then compare with 0..depth-1 along `axis`.
  Value idx = nc.castTo(nc.inputs[0], b.getI64Type());
  auto scalarI64 = [&](int64_t v) {
    return ConstantOp::create(b, nc.loc,
                              DenseIntElementsAttr::get(
                                  RankedTensorType::get({}, b.getI64Type()), {v}));
  };
  auto idxType = cast<RankedTensorType>(idx.getType());
  Value negative = b.createOrFold<LessOp>(nc.loc, idxType.clone(b.getI1Type()),
                                         idx, scalarI64(0));
  Value shifted = b.createOrFold<AddOp>(nc.loc, idxType, idx, scalarI64(depth));
  idx = b.createOrFold<WhereOp>(nc.loc, idxType, negative, shifted, idx);
  SmallVector<int64_t> idxShape(indices.getShape());
  idxShape.insert(idxShape.begin() + *axis, 1);
  idx = nc.reshape(idx, idxShape);
  SmallVector<int64_t> rangeShape(rank, 1), iota;
  rangeShape[*axis] = depth;
  for (int64_t i = 0; i < depth; ++i)
    iota.push_back(i);
  Value range = ConstantOp::create(
      b, nc.loc, DenseIntElementsAttr::get(RankedTensorType::get(rangeShape, b.getI64Type()),
                                           iota));
  auto eqType = *inferBroadcastType(cast<RankedTensorType>(idx.getType()),
                                    cast<RankedTensorType>(range.getType()), nullptr);
  Value hot = b.createOrFold<EqualOp>(nc.loc, eqType.clone(b.getI1Type()), idx, range);
  auto pick = [&](int64_t i) {
    Value one = nc.builder.createOrFold<SliceOp>(
        nc.loc, RankedTensorType::get({1}, values.getElementType()),
        nc.reshape(nc.inputs[2], {2}), b.getDenseI64ArrayAttr({i}),
        b.getDenseI64ArrayAttr({1}));
    return nc.reshape(one, {});
  };
  nc.outputs.push_back(b.createOrFold<WhereOp>(
      nc.loc, eqType.clone(values.getElementType()), hot, pick(1), pick(0)));
  return success();
}

} // namespace

void addTensorOpImporters(StringMap<OpImporterFn> &table) {
  table["ArgMax"] = importArgReduce<ArgMaxOp>;
  table["ArgMin"] = importArgReduce<ArgMinOp>;
  table["Concat"] = importConcat;
  table["CumSum"] = importCumSum;
  table["CumProd"] = importCumProd;
  table["DepthToSpace"] = importDepthToSpace;
  table["OneHot"] = importOneHot;
  table["Hardmax"] = importHardmax;
  table["EyeLike"] = importEyeLike;
  table["CenterCropPad"] = importCenterCropPad;
  table["SpaceToDepth"] = importSpaceToDepth;
  table["ConstantOfShape"] = importConstantOfShape;
  table["Dropout"] = importDropout;
  table["Expand"] = importExpand;
  table["Gather"] = importGather;
  table["Range"] = importRange;
  table["ReduceL1"] = importReduce<ReduceL1Op>;
  table["ReduceL2"] = importReduce<ReduceL2Op>;
  table["ReduceLogSum"] = importReduce<ReduceLogSumOp>;
  table["ReduceLogSumExp"] = importReduce<ReduceLogSumExpOp>;
  table["ReduceMax"] = importReduce<ReduceMaxOp>;
  table["ReduceMean"] = importReduce<ReduceMeanOp>;
  table["ReduceMin"] = importReduce<ReduceMinOp>;
  table["ReduceProd"] = importReduce<ReduceProdOp>;
  table["ReduceSum"] = importReduce<ReduceSumOp>;
  table["ReduceSumSquare"] = importReduce<ReduceSumSquareOp>;
  table["Shape"] = importShape;
  table["Size"] = importSize;
  table["Slice"] = importSlice;
  table["Split"] = importSplit;
  table["Squeeze"] = importSqueeze;
  table["Tile"] = importTile;
  table["Trilu"] = importTrilu;
  table["Unsqueeze"] = importUnsqueeze;
}

} // namespace gcomp::detail
