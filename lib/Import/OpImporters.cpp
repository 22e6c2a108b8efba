//===- OpImporters.cpp - one function per ONNX operator -------------------===//
//
// Each importer maps every opset's spelling of an operator onto the gcomp
// op for its semantic, checking what the op's verifier cannot see (constant
// inputs, attributes, opset-specific defaults).
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"
#include "llvm/Support/MathExtras.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {




template <typename OpT>
LogicalResult importBinary(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  if (nc.opset < 7 && nc.intAttr("broadcast", 0)) {
    nc.error() << "legacy broadcasting (opset < 7 'broadcast' attribute) is "
                  "not supported";
    return failure();
  }
  FailureOr<RankedTensorType> type = inferBroadcastType(
      nc.inputType(0), nc.inputType(1), nc.errorFn());
  if (failed(type))
    return failure();
  nc.outputs.push_back(nc.builder.createOrFold<OpT>(nc.loc, *type, nc.inputs[0],
                                                    nc.inputs[1]));
  return success();
}

/// Operands must have one element type; ONNX allows that only where it
/// says so, so a mismatch is a malformed model.
LogicalResult requireSameElementType(NodeContext &nc) {
  Type first;
  for (Value v : nc.inputs) {
    if (!v)
      continue;
    Type t = cast<RankedTensorType>(v.getType()).getElementType();
    if (first && t != first) {
      nc.error() << "inputs have different element types (" << first
                 << " and " << t << ")";
      return failure();
    }
    first = t;
  }
  return success();
}

/// The node's inputs for an op whose result depends on signedness
/// (comparisons, Min, Max, Div, Mod). The graph's integers are signless
/// and its ops compute as signed; unsigned inputs of 32 bits or fewer are
/// zero-extended to twice their width, where signed arithmetic gives the
/// unsigned answer, and `narrow` is set to the type a non-boolean result
/// goes back to (null when nothing was widened; uint64 stays as it is).
SmallVector<Value> unsignedSafeInputs(NodeContext &nc, Type &narrow) {
  narrow = nullptr;
  SmallVector<Value> inputs(nc.inputs);
  if (inputs.empty() || !inputs[0])
    return inputs;
  Type element = nc.inputType(0).getElementType();
  unsigned bits = element.isSignlessInteger() ? element.getIntOrFloatBitWidth()
                                              : 0;
  bool anyUnsigned = llvm::any_of(llvm::seq<unsigned>(inputs.size()),
                                  [&](unsigned i) {
                                    return nc.isUnsignedInput(i);
                                  });
  if (!anyUnsigned || bits < 8 || bits > 32)
    return inputs;
  Type wide = nc.builder.getIntegerType(2 * bits);
  for (auto [i, v] : llvm::enumerate(inputs))
    if (v)
      v = nc.castTo(v, wide, nc.isUnsignedInput(i));
  narrow = element;
  return inputs;
}

template <typename OpT>
LogicalResult importCompare(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireSameElementType(nc)))
    return failure();
  Type narrow;
  SmallVector<Value> in = unsignedSafeInputs(nc, narrow);
  FailureOr<Value> v = broadcastBinary<OpT>(nc, in[0], in[1]);
  if (failed(v))
    return failure();
  nc.outputs.push_back(*v);
  return success();
}

/// Sum, Mean, Min, Max: variadic, folded pairwise left to right.
template <typename OpT>
LogicalResult importVariadic(NodeContext &nc) {
  if (nc.inputs.empty() || llvm::is_contained(nc.inputs, Value())) {
    nc.error() << "expects at least one input, none omitted";
    return failure();
  }
  if (failed(requireSameElementType(nc)))
    return failure();
  Type narrow;
  SmallVector<Value> in = nc.inputs;
  if constexpr (std::is_same_v<OpT, MinOp> || std::is_same_v<OpT, MaxOp>)
    in = unsignedSafeInputs(nc, narrow);
  Value acc = in[0];
  for (Value next : ArrayRef(in).drop_front()) {
    FailureOr<Value> v = broadcastBinary<OpT>(nc, acc, next);
    if (failed(v))
      return failure();
    acc = *v;
  }
  nc.outputs.push_back(narrow ? nc.castTo(acc, narrow) : acc);
  return success();
}

/// Div: integers divide as unsigned when they are (unsignedSafeInputs).
LogicalResult importDiv(NodeContext &nc) {
  if (failed(importBinary<DivOp>(nc)))
    return failure();
  Type narrow;
  SmallVector<Value> in = unsignedSafeInputs(nc, narrow);
  if (!narrow)
    return success();
  nc.outputs.pop_back();
  FailureOr<Value> v = broadcastBinary<DivOp>(nc, in[0], in[1]);
  if (failed(v))
    return failure();
  nc.outputs.push_back(nc.castTo(*v, narrow));
  return success();
}

