//===- gcomp-run.cpp - Run, check and time a model compiled by gcomp ------===//
//
// Loads a model.so with dlopen and drives it only through the C API of
// gcomp/runtime.h, exactly as an application would:
//
//   gcomp-run model.so                          random inputs, print outputs
//   gcomp-run model.so -i x=x.npy -o out/       inputs from .npy, save outputs
//   gcomp-run model.so -i x=x.npy --expect y=y.npy [--rtol R] [--atol A]
//   gcomp-run model.so --bench 50 [--warmup 5] [--json]
//   gcomp-run model.so --profile trace.json [--bench N] [--json]
//                                               per-kernel times (a model
//                                               built with gcomp --profile)
//   gcomp-run --signature model.so
//
// Exit status: 0 success, 1 an output differs from --expect, 2 any error
// (reported as one "gcomp-run: error: ..." line on stderr).
//
// Deliberately independent of LLVM and MLIR: it is a small tool to ship next
// to the models.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include "gcomp/runtime.h"

#include "CLI/CLI.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#ifndef GCOMP_VERSION_STRING
#define GCOMP_VERSION_STRING "unknown"
#endif

using gcomp::npy::ElemType;

namespace {

constexpr int kExitMismatch = 1;
constexpr int kExitError = 2;

// The two enums share ONNX's numbering; Npy.h stays free of runtime.h.
static_assert(
    static_cast<int32_t>(ElemType::Float32) == GCOMP_DTYPE_FLOAT32 &&
        static_cast<int32_t>(ElemType::Bool) == GCOMP_DTYPE_BOOL &&
        static_cast<int32_t>(ElemType::Float16) == GCOMP_DTYPE_FLOAT16 &&
        static_cast<int32_t>(ElemType::UInt64) == GCOMP_DTYPE_UINT64 &&
        static_cast<int32_t>(ElemType::BFloat16) == GCOMP_DTYPE_BFLOAT16,
    "npy::ElemType must match gcomp_dtype");

[[noreturn]] void fatal(const std::string &message) {
  std::fprintf(stderr, "gcomp-run: error: %s\n", message.c_str());
  std::fflush(stdout);
  std::exit(kExitError);
}

std::string quote(const std::string &name) { return "'" + name + "'"; }

/// "[2,?,4]": a dynamic dim as '?', as the runtime's messages write it.
std::string formatShape(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? "," : "") +
         (dims[i] < 0 ? std::string("?") : std::to_string(dims[i]));
  return s + "]";
}

/// "float32", ...; the runtime's spelling, without a call into the model.
const char *dtypeName(int32_t dtype) {
  if (gcomp::npy::elemSize(static_cast<ElemType>(dtype)) == 0)
    return "undefined";
  return gcomp::npy::elemTypeName(static_cast<ElemType>(dtype));
}

//===----------------------------------------------------------------------===//
// Half-precision conversions (no compiler support needed).
//===----------------------------------------------------------------------===//

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) { // zero or subnormal: mant * 2^-24
    float f = std::ldexp(static_cast<float>(mant), -24);
    return sign ? -f : f;
  }
  if (exp == 31)
    return bitsFloat(sign | 0x7f800000 | (mant << 13));
  return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

/// Round to nearest even (F. Giesen's float_to_half_fast3_rtne).
uint16_t floatToHalf(float value) {
  uint32_t u = floatBits(value);
  uint32_t sign = u & 0x80000000u;
  u ^= sign;
  uint32_t out;
  if (u >= (127u + 16) << 23) { // >= 65536, inf or NaN
    out = u > 0x7f800000u ? 0x7e00 : 0x7c00;
  } else if (u < 113u << 23) { // result is subnormal or zero
    // Adding 0.5 aligns the 10 mantissa bits at the bottom of the float and
    // lets the FPU round.
    float f = bitsFloat(u) + 0.5f;
    out = floatBits(f) - floatBits(0.5f);
  } else {
    uint32_t mantOdd = (u >> 13) & 1;
    u += (static_cast<uint32_t>(15 - 127) << 23) + 0xfff + mantOdd;
    out = u >> 13;
  }
  return static_cast<uint16_t>(out | (sign >> 16));
}

float bfloat16ToFloat(uint16_t b) {
  return bitsFloat(static_cast<uint32_t>(b) << 16);
}

uint16_t floatToBfloat16(float value) {
  uint32_t u = floatBits(value);
  if (std::isnan(value))
    return static_cast<uint16_t>((u >> 16) | 0x40);
  u += 0x7fff + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}

//===----------------------------------------------------------------------===//
// Element access by dtype.
//===----------------------------------------------------------------------===//

bool isFloat(int32_t dtype) {
  return dtype == GCOMP_DTYPE_FLOAT32 || dtype == GCOMP_DTYPE_FLOAT64 ||
         dtype == GCOMP_DTYPE_FLOAT16 || dtype == GCOMP_DTYPE_BFLOAT16;
}

template <typename T> T load(const uint8_t *p, size_t i) {
  T v;
  std::memcpy(&v, p + i * sizeof(T), sizeof(T));
  return v;
}

/// Element i as a double (exact for every type but 64-bit integers beyond
/// 2^53).
double loadDouble(const uint8_t *p, int32_t dtype, size_t i) {
  switch (dtype) {
  case GCOMP_DTYPE_FLOAT32:
    return load<float>(p, i);
  case GCOMP_DTYPE_FLOAT64:
    return load<double>(p, i);
  case GCOMP_DTYPE_FLOAT16:
    return halfToFloat(load<uint16_t>(p, i));
  case GCOMP_DTYPE_BFLOAT16:
    return bfloat16ToFloat(load<uint16_t>(p, i));
  case GCOMP_DTYPE_INT8:
    return load<int8_t>(p, i);
  case GCOMP_DTYPE_UINT8:
    return load<uint8_t>(p, i);
  case GCOMP_DTYPE_INT16:
    return load<int16_t>(p, i);
  case GCOMP_DTYPE_UINT16:
    return load<uint16_t>(p, i);
  case GCOMP_DTYPE_INT32:
    return load<int32_t>(p, i);
  case GCOMP_DTYPE_UINT32:
    return load<uint32_t>(p, i);
  case GCOMP_DTYPE_INT64:
    return static_cast<double>(load<int64_t>(p, i));
  case GCOMP_DTYPE_UINT64:
    return static_cast<double>(load<uint64_t>(p, i));
  case GCOMP_DTYPE_BOOL:
    return load<uint8_t>(p, i) != 0;
  default:
    return 0;
  }
}

