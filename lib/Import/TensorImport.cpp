//===- TensorImport.cpp - ONNX TensorProto to MLIR attributes -------------===//

#include "ImporterInternal.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {

std::string onnxTypeName(int onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(onnxType));
  // Added after ONNX 1.12 (Debian's libonnx).
  static const char *const newer[] = {"FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
                                      "FLOAT8E5M2",   "FLOAT8E5M2FNUZ",
                                      "UINT4",        "INT4",
                                      "FLOAT4E2M1",   "FLOAT8E8M0",
                                      "UINT2",        "INT2"};
  if (onnxType >= 17 && onnxType < 17 + static_cast<int>(std::size(newer)))
    return newer[onnxType - 17];
  return "type " + std::to_string(onnxType);
}

Type elementTypeFor(MLIRContext *ctx, int onnxType) {
  Builder b(ctx);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  // Unsigned types are signless in the graph (arith ops want that); the
  // ABI keeps their ONNX type through the `gcomp.elem_type` attribute.
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32);
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64);
  default:
    return nullptr;
  }
}

/// Bytes per element in ONNX's raw_data layout.
static size_t rawElementSize(int onnxType) {
  switch (onnxType) {
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return 1;
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return 2;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::FLOAT:
    return 4;
  default:
    return 8;
  }
}

std::optional<uint64_t> tensorBytes(ArrayRef<int64_t> shape,
                                    uint64_t elementBytes) {
  uint64_t bytes = elementBytes;
  for (int64_t d : shape) {
    if (d == ShapedType::kDynamic)
      continue;
    if (d < 0 || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes))
      return std::nullopt;
  }
  if (bytes > static_cast<uint64_t>(INT64_MAX))
    return std::nullopt;
  return bytes;
}

LogicalResult checkTensorSize(ArrayRef<int64_t> shape, Type elementType,
                              const TensorSource &source,
                              EmitErrorFn emitError) {
  uint64_t elementBytes =
      std::max<uint64_t>(1, (elementType.getIntOrFloatBitWidth() + 7) / 8);
  std::optional<uint64_t> bytes = tensorBytes(shape, elementBytes);
  if (!bytes) {
    emitError() << "tensor of shape " << shapeToString(shape) << " and type "
                << elementType << " is too large (its size overflows 64 bits)";
    return failure();
  }
  if (*bytes > source.maxTensorBytes) {
    emitError() << "tensor of shape " << shapeToString(shape) << " and type "
                << elementType << " needs " << *bytes
                << " bytes, more than the --max-memory limit of "
                << source.maxTensorBytes;
    return failure();
  }
  return success();
}