LogicalResult importMean(NodeContext &nc) {
  if (failed(importVariadic<AddOp>(nc)))
    return failure();
  Value sum = nc.outputs.pop_back_val();
  auto type = cast<RankedTensorType>(sum.getType());
  auto scalarType = RankedTensorType::get({}, type.getElementType());
  Value count = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(scalarType,
                             nc.builder.getFloatAttr(type.getElementType(),
                                                     nc.inputs.size())));
  nc.outputs.push_back(nc.builder.createOrFold<DivOp>(nc.loc, type, sum, count));
  return success();
}

template <typename OpT>
LogicalResult importUnaryFloat(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  nc.outputs.push_back(OpT::create(nc.builder, nc.loc, nc.inputs[0]));
  return success();
}

template <typename OpT>
LogicalResult importUnaryAny(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  nc.outputs.push_back(nc.builder.createOrFold<OpT>(
      nc.loc, nc.inputs[0].getType(), nc.inputs[0]));
  return success();
}

LogicalResult importNot(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  if (!nc.inputType(0).getElementType().isInteger(1)) {
    nc.error() << "expects a bool input";
    return failure();
  }
  nc.outputs.push_back(NotOp::create(nc.builder, nc.loc, nc.inputs[0]));
  return success();
}

/// BitwiseAnd, BitwiseOr, BitwiseXor: the same ops as And, Or, Xor on the
/// bits of integers (signedness does not matter).
template <typename OpT>
LogicalResult importBitwise(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireSameElementType(nc)))
    return failure();
  if (!nc.inputType(0).getElementType().isSignlessInteger()) {
    nc.error() << "expects integer inputs, got " << nc.inputType(0);
    return failure();
  }
  FailureOr<Value> v = broadcastBinary<OpT>(nc, nc.inputs[0], nc.inputs[1]);
  if (failed(v))
    return failure();
  nc.outputs.push_back(*v);
  return success();
}

LogicalResult importBitwiseNot(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  if (!nc.inputType(0).getElementType().isSignlessInteger()) {
    nc.error() << "expects an integer input, got " << nc.inputType(0);
    return failure();
  }
  nc.outputs.push_back(NotOp::create(nc.builder, nc.loc, nc.inputs[0]));
  return success();
}

template <typename OpT>
LogicalResult importPredicate(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  auto type = nc.inputType(0).clone(nc.builder.getI1Type());
  if constexpr (std::is_same_v<OpT, IsInfOp>)
    nc.outputs.push_back(IsInfOp::create(
        nc.builder, nc.loc, type, nc.inputs[0],
        nc.builder.getBoolAttr(nc.intAttr("detect_positive", 1)),
        nc.builder.getBoolAttr(nc.intAttr("detect_negative", 1))));
  else
    nc.outputs.push_back(OpT::create(nc.builder, nc.loc, type, nc.inputs[0]));
  return success();
}

/// Activations with float attributes, by ONNX attribute name and default.
template <typename OpT>
LogicalResult importActivation(NodeContext &nc,
                               ArrayRef<std::pair<StringRef, float>> attrs) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  SmallVector<NamedAttribute> named;
  for (auto [name, def] : attrs)
    named.push_back(nc.builder.getNamedAttr(
        name, nc.builder.getF32FloatAttr(nc.floatAttr(name, def))));
  OperationState state(nc.loc, OpT::getOperationName());
  state.addOperands(nc.inputs[0]);
  state.addTypes(nc.inputs[0].getType());
  state.addAttributes(named);
  nc.outputs.push_back(nc.builder.create(state)->getResult(0));
  return success();
}

LogicalResult importElu(NodeContext &nc) {
  return importActivation<EluOp>(nc, {{"alpha", 1.0f}});
}
LogicalResult importCelu(NodeContext &nc) {
  return importActivation<CeluOp>(nc, {{"alpha", 1.0f}});
}
LogicalResult importSelu(NodeContext &nc) {
  return importActivation<SeluOp>(
      nc, {{"alpha", 1.67326319217681884765625f},
           {"gamma", 1.05070102214813232421875f}});
}
LogicalResult importLeakyRelu(NodeContext &nc) {
  return importActivation<LeakyReluOp>(nc, {{"alpha", 0.01f}});
}
LogicalResult importThresholdedRelu(NodeContext &nc) {
  return importActivation<ThresholdedReluOp>(nc, {{"alpha", 1.0f}});
}
LogicalResult importHardSigmoid(NodeContext &nc) {
  return importActivation<HardSigmoidOp>(nc, {{"alpha", 0.2f}, {"beta", 0.5f}});
}
LogicalResult importShrink(NodeContext &nc) {
  return importActivation<ShrinkOp>(nc, {{"bias", 0.0f}, {"lambd", 0.5f}});
}

