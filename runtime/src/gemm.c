/*===- gemm.c - single-precision GEMM for generated code ------------------===*
 *
 * Generated code calls __gcomp_sgemm for every f32 contraction it can express
 * as C += A * B (MatMul, Gemm, convolutions as im2col products, Einsum's
 * matmuls). The code generator's own loops reach a few GFLOP/s; a GEMM needs
 * cache blocking, packing and a register-blocked micro-kernel to come near
 * the machine's FMA peak, which is what this file does, in the layout of
 * BLIS (Van Zee and van de Geijn, "BLIS: A Framework for Rapidly
 * Instantiating BLAS Functionality", 2015):
 *
 *   for each NC-wide block of columns, for each KC-deep slice of k:
 *     pack that slice of B into NR-wide column panels (zero-padded)
 *     for each MC-tall block of rows:
 *       pack that block of A into MR-tall row panels (zero-padded)
 *       for each MR x NR tile: the micro-kernel adds A-panel * B-panel to C
 *
 * Every operand is strided (row stride and column stride, in elements), so
 * transposed operands and views need no copies beyond the packing. The
 * micro-kernel is AVX2+FMA (6 x 16, twelve ymm accumulators) when the CPU
 * has them, else portable C. Packing buffers are per thread and kept
 * between calls (a model runs its GEMMs without allocating after the
 * first).
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gemm_tile.h"

enum { NC = 2048 };

/* Packing buffers: one B block (KC x NC) and one A block (MC x KC), per
 * thread. */
static float *pack_space(void) {
  return gcomp_rt_thread_scratch(
      GCOMP_RT_SCRATCH_GEMM_PACK,
      sizeof(float) * ((size_t)KC * NC + (size_t)MC * KC));
}

/* B[p, j] for p < kc, j < nc into NR-wide panels: panel q holds rows
 * 0..kc-1 of columns q*NR .. q*NR+NR-1, row-major, zero past nc. */
static void pack_b(int64_t kc, int64_t nc, const float *b, int64_t rs,
                   int64_t cs, float *out) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    int64_t w = nc - j0 < NR ? nc - j0 : NR;
    for (int64_t p = 0; p < kc; ++p) {
      const float *row = b + p * rs + j0 * cs;
      if (w == NR && cs == 1) {
        memcpy(out, row, sizeof(float) * NR);
      } else {
        int64_t j = 0;
        for (; j < w; ++j)
          out[j] = row[j * cs];
        for (; j < NR; ++j)
          out[j] = 0.0f;
      }
      out += NR;
    }
  }
}

/* A[i, p] for i < mc, p < kc into MR-tall panels: panel q holds columns
 * 0..kc-1 of rows q*MR .. q*MR+MR-1, column by column, zero past mc. */
static void pack_a(int64_t mc, int64_t kc, const float *a, int64_t rs,
                   int64_t cs, float *out) {
  for (int64_t i0 = 0; i0 < mc; i0 += MR) {
    int64_t h = mc - i0 < MR ? mc - i0 : MR;
    for (int64_t p = 0; p < kc; ++p) {
      const float *col = a + i0 * rs + p * cs;
      int64_t i = 0;
      for (; i < h; ++i)
        out[i] = col[i * rs];
      for (; i < MR; ++i)
        out[i] = 0.0f;
      out += MR;
    }
  }
}

/* The micro-kernels: C's MR x w tile (h rows of it stored) += A's panel
 * times B's panels, where panel q of B starts at bp + q * panel_stride. A
 * kernel covers `panels` panels (w <= panels * NR); the portable and AVX2
 * ones one. */
static void kernel_portable(int64_t kc, const float *ap, const float *bp,
                            int64_t panel_stride, float *c, int64_t rs,
                            int64_t cs, int64_t h, int64_t w) {
  (void)panel_stride;
  float t[MR * NR] = {0};
  for (int64_t p = 0; p < kc; ++p, ap += MR, bp += NR)
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j)
        t[i * NR + j] += ap[i] * bp[j];
  finish_tile(t, h, w, c, rs, cs, NULL, 1, NULL);
}

#ifdef GCOMP_GEMM_X86
/* A from a packed panel: column p of the panel's six rows is ap[p * MR]. */
__attribute__((target("avx2,fma"))) static void
kernel_avx2(int64_t kc, const float *ap, const float *bp, int64_t panel_stride,
            float *c, int64_t rs, int64_t cs, int64_t h, int64_t w) {
  (void)panel_stride;
  const float *a[MR] = {ap, ap + 1, ap + 2, ap + 3, ap + 4, ap + 5};
  tile_avx2(kc, a, MR, bp, c, rs, cs, h, w, NULL, 1, NULL);
}

