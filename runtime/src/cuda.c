/*===- cuda.c - running a model compiled with gcomp --target=cuda ---------===*
 *
 * The CUDA driver is loaded with dlopen when a CUDA model is created, never
 * linked: a model.so links and loads on machines without a GPU, and only
 * creating an instance fails there, with a message. The few driver entry
 * points used are declared here, so the runtime builds without CUDA's
 * headers.
 *
 * Generated code launches its kernels through the mgpu* functions that
 * MLIR's gpu-to-llvm lowering calls (defined here, hidden): every launch
 * goes to the stream of the run in progress on the calling thread, and the
 * first driver error of a run is kept and reported when the run ends.
 *
 * The first run of an instance records its launches as a CUDA graph (stream
 * capture), and later runs on the same buffers replay it: one driver call
 * instead of one per kernel, and the GPU starts each kernel without waiting
 * on the host. Runs on other device buffers record a new graph.
 * GCOMP_CUDA_GRAPHS=0 launches every kernel, every run.
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE /* dlopen's RTLD_* with C11 */
#include "gcomp/model_abi.h"
#include "internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*===----------------------------------------------------------------------===*
 * The driver API subset
 *===----------------------------------------------------------------------===*/

typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;
typedef unsigned long long CUdeviceptr;

#define CUDA_SUCCESS 0
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR 75
#define CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR 76
#define CU_JIT_ERROR_LOG_BUFFER 5
#define CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES 6
#define CU_STREAM_NON_BLOCKING 1
/* Capture only this thread's calls: another thread's use of the driver
 * does not invalidate the capture. */
#define CU_STREAM_CAPTURE_MODE_THREAD_LOCAL 1

static struct {
  void *handle;
  CUresult (*Init)(unsigned);
  CUresult (*DeviceGetCount)(int *);
  CUresult (*DeviceGet)(CUdevice *, int);
  CUresult (*DeviceGetName)(char *, int, CUdevice);
  CUresult (*DeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*DevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*DevicePrimaryCtxRelease)(CUdevice);
  CUresult (*CtxSetCurrent)(CUcontext);
  CUresult (*ModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                               void **);
  CUresult (*ModuleUnload)(CUmodule);
  CUresult (*ModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*LaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*StreamCreate)(CUstream *, unsigned);
  CUresult (*StreamDestroy)(CUstream);
  CUresult (*StreamSynchronize)(CUstream);
  CUresult (*MemAlloc)(CUdeviceptr *, size_t);
  CUresult (*MemFree)(CUdeviceptr);
  CUresult (*MemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*MemcpyHtoDAsync)(CUdeviceptr, const void *, size_t, CUstream);
  CUresult (*MemcpyDtoHAsync)(void *, CUdeviceptr, size_t, CUstream);
  CUresult (*MemcpyDtoDAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*GetErrorName)(CUresult, const char **);
  CUresult (*GetErrorString)(CUresult, const char **);
  /* Optional (CUDA 11.4 and later): without them, no graphs. */
  CUresult (*StreamBeginCapture)(CUstream, int);
  CUresult (*StreamEndCapture)(CUstream, CUgraph *);
  CUresult (*GraphInstantiate)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*GraphLaunch)(CUgraphExec, CUstream);
  CUresult (*GraphExecDestroy)(CUgraphExec);
  CUresult (*GraphDestroy)(CUgraph);
} cu;

static pthread_once_t g_driver_once = PTHREAD_ONCE_INIT;
static char g_driver_error[512];
static CUresult g_init_result = -1;

