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
#define GCOMP_MODEL_ABI_VERSION 2

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
/* int32_t GCOMP_SYM_ENTRY(void *const *inputs, void *const *outputs,
 *                         void *workspace):
 * runs the model on dense row-major buffers whose shapes the runtime has
 * already checked; returns 0 on success. `workspace` holds the model's
 * intermediate buffers (their offsets are planned at compile time): at
 * least GCOMP_SYM_WORKSPACE_BYTES bytes, 64-byte aligned, owned by one
 * model instance and used by one run at a time. (Version 1 had no
 * workspace.) */
#define GCOMP_SYM_ENTRY "__gcomp_entry"
/* const int64_t GCOMP_SYM_WORKSPACE_BYTES[1]: the workspace size. Optional:
 * a model without it needs no workspace (and gets a null pointer). */
#define GCOMP_SYM_WORKSPACE_BYTES "__gcomp_workspace_bytes"

/* Per-kernel profiling (`gcomp --profile`). Optional: a model compiled
 * without --profile defines none of the four symbols below, and the runtime
 * refers to the two tables as weak symbols. They are an addition, not a
 * layout change, so GCOMP_MODEL_ABI_VERSION stays 1.
 *
 * const int64_t GCOMP_SYM_PROFILE_KERNELS[]:
 *   [0] N, the number of kernels (0 <= N <= 1048576)
 *   [1 + i] for kernel i in 0..N-1: the estimated floating-point operations
 *           of one call of the kernel (>= 0; 0 if unknown)               */
#define GCOMP_SYM_PROFILE_KERNELS "__gcomp_profile_kernels"
/* const char GCOMP_SYM_PROFILE_NAMES[]: for each kernel i in 0..N-1, two
 * NUL-terminated strings: the kernel's label ("k3.generic"; must not be
 * empty), then the comma-separated names of the ONNX nodes it covers
 * ("fc1,relu1"; may be ""). Defined whenever GCOMP_SYM_PROFILE_KERNELS is. */
#define GCOMP_SYM_PROFILE_NAMES "__gcomp_profile_names"
/* void GCOMP_SYM_PROF_BEGIN(int32_t kernel), GCOMP_SYM_PROF_END(int32_t
 * kernel): defined by the runtime (C ABI, hidden). A model compiled with
 * --profile calls begin(k) right before and end(k) right after kernel k,
 * 0 <= k < N, on the thread that called GCOMP_SYM_ENTRY (never from inside
 * a parallel region), in execution order: begin k, end k, begin k', end k',
 * ... (pairs never overlap). A kernel may run several times per entry call.
 * Calls outside a run through the runtime, and ids out of range, are
 * ignored. */
#define GCOMP_SYM_PROF_BEGIN "__gcomp_prof_begin"
#define GCOMP_SYM_PROF_END "__gcomp_prof_end"

/* const int64_t GCOMP_SYM_THREADS[1]: the number of threads the model runs
 * on by default (gcomp --threads; 0: every CPU the process may use); the
 * environment variable GCOMP_NUM_THREADS overrides it. Optional. */
#define GCOMP_SYM_THREADS "__gcomp_threads"

/* const int64_t GCOMP_SYM_FP_FLAGS[1]: how the model's runs treat floats.
 * Bit 0 (GCOMP_FP_FLUSH_DENORMALS, gcomp --flush-denormals): denormal
 * results are flushed to zero and denormal operands read as zero (x86:
 * MXCSR's FTZ and DAZ, set for the run on the calling thread and on the
 * pool's threads, and restored after it). Optional; absent is 0. */
#define GCOMP_SYM_FP_FLAGS "__gcomp_fp_flags"
#define GCOMP_FP_FLUSH_DENORMALS 1

