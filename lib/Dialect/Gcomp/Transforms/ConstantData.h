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

/// The raw bytes of a constant's elements, if they are stored one element
/// per whole number of bytes (not i1's bit packing, not a splat).
inline std::optional<llvm::ArrayRef<char>>
rawElements(mlir::ElementsAttr value) {
  unsigned bits = value.getElementType().getIntOrFloatBitWidth();
  if (bits % 8 != 0)
    return std::nullopt;
  if (auto dense = mlir::dyn_cast<mlir::DenseElementsAttr>(value)) {
    if (dense.isSplat())
      return std::nullopt;
    return dense.getRawData();
  }
  if (auto resource = mlir::dyn_cast<mlir::DenseResourceElementsAttr>(value))
    if (mlir::AsmResourceBlob *blob = resource.getRawHandle().getBlob())
      return blob->getData();
  return std::nullopt;
}

/// The raw bytes of a constant: rawElements, or for a splat its value
/// repeated in `storage`. Nullopt for i1 (packed bits), dynamic shapes or
/// data of the wrong size.
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
  if (auto dense = dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat()) {
    ArrayRef<char> one = dense.getRawData();
    storage.resize(bytes);
    for (size_t i = 0; i < bytes; i += width)
      std::memcpy(storage.data() + i, one.data(), width);
    return ArrayRef<char>(storage);
  }
  std::optional<ArrayRef<char>> data = rawElements(value);
  if (!data || data->size() != bytes)
    return std::nullopt;
  return data;
}

/// The bytes of a row-major `type` tensor with its dims permuted as a
/// transpose does: result dim i is source dim perm[i].
inline std::vector<char> permuteBytes(llvm::ArrayRef<char> raw,
                                      mlir::RankedTensorType type,
                                      llvm::ArrayRef<int64_t> perm) {
  int64_t rank = type.getRank(), count = type.getNumElements();
  size_t size = type.getElementType().getIntOrFloatBitWidth() / 8;
  // Element strides of the source, in the result's dim order.
  llvm::SmallVector<int64_t> strides(rank, 1), sourceStride, outShape;
  for (int64_t d = rank - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * type.getDimSize(d + 1);
  for (int64_t p : perm) {
    sourceStride.push_back(strides[p]);
    outShape.push_back(type.getDimSize(p));
  }
  std::vector<char> bytes(count * size);
  llvm::SmallVector<int64_t> index(rank, 0);
  int64_t source = 0;
  for (int64_t i = 0; i < count; ++i) {
    std::memcpy(bytes.data() + i * size, raw.data() + source * size, size);
    for (int64_t d = rank - 1; d >= 0; --d) {
      source += sourceStride[d];
      if (++index[d] < outShape[d])
        break;
      source -= sourceStride[d] * outShape[d];
      index[d] = 0;
    }
  }
  return bytes;
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