static void load_driver(void) {
  const char *path = getenv("GCOMP_CUDA_DRIVER");
  if (!path || !*path)
    path = "libcuda.so.1";
  cu.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!cu.handle) {
    const char *why = dlerror();
    snprintf(g_driver_error, sizeof g_driver_error,
             "no CUDA driver: cannot load %s (%s); this model was compiled "
             "with gcomp --target=cuda and runs on an NVIDIA GPU with its "
             "driver installed",
             path, why ? why : "not found");
    return;
  }
  struct {
    const char *name;
    void **slot;
  } symbols[] = {
      {"cuInit", (void **)&cu.Init},
      {"cuDeviceGetCount", (void **)&cu.DeviceGetCount},
      {"cuDeviceGet", (void **)&cu.DeviceGet},
      {"cuDeviceGetName", (void **)&cu.DeviceGetName},
      {"cuDeviceGetAttribute", (void **)&cu.DeviceGetAttribute},
      {"cuDevicePrimaryCtxRetain", (void **)&cu.DevicePrimaryCtxRetain},
      {"cuDevicePrimaryCtxRelease_v2", (void **)&cu.DevicePrimaryCtxRelease},
      {"cuCtxSetCurrent", (void **)&cu.CtxSetCurrent},
      {"cuModuleLoadDataEx", (void **)&cu.ModuleLoadDataEx},
      {"cuModuleUnload", (void **)&cu.ModuleUnload},
      {"cuModuleGetFunction", (void **)&cu.ModuleGetFunction},
      {"cuLaunchKernel", (void **)&cu.LaunchKernel},
      {"cuStreamCreate", (void **)&cu.StreamCreate},
      {"cuStreamDestroy_v2", (void **)&cu.StreamDestroy},
      {"cuStreamSynchronize", (void **)&cu.StreamSynchronize},
      {"cuMemAlloc_v2", (void **)&cu.MemAlloc},
      {"cuMemFree_v2", (void **)&cu.MemFree},
      {"cuMemcpyHtoD_v2", (void **)&cu.MemcpyHtoD},
      {"cuMemcpyHtoDAsync_v2", (void **)&cu.MemcpyHtoDAsync},
      {"cuMemcpyDtoHAsync_v2", (void **)&cu.MemcpyDtoHAsync},
      {"cuMemcpyDtoDAsync_v2", (void **)&cu.MemcpyDtoDAsync},
      {"cuGetErrorName", (void **)&cu.GetErrorName},
      {"cuGetErrorString", (void **)&cu.GetErrorString},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; ++i) {
    *symbols[i].slot = dlsym(cu.handle, symbols[i].name);
    if (!*symbols[i].slot) {
      snprintf(g_driver_error, sizeof g_driver_error,
               "the CUDA driver %s lacks %s (too old a driver?)", path,
               symbols[i].name);
      dlclose(cu.handle);
      cu.handle = NULL;
      return;
    }
  }
  struct {
    const char *name;
    void **slot;
  } graph_symbols[] = {
      {"cuStreamBeginCapture_v2", (void **)&cu.StreamBeginCapture},
      {"cuStreamEndCapture", (void **)&cu.StreamEndCapture},
      {"cuGraphInstantiateWithFlags", (void **)&cu.GraphInstantiate},
      {"cuGraphLaunch", (void **)&cu.GraphLaunch},
      {"cuGraphExecDestroy", (void **)&cu.GraphExecDestroy},
      {"cuGraphDestroy", (void **)&cu.GraphDestroy},
  };
  for (size_t i = 0; i < sizeof graph_symbols / sizeof graph_symbols[0]; ++i)
    *graph_symbols[i].slot = dlsym(cu.handle, graph_symbols[i].name);
  g_init_result = cu.Init(0);
  if (g_init_result != CUDA_SUCCESS) {
    const char *name = "?";
    cu.GetErrorName(g_init_result, &name);
    snprintf(g_driver_error, sizeof g_driver_error,
             "the CUDA driver did not initialize (%s: %s)", name,
             g_init_result == 100 ? "no CUDA-capable GPU is present"
                                  : "see the driver's documentation");
  }
}

/* "CUDA_ERROR_X: text" for a driver result. */
static void describe(CUresult r, char *out, size_t cap) {
  const char *name = "CUDA_ERROR_UNKNOWN", *text = "";
  if (cu.GetErrorName)
    cu.GetErrorName(r, &name);
  if (cu.GetErrorString)
    cu.GetErrorString(r, &text);
  snprintf(out, cap, "%s (%d): %s", name ? name : "?", (int)r,
           text ? text : "");
}