LogicalResult importGelu(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  const onnx::AttributeProto *a = nc.attr("approximate");
  std::string mode = a ? a->s() : "none";
  if (mode != "none" && mode != "tanh") {
    nc.error() << "approximate='" << mode << "' is not 'none' or 'tanh'";
    return failure();
  }
  nc.outputs.push_back(GeluOp::create(nc.builder, nc.loc, nc.inputs[0],
                                      nc.builder.getBoolAttr(mode == "tanh")));
  return success();
}


/// Constants smaller than this are weights too small to matter: their
/// casts fold as they are imported.
constexpr int64_t kWeightOnlyMinElements = 1024;

LogicalResult importCast(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  Type to;
  bool toUnsigned;
  if (nc.node.op_type() == "CastLike") {
    if (failed(nc.requiredInput(1)))
      return failure();
    to = nc.inputType(1).getElementType();
    toUnsigned = nc.isUnsignedInput(1);
  } else {
    int64_t code = nc.intAttr("to", 0);
    to = elementTypeFor(nc.builder.getContext(), code);
    if (!to) {
      nc.error() << "cast to " << onnxTypeName(code) << " is not supported";
      return failure();
    }
    toUnsigned = isUnsignedOnnxType(code);
  }
  Type from = nc.inputType(0).getElementType();
  if (!(isa<FloatType>(from) || isa<IntegerType>(from)) ||
      !(isa<FloatType>(to) || isa<IntegerType>(to))) {
    nc.error() << "cast from " << from << " to " << to << " is not supported";
    return failure();
  }
  // 8-bit integer weights cast to f32 stay a cast (of a constant):
  // gcomp-quantized-products reads weight-only quantized products out of
  // `cast(w) * scale`, and gcomp-fold-constants folds what it leaves.
  auto inputType = cast<RankedTensorType>(nc.inputs[0].getType());
  if (to.isF32() && from.isSignlessInteger(8) && inputType.hasStaticShape() &&
      inputType.getNumElements() >= kWeightOnlyMinElements &&
      nc.inputs[0].getDefiningOp<ConstantOp>()) {
    nc.outputs.push_back(CastOp::create(nc.builder, nc.loc,
                                        inputType.clone(to), nc.inputs[0],
                                        nc.isUnsignedInput(0), false));
    return success();
  }
  nc.outputs.push_back(
      nc.castTo(nc.inputs[0], to, nc.isUnsignedInput(0), toUnsigned));
  nc.setUnsignedOutput(0, toUnsigned);
  return success();
}

LogicalResult importPow(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  // ONNX allows an exponent of another numeric type; compute in the base's.
  Value exponent = nc.castTo(nc.inputs[1], nc.inputType(0).getElementType());
  FailureOr<Value> v = broadcastBinary<PowOp>(nc, nc.inputs[0], exponent);
  if (failed(v))
    return failure();
  nc.outputs.push_back(*v);
  return success();
}

LogicalResult importMod(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireSameElementType(nc)))
    return failure();
  bool fmod = nc.intAttr("fmod", 0);
  Type element = nc.inputType(0).getElementType();
  if (!fmod && isa<FloatType>(element)) {
    // Floats with fmod=0 (newer opsets allow it): the remainder with the
    // divisor's sign, as numpy.mod. The truncated remainder r is moved by
    // one divisor where it is non-zero and its sign differs from the
    // divisor's (a NaN stays NaN; x mod +-inf keeps x or gives +-inf).
    FailureOr<Value> r = broadcastBinary<FModOp>(nc, nc.inputs[0], nc.inputs[1]);
    if (failed(r))
      return failure();
    Value zero = scalar(nc, element, 0.0), y = nc.inputs[1];
    Value moves = bin<AndOp>(
        nc, NotOp::create(nc.builder, nc.loc, bin<EqualOp>(nc, *r, zero)),
        bin<XorOp>(nc, LessOp::create(nc.builder, nc.loc, *r, zero),
                   LessOp::create(nc.builder, nc.loc, y, zero)));
    nc.outputs.push_back(WhereOp::create(nc.builder, nc.loc, moves,
                                         bin<AddOp>(nc, *r, y), *r));
    return success();
  }
  Type narrow;
  SmallVector<Value> in = unsignedSafeInputs(nc, narrow);
  FailureOr<Value> v = fmod ? broadcastBinary<FModOp>(nc, in[0], in[1])
                            : broadcastBinary<ModOp>(nc, in[0], in[1]);
  if (failed(v))
    return failure();
  nc.outputs.push_back(narrow ? nc.castTo(*v, narrow) : *v);
  return success();
}

