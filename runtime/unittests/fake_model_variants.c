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
#include <time.h>

#define FAKE_DYNAMIC 1
#define FAKE_BAD_ABI 2
#define FAKE_BAD_RANK 3
#define FAKE_BAD_DTYPE 4
#define FAKE_ALL_CPU_FEATURES 5
#define FAKE_PROFILE 6
#define FAKE_BAD_PROFILE 7
#define FAKE_PROFILE_NO_NAMES 8
#define FAKE_SPECIALIZED 9
#define FAKE_BAD_VARIANTS 10
#define FAKE_CUDA 11
#define FAKE_CUDA_BAD_PTX 12
#define FAKE_BOUNDED 13

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
#elif FAKE_VARIANT == FAKE_BOUNDED
/* Outputs whose size depends on the data: input x: float32[2]; outputs
 * rows: float32[3, ?] (bound [3, 4]) = 100 * r + c for c < k = (int)x[0]
 * (k > 4, which breaks the bound, when x[0] says so), and z: int64[] = 7.
 * The entry writes `rows` at its bound's layout, 0 past column k. */
const int64_t __gcomp_signature[] = {
    GCOMP_MODEL_ABI_VERSION, 1, 2,
    GCOMP_DTYPE_FLOAT32, 1, 2,
    GCOMP_DTYPE_FLOAT32, 2, 3, -1,
    GCOMP_DTYPE_INT64,   0,
};
const char __gcomp_names[] = "x\0rows\0z";
const char __gcomp_cpu_features[] = "";
const int64_t __gcomp_output_bounds[] = {1, 0, 3, 4};
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
#elif FAKE_VARIANT == FAKE_PROFILE
/* As compiled with gcomp --profile: input x: float32[4], output
 * y: float32[4] = 2 * x + 2 * x, in three kernels:
 *   k0.scale   (node "scale")           t = 2 * x           4 flops
 *   k1.add     (nodes "add1,add2")      run twice, ~20 us each, 1000 flops
 *   k2."q"\    (no nodes)               y = t + t           flops unknown
 * When x[0] == -1 the entry also makes calls the runtime must ignore: ids
 * out of range, and an end without a begin. */
const int64_t __gcomp_signature[] = {
    GCOMP_MODEL_ABI_VERSION, 1, 1,
    GCOMP_DTYPE_FLOAT32, 1, 4,
    GCOMP_DTYPE_FLOAT32, 1, 4,
};
const char __gcomp_names[] = "x\0y";
const char __gcomp_cpu_features[] = "";
const int64_t __gcomp_profile_kernels[] = {3, 4, 1000, 0};
const char __gcomp_profile_names[] =
    "k0.scale\0scale\0k1.add\0add1,add2\0k2.\"q\"\\\0";
#elif FAKE_VARIANT == FAKE_BAD_PROFILE
const int64_t __gcomp_signature[] = {GCOMP_MODEL_ABI_VERSION, 0, 0};
const char __gcomp_names[] = "";
const char __gcomp_cpu_features[] = "";
const int64_t __gcomp_profile_kernels[] = {-1};
const char __gcomp_profile_names[] = "";
#elif FAKE_VARIANT == FAKE_PROFILE_NO_NAMES
const int64_t __gcomp_signature[] = {GCOMP_MODEL_ABI_VERSION, 0, 0};
const char __gcomp_names[] = "";
const char __gcomp_cpu_features[] = "";
const int64_t __gcomp_profile_kernels[] = {1, 0};
#elif FAKE_VARIANT == FAKE_SPECIALIZED
/* As compiled with gcomp --specialize: inputs x: float32[?,2], y: float32[?],
 * output out: float32[?], in three variants:
 *   0: x [1,2], y [4] -> out [1] = {100}
 *   1: x [3,2], y [4] -> out [3] = {200, 201, 202}
 *   2: x [3,2], y [5] -> out [3] = {300, 301, 302}
 * Each entry checks that it got the workspace. */
