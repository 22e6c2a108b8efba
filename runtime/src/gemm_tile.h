/*===- gemm_tile.h - the register-blocked tile of the GEMM and conv -------===*
 *
 * The MR x NR tile that gemm.c's GEMM and conv.c's implicit-GEMM
 * convolution are built of, and how a finished tile is stored: added to C
 * (a GEMM's C += A * B), or, for a fused kernel's epilogue, started from a
 * bias instead of C's old values and passed through a ReLU.
 *===----------------------------------------------------------------------===*/
#ifndef GCOMP_RUNTIME_GEMM_TILE_H
#define GCOMP_RUNTIME_GEMM_TILE_H

#include "gcomp/model_abi.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define GCOMP_GEMM_X86 1
#include <immintrin.h>
#endif

enum { MR = 6, NR = GCOMP_SGEMM_PANEL, KC = GCOMP_SGEMM_KC, MC = 96 };

/* Part `i` of `n` of [0, size), cut at multiples of `grain`: how the GEMM
 * and the conv share a dimension among the pool's tasks. */
static inline void split_range(int64_t size, int64_t grain, int i, int n,
                               int64_t *lo, int64_t *hi) {
  int64_t units = (size + grain - 1) / grain;
  int64_t u0 = units * i / n, u1 = units * (i + 1) / n;
  *lo = u0 * grain < size ? u0 * grain : size;
  *hi = u1 * grain < size ? u1 * grain : size;
}

/* Stores an MR x NR tile (row-major in `t`), its first `h` rows and `w`
 * columns, into C: c = (load_c ? c : 0) + t + (bias ? bias[j] : 0), then
 * clamped to [clamp[0], clamp[1]] if `clamp` is set (a ReLU is [0, inf];
 * NaN stays NaN, as in ONNX Relu and Clip). */
static inline void finish_tile(const float *t, int64_t h, int64_t w, float *c,
                               int64_t rs, int64_t cs, const float *bias,
                               int load_c, const float *clamp) {
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      float *out = &c[i * rs + j * cs];
      float v = t[i * NR + j] + (bias ? bias[j] : 0.0f);
      if (load_c)
        v += *out;
      if (clamp) {
        if (v < clamp[0])
          v = clamp[0];
        if (v > clamp[1])
          v = clamp[1];
      }
      *out = v;
    }
}

/* A tile over kc steps without vector code: row i of A is a[i][p * a_step]. */
static inline void tile_portable(int64_t kc, const float *const a[MR],
                                 int64_t a_step, const float *bp, float *c,
                                 int64_t rs, int64_t cs, int64_t h, int64_t w,
                                 const float *bias, int load_c,
                                 const float *clamp) {
  float t[MR * NR] = {0};
  for (int64_t p = 0; p < kc; ++p, bp += NR)
    for (int i = 0; i < MR; ++i) {
      float x = a[i][p * a_step];
      for (int j = 0; j < NR; ++j)
        t[i * NR + j] += x * bp[j];
    }
  finish_tile(t, h, w, c, rs, cs, bias, load_c, clamp);
}

#ifdef GCOMP_GEMM_X86
/* The 6 x 16 AVX2 tile: twelve ymm accumulators over kc steps, where row i
 * of A is a[i][p * a_step]; stored as finish_tile says. Inlined into each
 * caller with its own constant step and epilogue, so that every variant
 * compiles to the same loop. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
tile_avx2(int64_t kc, const float *const a[MR], int64_t a_step,
          const float *bp, float *c, int64_t rs, int64_t cs, int64_t h,
          int64_t w, const float *bias, int load_c, const float *clamp) {
  const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4],
              *a5 = a[5];
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p, bp += NR) {
    __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
    int64_t q = p * a_step;
    __m256 x;
    x = _mm256_broadcast_ss(a0 + q);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a1 + q);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a2 + q);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a3 + q);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a4 + q);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a5 + q);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                       {c30, c31}, {c40, c41}, {c50, c51}};
  if (h == MR && w == NR && cs == 1) {
    __m256 zero = _mm256_setzero_ps();
    __m256 lo = clamp ? _mm256_set1_ps(clamp[0]) : zero;
    __m256 hi = clamp ? _mm256_set1_ps(clamp[1]) : zero;
    __m256 bias0 = bias ? _mm256_loadu_ps(bias) : zero;
    __m256 bias1 = bias ? _mm256_loadu_ps(bias + 8) : zero;
    for (int i = 0; i < MR; ++i) {
      float *row = c + i * rs;
      __m256 v0 = _mm256_add_ps(acc[i][0], bias0);
      __m256 v1 = _mm256_add_ps(acc[i][1], bias1);
      if (load_c) {
        v0 = _mm256_add_ps(_mm256_loadu_ps(row), v0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(row + 8), v1);
      }
      if (clamp) { /* max(lo, v) and min(hi, v) return v where v is NaN */
        v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
        v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
      }
      _mm256_storeu_ps(row, v0);
      _mm256_storeu_ps(row + 8, v1);
    }
    return;
  }
  float t[MR * NR];
  for (int i = 0; i < MR; ++i) {
    _mm256_storeu_ps(t + i * NR, acc[i][0]);
    _mm256_storeu_ps(t + i * NR + 8, acc[i][1]);
  }
  finish_tile(t, h, w, c, rs, cs, bias, load_c, clamp);
}
#endif

#endif
