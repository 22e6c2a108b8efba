//===- Link.h - in-process linking with LLD ---------------------*- C++ -*-===//
#ifndef GCOMP_TARGET_LINK_H
#define GCOMP_TARGET_LINK_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace gcomp {

struct LinkOptions {
  /// libgcomp_runtime.a built for the target.
  std::string runtimeArchive;
  /// Shared libraries the result records as DT_NEEDED (libc, libm), by path.
  std::vector<std::string> sharedLibs;
};

/// Links `objectPath` and the runtime into the shared library `outputPath`
/// with LLD as a library (no system linker involved).
llvm::Error linkSharedLibrary(llvm::StringRef objectPath,
                              llvm::StringRef outputPath,
                              const LinkOptions &options);

/// Looks for libgcomp_runtime.a next to the running executable: the build
/// tree (bin/../lib) or an install (bin/../lib/gcomp).
std::string findRuntimeArchive(const char *argv0, void *mainAddr);

/// libc and libm of a Linux `triple` as they sit on this machine, if found.
std::vector<std::string> findSystemSharedLibs(llvm::StringRef triple);

} // namespace gcomp

#endif
