//===- LoweringUtils.h - shared by the GcompToLinalg patterns ---*- C++ -*-===//
#ifndef GCOMP_LIB_CONVERSION_GCOMPTOLINALG_LOWERINGUTILS_H
#define GCOMP_LIB_CONVERSION_GCOMPTOLINALG_LOWERINGUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

namespace gcomp::lowering {

/// The lowering handles static shapes; symbolic dims come with their own
/// run-time shape plumbing.
mlir::LogicalResult requireStatic(mlir::Operation *op,
                                  mlir::ConversionPatternRewriter &rewriter);

/// Symbolic dims (the generic variant, docs/dynamic-shapes.md) are lowered
/// where each dynamic dim of the result lines up, counted from the right,
/// with a dynamic dim of an operand, which then holds its size at run time:
/// elementwise ops, reductions, softmax. A dynamic operand dim against a
/// static result dim (a broadcast decided at run time) is refused.
mlir::LogicalResult requireAlignedDims(mlir::Operation *op,
                                       mlir::ConversionPatternRewriter &rewriter);
/// The sizes of the dynamic dims of `type`, each read (tensor.dim) from the
/// first of `like` whose dim in the same place counted from the right is
/// dynamic; requireAlignedDims guarantees there is one.
llvm::SmallVector<mlir::Value> alignedDynamicSizes(mlir::OpBuilder &b,
                                                   mlir::Location loc,
                                                   mlir::RankedTensorType type,
                                                   mlir::ValueRange like);

/// An empty tensor of `type`; `dynamicSizes` gives its dynamic dims, in
/// order (none for a static type).
mlir::Value emptyTensor(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType type,
                        mlir::ValueRange dynamicSizes = {});
mlir::Value filledTensor(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type, mlir::TypedAttr value,
                         mlir::ValueRange dynamicSizes = {});
mlir::TypedAttr zeroAttr(mlir::Type elementType);
/// A scalar constant of `type` (float or integer) with value `v`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Type type, double v);

/// The map reading an operand of `operandShape` inside an iteration space
/// whose trailing dims are the (broadcast) result dims `resultShape`:
/// operand dims align to the right; a size-1 dim that broadcasts reads 0.
mlir::AffineMap broadcastMap(llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape,
                             mlir::MLIRContext *ctx);

/// An all-parallel linalg.generic over `resultType` whose body `fn` maps
/// the (broadcast) operands' scalars to the result scalar.
using ScalarFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &,
                                                mlir::Location,
                                                mlir::ValueRange)>;
mlir::Value elementwise(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::RankedTensorType resultType,
                        mlir::ValueRange inputs, ScalarFn fn);

/// Reshapes a static tensor to `type` (a view after bufferization).
/// The dims of the higher-rank of `source` and `type` that make each dim of
/// the other, where the reshape only merges or only splits dims (symbolic
/// dims included); none otherwise.
std::optional<llvm::SmallVector<mlir::ReassociationIndices>>
reshapeReassociation(mlir::RankedTensorType source,
                     mlir::RankedTensorType type);
/// Whether reshapeTo takes `source` to `type` where either has symbolic
/// dims: a merge or a split of dims, or a move of unit dims around them.
/// `type` without its unit dims.
mlir::RankedTensorType withoutUnitDims(mlir::RankedTensorType type);
bool isSymbolicReshape(mlir::RankedTensorType source,
                       mlir::RankedTensorType type);
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      mlir::RankedTensorType type);
/// Any reshape of symbolic dims: collapsed to one dim, then expanded to
/// `type` with its dynamic dims `sizes` (or, when none are given, its one
/// dynamic dim the element count over its static dims). Both are views of
/// a contiguous buffer.
mlir::Value reshapeThroughFlat(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value v, mlir::RankedTensorType type,
                               mlir::ValueRange sizes);

/// A linalg.generic over `resultType` (all parallel) whose body computes the
/// element from its indices (`linalg.index`), typically with tensor.extract;
/// `dynamicSizes` are the result's dynamic dims.
using IndexFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, llvm::ArrayRef<mlir::Value>)>;
mlir::Value generate(mlir::OpBuilder &b, mlir::Location loc,
                     mlir::RankedTensorType resultType, IndexFn fn,
                     mlir::ValueRange dynamicSizes = {});

/// An index operand (i32/i64 scalar) as `index`, negative values counting
/// from `size` and out-of-range ones clamped (ONNX leaves them undefined;
/// clamping keeps the model from reading or writing outside its buffers).
mlir::Value normalizedIndex(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value raw, int64_t size);
/// The same for a size known at run time (an index value).
mlir::Value normalizedIndex(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value raw, mlir::Value size);

/// The row-major coordinates of the flat `index` in a static `shape`.
llvm::SmallVector<mlir::Value> delinearize(mlir::OpBuilder &b,
                                           mlir::Location loc,
                                           mlir::Value index,
                                           llvm::ArrayRef<int64_t> shape);

/// The larger (smaller) of two scalars: NaN-propagating for floats, signed
/// for integers, `or` (`and`) for booleans.
mlir::Value maxOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                  mlir::Value y);
mlir::Value minOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x,
                  mlir::Value y);

/// acc + a * x for float or integer scalars.
mlir::Value multiplyAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                        mlir::Value x, mlir::Value acc);

/// The body of a product generic: yields args[2] + args[0] * args[1], the
/// factors widened to the accumulator's type when it is wider.
void yieldMultiplyAdd(mlir::OpBuilder &b, mlir::Location loc,
                      mlir::ValueRange args);

/// The type sums of `element` values accumulate in: f32 for f16 and bf16
/// (a sum of hundreds of half-precision terms loses digits otherwise, and
/// onnxruntime and cuDNN sum in f32 too), else `element` itself.
mlir::Type accumulatorType(mlir::Type element);

/// `value` with its float elements widened or rounded to `type`'s (the same
/// shape); `value` itself when they already match.
mlir::Value convertElements(mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value value, mlir::RankedTensorType type);

/// Combines an old and a new element by a scatter `reduction` ("none",
/// "add", "mul", "max", "min").
mlir::Value combineScatter(mlir::OpBuilder &b, mlir::Location loc,
                           llvm::StringRef reduction, mlir::Value old,
                           mlir::Value update);

void populateElementwiseLowering(mlir::RewritePatternSet &patterns);
void populateReductionLowering(mlir::RewritePatternSet &patterns);
void populateDataMovementLowering(mlir::RewritePatternSet &patterns);
void populateConvLowering(mlir::RewritePatternSet &patterns);
void populateIndexedUpdateLowering(mlir::RewritePatternSet &patterns);
void populateResizeLowering(mlir::RewritePatternSet &patterns);

} // namespace gcomp::lowering

#endif
