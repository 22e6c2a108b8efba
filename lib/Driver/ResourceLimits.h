//===- ResourceLimits.h - bounding what a compile may use ------*- C++ -*-===//
//
// gcomp --max-memory: the compile stops with an error, rather than being
// killed by the kernel, when it would need more memory than allowed.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_DRIVER_RESOURCELIMITS_H
#define GCOMP_LIB_DRIVER_RESOURCELIMITS_H

#include "llvm/Support/Error.h"

#include <cstdint>

namespace gcomp {

/// Makes a failed allocation print one `gcomp: error:` line, remove the
/// temporary files registered with llvm::sys::RemoveFileOnSignal (the
/// half-written outputs) and exit with status 1, instead of aborting.
/// `limitBytes` (0 if none) is named in the message. LLVM's fatal errors
/// (report_fatal_error) get the same one-line-and-exit treatment.
void installOutOfMemoryHandler(uint64_t limitBytes);

/// Caps the process's heap (RLIMIT_DATA) at `bytes`, so that allocations
/// beyond it fail and reach the out-of-memory handler.
llvm::Error limitHeap(uint64_t bytes);

} // namespace gcomp

#endif
