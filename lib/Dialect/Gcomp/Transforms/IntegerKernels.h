//===- IntegerKernels.h - int8 operands of the runtime's kernels -*- C++ -*-===//
//
// Shared by gcomp-integer-matmul-kernels and gcomp-integer-conv-kernels:
// recognizing the int8 activations `cast(x) - z` of an integer product as
// the importer writes them, reading constant int8 weights through the casts
// and zero points around them, and packing a [k, n] int8 matrix in the
// layout of the runtime's int8 product (GCOMP_SYM_QGEMM in model_abi.h).
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_INTEGERKERNELS_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_INTEGERKERNELS_H

#include "ConstantData.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/model_abi.h"

#include <optional>
#include <vector>

namespace gcomp {

/// The int8 activations of a product's operand `cast(x) - z` or `cast(x)`:
/// x (i8), whether the cast read it as unsigned, and z (a one-element i32,
/// null for none).
struct Int8Activations {
  mlir::Value x;
  bool isUnsigned;
  mlir::Value zeroPoint;
};

/// `v` widened from i8 to i32 by a gcomp.cast: the i8 value and whether it
/// was read as unsigned.
inline std::optional<std::pair<mlir::Value, bool>> widenedInt8(mlir::Value v) {
  auto cast = v.getDefiningOp<CastOp>();
  if (!cast ||
      !cast.getInput().getType().getElementType().isSignlessInteger(8) ||
      !cast.getType().getElementType().isSignlessInteger(32))
    return std::nullopt;
  return std::pair{cast.getInput(), cast.getUnsignedInput()};
}

inline std::optional<Int8Activations> matchInt8Activations(mlir::Value v) {
  if (auto widened = widenedInt8(v))
    return Int8Activations{widened->first, widened->second, nullptr};
  auto sub = v.getDefiningOp<SubOp>();
  if (!sub || sub.getLhs().getType() != v.getType())
    return std::nullopt;
  auto widened = widenedInt8(sub.getLhs());
  auto zpType = llvm::cast<mlir::RankedTensorType>(sub.getRhs().getType());
  // A scalar zero point (any rank of one element broadcasts like one).
  if (!widened || zpType.getNumElements() != 1 || !zpType.hasStaticShape())
    return std::nullopt;
  return Int8Activations{widened->first, widened->second, sub.getRhs()};
}

/// The values of a constant integer tensor of static shape, as int32:
/// a gcomp.constant of i8 or i32, or such a constant widened by a
/// gcomp.cast and less a one-element constant (the weights and their zero
/// point as the importer writes them, before or after folding).
std::optional<std::vector<int32_t>> constantInts(mlir::Value v);

/// constantInts of `v` if every value fits int8.
std::optional<std::vector<int8_t>> constantInt8s(mlir::Value v);

/// A [k, n] int8 matrix (row-major, rows past its k up to kPacked taken as
/// zero) in GCOMP_SYM_QGEMM's packed layout for k = kPacked, and its
/// column sums (zero past n).
struct PackedInt8Matrix {
  std::vector<char> bytes;
  std::vector<int32_t> sums;
};
PackedInt8Matrix packInt8Matrix(llvm::ArrayRef<int8_t> values, int64_t k,
                                int64_t n, int64_t kPacked);

/// Constants holding a PackedInt8Matrix: the packed bytes (1-D i8) and
/// the sums (1-D i32).
std::pair<mlir::Value, mlir::Value>
makePackedConstants(mlir::OpBuilder &b, mlir::Location loc,
                    const PackedInt8Matrix &packed, llvm::StringRef name);

/// The zero point of `act` as a rank-0 i32 (a constant 0 without one).
mlir::Value scalarZeroPoint(mlir::OpBuilder &b, mlir::Location loc,
                            const Int8Activations &act);

} // namespace gcomp

#endif
