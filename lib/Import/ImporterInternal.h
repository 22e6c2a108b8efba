//===- ImporterInternal.h - shared by the ONNX importer's files -*- C++ -*-===//
//
// Only files built with exceptions (protobuf, libonnx) include this.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_IMPORT_IMPORTERINTERNAL_H
#define GCOMP_LIB_IMPORT_IMPORTERINTERNAL_H

#include "SymbolicShapes.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include <onnx/onnx_pb.h>
#include <optional>
#include <set>
#include <string>
#include <type_traits>

namespace gcomp::detail {

/// The name of an ONNX element type ("FLOAT", "INT4"), including the types
/// newer than Debian's libonnx, or "type N" for unknown codes.
std::string onnxTypeName(int onnxType);

/// Maps an ONNX TensorProto.DataType to a builtin element type, or null.
mlir::Type elementTypeFor(mlir::MLIRContext *ctx, int onnxType);

/// Where tensors with external data live, and how big constants are kept.
struct TensorSource {
  /// The model file's folder; external `location`s resolve inside it.
  std::string modelDir;
  size_t resourceThresholdBytes = 64;
  /// If set, receives the path of every external data file read.
  std::set<std::string> *dataFiles = nullptr;
  /// ImportOptions::maxTensorBytes.
  uint64_t maxTensorBytes = UINT64_MAX;
};

/// The bytes a tensor of `shape` with `elementBytes`-byte elements needs,
/// or nullopt when that does not fit in an int64 (dynamic dims count as 1).
std::optional<uint64_t> tensorBytes(llvm::ArrayRef<int64_t> shape,
                                    uint64_t elementBytes);

/// Checks that a tensor of `shape` and `elementType` fits the importer's
/// limits; otherwise reports why through `emitError` (which names the
/// tensor) and fails.
mlir::LogicalResult checkTensorSize(llvm::ArrayRef<int64_t> shape,
                                    mlir::Type elementType,
                                    const TensorSource &source,
                                    EmitErrorFn emitError);

/// Converts a TensorProto (inline, raw or external data) to an attribute.
/// `emitError` prefixes messages with what the tensor belongs to.
mlir::FailureOr<mlir::ElementsAttr>
importTensor(const onnx::TensorProto &tensor, mlir::MLIRContext *ctx,
             const TensorSource &source, EmitErrorFn emitError);


/// What an op importer sees of one node.
struct NodeContext {
  const onnx::NodeProto &node;
  int64_t opset;
  mlir::OpBuilder &builder;
  mlir::Location loc;
  /// One per ONNX input; null for an omitted optional input ("").
  llvm::SmallVector<mlir::Value> inputs;
  /// Filled by the op importer, one per ONNX output.
  llvm::SmallVector<mlir::Value> outputs;

  /// An error prefixed "node 'NAME' (OP, opset N): ".
  mlir::InFlightDiagnostic error() const;
  /// For the shared shape functions.
  EmitErrorFn errorFn() const { return errorFnStorage; }

  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t defaultValue) const;
  float floatAttr(llvm::StringRef name, float defaultValue) const;
  std::optional<std::vector<int64_t>> intsAttr(llvm::StringRef name) const;

  /// The constant value of input `i` if it is a gcomp.constant, else null.
  mlir::ElementsAttr constantInput(unsigned i) const;
  /// Input `i` must be present; reports an error if not.
  mlir::FailureOr<mlir::Value> requiredInput(unsigned i) const;
  /// Input `i`, or null when the node omits it (absent or "").
  mlir::Value optionalInput(unsigned i) const {
    return i < inputs.size() ? inputs[i] : mlir::Value();
  }
  /// Input `i` as a ranked tensor type (it must be present).
  mlir::RankedTensorType inputType(unsigned i) const {
    return llvm::cast<mlir::RankedTensorType>(inputs[i].getType());
  }

