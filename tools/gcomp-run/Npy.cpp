//===- Npy.cpp - Minimal reader and writer for NumPy .npy files -----------===//

#include "Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gcomp {
namespace npy {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct TypeDesc {
  ElemType type;
  size_t size;
  const char *name;
  const char *descr;
};

constexpr TypeDesc kTypes[] = {
    {ElemType::Float32, 4, "float32", "<f4"},
    {ElemType::UInt8, 1, "uint8", "|u1"},
    {ElemType::Int8, 1, "int8", "|i1"},
    {ElemType::UInt16, 2, "uint16", "<u2"},
    {ElemType::Int16, 2, "int16", "<i2"},
    {ElemType::Int32, 4, "int32", "<i4"},
    {ElemType::Int64, 8, "int64", "<i8"},
    {ElemType::Bool, 1, "bool", "|b1"},
    {ElemType::Float16, 2, "float16", "<f2"},
    {ElemType::Float64, 8, "float64", "<f8"},
    {ElemType::UInt32, 4, "uint32", "<u4"},
    {ElemType::UInt64, 8, "uint64", "<u8"},
    // NumPy has no bfloat16; ml_dtypes.bfloat16 arrays save as 2-byte voids.
    {ElemType::BFloat16, 2, "bfloat16", "<V2"},
};

const TypeDesc *find(ElemType type) {
  for (const TypeDesc &d : kTypes)
    if (d.type == type)
      return &d;
  return nullptr;
}

bool isLittleEndianHost() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

/// A cursor over the header's Python dict literal.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  bool parse(ElemType &type, bool &fortran, std::vector<int64_t> &shape,
             std::string &error) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return fail("header is not a dict", error);
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return fail("expected a key in the header", error);
      skipSpace();
      if (!consume(':'))
        return fail("expected ':' after '" + key + "' in the header", error);
      skipSpace();
      if (key == "descr") {
        std::string descr;
        if (peek() == '[')
          return fail("structured dtypes are not supported", error);
        if (!parseString(descr))
          return fail("'descr' is not a string", error);
        if (!parseDescr(descr, type, error))
          return false;
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (!parseBool(fortran))
          return fail("'fortran_order' is not True or False", error);
        haveFortran = true;
      } else if (key == "shape") {
        if (!parseShape(shape))
          return fail("'shape' is not a tuple of non-negative integers", error);
        haveShape = true;
      } else {
        return fail("unexpected key '" + key + "' in the header", error);
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return fail("expected ',' or '}' in the header", error);
    }
    skipSpace();
    if (pos != text.size())
      return fail("trailing characters after the header dict", error);
    if (!haveDescr || !haveFortran || !haveShape)
      return fail("the header lacks 'descr', 'fortran_order' or 'shape'",
                  error);
    return true;
  }

private:
  static bool fail(const std::string &message, std::string &error) {
    error = message;
    return false;
  }
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  bool consume(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                                 text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }
  bool consumeWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }
  bool parseString(std::string &out) {
    char quote = peek();
    if (quote != '\'' && quote != '"')
      return false;
    size_t end = text.find(quote, pos + 1);
    if (end == std::string_view::npos)
      return false;
    out = std::string(text.substr(pos + 1, end - pos - 1));
    pos = end + 1;
    return true;
  }
  bool parseBool(bool &out) {
    if (consumeWord("True"))
      out = true;
    else if (consumeWord("False"))
      out = false;
    else
      return false;
    return true;
  }
  bool parseInt(int64_t &out) {
    size_t start = pos;
    uint64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      uint64_t digit = static_cast<uint64_t>(text[pos] - '0');
      if (value > (static_cast<uint64_t>(INT64_MAX) - digit) / 10)
        return false;
      value = value * 10 + digit;
      ++pos;
    }
    if (pos == start)
      return false;
    consume('L'); // Python 2 longs: "(3L, 4L)"
    out = static_cast<int64_t>(value);
    return true;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return false;
    while (true) {
      skipSpace();
      if (consume(')'))
        return true;
      int64_t dim;
      if (!parseInt(dim))
        return false;
      shape.push_back(dim);
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      return consume(')');
    }
  }

  std::string_view text;
  size_t pos = 0;
};

/// Product of `shape` times `elemBytes`, or false on overflow.
bool byteSize(const std::vector<int64_t> &shape, size_t elemBytes,
              size_t &out) {
  size_t bytes = elemBytes;
  for (int64_t dim : shape) {
    if (dim < 0 || static_cast<uint64_t>(dim) > SIZE_MAX ||
        __builtin_mul_overflow(bytes, static_cast<size_t>(dim), &bytes))
      return false;
  }
  out = bytes;
  return true;
}

uint32_t readLE(const uint8_t *p, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

} // namespace

size_t elemSize(ElemType type) {
  const TypeDesc *d = find(type);
  return d ? d->size : 0;
}

const char *elemTypeName(ElemType type) {
  const TypeDesc *d = find(type);
  return d ? d->name : "unknown";
}

const char *descrOf(ElemType type) {
  const TypeDesc *d = find(type);
  return d ? d->descr : nullptr;
}

