/*===- gcomp/runtime.h - C ABI of a model compiled by gcomp ---------------===*
 *
 * Every model.so produced by `gcomp` exports exactly the functions declared
 * here (optionally behind a symbol prefix, see `gcomp --symbol-prefix`).
 * The header is plain C99, has no dependencies, and is versioned: a caller
 * can compare GCOMP_RUNTIME_ABI_VERSION with gcomp_abi_version() at run time.
 *
 * Usage:
 *   gcomp_model *m;
 *   if (gcomp_model_create(&m) != GCOMP_OK) { puts(gcomp_last_error()); ... }
 *   gcomp_tensor in = {x_data, sizeof x_data, GCOMP_DTYPE_FLOAT32, 2, x_dims};
 *   gcomp_tensor out = {y_data, sizeof y_data, GCOMP_DTYPE_FLOAT32, 2, y_dims};
 *   if (gcomp_model_run(m, &in, 1, &out, 1) != GCOMP_OK)
 *     puts(gcomp_model_last_error(m));
 *   gcomp_model_destroy(m);
 *
 * Threading: separate instances of one model may be created, run and
 * destroyed concurrently from any threads; each instance's runs give the
 * same results as serial runs. One instance runs one call at a time: a run
 * on an instance that is already running in another thread returns
 * GCOMP_ERR_BUSY at once (message in gcomp_last_error()) and leaves the
 * running call undisturbed. Destroying an instance while it runs is
 * undefined, as for any object freed while in use.
 *===----------------------------------------------------------------------===*/
#ifndef GCOMP_RUNTIME_H
#define GCOMP_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a declaration below changes incompatibly. */
#define GCOMP_RUNTIME_ABI_VERSION 1

#if defined(__GNUC__)
#define GCOMP_API __attribute__((visibility("default")))
#else
#define GCOMP_API
#endif

/* Status codes. Every fallible call returns one; none aborts. */
typedef enum gcomp_status {
  GCOMP_OK = 0,
  GCOMP_ERR_INVALID_ARGUMENT = 1, /* null pointer, bad index, wrong count */
  GCOMP_ERR_DTYPE_MISMATCH = 2,   /* a tensor's element type is not the model's */
  GCOMP_ERR_SHAPE_MISMATCH = 3,   /* a tensor's rank or dims are not the model's */
  GCOMP_ERR_BUFFER_TOO_SMALL = 4, /* size_bytes is less than the tensor needs */
  GCOMP_ERR_OUT_OF_MEMORY = 5,
  GCOMP_ERR_UNSUPPORTED_CPU = 6,  /* the model uses CPU features this CPU lacks */
  GCOMP_ERR_INTERNAL = 7,
  GCOMP_ERR_DEVICE = 8,           /* a CUDA model: no driver or GPU, or the GPU failed */
  GCOMP_ERR_BUSY = 9              /* the instance is running in another thread */
} gcomp_status;

/* Element types, numbered as ONNX's TensorProto.DataType. */
typedef enum gcomp_dtype {
  GCOMP_DTYPE_UNDEFINED = 0,
  GCOMP_DTYPE_FLOAT32 = 1,
  GCOMP_DTYPE_UINT8 = 2,
  GCOMP_DTYPE_INT8 = 3,
  GCOMP_DTYPE_UINT16 = 4,
  GCOMP_DTYPE_INT16 = 5,
  GCOMP_DTYPE_INT32 = 6,
  GCOMP_DTYPE_INT64 = 7,
  GCOMP_DTYPE_BOOL = 9,
  GCOMP_DTYPE_FLOAT16 = 10,
  GCOMP_DTYPE_FLOAT64 = 11,
  GCOMP_DTYPE_UINT32 = 12,
  GCOMP_DTYPE_UINT64 = 13,
  GCOMP_DTYPE_BFLOAT16 = 16
} gcomp_dtype;

/* A model's declared input or output. dims[i] == -1 marks a dynamic dim.
 * The pointers stay valid for the life of the instance. */
typedef struct gcomp_tensor_info {
  const char *name;
  int32_t dtype; /* a gcomp_dtype */
  int32_t rank;
  const int64_t *dims;
} gcomp_tensor_info;