  /// Inputs 0..count-1 must be present.
  mlir::LogicalResult requireInputs(unsigned count) const;
  /// Input `i` must have a floating-point element type.
  mlir::LogicalResult requireFloatInput(unsigned i) const;
  /// `v` cast to element type `to` (no op if it has it; folded for
  /// constants). `fromUnsigned` reads integer elements as unsigned,
  /// `toUnsigned` converts floats to an unsigned type.
  mlir::Value castTo(mlir::Value v, mlir::Type to, bool fromUnsigned = false,
                     bool toUnsigned = false) const;
  /// Whether input `i` holds an unsigned ONNX integer type (uint8 ...),
  /// which the graph keeps in a signless type of the same width.
  bool isUnsignedInput(unsigned i) const {
    return i < unsignedInputs.size() && unsignedInputs[i];
  }
  /// Says whether output `i` holds an unsigned ONNX type. Outputs the
  /// importer says nothing of are unsigned when an unsigned input has
  /// their (integer) element type.
  void setUnsignedOutput(unsigned i, bool isUnsigned) {
    if (unsignedOutputs.size() <= i)
      unsignedOutputs.resize(i + 1);
    unsignedOutputs[i] = isUnsigned;
  }
  /// `input` reshaped to `shape` (no op if it already has it).
  mlir::Value reshape(mlir::Value input, llvm::ArrayRef<int64_t> shape) const;
  /// Input `i` as a constant integer list (shape-like inputs); reports an
  /// error naming `what` if it is not constant.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  constantInts(unsigned i, llvm::StringRef what) const;

  /// Input `i` as a constant float list (scales, roi).
  mlir::FailureOr<llvm::SmallVector<double>>
  constantFloats(unsigned i, llvm::StringRef what) const;

  /// Normalizes an axis in [-rank, rank) (or [-rank-1, rank] with
  /// `inclusiveEnd`) to be non-negative; reports an error if out of range.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         bool inclusiveEnd = false) const;
  /// The ints attribute `name` as axes normalized for `rank`, or every
  /// axis 0..rank-1 when the node leaves it out.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  axesAttr(llvm::StringRef name, int64_t rank) const;

  /// Reports (once per node) that an op an importer builds internally has
  /// operands whose shapes do not fit together, which only a malformed
  /// model causes, and returns `fallback` so the importer can go on
  /// building without a null type; importNode then fails the node.
  mlir::Value mismatch(mlir::Value fallback, llvm::StringRef what,
                       mlir::ValueRange operands) const;
  const TensorSource *tensorSource = nullptr;
  std::function<mlir::InFlightDiagnostic()> errorFnStorage;
  /// Set by mismatch().
  mutable bool hasMismatch = false;
  /// One per input: whether it holds an unsigned ONNX type.
  llvm::SmallVector<bool> unsignedInputs = {};
  /// What the importer said of its outputs' signedness (setUnsignedOutput).
  llvm::SmallVector<std::optional<bool>> unsignedOutputs = {};
  /// An output whose size depends on the input values (NonZero, Unique...)
  /// is built at its bound, the most it can be, with the entries past its
  /// actual size defined (0 where they are made). Per dim: null where the
  /// dim is the bound's, else a rank-0 i64 tensor with its actual size.
  struct DataDependentSize {
    llvm::SmallVector<mlir::Value> counts;
    bool varies(int64_t d) const { return counts[d] != nullptr; }
  };
  /// The model's sizes in terms of its symbolic dims (the generic
  /// variant); null where the importer has none (a subgraph's own tests).
  SymbolicShapes *symbolic = nullptr;
  /// Input `i`'s values as sizes: a constant's, or those the exporter's
  /// shape arithmetic computed from symbolic dims (ShapeArithmetic.cpp).
  /// Reports an error naming `what` if neither.
  mlir::FailureOr<llvm::SmallVector<SymExpr>>
  symbolicInts(unsigned i, llvm::StringRef what) const;
  /// Per output, set by setDataDependentSize.
  llvm::SmallVector<std::optional<DataDependentSize>> dataDependentSizes = {};
  void setDataDependentSize(unsigned output,
                            llvm::ArrayRef<mlir::Value> counts) {
    if (dataDependentSizes.size() <= output)
      dataDependentSizes.resize(output + 1);
    dataDependentSizes[output] = DataDependentSize{llvm::to_vector(counts)};
  }
};

/// After a node is imported: the values of its integer output computed
/// from sizes its inputs hold (Shape -> Gather -> Concat ...), recorded in
/// nc.symbolic, or made a constant where they are static.
void propagateShapeContents(NodeContext &nc);

