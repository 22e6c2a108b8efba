//===- ImportFuzzer.cpp - libFuzzer target for the ONNX importer ----------===//
//
// Feeds arbitrary bytes to the importer, as a binary ModelProto or (built
// with GCOMP_FUZZ_TEXT) as the ONNX text format, and checks that it either
// reports an error or produces IR that verifies: never a crash, a sanitizer
// report, or invalid IR. External data resolves inside a scratch folder
// that holds a few data files.
//
// The binary target is structure-aware: most mutations parse the input as
// a ModelProto and change one thing a hostile or broken exporter could
// (a dim, a data size, a name, an op type, an attribute, an opset), so the
// fuzzer gets past the protobuf parser into the importer; the rest are
// libFuzzer's byte-level mutations. docs/reliability.md says how to run it.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Import/OnnxImporter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "onnx/onnx_pb.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir;

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size,
                                   size_t maxSize);

namespace {

std::string scratchDir;

/// The scratch folder: data files external data may name.
void makeScratchFolder() {
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("gcomp-fuzz", dir)) {
    std::fprintf(stderr, "cannot create a scratch folder\n");
    std::abort();
  }
  scratchDir = std::string(dir);
  std::string bytes(4096, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(i * 37 + 11);
  for (const char *name : {"weights.bin", "model.onnx_data", "sub/w.bin"}) {
    llvm::SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    llvm::sys::fs::create_directories(llvm::sys::path::parent_path(path));
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec);
    os << bytes;
  }
}

#ifndef GCOMP_FUZZ_TEXT
//===----------------------------------------------------------------------===//
// Structure-aware mutations
//===----------------------------------------------------------------------===//

using Rng = std::minstd_rand;

template <typename T> T pick(Rng &rng, const std::vector<T> &from) {
  return from[rng() % from.size()];
}

int64_t interestingInt(Rng &rng) {
  static const std::vector<int64_t> values = {
      -1, 0, 1, 2, 3, 4, 7, 8, 16, 255, 4096, -2, INT32_MAX, INT64_MAX,
      INT64_MIN, int64_t(1) << 31, int64_t(1) << 32, int64_t(1) << 62};
  return rng() % 3 ? pick(rng, values) : int64_t(rng() % 64) - 8;
}

std::string someName(Rng &rng, const onnx::GraphProto &g) {
  std::vector<std::string> names = {"", "x", "y", "W"};
  for (const auto &in : g.input())
    names.push_back(in.name());
  for (const auto &init : g.initializer())
    names.push_back(init.name());
  for (const auto &node : g.node())
    for (const auto &out : node.output())
      names.push_back(out);
  return pick(rng, names);
}

const std::vector<std::string> &opTypes() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> result;
    llvm::SmallVector<llvm::StringRef> parts;
    static std::string all = gcomp::supportedOnnxOps();
    llvm::StringRef(all).split(parts, ", ");
    for (llvm::StringRef p : parts)
      result.push_back(p.str());
    result.push_back("NotAnOp");
    return result;
  }();
  return ops;
}

void mutateTensor(onnx::TensorProto &t, Rng &rng) {
  switch (rng() % 6) {
  case 0:
    if (t.dims_size())
      t.set_dims(rng() % t.dims_size(), interestingInt(rng));
    else
      t.add_dims(interestingInt(rng));
    break;
  case 1:
    t.set_data_type(rng() % 24);
    break;
  case 2: {
    std::string raw = t.raw_data();
    if (rng() % 2 && !raw.empty())
      raw.resize(rng() % raw.size());
    else
      raw.append(rng() % 17, static_cast<char>(rng()));
    t.set_raw_data(raw);
    break;
  }
  case 3: {
    static const std::vector<std::string> locations = {
        "weights.bin", "model.onnx_data", "sub/w.bin", "../weights.bin",
        "/etc/passwd", "sub/../weights.bin", "", "missing.bin", "sub",
        "./weights.bin", "weights.bin/"};
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    t.clear_external_data();
    auto *loc = t.add_external_data();
    loc->set_key("location");
    loc->set_value(pick(rng, locations));
    for (const char *key : {"offset", "length"})
      if (rng() % 2) {
        auto *e = t.add_external_data();
        e->set_key(key);
        e->set_value(std::to_string(rng() % 4 ? rng() % 5000
                                              : interestingInt(rng)));
      }
    break;
  }
  case 4:
    t.clear_raw_data();
    for (unsigned i = rng() % 9; i > 0; --i)
      t.add_float_data(static_cast<float>(interestingInt(rng)));
    break;
  default:
    t.clear_dims();
    for (unsigned i = rng() % 5; i > 0; --i)
      t.add_dims(rng() % 6);
    break;
  }
}

void mutateAttribute(onnx::AttributeProto &a, Rng &rng) {
  switch (rng() % 5) {
  case 0:
    a.set_i(interestingInt(rng));
    break;
  case 1:
    if (a.ints_size())
      a.set_ints(rng() % a.ints_size(), interestingInt(rng));
    else
      a.add_ints(interestingInt(rng));
    break;
  case 2:
    a.add_ints(interestingInt(rng));
    break;
  case 3:
    a.set_f(static_cast<float>(interestingInt(rng)) / 3.0f);
    break;
  default:
    a.set_type(static_cast<onnx::AttributeProto::AttributeType>(rng() % 15));
    break;
  }
}