/* void GCOMP_SYM_ATTENTION(int64_t b0, int64_t b1, int64_t s, int64_t t,
 *     int64_t d, int64_t dv,
 *     const float *q,  int64_t q_s0, int64_t q_s1, int64_t q_rs, int64_t q_cs,
 *     const float *kt, int64_t k_s0, int64_t k_s1, int64_t k_rs, int64_t k_cs,
 *     const float *v,  int64_t v_s0, int64_t v_s1, int64_t v_rs, int64_t v_cs,
 *     float *out,      int64_t o_s0, int64_t o_s1, int64_t o_rs, int64_t o_cs,
 *     const float *mask, int64_t m_s0, int64_t m_s1, int64_t m_rs, int64_t m_cs,
 *     int64_t scale_bits, int64_t flags):
 * defined by the runtime (C ABI, hidden). Scaled dot-product attention for
 * each of b0 x b1 heads (i0, i1): with Q [s, d], Kt [d, t], V [t, dv] and
 * O [s, dv] the head's matrices, element (r, c) of Q being
 * q[i0 * q_s0 + i1 * q_s1 + r * q_rs + c * q_cs] (strides in elements, and
 * likewise for the others), O = softmax(sc * Q Kt + M) V row by row, where
 * sc is the f32 whose bit pattern is the low 32 bits of scale_bits and M
 * [s, t] the head's mask (read like the others; strides of 0 broadcast it),
 * or 0 if `mask` is null. With flags &
 * GCOMP_ATTENTION_CAUSAL, query row r sees only keys c <= r + t - s (the
 * rest count as -inf). `out` must not overlap the inputs. Pointers are
 * passed as integers. */
#define GCOMP_SYM_ATTENTION "__gcomp_attention"
#define GCOMP_ATTENTION_CAUSAL 1

/* const char GCOMP_SYM_DIM_NAMES[]: for each input then output, for each of
 * its dims, the model's name of the dim (ONNX dim_param, "batch") or "" if
 * it has none, each NUL-terminated. Optional: absent when the model names
 * no dim. An addition: GCOMP_MODEL_ABI_VERSION stays 2. */
#define GCOMP_SYM_DIM_NAMES "__gcomp_dim_names"

/* Several static variants of the model in one library (gcomp --specialize).
 * Optional, and an addition: GCOMP_MODEL_ABI_VERSION stays 2.
 *
 * const int64_t GCOMP_SYM_VARIANTS[]:
 *   [0] V, the number of variants (1 <= V <= GCOMP_MAX_VARIANTS)
 *   then for each variant, for each input then each output (signature
 *   order): its dims, as many as the signature gives it (no -1).
 * int32_t (*const GCOMP_SYM_VARIANT_ENTRIES[])(void *const *inputs,
 *                                               void *const *outputs,
 *                                               void *workspace):
 *   the V variants' entry functions, each with GCOMP_SYM_ENTRY's contract
 *   for tensors of exactly that variant's shapes.
 * With them, GCOMP_SYM_SIGNATURE has -1 wherever the variants differ,
 * GCOMP_SYM_WORKSPACE_BYTES is the largest variant's workspace, and
 * GCOMP_SYM_ENTRY is the first variant's entry. A run takes the first
 * variant whose input dims equal the caller's, and refuses inputs that
 * match none. */
#define GCOMP_SYM_VARIANTS "__gcomp_variants"
#define GCOMP_SYM_VARIANT_ENTRIES "__gcomp_variant_entries"
#define GCOMP_MAX_VARIANTS 4096
/* A generic model: code for symbolic dims (gcomp without --dim, --shape or
 * --specialize for them), one entry for every size. Optional, and an
 * addition: GCOMP_MODEL_ABI_VERSION stays 2.
 *
 * const int64_t GCOMP_SYM_DYNAMIC_DIMS[]:
 *   [0] GCOMP_DYNAMIC_DIMS_VERSION
 *   [1] O, then O records (output, dim, input, input_dim): that dynamic
 *       output dim has the size of that input dim (every dynamic output dim
 *       has one record)
 *   then C, then C records (input a, dim a, input b, dim b): the two input
 *       dims must be equal (the model's code reads them as one loop)
 *   then F, then F records of a dynamic output dim computed from input
 *       dims (a KV cache's past + seq): output, dim, T (1 <= T <= 64), then
 *       T terms, each its coefficient, its degree k (0 <= k <= 16) and k
 *       (input, input_dim) pairs whose sizes it multiplies: the size is the
 *       sum of the terms (a run where it is negative or overflows is
 *       refused). Every dynamic output dim has a record here or above.
 * With it, GCOMP_SYM_ENTRY has the signature
 *   int32_t (void *const *inputs, void *const *outputs, void *workspace,
 *            const int64_t *dims)
 * where `dims` holds every input's dims, in input order, then every
 * output's: the sizes the run has, checked against the records above by
 * the runtime before the call. GCOMP_SYM_WORKSPACE_BYTES is the part of the
 * workspace that does not depend on the sizes; buffers that do come from
 * the runtime's allocator during the run. */