/// Whether an ONNX TensorProto.DataType is an unsigned integer type.
bool isUnsignedOnnxType(int onnxType);

/// An elementwise op of `a` and `b` with the broadcast type inferred (i1
/// for Equal), folded where it can be.
template <typename OpT>
mlir::Value bin(NodeContext &nc, mlir::Value a, mlir::Value b) {
  auto type = inferBroadcastType(mlir::cast<mlir::RankedTensorType>(a.getType()),
                                 mlir::cast<mlir::RankedTensorType>(b.getType()),
                                 nullptr);
  if (mlir::failed(type))
    return nc.mismatch(a, OpT::getOperationName(), {a, b});
  if constexpr (std::is_same_v<OpT, EqualOp>)
    type = type->clone(nc.builder.getI1Type());
  return nc.builder.createOrFold<OpT>(nc.loc, *type, a, b);
}

/// A binary broadcast op between two values (i1 for the comparisons),
/// folding constants; a shape mismatch is reported on the node.
template <typename OpT>
mlir::FailureOr<mlir::Value> broadcastBinary(NodeContext &nc, mlir::Value lhs,
                                             mlir::Value rhs) {
  mlir::FailureOr<mlir::RankedTensorType> type = inferBroadcastType(
      mlir::cast<mlir::RankedTensorType>(lhs.getType()),
      mlir::cast<mlir::RankedTensorType>(rhs.getType()), nc.errorFn());
  if (mlir::failed(type))
    return mlir::failure();
  mlir::Type element = type->getElementType();
  if constexpr (std::is_same_v<OpT, EqualOp> || std::is_same_v<OpT, LessOp> ||
                std::is_same_v<OpT, LessEqualOp> ||
                std::is_same_v<OpT, GreaterOp> ||
                std::is_same_v<OpT, GreaterEqualOp>)
    element = nc.builder.getI1Type();
  return nc.builder.createOrFold<OpT>(nc.loc, type->clone(element), lhs, rhs);
}

/// `v` transposed by `perm` (folded where it can be).
mlir::Value transposed(NodeContext &nc, mlir::Value v,
                       llvm::ArrayRef<int64_t> perm);

/// A rank-0 constant of `element` type.
mlir::Value scalar(NodeContext &nc, mlir::Type element, double v);
/// An i64 constant of `shape` holding `values` (row-major).
mlir::Value i64Constant(NodeContext &nc, llvm::ArrayRef<int64_t> values,
                        llvm::ArrayRef<int64_t> shape);
/// 0, 1, ..., n - 1 as a 1-D i64 constant.
mlir::Value iota(NodeContext &nc, int64_t n);

/// x * sigmoid(alpha * x): ONNX Swish, and onnxruntime's QuickGelu.
mlir::Value swish(NodeContext &nc, mlir::Value x, double alpha);

/// (x - mean(x)) / sqrt(var(x) + eps) over `axes`; also returns the mean
/// and 1 / sqrt(var + eps) (keepdims). gcomp-recognize-ops finds layer
/// norms in this form.
/// x / sqrt(mean(x^2 over `axes`) + epsilon) and that 1 / sqrt(...) (dims
/// in `axes` kept as 1): the root-mean-square normalization of
/// RMSNormalization and onnxruntime's simplified layer norms.
std::pair<mlir::Value, mlir::Value> rmsNormalize(NodeContext &nc,
                                                 mlir::Value x,
                                                 llvm::ArrayRef<int64_t> axes,
                                                 float epsilon);
std::tuple<mlir::Value, mlir::Value, mlir::Value>
normalize(NodeContext &nc, mlir::Value x, llvm::ArrayRef<int64_t> axes,
          double eps);

/// An ONNX Conv of `x` by `weights` (+ `bias`, may be null) with the
/// node's window attributes (strides, pads, auto_pad, dilations, group).
mlir::FailureOr<mlir::Value> convolve(NodeContext &nc, mlir::Value x,
                                      mlir::Value weights, mlir::Value bias);

using OpImporterFn = llvm::LogicalResult (*)(NodeContext &);

