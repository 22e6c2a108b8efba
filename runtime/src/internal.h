/*===- internal.h - Declarations shared inside libgcomp_runtime -----------===*
 *
 * Not installed and not exported from a model.so: every declaration here has
 * hidden visibility. The unit tests link the runtime statically and call
 * these directly.
 *===----------------------------------------------------------------------===*/
#ifndef GCOMP_RUNTIME_INTERNAL_H
#define GCOMP_RUNTIME_INTERNAL_H

#include "gcomp/runtime.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GCOMP_HIDDEN __attribute__((visibility("hidden")))
#else
#define GCOMP_HIDDEN
#endif

/* A model's entry point (GCOMP_SYM_ENTRY in model_abi.h). */
typedef int32_t (*gcomp_rt_entry_fn)(void *const *inputs,
                                    void *const *outputs, void *workspace);

/* CUDA models (cuda.c). An instance's device state: its GPU, stream, and
 * one device allocation holding the workspace (weights included) and a
 * staging buffer per input and output. Each function returns 1 on success,
 * or 0 with a message in err. */
typedef struct gcomp_rt_cuda gcomp_rt_cuda;
/* Loads the driver (GCOMP_CUDA_DRIVER, else libcuda.so.1), picks the GPU
 * (GCOMP_CUDA_DEVICE, else 0), compiles the model's PTX, allocates and
 * copies the weights. `table` is GCOMP_SYM_CUDA, `constants`
 * GCOMP_SYM_CUDA_CONSTANTS; tensor_bytes[i] the bytes of input/output i. */
GCOMP_HIDDEN int gcomp_rt_cuda_create(const int64_t *table,
                                      const void *constants,
                                      int64_t workspace_bytes,
                                      const size_t *tensor_bytes,
                                      size_t num_tensors,
                                      gcomp_rt_cuda **out, char *err,
                                      size_t cap);
GCOMP_HIDDEN void gcomp_rt_cuda_destroy(gcomp_rt_cuda *c);
/* Runs `entry` on data[0..num_inputs) (inputs) and the rest (outputs):
 * device pointers if on_device, else host buffers staged through the
 * device. Returns when the GPU is done. */
GCOMP_HIDDEN int gcomp_rt_cuda_run(gcomp_rt_cuda *c, gcomp_rt_entry_fn entry,
                                   void *const *data, size_t num_inputs,
                                   int on_device, int32_t *entry_result,
                                   char *err, size_t cap);

/* Whether the running CPU (and OS, for the AVX and AVX-512 register state)
 * supports the x86 feature `name` (LLVM spelling: "avx2", "sse4.2",
 * "avx512f", ...): 1 if it does, 0 if it does not, -1 if the name is not
 * one the runtime knows. */
GCOMP_HIDDEN int gcomp_rt_cpu_has_feature(const char *name);

/* The widest vector code the runtime's own kernels (GEMM, conv, pools,
 * softmax, ...) use: what the CPU has, capped by the environment variable
 * GCOMP_MAX_CPU_ISA ("avx512", "avx2" or "portable"; anything else, or
 * unset, caps nothing). The cap is for comparing kernels and for testing
 * the narrower ones on a machine that has the wider; the model's generated
 * code is compiled for its --mcpu and is not affected. AVX2 means AVX2 and
 * FMA; AVX-512 means AVX512F. Read once per process. */
typedef enum gcomp_rt_isa {
  GCOMP_RT_ISA_PORTABLE = 0,
  GCOMP_RT_ISA_AVX2 = 1,
  GCOMP_RT_ISA_AVX512 = 2,
} gcomp_rt_isa;
GCOMP_HIDDEN gcomp_rt_isa gcomp_rt_kernel_isa(void);

/* Checks a comma-separated feature list such as "avx2,fma,avx512f" (an
 * LLVM target-feature string such as "+avx2,-sse4a" is accepted too: '+'
 * is dropped and '-' entries are skipped; unknown names are ignored).
 * Writes the known features the CPU lacks, comma-separated, to `missing`
 * (truncated to `missing_cap` bytes, always NUL-terminated when
 * missing_cap > 0) and returns how many there are. */
GCOMP_HIDDEN size_t gcomp_rt_missing_cpu_features(const char *features,
                                                  char *missing,
                                                  size_t missing_cap);

/* The calling thread's floating-point control word (x86: MXCSR; 0
 * elsewhere), and setting it (threads.c). */