bool isUnsigned(int32_t dtype) {
  return dtype == GCOMP_DTYPE_UINT8 || dtype == GCOMP_DTYPE_UINT16 ||
         dtype == GCOMP_DTYPE_UINT32 || dtype == GCOMP_DTYPE_UINT64;
}

/// |a[i] - b[i]| for two arrays of one integer type, computed exactly
/// before the rounding to double (64-bit values differ by less than a
/// double can tell apart).
double intAbsDiff(const uint8_t *a, const uint8_t *b, int32_t dtype, size_t i) {
  size_t size = gcomp::npy::elemSize(static_cast<ElemType>(dtype));
  if (dtype == GCOMP_DTYPE_BOOL)
    return (a[i] != 0) != (b[i] != 0);
  if (isUnsigned(dtype)) {
    uint64_t x = 0, y = 0;
    std::memcpy(&x, a + i * size, size); // little-endian low bytes
    std::memcpy(&y, b + i * size, size);
    return static_cast<double>(x > y ? x - y : y - x);
  }
  int64_t x = dtype == GCOMP_DTYPE_INT64
                  ? load<int64_t>(a, i)
                  : static_cast<int64_t>(loadDouble(a, dtype, i));
  int64_t y = dtype == GCOMP_DTYPE_INT64
                  ? load<int64_t>(b, i)
                  : static_cast<int64_t>(loadDouble(b, dtype, i));
  uint64_t d = x > y ? static_cast<uint64_t>(x) - static_cast<uint64_t>(y)
                     : static_cast<uint64_t>(y) - static_cast<uint64_t>(x);
  return static_cast<double>(d);
}

/// Element i, printed exactly enough to tell values apart.
std::string formatValue(const uint8_t *p, int32_t dtype, size_t i,
                        bool precise) {
  char buf[64];
  switch (dtype) {
  case GCOMP_DTYPE_FLOAT64:
    std::snprintf(buf, sizeof buf, precise ? "%.17g" : "%.6g",
                  load<double>(p, i));
    break;
  case GCOMP_DTYPE_FLOAT32:
  case GCOMP_DTYPE_FLOAT16:
  case GCOMP_DTYPE_BFLOAT16:
    std::snprintf(buf, sizeof buf, precise ? "%.9g" : "%.6g",
                  loadDouble(p, dtype, i));
    break;
  case GCOMP_DTYPE_INT64:
    std::snprintf(buf, sizeof buf, "%" PRId64, load<int64_t>(p, i));
    break;
  case GCOMP_DTYPE_UINT64:
    std::snprintf(buf, sizeof buf, "%" PRIu64, load<uint64_t>(p, i));
    break;
  case GCOMP_DTYPE_BOOL:
    return load<uint8_t>(p, i) ? "true" : "false";
  default:
    std::snprintf(buf, sizeof buf, "%.0f", loadDouble(p, dtype, i));
    break;
  }
  return buf;
}

//===----------------------------------------------------------------------===//
// Buffers and tensors.
//===----------------------------------------------------------------------===//

/// A 64-byte aligned heap buffer: the alignment compiled code would choose.
class AlignedBuffer {
public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t size) : size_(size) {
    size_t rounded = (std::max<size_t>(size, 1) + 63) / 64 * 64;
    data_.reset(static_cast<uint8_t *>(std::aligned_alloc(64, rounded)));
    if (!data_)
      fatal("out of memory allocating " + std::to_string(size) + " bytes");
    std::memset(data_.get(), 0, rounded);
  }
  uint8_t *data() const { return data_.get(); }
  size_t size() const { return size_; }

