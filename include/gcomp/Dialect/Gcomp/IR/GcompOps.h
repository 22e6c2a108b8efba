//===- GcompOps.h - gcomp dialect ops ---------------------------*- C++ -*-===//
#ifndef GCOMP_DIALECT_GCOMP_IR_GCOMPOPS_H
#define GCOMP_DIALECT_GCOMP_IR_GCOMPOPS_H

#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace gcomp {
/// The Gcomp_Elementwise trait (GcompOps.td): each result element depends
/// only on the operand elements at the same broadcast position.
template <typename ConcreteType>
class Elementwise
    : public mlir::OpTrait::TraitBase<ConcreteType, Elementwise> {};
} // namespace gcomp

#define GET_OP_CLASSES
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h.inc"

namespace gcomp {
/// Reports an error, or is null where the caller wants none. The shape
/// functions below are shared by the ops' type inference and the importer,
/// which prefixes their messages with the ONNX node they concern.
using EmitErrorFn = llvm::function_ref<mlir::InFlightDiagnostic()>;

/// Numpy broadcasting of two shapes (ShapedType::kDynamic for unknown
/// dims). Fails if they do not broadcast.
llvm::LogicalResult broadcastShapes(llvm::ArrayRef<int64_t> lhs,
                                    llvm::ArrayRef<int64_t> rhs,
                                    llvm::SmallVectorImpl<int64_t> &result,
                                    EmitErrorFn emitError);

/// Whether a layer norm's `scale` or `bias` (null counts) holds exactly one
/// value per element of the dims `axis`.. of `input`, as one dense row.
bool isLayerNormRowParameter(mlir::Value param, mlir::RankedTensorType input,
                             int64_t axis);

/// Result types of the shape-changing ops.
mlir::FailureOr<mlir::RankedTensorType>
inferBroadcastType(mlir::RankedTensorType lhs, mlir::RankedTensorType rhs,
                   EmitErrorFn emitError);
mlir::FailureOr<mlir::RankedTensorType>
inferMatMulType(mlir::RankedTensorType lhs, mlir::RankedTensorType rhs,
                EmitErrorFn emitError);
/// `c` may be null.
mlir::FailureOr<mlir::RankedTensorType>
inferGemmType(mlir::RankedTensorType a, mlir::RankedTensorType b,
              mlir::RankedTensorType c, bool transA, bool transB,
              EmitErrorFn emitError);
mlir::FailureOr<mlir::RankedTensorType>
inferTransposeType(mlir::RankedTensorType input, llvm::ArrayRef<int64_t> perm,
                   EmitErrorFn emitError);

/// `input` with `axes` (sorted, non-negative) reduced away or kept as 1.
mlir::FailureOr<mlir::RankedTensorType>
inferReduceType(mlir::RankedTensorType input, llvm::ArrayRef<int64_t> axes,
                bool keepdims, mlir::Type elementType, EmitErrorFn emitError);
mlir::FailureOr<mlir::RankedTensorType>
inferConcatType(mlir::TypeRange inputs, int64_t axis, EmitErrorFn emitError);
mlir::FailureOr<mlir::RankedTensorType>
inferGatherType(mlir::RankedTensorType data, mlir::RankedTensorType indices,
                int64_t axis, EmitErrorFn emitError);
mlir::FailureOr<mlir::RankedTensorType>
inferWhereType(mlir::RankedTensorType condition, mlir::RankedTensorType x,
               mlir::RankedTensorType y, EmitErrorFn emitError);
/// ONNX GatherND's result shape: indices.shape[:-1] +
/// data.shape[batchDims + k:], k being the indices' last dim.
mlir::FailureOr<llvm::SmallVector<int64_t>>
inferGatherNDShape(llvm::ArrayRef<int64_t> data, llvm::ArrayRef<int64_t> indices,
                   int64_t batchDims, EmitErrorFn emitError);

/// Marks the linalg.generic of a 2-D depthwise f32 convolution (input
/// [N, C, 1, H, W] padded, weight [C, 1, 1, KH, KW], output [N, C, 1, OH,
/// OW]) with its strides and dilations [sh, sw, dh, dw], so that
/// gcomp-depthwise-to-runtime-call can run it in the runtime's kernel.
inline constexpr llvm::StringLiteral kDepthwiseConvAttr = "gcomp.depthwise";
/// The same for a channels-last depthwise conv ([N, H, W, C] padded input,
/// [KH, KW, 1, C] weight, [N, OH, OW, C] output).
inline constexpr llvm::StringLiteral kDepthwiseNhwcConvAttr =
    "gcomp.depthwise_nhwc";

/// Constants larger than this many elements are not folded at compile time.
inline constexpr int64_t kFoldElementLimit = 1 << 16;

/// Prints a shape the way diagnostics show it: [2,?,4].
std::string shapeToString(llvm::ArrayRef<int64_t> shape);
} // namespace gcomp

#endif