/* A read where it lies, row-major with row stride `a_rs` (unit column
 * stride), instead of from a packed panel. Packing copies every element of
 * A once per call, as much work as the product itself when B is only a few
 * panels wide (a conv with 64 output channels); reading rows in place costs
 * six sequential streams. Rows past `h` repeat the last row so that
 * nothing outside A is read. */
__attribute__((target("avx2,fma"))) static void
kernel_avx2_rows(int64_t kc, const float *a, int64_t a_rs, const float *bp,
                 int64_t panel_stride, float *c, int64_t rs, int64_t cs,
                 int64_t h, int64_t w) {
  (void)panel_stride;
  const float *rows[MR];
  for (int i = 0; i < MR; ++i)
    rows[i] = a + (i < h ? i : h - 1) * a_rs;
  tile_avx2(kc, rows, 1, bp, c, rs, cs, h, w, NULL, 1, NULL);
}

/* The AVX-512 kernels: up to four panels per tile (tile_avx512). */
__attribute__((target("avx512f"))) static void
kernel_avx512(int64_t kc, const float *ap, const float *bp,
              int64_t panel_stride, float *c, int64_t rs, int64_t cs,
              int64_t h, int64_t w) {
  const float *a[MR] = {ap, ap + 1, ap + 2, ap + 3, ap + 4, ap + 5};
  tile_avx512_any(kc, a, MR, bp, panel_stride, c, rs, cs, h, w, NULL, 1,
                  NULL);
}

__attribute__((target("avx512f"))) static void
kernel_avx512_rows(int64_t kc, const float *a, int64_t a_rs, const float *bp,
                   int64_t panel_stride, float *c, int64_t rs, int64_t cs,
                   int64_t h, int64_t w) {
  const float *rows[MR];
  for (int i = 0; i < MR; ++i)
    rows[i] = a + (i < h ? i : h - 1) * a_rs;
  tile_avx512_any(kc, rows, 1, bp, panel_stride, c, rs, cs, h, w, NULL, 1,
                  NULL);
}
#endif

typedef void (*micro_kernel)(int64_t, const float *, const float *, int64_t,
                             float *, int64_t, int64_t, int64_t, int64_t);
/* The same reading A in place (see kernel_avx2_rows); null where none. */
typedef void (*rows_kernel)(int64_t, const float *, int64_t, const float *,
                            int64_t, float *, int64_t, int64_t, int64_t,
                            int64_t);

/* One matrix: C[m, n] += A[m, k] * B[k, n]. With `b_packed`, B already is
 * in panels (GCOMP_SYM_SGEMM_PACKED_B: slices of KC rows, `b_width`
 * columns wide, of which this call's start at column `b_col0`) and `b` is
 * unused. */
static void gemm_one(micro_kernel kernel, rows_kernel rows, int panels,
                     float *space, int64_t m, int64_t n,
                     int64_t k, const float *a, int64_t a_rs, int64_t a_cs,
                     const float *b, int64_t b_rs, int64_t b_cs,
                     const float *b_packed, int64_t b_col0, int64_t b_width,
                     float *c, int64_t c_rs, int64_t c_cs) {
  float *bp = space, *ap = space + (size_t)KC * NC;
  for (int64_t jc = 0; jc < n; jc += NC) {
    int64_t nc = n - jc < NC ? n - jc : NC;
    for (int64_t pc = 0; pc < k; pc += KC) {
      int64_t kc = k - pc < KC ? k - pc : KC;
      const float *b_block;
      int64_t panel_stride;
      if (b_packed) {
        b_block = b_packed + pc * b_width + (b_col0 + jc) / NR * kc * NR;
        panel_stride = kc * NR;
      } else {
        pack_b(kc, nc, b + pc * b_rs + jc * b_cs, b_rs, b_cs, bp);
        b_block = bp;
        panel_stride = kc * NR;
      }
      /* Row-major A is read in place when B is only a few panels wide:
       * packing would copy A for little reuse. Wider products amortize
       * the packing, and rows 4 KiB apart would fight over the same L1
       * sets, so those pack. */
      int in_place = rows && a_cs == 1 && n <= 4 * NR &&
                     (a_rs * (int64_t)sizeof(float)) % 4096 != 0;
      for (int64_t ic = 0; ic < m; ic += MC) {
        int64_t mc = m - ic < MC ? m - ic : MC;
        const float *a_block = a + ic * a_rs + pc * a_cs;
        if (!in_place)
          pack_a(mc, kc, a_block, a_rs, a_cs, ap);
        for (int64_t jr = 0; jr < nc; jr += panels * NR) {
          int64_t w = nc - jr < panels * NR ? nc - jr : panels * NR;
          const float *b_panel = b_block + (jr / NR) * panel_stride;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            int64_t h = mc - ir < MR ? mc - ir : MR;
            float *c_tile = c + (ic + ir) * c_rs + (jc + jr) * c_cs;
            if (in_place)
              rows(kc, a_block + ir * a_rs, a_rs, b_panel, panel_stride,
                   c_tile, c_rs, c_cs, h, w);
            else
              kernel(kc, ap + ir * kc, b_panel, panel_stride, c_tile, c_rs,
                     c_cs, h, w);
          }
        }
      }
    }
  }
}