const int64_t __gcomp_signature[] = {
    GCOMP_MODEL_ABI_VERSION, 2, 1,
    GCOMP_DTYPE_FLOAT32, 2, -1, 2,
    GCOMP_DTYPE_FLOAT32, 1, -1,
    GCOMP_DTYPE_FLOAT32, 1, -1,
};
const char __gcomp_names[] = "x\0y\0out";
/* x [batch, ""], y [seq], out [batch] */
const char __gcomp_dim_names[] = "batch\0\0seq\0batch";
const char __gcomp_cpu_features[] = "";
const int64_t __gcomp_workspace_bytes[] = {64};
const int64_t __gcomp_variants[] = {3,
                                    1, 2, 4, 1,
                                    3, 2, 4, 3,
                                    3, 2, 5, 3};
static int32_t fill_out(void *const *outputs, void *workspace, float base,
                        int n) {
  if (!workspace)
    return 5;
  for (int i = 0; i < n; ++i)
    ((float *)outputs[0])[i] = base + (float)i;
  return 0;
}
static int32_t variant1(void *const *inputs, void *const *outputs,
                        void *workspace) {
  (void)inputs;
  return fill_out(outputs, workspace, 200, 3);
}
static int32_t variant2(void *const *inputs, void *const *outputs,
                        void *workspace) {
  (void)inputs;
  return fill_out(outputs, workspace, 300, 3);
}
int32_t __gcomp_entry(void *const *inputs, void *const *outputs,
                      void *workspace) {
  (void)inputs;
  return fill_out(outputs, workspace, 100, 1);
}
int32_t (*const __gcomp_variant_entries[])(void *const *, void *const *,
                                           void *) = {__gcomp_entry, variant1,
                                                      variant2};
#elif FAKE_VARIANT == FAKE_BAD_VARIANTS
/* A variant whose dims contradict the signature's fixed ones. */
const int64_t __gcomp_signature[] = {GCOMP_MODEL_ABI_VERSION, 1, 0,
                                     GCOMP_DTYPE_FLOAT32, 2, -1, 2};
const char __gcomp_names[] = "x";
const char __gcomp_cpu_features[] = "";
const int64_t __gcomp_variants[] = {2, 1, 2, 4, 3};
int32_t __gcomp_entry(void *const *inputs, void *const *outputs,
                      void *workspace) {
  (void)inputs, (void)outputs, (void)workspace;
  return 0;
}
int32_t (*const __gcomp_variant_entries[])(void *const *, void *const *,
                                           void *) = {__gcomp_entry,
                                                      __gcomp_entry};
#elif FAKE_VARIANT == FAKE_CUDA || FAKE_VARIANT == FAKE_CUDA_BAD_PTX
/* What gcomp --target=cuda emits, by hand: a: float32[4] -> y = a + w, w
 * a weight of 4 floats that the runtime copies to offset 64 of the device
 * workspace; one kernel, "add", launched through the runtime's mgpu*
 * functions (run by fake_cuda_driver.c). */
const int64_t __gcomp_signature[] = {GCOMP_MODEL_ABI_VERSION, 1, 1,
                                     GCOMP_DTYPE_FLOAT32, 1, 4,
                                     GCOMP_DTYPE_FLOAT32, 1, 4};
const char __gcomp_names[] = "a\0y";
const char __gcomp_cpu_features[] = "";
const int64_t __gcomp_workspace_bytes[1] = {128};
static const float kWeights[4] = {10, 20, 30, 40};
const int64_t __gcomp_cuda[3] = {GCOMP_CUDA_FORMAT_VERSION, 1, 80};
const struct {
  const void *host;
  int64_t offset, bytes;
} __gcomp_cuda_constants[1] = {{kWeights, 64, sizeof kWeights}};

/* Defined by the runtime (cuda.c). */
void *mgpuModuleLoadJIT(void *data, int opt_level);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void *mgpuStreamCreate(void);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void mgpuLaunchKernel(void *fn, int64_t gx, int64_t gy, int64_t gz,
                      int64_t bx, int64_t by, int64_t bz, int32_t smem,
                      void *stream, void **params, void **extra,
                      size_t num_params);