GCOMP_HIDDEN unsigned gcomp_rt_fp_control(void);
GCOMP_HIDDEN void gcomp_rt_set_fp_control(unsigned control);
/* MXCSR's flush-to-zero and denormals-are-zero bits, and whether this is
 * a CPU that has them. */
#define GCOMP_RT_MXCSR_FTZ_DAZ 0x8040u
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define GCOMP_RT_X86_FP 1
#else
#define GCOMP_RT_X86_FP 0
#endif

/* The thread pool (threads.c). gcomp_rt_parallel runs fn(ctx, i, n) for
 * every i < n across the pool's threads (the caller among them) and
 * returns when all are done. */
typedef void (*gcomp_rt_task_fn)(void *ctx, int i, int n);
GCOMP_HIDDEN void gcomp_rt_parallel(gcomp_rt_task_fn fn, void *ctx, int n);
/* Threads the pool runs (starting it): GCOMP_NUM_THREADS, else the model's
 * default, else every CPU the process may use. */
GCOMP_HIDDEN int gcomp_rt_threads(void);
/* The default a model was compiled with (gcomp --threads); 0 = all CPUs.
 * Only the first non-zero value before the pool starts counts. */
GCOMP_HIDDEN void gcomp_rt_set_default_threads(int threads);

/* Splits [begin, end) across the pool for generated code (threads.c; see
 * GCOMP_SYM_PARALLEL_FOR in model_abi.h). */
GCOMP_HIDDEN void __gcomp_parallel_for(void (*task)(void *, int64_t, int64_t),
                                       void *ctx, int64_t begin, int64_t end);

/* The allocator of generated code (alloc.c): MLIR's generic allocation
 * functions, with large blocks kept for reuse by the calling thread. */
GCOMP_HIDDEN void *_mlir_memref_to_llvm_alloc(size_t size);
GCOMP_HIDDEN void _mlir_memref_to_llvm_free(void *ptr);

/* Depthwise 2-D convolution (dwconv.c; see GCOMP_SYM_DWCONV2D). */
GCOMP_HIDDEN void __gcomp_dwconv2d(int64_t channels, int64_t groups, int64_t h,
                                   int64_t w, int64_t kh, int64_t kw,
                                   int64_t sh, int64_t sw, int64_t dh,
                                   int64_t dw, int64_t oh, int64_t ow,
                                   const float *in, const float *weight,
                                   float *out);

/* Channels-last depthwise convolution with implicit zero padding
 * (dwconv.c; see GCOMP_SYM_DWCONV2D_NHWC in model_abi.h). */
GCOMP_HIDDEN void __gcomp_dwconv2d_nhwc(int64_t n, int64_t h, int64_t w,
                                        int64_t c, int64_t kh, int64_t kw,
                                        int64_t sh, int64_t sw, int64_t dh,
                                        int64_t dw, int64_t pt, int64_t pl,
                                        int64_t oh, int64_t ow, const float *in,
                                        const float *weight, float *out);

/* The same with the fused conv's epilogue (dwconv.c; see
 * GCOMP_SYM_DWCONV2D_NHWC_FUSED in model_abi.h). */
GCOMP_HIDDEN void __gcomp_dwconv2d_nhwc_fused(
    int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh, int64_t kw,
    int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pad_top,
    int64_t pad_left, int64_t oh, int64_t ow, int64_t m, const float *in,
    const float *weight, const float *bias, float *out, int64_t flags,
    int64_t clamp_bits);

/* Channels-last convolution with its epilogue, as an implicit GEMM
 * (conv.c; see GCOMP_SYM_CONV2D_NHWC in model_abi.h). */
GCOMP_HIDDEN void __gcomp_conv2d_nhwc(
    int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh, int64_t kw,
    int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pad_top,
    int64_t pad_left, int64_t oh, int64_t ow, int64_t m, const float *in,
    const float *weight_packed, const float *bias, float *out, int64_t flags,
    int64_t clamp_bits);

/* Channels-last max or average pooling (pool.c; see GCOMP_SYM_POOL2D_NHWC
 * in model_abi.h). */
GCOMP_HIDDEN void __gcomp_pool2d_nhwc(
    int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh, int64_t kw,
    int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pad_top,
    int64_t pad_left, int64_t pad_bottom, int64_t pad_right, int64_t oh,
    int64_t ow, const float *in, float *out, int64_t flags);

/* Softmax along the last axis (softmax.c; see GCOMP_SYM_SOFTMAX_ROWS in
 * model_abi.h). */