LogicalResult importBitShift(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireSameElementType(nc)))
    return failure();
  const onnx::AttributeProto *a = nc.attr("direction");
  std::string direction = a ? a->s() : "";
  FailureOr<Value> v;
  if (direction == "LEFT")
    v = broadcastBinary<BitShiftLeftOp>(nc, nc.inputs[0], nc.inputs[1]);
  else if (direction == "RIGHT" && nc.isUnsignedInput(0))
    v = broadcastBinary<BitShiftRightOp>(nc, nc.inputs[0], nc.inputs[1]);
  else if (direction == "RIGHT") // signed types (newer opsets allow them)
    v = broadcastBinary<BitShiftRightArithOp>(nc, nc.inputs[0], nc.inputs[1]);
  else {
    nc.error() << "direction must be LEFT or RIGHT, got '" << direction << "'";
    return failure();
  }
  if (failed(v))
    return failure();
  nc.outputs.push_back(*v);
  return success();
}

LogicalResult importPRelu(NodeContext &nc) {
  if (failed(nc.requireInputs(2)) || failed(requireSameElementType(nc)))
    return failure();
  FailureOr<Value> v = broadcastBinary<PReluOp>(nc, nc.inputs[0], nc.inputs[1]);
  if (failed(v))
    return failure();
  if (cast<RankedTensorType>(v->getType()).getShape() !=
      nc.inputType(0).getShape()) {
    nc.error() << "slope must broadcast to the input's shape";
    return failure();
  }
  nc.outputs.push_back(*v);
  return success();
}

LogicalResult importWhere(NodeContext &nc) {
  if (failed(nc.requireInputs(3)))
    return failure();
  FailureOr<RankedTensorType> type = inferWhereType(
      nc.inputType(0), nc.inputType(1), nc.inputType(2), nc.errorFn());
  if (failed(type))
    return failure();
  nc.outputs.push_back(nc.builder.createOrFold<WhereOp>(
      nc.loc, *type, nc.inputs[0], nc.inputs[1], nc.inputs[2]));
  return success();
}

/// A scalar constant of `type`'s element type.
Value scalarOf(NodeContext &nc, Type element, double v) {
  auto type = RankedTensorType::get({}, element);
  Attribute a = isa<FloatType>(element)
                    ? Attribute(nc.builder.getFloatAttr(element, v))
                    : Attribute(nc.builder.getIntegerAttr(element, (int64_t)v));
  return ConstantOp::create(nc.builder, nc.loc,
                            DenseElementsAttr::get(type, ArrayRef(a)));
}

LogicalResult importClip(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  Value x = nc.inputs[0];
  Type element = nc.inputType(0).getElementType();
  Value lo, hi;
  if (nc.opset < 11) {
    if (nc.attr("min"))
      lo = scalarOf(nc, element, nc.floatAttr("min", 0));
    if (nc.attr("max"))
      hi = scalarOf(nc, element, nc.floatAttr("max", 0));
  } else {
    lo = nc.optionalInput(1);
    hi = nc.optionalInput(2);
  }
  if (lo) {
    FailureOr<Value> v = broadcastBinary<MaxOp>(nc, x, lo);
    if (failed(v))
      return failure();
    x = *v;
  }
  if (hi) {
    FailureOr<Value> v = broadcastBinary<MinOp>(nc, x, hi);
    if (failed(v))
      return failure();
    x = *v;
  }
  nc.outputs.push_back(x);
  return success();
}

template <typename OpT>
LogicalResult importSoftmax(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis =
      nc.normalizeAxis(nc.intAttr("axis", nc.opset >= 13 ? -1 : 1),
                       std::max<int64_t>(rank, 1));
  if (failed(axis))
    return failure();
  if (nc.opset >= 13 || rank == 0 || *axis == rank - 1) {
    // Opset 13 semantics, or the pre-13 2-D coercion is the same thing.
    nc.outputs.push_back(OpT::create(nc.builder, nc.loc, nc.inputs[0],
                                     nc.builder.getI64IntegerAttr(*axis)));
    return success();
  }
  // Before opset 13 the input is flattened to [prod(dims[:axis]),
  // prod(dims[axis:])] and normalized along the second dim.
  if (!type.hasStaticShape()) {
    nc.error() << "opset < 13 Softmax over several dims needs a static shape, "
                  "got "
               << type;
    return failure();
  }
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i)
    (i < *axis ? outer : inner) *= type.getDimSize(i);
  Value flat = nc.reshape(nc.inputs[0], {outer, inner});
  Value softmax =
      OpT::create(nc.builder, nc.loc, flat, nc.builder.getI64IntegerAttr(1));
  nc.outputs.push_back(nc.reshape(softmax, type.getShape()));
  return success();
}

