/*===- layer_norm.c - layer normalization over rows -----------------------===*
 *
 * __gcomp_layer_norm_rows (model_abi.h). Written out as graph ops, a layer
 * norm is two mean reductions with their initializations, the centring,
 * the square, the deviation and the scale and shift: about nine kernels
 * and as many passes over the tensor (a transformer has two per layer).
 * Here each row is read for its mean, again for its variance around that
 * mean (the two-pass form, as exact as the decomposition it replaces), and
 * once more to write the result, all while it stays in cache. Rows are
 * spread over the thread pool.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

typedef struct layer_norm_job {
  int64_t rows, n;
  const float *in, *scale, *bias;
  float *out;
  float epsilon;
} layer_norm_job;

/* One row. Inlined into a portable and an AVX2 + FMA wrapper, which
 * compile it for their targets. Without fast-math the compiler may not
 * reassociate a float sum, so a plain running sum would not vectorize: the
 * sums keep eight partial sums, which become one vector accumulator. */
static inline __attribute__((always_inline)) void
layer_norm_row_body(const float *x, float *y, int64_t n, const float *scale,
                    const float *bias, float epsilon) {
  /* Summed relative to the first element: the differences are exact for
   * values close to it, so a mean that is large against the spread keeps
   * its precision. */
  float pivot = x[0];
  float partial[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l)
      partial[l] += x[i + l] - pivot;
  float sum = 0.0f;
  for (; i < n; ++i)
    sum += x[i] - pivot;
  for (int l = 0; l < 8; ++l)
    sum += partial[l];
  float mean = pivot + sum / (float)n;

  /* The variance around that mean (two passes, not E[x^2] - E[x]^2, which
   * cancels catastrophically when the mean is large). */
  float squares_partial[8] = {0};
  for (i = 0; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) {
      float d = x[i + l] - mean;
      squares_partial[l] += d * d;
    }
  float squares = 0.0f;
  for (; i < n; ++i) {
    float d = x[i] - mean;
    squares += d * d;
  }
  for (int l = 0; l < 8; ++l)
    squares += squares_partial[l];
  float inv = 1.0f / sqrtf(squares / (float)n + epsilon);

  if (scale && bias)
    for (i = 0; i < n; ++i)
      y[i] = (x[i] - mean) * inv * scale[i] + bias[i];
  else if (scale)
    for (i = 0; i < n; ++i)
      y[i] = (x[i] - mean) * inv * scale[i];
  else if (bias)
    for (i = 0; i < n; ++i)
      y[i] = (x[i] - mean) * inv + bias[i];
  else
    for (i = 0; i < n; ++i)
      y[i] = (x[i] - mean) * inv;
}

static void layer_norm_row_portable(const float *x, float *y, int64_t n,
                                    const float *scale, const float *bias,
                                    float epsilon) {
  layer_norm_row_body(x, y, n, scale, bias, epsilon);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
__attribute__((target("avx2,fma"))) static void
layer_norm_row_avx2(const float *x, float *y, int64_t n, const float *scale,
                    const float *bias, float epsilon) {
  layer_norm_row_body(x, y, n, scale, bias, epsilon);
}

__attribute__((target("avx512f"))) static void
layer_norm_row_avx512(const float *x, float *y, int64_t n, const float *scale,
                      const float *bias, float epsilon) {
  layer_norm_row_body(x, y, n, scale, bias, epsilon);
}
#endif

typedef void (*layer_norm_row_fn)(const float *, float *, int64_t,
                                  const float *, const float *, float);
static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;
static layer_norm_row_fn layer_norm_row;

static void choose_row(void) {
  layer_norm_row = layer_norm_row_portable;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX512)
    layer_norm_row = layer_norm_row_avx512;
  else if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX2)
    layer_norm_row = layer_norm_row_avx2;
#endif
}

static void layer_norm_task(void *ctx, int i, int parts) {
  const layer_norm_job *j = ctx;
  int64_t lo = j->rows * i / parts, hi = j->rows * (i + 1) / parts;
  for (int64_t r = lo; r < hi; ++r)
    layer_norm_row(j->in + r * j->n, j->out + r * j->n, j->n, j->scale,
                   j->bias, j->epsilon);
}

void __gcomp_layer_norm_rows(int64_t rows, int64_t n, const float *in,
                             float *out, const float *scale, const float *bias,
                             int64_t epsilon_bits) {
  pthread_once(&chosen_once, choose_row);
  uint32_t bits = (uint32_t)epsilon_bits;
  layer_norm_job job = {
      .rows = rows, .n = n, .in = in, .scale = scale, .bias = bias, .out = out};
  memcpy(&job.epsilon, &bits, sizeof bits);
  if (rows <= 0 || n <= 0)
    return;
  int threads = (double)rows * n < 32768 ? 1 : gcomp_rt_threads();
  int parts = rows < threads * 4 ? (int)rows : threads * 4;
  if (threads <= 1 || parts <= 1) {
    layer_norm_task(&job, 0, 1);
    return;
  }
  gcomp_rt_parallel(layer_norm_task, &job, parts);
}
