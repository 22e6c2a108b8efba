//===- Link.cpp - in-process linking with LLD -----------------------------===//

#include "gcomp/Target/Link.h"

#include "lld/Common/Driver.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

LLD_HAS_DRIVER(elf)

using namespace llvm;

namespace gcomp {

Error linkSharedLibrary(StringRef objectPath, StringRef outputPath,
                        const LinkOptions &options) {
  if (!sys::fs::exists(options.runtimeArchive))
    return createStringError("runtime library '" + options.runtimeArchive +
                             "' not found (pass --runtime-lib)");
  std::vector<std::string> args = {
      "ld.lld", "-shared", "-o", outputPath.str(), "--build-id=sha1",
      "-z", "now", "-z", "relro", "-z", "noexecstack", "--gc-sections",
      "--hash-style=gnu", "--no-undefined-version", objectPath.str(),
      // Nothing in the model's object calls the runtime; the runtime's API
      // is what the library exports, so take all of it.
      "--whole-archive", options.runtimeArchive, "--no-whole-archive"};
  // The runtime ships a version script beside its archive that exports
  // exactly the runtime.h API; anything else stays local.
  SmallString<256> versionScript(sys::path::parent_path(options.runtimeArchive));
  sys::path::append(versionScript, "gcomp_model.map");
  if (sys::fs::exists(versionScript))
    args.push_back(("--version-script=" + versionScript).str());
  for (const std::string &lib : options.sharedLibs)
    args.push_back(lib);
  if (options.sharedLibs.empty())
    args.push_back("--allow-shlib-undefined");
  std::vector<const char *> argv;
  for (const std::string &a : args)
    argv.push_back(a.c_str());

  std::string out, err;
  raw_string_ostream outOS(out), errOS(err);
  lld::Result result =
      lld::lldMain(argv, outOS, errOS, {{lld::Gnu, &lld::elf::link}});
  if (result.retCode != 0) {
    StringRef message = StringRef(err).trim();
    return createStringError("linking failed: " +
                             (message.empty() ? "lld returned an error"
                                              : message.str()));
  }
  return Error::success();
}

std::string findRuntimeArchive(const char *argv0, void *mainAddr) {
  std::string exe = sys::fs::getMainExecutable(argv0, mainAddr);
  SmallString<256> binDir(sys::path::parent_path(exe));
  for (StringRef rel : {"../lib/libgcomp_runtime.a",
                        "../lib/gcomp/libgcomp_runtime.a"}) {
    SmallString<256> candidate(binDir);
    sys::path::append(candidate, rel);
    sys::path::remove_dots(candidate, /*remove_dot_dot=*/true);
    if (sys::fs::exists(candidate))
      return std::string(candidate);
  }
  return "";
}

std::vector<std::string> findSystemSharedLibs(StringRef tripleStr) {
  Triple triple(tripleStr);
  if (!triple.isOSLinux())
    return {};
  std::string multiarch = (triple.getArchName() + "-linux-gnu").str();
  for (std::string dir : {"/lib/" + multiarch, "/usr/lib/" + multiarch,
                          std::string("/lib64"), std::string("/usr/lib64")}) {
    std::string libc = dir + "/libc.so.6", libm = dir + "/libm.so.6";
    if (sys::fs::exists(libc) && sys::fs::exists(libm))
      return {libc, libm};
  }
  return {};
}

} // namespace gcomp