#if FAKE_VARIANT == FAKE_CUDA
static char kPtx[] = "//\n.version 8.0\n.target sm_80\n";
#else
static char kPtx[] = "bad ptx";
#endif
static void *g_module;
/* As gpu-to-llvm's module constructor and destructor do in a real model. */
__attribute__((constructor)) static void load_module(void) {
  g_module = mgpuModuleLoadJIT(kPtx, 3);
}
__attribute__((destructor)) static void unload_module(void) {
  mgpuModuleUnload(g_module);
}

int32_t __gcomp_entry(void *const *inputs, void *const *outputs,
                      void *workspace) {
  void *a = inputs[0], *y = outputs[0];
  void *w = (char *)workspace + 64;
  int64_t n = 4;
  void *params[4] = {&a, &w, &y, &n};
  void *fn = mgpuModuleGetFunction(g_module, "add");
  void *stream = mgpuStreamCreate();
  mgpuLaunchKernel(fn, 1, 1, 1, 4, 1, 1, 0, stream, params, NULL, 4);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  return 0;
}
#else
#error "unknown FAKE_VARIANT"
#endif

#if FAKE_VARIANT == FAKE_PROFILE
/* Defined by the runtime. */
void __gcomp_prof_begin(int32_t kernel);
void __gcomp_prof_end(int32_t kernel);

static void spin_us(long us) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do
    clock_gettime(CLOCK_MONOTONIC, &now);
  while ((now.tv_sec - start.tv_sec) * 1000000000L +
             (now.tv_nsec - start.tv_nsec) <
         us * 1000L);
}
#endif

#if FAKE_VARIANT != FAKE_SPECIALIZED && FAKE_VARIANT != FAKE_BAD_VARIANTS && \
    FAKE_VARIANT != FAKE_CUDA && FAKE_VARIANT != FAKE_CUDA_BAD_PTX
/* Stands for the compiled code's own functions, which MLIR emits with
 * default visibility: gcomp_model.map must keep it unexported. */
int32_t fake_model_kernel(void *const *inputs, void *const *outputs);

int32_t __gcomp_entry(void *const *inputs, void *const *outputs,
                      void *workspace) {
  /* No __gcomp_workspace_bytes: the runtime passes null. */
  if (workspace)
    return 5;
  return fake_model_kernel(inputs, outputs);
}

int32_t fake_model_kernel(void *const *inputs, void *const *outputs) {
  (void)inputs;
#if FAKE_VARIANT == FAKE_DYNAMIC
  static const float kOut[3] = {1, 2, 3};
  memcpy(outputs[0], kOut, sizeof kOut);
#elif FAKE_VARIANT == FAKE_BOUNDED
  int64_t k = (int64_t)((const float *)inputs[0])[0];
  float *rows = (float *)outputs[0];
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 4; ++c)
      rows[r * 4 + c] = c < k ? (float)(100 * r + c) : 0.0f;
  *(int64_t *)outputs[1] = 7;
  int64_t *dims = (int64_t *)outputs[2];
  dims[0] = 3;
  dims[1] = k;
#elif FAKE_VARIANT == FAKE_PROFILE
  const float *x = (const float *)inputs[0];
  float *y = (float *)outputs[0];
  float t[4];
  int misuse = x[0] == -1.0f;
  if (misuse) {
    __gcomp_prof_end(0);
    __gcomp_prof_begin(3);
    __gcomp_prof_end(3);
    __gcomp_prof_begin(-1);
    __gcomp_prof_end(-1);
  }
  __gcomp_prof_begin(0);
  for (int i = 0; i < 4; ++i)
    t[i] = 2 * x[i];
  __gcomp_prof_end(0);
  for (int rep = 0; rep < 2; ++rep) {
    __gcomp_prof_begin(1);
    spin_us(20);
    __gcomp_prof_end(1);
  }
  __gcomp_prof_begin(2);
  for (int i = 0; i < 4; ++i)
    y[i] = t[i] + t[i];
  __gcomp_prof_end(2);
#else
  (void)outputs;
#endif
  return 0;
}
#endif
