/*===- fake_model.c - A hand-written stand-in for a compiled model --------===*
 *
 * Defines the symbols of gcomp/model_abi.h the way the compiler's object
 * does, for a model with
 *   inputs  a: float32[2,3], b: float32[2,3]
 *   outputs y: float32[2,3] = a + b
 *           n: int64[]      = number of elements where a > b
 * Linked straight into gcomp-runtime-tests together with the runtime.
 *
 * As a way to test the runtime's handling of a failing entry point,
 * __gcomp_entry returns 3 when a[0] == 12345, and 4 when its workspace is
 * missing or misaligned. When a[0] == -777 it sets fake_model_entered and
 * waits until a test sets fake_model_release, so that a test can call run
 * while a run is in progress.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "gcomp/runtime.h"

#include <stdint.h>
#include <string.h>

const int64_t __gcomp_signature[] = {
    GCOMP_MODEL_ABI_VERSION,
    2, /* inputs */
    2, /* outputs */
    GCOMP_DTYPE_FLOAT32, 2, 2, 3, /* a */
    GCOMP_DTYPE_FLOAT32, 2, 2, 3, /* b */
    GCOMP_DTYPE_FLOAT32, 2, 2, 3, /* y */
    GCOMP_DTYPE_INT64,   0,       /* n */
};
const char __gcomp_names[] = "a\0b\0y\0n";
/* Every x86-64 CPU has these; the LLVM-style '+' and a name the runtime
 * does not know must both be accepted. */
const char __gcomp_cpu_features[] = "sse2,+sse,not-a-feature";
const char __gcomp_producer[] = "0.1.0-fake";

/* How often the entry point ran; the tests check that a rejected call
 * never reaches it. */
int fake_model_calls = 0;
int fake_model_entered = 0;
int fake_model_release = 0;

/* A workspace of an odd size: the runtime rounds it up and aligns it. */
const int64_t __gcomp_workspace_bytes[1] = {1000};

int32_t __gcomp_entry(void *const *inputs, void *const *outputs,
                      void *workspace) {
  const float *a = (const float *)inputs[0];
  if (!workspace || (uintptr_t)workspace % 64 != 0)
    return 4;
  /* The whole workspace is ours to write. */
  memset(workspace, 0xab, 1000);
  const float *b = (const float *)inputs[1];
  float *y = (float *)outputs[0];
  int64_t *n = (int64_t *)outputs[1];
  /* Atomic: instances run in parallel threads (RuntimeConcurrencyTest). */
  __atomic_fetch_add(&fake_model_calls, 1, __ATOMIC_RELAXED);
  if (a[0] == 12345.0f)
    return 3;
  if (a[0] == -777.0f) {
    __atomic_store_n(&fake_model_entered, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&fake_model_release, __ATOMIC_ACQUIRE))
      ;
  }
  *n = 0;
  for (int i = 0; i < 6; ++i) {
    y[i] = a[i] + b[i];
    *n += a[i] > b[i];
  }
  return 0;
}
