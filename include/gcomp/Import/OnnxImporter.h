//===- OnnxImporter.h - ONNX ModelProto to the gcomp dialect ----*- C++ -*-===//
#ifndef GCOMP_IMPORT_ONNXIMPORTER_H
#define GCOMP_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gcomp {

struct ImportOptions {
  /// Name of the function holding the graph.
  std::string entryName = "main";
  /// Input shape overrides, by input name; -1 leaves a dim dynamic. Names
  /// that are not graph inputs are an error.
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Values of named symbolic dims (ONNX `dim_param`), applied to every
  /// input that has them (gcomp --dim). A name that no input uses is an
  /// error; so is a value that contradicts an input shape override.
  std::map<std::string, int64_t> dimValues;
  /// The flag that set a dimValues entry, for messages (default "--dim").
  std::map<std::string, std::string> dimValueFlags;
  /// Refuse inputs whose dims stay symbolic (code generation needs static
  /// shapes so far), naming their dims and the flags that fix them.
  bool requireStaticInputs = false;
  /// Constants of at least this many bytes are kept as `dense_resource`
  /// blobs rather than uniqued `dense` attributes.
  size_t resourceThresholdBytes = 64;
  /// No tensor of the graph (input, initializer or computed value) may
  /// need more bytes than this (gcomp --max-memory); shapes whose element
  /// count overflows are refused whatever the cap.
  uint64_t maxTensorBytes = UINT64_MAX;
  /// If set, receives the number of nodes in the main graph (gcomp --stats).
  size_t *nodeCount = nullptr;
  /// If set, receives the path of every external data file the model reads
  /// (for gcomp -MD), as the model's folder joined with the location.
  std::set<std::string> *dataFiles = nullptr;
};

/// Reads an ONNX model file (binary protobuf, or the ONNX text format when
/// the path ends in `.onnxtext` or the file starts with `<`), resolves its
/// external data relative to the model's folder, and imports its main graph
/// as `func.func @<entryName>` in the gcomp dialect. Errors are reported as
/// MLIR diagnostics, one line each, at the offending node's location.
mlir::OwningOpRef<mlir::ModuleOp> importOnnxFile(llvm::StringRef path,
                                                 mlir::MLIRContext &context,
                                                 const ImportOptions &options);

/// importOnnxFile for a model already in memory: `path` names it in
/// messages (and its suffix picks the text format), and external data
/// resolves inside `modelDir`, which must be absolute.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBuffer(llvm::StringRef bytes, llvm::StringRef path,
                 llvm::StringRef modelDir, mlir::MLIRContext &context,
                 const ImportOptions &options);

/// The ONNX operators the importer maps, sorted, comma-separated.
std::string supportedOnnxOps();
/// The onnxruntime contrib operators (domain com.microsoft) it maps, sorted,
/// comma-separated.
std::string supportedContribOnnxOps();

} // namespace gcomp

#endif
