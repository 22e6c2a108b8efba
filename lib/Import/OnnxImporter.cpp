//===- OnnxImporter.cpp - ONNX ModelProto to the gcomp dialect ------------===//
//
// Reads the model with protobuf (or libonnx's text parser), then walks the
// main graph in order: inputs become entry arguments, initializers and
// Constant nodes become gcomp.constant, each node goes through the op table
// (OpImporters.cpp), and the graph outputs become the results. Every
// problem is reported as a diagnostic naming the node, never an abort.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Import/OnnxImporter.h"
#include "ImporterInternal.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/defs/parser.h>

using namespace mlir;
using namespace llvm;

namespace gcomp {
namespace detail {

InFlightDiagnostic NodeContext::error() const {
  return emitError(loc) << "node '" << node.name() << "' (" << node.op_type()
                        << ", opset " << opset << "): ";
}

Value NodeContext::mismatch(Value fallback, StringRef what,
                            ValueRange operands) const {
  if (!hasMismatch) {
    InFlightDiagnostic diag = error();
    diag << "its inputs do not fit together: an internal " << what
         << " gets operands of types";
    for (Value v : operands)
      diag << " " << v.getType();
  }
  hasMismatch = true;
  return fallback;
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::intAttr(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : defaultValue;
}

float NodeContext::floatAttr(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : defaultValue;
}

std::optional<std::vector<int64_t>>
NodeContext::intsAttr(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

ElementsAttr NodeContext::constantInput(unsigned i) const {
  if (i >= inputs.size() || !inputs[i])
    return nullptr;
  if (auto c = inputs[i].getDefiningOp<ConstantOp>())
    return c.getValue();
  return nullptr;
}

FailureOr<Value> NodeContext::requiredInput(unsigned i) const {
  if (i < inputs.size() && inputs[i])
    return inputs[i];
  error() << "input " << i << " is required";
  return failure();
}

LogicalResult NodeContext::requireInputs(unsigned count) const {
  for (unsigned i = 0; i < count; ++i)
    if (failed(requiredInput(i)))
      return failure();
  return success();
}

LogicalResult NodeContext::requireFloatInput(unsigned i) const {
  if (isa<FloatType>(inputType(i).getElementType()))
    return success();
  error() << "expects a floating-point input, got "
          << inputType(i).getElementType();
  return failure();
}

Value NodeContext::castTo(Value v, Type to, bool fromUnsigned,
                          bool toUnsigned) const {
  auto type = cast<RankedTensorType>(v.getType());
  Type from = type.getElementType();
  if (from == to)
    return v;
  // The markers only matter where they change the conversion.
  fromUnsigned &= isa<IntegerType>(from) && !from.isInteger(1);
  toUnsigned &= isa<FloatType>(from) && isa<IntegerType>(to) &&
                !to.isInteger(1);
  return builder.createOrFold<CastOp>(loc, type.clone(to), v, fromUnsigned,
                                      toUnsigned);
}

bool isUnsignedOnnxType(int onnxType) {
  return onnxType == onnx::TensorProto::UINT8 || onnxType == 21 /* UINT4 */ ||
         onnxType == onnx::TensorProto::UINT16 ||
         onnxType == onnx::TensorProto::UINT32 ||
         onnxType == onnx::TensorProto::UINT64;
}

Value NodeContext::reshape(Value input, ArrayRef<int64_t> shape) const {
  auto type = RankedTensorType::get(
      shape, cast<RankedTensorType>(input.getType()).getElementType());
  if (type == input.getType())
    return input;
  return builder.createOrFold<ReshapeOp>(loc, type, input);
}

FailureOr<SmallVector<SymExpr>>
NodeContext::symbolicInts(unsigned i, StringRef what) const {
  if (symbolic && i < inputs.size())
    if (std::optional<SmallVector<SymExpr>> values = symbolic->content(inputs[i]))
      return *values;
  FailureOr<SmallVector<int64_t>> values = constantInts(i, what);
  if (failed(values))
    return failure();
  return llvm::map_to_vector(*values, SymExpr::constant);
}

FailureOr<SmallVector<int64_t>> NodeContext::constantInts(unsigned i,
                                                          StringRef what) const {
  ElementsAttr attr = constantInput(i);
  if (symbolic && i < inputs.size() && inputs[i] &&
      symbolic->hasSymbolicContent(inputs[i])) {
    error() << "the " << what << " input is computed from symbolic dims ("
            << symbolic->str(*symbolic->content(inputs[i]))
            << "), which this op needs to be constant; fix the dims with "
               "--dim NAME=N or --shape INPUT=DIMS";
    return failure();
  }
  if (!attr || !isa<IntegerType>(attr.getElementType())) {
    error() << "the " << what
            << " input must be a constant integer tensor (values computed at "
               "run time are not supported yet)";
    return failure();
  }
  SmallVector<int64_t> values;
  for (APInt v : attr.getValues<APInt>())
    values.push_back(v.getSExtValue());
  return values;
}

FailureOr<SmallVector<double>> NodeContext::constantFloats(unsigned i,
                                                          StringRef what) const {
  ElementsAttr attr = constantInput(i);
  SmallVector<double> values;
  if (attr && isa<FloatType>(attr.getElementType())) {
    if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
      for (APFloat v : dense.getValues<APFloat>())
        values.push_back(v.convertToDouble());
      return values;
    }
    if (auto blob = dyn_cast<DenseF32ResourceElementsAttr>(attr))
      if (auto data = blob.tryGetAsArrayRef()) {
        values.append(data->begin(), data->end());
        return values;
      }
  }
  error() << "the " << what
          << " input must be a constant float tensor (values computed at run "
             "time are not supported yet)";
  return failure();
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank,
                                              bool inclusiveEnd) const {
  // Most ops take an axis in [-rank, rank); Flatten and friends also
  // accept rank itself. Negative axes count from the end either way.
  int64_t hi = inclusiveEnd ? rank + 1 : rank;
  if (axis < -rank || axis >= hi) {
    error() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

FailureOr<SmallVector<int64_t>> NodeContext::axesAttr(StringRef name,
                                                      int64_t rank) const {
  SmallVector<int64_t> axes;
  std::optional<std::vector<int64_t>> given = intsAttr(name);
  if (!given) {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
    return axes;
  }
  for (int64_t a : *given) {
    FailureOr<int64_t> axis = normalizeAxis(a, rank);
    if (failed(axis))
      return failure();
    axes.push_back(*axis);
  }
  return axes;
}

} // namespace detail

using namespace detail;

namespace {

/// Unsigned ONNX types are signless in the graph; the entry function keeps
/// their ONNX type in `gcomp.elem_type` for the ABI, and the importer keeps
/// the names of the values that hold one (GraphImporter::unsignedNames).
bool isUnsigned(int onnxType) { return isUnsignedOnnxType(onnxType); }

/// onnxruntime's contrib operator domain.
constexpr llvm::StringLiteral kContribDomain = "com.microsoft";

/// The most steps a Scan or Loop is unrolled to.
constexpr int64_t kMaxScanUnroll = 1024;

class GraphImporter {
public:
  GraphImporter(MLIRContext &ctx, const onnx::ModelProto &model,
                const ImportOptions &options, TensorSource source,
                Location fileLoc)
      : ctx(ctx), model(model), options(options), source(std::move(source)),
        fileLoc(fileLoc), builder(&ctx) {}

  OwningOpRef<ModuleOp> run();

private:
  InFlightDiagnostic error() { return emitError(fileLoc); }
  /// Checks --shape and --dim against the declared input shapes and
  /// against each other, and fills dimBindings.
  LogicalResult
  bindSymbolicDims(ArrayRef<const onnx::ValueInfoProto *> inputs);
  /// Code generation needs static shapes so far: an input whose dims are
  /// still symbolic after --shape and --dim gets one error naming them,
  /// then a line with the flags that fix them.
  LogicalResult requireStaticInputs(func::FuncOp entry);
  /// The model's names of a graph input's or output's dims ("" where it
  /// gives a size or no name), or null if it names none. They stay when
  /// --dim or --shape fix the dims: the signature of a library of variants
  /// (--specialize) names its dims with them.
  ArrayAttr dimNames(const onnx::ValueInfoProto &info);
  /// The type of a graph input (with --shape and --dim applied) or output.
  FailureOr<Type> valueInfoType(const onnx::ValueInfoProto &info,
                                bool isInput);
  FailureOr<Value> lookup(const std::string &name);
  LogicalResult importNode(const onnx::NodeProto &node);
  /// An If whose condition is constant: the branch taken, inlined.
  LogicalResult importIf(NodeContext &nc);
  /// A Scan over a static sequence, unrolled.
  LogicalResult importScan(NodeContext &nc);
  /// A Loop whose trip count and condition fold, unrolled.
  LogicalResult importLoop(NodeContext &nc);
  /// The per-step outputs of an unrolled Scan or Loop, stacked along a new
  /// dim `axis`, in order.
  FailureOr<Value> stack(NodeContext &nc, ArrayRef<Value> elements,
                         int64_t axis);
  /// Names `results` by `node`'s outputs (the ones it has and uses).
  void bindOutputs(const onnx::NodeProto &node, ArrayRef<Value> results);
  /// Imports `graph`'s nodes into the current function with `inputs`
  /// bound to its input names; returns its outputs. Its own values are out
  /// of scope afterwards.
  FailureOr<SmallVector<Value>>
  importSubgraph(const onnx::GraphProto &graph,
                 ArrayRef<std::pair<std::string, Value>> inputs);

  MLIRContext &ctx;
  const onnx::ModelProto &model;
  const ImportOptions &options;
  TensorSource source;
  Location fileLoc;
  OpBuilder builder;
  /// Defined values by ONNX name.
  StringMap<Value> values;
  /// Initializers not yet materialized (created on first use).
  StringMap<const onnx::TensorProto *> initializers;
  /// The last initializer materialized, to keep them in first-use order.
  Operation *lastInitializer = nullptr;
  /// Opset version by domain ("" for ai.onnx).
  StringMap<int64_t> opsets;
  /// Values of the named symbolic dims that --dim or --shape fix.
  StringMap<int64_t> dimBindings;
  /// The values (by ONNX name) that hold an unsigned ONNX integer type.
  llvm::StringSet<> unsignedNames;
  /// Values whose size depends on the input values, kept at their bound:
  /// which dims vary, their actual dims, and the node that made them.
  struct DataDependent {
    NodeContext::DataDependentSize size;
    std::string node;
  };
  llvm::DenseMap<Value, DataDependent> dataDependent;
  /// Sizes in terms of the symbolic dims the model keeps.
  std::unique_ptr<SymbolicShapes> symbolic;
};

/// "[batch, 3, 224, 224]": a declared shape as the model writes it.
std::string declaredShape(const onnx::TensorShapeProto &shape) {
  std::string text = "[";
  for (const auto &dim : shape.dim()) {
    if (text.size() > 1)
      text += ", ";
    text += dim.has_dim_value() ? std::to_string(dim.dim_value())
            : dim.has_dim_param() && !dim.dim_param().empty()
                ? dim.dim_param()
                : std::string("?");
  }
  return text + "]";
}

std::string shapeFlag(const std::string &name, ArrayRef<int64_t> dims) {
  std::string text = "--shape " + name + "=";
  for (auto [i, d] : llvm::enumerate(dims))
    text += (i ? "x" : "") + (d < 0 ? std::string("?") : std::to_string(d));
  return text;
}

LogicalResult GraphImporter::bindSymbolicDims(
    ArrayRef<const onnx::ValueInfoProto *> inputs) {
  // The named symbolic dims of the inputs, in order of appearance.
  SmallVector<std::string> symbolic;
  for (const auto *in : inputs)
    if (in->type().tensor_type().has_shape())
      for (const auto &dim : in->type().tensor_type().shape().dim())
        if (!dim.has_dim_value() && dim.has_dim_param() &&
            !dim.dim_param().empty() &&
            !llvm::is_contained(symbolic, dim.dim_param()))
          symbolic.push_back(dim.dim_param());
  std::string known;
  for (const std::string &name : symbolic)
    known += (known.empty() ? "'" : ", '") + name + "'";

  // Which flag set each dim, for the message when another contradicts it.
  StringMap<std::string> setBy;
  for (const auto &[name, value] : options.dimValues) {
    auto flag = options.dimValueFlags.find(name);
    std::string setter = flag != options.dimValueFlags.end()
                             ? flag->second
                             : "--dim " + name + "=" + std::to_string(value);
    if (!llvm::is_contained(symbolic, name)) {
      error() << setter.substr(0, setter.find(' ')) << " names '" << name
              << "', which is not a symbolic dim of any input ("
              << (known.empty() ? "the inputs have none"
                                : "symbolic dims: " + known)
              << ")";
      return failure();
    }
    dimBindings[name] = value;
    setBy[name] = setter;
  }
  for (const auto *in : inputs) {
    auto override = options.inputShapes.find(in->name());
    const auto &tt = in->type().tensor_type();
    if (override == options.inputShapes.end() || !tt.has_shape())
      continue;
    ArrayRef<int64_t> dims = override->second;
    std::string flag = shapeFlag(in->name(), dims);
    if (static_cast<int>(dims.size()) != tt.shape().dim_size()) {
      error() << flag << ": input '" << in->name() << "' has rank "
              << tt.shape().dim_size() << " ("
              << declaredShape(tt.shape()) << "), not " << dims.size();
      return failure();
    }
    for (auto [i, dim] : llvm::enumerate(tt.shape().dim())) {
      if (dims[i] < 0)
        continue;
      if (dim.has_dim_value()) {
        if (dim.dim_value() != dims[i]) {
          error() << flag << ": dim " << i << " of input '" << in->name()
                  << "' is " << dim.dim_value() << " in the model ("
                  << declaredShape(tt.shape()) << ")";
          return failure();
        }
        continue;
      }
      if (!dim.has_dim_param() || dim.dim_param().empty())
        continue;
      const std::string &name = dim.dim_param();
      auto bound = dimBindings.find(name);
      if (bound != dimBindings.end() && bound->second != dims[i]) {
        error() << flag << ": dim " << i << " of input '" << in->name()
                << "' is the symbolic dim '" << name << "', which "
                << setBy[name] << " sets to " << bound->second;
        return failure();
      }
      dimBindings[name] = dims[i];
      setBy[name] = flag;
    }
  }
  return success();
}

LogicalResult GraphImporter::requireStaticInputs(func::FuncOp entry) {
  SmallVector<std::string> names;
  bool anyDynamic = false;
  for (auto [i, type] : llvm::enumerate(entry.getArgumentTypes())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.hasStaticShape())
      continue;
    anyDynamic = true;
    auto dimNames = entry.getArgAttrOfType<ArrayAttr>(i, kDimNamesAttr);
    std::string input =
        entry.getArgAttrOfType<StringAttr>(i, kNameAttr).getValue().str();
    std::string shape = "[";
    std::vector<std::string> unnamed;
    for (int64_t d = 0; d < tensor.getRank(); ++d) {
      StringRef name =
          dimNames ? cast<StringAttr>(dimNames[d]).getValue() : "";
      if (d)
        shape += ", ";
      if (!tensor.isDynamicDim(d)) {
        shape += std::to_string(tensor.getDimSize(d));
        continue;
      }
      shape += name.empty() ? "?" : name.str();
      if (name.empty())
        unnamed.push_back(std::to_string(d));
      else if (!llvm::is_contained(names, name.str()))
        names.push_back(name.str());
    }
    std::string message = "input '" + input + "' has symbolic dims: " + shape +
                          "]";
    if (!unnamed.empty())
      message += ", whose unnamed dim " + llvm::join(unnamed, ", ") +
                 " only --shape " + input + "=DIMS can fix";
    error() << message;
  }
  if (!anyDynamic)
    return success();
  std::string pins;
  for (const std::string &name : names)
    pins += " --dim " + name + "=SIZE";
  error() << "the CUDA target and libraries of variants (--specialize) "
             "need static shapes (symbolic dims are compiled as they are "
             "for the CPU only); fix the symbolic dims"
          << (pins.empty() ? std::string(" with --shape NAME=DIMS")
                           : " with" + pins + " (or --shape NAME=DIMS)")
          << ", or give each of them sizes with --specialize NAME=N1,N2";
  return failure();
}

ArrayAttr GraphImporter::dimNames(const onnx::ValueInfoProto &info) {
  const auto &tt = info.type().tensor_type();
  if (!tt.has_shape())
    return nullptr;
  SmallVector<Attribute> names;
  bool any = false;
  for (const auto &dim : tt.shape().dim()) {
    bool named = !dim.has_dim_value() && dim.has_dim_param();
    any |= named && !dim.dim_param().empty();
    names.push_back(builder.getStringAttr(named ? dim.dim_param() : ""));
  }
  return any ? builder.getArrayAttr(names) : nullptr;
}

/// The graph's declared type of an input or output.
FailureOr<Type> GraphImporter::valueInfoType(const onnx::ValueInfoProto &info,
                                             bool isInput) {
  if (!info.type().has_tensor_type()) {
    error() << "graph value '" << info.name()
            << "' is not a tensor (sequences, maps and optionals are not "
               "supported)";
    return failure();
  }
  const auto &tt = info.type().tensor_type();
  Type elementType = elementTypeFor(&ctx, tt.elem_type());
  if (!elementType) {
    error() << "graph value '" << info.name() << "' has element type "
            << onnxTypeName(tt.elem_type())
            << ", which is not supported";
    return failure();
  }
  SmallVector<int64_t> shape;
  auto override = options.inputShapes.find(info.name());
  bool overridden = isInput && override != options.inputShapes.end();
  if (!tt.has_shape()) {
    if (!overridden) {
      error() << "graph value '" << info.name()
              << "' has no shape (unknown rank); give one with --shape "
              << info.name() << "=DIMS";
      return failure();
    }
    for (int64_t d : override->second)
      shape.push_back(d < 0 ? ShapedType::kDynamic : d);
    return Type(RankedTensorType::get(shape, elementType));
  }
  // bindSymbolicDims checked overrides against the declared shape.
  for (auto [i, dim] : llvm::enumerate(tt.shape().dim())) {
    if (overridden && override->second[i] >= 0) {
      shape.push_back(override->second[i]);
      continue;
    }
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) {
        error() << "graph value '" << info.name() << "' has a negative dim "
                << dim.dim_value();
        return failure();
      }
      shape.push_back(dim.dim_value());
      continue;
    }
    auto bound = isInput && dim.has_dim_param()
                     ? dimBindings.find(dim.dim_param())
                     : dimBindings.end();
    shape.push_back(bound != dimBindings.end() ? bound->second
                                               : ShapedType::kDynamic);
  }
  if (failed(checkTensorSize(shape, elementType, source, [&] {
        return error() << "graph value '" << info.name() << "': ";
      })))
    return failure();
  return Type(RankedTensorType::get(shape, elementType));
}

FailureOr<Value> GraphImporter::lookup(const std::string &name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto init = initializers.find(name);
  if (init == initializers.end())
    return failure();
  // Materialize initializers at the top of the function, in first-use order.
  OpBuilder::InsertionGuard guard(builder);
  Block *entry = builder.getInsertionBlock();
  if (lastInitializer)
    builder.setInsertionPointAfter(lastInitializer);
  else
    builder.setInsertionPoint(entry, entry->begin());
  auto emit = [&] {
    return emitError(fileLoc) << "initializer '" << name << "': ";
  };
  FailureOr<ElementsAttr> value = importTensor(*init->second, &ctx, source, emit);
  if (failed(value))
    return failure();
  auto constant = ConstantOp::create(
      builder, NameLoc::get(builder.getStringAttr(name), fileLoc), *value);
  lastInitializer = constant;
  Value v = constant;
  values[name] = v;
  if (isUnsigned(init->second->data_type()))
    unsignedNames.insert(name);
  initializers.erase(init);
  return v;
}

LogicalResult GraphImporter::importIf(NodeContext &nc) {
  const onnx::NodeProto &node = nc.node;
  // Exporters write If mostly over shapes (a size test); with the shapes
  // fixed, its condition folds and the branch taken is all there is.
  ElementsAttr cond = nc.constantInput(0);
  auto dense = dyn_cast_or_null<DenseElementsAttr>(cond);
  if (!dense || dense.getNumElements() != 1 ||
      !isa<IntegerType>(dense.getElementType())) {
    nc.error() << "the condition is computed at run time; gcomp inlines an "
                  "If only when its condition folds to a constant while "
                  "compiling (fix the input shapes it depends on with --dim "
                  "or --shape)";
    return failure();
  }
  bool taken = !(*dense.getValues<APInt>().begin()).isZero();
  const onnx::AttributeProto *branchAttr =
      nc.attr(taken ? "then_branch" : "else_branch");
  if (!branchAttr || !branchAttr->has_g()) {
    nc.error() << "has no " << (taken ? "then_branch" : "else_branch")
               << " graph";
    return failure();
  }
  const onnx::GraphProto &branch = branchAttr->g();
  if (branch.output_size() != node.output_size()) {
    nc.error() << "the " << (taken ? "then" : "else") << " branch has "
               << branch.output_size() << " outputs, the node "
               << node.output_size();
    return failure();
  }
  FailureOr<SmallVector<Value>> results = importSubgraph(branch, {});
  if (failed(results))
    return failure();
  bindOutputs(node, *results);
  return success();
}

FailureOr<SmallVector<Value>> GraphImporter::importSubgraph(
    const onnx::GraphProto &graph,
    ArrayRef<std::pair<std::string, Value>> inputs) {
  // The subgraph reads the outer graph's values directly (ONNX names are
  // unique across scopes); its inputs, initializers and values are in
  // scope only inside it.
  llvm::StringSet<> outerValues, outerInitializers;
  for (const auto &entry : values)
    outerValues.insert(entry.getKey());
  for (const auto &entry : initializers)
    outerInitializers.insert(entry.getKey());
  for (const auto &[name, value] : inputs)
    values[name] = value;
  for (const auto &init : graph.initializer())
    initializers[init.name()] = &init;
  for (const auto &inner : graph.node())
    if (failed(importNode(inner)))
      return failure();
  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    FailureOr<Value> v = lookup(out.name());
    if (failed(v)) {
      error() << "subgraph '" << graph.name() << "': output '" << out.name()
              << "' is never computed";
      return failure();
    }
    results.push_back(*v);
  }
  // (An outer initializer first used inside is now a value, and stays
  // one.)
  SmallVector<std::string> inner;
  for (const auto &entry : values)
    if (!outerValues.contains(entry.getKey()) &&
        !outerInitializers.contains(entry.getKey()))
      inner.push_back(entry.getKey().str());
  for (const std::string &name : inner)
    values.erase(name);
  for (const auto &init : graph.initializer())
    if (!outerInitializers.contains(init.name()))
      initializers.erase(init.name());
  return results;
}

void GraphImporter::bindOutputs(const onnx::NodeProto &node,
                                ArrayRef<Value> results) {
  for (auto [i, v] : llvm::enumerate(results))
    if (i < static_cast<size_t>(node.output_size()) && !node.output(i).empty())
      values[node.output(i)] = v;
}

FailureOr<Value> GraphImporter::stack(NodeContext &nc,
                                      ArrayRef<Value> elements, int64_t axis) {
  SmallVector<Value> pieces;
  for (Value element : elements) {
    SmallVector<int64_t> shape(
        cast<RankedTensorType>(element.getType()).getShape());
    shape.insert(shape.begin() + axis, 1);
    pieces.push_back(nc.reshape(element, shape));
  }
  if (pieces.size() == 1)
    return pieces.front();
  auto type = inferConcatType(TypeRange(ValueRange(pieces)), axis,
                              nc.errorFn());
  if (failed(type))
    return failure();
  return Value(ConcatOp::create(nc.builder, nc.loc, *type, pieces,
                                nc.builder.getI64IntegerAttr(axis)));
}

LogicalResult GraphImporter::importScan(NodeContext &nc) {
  const onnx::NodeProto &node = nc.node;
  if (nc.opset < 9) {
    nc.error() << "Scan before opset 9 (a batch dim and sequence_lens) is "
                  "not supported";
    return failure();
  }
  const onnx::AttributeProto *bodyAttr = nc.attr("body");
  int64_t numScan = nc.intAttr("num_scan_inputs", 0);
  int64_t numStates =
      numScan > 0 && numScan <= node.input_size() ? node.input_size() - numScan
                                                  : -1;
  if (!bodyAttr || !bodyAttr->has_g() || numStates < 0) {
    nc.error() << "needs a body graph and 1 to " << node.input_size()
               << " scan inputs (num_scan_inputs)";
    return failure();
  }
  const onnx::GraphProto &body = bodyAttr->g();
  int64_t numOutputs = body.output_size() - numStates;
  if (body.input_size() != numStates + numScan || numOutputs < 0 ||
      node.output_size() > body.output_size()) {
    nc.error() << "the body's " << body.input_size() << " inputs and "
               << body.output_size() << " outputs do not match " << numStates
               << " states and " << numScan << " scan inputs";
    return failure();
  }
  auto attrOr = [&](StringRef name, int64_t count) {
    std::vector<int64_t> v = nc.intsAttr(name).value_or(std::vector<int64_t>());
    if (v.empty())
      v.assign(count, 0);
    return v;
  };
  std::vector<int64_t> inAxes = attrOr("scan_input_axes", numScan),
                       inDirs = attrOr("scan_input_directions", numScan),
                       outAxes = attrOr("scan_output_axes", numOutputs),
                       outDirs = attrOr("scan_output_directions", numOutputs);
  if (static_cast<int64_t>(inAxes.size()) != numScan ||
      static_cast<int64_t>(inDirs.size()) != numScan ||
      static_cast<int64_t>(outAxes.size()) != numOutputs ||
      static_cast<int64_t>(outDirs.size()) != numOutputs) {
    nc.error() << "scan axes and directions must have one entry per scan "
                  "input and output";
    return failure();
  }

  // The sequence: the same static length along every scan input's axis.
  int64_t length = -1;
  for (int64_t j = 0; j < numScan; ++j) {
    Value x = nc.inputs[numStates + j];
    auto type = x ? dyn_cast<RankedTensorType>(x.getType()) : nullptr;
    if (!type || !type.hasStaticShape()) {
      nc.error() << "scan input " << j << " needs a static shape";
      return failure();
    }
    FailureOr<int64_t> axis = nc.normalizeAxis(inAxes[j], type.getRank());
    if (failed(axis))
      return failure();
    inAxes[j] = *axis;
    int64_t size = type.getDimSize(*axis);
    if (length >= 0 && size != length) {
      nc.error() << "scan inputs have different lengths (" << length
                 << " and " << size << ")";
      return failure();
    }
    length = size;
  }
  if (length <= 0 || length > kMaxScanUnroll) {
    nc.error() << "scans of " << length
               << " steps are not supported: gcomp unrolls a Scan, from 1 "
                  "to "
               << kMaxScanUnroll << " steps";
    return failure();
  }

  // Unrolled: step t reads element t (or length - 1 - t) of each scan
  // input and the previous step's states.
  SmallVector<Value> states(nc.inputs.begin(), nc.inputs.begin() + numStates);
  SmallVector<SmallVector<Value>> elements(numOutputs);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<std::pair<std::string, Value>> bindings;
    for (int64_t i = 0; i < numStates; ++i)
      bindings.push_back({body.input(i).name(), states[i]});
    for (int64_t j = 0; j < numScan; ++j) {
      Value x = nc.inputs[numStates + j];
      auto type = cast<RankedTensorType>(x.getType());
      int64_t axis = inAxes[j], index = inDirs[j] ? length - 1 - t : t;
      SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1);
      SmallVector<int64_t> shape(type.getShape());
      starts[axis] = index;
      shape[axis] = 1;
      Value slice = nc.builder.createOrFold<SliceOp>(
          nc.loc, type.clone(shape), x, nc.builder.getDenseI64ArrayAttr(starts),
          nc.builder.getDenseI64ArrayAttr(steps));
      shape.erase(shape.begin() + axis);
      bindings.push_back(
          {body.input(numStates + j).name(), nc.reshape(slice, shape)});
    }
    FailureOr<SmallVector<Value>> outs = importSubgraph(body, bindings);
    if (failed(outs))
      return failure();
    for (int64_t i = 0; i < numStates; ++i)
      states[i] = (*outs)[i];
    for (int64_t q = 0; q < numOutputs; ++q)
      elements[q].push_back((*outs)[numStates + q]);
  }

  SmallVector<Value> results(states);
  for (int64_t q = 0; q < numOutputs; ++q) {
    auto type = cast<RankedTensorType>(elements[q].front().getType());
    FailureOr<int64_t> axis =
        nc.normalizeAxis(outAxes[q], type.getRank(), /*inclusiveEnd=*/true);
    if (failed(axis))
      return failure();
    if (outDirs[q])
      std::reverse(elements[q].begin(), elements[q].end());
    FailureOr<Value> stacked = stack(nc, elements[q], *axis);
    if (failed(stacked))
      return failure();
    results.push_back(*stacked);
  }
  bindOutputs(node, results);
  return success();
}

