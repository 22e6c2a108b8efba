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
 * image starts with "bad" is rejected with a JIT log.
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
int fake_cuda_live_allocations = 0;

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
CUresult cuLaunchKernel(void *fn, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned smem,
                        void *stream, void **params, void **extra) {
  (void)gx, (void)gy, (void)gz, (void)by, (void)bz, (void)smem, (void)extra;
  if (fn != &g_add || !stream)
    return kInvalidValue;
  const float *a = *(float **)params[0];
  const float *w = *(float **)params[1];
  float *y = *(float **)params[2];
  int64_t n = *(int64_t *)params[3];
  if (a[0] == 666.0f)
    return kLaunchFailed;
  for (int64_t i = 0; i < n && i < (int64_t)bx; ++i)
    y[i] = a[i] + w[i];
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