LogicalResult importMatMul(NodeContext &nc) {
  if (failed(nc.requireInputs(2)))
    return failure();
  FailureOr<RankedTensorType> type =
      inferMatMulType(nc.inputType(0), nc.inputType(1), nc.errorFn());
  if (failed(type))
    return failure();
  nc.outputs.push_back(MatMulOp::create(nc.builder, nc.loc, *type,
                                        nc.inputs[0], nc.inputs[1]));
  return success();
}

LogicalResult importGemm(NodeContext &nc) {
  if (failed(nc.requireInputs(nc.opset < 11 ? 3 : 2)) ||
      failed(nc.requireFloatInput(0)))
    return failure();
  Value c = nc.optionalInput(2);
  bool transA = nc.intAttr("transA", 0), transB = nc.intAttr("transB", 0);
  FailureOr<RankedTensorType> type = inferGemmType(
      nc.inputType(0), nc.inputType(1),
      c ? cast<RankedTensorType>(c.getType()) : RankedTensorType(), transA,
      transB, nc.errorFn());
  if (failed(type))
    return failure();
  OpBuilder &b = nc.builder;
  nc.outputs.push_back(GemmOp::create(
      b, nc.loc, *type, nc.inputs[0], nc.inputs[1], c,
      b.getF32FloatAttr(nc.floatAttr("alpha", 1.0f)),
      b.getF32FloatAttr(nc.floatAttr("beta", 1.0f)), b.getBoolAttr(transA),
      b.getBoolAttr(transB)));
  return success();
}

/// A reshape of a value with symbolic dims, or to sizes computed from them
/// (Shape -> Gather -> Concat): the entries are sizes in terms of the
/// symbolic dims (0 copies the input's dim, -1 takes what is left, divided
/// exactly), and the element counts must be equal as expressions. Symbolic
/// dims may be kept ([batch, seq, 768] to [batch, seq, 12, 64]), merged
/// ([batch * seq, 768]) or split back.
LogicalResult importSymbolicReshape(NodeContext &nc,
                                    ArrayRef<SymExpr> entries,
                                    bool allowZero) {
  SymbolicShapes &shapes = *nc.symbolic;
  RankedTensorType inType = nc.inputType(0);
  std::optional<SmallVector<SymExpr>> in = shapes.shape(nc.inputs[0]);
  if (!in) {
    nc.error() << "input 0 has dynamic dims (" << inType
               << ") whose sizes the importer cannot tell from the input "
                  "dims; fix them with --dim NAME=N or --shape INPUT=DIMS";
    return failure();
  }
  auto product = [](ArrayRef<SymExpr> dims) -> std::optional<SymExpr> {
    std::optional<SymExpr> p = SymExpr::constant(1);
    for (const SymExpr &d : dims)
      if (p)
        p = SymExpr::mul(*p, d);
    return p;
  };
  SmallVector<SymExpr> out;
  int64_t inferIndex = -1;
  for (auto [i, entry] : llvm::enumerate(entries)) {
    std::optional<int64_t> c = entry.getConstant();
    if (c && *c == 0 && !allowZero) {
      if (static_cast<int64_t>(i) >= inType.getRank()) {
        nc.error() << "shape entry " << i << " is 0 (copy) but the input has "
                   << "rank " << inType.getRank();
        return failure();
      }
      out.push_back((*in)[i]);
    } else if (c && *c == -1) {
      if (inferIndex >= 0) {
        nc.error() << "shape has more than one -1 entry";
        return failure();
      }
      inferIndex = i;
      out.push_back(SymExpr::constant(1));
    } else if ((c && *c < 0) || (!c && !entry.isNonNegative())) {
      nc.error() << "shape entry " << i << " is " << shapes.str(entry);
      return failure();
    } else {
      out.push_back(entry);
    }
  }
  std::optional<SymExpr> total = product(*in), known = product(out);
  if (!total || !known) {
    nc.error() << "the element count overflows int64";
    return failure();
  }
  if (inferIndex >= 0) {
    std::optional<SymExpr> rest = SymExpr::divExact(*total, *known);
    if (!rest) {
      nc.error() << "cannot infer the -1 dim: " << shapes.str(*total)
                 << " elements (" << shapes.str(*in)
                 << ") do not divide into " << shapes.str(out);
      return failure();
    }
    out[inferIndex] = *rest;
  } else if (*total != *known) {
    nc.error() << "cannot reshape " << shapes.str(*in) << " ("
               << shapes.str(*total) << " elements) to " << shapes.str(out)
               << " (" << shapes.str(*known) << " elements)";
    return failure();
  }
  SmallVector<int64_t> shape;
  for (const SymExpr &e : out) {
    std::optional<int64_t> c = e.getConstant();
    shape.push_back(c ? *c : ShapedType::kDynamic);
  }
  // Whether each symbolic dim stays whole and in order: the same dynamic
  // sizes on both sides, with static dims of equal products between them.
  auto segments = [](ArrayRef<SymExpr> dims, SmallVector<SymExpr> &dynamic,
                     SmallVector<int64_t> &products) {
    products.push_back(1);
    for (const SymExpr &d : dims) {
      if (std::optional<int64_t> c = d.getConstant()) {
        // (Overflow saturates: the products then compare unequal.)
        if (llvm::MulOverflow(products.back(), *c, products.back()))
          products.back() = -1;
        continue;
      }
      dynamic.push_back(d);
      products.push_back(1);
    }
  };
  SmallVector<SymExpr> dynamicIn, dynamicOut;
  SmallVector<int64_t> productsIn, productsOut;
  segments(*in, dynamicIn, productsIn);
  segments(out, dynamicOut, productsOut);
  bool keepsSymbolicDims =
      dynamicIn == dynamicOut && productsIn == productsOut;
  // The lowering computes one dynamic size from the input's (a merge,
  // [batch, seq, 768] to [batch * seq, 768]), and a reshape that keeps the
  // symbolic dims whole, or only moves unit dims, from the dims it keeps.
  // Any other (a split, [batch * seq, 768] to [batch, seq, 12, 64]) takes
  // its dynamic sizes as operands.
  auto outType = inType.clone(shape);
  auto withoutOnes = [](ArrayRef<int64_t> dims) {
    return llvm::to_vector(llvm::make_filter_range(
        dims, [](int64_t d) { return d != 1; }));
  };
  bool sizesFollow =
      outType.getNumDynamicDims() <= 1 ||
      (keepsSymbolicDims &&
       (outType == inType ||
        getReassociationIndicesForReshape(inType, outType) ||
        withoutOnes(inType.getShape()) == withoutOnes(outType.getShape())));
  Value v;
  if (sizesFollow)
    v = nc.reshape(nc.inputs[0], shape);
  else
    v = ReshapeOp::create(
        nc.builder, nc.loc, outType, nc.inputs[0],
        shapes.materializeDynamicDims(nc.builder, nc.loc, outType, out));
  if (v != nc.inputs[0])
    shapes.setShape(v, out);
  nc.outputs.push_back(v);
  return success();
}