/*===----------------------------------------------------------------------===*
 * The model's kernels
 *===----------------------------------------------------------------------===*/

/* One gpu.module's PTX, registered by the model's constructors (at load
 * time, before any driver exists) and compiled by the driver when the first
 * instance is created. */
typedef struct gcomp_rt_cuda_module {
  const char *image;
  CUmodule module;
  struct gcomp_rt_cuda_module *next;
} gcomp_rt_cuda_module;

static gcomp_rt_cuda_module *g_modules;
/* The devices whose primary context the runtime keeps (see create). The
 * modules are loaded into the first device's context that creates an
 * instance. */
#define GCOMP_RT_CUDA_MAX_DEVICES 64
static int g_device_kept[GCOMP_RT_CUDA_MAX_DEVICES];
static pthread_mutex_t g_modules_lock = PTHREAD_MUTEX_INITIALIZER;

/* The device whose context holds the loaded modules; -1 before any. */
static int g_modules_device = -1;

/* Loads (JIT-compiles) every registered module not loaded yet into the
 * current context, that of device `ordinal`. */
static int load_modules(int ordinal, char *err, size_t cap) {
  int ok = 1;
  pthread_mutex_lock(&g_modules_lock);
  if (g_modules_device >= 0 && g_modules_device != ordinal) {
    pthread_mutex_unlock(&g_modules_lock);
    snprintf(err, cap,
             "this model already runs on GPU %d in this process; its "
             "instances share that GPU (one GPU per model library and "
             "process for now)",
             g_modules_device);
    return 0;
  }
  g_modules_device = ordinal;
  for (gcomp_rt_cuda_module *m = g_modules; m && ok; m = m->next) {
    if (m->module)
      continue;
    char log[4096] = "";
    int options[] = {CU_JIT_ERROR_LOG_BUFFER,
                     CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *values[] = {log, (void *)(uintptr_t)sizeof log};
    CUresult r = cu.ModuleLoadDataEx(&m->module, m->image, 2, options, values);
    if (r != CUDA_SUCCESS) {
      char what[256];
      describe(r, what, sizeof what);
      snprintf(err, cap,
               "the CUDA driver rejected the model's kernels: %s%s%s", what,
               log[0] ? "; " : "", log);
      m->module = NULL;
      ok = 0;
    }
  }
  pthread_mutex_unlock(&g_modules_lock);
  return ok;
}

/* The run in progress on this thread: its stream and its first error. */
typedef struct {
  CUstream stream;
  CUresult error;
  const char *failed_kernel;
} cuda_run;

static _Thread_local cuda_run *t_run;

static void run_failed(CUresult r, const char *kernel) {
  if (t_run && t_run->error == CUDA_SUCCESS) {
    t_run->error = r;
    t_run->failed_kernel = kernel;
  }
}

GCOMP_HIDDEN void *mgpuModuleLoadJIT(void *data, int opt_level) {
  (void)opt_level;
  gcomp_rt_cuda_module *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->image = data;
  pthread_mutex_lock(&g_modules_lock);
  m->next = g_modules;
  g_modules = m;
  pthread_mutex_unlock(&g_modules_lock);
  return m;
}

/* The cubin / fatbin form (gpu-module-to-binary format=bin|fatbin). */
GCOMP_HIDDEN void *mgpuModuleLoad(void *data, size_t size) {
  (void)size;
  return mgpuModuleLoadJIT(data, 0);
}

GCOMP_HIDDEN void mgpuModuleUnload(void *handle) {
  gcomp_rt_cuda_module *m = handle;
  if (!m)
    return;
  pthread_mutex_lock(&g_modules_lock);
  for (gcomp_rt_cuda_module **p = &g_modules; *p; p = &(*p)->next)
    if (*p == m) {
      *p = m->next;
      break;
    }
  pthread_mutex_unlock(&g_modules_lock);
  /* At process exit the driver may be gone already; an error is fine. */
  if (m->module && cu.handle)
    cu.ModuleUnload(m->module);
  free(m);
}

GCOMP_HIDDEN void *mgpuModuleGetFunction(void *handle, const char *name) {
  gcomp_rt_cuda_module *m = handle;
  if (!t_run || t_run->error != CUDA_SUCCESS)
    return NULL;
  if (!m || !m->module) {
    run_failed(200 /* CUDA_ERROR_INVALID_IMAGE */, name);
    return NULL;
  }
  CUfunction fn = NULL;
  CUresult r = cu.ModuleGetFunction(&fn, m->module, name);
  if (r != CUDA_SUCCESS)
    run_failed(r, name);
  return fn;
}

/* Every launch of a run goes to the run's stream, in order; the runtime
 * synchronizes once, at the end of the run. */
GCOMP_HIDDEN void *mgpuStreamCreate(void) { return t_run ? t_run->stream : NULL; }
GCOMP_HIDDEN void mgpuStreamSynchronize(void *stream) { (void)stream; }
GCOMP_HIDDEN void mgpuStreamDestroy(void *stream) { (void)stream; }

GCOMP_HIDDEN void mgpuLaunchKernel(void *fn, int64_t gx, int64_t gy,
                                   int64_t gz, int64_t bx, int64_t by,
                                   int64_t bz, int32_t shared_bytes,
                                   void *stream, void **params, void **extra,
                                   size_t num_params) {
  (void)num_params;
  if (!t_run || t_run->error != CUDA_SUCCESS || !fn)
    return;
  CUresult r = cu.LaunchKernel((CUfunction)fn, (unsigned)gx, (unsigned)gy,
                               (unsigned)gz, (unsigned)bx, (unsigned)by,
                               (unsigned)bz, (unsigned)shared_bytes,
                               (CUstream)stream, params, extra);
  if (r != CUDA_SUCCESS)
    run_failed(r, "a kernel launch");
}

/*===----------------------------------------------------------------------===*
 * Model instances
 *===----------------------------------------------------------------------===*/

typedef struct {
  const void *host;
  int64_t offset;
  int64_t bytes;
} cuda_constant;

struct gcomp_rt_cuda {
  CUdevice device;
  CUcontext context;
  CUstream stream;
  /* The workspace (intermediate buffers, then the weights), then one
   * staging buffer per input and output for runs on host memory. */
  CUdeviceptr memory;
  CUdeviceptr workspace;
  size_t num_tensors;
  CUdeviceptr *staging;
  size_t *staging_bytes;
  void **args;
  /* Whether runs record and replay CUDA graphs; the recorded graph, the
   * buffers it was recorded on (args) and the entry's result then. */
  int use_graphs;
  CUgraphExec graph;
  void **graph_args;
  int32_t graph_result;
};

#define STAGING_ALIGNMENT 256
/* What the kernels assume of every tensor's address (see gcomp_rt_cuda_run
 * and kArgumentAlignment in GpuVectorizeLoops.cpp). */
#define DEVICE_ALIGNMENT 16

static size_t align_up(size_t v) {
  return (v + STAGING_ALIGNMENT - 1) / STAGING_ALIGNMENT * STAGING_ALIGNMENT;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int cuda_fail(char *err, size_t cap, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(err, cap, fmt, args);
  va_end(args);
  return 0;
}

GCOMP_HIDDEN void gcomp_rt_cuda_destroy(gcomp_rt_cuda *c) {
  if (!c)
    return;
  if (c->context)
    cu.CtxSetCurrent(c->context);
  if (c->graph)
    cu.GraphExecDestroy(c->graph);
  if (c->stream)
    cu.StreamDestroy(c->stream);
  if (c->memory)
    cu.MemFree(c->memory);
  if (c->context)
    cu.DevicePrimaryCtxRelease(c->device);
  free(c->staging);
  free(c->staging_bytes);
  free(c->args);
  free(c->graph_args);
  free(c);
}

GCOMP_HIDDEN int gcomp_rt_cuda_create(const int64_t *table,
                                      const void *constants,
                                      int64_t workspace_bytes,
                                      const size_t *tensor_bytes,
                                      size_t num_tensors,
                                      gcomp_rt_cuda **out, char *err,
                                      size_t cap) {
  *out = NULL;
  if (table[0] != GCOMP_CUDA_FORMAT_VERSION)
    return cuda_fail(err, cap,
                     "the model's CUDA tables are format %lld; this runtime "
                     "reads format %d",
                     (long long)table[0], GCOMP_CUDA_FORMAT_VERSION);
  pthread_once(&g_driver_once, load_driver);
  if (!cu.handle || g_init_result != CUDA_SUCCESS)
    return cuda_fail(err, cap, "%s", g_driver_error);

  int ordinal = 0, count = 0;
  const char *env = getenv("GCOMP_CUDA_DEVICE");
  if (env && *env)
    ordinal = atoi(env);
  if (cu.DeviceGetCount(&count) != CUDA_SUCCESS || count == 0)
    return cuda_fail(err, cap, "no CUDA device: the driver sees no GPU");
  if (ordinal < 0 || ordinal >= count)
    return cuda_fail(err, cap,
                     "GCOMP_CUDA_DEVICE=%s: there are %d CUDA devices "
                     "(0..%d)",
                     env, count, count - 1);

  gcomp_rt_cuda *c = calloc(1, sizeof *c);
  if (!c)
    return cuda_fail(err, cap, "out of memory");
  char what[256];
  CUresult r = cu.DeviceGet(&c->device, ordinal);
  int major = 0, minor = 0;
  char name[128] = "?";
  if (r == CUDA_SUCCESS) {
    cu.DeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                          c->device);
    cu.DeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                          c->device);
    cu.DeviceGetName(name, sizeof name, c->device);
  }
  if (r == CUDA_SUCCESS && major * 10 + minor < table[2]) {
    cuda_fail(err, cap,
              "GPU %d (%s) is sm_%d%d; the model was compiled for sm_%lld "
              "(gcomp --gpu-arch)",
              ordinal, name, major, minor, (long long)table[2]);
    free(c);
    return 0;
  }
  if (r == CUDA_SUCCESS) {
    r = cu.DevicePrimaryCtxRetain(&c->context, c->device);
    if (r != CUDA_SUCCESS)
      c->context = NULL;
  }
  /* The runtime keeps one more reference for the rest of the process, as
   * CUDA's runtime API does: otherwise destroying the last instance would
   * destroy the context, with the modules loaded in it, and the next
   * instance would pay for a new context and compile the PTX again. */
  if (r == CUDA_SUCCESS && ordinal < GCOMP_RT_CUDA_MAX_DEVICES) {
    pthread_mutex_lock(&g_modules_lock);
    if (!g_device_kept[ordinal]) {
      CUcontext kept;
      if (cu.DevicePrimaryCtxRetain(&kept, c->device) == CUDA_SUCCESS)
        g_device_kept[ordinal] = 1;
    }
    pthread_mutex_unlock(&g_modules_lock);
  }
  if (r == CUDA_SUCCESS)
    r = cu.CtxSetCurrent(c->context);
  if (r != CUDA_SUCCESS) {
    describe(r, what, sizeof what);
    gcomp_rt_cuda_destroy(c);
    return cuda_fail(err, cap, "cannot use GPU %d (%s): %s", ordinal, name,
                     what);
  }
  if (!load_modules(ordinal, err, cap)) {
    gcomp_rt_cuda_destroy(c);
    return 0;
  }

  /* One allocation: the workspace, then the staging buffers. */
  c->num_tensors = num_tensors;
  c->staging = calloc(num_tensors + 1, sizeof *c->staging);
  c->staging_bytes = calloc(num_tensors + 1, sizeof *c->staging_bytes);
  c->args = calloc(num_tensors + 1, sizeof *c->args);
  c->graph_args = calloc(num_tensors + 1, sizeof *c->graph_args);
  if (!c->staging || !c->staging_bytes || !c->args || !c->graph_args) {
    gcomp_rt_cuda_destroy(c);
    return cuda_fail(err, cap, "out of memory");
  }
  size_t workspace = align_up((size_t)(workspace_bytes > 0 ? workspace_bytes : 0));
  size_t total = workspace;
  for (size_t i = 0; i < num_tensors; ++i) {
    c->staging_bytes[i] = tensor_bytes[i];
    total += align_up(tensor_bytes[i] ? tensor_bytes[i] : 1);
  }
  r = cu.MemAlloc(&c->memory, total ? total : STAGING_ALIGNMENT);
  if (r != CUDA_SUCCESS) {
    describe(r, what, sizeof what);
    c->memory = 0;
    gcomp_rt_cuda_destroy(c);
    return cuda_fail(err, cap,
                     "cannot allocate the model's %zu bytes on GPU %d (%s): "
                     "%s",
                     total, ordinal, name, what);
  }
  c->workspace = c->memory;
  CUdeviceptr next = c->memory + workspace;
  for (size_t i = 0; i < num_tensors; ++i) {
    c->staging[i] = next;
    next += align_up(tensor_bytes[i] ? tensor_bytes[i] : 1);
  }

  /* The weights, once. */
  const cuda_constant *weights = constants;
  for (int64_t i = 0; r == CUDA_SUCCESS && i < table[1]; ++i)
    if (weights[i].bytes > 0)
      r = cu.MemcpyHtoD(c->workspace + (CUdeviceptr)weights[i].offset,
                        weights[i].host, (size_t)weights[i].bytes);
  if (r == CUDA_SUCCESS)
    r = cu.StreamCreate(&c->stream, CU_STREAM_NON_BLOCKING);
  if (r != CUDA_SUCCESS) {
    describe(r, what, sizeof what);
    gcomp_rt_cuda_destroy(c);
    return cuda_fail(err, cap, "cannot set up the model on GPU %d (%s): %s",
                     ordinal, name, what);
  }
  const char *graphs = getenv("GCOMP_CUDA_GRAPHS");
  c->use_graphs = cu.StreamBeginCapture && cu.StreamEndCapture &&
                  cu.GraphInstantiate && cu.GraphLaunch &&
                  cu.GraphExecDestroy && cu.GraphDestroy &&
                  !(graphs && strcmp(graphs, "0") == 0);
  *out = c;
  return 1;
}

/* CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED .. CUDA_ERROR_CAPTURED_EVENT and
 * CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD: the capture, not the model,
 * failed. */
static int is_capture_error(CUresult r) { return r >= 900 && r <= 908; }

/* Records the entry's launches on `c->args` as a graph (c->graph), with the
 * entry's result; the first error, if any, goes to t_run. When the driver
 * cannot capture them, graphs are turned off for the instance and nothing
 * is recorded (the run launches its kernels one by one). */
static void record_graph(gcomp_rt_cuda *c, gcomp_rt_entry_fn entry,
                         size_t num_inputs) {
  if (c->graph) {
    cu.GraphExecDestroy(c->graph);
    c->graph = NULL;
  }
  CUresult r = cu.StreamBeginCapture(c->stream,
                                     CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
  if (r != CUDA_SUCCESS) {
    c->use_graphs = 0;
    return;
  }
  int32_t result = entry(c->args, c->args + num_inputs,
                         (void *)(uintptr_t)c->workspace);
  /* Ends the capture even after a failed launch: the stream must leave
   * capture mode. */
  CUgraph graph = NULL;
  r = cu.StreamEndCapture(c->stream, &graph);
  run_failed(r, "recording the model's kernels as a CUDA graph");
  CUgraphExec exec = NULL;
  if (t_run->error == CUDA_SUCCESS) {
    r = cu.GraphInstantiate(&exec, graph, 0);
    run_failed(r, "instantiating the model's CUDA graph");
  }
  if (graph)
    cu.GraphDestroy(graph);
  if (t_run->error != CUDA_SUCCESS) {
    if (exec)
      cu.GraphExecDestroy(exec);
    if (is_capture_error(t_run->error)) {
      t_run->error = CUDA_SUCCESS;
      t_run->failed_kernel = NULL;
      c->use_graphs = 0;
    }
    return;
  }
  c->graph = exec;
  c->graph_result = result;
  memcpy(c->graph_args, c->args, c->num_tensors * sizeof *c->args);
}

GCOMP_HIDDEN int gcomp_rt_cuda_run(gcomp_rt_cuda *c, gcomp_rt_entry_fn entry,
                                   void *const *data, size_t num_inputs,
                                   int on_device, int32_t *entry_result,
                                   char *err, size_t cap) {
  char what[256];
  CUresult r = cu.CtxSetCurrent(c->context);
  if (r != CUDA_SUCCESS) {
    describe(r, what, sizeof what);
    return cuda_fail(err, cap, "cannot make the model's GPU current: %s",
                     what);
  }
  cuda_run run = {c->stream, CUDA_SUCCESS, NULL};
  t_run = &run;
  /* The kernels access tensors 16 bytes at a time where they can
   * (gcomp-gpu-vectorize-loops), which needs 16-byte aligned tensors.
   * cudaMalloc's pointers and PyTorch's are; a caller's device pointer
   * that is not goes through the tensor's staging buffer, copied on the
   * device. */
  for (size_t i = 0; i < c->num_tensors; ++i) {
    int staged = !on_device || (uintptr_t)data[i] % DEVICE_ALIGNMENT != 0;
    c->args[i] = staged ? (void *)(uintptr_t)c->staging[i] : data[i];
  }
  for (size_t i = 0; i < num_inputs && !run.error; ++i) {
    if (!c->staging_bytes[i] || c->args[i] == data[i])
      continue;
    if (on_device)
      r = cu.MemcpyDtoDAsync(c->staging[i], (CUdeviceptr)(uintptr_t)data[i],
                             c->staging_bytes[i], c->stream);
    else
      r = cu.MemcpyHtoDAsync(c->staging[i], data[i], c->staging_bytes[i],
                             c->stream);
    run_failed(r, "copying the inputs to the GPU");
  }
  *entry_result = 0;
  if (!run.error && c->use_graphs) {
    if (!c->graph || memcmp(c->graph_args, c->args,
                            c->num_tensors * sizeof *c->args) != 0)
      record_graph(c, entry, num_inputs);
    if (!run.error && c->graph) {
      r = cu.GraphLaunch(c->graph, c->stream);
      run_failed(r, "launching the model's CUDA graph");
      *entry_result = c->graph_result;
    }
  }
  if (!run.error && !c->graph)
    *entry_result = entry(c->args, c->args + num_inputs,
                          (void *)(uintptr_t)c->workspace);
  for (size_t i = num_inputs; i < c->num_tensors && !run.error; ++i) {
    if (!c->staging_bytes[i] || c->args[i] == data[i])
      continue;
    if (on_device)
      r = cu.MemcpyDtoDAsync((CUdeviceptr)(uintptr_t)data[i], c->staging[i],
                             c->staging_bytes[i], c->stream);
    else
      r = cu.MemcpyDtoHAsync(data[i], c->staging[i], c->staging_bytes[i],
                             c->stream);
    run_failed(r, "copying the outputs from the GPU");
  }
  r = cu.StreamSynchronize(c->stream);
  run_failed(r, "the model's kernels");
  t_run = NULL;
  if (run.error != CUDA_SUCCESS) {
    describe(run.error, what, sizeof what);
    return cuda_fail(err, cap, "the GPU run failed in %s: %s",
                     run.failed_kernel ? run.failed_kernel : "?", what);
  }
  return 1;
}
