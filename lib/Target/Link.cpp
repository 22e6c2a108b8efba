//===- Link.cpp - in-process linking with LLD -----------------------------===//
//
// model object ──lld -r──▶ one object with the whole runtime
//              ──objcopy──▶ only the runtime API global (prefixed)
//              ──▶ written as is (--emit=obj), archived (static-lib), or
//                  linked with lld -shared (model.so)
//
//===----------------------------------------------------------------------===//

#include "gcomp/Target/Link.h"

#include "lld/Common/Driver.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ObjCopy/ConfigManager.h"
#include "llvm/ObjCopy/ObjCopy.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/StringSaver.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

LLD_HAS_DRIVER(elf)

using namespace llvm;

namespace gcomp {

bool isExportedRuntimeSymbol(StringRef name) {
  return name.starts_with("gcomp_");
}

bool isValidSymbolPrefix(StringRef prefix) {
  if (prefix.empty())
    return true;
  if (!isAlpha(prefix[0]) && prefix[0] != '_')
    return false;
  return llvm::all_of(prefix, [](char c) { return isAlnum(c) || c == '_'; });
}

namespace {

/// Writes `bytes` to the file at `path`.
Error writeFile(StringRef path, StringRef bytes) {
  std::error_code ec;
  raw_fd_ostream os(path, ec);
  if (!ec) {
    os << bytes;
    os.close();
    ec = os.error();
  }
  if (ec)
    return createStringError("cannot write '" + path + "': " + ec.message());
  return Error::success();
}

/// A temporary file removed when it goes out of scope, or if the process
/// dies of a signal or runs out of memory first.
struct TempFile {
  SmallString<128> path;
  std::optional<FileRemover> remover;

  TempFile() = default;
  TempFile(const TempFile &) = delete;
  TempFile &operator=(const TempFile &) = delete;
  ~TempFile() {
    if (remover)
      sys::DontRemoveFileOnSignal(path);
  }