LogicalResult importReshape(NodeContext &nc) {
  if (nc.opset < 5) {
    nc.error() << "Reshape before opset 5 (shape as an attribute) is not "
                  "supported";
    return failure();
  }
  if (failed(nc.requireInputs(2)))
    return failure();
  RankedTensorType inType = nc.inputType(0);
  bool allowZero = nc.opset >= 14 && nc.intAttr("allowzero", 0);
  if (nc.symbolic && (!inType.hasStaticShape() ||
                      nc.symbolic->hasSymbolicContent(nc.inputs[1]))) {
    FailureOr<SmallVector<SymExpr>> entries = nc.symbolicInts(1, "shape");
    if (failed(entries))
      return failure();
    return importSymbolicReshape(nc, *entries, allowZero);
  }
  FailureOr<SmallVector<int64_t>> shapeValues = nc.constantInts(1, "shape");
  if (failed(shapeValues))
    return failure();
  SmallVector<int64_t> shape;
  int64_t inferIndex = -1, known = 1;
  for (int64_t d : *shapeValues) {
    int64_t i = shape.size();
    if (d == 0 && !allowZero) {
      if (i >= inType.getRank()) {
        nc.error() << "shape entry " << i << " is 0 (copy) but the input has "
                   << "rank " << inType.getRank();
        return failure();
      }
      d = inType.getDimSize(i);
    } else if (d == -1) {
      if (inferIndex >= 0) {
        nc.error() << "shape has more than one -1 entry";
        return failure();
      }
      inferIndex = i;
      shape.push_back(1);
      continue;
    } else if (d < 0) {
      nc.error() << "shape entry " << i << " is " << d;
      return failure();
    }
    known *= d;
    shape.push_back(d);
  }
  int64_t total = inType.getNumElements();
  if (inferIndex >= 0) {
    if (known == 0 || total % known != 0) {
      nc.error() << "cannot infer the -1 dim: " << total
                 << " elements do not divide into " << shapeToString(shape);
      return failure();
    }
    shape[inferIndex] = total / known;
    known = total;
  }
  if (known != total) {
    nc.error() << "cannot reshape " << inType << " (" << total
               << " elements) to " << shapeToString(shape) << " (" << known
               << " elements)";
    return failure();
  }
  nc.outputs.push_back(nc.reshape(nc.inputs[0], shape));
  return success();
}