/// Adds the importers of TensorOpImporters.cpp (reductions, shape and data
/// movement ops) to `table`.
void addTensorOpImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds the importers of NNOpImporters.cpp (conv, pooling, normalization).
void addNNOpImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds GatherND, the scatters, TopK and ReverseSequence
/// (IndexingImporters.cpp).
void addIndexingImporters(llvm::StringMap<OpImporterFn> &table);
/// For a node (imported into `nc`) with inputs whose size depends on the
/// data (`sizes[i]`, null for the others): sets its outputs' sizes and
/// returns true where the op can take them, false where it cannot (the
/// caller says so), failure after an error (DataDependentSizes.cpp).
mlir::FailureOr<bool> propagateDataDependentSizes(
    NodeContext &nc,
    llvm::ArrayRef<const NodeContext::DataDependentSize *> sizes);
/// Adds RotaryEmbedding (RotaryImporters.cpp).
void addRotaryImporters(llvm::StringMap<OpImporterFn> &table);
/// onnxruntime's RotaryEmbedding (com.microsoft; RotaryImporters.cpp).
void addContribRotaryImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds GridSample and RoiAlign, which sample at positions from the data,
/// and Col2Im
/// (SamplingImporters.cpp).
void addSamplingImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds NonZero, Compress, Unique and NonMaxSuppression, whose output sizes
/// depend on the data (DataDependentImporters.cpp).
void addDataDependentImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds Resize and Upsample (ResizeImporter.cpp).
void addResizeImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds Einsum (EinsumImporter.cpp).
void addEinsumImporter(llvm::StringMap<OpImporterFn> &table);
/// Adds the Attention importer (AttentionImporter.cpp).
void addAttentionImporter(llvm::StringMap<OpImporterFn> &table);
/// What ONNX Attention takes as attributes (AttentionImporter.cpp).
struct AttentionOptions {
  /// The heads of 3-D inputs (q_num_heads, kv_num_heads).
  int64_t qHeads = 0, kvHeads = 0;
  bool causal = false;
  int64_t leftWindow = -1, rightWindow = -1;
  std::optional<double> scale; // 1 / sqrt(head size) when absent
  float softcap = 0.0f;
  int64_t qkOutputMode = 0;
};
/// ONNX Attention on nc.inputs (Q, K, V, mask?, past_key?, past_value?,
/// nonpad_kv_seqlen?) with `options`; appends (output, present_key,
/// present_value, qk) to nc.outputs. For other ops that are attention.
mlir::LogicalResult buildAttention(NodeContext &nc,
                                   const AttentionOptions &options);
/// `x` [B, S, H, D] with its first `rotary` entries per head rotated at the
/// positions `positions` ([B, S] int64) by the caches [max positions,
/// rotary / 2] (RotaryImporters.cpp).
mlir::Value rotaryEmbedding(NodeContext &nc, mlir::Value x, mlir::Value cos,
                            mlir::Value sin, mlir::Value positions,
                            int64_t rotary, bool interleaved);
/// Adds DFT, STFT, the window functions and MelWeightMatrix
/// (SignalImporters.cpp).
void addSignalImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds RNN, GRU and LSTM (RecurrentImporters.cpp).
void addRecurrentImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and the
/// integer products (QuantOpImporters.cpp).
void addQuantOpImporters(llvm::StringMap<OpImporterFn> &table);
/// Adds onnxruntime's quantized contrib ops (MatMulIntegerToFloat,
/// DynamicQuantizeMatMul) to `table` (QuantOpImporters.cpp).
void addQuantContribOpImporters(llvm::StringMap<OpImporterFn> &table);

/// Adds onnxruntime's Attention and EmbedLayerNormalization
/// (ContribAttentionImporters.cpp).
void addContribAttentionImporters(llvm::StringMap<OpImporterFn> &table);

/// The op importers, by ONNX op type (default domain).
const llvm::StringMap<OpImporterFn> &opImporters();
/// The importers of onnxruntime's contrib ops (domain com.microsoft) that
/// exported and ORT-optimized models commonly hold (ContribOpImporters.cpp).
const llvm::StringMap<OpImporterFn> &contribOpImporters();

} // namespace gcomp::detail

#endif