private:
  struct Free {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

struct Tensor {
  std::string name;
  int32_t dtype = GCOMP_DTYPE_UNDEFINED;
  std::vector<int64_t> dims;
  AlignedBuffer buffer;

  size_t numElements() const {
    size_t n = 1;
    for (int64_t d : dims)
      n *= static_cast<size_t>(d);
    return n;
  }
  gcomp_tensor view() {
    return {buffer.data(), buffer.size(), dtype,
            static_cast<int32_t>(dims.size()), dims.data()};
  }
};

struct TensorInfo {
  std::string name;
  int32_t dtype;
  std::vector<int64_t> dims; // -1: dynamic

  bool isStatic() const {
    return std::all_of(dims.begin(), dims.end(),
                       [](int64_t d) { return d >= 0; });
  }
};

size_t byteSize(int32_t dtype, const std::vector<int64_t> &dims) {
  size_t n = gcomp::npy::elemSize(static_cast<ElemType>(dtype));
  for (int64_t d : dims)
    if (__builtin_mul_overflow(n, static_cast<size_t>(d), &n))
      fatal("shape " + formatShape(dims) + " is too large");
  return n;
}

//===----------------------------------------------------------------------===//
// The model library.
//===----------------------------------------------------------------------===//

/// runtime.h's functions, resolved from one model.so.
struct ModelLibrary {
#define GCOMP_API_FUNCTIONS(X)                                                 \
  X(gcomp_version)                                                             \
  X(gcomp_abi_version)                                                         \
  X(gcomp_last_error)                                                          \
  X(gcomp_model_create)                                                        \
  X(gcomp_model_destroy)                                                       \
  X(gcomp_model_num_inputs)                                                    \
  X(gcomp_model_num_outputs)                                                   \
  X(gcomp_model_input_info)                                                    \
  X(gcomp_model_output_info)                                                   \
  X(gcomp_model_signature_json)                                                \
  X(gcomp_model_run)                                                           \
  X(gcomp_model_run_alloc)                                                     \
  X(gcomp_model_last_error)
// Resolved when present: a model.so whose runtime predates profiling
// lacks them, and then counts as not compiled with --profile.
#define GCOMP_PROFILE_FUNCTIONS(X)                                             \
  X(gcomp_model_profile_num_kernels)                                           \
  X(gcomp_model_profile_kernel)                                                \
  X(gcomp_model_profile_reset)                                                 \
  X(gcomp_model_profile_write_trace)
#define DECLARE(fn) decltype(&::fn) fn = nullptr;
  GCOMP_API_FUNCTIONS(DECLARE)
  GCOMP_PROFILE_FUNCTIONS(DECLARE)
#undef DECLARE

  bool hasProfileFunctions() const {
    return gcomp_model_profile_num_kernels && gcomp_model_profile_kernel &&
           gcomp_model_profile_reset && gcomp_model_profile_write_trace;
  }

  void load(std::string path, const std::string &prefix) {
    // A name without a slash would make dlopen search the library path.
    if (path.find('/') == std::string::npos)
      path = "./" + path;
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      fatal(std::string("cannot load model: ") + dlerror());
      // The handle is never closed: the process ends when the tool does.
#define RESOLVE(fn)                                                            \
  fn = reinterpret_cast<decltype(fn)>(dlsym(handle, (prefix + #fn).c_str()));  \
  if (!fn)                                                                     \
    fatal("'" + path + "' is not a gcomp model: it does not export " +         \
          prefix + #fn);
    GCOMP_API_FUNCTIONS(RESOLVE)
#undef RESOLVE
#undef GCOMP_API_FUNCTIONS
#define RESOLVE_OPTIONAL(fn)                                                   \
  fn = reinterpret_cast<decltype(fn)>(dlsym(handle, (prefix + #fn).c_str()));
    GCOMP_PROFILE_FUNCTIONS(RESOLVE_OPTIONAL)
#undef RESOLVE_OPTIONAL
#undef GCOMP_PROFILE_FUNCTIONS
    if (gcomp_abi_version() != GCOMP_RUNTIME_ABI_VERSION)
      fatal("'" + path + "' has runtime ABI version " +
            std::to_string(gcomp_abi_version()) + "; this gcomp-run expects " +
            std::to_string(GCOMP_RUNTIME_ABI_VERSION));
  }
};

std::vector<TensorInfo> queryInfos(const ModelLibrary &lib, gcomp_model *model,
                                   bool outputs) {
  size_t n = outputs ? lib.gcomp_model_num_outputs(model)
                     : lib.gcomp_model_num_inputs(model);
  std::vector<TensorInfo> infos;
  for (size_t i = 0; i < n; ++i) {
    gcomp_tensor_info info;
    gcomp_status st = outputs ? lib.gcomp_model_output_info(model, i, &info)
                              : lib.gcomp_model_input_info(model, i, &info);
    if (st != GCOMP_OK)
      fatal(lib.gcomp_model_last_error(model));
    infos.push_back({info.name, info.dtype,
                     std::vector<int64_t>(info.dims, info.dims + info.rank)});
  }
  return infos;
}

std::string listNames(const std::vector<TensorInfo> &infos) {
  if (infos.empty())
    return "none";
  std::string s;
  for (const TensorInfo &info : infos)
    s += (s.empty() ? "" : ", ") + info.name;
  return s;
}

/// Splits "NAME=FILE" for one of `infos`. Names may contain '=' (the split
/// that yields a known name wins), and with a single tensor "FILE" alone is
/// enough.
std::pair<size_t, std::string>
parseBinding(const std::string &spec, const std::vector<TensorInfo> &infos,
             const char *option, const char *kind) {
  for (size_t eq = spec.find('='); eq != std::string::npos;
       eq = spec.find('=', eq + 1)) {
    std::string name = spec.substr(0, eq);
    for (size_t i = 0; i < infos.size(); ++i)
      if (infos[i].name == name)
        return {i, spec.substr(eq + 1)};
  }
  size_t eq = spec.find('=');
  if (eq == std::string::npos) {
    if (infos.size() == 1)
      return {0, spec};
    fatal(std::string(option) + " " + quote(spec) + ": expected NAME=FILE.npy");
  }
  fatal(std::string(option) + " " + quote(spec) + ": the model has no " + kind +
        " named " + quote(spec.substr(0, eq)) + " (" + kind +
        "s: " + listNames(infos) + ")");
}

//===----------------------------------------------------------------------===//
// Inputs.
//===----------------------------------------------------------------------===//

Tensor loadInput(const TensorInfo &info, const std::string &path) {
  std::string what = "input " + quote(info.name) + " (" + path + "): ";
  gcomp::npy::Array array;
  std::string error;
  if (!gcomp::npy::read(path, array, error))
    fatal(what + error);
  int32_t fileType = static_cast<int32_t>(array.type);
  if (fileType != info.dtype)
    fatal(what + "expected " + dtypeName(info.dtype) + ", the file has " +
          dtypeName(fileType) + " ('" + gcomp::npy::descrOf(array.type) + "')");
  bool shapeOk = array.shape.size() == info.dims.size();
  for (size_t i = 0; shapeOk && i < array.shape.size(); ++i)
    shapeOk = info.dims[i] < 0 || info.dims[i] == array.shape[i];
  if (!shapeOk)
    fatal(what + "expected shape " + formatShape(info.dims) +
          ", the file has shape " + formatShape(array.shape));

  Tensor t{info.name, info.dtype, array.shape,
           AlignedBuffer(array.data.size())};
  if (!array.data.empty())
    std::memcpy(t.buffer.data(), array.data.data(), array.data.size());
  return t;
}

/// Floats uniform in [-1, 1), integers in [0, 10), random bools. Uses only
/// mt19937_64's raw output, whose sequence the standard fixes, so the values
/// are the same with every standard library.
Tensor randomInput(const TensorInfo &info, uint64_t seed, size_t index) {
  if (!info.isStatic())
    fatal("input " + quote(info.name) + " has dynamic shape " +
          formatShape(info.dims) + "; give it with --input " + info.name +
          "=FILE.npy, or its dims with --shape " + info.name + "=DIMS");
  Tensor t{info.name, info.dtype, info.dims,
           AlignedBuffer(byteSize(info.dtype, info.dims))};
  std::mt19937_64 rng(seed + 0x9E3779B97F4A7C15ull * (index + 1));
  uint8_t *p = t.buffer.data();
  size_t n = t.numElements();
  // k / 2^bits - 1 with k < 2^(bits+1) is exact in a type with a
  // (bits+1)-bit significand, so no value rounds up to 1.
  auto uniform = [&](int bits) {
    uint64_t k = rng() >> (64 - (bits + 1));
    return std::ldexp(static_cast<double>(k), -bits) - 1.0;
  };
  for (size_t i = 0; i < n; ++i) {
    switch (info.dtype) {
    case GCOMP_DTYPE_FLOAT32: {
      float v = static_cast<float>(uniform(23));
      std::memcpy(p + 4 * i, &v, 4);
      break;
    }
    case GCOMP_DTYPE_FLOAT64: {
      double v = uniform(52);
      std::memcpy(p + 8 * i, &v, 8);
      break;
    }
    case GCOMP_DTYPE_FLOAT16: {
      uint16_t v = floatToHalf(static_cast<float>(uniform(10)));
      std::memcpy(p + 2 * i, &v, 2);
      break;
    }
    case GCOMP_DTYPE_BFLOAT16: {
      uint16_t v = floatToBfloat16(static_cast<float>(uniform(7)));
      std::memcpy(p + 2 * i, &v, 2);
      break;
    }
    case GCOMP_DTYPE_BOOL:
      p[i] = rng() >> 63;
      break;
    default: {
      // Every integer type holds 0..9; store the low bytes (little-endian).
      uint64_t v = rng() % 10;
      std::memcpy(
          p + i * gcomp::npy::elemSize(static_cast<ElemType>(info.dtype)), &v,
          gcomp::npy::elemSize(static_cast<ElemType>(info.dtype)));
      break;
    }
    }
  }
  return t;
}

//===----------------------------------------------------------------------===//
// Outputs: printing, saving, comparing.
//===----------------------------------------------------------------------===//

void printOutput(const Tensor &t, size_t maxValues) {
  size_t n = t.numElements();
  std::string line =
      t.name + ": " + dtypeName(t.dtype) + " " + formatShape(t.dims) + " = [";
  size_t shown = std::min(n, maxValues);
  for (size_t i = 0; i < shown; ++i)
    line += (i ? ", " : "") + formatValue(t.buffer.data(), t.dtype, i, false);
  if (shown < n)
    line +=
        (shown ? ", ... (" : "... (") + std::to_string(n - shown) + " more)";
  line += "]";
  std::printf("%s\n", line.c_str());
}

/// A file name for an output: characters other than [A-Za-z0-9._-] become
/// '_', and names that sanitize alike get a numeric suffix.
std::string outputFileName(const std::string &name,
                           std::set<std::string> &taken) {
  std::string base;
  for (char c : name)
    base += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
             c == '_' || c == '-')
                ? c
                : '_';
  if (base.empty())
    base = "output";
  else if (base == "." || base == "..")
    base.assign(base.size(), '_');
  std::string file = base;
  for (int i = 1; !taken.insert(file).second; ++i)
    file = base + "_" + std::to_string(i);
  return file + ".npy";
}

void saveOutput(const Tensor &t, const std::filesystem::path &path) {
  std::string error;
  bool ok;
  if (t.dtype == GCOMP_DTYPE_BFLOAT16) {
    // .npy has no bfloat16: save the (exact) float32 values.
    size_t n = t.numElements();
    std::vector<float> values(n);
    for (size_t i = 0; i < n; ++i)
      values[i] = bfloat16ToFloat(load<uint16_t>(t.buffer.data(), i));
    ok = gcomp::npy::write(path.string(), ElemType::Float32, t.dims,
                           values.data(), error);
  } else {
    ok = gcomp::npy::write(path.string(), static_cast<ElemType>(t.dtype),
                           t.dims, t.buffer.data(), error);
  }
  if (!ok)
    fatal("output " + quote(t.name) + " (" + path.string() + "): " + error);
}

std::string formatIndex(size_t flat, const std::vector<int64_t> &dims) {
  std::vector<int64_t> index(dims.size());
  for (size_t d = dims.size(); d-- > 0;) {
    index[d] = static_cast<int64_t>(flat % static_cast<size_t>(dims[d]));
    flat /= static_cast<size_t>(dims[d]);
  }
  return gcomp::npy::formatShape(index);
}

std::string formatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// Compares an output with the expected array; prints one line and returns
/// whether they match. Floats match as numpy.allclose does
/// (|got - expected| <= atol + rtol * |expected|, NaN only where NaN is
/// expected, infinities only where the same infinity is); integers and bools
/// must be equal.
bool compareOutput(const Tensor &got, const gcomp::npy::Array &expected,
                   const std::string &path, double rtol, double atol,
                   std::FILE *okStream) {
  std::string what = "output " + quote(got.name);
  int32_t expType = static_cast<int32_t>(expected.type);
  // .npy has no bfloat16, so a bfloat16 output is compared with float32.
  bool typeOk = expType == got.dtype || (got.dtype == GCOMP_DTYPE_BFLOAT16 &&
                                         expType == GCOMP_DTYPE_FLOAT32);
  if (!typeOk) {
    std::fprintf(
        stderr, "gcomp-run: mismatch: %s: got dtype %s, expected %s (%s)\n",
        what.c_str(), dtypeName(got.dtype), dtypeName(expType), path.c_str());
    return false;
  }
  if (expected.shape != got.dims) {
    std::fprintf(stderr,
                 "gcomp-run: mismatch: %s: got shape %s, expected %s (%s)\n",
                 what.c_str(), formatShape(got.dims).c_str(),
                 formatShape(expected.shape).c_str(), path.c_str());
    return false;
  }

  const uint8_t *g = got.buffer.data();
  const uint8_t *e = expected.data.data();
  size_t n = got.numElements();
  bool floating = isFloat(got.dtype);
  size_t numBad = 0, worst = 0;
  double worstExcess = -1, maxAbs = 0, maxRel = 0;
  for (size_t i = 0; i < n; ++i) {
    double gv = loadDouble(g, got.dtype, i);
    double ev = loadDouble(e, expType, i);
    bool ok;
    double excess; // how far beyond the tolerance, to pick the worst
    if (std::isnan(gv) || std::isnan(ev)) {
      ok = std::isnan(gv) && std::isnan(ev);
      excess = INFINITY;
    } else if (std::isinf(gv) || std::isinf(ev)) {
      ok = gv == ev;
      excess = INFINITY;
    } else {
      double abs =
          floating ? std::fabs(gv - ev) : intAbsDiff(g, e, got.dtype, i);
      maxAbs = std::max(maxAbs, abs);
      if (abs > 0)
        maxRel = std::max(maxRel, ev != 0 ? abs / std::fabs(ev) : INFINITY);
      if (floating) {
        double tol = atol + rtol * std::fabs(ev);
        ok = abs <= tol;
        excess = abs - tol;
      } else {
        ok = abs == 0; // exact: intAbsDiff does not round small differences
        excess = abs;
      }
    }
    if (ok)
      continue;
    if (numBad++ == 0 || excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }

  std::string errors = "max abs error " + formatDouble(maxAbs) +
                       ", max rel error " + formatDouble(maxRel);
  if (numBad == 0) {
    std::fprintf(okStream, "ok: %s (%s %s): %zu %s; %s\n", what.c_str(),
                 dtypeName(got.dtype), formatShape(got.dims).c_str(), n,
                 n == 1 ? "element matches" : "elements match", errors.c_str());
    return true;
  }
  std::string tolerance = floating ? " (rtol " + formatDouble(rtol) +
                                         ", atol " + formatDouble(atol) + ")"
                                   : " (exact)";
  std::fprintf(stderr,
               "gcomp-run: mismatch: %s: %zu of %zu elements differ%s; worst "
               "at %s: got %s, expected %s; %s\n",
               what.c_str(), numBad, n, tolerance.c_str(),
               formatIndex(worst, got.dims).c_str(),
               formatValue(g, got.dtype, worst, true).c_str(),
               formatValue(e, expType, worst, true).c_str(), errors.c_str());
  return false;
}

//===----------------------------------------------------------------------===//
// Benchmarking.
//===----------------------------------------------------------------------===//

struct BenchStats {
  double median, min, p90, mean;
};

BenchStats summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  BenchStats s;
  s.min = ms.front();
  s.median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  // Nearest rank: the smallest value with at least 90% of runs at or below.
  size_t rank = static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n)));
  s.p90 = ms[std::max<size_t>(rank, 1) - 1];
  double sum = 0;
  for (double v : ms)
    sum += v;
  s.mean = sum / static_cast<double>(n);
  return s;
}

//===----------------------------------------------------------------------===//
// Profiling.
//===----------------------------------------------------------------------===//

/// A JSON string literal.
std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
  }
  return out + "\"";
}

/// Columns a UTF-8 string takes (one per code point).
size_t displayWidth(const std::string &s) {
  size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

/// `s` cut to at most `width` columns, ending in "..." when cut, and never
/// inside a UTF-8 sequence.
std::string truncateTo(const std::string &s, size_t width) {
  if (displayWidth(s) <= width)
    return s;
  std::string out;
  size_t columns = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    bool start = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (start && columns++ == width - 3)
      break;
    out += s[i];
  }
  return out + "...";
}

std::string padRight(const std::string &s, size_t width) {
  size_t w = displayWidth(s);
  return w >= width ? s : s + std::string(width - w, ' ');
}

std::string padLeft(const std::string &s, size_t width) {
  size_t w = displayWidth(s);
  return w >= width ? s : std::string(width - w, ' ') + s;
}

std::string formatFixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

struct KernelRow {
  std::string kernel, nodes;
  uint64_t calls;
  double totalMs, meanMs, share, gflops; // share in [0, 1]; gflops < 0: unknown
};

/// The kernels' counters, sorted by total time, longest first.
std::vector<KernelRow> profileRows(const ModelLibrary &lib, gcomp_model *model,
                                   double &sumMs) {
  size_t n = lib.gcomp_model_profile_num_kernels(model);
  std::vector<KernelRow> rows;
  sumMs = 0;
  for (size_t i = 0; i < n; ++i) {
    gcomp_kernel_profile k;
    if (lib.gcomp_model_profile_kernel(model, i, &k) != GCOMP_OK)
      fatal(lib.gcomp_model_last_error(model));
    KernelRow row{k.kernel, k.nodes, k.calls, k.total_ms, 0, 0, -1};
    if (k.calls > 0)
      row.meanMs = k.total_ms / static_cast<double>(k.calls);
    if (k.flops_per_call > 0 && k.total_ms > 0)
      row.gflops =
          k.flops_per_call * static_cast<double>(k.calls) / (k.total_ms * 1e6);
    sumMs += k.total_ms;
    rows.push_back(row);
  }
  for (KernelRow &row : rows)
    row.share = sumMs > 0 ? row.totalMs / sumMs : 0;
  // Ties keep kernel order (rows are built in kernel order, so the label
  // breaks them); std::stable_sort's temporary buffer is deprecated in C++20
  // libstdc++ and trips -Werror.
  std::vector<size_t> order(rows.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (rows[a].totalMs != rows[b].totalMs)
      return rows[a].totalMs > rows[b].totalMs;
    return a < b;
  });
  std::vector<KernelRow> sorted;
  for (size_t i : order)
    sorted.push_back(rows[i]);
  rows = std::move(sorted);
  return rows;
}

void printProfileTable(const std::vector<KernelRow> &rows, double sumMs,
                       double wallMs, int runs) {
  constexpr size_t kMaxNodesWidth = 40;
  std::vector<std::vector<std::string>> cells;
  cells.push_back(
      {"kernel", "nodes", "calls", "total ms", "mean ms", "share", "GFLOP/s"});
  for (const KernelRow &row : rows)
    cells.push_back({row.kernel, truncateTo(row.nodes, kMaxNodesWidth),
                     std::to_string(row.calls), formatFixed(row.totalMs, 4),
                     formatFixed(row.meanMs, 6),
                     formatFixed(100 * row.share, 1) + "%",
                     row.gflops < 0 ? "" : formatFixed(row.gflops, 3)});
  std::vector<size_t> widths(cells[0].size(), 0);
  for (const auto &line : cells)
    for (size_t c = 0; c < line.size(); ++c)
      widths[c] = std::max(widths[c], displayWidth(line[c]));
  for (const auto &line : cells) {
    // Text columns to the left, numbers to the right.
    std::string text =
        padRight(line[0], widths[0]) + "  " + padRight(line[1], widths[1]);
    for (size_t c = 2; c < line.size(); ++c)
      text += "  " + padLeft(line[c], widths[c]);
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    std::printf("%s\n", text.c_str());
  }
  std::printf("sum of kernel time %.4f ms = %.1f%% of the %.4f ms measured "
              "(%d runs)\n",
              sumMs, wallMs > 0 ? 100 * sumMs / wallMs : 0.0, wallMs, runs);
}

std::string profileJson(const std::vector<KernelRow> &rows) {
  std::string out = "[";
  for (const KernelRow &row : rows) {
    char numbers[256];
    std::snprintf(numbers, sizeof numbers,
                  ",\"calls\":%" PRIu64 ",\"total_ms\":%.6f,\"mean_ms\":%.6f,"
                  "\"share\":%.6f,\"gflops\":",
                  row.calls, row.totalMs, row.meanMs, row.share);
    out += (out.size() > 1 ? ",{\"kernel\":" : "{\"kernel\":") +
           jsonString(row.kernel) + ",\"nodes\":" + jsonString(row.nodes) +
           numbers + (row.gflops < 0 ? "null" : formatFixed(row.gflops, 6)) +
           "}";
  }
  return out + "]";
}

//===----------------------------------------------------------------------===//
// Driver.
//===----------------------------------------------------------------------===//

struct Options {
  std::string model;
  bool printSignature = false;
  std::vector<std::string> inputs;
  std::vector<std::string> shapes; // NAME=DIMS for random inputs
  std::vector<std::string> expects;
  std::string outputDir;
  double rtol = 1e-4;
  double atol = 1e-5;
  uint64_t seed = 0;
  int bench = 0;
  int warmup = 5;
  bool json = false;
  std::string profile; // trace path; "" without --profile
  size_t maxValues = 8;
  std::string symbolPrefix;
};

int run(const Options &opts) {
  ModelLibrary lib;
  lib.load(opts.model, opts.symbolPrefix);

  gcomp_model *model = nullptr;
  if (lib.gcomp_model_create(&model) != GCOMP_OK)
    fatal(std::string("cannot create the model: ") + lib.gcomp_last_error());
  std::unique_ptr<gcomp_model, void (*)(gcomp_model *)> owner(
      model, lib.gcomp_model_destroy);

  if (opts.printSignature) {
    std::printf("%s\n", lib.gcomp_model_signature_json(model));
    return 0;
  }

  bool profiling = !opts.profile.empty();
  if (profiling) {
    // num_kernels is 0 both without profile tables and with an empty one;
    // only the former is an error.
    gcomp_kernel_profile k;
    bool compiled =
        lib.hasProfileFunctions() &&
        (lib.gcomp_model_profile_num_kernels(model) > 0 ||
         (lib.gcomp_model_profile_kernel(model, 0, &k) != GCOMP_OK &&
          !std::strstr(lib.gcomp_model_last_error(model),
                       "not compiled with gcomp --profile")));
    if (!compiled)
      fatal(opts.model + " was not compiled with gcomp --profile");
    // An unwritable path fails now rather than after the runs.
    if (lib.gcomp_model_profile_write_trace(model, opts.profile.c_str()) !=
        GCOMP_OK)
      fatal(lib.gcomp_model_last_error(model));
  }

  std::vector<TensorInfo> inputInfos = queryInfos(lib, model, false);
  std::vector<TensorInfo> outputInfos = queryInfos(lib, model, true);

  // With --json, stdout carries the JSON object alone.
  std::FILE *info = opts.json ? stderr : stdout;

  // Inputs: from files where given, random otherwise.
  std::map<size_t, std::string> inputFiles;
  for (const std::string &spec : opts.inputs) {
    auto [index, path] = parseBinding(spec, inputInfos, "--input", "input");
    if (!inputFiles.emplace(index, path).second)
      fatal("input " + quote(inputInfos[index].name) + " is given twice");
  }
  // --shape gives a random input's dims where the model leaves them
  // open (a library of variants, gcomp --specialize).
  std::vector<TensorInfo> randomInfos = inputInfos;
  for (const std::string &spec : opts.shapes) {
    auto [index, dimsText] = parseBinding(spec, inputInfos, "--shape", "input");
    TensorInfo &info = randomInfos[index];
    std::vector<int64_t> dims;
    std::string text = dimsText, token;
    std::replace(text.begin(), text.end(), ',', 'x');
    for (size_t start = 0; start <= text.size();) {
      size_t end = text.find('x', start);
      token = text.substr(start, end == std::string::npos ? end : end - start);
      char *stop = nullptr;
      long long v = std::strtoll(token.c_str(), &stop, 10);
      if (token.empty() || *stop != '\0' || v < 0)
        fatal("--shape " + quote(spec) + ": bad dim " + quote(token));
      dims.push_back(v);
      if (end == std::string::npos)
        break;
      start = end + 1;
    }
    if (dims.size() != info.dims.size())
      fatal("--shape " + quote(spec) + ": input " + quote(info.name) +
            " has rank " + std::to_string(info.dims.size()) + " " +
            formatShape(info.dims));
    for (size_t d = 0; d < dims.size(); ++d)
      if (info.dims[d] >= 0 && info.dims[d] != dims[d])
        fatal("--shape " + quote(spec) + ": dim " + std::to_string(d) +
              " of input " + quote(info.name) + " is " +
              std::to_string(info.dims[d]));
    info.dims = dims;
  }
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < inputInfos.size(); ++i) {
    auto it = inputFiles.find(i);
    inputs.push_back(it != inputFiles.end()
                         ? loadInput(inputInfos[i], it->second)
                         : randomInput(randomInfos[i], opts.seed, i));
  }

  std::map<size_t, std::string> expectFiles;
  for (const std::string &spec : opts.expects) {
    auto [index, path] = parseBinding(spec, outputInfos, "--expect", "output");
    if (!expectFiles.emplace(index, path).second)
      fatal("output " + quote(outputInfos[index].name) + " is expected twice");
  }
  // Read the expected arrays before running, so that a bad file is an
  // error before any time is spent.
  std::map<size_t, gcomp::npy::Array> expected;
  for (const auto &[index, path] : expectFiles) {
    std::string error;
    if (!gcomp::npy::read(path, expected[index], error))
      fatal("output " + quote(outputInfos[index].name) + " (" + path +
            "): " + error);
  }

  std::vector<gcomp_tensor> inViews, outViews;
  for (Tensor &t : inputs)
    inViews.push_back(t.view());

  // Outputs: their shapes are the signature's, or, where it has -1 (a
  // library of variants, gcomp --specialize), what a first run with
  // buffers of the model's own says for these inputs.
  std::vector<Tensor> outputs;
  bool dynamicOutputs =
      std::any_of(outputInfos.begin(), outputInfos.end(),
                  [](const TensorInfo &oi) { return !oi.isStatic(); });
  const gcomp_tensor *owned = nullptr;
  size_t numOwned = 0;
  if (dynamicOutputs &&
      lib.gcomp_model_run_alloc(model, inViews.data(), inViews.size(), &owned,
                                &numOwned) != GCOMP_OK)
    fatal(std::string("run failed: ") + lib.gcomp_model_last_error(model));
  for (size_t i = 0; i < outputInfos.size(); ++i) {
    const TensorInfo &oi = outputInfos[i];
    std::vector<int64_t> dims = oi.dims;
    if (dynamicOutputs)
      dims.assign(owned[i].dims, owned[i].dims + owned[i].rank);
    outputs.push_back(
        {oi.name, oi.dtype, dims, AlignedBuffer(byteSize(oi.dtype, dims))});
  }
  for (Tensor &t : outputs)
    outViews.push_back(t.view());
  auto runOnce = [&] {
    if (lib.gcomp_model_run(model, inViews.data(), inViews.size(),
                            outViews.data(), outViews.size()) != GCOMP_OK)
      fatal(std::string("run failed: ") + lib.gcomp_model_last_error(model));
  };
  runOnce();

  if (!opts.outputDir.empty()) {
    std::filesystem::path dir(opts.outputDir);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      fatal("cannot create '" + opts.outputDir + "': " + ec.message());
    std::set<std::string> taken;
    for (const Tensor &t : outputs) {
      std::filesystem::path path = dir / outputFileName(t.name, taken);
      saveOutput(t, path);
      std::fprintf(info, "wrote %s\n", path.c_str());
    }
  }

  bool allMatch = true;
  for (const auto &[index, array] : expected)
    allMatch &= compareOutput(outputs[index], array, expectFiles[index],
                              opts.rtol, opts.atol, info);

  if (expected.empty() && opts.bench == 0)
    for (const Tensor &t : outputs)
      printOutput(t, opts.maxValues);

  if (opts.bench > 0) {
    for (int i = 0; i < opts.warmup; ++i)
      runOnce();
    if (profiling)
      lib.gcomp_model_profile_reset(model);
    std::vector<double> ms;
    ms.reserve(static_cast<size_t>(opts.bench));
    for (int i = 0; i < opts.bench; ++i) {
      auto start = std::chrono::steady_clock::now();
      runOnce();
      auto end = std::chrono::steady_clock::now();
      ms.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
    BenchStats s = summarize(ms);
    double wallMs = 0, kernelMs = 0;
    for (double v : ms)
      wallMs += v;
    std::vector<KernelRow> rows;
    if (profiling) {
      rows = profileRows(lib, model, kernelMs);
      if (lib.gcomp_model_profile_write_trace(model, opts.profile.c_str()) !=
          GCOMP_OK)
        fatal(lib.gcomp_model_last_error(model));
    }
    if (opts.json) {
      std::printf("{\"median_ms\":%.6f,\"min_ms\":%.6f,\"p90_ms\":%.6f,"
                  "\"mean_ms\":%.6f,\"runs\":%d",
                  s.median, s.min, s.p90, s.mean, opts.bench);
      if (profiling)
        std::printf(",\"warmup\":%d,\"wall_ms\":%.6f,\"kernel_ms\":%.6f,"
                    "\"trace\":%s,\"kernels\":%s",
                    opts.warmup, wallMs, kernelMs,
                    jsonString(opts.profile).c_str(),
                    profileJson(rows).c_str());
      std::printf("}\n");
    } else {
      std::printf("%d runs (%d warmup): median %.6f ms, min %.6f ms, p90 "
                  "%.6f ms, mean %.6f ms\n",
                  opts.bench, opts.warmup, s.median, s.min, s.p90, s.mean);
      if (profiling)
        printProfileTable(rows, kernelMs, wallMs, opts.bench);
    }
    if (profiling) {
      std::fprintf(info, "wrote %s\n", opts.profile.c_str());
      // The runtime keeps at most kTraceCapacity events (runtime.h).
      constexpr uint64_t kTraceCapacity = 1 << 20;
      uint64_t events = static_cast<uint64_t>(opts.bench);
      for (const KernelRow &row : rows)
        events += row.calls;
      if (events > kTraceCapacity)
        std::fprintf(stderr,
                     "gcomp-run: warning: the trace holds the first %" PRIu64
                     " of %" PRIu64 " events (runs and kernel calls); the "
                     "table counts them all\n",
                     kTraceCapacity, events);
    }
  }

  return allMatch ? 0 : kExitMismatch;
}

} // namespace