/// Reads a tensor's external data, refusing any location that leaves the
/// model's folder (absolute paths, `..`, symlinks pointing outside).
static LogicalResult readExternal(const onnx::TensorProto &tensor,
                                  const TensorSource &source,
                                  size_t expectedBytes, std::string &bytes,
                                  EmitErrorFn emitError) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location") {
      location = entry.value();
    } else if (entry.key() == "offset" || entry.key() == "length") {
      uint64_t v;
      if (StringRef(entry.value()).getAsInteger(10, v)) {
        emitError() << "external data " << entry.key() << " '"
                    << entry.value() << "' is not a number";
        return failure();
      }
      (entry.key() == "offset" ? offset : length.emplace()) = v;
    }
  }
  if (location.empty()) {
    emitError() << "external data has no 'location'";
    return failure();
  }
  // No `..` anywhere, even one that stays inside: a location that climbs
  // can be made to climb out by a symlinked folder on the way.
  SmallString<256> normalized(location);
  sys::path::remove_dots(normalized, /*remove_dot_dot=*/false);
  bool climbs = llvm::any_of(
      llvm::make_range(sys::path::begin(location), sys::path::end(location)),
      [](StringRef part) { return part == ".."; });
  if (sys::path::is_absolute(location) || climbs || normalized.empty() ||
      location.find('\0') != std::string::npos) {
    emitError() << "external data location '" << location
                << "' escapes the model's folder (it must be a relative "
                   "path inside it)";
    return failure();
  }
  SmallString<256> path(source.modelDir);
  sys::path::append(path, normalized);
  SmallString<256> realPath, realDir;
  if (sys::fs::real_path(path, realPath) ||
      sys::fs::real_path(source.modelDir, realDir)) {
    emitError() << "external data file '" << location << "' not found in '"
                << source.modelDir << "'";
    return failure();
  }
  if (!StringRef(realPath).starts_with((realDir + "/").str())) {
    emitError() << "external data location '" << location
                << "' resolves outside the model's folder";
    return failure();
  }
  // A hard link looks like a file in the folder whatever it links to, so
  // the folder check above cannot see where its data lives.
  sys::fs::file_status status;
  if (sys::fs::status(realPath, status) ||
      status.type() != sys::fs::file_type::regular_file) {
    emitError() << "external data location '" << location
                << "' is not a regular file";
    return failure();
  }
  if (status.getLinkCount() > 1) {
    emitError() << "external data file '" << location << "' has "
                << status.getLinkCount()
                << " hard links; gcomp reads only files with one, since a "
                   "hard link can bring a file from outside the model's "
                   "folder into it (copy the file instead)";
    return failure();
  }
  uint64_t fileSize = status.getSize();
  if (offset > fileSize) {
    emitError() << "external data offset " << offset << " is past the end of '"
                << location << "' (" << fileSize << " bytes)";
    return failure();
  }
  uint64_t size = length.value_or(fileSize - offset);
  if (size != expectedBytes || size > fileSize - offset) {
    emitError() << "external data in '" << location << "' has " << size
                << " bytes at offset " << offset << " (file: " << fileSize
                << " bytes) but the tensor needs " << expectedBytes;
    return failure();
  }
  auto buffer = MemoryBuffer::getFileSlice(realPath, size, offset);
  if (!buffer) {
    emitError() << "cannot read external data '" << location
                << "': " << buffer.getError().message();
    return failure();
  }
  bytes.assign((*buffer)->getBufferStart(), (*buffer)->getBufferSize());
  if (source.dataFiles)
    source.dataFiles->insert(std::string(path));
  return success();
}

/// Copies a repeated typed field into raw little-endian bytes of `elemSize`
/// bytes per element.
template <typename Field>
static void appendTyped(const Field &field, size_t elemSize,
                        std::string &bytes) {
  for (auto v : field) {
    char buf[8];
    if (elemSize == sizeof(v)) {
      std::memcpy(buf, &v, elemSize);
    } else {
      // int32_data holds narrower ints and fp16/bf16 bit patterns.
      uint64_t bits = static_cast<uint64_t>(v);
      std::memcpy(buf, &bits, elemSize);
    }
    bytes.append(buf, elemSize);
  }
}

/// A tensor's dims, which must not be negative.
static FailureOr<SmallVector<int64_t>>
tensorDims(const onnx::TensorProto &tensor, EmitErrorFn emitError) {
  SmallVector<int64_t> shape;
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      emitError() << "tensor has a negative dim " << d;
      return failure();
    }
    shape.push_back(d);
  }
  return shape;
}

/// ONNX's 4-bit integer types (opset 21), which libonnx 1.12 does not name.
enum : int { kOnnxUint4 = 21, kOnnxInt4 = 22 };

/// An INT4 or UINT4 tensor, stored two elements per byte (low nibble first,
/// in raw_data, external data or one byte per int32_data entry), as an i8
/// tensor of one element per byte (sign-extended for INT4): the graph
/// computes on them as on 8-bit integers.
static FailureOr<ElementsAttr> importInt4Tensor(const onnx::TensorProto &tensor,
                                                MLIRContext *ctx,
                                                const TensorSource &source,
                                                EmitErrorFn emitError) {
  FailureOr<SmallVector<int64_t>> dims = tensorDims(tensor, emitError);
  if (failed(dims))
    return failure();
  SmallVector<int64_t> &shape = *dims;
  Type i8 = IntegerType::get(ctx, 8);
  if (failed(checkTensorSize(shape, i8, source, emitError)))
    return failure();
  uint64_t count = *tensorBytes(shape, 1);
  size_t packedBytes = static_cast<size_t>((count + 1) / 2);
  std::string packed;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternal(tensor, source, packedBytes, packed, emitError)))
      return failure();
  } else if (tensor.has_raw_data()) {
    packed = tensor.raw_data();
  } else {
    for (int32_t v : tensor.int32_data())
      packed.push_back(static_cast<char>(v & 0xFF));
  }
  if (packed.size() != packedBytes) {
    emitError() << "4-bit tensor of shape " << shapeToString(shape)
                << " needs " << packedBytes << " bytes of data but has "
                << packed.size();
    return failure();
  }
  bool isSigned = tensor.data_type() == kOnnxInt4;
  SmallVector<int8_t> values;
  values.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    uint8_t nibble = (static_cast<uint8_t>(packed[i / 2]) >> (4 * (i % 2))) & 15;
    values.push_back(isSigned && nibble >= 8 ? static_cast<int8_t>(nibble - 16)
                                             : static_cast<int8_t>(nibble));
  }
  return ElementsAttr(
      DenseElementsAttr::get(RankedTensorType::get(shape, i8), ArrayRef(values)));
}

