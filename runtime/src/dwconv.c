/*===- dwconv.c - depthwise convolution for generated code ----------------===*
 *
 * MobileNet and EfficientNet spend their convolution time in depthwise 3x3
 * and 5x5 convolutions: one small kernel per channel, too little work per
 * output for a GEMM. Here each output row accumulates kernel-weight x
 * input-row products, so the innermost loop runs along the row (vectorized
 * by the compiler: 8 floats at a time with AVX2, 4 with SSE), and channels
 * are split across the thread pool.
 *===----------------------------------------------------------------------===*/

#include "internal.h"

#include <pthread.h>

typedef struct dw_job {
  int64_t channels, groups, h, w, kh, kw, sh, sw, dh, dw, oh, ow;
  const float *in, *weight;
  float *out;
  int avx2;
} dw_job;

#define DW_PLANE_BODY                                                          \
  for (int64_t y = 0; y < j->oh; ++y) {                                       \
    float *restrict orow = out + y * j->ow;                                    \
    for (int64_t ky = 0; ky < j->kh; ++ky) {                                   \
      const float *irow = in + (y * j->sh + ky * j->dh) * j->w;                \
      for (int64_t kx = 0; kx < j->kw; ++kx) {                                 \
        float wv = wt[ky * j->kw + kx];                                        \
        const float *restrict ip = irow + kx * j->dw;                          \
        if (j->sw == 1)                                                        \
          for (int64_t x = 0; x < j->ow; ++x)                                  \
            orow[x] += wv * ip[x];                                             \
        else                                                                   \
          for (int64_t x = 0; x < j->ow; ++x)                                  \
            orow[x] += wv * ip[x * j->sw];                                     \
      }                                                                        \
    }                                                                          \
  }

static void plane_portable(const dw_job *j, const float *in, const float *wt,
                           float *out) {
  DW_PLANE_BODY
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
__attribute__((target("avx2,fma"))) static void
plane_avx2(const dw_job *j, const float *in, const float *wt, float *out) {
  DW_PLANE_BODY
}
#endif

static void dw_task(void *ctx, int i, int n) {
  const dw_job *j = ctx;
  int64_t c0 = j->channels * i / n, c1 = j->channels * (i + 1) / n;
  for (int64_t c = c0; c < c1; ++c) {
    const float *in = j->in + c * j->h * j->w;
    const float *wt = j->weight + (c % j->groups) * j->kh * j->kw;
    float *out = j->out + c * j->oh * j->ow;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    if (j->avx2) {
      plane_avx2(j, in, wt, out);
      continue;
    }
#endif
    plane_portable(j, in, wt, out);
  }
}

static pthread_once_t avx2_once = PTHREAD_ONCE_INIT;
static int avx2;

static void detect_avx2(void) {
  avx2 = gcomp_rt_cpu_has_feature("avx2") == 1 &&
         gcomp_rt_cpu_has_feature("fma") == 1;
}

void __gcomp_dwconv2d(int64_t channels, int64_t groups, int64_t h, int64_t w,
                      int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                      int64_t dh, int64_t dw, int64_t oh, int64_t ow,
                      const float *in, const float *weight, float *out) {
  pthread_once(&avx2_once, detect_avx2);
  if (channels <= 0 || groups <= 0 || oh <= 0 || ow <= 0)
    return;
  dw_job job = {channels, groups, h, w, kh, kw, sh, sw, dh, dw, oh, ow,
                in, weight, out, avx2};
  double work = 2.0 * channels * oh * ow * kh * kw;
  int parts = work < 1e6 ? 1 : gcomp_rt_threads();
  if (parts > channels)
    parts = (int)channels;
  if (parts <= 1)
    dw_task(&job, 0, 1);
  else
    gcomp_rt_parallel(dw_task, &job, parts);
}