GCOMP_HIDDEN void __gcomp_softmax_rows(int64_t rows, int64_t n,
                                       const float *in, float *out,
                                       int64_t scale_bits);

/* Per-thread scratch buffers (scratch.c): slot `slot`'s buffer of at least
 * `bytes` bytes, 64-byte aligned, kept for the calling thread's later calls
 * (grown when a larger one is asked for; its contents are then lost) and
 * freed when the thread ends; null when out of memory. */
enum {
  GCOMP_RT_SCRATCH_GEMM_PACK,
  GCOMP_RT_SCRATCH_CONV_PACK,
  GCOMP_RT_SCRATCH_CONV_NHWC,
  GCOMP_RT_SCRATCH_ATTENTION,
  GCOMP_RT_SCRATCH_QCONV_ROWS,
  GCOMP_RT_SCRATCH_NBITS_ROWS,
  GCOMP_RT_SCRATCH_NBITS_TILE,
  GCOMP_RT_SCRATCH_SLOTS
};
GCOMP_HIDDEN void *gcomp_rt_thread_scratch(int slot, size_t bytes);
/* Makes the calling thread's scratch buffers and allocation cache be freed
 * when it ends (scratch.c); cheap after the first call. */
GCOMP_HIDDEN void gcomp_rt_release_at_thread_exit(void);
/* Frees the calling thread's cached memref blocks (alloc.c). */
GCOMP_HIDDEN void gcomp_rt_alloc_release_thread(void);

/* ONNX NonMaxSuppression (nms.c; see GCOMP_SYM_NMS in model_abi.h). */
GCOMP_HIDDEN void __gcomp_nms(int64_t batches, int64_t classes, int64_t boxes,
                              int64_t max_rows_per_class,
                              const float *box_data, const float *scores,
                              const int64_t *max_per_class,
                              const float *iou_threshold,
                              const float *score_threshold, int64_t *selected,
                              int64_t *count, int64_t flags);

/* ONNX GridSample (grid_sample.c; see GCOMP_SYM_GRID_SAMPLE). */
GCOMP_HIDDEN void __gcomp_grid_sample(int64_t n, int64_t c, int64_t rank,
                                      int64_t in0, int64_t in1, int64_t in2,
                                      int64_t out0, int64_t out1, int64_t out2,
                                      const float *x, const float *grid,
                                      float *y, int64_t flags);

/* ONNX RoiAlign (roi_align.c; see GCOMP_SYM_ROI_ALIGN). */
GCOMP_HIDDEN void __gcomp_roi_align(int64_t batches, int64_t channels,
                                    int64_t height, int64_t width,
                                    int64_t rois, int64_t out_h, int64_t out_w,
                                    const float *x, const float *roi_data,
                                    const int64_t *batch_indices, float *y,
                                    int64_t sampling_ratio, int64_t scale_bits,
                                    int64_t flags);

/* onnxruntime's MatMulNBits (nbits.c; see GCOMP_SYM_MATMUL_NBITS). */
GCOMP_HIDDEN void __gcomp_matmul_nbits(int64_t m, int64_t n, int64_t k,
                                       const float *a, const uint8_t *w,
                                       const float *scales,
                                       const float *zero_points,
                                       const float *bias, float *c,
                                       int64_t bits, int64_t block_size);
/* C[m, n] += A[m, k] * B with B in GCOMP_SYM_SGEMM_PACKED_B's panels
 * (`b_width` columns wide, this product's starting at column `b_col0`, a
 * multiple of the panel width), on the calling thread only (gemm.c). */
GCOMP_HIDDEN void gcomp_rt_sgemm_packed_serial(int64_t m, int64_t n,
                                               int64_t k, const float *a,
                                               int64_t a_rs,
                                               const float *b_packed,
                                               int64_t b_col0, int64_t b_width,
                                               float *c, int64_t c_rs);

/* ONNX Det (det.c; see GCOMP_SYM_DET). */
GCOMP_HIDDEN void __gcomp_det(int64_t batch, int64_t n, const float *in,
                              float *out);

/* Layer normalization over rows (layer_norm.c; see
 * GCOMP_SYM_LAYER_NORM_ROWS in model_abi.h). */
GCOMP_HIDDEN void __gcomp_layer_norm_rows(int64_t rows, int64_t n,
                                          const float *in, float *out,
                                          const float *scale,
                                          const float *bias,
                                          int64_t epsilon_bits);

/* C += A * B on strided f32 matrices (gemm.c; see GCOMP_SYM_SGEMM in
 * model_abi.h). */