/* A caller's tensor: dense, row-major, no padding. */
typedef struct gcomp_tensor {
  void *data;
  size_t size_bytes; /* capacity of data in bytes */
  int32_t dtype;     /* a gcomp_dtype */
  int32_t rank;
  const int64_t *dims;
} gcomp_tensor;

typedef struct gcomp_model gcomp_model;

/* The gcomp version that produced this library, e.g. "0.1.0". */
GCOMP_API const char *gcomp_version(void);
/* GCOMP_RUNTIME_ABI_VERSION of the library. */
GCOMP_API uint32_t gcomp_abi_version(void);
/* The message of the last failed call on this thread that had no instance
 * to report on (gcomp_model_create); "" if none. */
GCOMP_API const char *gcomp_last_error(void);

GCOMP_API gcomp_status gcomp_model_create(gcomp_model **out_model);
GCOMP_API void gcomp_model_destroy(gcomp_model *model);

GCOMP_API size_t gcomp_model_num_inputs(const gcomp_model *model);
GCOMP_API size_t gcomp_model_num_outputs(const gcomp_model *model);
GCOMP_API gcomp_status gcomp_model_input_info(const gcomp_model *model,
                                              size_t index,
                                              gcomp_tensor_info *out_info);
GCOMP_API gcomp_status gcomp_model_output_info(const gcomp_model *model,
                                               size_t index,
                                               gcomp_tensor_info *out_info);
/* Index of the input/output with that name, or -1. */
GCOMP_API int64_t gcomp_model_input_index(const gcomp_model *model,
                                          const char *name);
GCOMP_API int64_t gcomp_model_output_index(const gcomp_model *model,
                                           const char *name);

/* The whole signature as one JSON object:
 * {"abi_version":1,"inputs":[{"name":"x","dtype":"float32","elem_type":1,
 *   "shape":[2,4]}],"outputs":[...]}   (a dynamic dim is -1). A tensor whose
 * dims the model names (ONNX dim_param) also has "dim_names":["batch",""]
 * ("" for a dim without a name). */
GCOMP_API const char *gcomp_model_signature_json(const gcomp_model *model);

/* Runs the model. inputs[i] / outputs[i] follow the model's input/output
 * order. Every tensor's dtype, rank and dims must match the model's; each
 * output's size_bytes must be at least what it needs (otherwise
 * GCOMP_ERR_BUFFER_TOO_SMALL, and the message names the size needed). An
 * output may not share a byte with an input or another output
 * (GCOMP_ERR_INVALID_ARGUMENT). */
GCOMP_API gcomp_status gcomp_model_run(gcomp_model *model,
                                       const gcomp_tensor *inputs,
                                       size_t num_inputs,
                                       gcomp_tensor *outputs,
                                       size_t num_outputs);

/* Runs the model into buffers that the instance owns. On success
 * *out_outputs points at num_outputs tensors (data, dims, size_bytes set),
 * valid until the next run on this instance or its destruction. */
GCOMP_API gcomp_status gcomp_model_run_alloc(gcomp_model *model,
                                             const gcomp_tensor *inputs,
                                             size_t num_inputs,
                                             const gcomp_tensor **out_outputs,
                                             size_t *out_num_outputs);

/* Outputs whose size depends on the input values (NonZero, Compress,
 * Unique, NonMaxSuppression, ...) have -1 in the dims that vary, and a
 * "max_shape" in the JSON signature. gcomp_model_run_alloc returns them
 * with their actual dims. gcomp_model_run reads neither their dims nor
 * their size before the run (only the dtype and rank are checked): after
 * it, the result is copied into the buffer if size_bytes holds it, and
 * otherwise the run fails with GCOMP_ERR_BUFFER_TOO_SMALL, naming the
 * shape and size needed, which gcomp_model_output_dims then reports (run
 * again with a larger buffer).
 *
 * gcomp_model_output_dims: the dims output `index` had in this instance's
 * last run (one that succeeded, or failed only for a buffer too small for
 * such an output): *out_rank dims at *out_dims, valid until the next run
 * or the instance's destruction. GCOMP_ERR_INVALID_ARGUMENT before the
 * first run. */