#define GCOMP_SYM_DYNAMIC_DIMS "__gcomp_dynamic_dims"
#define GCOMP_DYNAMIC_DIMS_VERSION 2
#define GCOMP_DYNAMIC_DIMS_MAX_TERMS 64
#define GCOMP_DYNAMIC_DIMS_MAX_DEGREE 16

/* CUDA models (gcomp --target=cuda). Optional, and an addition:
 * GCOMP_MODEL_ABI_VERSION stays 2. A model that defines GCOMP_SYM_CUDA runs
 * on an NVIDIA GPU: GCOMP_SYM_ENTRY then takes device pointers (inputs,
 * outputs and the workspace), and launches its kernels through the
 * mgpu* functions that the runtime defines (runtime/src/cuda.c) on the
 * stream of the run in progress.
 *
 * const int64_t GCOMP_SYM_CUDA[3]:
 *   [0] GCOMP_CUDA_FORMAT_VERSION
 *   [1] C, the number of entries of GCOMP_SYM_CUDA_CONSTANTS
 *   [2] the SM version the kernels' PTX was generated for (80: sm_80)
 * const struct { const void *host; int64_t offset; int64_t bytes; }
 *   GCOMP_SYM_CUDA_CONSTANTS[C]:
 *   the model's weights: `bytes` bytes at `host` belong at `offset` in the
 *   device workspace (GCOMP_SYM_WORKSPACE_BYTES counts them); the runtime
 *   copies them once per instance, when it is created. Absent when C = 0. */
#define GCOMP_SYM_CUDA "__gcomp_cuda"
#define GCOMP_SYM_CUDA_CONSTANTS "__gcomp_cuda_constants"
#define GCOMP_CUDA_FORMAT_VERSION 1

/* void GCOMP_SYM_SGEMM(int64_t m, int64_t n, int64_t k,
 *                      const float *a, int64_t a_rs, int64_t a_cs,
 *                      const float *b, int64_t b_rs, int64_t b_cs,
 *                      float *c, int64_t c_rs, int64_t c_cs,
 *                      int64_t batch, int64_t a_bs, int64_t b_bs, int64_t c_bs):
 * defined by the runtime (C ABI, hidden). For i < batch:
 * C_i[m, n] += A_i[m, k] * B_i[k, n], where element (r, s) of A_i is
 * a[i * a_bs + r * a_rs + s * a_cs] (strides in elements, any sign or 0),
 * and likewise for B_i and C_i. C_i must not overlap A_i or B_i. Generated
 * code passes the pointers as integers (an x86-64 pointer argument). */
#define GCOMP_SYM_SGEMM "__gcomp_sgemm"

/* void GCOMP_SYM_SGEMM_PACKED_B(int64_t m, int64_t n, int64_t k,
 *                               const float *a, int64_t a_rs, int64_t a_cs,
 *                               const float *b_packed, float *c,
 *                               int64_t c_rs, int64_t c_cs, int64_t batch,
 *                               int64_t a_bs, int64_t b_bs, int64_t c_bs):
 * GCOMP_SYM_SGEMM with B packed ahead of time (the compiler does it for
 * constant weights). With P = GCOMP_SGEMM_PANEL, KC = GCOMP_SGEMM_KC and
 * w = n rounded up to a multiple of P: B_i starts at b_packed + i * b_bs
 * and holds the rows of B_i in slices of KC (the last one kc = what is
 * left); slice s starts at s * KC * w and holds w / P panels, panel q
 * being the slice's kc rows of columns q * P .. q * P + P - 1, each row P
 * contiguous floats, zero past n. The address must be 64-byte aligned.
 * (The runtime is linked into every model, so the compiler and the runtime
 * that read this layout always come from one build.) */