LogicalResult GraphImporter::importLoop(NodeContext &nc) {
  const onnx::NodeProto &node = nc.node;
  const onnx::AttributeProto *bodyAttr = nc.attr("body");
  if (!bodyAttr || !bodyAttr->has_g()) {
    nc.error() << "needs a body graph";
    return failure();
  }
  const onnx::GraphProto &body = bodyAttr->g();
  int64_t numStates = std::max<int64_t>(node.input_size() - 2, 0);
  int64_t numScanOutputs = body.output_size() - 1 - numStates;
  if (body.input_size() != numStates + 2 || numScanOutputs < 0) {
    nc.error() << "the body's " << body.input_size() << " inputs and "
               << body.output_size() << " outputs do not match "
               << numStates << " loop-carried values";
    return failure();
  }
  // The trip count and the condition must be known while compiling: the
  // loop is unrolled.
  auto constantScalar = [&](unsigned i) -> std::optional<int64_t> {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(nc.constantInput(i));
    if (!dense || dense.getNumElements() != 1 ||
        !isa<IntegerType>(dense.getElementType()))
      return std::nullopt;
    return (*dense.getValues<APInt>().begin()).getSExtValue();
  };
  bool hasTrips = static_cast<bool>(nc.optionalInput(0));
  bool hasCond = static_cast<bool>(nc.optionalInput(1));
  std::optional<int64_t> trips = hasTrips ? constantScalar(0) : std::nullopt;
  std::optional<int64_t> cond = hasCond ? constantScalar(1) : 1;
  if ((hasTrips && !trips) || !cond) {
    nc.error() << "the trip count and the condition are computed at run "
                  "time; gcomp unrolls a Loop only when both fold to "
                  "constants while compiling";
    return failure();
  }
  int64_t limit = trips ? *trips : kMaxScanUnroll + 1;
  SmallVector<Value> states;
  for (int64_t i = 0; i < numStates; ++i)
    states.push_back(nc.inputs[2 + i]);
  SmallVector<SmallVector<Value>> elements(numScanOutputs);
  auto scalarConstant = [&](Type type, int64_t v) -> Value {
    auto tensor = RankedTensorType::get({}, type);
    return ConstantOp::create(
        nc.builder, nc.loc,
        DenseElementsAttr::get(
            tensor, type.isInteger(1) // (a bool 1 is -1 as a signed i1)
                        ? APInt(1, v != 0)
                        : APInt(type.getIntOrFloatBitWidth(), v,
                                /*isSigned=*/true)));
  };
  int64_t step = 0;
  for (bool running = *cond != 0; running && step < limit; ++step) {
    if (step >= kMaxScanUnroll) {
      nc.error() << "loops of more than " << kMaxScanUnroll
                 << " iterations are not supported (gcomp unrolls a Loop)";
      return failure();
    }
    SmallVector<std::pair<std::string, Value>> bindings = {
        {body.input(0).name(), scalarConstant(nc.builder.getI64Type(), step)},
        {body.input(1).name(), scalarConstant(nc.builder.getI1Type(), 1)}};
    for (int64_t i = 0; i < numStates; ++i)
      bindings.push_back({body.input(2 + i).name(), states[i]});
    FailureOr<SmallVector<Value>> outs = importSubgraph(body, bindings);
    if (failed(outs))
      return failure();
    ElementsAttr next;
    if (auto c = (*outs)[0].getDefiningOp<ConstantOp>())
      next = c.getValue();
    auto dense = dyn_cast_or_null<DenseElementsAttr>(next);
    if (!dense || dense.getNumElements() != 1) {
      nc.error() << "the body's condition output is computed at run time; "
                    "gcomp unrolls a Loop only when it folds to a constant";
      return failure();
    }
    running = !(*dense.getValues<APInt>().begin()).isZero();
    for (int64_t i = 0; i < numStates; ++i)
      states[i] = (*outs)[1 + i];
    for (int64_t q = 0; q < numScanOutputs; ++q)
      elements[q].push_back((*outs)[1 + numStates + q]);
  }
  SmallVector<Value> results(states);
  for (int64_t q = 0; q < numScanOutputs; ++q) {
    if (elements[q].empty()) {
      nc.error() << "a Loop that runs no iteration has no shape for its "
                    "scan output "
                 << q;
      return failure();
    }
    FailureOr<Value> stacked = stack(nc, elements[q], 0);
    if (failed(stacked))
      return failure();
    results.push_back(*stacked);
  }
  bindOutputs(node, results);
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node) {
  StringRef domain = node.domain();
  if (domain == "ai.onnx")
    domain = "";
  int64_t opset = opsets.lookup(domain);
  std::string name = node.name().empty()
                         ? (node.op_type() + "_" + (node.output_size()
                                                        ? node.output(0)
                                                        : std::string("?")))
                         : node.name();
  Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
  onnx::NodeProto named = node;
  named.set_name(name);
  NodeContext nc{named, opset, builder, loc, {}, {}, &source, {}, false};
  nc.errorFnStorage = [&nc]() { return nc.error(); };
  nc.symbolic = symbolic.get();

  bool contrib = domain == kContribDomain;
  if (!domain.empty() && !contrib) {
    nc.error() << "operator domain '" << node.domain()
               << "' is not supported (gcomp supports the default ONNX "
                  "domain: "
               << supportedOnnxOps() << "; and from " << kContribDomain
               << ": " << supportedContribOnnxOps() << ")";
    return failure();
  }
  const auto &table = contrib ? contribOpImporters() : opImporters();
  auto importer = table.find(node.op_type());
  bool isIf = !contrib && node.op_type() == "If",
       isScan = !contrib && node.op_type() == "Scan",
       isLoop = !contrib && node.op_type() == "Loop";
  if (importer == table.end() && !isIf && !isScan && !isLoop) {
    if (contrib)
      nc.error() << "unsupported onnxruntime contrib operator; gcomp "
                    "supports from "
                 << kContribDomain << ": " << supportedContribOnnxOps();
    else
      nc.error() << "unsupported operator; gcomp supports: "
                 << supportedOnnxOps();
    return failure();
  }
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      nc.inputs.push_back(nullptr);
      continue;
    }
    FailureOr<Value> v = lookup(input);
    if (failed(v)) {
      // lookup reports its own errors for broken initializers.
      if (!initializers.count(input) && !values.count(input))
        nc.error() << "input '" << input
                   << "' is not defined before this node (not a graph "
                      "input, initializer or earlier node output)";
      return failure();
    }
    nc.inputs.push_back(*v);
  }
  for (const std::string &input : node.input())
    nc.unsignedInputs.push_back(unsignedNames.contains(input));
  // Inputs whose size depends on the data (at their bound, the entries
  // past their actual size are padding): the ops that can take them say
  // what their outputs' sizes are (propagateDataDependentSizes).
  SmallVector<const NodeContext::DataDependentSize *> inputSizes;
  std::string sizedInput, sizedProducer;
  for (auto [i, input] : llvm::enumerate(nc.inputs)) {
    auto found = input ? dataDependent.find(input) : dataDependent.end();
    inputSizes.push_back(found == dataDependent.end() ? nullptr
                                                      : &found->second.size);
    if (found != dataDependent.end() && sizedInput.empty()) {
      sizedInput = node.input(i);
      sizedProducer = found->second.node;
    }
  }
  auto refuseSizedInput = [&] {
    nc.error() << "input '" << sizedInput << "' (from node '" << sizedProducer
               << "') has a size that depends on the input values; gcomp "
                  "returns such a value as a graph output, and takes it in "
                  "elementwise ops, Transpose, (Un)Squeeze, Slice, Gather, "
                  "GatherND and Concat, but not here yet";
    return failure();
  };
  // ONNX graphs are in SSA form: a name is defined once, by a graph input,
  // an initializer or one node output, in this graph or an enclosing one.
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &out = node.output(i);
    if (out.empty())
      continue;
    bool twiceHere = std::count(node.output().begin(),
                                node.output().begin() + i, out) != 0;
    if (twiceHere || values.count(out) || initializers.count(out)) {
      nc.error() << "output '" << out << "' is already defined"
                 << (twiceHere ? " by this node" : " before this node")
                 << " (an ONNX graph assigns each name once)";
      return failure();
    }
  }
  if (!sizedInput.empty() && (isIf || isScan || isLoop))
    return refuseSizedInput();
  if (isIf)
    return importIf(nc);
  if (isScan)
    return importScan(nc);
  if (isLoop)
    return importLoop(nc);
  Block *block = builder.getInsertionBlock();
  Operation *last = block->empty() ? nullptr : &block->back();
  if (failed(importer->second(nc)) || nc.hasMismatch)
    return failure();
  propagateShapeContents(nc);
  // The ops' verifiers catch what an op importer did not check (an And of
  // floats, a gather by i8 indices); their messages name the node through
  // the location.
  Operation *first = last             ? last->getNextNode()
                     : block->empty() ? nullptr
                                      : &block->front();
  for (Operation *op = first; op; op = op->getNextNode())
    if (failed(mlir::verify(op)))
      return failure();
  if (!sizedInput.empty() && node.op_type() != "Identity") {
    FailureOr<bool> taken = propagateDataDependentSizes(nc, inputSizes);
    if (failed(taken))
      return failure();
    if (!*taken)
      return refuseSizedInput();
  }
  if (nc.outputs.size() < static_cast<size_t>(node.output_size())) {
    // Optional outputs the importer does not produce must be unused.
    for (int i = nc.outputs.size(); i < node.output_size(); ++i)
      if (!node.output(i).empty()) {
        nc.error() << "output " << i << " ('" << node.output(i)
                   << "') is not supported";
        return failure();
      }
  }
  for (size_t i = 0; i < nc.outputs.size(); ++i) {
    if (static_cast<int>(i) >= node.output_size() || node.output(i).empty())
      continue;
    const std::string &name = node.output(i);
    auto type = cast<RankedTensorType>(nc.outputs[i].getType());
    if (failed(checkTensorSize(type.getShape(), type.getElementType(), source,
                               [&] {
                                 return nc.error() << "output '" << name
                                                   << "': ";
                               })))
      return failure();
    values[name] = nc.outputs[i];
    if (i < nc.dataDependentSizes.size() && nc.dataDependentSizes[i])
      dataDependent[nc.outputs[i]] = {
          *nc.dataDependentSizes[i], nc.node.name()};
    std::optional<bool> isUnsignedOutput =
        i < nc.unsignedOutputs.size() ? nc.unsignedOutputs[i] : std::nullopt;
    if (!isUnsignedOutput) {
      Type element = type.getElementType();
      isUnsignedOutput =
          isa<IntegerType>(element) && !element.isInteger(1) &&
          llvm::any_of(llvm::seq<size_t>(nc.inputs.size()), [&](size_t j) {
            return nc.unsignedInputs[j] &&
                   cast<RankedTensorType>(nc.inputs[j].getType())
                           .getElementType() == element;
          });
    }
    if (*isUnsignedOutput)
      unsignedNames.insert(name);
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  ctx.loadDialect<GcompDialect, func::FuncDialect, arith::ArithDialect,
                  tensor::TensorDialect>();
  const onnx::GraphProto &graph = model.graph();
  for (const auto &opset : model.opset_import())
    opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] = opset.version();
  if (!opsets.count("")) {
    error() << "the model imports no version of the default ONNX opset";
    return nullptr;
  }
  // Names a graph defines twice would silently shadow one another.
  llvm::StringSet<> seen;
  for (const auto &init : graph.initializer()) {
    if (!seen.insert(init.name()).second) {
      error() << "initializer '" << init.name() << "' is defined twice";
      return nullptr;
    }
    initializers[init.name()] = &init;
  }
  for (auto [kind, list] :
       {std::pair{"input", &graph.input()}, std::pair{"output", &graph.output()}}) {
    llvm::StringSet<> names;
    for (const auto &info : *list)
      if (!names.insert(info.name()).second) {
        error() << "graph " << kind << " '" << info.name()
                << "' is listed twice";
        return nullptr;
      }
  }
  if (graph.sparse_initializer_size()) {
    error() << "sparse initializers are not supported";
    return nullptr;
  }

  // Inputs that are also initializers are constants with a default value
  // (IR < 4 style); they stay constants.
  SmallVector<const onnx::ValueInfoProto *> inputs;
  for (const auto &in : graph.input())
    if (!initializers.count(in.name()))
      inputs.push_back(&in);
  for (const auto &entry : options.inputShapes)
    if (llvm::none_of(inputs,
                      [&](auto *in) { return in->name() == entry.first; })) {
      const std::string &name = entry.first;
      std::string names;
      for (auto *in : inputs)
        names += (names.empty() ? "'" : ", '") + in->name() + "'";
      error() << "--shape names '" << name
              << "', which is not a graph input (inputs: " << names << ")";
      return nullptr;
    }

  if (failed(bindSymbolicDims(inputs)))
    return nullptr;
  SmallVector<Type> argTypes;
  for (const auto *in : inputs) {
    FailureOr<Type> t = valueInfoType(*in, /*isInput=*/true);
    if (failed(t))
      return nullptr;
    argTypes.push_back(*t);
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, options.entryName,
                                   builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  for (auto [i, in] : llvm::enumerate(inputs)) {
    values[in->name()] = entry->getArgument(i);
    func.setArgAttr(i, kNameAttr, builder.getStringAttr(in->name()));
    int et = in->type().tensor_type().elem_type();
    if (isUnsigned(et)) {
      func.setArgAttr(i, "gcomp.elem_type", builder.getI64IntegerAttr(et));
      unsignedNames.insert(in->name());
    }
    if (ArrayAttr names = dimNames(*in))
      func.setArgAttr(i, kDimNamesAttr, names);
  }

  if (options.requireStaticInputs && failed(requireStaticInputs(func)))
    return nullptr;
  symbolic = std::make_unique<SymbolicShapes>(func);
  for (const auto &node : graph.node())
    if (failed(importNode(node)))
      return nullptr;
  if (options.nodeCount)
    *options.nodeCount = graph.node_size();

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &out : graph.output()) {
    FailureOr<Value> v = lookup(out.name());
    if (failed(v)) {
      error() << "graph output '" << out.name() << "' is never computed";
      return nullptr;
    }
    auto inferred = cast<RankedTensorType>(v->getType());
    // A declared output type is a hint: checked when it has a shape,
    // otherwise only its element type (if any) must agree.
    const auto &tt = out.type().tensor_type();
    if (!tt.has_shape()) {
      Type declaredElement = elementTypeFor(&ctx, tt.elem_type());
      if (tt.elem_type() && declaredElement != inferred.getElementType()) {
        error() << "graph output '" << out.name() << "' is declared with "
                << "element type " << declaredElement << " but computes "
                << inferred;
        return nullptr;
      }
      results.push_back(*v);
      resultTypes.push_back(inferred);
      continue;
    }
    FailureOr<Type> declared = valueInfoType(out, /*isInput=*/false);
    if (failed(declared))
      return nullptr;
    auto decl = cast<RankedTensorType>(*declared);
    if (decl.getElementType() != inferred.getElementType()) {
      error() << "graph output '" << out.name() << "' is declared as "
              << decl << " but computes " << inferred;
      return nullptr;
    }
    // Exporters write stale output shapes (a model edited after export, a
    // dim renamed): the computed shape is the truth, and the caller hears
    // of the difference. A dim whose size depends on the data is built at
    // its bound: any declared size up to the bound fits it.
    SmallVector<int64_t> declaredDims(decl.getShape());
    if (auto found = dataDependent.find(*v); found != dataDependent.end())
      for (auto [d, dim] : llvm::enumerate(declaredDims))
        if (d < found->second.size.counts.size() &&
            found->second.size.varies(d) && !ShapedType::isDynamic(dim) &&
            dim <= inferred.getDimSize(d))
          dim = inferred.getDimSize(d);
    if (failed(verifyCompatibleShape(declaredDims, inferred.getShape())))
      emitWarning(fileLoc) << "graph output '" << out.name()
                           << "' is declared with shape "
                           << declaredShape(tt.shape()) << " but computes "
                           << inferred << "; the library returns the "
                                          "computed shape";
    results.push_back(*v);
    resultTypes.push_back(inferred);
  }
  // After the outputs: the actual dims of those whose size depends on the
  // data, as 1-D i64 tensors (gcomp-emit-model-abi makes them the runtime's
  // output bounds).
  size_t numOutputs = results.size();
  SmallVector<std::pair<size_t, SmallVector<int64_t>>> dataDependentOutputs;
  for (size_t i = 0; i < numOutputs; ++i) {
    auto found = dataDependent.find(results[i]);
    if (found == dataDependent.end())
      continue;
    const NodeContext::DataDependentSize &size = found->second.size;
    auto bound = cast<RankedTensorType>(results[i].getType());
    Type i64 = builder.getI64Type();
    auto piece = RankedTensorType::get({1}, i64);
    SmallVector<Value> pieces;
    SmallVector<int64_t> varying;
    for (int64_t d = 0; d < bound.getRank(); ++d) {
      if (size.varies(d)) {
        varying.push_back(d);
        pieces.push_back(ReshapeOp::create(builder, fileLoc, piece,
                                           size.counts[d]));
      } else {
        pieces.push_back(ConstantOp::create(
            builder, fileLoc,
            DenseIntElementsAttr::get(piece, {bound.getDimSize(d)})));
      }
    }
    Value dims = pieces.front();
    if (pieces.size() > 1)
      dims = ConcatOp::create(
          builder, fileLoc,
          RankedTensorType::get({bound.getRank()}, i64), pieces,
          builder.getI64IntegerAttr(0));
    dataDependentOutputs.push_back({i, varying});
    results.push_back(dims);
    resultTypes.push_back(dims.getType());
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(builder.getFunctionType(argTypes, resultTypes));
  for (auto [k, output] : llvm::enumerate(dataDependentOutputs)) {
    func.setResultAttr(output.first, kDataDependentDimsAttr,
                       builder.getDenseI64ArrayAttr(output.second));
    func.setResultAttr(numOutputs + k, kDimsOfAttr,
                       builder.getI64IntegerAttr(output.first));
  }
  for (auto [i, out] : llvm::enumerate(graph.output())) {
    func.setResultAttr(i, kNameAttr, builder.getStringAttr(out.name()));
    int et = out.type().tensor_type().elem_type();
    if (isUnsigned(et))
      func.setResultAttr(i, "gcomp.elem_type", builder.getI64IntegerAttr(et));
    ArrayAttr names = dimNames(out);
    auto type = cast<RankedTensorType>(resultTypes[i]);
    if (names && static_cast<int64_t>(names.size()) == type.getRank())
      func.setResultAttr(i, kDimNamesAttr, names);
  }
  return module;
}

} // namespace