/* sum_p x[p] * y[p] over contiguous vectors. Eight partial sums, because
 * the compiler may not reorder one float sum into vector lanes itself. */
static float dot_portable(const float *x, const float *y, int64_t k) {
  float part[8] = {0};
  int64_t p = 0;
  for (; p + 8 <= k; p += 8)
    for (int l = 0; l < 8; ++l)
      part[l] += x[p + l] * y[p + l];
  float sum = 0.0f;
  for (int l = 0; l < 8; ++l)
    sum += part[l];
  for (; p < k; ++p)
    sum += x[p] * y[p];
  return sum;
}

#ifdef GCOMP_GEMM_X86
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *x,
                                                          const float *y,
                                                          int64_t k) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 32 <= k; p += 32) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(y + p), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 8), _mm256_loadu_ps(y + p + 8), s1);
    s2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 16), _mm256_loadu_ps(y + p + 16), s2);
    s3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p + 24), _mm256_loadu_ps(y + p + 24), s3);
  }
  for (; p + 8 <= k; p += 8)
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(y + p), s0);
  float part[8];
  _mm256_storeu_ps(part, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  float sum = 0.0f;
  for (int l = 0; l < 8; ++l)
    sum += part[l];
  for (; p < k; ++p)
    sum += x[p] * y[p];
  return sum;
}

__attribute__((target("avx512f"))) static float
dot_avx512(const float *x, const float *y, int64_t k) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  __m512 s2 = _mm512_setzero_ps(), s3 = _mm512_setzero_ps();
  int64_t p = 0;
  for (; p + 64 <= k; p += 64) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 16), _mm512_loadu_ps(y + p + 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 32), _mm512_loadu_ps(y + p + 32), s2);
    s3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p + 48), _mm512_loadu_ps(y + p + 48), s3);
  }
  for (; p + 16 <= k; p += 16)
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p), s0);
  if (p < k) { /* the last k - p < 16 terms, masked */
    __mmask16 tail = (__mmask16)((1u << (k - p)) - 1);
    s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, x + p),
                         _mm512_maskz_loadu_ps(tail, y + p), s1);
  }
  return _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}
#endif

typedef float (*dot_fn)(const float *, const float *, int64_t);

/* The kernels for this CPU, chosen once (pthread_once: models may be run
 * from several threads at once). */
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;

/* A few rows (a classifier on one image, one token of a decoder): packing B
 * would cost more than the product, so rows of C accumulate rows of B
 * (contiguous B) or dot products (B stored transposed) directly. */
static void gemm_few_rows(dot_fn dot, int64_t m, int64_t n, int64_t k,
                          const float *a, int64_t a_rs, int64_t a_cs,
                          const float *b, int64_t b_rs, int64_t b_cs, float *c,
                          int64_t c_rs, int64_t c_cs) {
  for (int64_t i = 0; i < m; ++i) {
    const float *ai = a + i * a_rs;
    float *ci = c + i * c_rs;
    if (b_cs == 1 && c_cs == 1) {
      for (int64_t p = 0; p < k; ++p) {
        float s = ai[p * a_cs];
        const float *restrict bp = b + p * b_rs;
        float *restrict cp = ci;
        for (int64_t j = 0; j < n; ++j)
          cp[j] += s * bp[j];
      }
    } else if (b_rs == 1 && a_cs == 1) {
      for (int64_t j = 0; j < n; ++j)
        ci[j * c_cs] += dot(ai, b + j * b_cs, k);
    } else {
      for (int64_t j = 0; j < n; ++j) {
        float sum = 0.0f;
        for (int64_t p = 0; p < k; ++p)
          sum += ai[p * a_cs] * b[p * b_rs + j * b_cs];
        ci[j * c_cs] += sum;
      }
    }
  }
}