#define GCOMP_SYM_SGEMM_PACKED_B "__gcomp_sgemm_packed_b"
#define GCOMP_SGEMM_PANEL 16
#define GCOMP_SGEMM_KC 256

/* void GCOMP_SYM_QGEMM(int64_t m, int64_t n, int64_t k, const uint8_t *a,
 *                      int64_t a_rs, const int32_t *a_zero,
 *                      const int8_t *b_packed, const int32_t *b_sums,
 *                      int32_t *c, int64_t c_rs, int64_t flags):
 * defined by the runtime (C ABI, hidden). The integer product of a
 * quantized model: C[r, j] = sum over p < k of (A[r, p] - z) * B[p, j] in
 * int32, for r < m and j < n, where A[r, p] = a[r * a_rs + p] is read as
 * uint8, or as int8 with flags & GCOMP_QGEMM_A_SIGNED, z = *a_zero (read
 * when the call runs: a dynamically quantized input's zero point), B the
 * int8 [k, n] matrix the compiler packed and b_sums its column sums
 * (int32, zero past n). C's rows are c_rs elements apart; it is written,
 * not added to, and must not overlap the inputs. With k4 = ceil(k / 4)
 * and w = n rounded up to a multiple of GCOMP_QGEMM_BLOCK (32), b_packed
 * holds w / 32 blocks of k4 * 128 bytes; in block q, the 128 bytes of
 * step s are two 16-column halves, and column j of half h holds the four
 * bytes B[4s .. 4s + 3, 32q + 16h + j] (zero past k and n): the operand
 * layout of AVX512-VNNI's vpdpbusd. Pointers are passed as integers. */
#define GCOMP_SYM_QGEMM "__gcomp_qgemm_u8s8"
#define GCOMP_QGEMM_BLOCK 32
#define GCOMP_QGEMM_A_SIGNED 1

/* void GCOMP_SYM_QCONV2D_NHWC(int64_t n, int64_t h, int64_t w, int64_t c,
 *                             int64_t kh, int64_t kw, int64_t sh,
 *                             int64_t sw, int64_t dh, int64_t dw,
 *                             int64_t pad_top, int64_t pad_left, int64_t oh,
 *                             int64_t ow, int64_t m, int64_t k_packed,
 *                             const uint8_t *in, const int32_t *in_zero,
 *                             const int8_t *weight_packed,
 *                             const int32_t *weight_sums,
 *                             const float *scale, const float *bias,
 *                             int64_t requant_bits, void *out,
 *                             int64_t flags):
 * defined by the runtime (C ABI, hidden). A channels-last 2-D quantized
 * convolution with one group: `in` is [n, h, w, c] uint8 (int8 with
 * GCOMP_QCONV_INPUT_SIGNED), z = *in_zero, and
 *   acc[b, y, x, o] = sum over ky, kx, ch of
 *     (in[b, y * sh + ky * dh - pad_top, x * sw + kx * dw - pad_left, ch]
 *      - z) * W[ky, kx, ch, o]
 * in int32, positions outside the input counting as z (so adding
 * nothing). W is the [kh * kw * c, m] int8 matrix (rows past kh * kw * c
 * up to k_packed being zero) packed as for GCOMP_SYM_QGEMM with k =
 * k_packed, and weight_sums its column sums. `out` is [n, oh, ow, m] of:
 *   GCOMP_QCONV_OUT_I32: acc (int32);
 *   GCOMP_QCONV_OUT_F32: y = (float)acc * scale[o] + bias[o] (f32; two
 *     roundings, not a fused multiply-add; bias may be null for 0), then
 *     max(y, 0) with GCOMP_QCONV_RELU;
 *   GCOMP_QCONV_OUT_Q8: y as for OUT_F32, then requantized to a byte:
 *     min(max(round_half_even(y / s) + zy, lo), hi) with s and zy the f32
 *     bit patterns in the low and high 32 bits of requant_bits, and [lo, hi]
 *     [0, 255] (uint8), or [-128, 127] with GCOMP_QCONV_OUT_SIGNED.
 * The result is what the same float operations, one at a time, give.
 * `out` must not overlap the inputs. Pointers are passed as integers. */
