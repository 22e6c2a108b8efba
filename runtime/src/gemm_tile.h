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

/* The widest tile, in NR-wide panels: the AVX-512 tile covers up to four
 * panels of B at once (see tile_avx512). */
enum { MAX_PANELS = 4 };

/* Stores an MR x `t_rs` tile (row-major in `t`), its first `h` rows and `w`
 * columns, into C: c = (load_c ? c : 0) + t + (bias ? bias[j] : 0), then
 * clamped to [clamp[0], clamp[1]] if `clamp` is set (a ReLU is [0, inf];
 * NaN stays NaN, as in ONNX Relu and Clip). */
static inline void finish_wide_tile(const float *t, int64_t t_rs, int64_t h,
                                    int64_t w, float *c, int64_t rs,
                                    int64_t cs, const float *bias, int load_c,
                                    const float *clamp) {
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) {
      float *out = &c[i * rs + j * cs];
      float v = t[i * t_rs + j] + (bias ? bias[j] : 0.0f);
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

/* finish_wide_tile of an MR x NR tile. */
static inline void finish_tile(const float *t, int64_t h, int64_t w, float *c,
                               int64_t rs, int64_t cs, const float *bias,
                               int load_c, const float *clamp) {
  finish_wide_tile(t, NR, h, w, c, rs, cs, bias, load_c, clamp);
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

/* The AVX-512 tile: MR rows by `np` NR-wide panels of B (np = 1..4, a
 * constant where this is inlined), 6 * np zmm accumulators. Panel q of B
 * starts at bp + q * panel_stride (kc rows of NR floats each, as packed).
 * Four panels is the widest that fits the 32 zmm registers with its B
 * vectors: per step of k, 24 FMAs against 4 loads of B and 6 broadcasts of
 * A, which keeps both FMA ports busy; a one-panel tile (6 FMAs per 7
 * loads) would be bound by the loads. The tile's first `h` rows and `w`
 * columns (w <= np * NR) are stored as finish_tile says, partial panels
 * through masked loads and stores (which never touch masked-out memory). */
__attribute__((target("avx512f"), always_inline)) static inline void
tile_avx512(int np, int64_t kc, const float *const a[MR], int64_t a_step,
            const float *bp, int64_t panel_stride, float *c, int64_t rs,
            int64_t cs, int64_t h, int64_t w, const float *bias, int load_c,
            const float *clamp) {
  __m512 acc[MR][MAX_PANELS];
  const float *b[MAX_PANELS];
  for (int q = 0; q < np; ++q)
    b[q] = bp + q * panel_stride;
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < np; ++q)
      acc[i][q] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[MAX_PANELS];
    for (int q = 0; q < np; ++q)
      bv[q] = _mm512_load_ps(b[q] + p * NR);
    int64_t s = p * a_step;
    for (int i = 0; i < MR; ++i) {
      __m512 x = _mm512_set1_ps(a[i][s]);
      for (int q = 0; q < np; ++q)
        acc[i][q] = _mm512_fmadd_ps(x, bv[q], acc[i][q]);
    }
  }
  if (cs != 1) {
    float t[MR * MAX_PANELS * NR];
    for (int i = 0; i < MR; ++i)
      for (int q = 0; q < np; ++q)
        _mm512_storeu_ps(t + (i * MAX_PANELS + q) * NR, acc[i][q]);
    finish_wide_tile(t, MAX_PANELS * NR, h, w, c, rs, cs, bias, load_c,
                     clamp);
    return;
  }
  __mmask16 mask[MAX_PANELS];
  __m512 bias_v[MAX_PANELS];
  for (int q = 0; q < np; ++q) {
    int64_t left = w - q * NR;
    mask[q] = left >= NR ? (__mmask16)0xFFFF
                         : (__mmask16)((1u << (left > 0 ? left : 0)) - 1);
    bias_v[q] = bias ? _mm512_maskz_loadu_ps(mask[q], bias + q * NR)
                     : _mm512_setzero_ps();
  }
  __m512 lo = _mm512_set1_ps(clamp ? clamp[0] : 0.0f);
  __m512 hi = _mm512_set1_ps(clamp ? clamp[1] : 0.0f);
  for (int i = 0; i < MR; ++i) {
    if (i >= h)
      break;
    float *row = c + i * rs;
    for (int q = 0; q < np; ++q) {
      __m512 v = _mm512_add_ps(acc[i][q], bias_v[q]);
      if (load_c)
        v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask[q], row + q * NR), v);
      if (clamp) /* max(lo, v) and min(hi, v) return v where v is NaN */
        v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
      _mm512_mask_storeu_ps(row + q * NR, mask[q], v);
    }
  }
}

/* tile_avx512 over as many panels as `w` columns need, each width its own
 * fully unrolled copy. */
__attribute__((target("avx512f"), always_inline)) static inline void
tile_avx512_any(int64_t kc, const float *const a[MR], int64_t a_step,
                const float *bp, int64_t panel_stride, float *c, int64_t rs,
                int64_t cs, int64_t h, int64_t w, const float *bias,
                int load_c, const float *clamp) {
  switch ((w + NR - 1) / NR) {
  case 4:
    tile_avx512(4, kc, a, a_step, bp, panel_stride, c, rs, cs, h, w, bias,
                load_c, clamp);
    break;
  case 3:
    tile_avx512(3, kc, a, a_step, bp, panel_stride, c, rs, cs, h, w, bias,
                load_c, clamp);
    break;
  case 2:
    tile_avx512(2, kc, a, a_step, bp, panel_stride, c, rs, cs, h, w, bias,
                load_c, clamp);
    break;
  default:
    tile_avx512(1, kc, a, a_step, bp, panel_stride, c, rs, cs, h, w, bias,
                load_c, clamp);
    break;
  }
}
#endif

#endif