void mutateNode(onnx::NodeProto &node, const onnx::GraphProto &g, Rng &rng) {
  static const std::vector<std::string> attrNames = {
      "axis", "axes", "perm", "keepdims", "group", "kernel_shape", "pads",
      "strides", "dilations", "to", "alpha", "beta", "transA", "transB",
      "epsilon", "mode", "value", "split", "num_outputs", "auto_pad"};
  switch (rng() % 6) {
  case 0:
    node.set_op_type(pick(rng, opTypes()));
    break;
  case 1:
    if (node.input_size())
      node.set_input(rng() % node.input_size(), someName(rng, g));
    break;
  case 2:
    if (rng() % 2 || !node.input_size())
      node.add_input(someName(rng, g));
    else
      node.mutable_input()->RemoveLast();
    break;
  case 3:
    if (node.output_size())
      node.set_output(rng() % node.output_size(), someName(rng, g));
    break;
  case 4:
    if (node.attribute_size()) {
      mutateAttribute(*node.mutable_attribute(rng() % node.attribute_size()),
                      rng);
      break;
    }
    [[fallthrough]];
  default: {
    auto *a = node.add_attribute();
    a->set_name(pick(rng, attrNames));
    a->set_type(rng() % 2 ? onnx::AttributeProto::INT
                          : onnx::AttributeProto::INTS);
    mutateAttribute(*a, rng);
    break;
  }
  }
}

void mutateValueInfo(onnx::ValueInfoProto &v, Rng &rng) {
  auto *tt = v.mutable_type()->mutable_tensor_type();
  if (rng() % 4 == 0) {
    tt->set_elem_type(rng() % 24);
    return;
  }
  auto *shape = tt->mutable_shape();
  if (shape->dim_size() == 0 || rng() % 5 == 0) {
    shape->add_dim()->set_dim_value(interestingInt(rng));
    return;
  }
  auto *dim = shape->mutable_dim(rng() % shape->dim_size());
  if (rng() % 4 == 0)
    dim->set_dim_param(rng() % 2 ? "N" : "batch");
  else
    dim->set_dim_value(interestingInt(rng));
}

void mutateGraph(onnx::GraphProto &g, Rng &rng, int depth) {
  // Now and then, one level down: an If/Loop/Scan body.
  if (depth < 3 && rng() % 4 == 0)
    for (auto &node : *g.mutable_node())
      for (auto &attr : *node.mutable_attribute())
        if (attr.has_g() && rng() % 2)
          return mutateGraph(*attr.mutable_g(), rng, depth + 1);
  switch (rng() % 7) {
  case 0:
    if (g.initializer_size()) {
      mutateTensor(*g.mutable_initializer(rng() % g.initializer_size()), rng);
      return;
    }
    break;
  case 1:
  case 2:
    if (g.node_size()) {
      mutateNode(*g.mutable_node(rng() % g.node_size()), g, rng);
      return;
    }
    break;
  case 3:
    if (g.input_size()) {
      mutateValueInfo(*g.mutable_input(rng() % g.input_size()), rng);
      return;
    }
    break;
  case 4:
    if (g.output_size()) {
      mutateValueInfo(*g.mutable_output(rng() % g.output_size()), rng);
      return;
    }
    break;
  case 5:
    if (g.node_size() > 1) { // reorder, duplicate or drop a node
      int i = rng() % g.node_size(), j = rng() % g.node_size();
      switch (rng() % 3) {
      case 0:
        g.mutable_node()->SwapElements(i, j);
        break;
      case 1:
        *g.add_node() = g.node(i);
        break;
      default:
        g.mutable_node()->DeleteSubrange(i, 1);
        break;
      }
      return;
    }
    break;
  default:
    break;
  }
  // A Constant node with a tensor of its own.
  auto *node = g.add_node();
  node->set_op_type("Constant");
  node->add_output(someName(rng, g) + "_c");
  auto *a = node->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(2);
  a->mutable_t()->add_float_data(1.0f);
  a->mutable_t()->add_float_data(2.0f);
  mutateTensor(*a->mutable_t(), rng);
}
#endif

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  makeScratchFolder();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(MLIRContext::Threading::DISABLED);
  // Errors are the expected outcome for most inputs; they go nowhere.
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) {
    return success();
  });
  gcomp::ImportOptions options;
  // Big enough for every model the importer tests use; bounds the memory a
  // single input can make the importer allocate for a tensor.
  options.maxTensorBytes = 16 << 20;
#ifdef GCOMP_FUZZ_TEXT
  const char *name = "fuzz.onnxtext";
#else
  const char *name = "fuzz.onnx";
#endif
  std::string path = scratchDir + "/" + name;
  OwningOpRef<ModuleOp> module = gcomp::importOnnxBuffer(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), path,
      scratchDir, context, options);
  if (module && failed(verify(*module))) {
    // The importer must report an error rather than build invalid IR.
    llvm::errs() << "the importer produced IR that does not verify:\n";
    module->print(llvm::errs());
    std::abort();
  }
  return 0;
}

#ifndef GCOMP_FUZZ_TEXT
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  Rng rng(seed);
  onnx::ModelProto model;
  if (rng() % 4 == 0 || size > INT32_MAX ||
      !model.ParseFromArray(data, static_cast<int>(size)) ||
      !model.has_graph())
    return LLVMFuzzerMutate(data, size, maxSize);
  if (rng() % 8 == 0 && model.opset_import_size())
    model.mutable_opset_import(0)->set_version(rng() % 26);
  else
    mutateGraph(*model.mutable_graph(), rng, 0);
  std::string out;
  if (!model.SerializeToString(&out) || out.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
#endif
