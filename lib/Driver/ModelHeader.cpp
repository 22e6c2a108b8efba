//===- ModelHeader.cpp - the header written by --emit-header --------------===//
//
// The output must be byte-identical for the same model and flags (it goes
// into build trees that are compared and cached), so it names no path, time
// or host: only the header's file name, the model's signature and gcomp's
// version.
//
//===----------------------------------------------------------------------===//

#include "ModelHeader.h"

#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "gcomp/Dialect/Gcomp/Transforms/ModelAbi.h"
#include "gcomp/runtime.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include "RuntimeHeader.inc"

using namespace mlir;
using namespace llvm;

/// A C identifier made from `s`, upper- or lower-case.
static std::string identifier(StringRef s, bool upper) {
  std::string out;
  for (char c : s)
    out.push_back(isAlnum(c) ? (upper ? toUpper(c) : toLower(c)) : '_');
  if (out.empty() || isDigit(out[0]))
    out.insert(0, upper ? "M_" : "m_");
  return out;
}

/// The C type of a gcomp_dtype's elements, or "" when C has none that fits
/// (float16 and bfloat16 travel as their bits).
static StringRef cElementType(int64_t dtype) {
  switch (dtype) {
  case GCOMP_DTYPE_FLOAT32:
    return "float";
  case GCOMP_DTYPE_FLOAT64:
    return "double";
  case GCOMP_DTYPE_INT8:
    return "int8_t";
  case GCOMP_DTYPE_UINT8:
    return "uint8_t";
  case GCOMP_DTYPE_INT16:
    return "int16_t";
  case GCOMP_DTYPE_UINT16:
  case GCOMP_DTYPE_FLOAT16:
  case GCOMP_DTYPE_BFLOAT16:
    return "uint16_t";
  case GCOMP_DTYPE_INT32:
    return "int32_t";
  case GCOMP_DTYPE_UINT32:
    return "uint32_t";
  case GCOMP_DTYPE_INT64:
    return "int64_t";
  case GCOMP_DTYPE_UINT64:
    return "uint64_t";
  case GCOMP_DTYPE_BOOL:
    return "bool";
  default:
    return "";
  }
}

/// The API declarations of runtime.h with every function renamed
/// prefix + name, as the model built with --symbol-prefix exports them.
static std::string prefixedDeclarations(StringRef prefix) {
  std::string out;
  Regex function("(gcomp_[a-z_0-9]+)\\(");
  StringRef rest(kRuntimeHeader);
  while (true) {
    size_t start = rest.find("GCOMP_API ");
    // Skip the #define of GCOMP_API itself.
    while (start != StringRef::npos && start > 0 && rest[start - 1] != '\n')
      start = rest.find("GCOMP_API ", start + 1);
    if (start == StringRef::npos)
      break;
    size_t end = rest.find(';', start);
    if (end == StringRef::npos)
      break;
    std::string decl = rest.slice(start, end + 1).str();
    out += function.sub((prefix + "\\1(").str(), decl) + "\n";
    rest = rest.drop_front(end + 1);
  }
  return out;
}

namespace {
/// One input or output as the header describes it.
struct Port {
  std::string name, param, macro, cType;
  int64_t dtype = 0, count = 1, rank = 0;
  std::vector<int64_t> dims;
  bool dynamic = false;
  std::string typeText;
};
} // namespace