FailureOr<ElementsAttr> importTensor(const onnx::TensorProto &tensor,
                                     MLIRContext *ctx,
                                     const TensorSource &source,
                                     EmitErrorFn emitError) {
  int dtype = tensor.data_type();
  if (dtype == kOnnxUint4 || dtype == kOnnxInt4)
    return importInt4Tensor(tensor, ctx, source, emitError);
  Type elementType = elementTypeFor(ctx, dtype);
  if (!elementType) {
    emitError() << "tensor element type " << onnxTypeName(dtype) << " ("
                << dtype << ") is not supported";
    return failure();
  }
  FailureOr<SmallVector<int64_t>> dims = tensorDims(tensor, emitError);
  if (failed(dims))
    return failure();
  SmallVector<int64_t> &shape = *dims;
  if (failed(checkTensorSize(shape, elementType, source, emitError)))
    return failure();
  auto type = RankedTensorType::get(shape, elementType);
  size_t elemSize = rawElementSize(dtype);
  // checkTensorSize bounded the element count; raw sizes may differ from
  // MLIR's (bool), so recompute in ONNX's layout.
  std::optional<uint64_t> raw = tensorBytes(shape, elemSize);
  if (!raw) {
    emitError() << "tensor of shape " << shapeToString(shape)
                << " is too large (its size overflows 64 bits)";
    return failure();
  }
  size_t expectedBytes = *raw;

  std::string bytes;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    if (failed(readExternal(tensor, source, expectedBytes, bytes, emitError)))
      return failure();
  } else if (tensor.has_raw_data()) {
    bytes = tensor.raw_data();
  } else {
    switch (dtype) {
    case onnx::TensorProto::FLOAT:
      appendTyped(tensor.float_data(), elemSize, bytes);
      break;
    case onnx::TensorProto::DOUBLE:
      appendTyped(tensor.double_data(), elemSize, bytes);
      break;
    case onnx::TensorProto::INT64:
      appendTyped(tensor.int64_data(), elemSize, bytes);
      break;
    case onnx::TensorProto::UINT32:
    case onnx::TensorProto::UINT64:
      appendTyped(tensor.uint64_data(), elemSize, bytes);
      break;
    default:
      appendTyped(tensor.int32_data(), elemSize, bytes);
      break;
    }
  }
  if (bytes.size() != expectedBytes) {
    emitError() << "tensor of shape " << shapeToString(shape) << " needs "
                << expectedBytes << " bytes of data but has " << bytes.size();
    return failure();
  }

  if (elementType.isInteger(1)) {
    SmallVector<bool> values;
    for (char c : bytes)
      values.push_back(c != 0);
    return ElementsAttr(DenseElementsAttr::get(type, values));
  }
  // Float weights go to resources; integer tensors (shapes, indices) stay
  // dense so that folding and the importer can read them directly.
  if (bytes.size() < source.resourceThresholdBytes ||
      !isa<FloatType>(elementType)) {
    bool detectedSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, ArrayRef(bytes.data(), bytes.size()),
                                             detectedSplat)) {
      emitError() << "tensor data does not match its type " << type;
      return failure();
    }
    return ElementsAttr(DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef(bytes.data(), bytes.size())));
  }
  std::string blobName = tensor.name().empty() ? "constant" : tensor.name();
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef(bytes.data(), bytes.size()), alignof(std::max_align_t));
  return ElementsAttr(
      DenseResourceElementsAttr::get(type, blobName, std::move(blob)));
}

} // namespace gcomp::detail