  Error create(StringRef suffix) {
    if (std::error_code ec =
            sys::fs::createTemporaryFile("gcomp-link", suffix, path))
      return createStringError("cannot create a temporary file: " +
                               ec.message());
    remover.emplace(path);
    sys::RemoveFileOnSignal(path);
    return Error::success();
  }
  Error write(StringRef bytes) { return writeFile(path, bytes); }
};

Error runLLD(ArrayRef<std::string> args) {
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

/// The model's object and every member of the runtime archive as one
/// relocatable object (lld -r). The runtime comes whole: nothing in the
/// model calls its API, which is what the output exports.
Expected<std::unique_ptr<MemoryBuffer>>
partialLink(StringRef modelObject, StringRef runtimeArchive) {
  TempFile model, merged;
  if (Error e = model.create("o"))
    return std::move(e);
  if (Error e = model.write(modelObject))
    return std::move(e);
  if (Error e = merged.create("o"))
    return std::move(e);
  if (Error e = runLLD({"ld.lld", "-r", "-o", merged.path.str().str(),
                       model.path.str().str(), "--whole-archive",
                       runtimeArchive.str(), "--no-whole-archive"}))
    return std::move(e);
  auto buffer = MemoryBuffer::getFile(merged.path);
  if (!buffer)
    return createStringError("cannot read '" + merged.path +
                             "': " + buffer.getError().message());
  return std::move(*buffer);
}

/// The runtime API functions `object` defines: global, default visibility,
/// named gcomp_*. (The runtime's own helpers are hidden.)
std::vector<StringRef> exportedSymbols(const object::ELFObjectFileBase &object) {
  std::vector<StringRef> names;
  for (object::ELFSymbolRef symbol : object.symbols()) {
    Expected<StringRef> name = symbol.getName();
    Expected<uint32_t> flags = symbol.getFlags();
    if (!name || !flags) {
      consumeError(name.takeError());
      consumeError(flags.takeError());
      continue;
    }
    bool defined = !(*flags & object::SymbolRef::SF_Undefined);
    bool global = *flags & object::SymbolRef::SF_Global;
    if (defined && global &&
        (symbol.getOther() & 0x3) == ELF::STV_DEFAULT &&
        isExportedRuntimeSymbol(*name))
      names.push_back(*name);
  }
  return names;
}

/// The runtime API functions of every member of `archivePath`.
Expected<std::vector<std::string>> exportedSymbols(StringRef archivePath) {
  auto buffer = MemoryBuffer::getFile(archivePath);
  if (!buffer)
    return createStringError("cannot read '" + archivePath +
                             "': " + buffer.getError().message());
  auto archive = object::Archive::create((*buffer)->getMemBufferRef());
  if (!archive)
    return archive.takeError();
  std::vector<std::string> names;
  Error err = Error::success();
  for (const object::Archive::Child &child : (*archive)->children(err)) {
    auto member = child.getMemoryBufferRef();
    if (!member)
      return member.takeError();
    auto binary = object::createBinary(*member);
    if (!binary)
      return binary.takeError();
    if (auto *elf = dyn_cast<object::ELFObjectFileBase>(binary->get()))
      for (StringRef name : exportedSymbols(*elf))
        names.push_back(name.str());
  }
  if (err)
    return std::move(err);
  return names;
}

/// Makes every symbol defined in `object` local except the runtime API
/// (global, default visibility, gcomp_*), which is renamed prefix + name.
/// Without this, the runtime's hidden helpers and the model's kernels and
/// constants would clash between two models linked into one program.
Expected<SmallVector<char, 0>> keepOnlyTheAPI(MemoryBufferRef object,
                                              StringRef prefix) {
  auto binary = object::createBinary(object);
  if (!binary)
    return binary.takeError();
  auto *elf = dyn_cast<object::ELFObjectFileBase>(binary->get());
  if (!elf)
    return createStringError("the linked model is not an ELF object");

  objcopy::ConfigManager config;
  BumpPtrAllocator allocator;
  StringSaver saver(allocator);
  auto onError = [](Error e) { return e; };
  for (StringRef name : exportedSymbols(*elf)) {
    if (Error e = config.Common.SymbolsToKeepGlobal.addMatcher(
            objcopy::NameOrPattern::create(name, objcopy::MatchStyle::Literal,
                                           onError)))
      return std::move(e);
    if (!prefix.empty())
      config.Common.SymbolsToRename[name] = saver.save(prefix + name);
  }
  // An empty keep-list would keep everything global: a runtime without its
  // API is a broken build, not something to link.
  if (config.Common.SymbolsToKeepGlobal.empty())
    return createStringError("the runtime library defines no gcomp_* API");

  SmallVector<char, 0> out;
  raw_svector_ostream os(out);
  if (Error e = objcopy::executeObjcopyOnBinary(config, **binary, os))
    return std::move(e);
  return std::move(out);
}

} // namespace

/// model.so in one link: the model's object and the whole runtime, with a
/// version script that exports only the runtime API (and --defsym aliases
/// carrying the prefix). Cheaper than going through the relocatable object,
/// which matters for models with hundreds of MB of weights.
static Error linkSharedLibrary(StringRef modelObject, StringRef outputPath,
                               const LinkOptions &options) {
  TempFile model, versionScript;
  if (Error e = model.create("o"))
    return e;
  if (Error e = model.write(modelObject))
    return e;
  if (Error e = versionScript.create("map"))
    return e;
  if (Error e = versionScript.write("{\n  global:\n    " +
                                    options.symbolPrefix +
                                    "gcomp_*;\n  local:\n    *;\n};\n"))
    return e;
  // The soname is the file's own name, so that programs linked against it
  // record that name rather than a build path.
  std::vector<std::string> args = {
      "ld.lld", "-shared", "-o", outputPath.str(),
      "-soname", options.outputName, "--build-id=sha1",
      "-z", "now", "-z", "relro", "-z", "noexecstack", "--gc-sections",
      "--hash-style=gnu", model.path.str().str(),
      // Nothing in the model's object calls the runtime's API, which is
      // what the library exports, so take all of it.
      "--whole-archive", options.runtimeArchive, "--no-whole-archive",
      ("--version-script=" + versionScript.path).str()};
  if (!options.symbolPrefix.empty()) {
    auto names = exportedSymbols(options.runtimeArchive);
    if (!names)
      return names.takeError();
    if (names->empty())
      return createStringError("the runtime library defines no gcomp_* API");
    for (const std::string &name : *names)
      args.push_back("--defsym=" + options.symbolPrefix + name + "=" + name);
  }
  for (const std::string &lib : options.sharedLibs)
    args.push_back(lib);
  if (options.sharedLibs.empty())
    args.push_back("--allow-shlib-undefined");
  return runLLD(args);
}

Error linkModel(StringRef modelObject, LinkOutput kind, StringRef outputPath,
                const LinkOptions &options) {
  if (!sys::fs::exists(options.runtimeArchive))
    return createStringError("runtime library '" + options.runtimeArchive +
                             "' not found (pass --runtime-lib)");
  if (!isValidSymbolPrefix(options.symbolPrefix))
    return createStringError("--symbol-prefix '" + options.symbolPrefix +
                             "' is not the start of a C identifier");
  if (kind == LinkOutput::SharedLibrary)
    return linkSharedLibrary(modelObject, outputPath, options);

  auto merged = partialLink(modelObject, options.runtimeArchive);
  if (!merged)
    return merged.takeError();
  auto object = keepOnlyTheAPI((*merged)->getMemBufferRef(),
                               options.symbolPrefix);
  if (!object)
    return object.takeError();
  StringRef objectBytes(object->data(), object->size());

  switch (kind) {
  case LinkOutput::Object:
    return writeFile(outputPath, objectBytes);
  case LinkOutput::StaticLibrary: {
    // One member, named after the library; deterministic (no time stamps,
    // owners or modes), with a symbol table for the linker.
    std::string memberName =
        (sys::path::stem(options.outputName) + ".o").str();
    std::vector<NewArchiveMember> members(1);
    members[0] = NewArchiveMember(MemoryBufferRef(objectBytes, memberName));
    auto archive = writeArchiveToBuffer(
        members, SymtabWritingMode::NormalSymtab,
        object::Archive::K_GNU, /*Deterministic=*/true, /*Thin=*/false);
    if (!archive)
      return archive.takeError();
    return writeFile(outputPath, (*archive)->getBuffer());
  }
  case LinkOutput::SharedLibrary:
    llvm_unreachable("linked in one step above");
  }
  llvm_unreachable("unknown link output");
}

std::string findRuntimeArchive(const char *argv0, void *mainAddr,
                               StringRef tripleStr) {
  std::string exe = sys::fs::getMainExecutable(argv0, mainAddr);
  SmallString<256> binDir(sys::path::parent_path(exe));
  Triple triple(Triple::normalize(tripleStr.empty() ? sys::getProcessTriple()
                                                    : tripleStr.str()));
  Triple host(sys::getProcessTriple());
  std::string subdir;
  if (triple.getArch() != host.getArch())
    subdir = (triple.getArchName() + "-linux-gnu/").str();
  for (StringRef dir : {"../lib/", "../lib/gcomp/"}) {
    SmallString<256> candidate(binDir);
    sys::path::append(candidate, dir + subdir + "libgcomp_runtime.a");
    sys::path::remove_dots(candidate, /*remove_dot_dot=*/true);
    if (sys::fs::exists(candidate))
      return std::string(candidate);
  }
  return "";
}

std::vector<std::string> findSystemSharedLibs(StringRef tripleStr) {
  Triple triple(Triple::normalize(tripleStr));
  if (!triple.isOSLinux())
    return {};
  std::string multiarch = (triple.getArchName() + "-linux-gnu").str();
  // Native multiarch folders first, then Debian's cross sysroot
  // (libc6-arm64-cross puts aarch64's libc in /usr/aarch64-linux-gnu/lib).
  std::vector<std::string> dirs = {"/lib/" + multiarch,
                                   "/usr/lib/" + multiarch};
  if (triple.getArch() == Triple(sys::getProcessTriple()).getArch())
    dirs.insert(dirs.end(), {"/lib64", "/usr/lib64"});
  else
    dirs.insert(dirs.begin(), "/usr/" + multiarch + "/lib");
  for (const std::string &dir : dirs) {
    std::string libc = dir + "/libc.so.6", libm = dir + "/libm.so.6";
    if (sys::fs::exists(libc) && sys::fs::exists(libm))
      return {libc, libm};
  }
  return {};
}

} // namespace gcomp