std::string gcomp::renderModelHeader(func::FuncOp entry,
                                     StringRef headerFileName,
                                     StringRef symbolPrefix) {
  StringRef stem = sys::path::stem(headerFileName);
  std::string macro = identifier(stem, /*upper=*/true);
  std::string ns = identifier(stem, /*upper=*/false);
  std::string api = symbolPrefix.str() + "gcomp_";

  // The model's ports, with C parameter names that are unique identifiers.
  FunctionType type = entry.getFunctionType();
  std::vector<Port> inputs, outputs;
  llvm::StringSet<> used = {"model", "inputs", "outputs", "this", "int", "float",
                      "double", "char", "bool", "class", "struct",
                      "default", "delete", "new", "operator", "register",
                      "return", "template", "typename", "union", "void"};
  auto describe = [&](StringRef kind, unsigned index, Type t,
                      DictionaryAttr attrs) {
    auto tensor = cast<RankedTensorType>(t);
    auto name = attrs ? attrs.getAs<StringAttr>(kNameAttr) : StringAttr();
    Port p;
    p.name = name ? name.getValue().str() : "";
    p.macro = macro + "_" + kind.str() + "_" + std::to_string(index);
    p.param = identifier(p.name.empty() ? kind.lower() : p.name, false);
    if (!used.insert(p.param).second)
      p.param += "_" + kind.lower() + std::to_string(index);
    used.insert(p.param);
    p.dtype = elementTypeCode(tensor.getElementType(), attrs).value_or(0);
    p.cType = cElementType(p.dtype).str();
    p.rank = tensor.getRank();
    // A size that depends on the data is -1 in the signature, as a
    // dynamic one is.
    auto varying =
        attrs ? attrs.getAs<DenseI64ArrayAttr>(kDataDependentDimsAttr) : nullptr;
    for (auto [i, d] : llvm::enumerate(tensor.getShape())) {
      bool dynamic = ShapedType::isDynamic(d) ||
                     (varying && llvm::is_contained(varying.asArrayRef(),
                                                    static_cast<int64_t>(i)));
      p.dims.push_back(dynamic ? -1 : d);
      p.dynamic |= dynamic;
      p.count *= dynamic ? 1 : d;
    }
    raw_string_ostream ts(p.typeText);
    ts << t;
    return p;
  };
  for (unsigned i = 0; i < type.getNumInputs(); ++i)
    inputs.push_back(
        describe("INPUT", i, type.getInput(i), entry.getArgAttrDict(i)));
  // The results after the outputs are the actual dims of data-dependent
  // ones, which the runtime reads.
  for (unsigned i = 0; i < type.getNumResults(); ++i)
    if (!entry.getResultAttr(i, kDimsOfAttr))
      outputs.push_back(
        describe("OUTPUT", i, type.getResult(i), entry.getResultAttrDict(i)));

  std::string text;
  raw_string_ostream os(text);
  os << "/* Generated by gcomp " << kGcompVersion << ": the API of the model "
     << "library " << stem << " and its signature. */\n"
     << "#ifndef " << macro << "_H\n#define " << macro << "_H\n\n"
     << kRuntimeHeader << "\n";
  if (!symbolPrefix.empty()) {
    os << "/* This model was compiled with --symbol-prefix " << symbolPrefix
       << ": it exports the functions above\n * under these names. */\n"
       << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
       << prefixedDeclarations(symbolPrefix)
       << "#ifdef __cplusplus\n}\n#endif\n\n";
  }

  // The signature as C constants.
  os << "#define " << macro << "_NUM_INPUTS " << inputs.size() << "\n";
  os << "#define " << macro << "_NUM_OUTPUTS " << outputs.size() << "\n\n";
  for (const std::vector<Port> *ports : {&inputs, &outputs})
    for (auto [i, p] : llvm::enumerate(*ports)) {
      os << "/* " << (ports == &inputs ? "input " : "output ") << i << ": '"
         << p.name << "' " << p.typeText << " */\n";
      os << "#define " << p.macro << "_NAME \"" << p.name << "\"\n";
      os << "#define " << p.macro << "_DTYPE " << p.dtype << "\n";
      os << "#define " << p.macro << "_RANK " << p.rank << "\n";
      os << "#define " << p.macro << "_DIMS {";
      for (auto [j, d] : llvm::enumerate(p.dims))
        os << (j ? ", " : "") << d;
      os << "}\n";
      if (!p.dynamic)
        os << "#define " << p.macro << "_NUM_ELEMENTS " << p.count << "\n";
      os << "\n";
    }

  // The C++ wrapper.
  bool typed = llvm::all_of(inputs, [](const Port &p) {
                 return !p.dynamic && !p.cType.empty();
               }) &&
               llvm::all_of(outputs, [](const Port &p) {
                 return !p.dynamic && !p.cType.empty();
               });
  os << "#ifdef __cplusplus\n"
     << "#include <cstddef>\n#include <cstdint>\n#include <string>\n"
     << "#include <utility>\n"
     << "#if __cplusplus >= 202002L\n#include <span>\n#endif\n"
     << "#if defined(__cpp_exceptions) && !defined(GCOMP_NO_EXCEPTIONS)\n"
     << "#include <stdexcept>\n#endif\n\n"
     << "namespace " << ns << " {\n\n"
     << "/* One instance of the model: created by the constructor (which "
        "throws\n * std::runtime_error on failure, or, built without "
        "exceptions or with\n * GCOMP_NO_EXCEPTIONS, leaves the object false "
        "with last_error() set),\n * destroyed with the object. Movable, not "
        "copyable. One instance runs on\n * one thread at a time; create one "
        "per thread to run in parallel. */\n"
     << "class Model {\npublic:\n"
     << "  static constexpr std::size_t num_inputs = " << inputs.size()
     << ", num_outputs = " << outputs.size() << ";\n\n"
     << "  Model() {\n"
     << "    if (" << api << "model_create(&model_) != GCOMP_OK) {\n"
     << "      model_ = nullptr;\n"
     << "      error_ = " << api << "last_error();\n"
     << "#if defined(__cpp_exceptions) && !defined(GCOMP_NO_EXCEPTIONS)\n"
     << "      throw std::runtime_error(error_);\n#endif\n    }\n  }\n"
     << "  ~Model() { reset(); }\n"
     << "  Model(const Model &) = delete;\n"
     << "  Model &operator=(const Model &) = delete;\n"
     << "  Model(Model &&other) noexcept\n"
     << "      : model_(std::exchange(other.model_, nullptr)),\n"
     << "        error_(std::move(other.error_)) {}\n"
     << "  Model &operator=(Model &&other) noexcept {\n"
     << "    if (this != &other) {\n      reset();\n"
     << "      model_ = std::exchange(other.model_, nullptr);\n"
     << "      error_ = std::move(other.error_);\n    }\n"
     << "    return *this;\n  }\n\n"
     << "  explicit operator bool() const { return model_ != nullptr; }\n"
     << "  gcomp_model *get() const { return model_; }\n"
     << "  /* The message of the last failed call (\"\" if none). */\n"
     << "  const char *last_error() const {\n"
     << "    return model_ ? " << api
     << "model_last_error(model_) : error_.c_str();\n  }\n"
     << "  /* The signature as JSON (see gcomp_model_signature_json). */\n"
     << "  const char *signature_json() const {\n"
     << "    return model_ ? " << api
     << "model_signature_json(model_) : \"\";\n  }\n\n"
     << "  /* Runs on caller-owned tensors in the model's input and output "
        "order. */\n"
     << "  gcomp_status run(const gcomp_tensor *inputs, gcomp_tensor "
        "*outputs) {\n"
     << "    return " << api << "model_run(model_, inputs, num_inputs, "
        "outputs, num_outputs);\n  }\n";
  if (typed) {
    auto params = [&](bool span) {
      std::string out;
      raw_string_ostream ps(out);
      for (auto [i, p] : llvm::enumerate(inputs))
        ps << (i ? ", " : "")
           << (span ? "std::span<const " + p.cType + ">"
                    : "const " + p.cType + " *")
           << (span ? " " : "") << p.param;
      for (auto [i, p] : llvm::enumerate(outputs))
        ps << (i || !inputs.empty() ? ", " : "")
           << (span ? "std::span<" + p.cType + ">" : p.cType + " *")
           << (span ? " " : "") << p.param;
      return out;
    };
    auto tensors = [&](bool span) {
      std::string out;
      raw_string_ostream ts(out);
      auto one = [&](const Port &p, bool isInput) {
        ts << "        {";
        if (isInput)
          ts << "const_cast<" << p.cType << " *>(" << p.param
             << (span ? ".data()" : "") << ")";
        else
          ts << p.param << (span ? ".data()" : "");
        ts << ", "
           << (span ? p.param + ".size_bytes()"
                    : "sizeof(" + p.cType + ") * " + p.macro +
                          "_NUM_ELEMENTS")
           << ", " << p.dtype << ", " << p.rank << ", " << p.param
           << "_dims},\n";
      };
      for (const Port &p : inputs) {
        ts << "    static const int64_t " << p.param << "_dims[] = "
           << p.macro << "_DIMS;\n";
      }
      for (const Port &p : outputs)
        ts << "    static const int64_t " << p.param << "_dims[] = "
           << p.macro << "_DIMS;\n";
      ts << "    gcomp_tensor in[] = {\n";
      for (const Port &p : inputs)
        one(p, true);
      if (inputs.empty())
        ts << "        {}\n";
      ts << "    };\n    gcomp_tensor out[] = {\n";
      for (const Port &p : outputs)
        one(p, false);
      ts << "    };\n";
      return out;
    };
    os << "\n  /* Runs on dense buffers of exactly the model's shapes. */\n"
       << "  gcomp_status run(" << params(false) << ") {\n"
       << tensors(false)
       << "    return " << api
       << "model_run(model_, in, num_inputs, out, num_outputs);\n  }\n"
       << "#if __cplusplus >= 202002L\n"
       << "  /* The same with spans; a span smaller than its tensor is "
          "refused\n   * with GCOMP_ERR_BUFFER_TOO_SMALL and a message. */\n"
       << "  gcomp_status run(" << params(true) << ") {\n"
       << tensors(true)
       << "    return " << api
       << "model_run(model_, in, num_inputs, out, num_outputs);\n  }\n"
       << "#endif\n";
  }
  os << "\nprivate:\n"
     << "  void reset() {\n    if (model_)\n      " << api
     << "model_destroy(model_);\n    model_ = nullptr;\n  }\n"
     << "  gcomp_model *model_ = nullptr;\n  std::string error_;\n};\n\n"
     << "} // namespace " << ns << "\n#endif /* __cplusplus */\n\n";
  os << "#endif /* " << macro << "_H */\n";
  return text;
}