#define GCOMP_SYM_QCONV2D_NHWC "__gcomp_qconv2d_nhwc"
#define GCOMP_QCONV_INPUT_SIGNED 1
#define GCOMP_QCONV_OUT_I32 0
#define GCOMP_QCONV_OUT_F32 2
#define GCOMP_QCONV_OUT_Q8 4
#define GCOMP_QCONV_OUT_KIND 6
#define GCOMP_QCONV_OUT_SIGNED 8
#define GCOMP_QCONV_RELU 16

/* void GCOMP_SYM_DWCONV2D(int64_t channels, int64_t groups, int64_t h,
 *                         int64_t w, int64_t kh, int64_t kw, int64_t sh,
 *                         int64_t sw, int64_t dh, int64_t dw, int64_t oh,
 *                         int64_t ow, const float *in, const float *weight,
 *                         float *out):
 * defined by the runtime (C ABI, hidden). A depthwise 2-D convolution of
 * `channels` = N x groups contiguous [h, w] planes (already padded) with
 * the [kh, kw] kernel of channel c % groups, added into `out`'s [oh, ow]
 * planes. Pointers are passed as integers. */
#define GCOMP_SYM_DWCONV2D "__gcomp_dwconv2d"

/* void GCOMP_SYM_DWCONV2D_NHWC(int64_t n, int64_t h, int64_t w, int64_t c,
 *                              int64_t kh, int64_t kw, int64_t sh,
 *                              int64_t sw, int64_t dh, int64_t dw,
 *                              int64_t pad_top, int64_t pad_left,
 *                              int64_t oh, int64_t ow, const float *in,
 *                              const float *weight, float *out):
 * defined by the runtime (C ABI, hidden). A channels-last depthwise 2-D
 * convolution: `in` is [n, h, w, c] (unpadded), `weight` [kh, kw, c], and
 * out[b, y, x, ch] += sum over the window of
 * in[b, y * sh + ky * dh - pad_top, x * sw + kx * dw - pad_left, ch] *
 * weight[ky, kx, ch], positions outside the input counting as zero.
 * Pointers are passed as integers. */
#define GCOMP_SYM_DWCONV2D_NHWC "__gcomp_dwconv2d_nhwc"

/* void GCOMP_SYM_DWCONV2D_NHWC_FUSED(<the arguments of
 *                                    GCOMP_SYM_CONV2D_NHWC>):
 * defined by the runtime (C ABI, hidden). The channels-last depthwise
 * convolution of GCOMP_SYM_DWCONV2D_NHWC (m = c, `weight` [kh, kw, c] as
 * it is, not packed) with the fused conv's epilogue: each output starts
 * from bias[ch] (0 without a bias) plus, with GCOMP_CONV_ACCUMULATE, its
 * old value, and
 * the activation of `flags` and `clamp_bits` (ReLU, clamp, GELU, SiLU)
 * applies last. GCOMP_CONV_INPUT_NCHW is not accepted. */
#define GCOMP_SYM_DWCONV2D_NHWC_FUSED "__gcomp_dwconv2d_nhwc_fused"

/* void GCOMP_SYM_CONV2D_NHWC(int64_t n, int64_t h, int64_t w, int64_t c,
 *                            int64_t kh, int64_t kw, int64_t sh, int64_t sw,
 *                            int64_t dh, int64_t dw, int64_t pad_top,
 *                            int64_t pad_left, int64_t oh, int64_t ow,
 *                            int64_t m, const float *in,
 *                            const float *weight_packed, const float *bias,
 *                            float *out, int64_t flags,
 *                            int64_t clamp_bits):
 * defined by the runtime (C ABI, hidden). A channels-last 2-D convolution
 * with one group and its epilogue, as an implicit GEMM: `in` is
 * [n, h, w, c] (unpadded), `out` [n, oh, ow, m], `weight_packed` the
 * [kh * kw * c, m] matrix of the [kh, kw, c, m] weight packed as for
 * GCOMP_SYM_SGEMM_PACKED_B, `bias` [m] or null, and
 * out[b, y, x, o] = act(sum over ky, kx, ch of
 *   in[b, y * sh + ky * dh - pad_top, x * sw + kx * dw - pad_left, ch] *
 *   W[ky, kx, ch, o] + bias[o] + (flags & 1 ? out[b, y, x, o] : 0)),
 * positions outside the input counting as zero, act = min(max(., lo), hi)
 * when flags & 4, where the low and high 32 bits of clamp_bits are the f32
 * bit patterns of lo and hi (a ReLU6 is [0, 6]), else max(., 0) when
 * flags & 2, else the identity (NaN stays NaN). With flags & 8 `in` is
 * [n, c, h, w] instead (element [b, y, x, ch] at in[((b * c + ch) * h + y)
 * * w + x]). `out` must not overlap `in`. Pointers are passed as
 * integers. */
