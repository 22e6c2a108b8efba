//===- Link.h - in-process linking with LLD ---------------------*- C++ -*-===//
//
// Every output that holds machine code (an object, a static library, a
// shared library) is built from one self-contained relocatable object: the
// model's code and the whole runtime, partially linked, in which only the
// runtime API of gcomp/runtime.h stays global (renamed PREFIX + name with
// --symbol-prefix). Two such objects never clash, so any number of models
// can be linked into one program.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_TARGET_LINK_H
#define GCOMP_TARGET_LINK_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace gcomp {

enum class LinkOutput {
  Object,        ///< one relocatable object (model + runtime)
  StaticLibrary, ///< an archive holding that object
  SharedLibrary, ///< model.so
};

struct LinkOptions {
  /// libgcomp_runtime.a built for the target.
  std::string runtimeArchive;
  /// Shared libraries a model.so records as DT_NEEDED (libc, libm), by path.
  std::vector<std::string> sharedLibs;
  /// Prepended to every exported name (gcomp_model_create becomes
  /// PREFIXgcomp_model_create); empty for none.
  std::string symbolPrefix;
  /// The output's final file name (without folders): the soname of a
  /// model.so and the member name in an archive. The file is written under
  /// a temporary name first, so it cannot come from the path.
  std::string outputName;
};

/// Links the model's object code `modelObject` with the runtime into
/// `outputPath`, with LLD and LLVM's objcopy as libraries (no system tool).
/// The output is deterministic: the same inputs give the same bytes.
llvm::Error linkModel(llvm::StringRef modelObject, LinkOutput kind,
                      llvm::StringRef outputPath, const LinkOptions &options);

/// The names a model exports: the runtime API functions, with the prefix.
/// For tests and tools; the linker derives the same set.
bool isExportedRuntimeSymbol(llvm::StringRef name);

/// Whether `prefix` can start a C identifier ("" or [A-Za-z_][A-Za-z0-9_]*).
bool isValidSymbolPrefix(llvm::StringRef prefix);

/// Looks for the libgcomp_runtime.a built for `triple` next to the running
/// executable: the build tree (bin/../lib) or an install (bin/../lib/gcomp);
/// runtimes for other architectures sit in a subfolder named after the
/// triple's "ARCH-linux-gnu".
std::string findRuntimeArchive(const char *argv0, void *mainAddr,
                               llvm::StringRef triple);

/// libc and libm of a Linux `triple` as they sit on this machine (natively or
/// as a Debian cross sysroot), if found.
std::vector<std::string> findSystemSharedLibs(llvm::StringRef triple);

} // namespace gcomp

#endif