LogicalResult importFlatten(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", 1),
                                             type.getRank(),
                                             /*inclusiveEnd=*/true);
  if (failed(axis))
    return failure();
  if (!type.hasStaticShape()) {
    // [d0 .. d_axis-1, d_axis ..] to [outer, inner]: a symbolic dim stays
    // one where the rest of its side has static product 1.
    SmallVector<int64_t> dims;
    for (auto side : {ArrayRef<int64_t>(type.getShape()).take_front(*axis),
                      ArrayRef<int64_t>(type.getShape()).drop_front(*axis)}) {
      int64_t product = 1, dynamic = 0;
      for (int64_t d : side)
        ShapedType::isDynamic(d) ? ++dynamic : product *= d;
      if (dynamic > 1 || (dynamic == 1 && product != 1)) {
        nc.error() << "flattening " << type << " at axis " << *axis
                   << " merges a symbolic dim with others, which needs sizes "
                      "computed at run time (not supported yet)";
        return failure();
      }
      dims.push_back(dynamic ? ShapedType::kDynamic : product);
    }
    auto outType = type.clone(dims);
    if (outType != type && !getReassociationIndicesForReshape(type, outType)) {
      nc.error() << "flattening " << type << " at axis " << *axis
                 << " is not supported with symbolic dims";
      return failure();
    }
    nc.outputs.push_back(nc.reshape(nc.inputs[0], dims));
    return success();
  }
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < type.getRank(); ++i)
    (i < *axis ? outer : inner) *= type.getDimSize(i);
  nc.outputs.push_back(nc.reshape(nc.inputs[0], {outer, inner}));
  return success();
}

LogicalResult importTranspose(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  int64_t rank = nc.inputType(0).getRank();
  SmallVector<int64_t> perm;
  if (auto given = nc.intsAttr("perm"))
    perm.assign(given->begin(), given->end());
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  FailureOr<RankedTensorType> type =
      inferTransposeType(nc.inputType(0), perm, nc.errorFn());
  if (failed(type))
    return failure();
  nc.outputs.push_back(TransposeOp::create(nc.builder, nc.loc, *type,
                                           nc.inputs[0], perm));
  return success();
}

/// Det of float32 matrices (the runtime's LU, in double); other float
/// types go through float32.
LogicalResult importDet(NodeContext &nc) {
  if (failed(nc.requireInputs(1)) || failed(nc.requireFloatInput(0)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2 || !type.hasStaticShape() ||
      type.getDimSize(rank - 1) != type.getDimSize(rank - 2)) {
    nc.error() << "expects square matrices [..., N, N] of static shape, got "
               << type;
    return failure();
  }
  Type f32 = nc.builder.getF32Type();
  Value x = nc.castTo(nc.inputs[0], f32);
  Value det = DetOp::create(
      nc.builder, nc.loc,
      RankedTensorType::get(type.getShape().drop_back(2), f32), x);
  nc.outputs.push_back(nc.castTo(det, type.getElementType()));
  return success();
}

LogicalResult importIdentity(NodeContext &nc) {
  if (failed(nc.requireInputs(1)))
    return failure();
  nc.outputs.push_back(nc.inputs[0]);
  return success();
}

LogicalResult importConstant(NodeContext &nc) {
  OpBuilder &b = nc.builder;
  if (nc.node.attribute_size() != 1) {
    nc.error() << "expects exactly one value attribute, got "
               << nc.node.attribute_size();
    return failure();
  }
  const onnx::AttributeProto &a = nc.node.attribute(0);
  ElementsAttr value;
  if (a.name() == "value") {
    FailureOr<ElementsAttr> t =
        importTensor(a.t(), b.getContext(), *nc.tensorSource, nc.errorFn());
    if (failed(t))
      return failure();
    value = *t;
    nc.setUnsignedOutput(0, isUnsignedOnnxType(a.t().data_type()));
  } else if (a.name() == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getF32Type()),
                                   a.f());
  } else if (a.name() == "value_floats") {
    SmallVector<float> v(a.floats().begin(), a.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getF32Type()),
        ArrayRef(v));
  } else if (a.name() == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, b.getI64Type()),
                                   static_cast<int64_t>(a.i()));
  } else if (a.name() == "value_ints") {
    SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getI64Type()),
        ArrayRef(v));
  } else {
    nc.error() << "attribute '" << a.name() << "' is not supported";
    return failure();
  }
  nc.outputs.push_back(ConstantOp::create(b, nc.loc, value));
  return success();
}

} // namespace