#define GCOMP_SYM_CONV2D_NHWC "__gcomp_conv2d_nhwc"
#define GCOMP_CONV_ACCUMULATE 1
#define GCOMP_CONV_RELU 2
#define GCOMP_CONV_CLAMP 4
#define GCOMP_CONV_INPUT_NCHW 8
/* flags & 16: act = 0.5 x (1 + erf(x / sqrt(2))) (ONNX Gelu), instead of
 * the clamp or ReLU. */
#define GCOMP_CONV_GELU 16
/* flags & 32: act = x / (1 + exp(-x)) (SiLU, Swish), instead of the others. */
#define GCOMP_CONV_SILU 32

/* void GCOMP_SYM_POOL2D_NHWC(int64_t n, int64_t h, int64_t w, int64_t c,
 *                            int64_t kh, int64_t kw, int64_t sh, int64_t sw,
 *                            int64_t dh, int64_t dw, int64_t pad_top,
 *                            int64_t pad_left, int64_t pad_bottom,
 *                            int64_t pad_right, int64_t oh, int64_t ow,
 *                            const float *in, float *out, int64_t flags):
 * defined by the runtime (C ABI, hidden). Channels-last 2-D pooling: `in`
 * is [n, h, w, c] (unpadded), `out` [n, oh, ow, c], and out[b, y, x, ch]
 * is the max (or with flags & GCOMP_POOL_AVERAGE the mean) of
 * in[b, y * sh + ky * dh - pad_top, x * sw + kx * dw - pad_left, ch] over
 * the window positions ky < kh, kx < kw that fall inside the input. The
 * mean divides by their number, or with GCOMP_POOL_COUNT_INCLUDE_PAD by the
 * number inside the padded extent [-pad_top, h + pad_bottom) x
 * [-pad_left, w + pad_right) (positions past it, which ceil mode adds, never
 * count). A max over no element is -inf; NaN propagates. Pointers are
 * passed as integers. */
#define GCOMP_SYM_POOL2D_NHWC "__gcomp_pool2d_nhwc"
#define GCOMP_POOL_AVERAGE 1
#define GCOMP_POOL_COUNT_INCLUDE_PAD 2

/* void GCOMP_SYM_SOFTMAX_ROWS(int64_t rows, int64_t n, const float *in,
 *                             float *out, int64_t scale_bits):
 * defined by the runtime (C ABI, hidden). For each of `rows` rows of n
 * contiguous floats: out = exp(s * (in - max(in))) / sum(exp(s * (in -
 * max(in)))), where s (> 0) is the f32 whose bit pattern is the low 32
 * bits of scale_bits, i.e. softmax(s * in). A row with a NaN is all NaN.
 * `out` may be `in`. Pointers are passed as integers. */
#define GCOMP_SYM_SOFTMAX_ROWS "__gcomp_softmax_rows"

/* void GCOMP_SYM_LAYER_NORM_ROWS(int64_t rows, int64_t n, const float *in,
 *                                float *out, const float *scale,
 *                                const float *bias, int64_t epsilon_bits):
 * defined by the runtime (C ABI, hidden). For each of `rows` rows x of n
 * contiguous floats: out = (x - mean(x)) / sqrt(var(x) + eps) * scale +
 * bias, with the biased variance and eps the f32 whose bit pattern is the
 * low 32 bits of epsilon_bits. `scale` and `bias` are n floats each, or
 * null for none. `out` may be `in`. Pointers are passed as integers. */
#define GCOMP_SYM_LAYER_NORM_ROWS "__gcomp_layer_norm_rows"

