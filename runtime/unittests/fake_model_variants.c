/*===- fake_model_variants.c - Fake models built as real model.so files ---===*
 *
 * Each variant is linked with the runtime into its own shared library,
 * exactly as gcomp links a model.so, and the tests dlopen it. This covers
 * what one statically linked fake cannot: several models at once, corrupt
 * tables, and the symbols a model.so exports.
 *
 * The symbols are defined with default visibility on purpose: the runtime
 * refers to them as hidden, which must be enough to keep them unexported.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "gcomp/runtime.h"

#include <string.h>

#define FAKE_DYNAMIC 1
#define FAKE_BAD_ABI 2
#define FAKE_BAD_RANK 3
#define FAKE_BAD_DTYPE 4
#define FAKE_ALL_CPU_FEATURES 5

#ifndef FAKE_VARIANT
#error "define FAKE_VARIANT"
#endif

const char __gcomp_producer[] = "0.1.0-variant";

#if FAKE_VARIANT == FAKE_DYNAMIC
/* inputs  `in "q"\path`: float32[?,3], k: int64[]
 * outputs `out<TAB>1`: float32[3] = {1, 2, 3}, dyn: float32[?] (untouched).
 * The names exercise JSON escaping. */
const int64_t __gcomp_signature[] = {
    GCOMP_MODEL_ABI_VERSION, 2, 2,
    GCOMP_DTYPE_FLOAT32, 2, -1, 3,
    GCOMP_DTYPE_INT64,   0,
    GCOMP_DTYPE_FLOAT32, 1, 3,
    GCOMP_DTYPE_FLOAT32, 1, -1,
};
const char __gcomp_names[] = "in \"q\"\\path\0k\0out\t1\0dyn";
const char __gcomp_cpu_features[] = "";
#elif FAKE_VARIANT == FAKE_BAD_ABI
const int64_t __gcomp_signature[] = {99, 0, 0};
const char __gcomp_names[] = "";
const char __gcomp_cpu_features[] = "";
#elif FAKE_VARIANT == FAKE_BAD_RANK
const int64_t __gcomp_signature[] = {GCOMP_MODEL_ABI_VERSION, 1, 0,
                                     GCOMP_DTYPE_FLOAT32, 1000};
const char __gcomp_names[] = "x";
const char __gcomp_cpu_features[] = "";
#elif FAKE_VARIANT == FAKE_BAD_DTYPE
const int64_t __gcomp_signature[] = {GCOMP_MODEL_ABI_VERSION, 0, 1,
                                     8 /* ONNX string */, 0};
const char __gcomp_names[] = "s";
const char __gcomp_cpu_features[] = "";
#elif FAKE_VARIANT == FAKE_ALL_CPU_FEATURES
/* Few CPUs have all of these; the test skips itself on one that does. */
const int64_t __gcomp_signature[] = {GCOMP_MODEL_ABI_VERSION, 0, 0};
const char __gcomp_names[] = "";
const char __gcomp_cpu_features[] =
    "sse4.2,avx,avx2,fma,f16c,bmi2,avx512f,avx512bw,avx512vl,avx512dq,"
    "avx512cd,avx512vnni,avx512bf16,avx512fp16";
#else
#error "unknown FAKE_VARIANT"
#endif

/* Stands for the compiled code's own functions, which MLIR emits with
 * default visibility: gcomp_model.map must keep it unexported. */
int32_t fake_model_kernel(void *const *inputs, void *const *outputs);

int32_t __gcomp_entry(void *const *inputs, void *const *outputs) {
  return fake_model_kernel(inputs, outputs);
}

int32_t fake_model_kernel(void *const *inputs, void *const *outputs) {
  (void)inputs;
#if FAKE_VARIANT == FAKE_DYNAMIC
  static const float kOut[3] = {1, 2, 3};
  memcpy(outputs[0], kOut, sizeof kOut);
#else
  (void)outputs;
#endif
  return 0;
}
