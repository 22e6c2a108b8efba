/*===- gcomp/model_abi.h - what compiled code and the runtime share -------===*
 *
 * The one definition of the contract between the object code that gcomp
 * emits for a model and libgcomp_runtime.a, which wraps it into the public
 * API of runtime.h. The compiler includes this header to name the symbols
 * and lay out the tables; the runtime includes it to read them. Not part of
 * the public API.
 *===----------------------------------------------------------------------===*/
#ifndef GCOMP_MODEL_ABI_H
#define GCOMP_MODEL_ABI_H

#include <stdint.h>

/* Bumped whenever the layout below changes. */
#define GCOMP_MODEL_ABI_VERSION 1

/* const int64_t GCOMP_SYM_SIGNATURE[]:
 *   [0] GCOMP_MODEL_ABI_VERSION
 *   [1] number of inputs   [2] number of outputs
 *   then for each input, then each output:
 *     dtype (gcomp_dtype), rank, dim_0 ... dim_{rank-1}   (-1: dynamic)   */
#define GCOMP_SYM_SIGNATURE "__gcomp_signature"
/* const char GCOMP_SYM_NAMES[]: the input names then the output names, each
 * terminated by NUL. */
#define GCOMP_SYM_NAMES "__gcomp_names"
/* const char GCOMP_SYM_CPU_FEATURES[]: comma-separated x86 feature names the
 * code was compiled for ("avx2,avx512f,fma"), NUL-terminated; may be "". */
#define GCOMP_SYM_CPU_FEATURES "__gcomp_cpu_features"
/* const char GCOMP_SYM_PRODUCER[]: the gcomp version string. */
#define GCOMP_SYM_PRODUCER "__gcomp_producer"
/* int32_t GCOMP_SYM_ENTRY(void *const *inputs, void *const *outputs):
 * runs the model on dense row-major buffers whose shapes the runtime has
 * already checked; returns 0 on success. */
#define GCOMP_SYM_ENTRY "__gcomp_entry"

typedef int32_t (*gcomp_entry_fn)(void *const *inputs, void *const *outputs);

#endif /* GCOMP_MODEL_ABI_H */