GCOMP_HIDDEN void __gcomp_sgemm(int64_t m, int64_t n, int64_t k, const float *a,
                                int64_t a_rs, int64_t a_cs, const float *b,
                                int64_t b_rs, int64_t b_cs, float *c,
                                int64_t c_rs, int64_t c_cs, int64_t batch,
                                int64_t a_bs, int64_t b_bs, int64_t c_bs);
/* __gcomp_sgemm of one matrix on the calling thread only: for kernels that
 * already run on the pool's threads. */
GCOMP_HIDDEN void gcomp_rt_sgemm_serial(int64_t m, int64_t n, int64_t k,
                                        const float *a, int64_t a_rs,
                                        int64_t a_cs, const float *b,
                                        int64_t b_rs, int64_t b_cs, float *c,
                                        int64_t c_rs, int64_t c_cs);
/* One softmax row, out = softmax(scale * in), on the calling thread
 * (softmax.c); `out` may be `in`. */
GCOMP_HIDDEN void gcomp_rt_softmax_row(const float *in, float *out, int64_t n,
                                       float scale);
/* Scaled dot-product attention (attention.c; GCOMP_SYM_ATTENTION). */
GCOMP_HIDDEN void __gcomp_attention(
    int64_t b0, int64_t b1, int64_t s, int64_t t, int64_t d, int64_t dv,
    const float *q, int64_t q_s0, int64_t q_s1, int64_t q_rs, int64_t q_cs,
    const float *kt, int64_t k_s0, int64_t k_s1, int64_t k_rs, int64_t k_cs,
    const float *v, int64_t v_s0, int64_t v_s1, int64_t v_rs, int64_t v_cs,
    float *out, int64_t o_s0, int64_t o_s1, int64_t o_rs, int64_t o_cs,
    const float *mask, int64_t m_s0, int64_t m_s1, int64_t m_rs, int64_t m_cs,
    int64_t scale_bits, int64_t flags);
/* The int8 product of quantized models (qgemm.c; GCOMP_SYM_QGEMM). */
GCOMP_HIDDEN void __gcomp_qgemm_u8s8(int64_t m, int64_t n, int64_t k,
                                     const uint8_t *a, int64_t a_rs,
                                     const int32_t *a_zero,
                                     const int8_t *b_packed,
                                     const int32_t *b_sums, int32_t *c,
                                     int64_t c_rs, int64_t flags);
/* Rows [0, m) and 32-column blocks [b0, b1) of __gcomp_qgemm_u8s8's
 * product on the calling thread, with its best kernel (AMX for whole
 * 32-row blocks when k % 64 == 0, else VNNI, else portable): the blocks of
 * the quantized convolution (qconv.c). `zero` is the zero point as given. */
GCOMP_HIDDEN void gcomp_rt_qgemm_rows(int64_t m, int64_t n, int64_t k,
                                      const uint8_t *a, int64_t a_rs,
                                      int32_t zero, int is_signed,
                                      const int8_t *b_packed,
                                      const int32_t *b_sums, int32_t *c,
                                      int64_t c_rs, int64_t b0, int64_t b1);

/* Tests: makes __gcomp_qconv2d_nhwc's im2col buffer unavailable, as if
 * its allocation failed (1: it uses a small fixed buffer instead; 2: as if
 * even that were too small, a direct loop), or available again (0). */
GCOMP_HIDDEN void gcomp_rt_qconv_force_fallback(int mode);

/* The quantized channels-last convolution (qconv.c; GCOMP_SYM_QCONV2D_NHWC). */
GCOMP_HIDDEN void __gcomp_qconv2d_nhwc(
    int64_t n, int64_t h, int64_t w, int64_t c, int64_t kh, int64_t kw,
    int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t pad_top,
    int64_t pad_left, int64_t oh, int64_t ow, int64_t m, int64_t k_packed,
    const uint8_t *in, const int32_t *in_zero, const int8_t *weight_packed,
    const int32_t *weight_sums, const float *scale, const float *bias,
    int64_t requant_bits, void *out, int64_t flags);

/* Tests: makes __gcomp_qgemm_u8s8 (and __gcomp_qconv2d_nhwc) use its portable loop (1) or the best
 * one the CPU has (0, the default). */
