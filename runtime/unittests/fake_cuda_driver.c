/*===- fake_cuda_driver.c - A CUDA driver without a GPU, for the tests ----===*
 *
 * The few driver entry points runtime/src/cuda.c loads, implemented on the
 * host: device memory is host memory, and a kernel is a host function
 * looked up by name. The runtime tests load it through GCOMP_CUDA_DRIVER,
 * which exercises the whole host side of a CUDA model (the weights' copy,
 * the staging of inputs and outputs, device-pointer runs, driver errors)
 * on machines without a GPU.
 *
 * Kernels (their parameters as the model's entry passes them):
 *   "add"  (float *a, float *w, float *y, int64_t n): y = a + w;
 *          fails with CUDA_ERROR_LAUNCH_FAILED when a[0] == 666.
 * The device reports compute capability FAKE_CUDA_SM (environment, default
 * 90); FAKE_CUDA_DEVICES sets the device count (default 1). A module whose
 * image starts with "bad" is rejected with a JIT log. Stream capture
 * records launches into a graph that cuGraphLaunch replays, unless
 * FAKE_CUDA_NO_CAPTURE is set (then capture is unsupported).
 *===----------------------------------------------------------------------===*/

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
enum {
  kSuccess = 0,
  kInvalidValue = 1,
  kInvalidImage = 200,
  kNotFound = 500,
  kLaunchFailed = 719,
  kInvalidPtx = 218,
};

static int env_int(const char *name, int fallback) {
  const char *v = getenv(name);
  return v && *v ? atoi(v) : fallback;
}

/* How many bytes the driver has copied host to device, synchronously (the
 * weights) and asynchronously (the inputs); read by the tests. */
int64_t fake_cuda_bytes_to_device_sync = 0;
int64_t fake_cuda_bytes_to_device_async = 0;
int64_t fake_cuda_live_allocations = 0;
/* Bytes copied device to device (a misaligned device pointer's staging). */
int64_t fake_cuda_bytes_device_to_device = 0;
/* cuLaunchKernel calls (recorded or run), kernels run (directly or by a
 * graph), graph launches, and graphs instantiated and not destroyed. */
int64_t fake_cuda_launch_calls = 0;
int64_t fake_cuda_kernels_run = 0;
int64_t fake_cuda_graph_launches = 0;
int64_t fake_cuda_live_graphs = 0;

CUresult cuInit(unsigned flags) { return flags ? kInvalidValue : kSuccess; }
CUresult cuDeviceGetCount(int *count) {
  *count = env_int("FAKE_CUDA_DEVICES", 1);
  return kSuccess;
}
CUresult cuDeviceGet(int *device, int ordinal) {
  *device = ordinal;
  return kSuccess;
}
CUresult cuDeviceGetName(char *name, int len, int device) {
  (void)device;
  strncpy(name, "Fake GPU", (size_t)len);
  return kSuccess;
}
CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  int sm = env_int("FAKE_CUDA_SM", 90);
  *value = attribute == 75 ? sm / 10 : attribute == 76 ? sm % 10 : 0;
  return kSuccess;
}
static int g_context;
CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  *context = &g_context;
  return kSuccess;
}
CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  return kSuccess;
}
CUresult cuCtxSetCurrent(void *context) {
  return context == &g_context ? kSuccess : kInvalidValue;
}
static int g_module;
CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned n,
                            int *options, void **values) {
  if (strncmp((const char *)image, "bad", 3) == 0) {
    for (unsigned i = 0; i < n; ++i)
      if (options[i] == 5 /* CU_JIT_ERROR_LOG_BUFFER */)
        strcpy((char *)values[i], "ptxas fatal: fake syntax error");
    return kInvalidPtx;
  }
  *module = &g_module;
  return kSuccess;
}
CUresult cuModuleUnload(void *module) {
  return module == &g_module ? kSuccess : kInvalidValue;
}
static int g_add;
CUresult cuModuleGetFunction(void **fn, void *module, const char *name) {
  if (module != &g_module)
    return kInvalidValue;
  if (strcmp(name, "add") != 0)
    return kNotFound;
  *fn = &g_add;
  return kSuccess;
}
/* One launch of "add", its parameters' values. */
typedef struct {
  const float *a, *w;
  float *y;
  int64_t n;
  unsigned threads;
} add_launch;

static CUresult run_add(const add_launch *l) {
  ++fake_cuda_kernels_run;
  if (l->a[0] == 666.0f)
    return kLaunchFailed;
  for (int64_t i = 0; i < l->n && i < (int64_t)l->threads; ++i)
    l->y[i] = l->a[i] + l->w[i];
  return kSuccess;
}