/* void GCOMP_SYM_NMS(int64_t batches, int64_t classes, int64_t boxes,
 *                    int64_t max_rows_per_class, const float *box_data,
 *                    const float *scores, const int64_t *max_per_class,
 *                    const float *iou_threshold,
 *                    const float *score_threshold, int64_t *selected,
 *                    int64_t *count, int64_t flags):
 * defined by the runtime (C ABI, hidden). ONNX NonMaxSuppression:
 * `box_data` is [batches, boxes, 4] and `scores` [batches, classes, boxes];
 * for each batch b and class c, the boxes with a score above
 * *score_threshold (every box if it is null), best first (the lower index
 * first among equal scores), each kept unless its IoU with a box kept
 * before exceeds *iou_threshold (0 if null), until min(*max_per_class,
 * max_rows_per_class) are kept (0 if null; a negative one is 0). Box
 * coordinates are (y1, x1, y2, x2) corners in either order, or with
 * GCOMP_NMS_CENTER_POINT_BOX (x_center, y_center, width, height). The kept
 * boxes go to `selected` as rows (b, c, box), batch-major, then class, then
 * in the order kept; *count is their number. `selected` has room for
 * batches * classes * max_rows_per_class rows; those past *count are set
 * to 0. Pointers are passed as integers. */
#define GCOMP_SYM_NMS "__gcomp_nms"
#define GCOMP_NMS_CENTER_POINT_BOX 1

/* void GCOMP_SYM_GRID_SAMPLE(int64_t n, int64_t c, int64_t rank,
 *                           int64_t in0, int64_t in1, int64_t in2,
 *                           int64_t out0, int64_t out1, int64_t out2,
 *                           const float *x, const float *grid, float *y,
 *                           int64_t flags):
 * defined by the runtime (C ABI, hidden). ONNX GridSample with `rank`
 * (1 to 3) spatial dims: `x` is [n, c, in0, ..in_{rank-1}], `grid` [n,
 * out0, .., out_{rank-1}, rank] (normalized coordinates in [-1, 1], the
 * innermost dim's first), `y` [n, c, out0, ..]; the unused dims are 1.
 * flags: the mode (GCOMP_GRID_SAMPLE_NEAREST, _LINEAR, _CUBIC), the
 * padding (GCOMP_GRID_SAMPLE_PAD_ZEROS, _BORDER, _REFLECTION), and
 * GCOMP_GRID_SAMPLE_ALIGN_CORNERS, with ONNX's meanings. Pointers are
 * passed as integers. */
#define GCOMP_SYM_GRID_SAMPLE "__gcomp_grid_sample"
#define GCOMP_GRID_SAMPLE_NEAREST 0
#define GCOMP_GRID_SAMPLE_LINEAR 1
#define GCOMP_GRID_SAMPLE_CUBIC 2
#define GCOMP_GRID_SAMPLE_MODE_MASK 3
#define GCOMP_GRID_SAMPLE_PAD_ZEROS 0
#define GCOMP_GRID_SAMPLE_PAD_BORDER 4
#define GCOMP_GRID_SAMPLE_PAD_REFLECTION 8
#define GCOMP_GRID_SAMPLE_PAD_MASK 12
#define GCOMP_GRID_SAMPLE_ALIGN_CORNERS 16

/* void GCOMP_SYM_ROI_ALIGN(int64_t batches, int64_t channels,
 *                         int64_t height, int64_t width, int64_t rois,
 *                         int64_t out_h, int64_t out_w, const float *x,
 *                         const float *roi_data,
 *                         const int64_t *batch_indices, float *y,
 *                         int64_t sampling_ratio, int64_t scale_bits,
 *                         int64_t flags):
 * defined by the runtime (C ABI, hidden). ONNX RoiAlign: `x` is [batches,
 * channels, height, width], `roi_data` [rois, 4] (x1, y1, x2, y2),
 * `batch_indices` [rois], `y` [rois, channels, out_h, out_w]; the spatial
 * scale is the f32 whose bit pattern is the low 32 bits of scale_bits.
 * flags: GCOMP_ROI_ALIGN_MAX (mode "max", else "avg"),
 * GCOMP_ROI_ALIGN_HALF_PIXEL (coordinate_transformation_mode "half_pixel",
 * else "output_half_pixel"). A region whose batch index is outside the
 * input gives zeros. Pointers are passed as integers. */
