//===- OpImporters.cpp - one function per ONNX operator -------------------===//
//
// Each importer maps every opset's spelling of an operator onto the gcomp
// op for its semantic, checking what the op's verifier cannot see (constant
// inputs, attributes, opset-specific defaults).
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

LogicalResult requireFloat(NodeContext &nc, unsigned i) {
  if (isa<FloatType>(nc.inputType(i).getElementType()))
    return success();
  nc.error() << "expects a floating-point input, got "
             << nc.inputType(i).getElementType();
  return failure();
}

LogicalResult requireInputs(NodeContext &nc, unsigned count) {
  for (unsigned i = 0; i < count; ++i)
    if (failed(nc.requiredInput(i)))
      return failure();
  return success();
}

Value reshape(NodeContext &nc, Value input, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(
      shape, cast<RankedTensorType>(input.getType()).getElementType());
  if (type == input.getType())
    return input;
  return ReshapeOp::create(nc.builder, nc.loc, type, input);
}

template <typename OpT>
LogicalResult importBinary(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
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
  nc.outputs.push_back(
      OpT::create(nc.builder, nc.loc, *type, nc.inputs[0], nc.inputs[1]));
  return success();
}

template <typename OpT>
LogicalResult importUnaryFloat(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)) || failed(requireFloat(nc, 0)))
    return failure();
  nc.outputs.push_back(OpT::create(nc.builder, nc.loc, nc.inputs[0]));
  return success();
}

LogicalResult importSoftmax(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)) || failed(requireFloat(nc, 0)))
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
    nc.outputs.push_back(SoftmaxOp::create(nc.builder, nc.loc, nc.inputs[0],
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
  Value flat = reshape(nc, nc.inputs[0], {outer, inner});
  Value softmax = SoftmaxOp::create(nc.builder, nc.loc, flat,
                                    nc.builder.getI64IntegerAttr(1));
  nc.outputs.push_back(reshape(nc, softmax, type.getShape()));
  return success();
}

LogicalResult importMatMul(NodeContext &nc) {
  if (failed(requireInputs(nc, 2)))
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
  if (failed(requireInputs(nc, nc.opset < 11 ? 3 : 2)) ||
      failed(requireFloat(nc, 0)))
    return failure();
  Value c = nc.inputs.size() > 2 ? nc.inputs[2] : Value();
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

LogicalResult importReshape(NodeContext &nc) {
  if (nc.opset < 5) {
    nc.error() << "Reshape before opset 5 (shape as an attribute) is not "
                  "supported";
    return failure();
  }
  if (failed(requireInputs(nc, 2)))
    return failure();
  ElementsAttr shapeAttr = nc.constantInput(1);
  if (!shapeAttr || !isa<IntegerType>(shapeAttr.getElementType())) {
    nc.error() << "the shape input must be a constant integer tensor "
                  "(shapes computed at run time are not supported yet)";
    return failure();
  }
  RankedTensorType inType = nc.inputType(0);
  if (!inType.hasStaticShape()) {
    nc.error() << "reshaping a tensor with dynamic dims is not supported yet: "
               << inType;
    return failure();
  }
  bool allowZero = nc.opset >= 14 && nc.intAttr("allowzero", 0);
  SmallVector<int64_t> shape;
  int64_t inferIndex = -1, known = 1;
  for (APInt v : shapeAttr.getValues<APInt>()) {
    int64_t d = v.getSExtValue();
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
  nc.outputs.push_back(reshape(nc, nc.inputs[0], shape));
  return success();
}

LogicalResult importFlatten(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
    return failure();
  RankedTensorType type = nc.inputType(0);
  FailureOr<int64_t> axis = nc.normalizeAxis(nc.intAttr("axis", 1),
                                             type.getRank(),
                                             /*inclusiveEnd=*/true);
  if (failed(axis))
    return failure();
  if (!type.hasStaticShape()) {
    nc.error() << "flattening a tensor with dynamic dims is not supported "
                  "yet: "
               << type;
    return failure();
  }
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < type.getRank(); ++i)
    (i < *axis ? outer : inner) *= type.getDimSize(i);
  nc.outputs.push_back(reshape(nc, nc.inputs[0], {outer, inner}));
  return success();
}

LogicalResult importTranspose(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
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

LogicalResult importIdentity(NodeContext &nc) {
  if (failed(requireInputs(nc, 1)))
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
  static const StringMap<OpImporterFn> table = {
      {"Add", importBinary<AddOp>},
      {"Constant", importConstant},
      {"Div", importBinary<DivOp>},
      {"Flatten", importFlatten},
      {"Gemm", importGemm},
      {"Identity", importIdentity},
      {"MatMul", importMatMul},
      {"Mul", importBinary<MulOp>},
      {"Relu", importUnaryFloat<ReluOp>},
      {"Reshape", importReshape},
      {"Sigmoid", importUnaryFloat<SigmoidOp>},
      {"Softmax", importSoftmax},
      {"Sub", importBinary<SubOp>},
      {"Tanh", importUnaryFloat<TanhOp>},
      {"Transpose", importTranspose},
  };
  return table;
}

} // namespace gcomp::detail