/* C += A * B with B in panels, without packing memory (allocation failed):
 * plain loops over the panels. */
static void gemm_packed_fallback(int64_t m, int64_t n, int64_t k,
                                 const float *a, int64_t a_rs, int64_t a_cs,
                                 const float *b_packed, int64_t b_col0,
                                 int64_t b_width, float *c, int64_t c_rs,
                                 int64_t c_cs) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      int64_t col = b_col0 + j;
      float sum = 0.0f;
      for (int64_t p = 0; p < k; ++p) {
        int64_t pc = p / KC * KC, kc = k - pc < KC ? k - pc : KC;
        sum += a[i * a_rs + p * a_cs] *
               b_packed[pc * b_width + col / NR * kc * NR + (p - pc) * NR +
                        col % NR];
      }
      c[i * c_rs + j * c_cs] += sum;
    }
}

static micro_kernel kernel;
static rows_kernel rows;
static dot_fn dot;
static int panels; /* NR-wide panels per tile of `kernel` */

static void choose_kernels(void) {
  kernel = kernel_portable;
  rows = 0;
  dot = dot_portable;
  panels = 1;
#ifdef GCOMP_GEMM_X86
  if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX512) {
    kernel = kernel_avx512;
    rows = kernel_avx512_rows;
    dot = dot_avx512;
    panels = MAX_PANELS;
  } else if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX2) {
    kernel = kernel_avx2;
    rows = kernel_avx2_rows;
    dot = dot_avx2;
  }
#endif
}

/* One GEMM call, shared with the pool's threads: each takes a slice of the
 * batch, of the columns or of the rows. Slices of C are disjoint and every
 * element keeps its order of additions, so results do not depend on the
 * number of threads. */
typedef struct gemm_job {
  micro_kernel kernel;
  rows_kernel rows;
  dot_fn dot;
  int panels;
  int64_t m, n, k;
  const float *a;
  int64_t a_rs, a_cs;
  const float *b;
  int64_t b_rs, b_cs;
  const float *b_packed; /* B in panels (b, b_rs and b_cs unused), or null */
  float *c;
  int64_t c_rs, c_cs;
  int64_t batch, a_bs, b_bs, c_bs;
  enum { SPLIT_BATCH, SPLIT_COLUMNS, SPLIT_ROWS } split;
} gemm_job;

static void gemm_range(const gemm_job *j, int64_t b0, int64_t b1, int64_t r0,
                       int64_t r1, int64_t c0, int64_t c1) {
  float *space = pack_space();
  for (int64_t i = b0; i < b1; ++i) {
    const float *ai = j->a + i * j->a_bs + r0 * j->a_rs;
    float *ci = j->c + i * j->c_bs + r0 * j->c_rs + c0 * j->c_cs;
    int64_t m = r1 - r0, n = c1 - c0;
    if (m <= 0 || n <= 0)
      continue;
    if (j->b_packed) {
      /* c0 is a multiple of NR (slices of columns are). A few rows run
       * the micro-kernel on zero-padded rows: B's panels are read once
       * either way, which is what bounds a matrix-vector product. */
      const float *bi = j->b_packed + i * j->b_bs;
      int64_t width = (j->n + NR - 1) / NR * NR;
      if (space)
        gemm_one(j->kernel, j->rows, j->panels, space, m, n, j->k, ai,
                 j->a_rs, j->a_cs, 0, 0, 0, bi, c0, width, ci, j->c_rs,
                 j->c_cs);
      else
        gemm_packed_fallback(m, n, j->k, ai, j->a_rs, j->a_cs, bi, c0, width,
                             ci, j->c_rs, j->c_cs);
      continue;
    }
    const float *bi = j->b + i * j->b_bs + c0 * j->b_cs;
    if (j->m < 4 || !space) /* also the fallback without packing memory */
      gemm_few_rows(j->dot, m, n, j->k, ai, j->a_rs, j->a_cs, bi, j->b_rs,
                    j->b_cs, ci, j->c_rs, j->c_cs);
    else
      gemm_one(j->kernel, j->rows, j->panels, space, m, n, j->k, ai,
               j->a_rs, j->a_cs, bi, j->b_rs, j->b_cs, 0, 0, 0, ci, j->c_rs,
               j->c_cs);
  }
}

