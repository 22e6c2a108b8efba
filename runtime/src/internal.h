/*===- internal.h - Declarations shared inside libgcomp_runtime -----------===*
 *
 * Not installed and not exported from a model.so: every declaration here has
 * hidden visibility. The unit tests link the runtime statically and call
 * these directly.
 *===----------------------------------------------------------------------===*/
#ifndef GCOMP_RUNTIME_INTERNAL_H
#define GCOMP_RUNTIME_INTERNAL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GCOMP_HIDDEN __attribute__((visibility("hidden")))
#else
#define GCOMP_HIDDEN
#endif

/* Whether the running CPU (and OS, for the AVX and AVX-512 register state)
 * supports the x86 feature `name` (LLVM spelling: "avx2", "sse4.2",
 * "avx512f", ...): 1 if it does, 0 if it does not, -1 if the name is not
 * one the runtime knows. */
GCOMP_HIDDEN int gcomp_rt_cpu_has_feature(const char *name);

/* Checks a comma-separated feature list such as "avx2,fma,avx512f" (an
 * LLVM target-feature string such as "+avx2,-sse4a" is accepted too: '+'
 * is dropped and '-' entries are skipped; unknown names are ignored).
 * Writes the known features the CPU lacks, comma-separated, to `missing`
 * (truncated to `missing_cap` bytes, always NUL-terminated when
 * missing_cap > 0) and returns how many there are. */
GCOMP_HIDDEN size_t gcomp_rt_missing_cpu_features(const char *features,
                                                  char *missing,
                                                  size_t missing_cap);

#ifdef __cplusplus
}
#endif
#endif /* GCOMP_RUNTIME_INTERNAL_H */