GCOMP_API gcomp_status gcomp_model_output_dims(const gcomp_model *model,
                                               size_t index,
                                               int32_t *out_rank,
                                               const int64_t **out_dims);

/* A model compiled with gcomp --target=cuda: runs it on tensors whose data
 * are device pointers (CUdeviceptr) on the model's GPU, for callers that
 * keep their data there; the checks are gcomp_model_run's. Returns when the
 * GPU is done. Pointers aligned to 16 bytes (cudaMalloc's are) are used in
 * place; others are copied through a buffer of the instance's, on the GPU. (gcomp_model_run takes host buffers for any model and copies
 * them to and from the GPU.) A CPU model refuses it
 * (GCOMP_ERR_INVALID_ARGUMENT). */
GCOMP_API gcomp_status gcomp_model_run_device(gcomp_model *model,
                                              const gcomp_tensor *inputs,
                                              size_t num_inputs,
                                              gcomp_tensor *outputs,
                                              size_t num_outputs);

/* What the model runs on: "cpu", or "cuda" (gcomp --target=cuda; creating
 * such an instance loads the CUDA driver and fails with GCOMP_ERR_DEVICE
 * where there is none or no GPU). */
GCOMP_API const char *gcomp_model_target(const gcomp_model *model);

/* The message of the last failed call on this instance; "" if none. */
GCOMP_API const char *gcomp_model_last_error(const gcomp_model *model);

/* Per-kernel profiling, for a model compiled with `gcomp --profile` (the
 * functions exist in every model; without --profile it has no kernels to
 * report and running it costs nothing extra).
 *
 * Each run (gcomp_model_run / gcomp_model_run_alloc) of such a model records
 * on the instance, for each kernel (loop nest) of the compiled code, how
 * often it ran and for how long (CLOCK_MONOTONIC), and a trace of every
 * kernel call and of every run, up to 1048576 events (later ones are
 * dropped and counted; the totals keep counting). */
typedef struct gcomp_kernel_profile {
  const char *kernel;    /* label, e.g. "k3.generic" */
  const char *nodes;     /* the ONNX nodes it covers, "fc1,relu1"; may be "" */
  uint64_t calls;        /* calls since creation or the last reset */
  double total_ms;       /* their total time */
  double flops_per_call; /* compiler's estimate of one call; 0 if unknown */
} gcomp_kernel_profile;

/* Number of kernels; 0 unless the model was compiled with gcomp --profile
 * (or model is null). Kernels are numbered 0.. in execution order. */
GCOMP_API size_t gcomp_model_profile_num_kernels(const gcomp_model *model);
/* Kernel `index`'s counters. The strings live as long as the library. */
GCOMP_API gcomp_status gcomp_model_profile_kernel(const gcomp_model *model,
                                                  size_t index,
                                                  gcomp_kernel_profile *out);
/* Clears the counters and the trace (e.g. after warm-up runs); the next
 * run becomes the trace's time origin. A no-op without profiling. */
GCOMP_API void gcomp_model_profile_reset(gcomp_model *model);
/* Writes the trace recorded since creation or the last reset to `path` as
 * Chrome trace-event JSON (open it in https://ui.perfetto.dev or
 * chrome://tracing): {"traceEvents":[...]} with one complete event
 * ("ph":"X", "ts"/"dur" in microseconds from the first run) per run, named
 * "run", and per kernel call, named by the kernel's label with
 * "args":{"nodes":"..."}. GCOMP_ERR_INVALID_ARGUMENT if the model was not
 * compiled with --profile or the file cannot be created, GCOMP_ERR_INTERNAL
 * if writing fails. */
GCOMP_API gcomp_status gcomp_model_profile_write_trace(const gcomp_model *model,
                                                       const char *path);

/* Bytes per element of a gcomp_dtype, 0 if unknown. */
GCOMP_API size_t gcomp_dtype_size(int32_t dtype);
/* "float32", "int64", ...; "undefined" if unknown. */
GCOMP_API const char *gcomp_dtype_name(int32_t dtype);

#ifdef __cplusplus
}
#endif
#endif /* GCOMP_RUNTIME_H */