static void gemm_task(void *ctx, int i, int n) {
  const gemm_job *j = ctx;
  int64_t lo, hi;
  switch (j->split) {
  case SPLIT_BATCH:
    split_range(j->batch, 1, i, n, &lo, &hi);
    gemm_range(j, lo, hi, 0, j->m, 0, j->n);
    break;
  case SPLIT_COLUMNS:
    /* Whole tiles where possible: a slice that ends inside a tile leaves
     * a narrower, slower one. */
    split_range(j->n, (int64_t)j->panels * NR, i, n, &lo, &hi);
    gemm_range(j, 0, j->batch, 0, j->m, lo, hi);
    break;
  case SPLIT_ROWS:
    split_range(j->m, MR, i, n, &lo, &hi);
    gemm_range(j, 0, j->batch, lo, hi, 0, j->n);
    break;
  }
}

static void gemm_run(gemm_job *job) {
  int64_t m = job->m, n = job->n, k = job->k, batch = job->batch;
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0)
    return;
  /* Below ~1 MFLOP a wake-up of the pool costs more than it saves. */
  double flops = 2.0 * (double)m * (double)n * (double)k * (double)batch;
  int threads = flops < 1e6 ? 1 : gcomp_rt_threads();
  int parts = threads;
  if (batch >= threads)
    job->split = SPLIT_BATCH;
  else if (n >= (int64_t)threads * 2 * NR)
    job->split = SPLIT_COLUMNS;
  else if (m >= (int64_t)threads * MR)
    job->split = SPLIT_ROWS;
  else
    parts = 1;
  if (parts <= 1) {
    gemm_task(job, 0, 1);
    return;
  }
  gcomp_rt_parallel(gemm_task, job, parts);
}

void __gcomp_sgemm(int64_t m, int64_t n, int64_t k, const float *a,
                   int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs,
                   int64_t b_cs, float *c, int64_t c_rs, int64_t c_cs,
                   int64_t batch, int64_t a_bs, int64_t b_bs, int64_t c_bs) {
  pthread_once(&chosen_once, choose_kernels);
  gemm_job job = {kernel, rows, dot,  panels, m,    n,    k,     a,
                  a_rs,   a_cs, b,    b_rs,   b_cs, NULL, c,     c_rs,
                  c_cs,   batch, a_bs, b_bs,  c_bs, SPLIT_COLUMNS};
  gemm_run(&job);
}

void __gcomp_sgemm_packed_b(int64_t m, int64_t n, int64_t k, const float *a,
                            int64_t a_rs, int64_t a_cs, const float *b_packed,
                            float *c, int64_t c_rs, int64_t c_cs,
                            int64_t batch, int64_t a_bs, int64_t b_bs,
                            int64_t c_bs) {
  pthread_once(&chosen_once, choose_kernels);
  gemm_job job = {kernel, rows, dot,  panels,   m,  n,    k,     a,
                  a_rs,   a_cs, NULL, 0, 0,        b_packed, c,  c_rs,
                  c_cs,   batch, a_bs, b_bs, c_bs, SPLIT_COLUMNS};
  gemm_run(&job);
}

void gcomp_rt_sgemm_serial(int64_t m, int64_t n, int64_t k, const float *a,
                           int64_t a_rs, int64_t a_cs, const float *b,
                           int64_t b_rs, int64_t b_cs, float *c, int64_t c_rs,
                           int64_t c_cs) {
  pthread_once(&chosen_once, choose_kernels);
  gemm_job job = {kernel, rows, dot,  panels, m,    n,    k,     a,
                  a_rs,   a_cs, b,    b_rs,   b_cs, NULL, c,     c_rs,
                  c_cs,   1,    0,    0,      0,    SPLIT_BATCH};
  if (m > 0 && n > 0 && k > 0)
    gemm_task(&job, 0, 1);
}

void gcomp_rt_sgemm_packed_serial(int64_t m, int64_t n, int64_t k,
                                  const float *a, int64_t a_rs,
                                  const float *b_packed, int64_t b_col0,
                                  int64_t b_width, float *c, int64_t c_rs) {
  pthread_once(&chosen_once, choose_kernels);
  if (m <= 0 || n <= 0 || k <= 0)
    return;
  float *space = pack_space();
  if (space)
    gemm_one(kernel, rows, panels, space, m, n, k, a, a_rs, 1, 0, 0, 0,
             b_packed, b_col0, b_width, c, c_rs, 1);
  else
    gemm_packed_fallback(m, n, k, a, a_rs, 1, b_packed, b_col0, b_width, c,
                         c_rs, 1);
}