/* A graph (and an instantiated graph): the launches captured. */
typedef struct {
  int count;
  add_launch launches[8];
} fake_graph;
static fake_graph *g_capture;

CUresult cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)gx, (void)gy, (void)gz, (void)by, (void)bz, (void)smem, (void)extra;
  ++fake_cuda_launch_calls;
  if (fn != &g_add || !stream)
    return kInvalidValue;
  add_launch l = {*(float **)params[0], *(float **)params[1],
                  *(float **)params[2], *(int64_t *)params[3], bx};
  if (g_capture) {
    if (g_capture->count == 8)
      return kInvalidValue;
    g_capture->launches[g_capture->count++] = l;
    return kSuccess;
  }
  return run_add(&l);
}
CUresult cuStreamBeginCapture_v2(void *stream, int mode) {
  (void)mode;
  if (getenv("FAKE_CUDA_NO_CAPTURE"))
    return 900; /* CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED */
  if (!stream || g_capture)
    return kInvalidValue;
  g_capture = calloc(1, sizeof *g_capture);
  return g_capture ? kSuccess : 2;
}
CUresult cuStreamEndCapture(void *stream, void **graph) {
  if (!stream || !g_capture)
    return kInvalidValue;
  *graph = g_capture;
  g_capture = NULL;
  return kSuccess;
}
CUresult cuGraphInstantiateWithFlags(void **exec, void *graph,
                                     unsigned long long flags) {
  if (flags)
    return kInvalidValue;
  fake_graph *copy = malloc(sizeof *copy);
  if (!copy)
    return 2;
  *copy = *(fake_graph *)graph;
  ++fake_cuda_live_graphs;
  *exec = copy;
  return kSuccess;
}
CUresult cuGraphLaunch(void *exec, void *stream) {
  if (!stream)
    return kInvalidValue;
  ++fake_cuda_graph_launches;
  fake_graph *g = exec;
  for (int i = 0; i < g->count; ++i) {
    CUresult r = run_add(&g->launches[i]);
    if (r != kSuccess)
      return r;
  }
  return kSuccess;
}
CUresult cuGraphExecDestroy(void *exec) {
  free(exec);
  --fake_cuda_live_graphs;
  return kSuccess;
}
CUresult cuGraphDestroy(void *graph) {
  free(graph);
  return kSuccess;
}
static int g_stream;
CUresult cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  *stream = &g_stream;
  return kSuccess;
}
CUresult cuStreamDestroy_v2(void *stream) {
  return stream == &g_stream ? kSuccess : kInvalidValue;
}
CUresult cuStreamSynchronize(void *stream) {
  return stream == &g_stream ? kSuccess : kInvalidValue;
}
CUresult cuMemAlloc_v2(uint64_t *ptr, size_t bytes) {
  void *p = aligned_alloc(256, (bytes + 255) / 256 * 256);
  if (!p)
    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  memset(p, 0xcd, bytes);
  ++fake_cuda_live_allocations;
  *ptr = (uint64_t)(uintptr_t)p;
  return kSuccess;
}
CUresult cuMemFree_v2(uint64_t ptr) {
  free((void *)(uintptr_t)ptr);
  --fake_cuda_live_allocations;
  return kSuccess;
}
CUresult cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes) {
  memcpy((void *)(uintptr_t)dst, src, bytes);
  fake_cuda_bytes_to_device_sync += (int64_t)bytes;
  return kSuccess;
}
CUresult cuMemcpyHtoDAsync_v2(uint64_t dst, const void *src, size_t bytes,
                              void *stream) {
  (void)stream;
  memcpy((void *)(uintptr_t)dst, src, bytes);
  fake_cuda_bytes_to_device_async += (int64_t)bytes;
  return kSuccess;
}
CUresult cuMemcpyDtoHAsync_v2(void *dst, uint64_t src, size_t bytes,
                              void *stream) {
  (void)stream;
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t bytes,
                              void *stream) {
  (void)stream;
  memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, bytes);
  fake_cuda_bytes_device_to_device += (int64_t)bytes;
  return kSuccess;
}
CUresult cuGetErrorName(CUresult r, const char **name) {
  *name = r == kLaunchFailed  ? "CUDA_ERROR_LAUNCH_FAILED"
          : r == kInvalidPtx  ? "CUDA_ERROR_INVALID_PTX"
          : r == kNotFound    ? "CUDA_ERROR_NOT_FOUND"
          : r == kInvalidImage ? "CUDA_ERROR_INVALID_IMAGE"
                              : "CUDA_ERROR_FAKE";
  return kSuccess;
}
CUresult cuGetErrorString(CUresult r, const char **text) {
  *text = r == kLaunchFailed ? "unspecified launch failure" : "fake error";
  return kSuccess;
}
