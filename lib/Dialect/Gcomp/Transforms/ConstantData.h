//===- ConstantData.h - the bytes of gcomp.constant values ------*- C++ -*-===//
//
// Shared by the passes that compute new constants at compile time
// (gcomp-fold-constants, gcomp-fold-batch-norm): reading a constant's
// bytes, whether dense or a resource blob, and making a constant of new
// bytes.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_CONSTANTDATA_H
#define GCOMP_LIB_DIALECT_GCOMP_TRANSFORMS_CONSTANTDATA_H

#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>
#include <optional>
#include <vector>

namespace gcomp {

/// The raw bytes of a constant: a view of its data, or of `storage` for a
/// splat, which is expanded. Nullopt for i1 (packed bits) or anything else
/// without a plain row-major buffer.
inline std::optional<llvm::ArrayRef<char>>
rawBytes(mlir::ElementsAttr value, std::vector<char> &storage) {
  using namespace mlir;
  auto type = cast<ShapedType>(value.getType());
  Type element = type.getElementType();
  if (!type.hasStaticShape() || !element.isIntOrFloat() ||
      element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  size_t width = element.getIntOrFloatBitWidth() / 8;
  size_t bytes = width * type.getNumElements();
  ArrayRef<char> data;
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    data = dense.getRawData();
    if (dense.isSplat()) {
      storage.resize(bytes);
      for (size_t i = 0; i < bytes; i += width)
        std::memcpy(storage.data() + i, data.data(), width);
      return ArrayRef<char>(storage);
    }
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    data = blob->getData();
  } else {
    return std::nullopt;
  }
  if (data.size() != bytes)
    return std::nullopt;
  return data;
}

/// A constant of `type` holding `bytes`: dense when small (it stays
/// readable and the ops' folders can use it), a resource blob otherwise.
inline mlir::Value makeConstant(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::RankedTensorType type,
                                llvm::ArrayRef<char> bytes,
                                llvm::StringRef name) {
  using namespace mlir;
  ElementsAttr value;
  if (bytes.size() <= 4096) {
    value = DenseElementsAttr::getFromRawBuffer(type, bytes);
  } else {
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        bytes, alignof(std::max_align_t));
    value = DenseResourceElementsAttr::get(type, name, std::move(blob));
  }
  return ConstantOp::create(b, loc, type, value);
}

/// The f32 values of a constant, or nullopt if it is not an f32 constant.
inline std::optional<std::vector<float>> floatValues(mlir::Value v) {
  auto constant = v.getDefiningOp<ConstantOp>();
  if (!constant ||
      !llvm::cast<mlir::ShapedType>(constant.getType()).getElementType().isF32())
    return std::nullopt;
  std::vector<char> storage;
  std::optional<llvm::ArrayRef<char>> raw = rawBytes(constant.getValue(), storage);
  if (!raw)
    return std::nullopt;
  std::vector<float> values(raw->size() / sizeof(float));
  std::memcpy(values.data(), raw->data(), raw->size());
  return values;
}

} // namespace gcomp

#endif