std::string supportedOnnxOps() {
  SmallVector<StringRef> names;
  for (const auto &entry : opImporters())
    names.push_back(entry.getKey());
  names.push_back("If");
  names.push_back("Scan");
  names.push_back("Loop");
  llvm::sort(names);
  return llvm::join(names, ", ");
}

std::string supportedContribOnnxOps() {
  SmallVector<StringRef> names;
  for (const auto &entry : contribOpImporters())
    names.push_back(entry.getKey());
  llvm::sort(names);
  return llvm::join(names, ", ");
}

OwningOpRef<ModuleOp> importOnnxFile(StringRef path, MLIRContext &context,
                                     const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/true);
  if (!buffer) {
    emitError(fileLoc) << "cannot read the model: "
                       << buffer.getError().message();
    return nullptr;
  }
  SmallString<256> dir(sys::path::parent_path(path));
  if (dir.empty())
    dir = ".";
  sys::fs::make_absolute(dir);
  return importOnnxBuffer((*buffer)->getBuffer(), path, dir, context,
                          options);
}

OwningOpRef<ModuleOp> importOnnxBuffer(StringRef bytes, StringRef path,
                                       StringRef modelDir,
                                       MLIRContext &context,
                                       const ImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  bool isText = path.ends_with(".onnxtext") || bytes.ltrim().starts_with("<");
  // The text format's grammar starts with the model header; anything else
  // is read as binary protobuf.

  onnx::ModelProto model;
  try {
    if (isText) {
      // libonnx's parser has no comments; blank out whole-line `//` and `#`
      // comments (lit RUN lines) so that error positions stay right.
      std::string text = bytes.str();
      size_t lineStart = 0;
      while (lineStart < text.size()) {
        size_t lineEnd = text.find('\n', lineStart);
        if (lineEnd == std::string::npos)
          lineEnd = text.size();
        StringRef line = StringRef(text).slice(lineStart, lineEnd).ltrim();
        if (line.starts_with("//") || line.starts_with("#"))
          std::fill(text.begin() + lineStart, text.begin() + lineEnd, ' ');
        lineStart = lineEnd + 1;
      }
      onnx::Common::Status status = onnx::OnnxParser::Parse(model, text.c_str());
      if (!status.IsOK()) {
        emitError(fileLoc) << "not a valid ONNX text model: "
                           << StringRef(status.ErrorMessage()).trim();
        return nullptr;
      }
    } else if (bytes.size() > static_cast<size_t>(INT_MAX) ||
               !model.ParseFromArray(bytes.data(),
                                     static_cast<int>(bytes.size()))) {
      emitError(fileLoc) << "not a valid ONNX model (the protobuf does not "
                            "parse; is the file truncated or not ONNX?)";
      return nullptr;
    }
  } catch (const std::exception &e) {
    emitError(fileLoc) << "not a valid ONNX model: " << e.what();
    return nullptr;
  }
  if (!model.has_graph() || (model.graph().node_size() == 0 &&
                             model.graph().output_size() == 0)) {
    emitError(fileLoc) << "not a valid ONNX model (it has no graph)";
    return nullptr;
  }

  TensorSource source;
  source.modelDir = modelDir.str();
  source.resourceThresholdBytes = options.resourceThresholdBytes;
  source.dataFiles = options.dataFiles;
  source.maxTensorBytes = options.maxTensorBytes;
  try {
    return GraphImporter(context, model, options, source, fileLoc).run();
  } catch (const std::exception &e) {
    emitError(fileLoc) << "import failed: " << e.what();
    return nullptr;
  }
}

} // namespace gcomp