int main(int argc, char **argv) {
  Options opts;
  CLI::App app("Runs a model compiled by gcomp (a model.so) through its C "
               "API.\n\nExit status: 0 success, 1 an output differs from "
               "--expect, 2 error.",
               "gcomp-run");
  app.set_version_flag("--version",
                       std::string("gcomp-run ") + GCOMP_VERSION_STRING);
  app.add_option("model", opts.model, "The compiled model (model.so)")
      ->required()
      ->type_name("MODEL.so");
  app.add_flag("--signature,--print-signature", opts.printSignature,
               "Print the model's signature as JSON and exit");
  app.add_option("-i,--input", opts.inputs,
                 "Read input NAME from a .npy file (repeatable; inputs not "
                 "given are random; NAME= may be left out for a model with "
                 "one input)")
      ->type_name("NAME=FILE.npy")
      ->allow_extra_args(false);
  app.add_option("-o,--output-dir", opts.outputDir,
                 "Write each output to DIR/<name>.npy (characters other than "
                 "[A-Za-z0-9._-] in names become '_'; bfloat16 is saved as "
                 "float32)")
      ->type_name("DIR");
  app.add_option("-e,--expect", opts.expects,
                 "Compare output NAME with a .npy file; exit 1 on mismatch "
                 "(repeatable)")
      ->type_name("NAME=FILE.npy")
      ->allow_extra_args(false);
  app.add_option("--rtol", opts.rtol,
                 "Relative tolerance for --expect on floats")
      ->capture_default_str();
  app.add_option("--atol", opts.atol,
                 "Absolute tolerance for --expect on floats")
      ->capture_default_str();
  app.add_option("--shape", opts.shapes,
                 "The dims of a random input where the model leaves them "
                 "open, e.g. ids=1x128 (repeatable)")
      ->type_name("NAME=DIMS")
      ->allow_extra_args(false);
  app.add_option("--seed", opts.seed, "Seed for the random inputs")
      ->capture_default_str();
  auto *bench = app.add_option("--bench", opts.bench,
                               "Time N runs and print median/min/p90/mean ms "
                               "(10 with --profile alone)")
                    ->type_name("N");
  auto *warmup = app.add_option("--warmup", opts.warmup,
                                "Untimed runs before --bench's timed runs "
                                "(default 5; 1 with --profile alone)")
                     ->type_name("N");
  auto *profile =
      app.add_option("--profile", opts.profile,
                     "For a model compiled with gcomp --profile: time each "
                     "kernel over the --bench runs (after the warm-up), print "
                     "a table sorted by total time, and write a Chrome "
                     "trace (Perfetto, chrome://tracing) to TRACE.json")
          ->type_name("TRACE.json");
  auto *json = app.add_flag("--json", opts.json,
                            "With --bench or --profile, print only a JSON "
                            "object on stdout (with --profile, \"kernels\": "
                            "one object per kernel; \"share\" is a fraction "
                            "of the summed kernel time, \"gflops\" null when "
                            "unknown)");
  app.add_option("--max-values", opts.maxValues,
                 "How many values of each output to print")
      ->capture_default_str()
      ->type_name("N");
  app.add_option("--symbol-prefix", opts.symbolPrefix,
                 "Prefix of the API symbols, for a model built with "
                 "gcomp --symbol-prefix")
      ->type_name("PREFIX");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
      return app.exit(e); // --help, --version
    fatal(e.what());
  }
  // Checked here rather than with CLI11 validators, whose messages print
  // the full range of a double.
  if (!(opts.rtol >= 0) || !std::isfinite(opts.rtol))
    fatal("--rtol must be a non-negative number");
  if (!(opts.atol >= 0) || !std::isfinite(opts.atol))
    fatal("--atol must be a non-negative number");
  if (bench->count() > 0 && opts.bench < 1)
    fatal("--bench must be at least 1");
  if (opts.warmup < 0)
    fatal("--warmup must be non-negative");
  if (json->count() > 0 && bench->count() == 0 && profile->count() == 0)
    fatal("--json requires --bench or --profile");
  if (profile->count() > 0) {
    if (opts.profile.empty())
      fatal("--profile needs a file name");
    if (bench->count() == 0) {
      opts.bench = 10;
      if (warmup->count() == 0)
        opts.warmup = 1;
    }
  }

  try {
    return run(opts);
  } catch (const std::exception &e) {
    fatal(e.what());
  }
}