bool parseDescr(std::string_view descr, ElemType &type, std::string &error) {
  std::string quoted = "'" + std::string(descr) + "'";
  if (descr.size() < 3) {
    error = "unsupported dtype " + quoted;
    return false;
  }
  char order = descr[0];
  std::string_view kind = descr.substr(1);
  if (order == '>') {
    error = "big-endian data (" + quoted + ") is not supported";
    return false;
  }
  // '=' is native order: little-endian on every host this tool supports.
  if (order != '<' && order != '|' && order != '=') {
    error = "unsupported dtype " + quoted;
    return false;
  }
  for (const TypeDesc &d : kTypes) {
    if (!d.descr || std::string_view(d.descr).substr(1) != kind)
      continue;
    if (order == '|' && d.size != 1 && kind[0] != 'V') {
      error = "unsupported dtype " + quoted;
      return false;
    }
    type = d.type;
    return true;
  }
  error = "unsupported dtype " + quoted;
  return false;
}

size_t Array::numElements() const {
  size_t n = 1;
  for (int64_t dim : shape)
    n *= static_cast<size_t>(dim);
  return n;
}

bool parse(const uint8_t *bytes, size_t size, Array &out, std::string &error) {
  if (!isLittleEndianHost()) {
    error = ".npy files are only supported on little-endian hosts";
    return false;
  }
  if (size < kMagicSize + 2 || std::memcmp(bytes, kMagic, kMagicSize) != 0) {
    error = "not a .npy file (bad magic)";
    return false;
  }
  uint8_t major = bytes[6], minor = bytes[7];
  size_t lenBytes;
  if (major == 1 && minor == 0) {
    lenBytes = 2;
  } else if ((major == 2 || major == 3) && minor == 0) {
    lenBytes = 4;
  } else {
    error = "unsupported .npy version " + std::to_string(major) + "." +
            std::to_string(minor);
    return false;
  }
  size_t preamble = kMagicSize + 2 + lenBytes;
  if (size < preamble) {
    error = "truncated .npy header";
    return false;
  }
  size_t headerLen = readLE(bytes + kMagicSize + 2, lenBytes);
  if (size - preamble < headerLen) {
    error = "truncated .npy header";
    return false;
  }
  // Versions 1.0 and 2.0 are latin-1, 3.0 is UTF-8; the keys and values this
  // parser accepts are ASCII either way.
  std::string_view header(reinterpret_cast<const char *>(bytes + preamble),
                          headerLen);
  bool fortran = false;
  HeaderParser parser(header);
  if (!parser.parse(out.type, fortran, out.shape, error))
    return false;
  if (fortran) {
    // With at most one dim other than 1, both orders lay out the same.
    int nonUnit = 0;
    for (int64_t dim : out.shape)
      nonUnit += dim != 1;
    if (nonUnit > 1) {
      error = "Fortran-order arrays are not supported (save with "
              "np.ascontiguousarray)";
      return false;
    }
  }
  size_t dataBytes;
  if (!byteSize(out.shape, elemSize(out.type), dataBytes)) {
    error = "shape " + formatShape(out.shape) + " is too large";
    return false;
  }
  size_t have = size - preamble - headerLen;
  if (have != dataBytes) {
    error = "the data is " + std::to_string(have) + " bytes, but " +
            std::string(elemTypeName(out.type)) + " " + formatShape(out.shape) +
            " needs " + std::to_string(dataBytes);
    return false;
  }
  const uint8_t *data = bytes + preamble + headerLen;
  out.data.assign(data, data + dataBytes);
  return true;
}

bool read(const std::string &path, Array &out, std::string &error) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0)
    bytes.insert(bytes.end(), chunk, chunk + n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) {
    error = "read error";
    return false;
  }
  return parse(bytes.data(), bytes.size(), out, error);
}

std::vector<uint8_t> encode(ElemType type, const std::vector<int64_t> &shape,
                            const void *data) {
  std::string dict = "{'descr': '";
  dict += descrOf(type);
  dict += "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    dict += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    dict += ",";
  dict += "), }";

  // Pad with spaces and a final newline so that the data starts at a
  // multiple of 64 bytes, as NumPy does. Version 1.0 has a 2-byte header
  // length; a longer header (a very high rank) needs version 2.0.
  auto padded = [&](size_t lenBytes) {
    size_t total = kMagicSize + 2 + lenBytes + dict.size() + 1;
    return dict.size() + 1 + (64 - total % 64) % 64;
  };
  size_t lenBytes = padded(2) > 65535 ? 4 : 2;
  size_t preamble = kMagicSize + 2 + lenBytes;
  dict.append(padded(lenBytes) - dict.size() - 1, ' ');
  dict += '\n';

  size_t dataBytes = 0;
  byteSize(shape, elemSize(type), dataBytes);
  std::vector<uint8_t> out(preamble + dict.size() + dataBytes);
  uint8_t *p = out.data();
  std::memcpy(p, kMagic, kMagicSize);
  p[kMagicSize] = lenBytes == 2 ? 1 : 2; // version 1.0 or 2.0
  p[kMagicSize + 1] = 0;
  for (size_t i = 0; i < lenBytes; ++i)
    p[kMagicSize + 2 + i] = static_cast<uint8_t>(dict.size() >> (8 * i));
  std::memcpy(p + preamble, dict.data(), dict.size());
  if (dataBytes)
    std::memcpy(p + preamble + dict.size(), data, dataBytes);
  return out;
}

bool write(const std::string &path, ElemType type,
           const std::vector<int64_t> &shape, const void *data,
           std::string &error) {
  if (!descrOf(type)) {
    error =
        std::string(elemTypeName(type)) + " cannot be stored in a .npy file";
    return false;
  }
  std::vector<uint8_t> bytes = encode(type, shape, data);
  std::FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = std::string("cannot create: ") + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) {
    error = std::string("cannot write: ") + std::strerror(errno);
    return false;
  }
  return true;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace npy
} // namespace gcomp