#define GCOMP_SYM_ROI_ALIGN "__gcomp_roi_align"
#define GCOMP_ROI_ALIGN_MAX 1
#define GCOMP_ROI_ALIGN_HALF_PIXEL 2

/* void GCOMP_SYM_DET(int64_t batch, int64_t n, const float *in,
 *                    float *out):
 * defined by the runtime (C ABI, hidden). out[b] is the determinant of the
 * b-th n x n matrix of `in` (row-major, one after the other), by LU
 * decomposition with partial pivoting in double precision. An empty matrix
 * (n = 0) has determinant 1. Pointers are passed as integers. */
#define GCOMP_SYM_DET "__gcomp_det"

/* void GCOMP_SYM_MATMUL_NBITS(int64_t m, int64_t n, int64_t k,
 *                             const float *a, const uint8_t *w,
 *                             const float *scales, const float *zero_points,
 *                             const float *bias, float *c, int64_t bits,
 *                             int64_t block_size):
 * defined by the runtime (C ABI, hidden). onnxruntime's MatMulNBits:
 * c[i, j] = sum_p a[i, p] * (q[j, p] - z[j, p / block_size]) *
 * scales[j * blocks + p / block_size] (+ bias[j]), with a [m, k] row-major,
 * blocks = ceil(k / block_size), and the codes q of column j in
 * w[j * blocks * block_size * bits / 8 ...]: `bits` (4 or 8) per code,
 * low bits first, a column's blocks one after the other (its last block
 * padded). z is zero_points[j * blocks + b] when given (may be null: then
 * 2^(bits-1)); bias may be null. block_size is a power of two, at least
 * 16. The codes are read packed: no dequantized copy of the weights is
 * made beyond a cache-sized tile. Pointers are passed as integers. */
#define GCOMP_SYM_MATMUL_NBITS "__gcomp_matmul_nbits"
/* Rows up to which the kernel multiplies the codes in registers (a
 * product of more rows dequantizes tiles of weights for the GEMM, which
 * costs more than reading f32 weights; gcomp-quantized-products keeps
 * the float product of per-column weight-only weights above it). */
#define GCOMP_NBITS_GEMV_MAX_ROWS 7

/* Outputs whose size depends on the input values (NonZero, Compress,
 * Unique, NonMaxSuppression). Optional, and an addition:
 * GCOMP_MODEL_ABI_VERSION stays 2.
 * const int64_t GCOMP_SYM_OUTPUT_BOUNDS[]:
 *   [0] K, the number of such outputs (1 <= K <= the number of outputs)
 *   then for each, in increasing output order: the output's index, then
 *   its bound, one dim per dim of its rank.
 * GCOMP_SYM_SIGNATURE gives such an output -1 in each dim that varies.
 * GCOMP_SYM_ENTRY then takes num_outputs + K output pointers: output i's
 * pointer is a buffer of its bound's size (a dense row-major tensor of the
 * bound's shape), and pointer num_outputs + k, for the k-th such output,
 * an int64_t[rank] where the entry writes the output's actual dims (each at
 * most the bound's). The actual tensor is the leading box of the bound's:
 * element (i0, i1, ...) at its place in the bound's layout; the runtime
 * packs it densely before handing it out. */
#define GCOMP_SYM_OUTPUT_BOUNDS "__gcomp_output_bounds"

/* void GCOMP_SYM_PARALLEL_FOR(void (*task)(void *ctx, int64_t lo,
 *                                        int64_t hi),
 *                             void *ctx, int64_t begin, int64_t end):
 * defined by the runtime (C ABI, hidden). Calls task(ctx, lo, hi) on
 * disjoint ranges that cover [begin, end), from the pool's threads (or
 * once, [begin, end), on one thread), and returns when all have. */
#define GCOMP_SYM_PARALLEL_FOR "__gcomp_parallel_for"

typedef int32_t (*gcomp_entry_fn)(void *const *inputs, void *const *outputs,
                                  void *workspace);

#endif /* GCOMP_MODEL_ABI_H */
