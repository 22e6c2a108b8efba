//===- ResourceLimits.cpp - bounding what a compile may use ---------------===//
//
// An allocation that fails throws std::bad_alloc, which nothing in an
// LLVM built without exceptions catches: the process would abort with a
// core dump and leave its temporary files behind. LLVM's new-handler turns
// the failure into a call to the bad-alloc handler installed here, which
// cleans up and exits like any other error. Built with exceptions (see
// CMakeLists.txt) to read the message of an exception nothing caught.
//
//===----------------------------------------------------------------------===//

#include "ResourceLimits.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Signals.h"

#include <cstdio>
#include <exception>
#include <new>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

using namespace llvm;

namespace gcomp {
namespace {

/// Formatted when the handler is installed: there is no memory to format
/// it in when it is needed.
char oomMessage[256];
size_t oomMessageLength;

[[noreturn]] void onOutOfMemory(void *, const char *, bool) {
  ssize_t ignored = ::write(STDERR_FILENO, oomMessage, oomMessageLength);
  (void)ignored;
  sys::RunInterruptHandlers(); // removes the registered temporary files
  ::_exit(1);
}

/// The --max-memory limit (0: none), for fatal errors' messages.
uint64_t heapLimit;

/// LLVM reports errors it cannot return (a thread it cannot start, a
/// broken invariant) here; the default handler aborts with a core dump.
[[noreturn]] void onFatalError(void *, const char *reason, bool) {
  std::string message = std::string("gcomp: error: ") + reason;
  if (heapLimit)
    message += " (with --max-memory " + std::to_string(heapLimit) +
               "; the limit may be too low)";
  message += "\n";
  ssize_t ignored = ::write(STDERR_FILENO, message.data(), message.size());
  (void)ignored;
  sys::RunInterruptHandlers();
  ::_exit(1);
}

/// An exception that nothing catches (std::thread that cannot start a
/// thread throws std::system_error) ends here instead of in an abort.
[[noreturn]] void onTerminate() {
  std::string message = "gcomp: error: ";
  if (std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::bad_alloc &) {
      onOutOfMemory(nullptr, nullptr, false);
    } catch (const std::exception &e) {
      message += std::string("cannot continue: ") + e.what();
    } catch (...) {
      message += "an unknown exception";
    }
  } else {
    message += "internal error (std::terminate)";
  }
  onFatalError(nullptr, message.c_str() + std::strlen("gcomp: error: "),
               false);
}

} // namespace

void installOutOfMemoryHandler(uint64_t limitBytes) {
  int n = limitBytes
              ? std::snprintf(oomMessage, sizeof oomMessage,
                              "gcomp: error: compiling this model needs more "
                              "than --max-memory (%llu bytes); raise the "
                              "limit\n",
                              static_cast<unsigned long long>(limitBytes))
              : std::snprintf(oomMessage, sizeof oomMessage,
                              "gcomp: error: out of memory while compiling\n");
  oomMessageLength = n > 0 ? std::strlen(oomMessage) : 0;
  heapLimit = limitBytes;
  static bool installed = false;
  if (installed)
    return;
  installed = true;
  install_fatal_error_handler(onFatalError);
  std::set_terminate(onTerminate);
  install_bad_alloc_error_handler(onOutOfMemory);
  install_out_of_memory_new_handler();
}

Error limitHeap(uint64_t bytes) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  // AddressSanitizer maps its shadow and allocator regions as data; under a
  // heap limit it cannot run at all. The tensor cap still applies.
  (void)bytes;
  return Error::success();
#endif
#endif
  struct rlimit limit;
  if (getrlimit(RLIMIT_DATA, &limit) != 0)
    return createStringError("--max-memory: cannot read the heap limit: " +
                             std::string(std::strerror(errno)));
  if (limit.rlim_max != RLIM_INFINITY && bytes > limit.rlim_max)
    bytes = limit.rlim_max; // the stricter limit already applies
  limit.rlim_cur = bytes;
  if (setrlimit(RLIMIT_DATA, &limit) != 0)
    return createStringError("--max-memory: cannot set the heap limit: " +
                             std::string(std::strerror(errno)));
  return Error::success();
}

} // namespace gcomp