const StringMap<OpImporterFn> &opImporters() {
  static const StringMap<OpImporterFn> table = [] {
    StringMap<OpImporterFn> t = {
      {"Abs", importUnaryAny<AbsOp>},
      {"Acos", importUnaryFloat<AcosOp>},
      {"Acosh", importUnaryFloat<AcoshOp>},
      {"And", importCompare<AndOp>},
      {"Asin", importUnaryFloat<AsinOp>},
      {"Asinh", importUnaryFloat<AsinhOp>},
      {"Atan", importUnaryFloat<AtanOp>},
      {"Atanh", importUnaryFloat<AtanhOp>},
      {"BitShift", importBitShift},
      {"BitwiseAnd", importBitwise<AndOp>},
      {"BitwiseNot", importBitwiseNot},
      {"BitwiseOr", importBitwise<OrOp>},
      {"BitwiseXor", importBitwise<XorOp>},
      {"Cast", importCast},
      {"CastLike", importCast},
      {"Ceil", importUnaryFloat<CeilOp>},
      {"Celu", importCelu},
      {"Clip", importClip},
      {"Cos", importUnaryFloat<CosOp>},
      {"Cosh", importUnaryFloat<CoshOp>},
      {"Elu", importElu},
      {"Equal", importCompare<EqualOp>},
      {"Erf", importUnaryFloat<ErfOp>},
      {"Exp", importUnaryFloat<ExpOp>},
      {"Floor", importUnaryFloat<FloorOp>},
      {"Gelu", importGelu},
      {"Greater", importCompare<GreaterOp>},
      {"GreaterOrEqual", importCompare<GreaterEqualOp>},
      {"HardSigmoid", importHardSigmoid},
      {"HardSwish", importUnaryFloat<HardSwishOp>},
      {"IsInf", importPredicate<IsInfOp>},
      {"IsNaN", importPredicate<IsNaNOp>},
      {"LeakyRelu", importLeakyRelu},
      {"Less", importCompare<LessOp>},
      {"LessOrEqual", importCompare<LessEqualOp>},
      {"Log", importUnaryFloat<LogOp>},
      {"Max", importVariadic<MaxOp>},
      {"Mean", importMean},
      {"Min", importVariadic<MinOp>},
      {"Mish", importUnaryFloat<MishOp>},
      {"Mod", importMod},
      {"Neg", importUnaryAny<NegOp>},
      {"Not", importNot},
      {"Or", importCompare<OrOp>},
      {"Pow", importPow},
      {"PRelu", importPRelu},
      {"Reciprocal", importUnaryFloat<ReciprocalOp>},
      {"Round", importUnaryFloat<RoundOp>},
      {"Selu", importSelu},
      {"Shrink", importShrink},
      {"Sign", importUnaryAny<SignOp>},
      {"Sin", importUnaryFloat<SinOp>},
      {"Sinh", importUnaryFloat<SinhOp>},
      {"Softplus", importUnaryFloat<SoftplusOp>},
      {"Softsign", importUnaryFloat<SoftsignOp>},
      {"Sqrt", importUnaryFloat<SqrtOp>},
      {"Sum", importVariadic<AddOp>},
      {"Tan", importUnaryFloat<TanOp>},
      {"ThresholdedRelu", importThresholdedRelu},
      {"Where", importWhere},
      {"Xor", importCompare<XorOp>},
      {"Add", importBinary<AddOp>},
      {"Constant", importConstant},
      {"Div", importDiv},
      {"Flatten", importFlatten},
      {"Gemm", importGemm},
      {"Det", importDet},
      {"Identity", importIdentity},
      {"MatMul", importMatMul},
      {"Mul", importBinary<MulOp>},
      {"Relu", importUnaryFloat<ReluOp>},
      {"Reshape", importReshape},
      {"Sigmoid", importUnaryFloat<SigmoidOp>},
      {"Softmax", importSoftmax<SoftmaxOp>},
      {"LogSoftmax", importSoftmax<LogSoftmaxOp>},
      {"Sub", importBinary<SubOp>},
      {"Tanh", importUnaryFloat<TanhOp>},
      {"Transpose", importTranspose},
    };
    addTensorOpImporters(t);
    addNNOpImporters(t);
    addAttentionImporter(t);
    addQuantOpImporters(t);
    addRecurrentImporters(t);
    addIndexingImporters(t);
    addDataDependentImporters(t);
    addSamplingImporters(t);
    addRotaryImporters(t);
    addResizeImporters(t);
    addEinsumImporter(t);
    addSignalImporters(t);
    return t;
  }();
  return table;
}

} // namespace gcomp::detail
