/*===- softmax.c - softmax along the last axis, row by row ----------------===*
 *
 * __gcomp_softmax_rows (model_abi.h). Lowered through linalg, a softmax is
 * two reductions, each with its own initialization and pass, and the
 * exponentials twice: eight kernels and as many passes over the tensor.
 * Here each row is read for its max, then once to write exp(scale * (x -
 * max)) while summing it, then scaled in place: the row stays in cache
 * throughout. The exponential is vmath.h's, so the loops vectorize; rows
 * are spread over the thread pool.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"
#include "vmath.h"

#include <math.h>
#include <pthread.h>

typedef struct softmax_job {
  int64_t rows, n;
  const float *in;
  float *out;
  float scale;
} softmax_job;

/* One row, inlined into a wrapper per instruction set. Without fast-math
 * the compiler may not reassociate a float sum or max, so a running sum
 * stays scalar: the max and the sum keep LANES partial results (one
 * AVX-512 vector, two AVX2 ones), and each group of LANES elements is read
 * into a local block before the row is written, since `y` may be `x` (the
 * attention kernel normalizes its scores in place). */
enum { LANES = 16 };

static inline __attribute__((always_inline)) void
softmax_row_body(const float *x, float *y, int64_t n, float scale) {
  float part_max[LANES];
  int part_nan[LANES];
  for (int l = 0; l < LANES; ++l) {
    part_max[l] = -INFINITY;
    part_nan[l] = 0;
  }
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int l = 0; l < LANES; ++l) {
      float v = x[i + l];
      part_max[l] = v > part_max[l] ? v : part_max[l];
      part_nan[l] |= v != v;
    }
  float m = -INFINITY;
  int nan = 0;
  for (int l = 0; l < LANES; ++l) {
    m = part_max[l] > m ? part_max[l] : m;
    nan |= part_nan[l];
  }
  for (; i < n; ++i) {
    m = x[i] > m ? x[i] : m;
    nan |= x[i] != x[i];
  }
  if (nan) { /* NaN anywhere makes the whole row NaN, as in the math */
    for (i = 0; i < n; ++i)
      y[i] = NAN;
    return;
  }
  float part_sum[LANES] = {0};
  for (i = 0; i + LANES <= n; i += LANES) {
    float e[LANES];
    for (int l = 0; l < LANES; ++l)
      e[l] = gcomp_exp(scale * (x[i + l] - m));
    for (int l = 0; l < LANES; ++l) {
      y[i + l] = e[l];
      part_sum[l] += e[l];
    }
  }
  float sum = 0.0f;
  for (; i < n; ++i) {
    float e = gcomp_exp(scale * (x[i] - m));
    y[i] = e;
    sum += e;
  }
  for (int l = 0; l < LANES; ++l)
    sum += part_sum[l];
  float inv = 1.0f / sum;
  for (i = 0; i < n; ++i)
    y[i] *= inv;
}

static void softmax_row_portable(const float *x, float *y, int64_t n,
                                 float scale) {
  softmax_row_body(x, y, n, scale);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
__attribute__((target("avx2,fma"))) static void
softmax_row_avx2(const float *x, float *y, int64_t n, float scale) {
  softmax_row_body(x, y, n, scale);
}

__attribute__((target("avx512f"))) static void
softmax_row_avx512(const float *x, float *y, int64_t n, float scale) {
  softmax_row_body(x, y, n, scale);
}
#endif

typedef void (*softmax_row_fn)(const float *, float *, int64_t, float);
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;
static softmax_row_fn softmax_row;

static void choose_row(void) {
  softmax_row = softmax_row_portable;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX512)
    softmax_row = softmax_row_avx512;
  else if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX2)
    softmax_row = softmax_row_avx2;
#endif
}

static void softmax_task(void *ctx, int i, int parts) {
  const softmax_job *j = ctx;
  int64_t lo = j->rows * i / parts, hi = j->rows * (i + 1) / parts;
  for (int64_t r = lo; r < hi; ++r)
    softmax_row(j->in + r * j->n, j->out + r * j->n, j->n, j->scale);
}

void __gcomp_softmax_rows(int64_t rows, int64_t n, const float *in,
                          float *out, int64_t scale_bits) {
  pthread_once(&chosen_once, choose_row);
  uint32_t bits = (uint32_t)scale_bits;
  softmax_job job = {.rows = rows, .n = n, .in = in, .out = out};
  memcpy(&job.scale, &bits, sizeof bits);
  if (rows <= 0 || n <= 0)
    return;
  int threads = (double)rows * n < 32768 ? 1 : gcomp_rt_threads();
  int parts = rows < threads * 4 ? (int)rows : threads * 4;
  if (threads <= 1 || parts <= 1) {
    softmax_task(&job, 0, 1);
    return;
  }
  gcomp_rt_parallel(softmax_task, &job, parts);
}

void gcomp_rt_softmax_row(const float *in, float *out, int64_t n,
                          float scale) {
  pthread_once(&chosen_once, choose_row);
  softmax_row(in, out, n, scale);
}