GCOMP_HIDDEN void gcomp_rt_qgemm_force_portable(int on);
/* Whether it is forced to (qconv.c's epilogue follows it too). */
GCOMP_HIDDEN int gcomp_rt_qgemm_portable_forced(void);
/* The same with B packed at compile time (GCOMP_SYM_SGEMM_PACKED_B). */
GCOMP_HIDDEN void __gcomp_sgemm_packed_b(int64_t m, int64_t n, int64_t k,
                                         const float *a, int64_t a_rs,
                                         int64_t a_cs, const float *b_packed,
                                         float *c, int64_t c_rs, int64_t c_cs,
                                         int64_t batch, int64_t a_bs,
                                         int64_t b_bs, int64_t c_bs);

/*===----------------------------------------------------------------------===*
 * A growing string (runtime.c)
 *===----------------------------------------------------------------------===*/

/* Zero-initialize; data is NUL-terminated once anything was appended. On
 * allocation failure oom is set and later appends do nothing. */
typedef struct gcomp_rt_strbuf {
  char *data;
  size_t len;
  size_t cap;
  int oom;
} gcomp_rt_strbuf;

GCOMP_HIDDEN void gcomp_rt_sb_append(gcomp_rt_strbuf *sb, const char *s,
                                     size_t n);
GCOMP_HIDDEN void gcomp_rt_sb_puts(gcomp_rt_strbuf *sb, const char *s);
GCOMP_HIDDEN void gcomp_rt_sb_int(gcomp_rt_strbuf *sb, long long v);
/* A JSON string literal (quotes included). */
GCOMP_HIDDEN void gcomp_rt_sb_json_string(gcomp_rt_strbuf *sb, const char *s);

/*===----------------------------------------------------------------------===*
 * Per-kernel profiling (profile.c)
 *===----------------------------------------------------------------------===*/

/* The profile of one instance of a model compiled with gcomp --profile. */
typedef struct gcomp_rt_profile gcomp_rt_profile;

/* At most this many trace events (kernel calls and runs) per instance. */
#define GCOMP_RT_TRACE_CAPACITY ((size_t)1 << 20)
/* The most kernels a profile table may declare. */
#define GCOMP_RT_MAX_KERNELS ((int64_t)1 << 20)

/* Reads the model's profile tables (model_abi.h) into a new profile. With
 * neither table, sets *out to NULL and returns GCOMP_OK; on failure writes
 * a message to err (err_cap bytes) and returns the status. */
GCOMP_HIDDEN gcomp_status gcomp_rt_profile_create(const int64_t *kernels,
                                                  const char *names,
                                                  gcomp_rt_profile **out,
                                                  char *err, size_t err_cap);
GCOMP_HIDDEN void gcomp_rt_profile_destroy(gcomp_rt_profile *p);
GCOMP_HIDDEN size_t gcomp_rt_profile_num_kernels(const gcomp_rt_profile *p);
/* index < gcomp_rt_profile_num_kernels(p). */
GCOMP_HIDDEN void gcomp_rt_profile_kernel(const gcomp_rt_profile *p,
                                          size_t index,
                                          gcomp_kernel_profile *out);
GCOMP_HIDDEN void gcomp_rt_profile_reset(gcomp_rt_profile *p);
/* Events the trace could not hold since creation or the last reset. */
GCOMP_HIDDEN uint64_t gcomp_rt_profile_dropped(const gcomp_rt_profile *p);
/* For tests: a smaller cap than GCOMP_RT_TRACE_CAPACITY. */
GCOMP_HIDDEN void gcomp_rt_profile_set_trace_capacity(gcomp_rt_profile *p,
                                                      size_t max_events);

/* Around one call of the model's entry point on this thread: run_begin
 * makes p the thread's current profile, which __gcomp_prof_begin/end
 * record into, and returns the previous one, which run_end restores. */
GCOMP_HIDDEN gcomp_rt_profile *gcomp_rt_profile_run_begin(gcomp_rt_profile *p);
GCOMP_HIDDEN void gcomp_rt_profile_run_end(gcomp_rt_profile *p,
                                           gcomp_rt_profile *previous);

/* Writes the trace as Chrome trace-event JSON (see runtime.h). */
GCOMP_HIDDEN gcomp_status
gcomp_rt_profile_write_trace(const gcomp_rt_profile *p, const char *path,
                             const char *producer, char *err, size_t err_cap);

/* Called by the compiled code (model_abi.h). */
GCOMP_HIDDEN void __gcomp_prof_begin(int32_t kernel);
GCOMP_HIDDEN void __gcomp_prof_end(int32_t kernel);

#ifdef __cplusplus
}
#endif
#endif /* GCOMP_RUNTIME_INTERNAL_H */
