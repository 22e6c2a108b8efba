//===- Npy.h - Minimal reader and writer for NumPy .npy files ---*- C++ -*-===//
//
// Dense, C-order, little-endian arrays of the numeric types ONNX and NumPy
// share. Self-contained (C++17 standard library only) and free of
// exceptions, so that it can be shared with code built with -fno-exceptions.
//
// Format reference: numpy/lib/format.py. A file is
//   "\x93NUMPY" major minor header_len header data
// where header_len is 2 bytes (version 1.0) or 4 bytes (2.0 and 3.0), and
// the header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//
//===----------------------------------------------------------------------===//

#ifndef GCOMP_TOOLS_GCOMP_RUN_NPY_H
#define GCOMP_TOOLS_GCOMP_RUN_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gcomp {
namespace npy {

/// Element types, numbered as ONNX's TensorProto.DataType (and gcomp_dtype).
/// BFloat16 has no NumPy type; it is read and written as the 2-byte void
/// ('<V2') that NumPy uses to save ml_dtypes.bfloat16 arrays.
enum class ElemType : int32_t {
  Float32 = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float16 = 10,
  Float64 = 11,
  UInt32 = 12,
  UInt64 = 13,
  BFloat16 = 16,
};

/// Bytes per element, 0 for a value outside the enum.
size_t elemSize(ElemType type);
/// "float32", "int64", ...
const char *elemTypeName(ElemType type);
/// The .npy descr ("<f4", "|b1", ...); nullptr if the type has none.
const char *descrOf(ElemType type);
/// Parses a descr such as "<f4".
bool parseDescr(std::string_view descr, ElemType &type, std::string &error);

/// A dense C-order array.
struct Array {
  ElemType type = ElemType::Float32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  /// Product of the shape (1 for a scalar).
  size_t numElements() const;
};

// The functions below report failures by returning false and setting `error`
// to a message that does not name the file: callers add that context.

/// Parses the contents of a .npy file.
bool parse(const uint8_t *bytes, size_t size, Array &out, std::string &error);
/// Reads a .npy file.
bool read(const std::string &path, Array &out, std::string &error);

/// The bytes of a .npy file holding `data` (numElements(shape) *
/// elemSize(type) bytes). Version 1.0 unless the header needs 2.0.
/// `type` must have a descr.
std::vector<uint8_t> encode(ElemType type, const std::vector<int64_t> &shape,
                            const void *data);
/// Writes a .npy file.
bool write(const std::string &path, ElemType type,
           const std::vector<int64_t> &shape, const void *data,
           std::string &error);

/// A shape as messages write it: "[2,3]".
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace npy
} // namespace gcomp

#endif // GCOMP_TOOLS_GCOMP_RUN_NPY_H
