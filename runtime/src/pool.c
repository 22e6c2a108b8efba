/*===- pool.c - channels-last 2-D max and average pooling -----------------===*
 *
 * __gcomp_pool2d_nhwc (model_abi.h): MaxPool, AveragePool and the global
 * pools in one pass over the input, with the padding handled by clipping
 * the window (no padded copy of the input) and no separate initialization
 * or division pass. Channels-last, each output pixel is a vector of c
 * channels updated from c contiguous input floats per window position, a
 * loop the compiler vectorizes.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <math.h>

typedef struct pool_job {
  int64_t n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow;
  const float *in;
  float *out;
  int average, include_pad;
  int64_t channel_blocks, block; /* the channels split into tasks */
} pool_job;

/* One output pixel (b, y, x), channels [c0, c1); inlined into a wrapper
 * per instruction set, which vectorizes the channel loops for it. */
static inline __attribute__((always_inline)) void
pool_pixel(const pool_job *j, int64_t b, int64_t y, int64_t x, int64_t c0,
           int64_t c1) {
  float *out = j->out + ((b * j->oh + y) * j->ow + x) * j->c;
  int64_t y0 = y * j->sh - j->pt, x0 = x * j->sw - j->pl;
  for (int64_t ch = c0; ch < c1; ++ch)
    out[ch] = j->average ? 0.0f : -INFINITY;
  int64_t counted = 0;
  for (int64_t ky = 0; ky < j->kh; ++ky) {
    int64_t iy = y0 + ky * j->dh;
    for (int64_t kx = 0; kx < j->kw; ++kx) {
      int64_t ix = x0 + kx * j->dw;
      if (iy < 0 || iy >= j->h || ix < 0 || ix >= j->w) {
        /* count_include_pad counts the declared padding, not what ceil
         * mode adds past it. */
        if (j->include_pad && iy >= -j->pt && iy < j->h + j->pb &&
            ix >= -j->pl && ix < j->w + j->pr)
          ++counted;
        continue;
      }
      ++counted;
      const float *in = j->in + ((b * j->h + iy) * j->w + ix) * j->c;
      if (j->average) {
        for (int64_t ch = c0; ch < c1; ++ch)
          out[ch] += in[ch];
      } else {
        /* NaN wins, as in ONNX Runtime and arith.maximumf. */
        for (int64_t ch = c0; ch < c1; ++ch) {
          float v = in[ch], o = out[ch];
          out[ch] = (v > o || v != v) ? v : o;
        }
      }
    }
  }
  if (j->average) {
    float scale = counted ? 1.0f / (float)counted : NAN;
    for (int64_t ch = c0; ch < c1; ++ch)
      out[ch] *= scale;
  }
}

/* Output rows [lo, hi) of the job's items (rows x channel blocks). */
#define POOL_ITEMS_BODY                                                        \
  {                                                                            \
    for (int64_t item = lo; item < hi; ++item) {                               \
      int64_t row = item / j->channel_blocks, cb = item % j->channel_blocks;   \
      int64_t c0 = cb * j->block;                                              \
      int64_t c1 = c0 + j->block < j->c ? c0 + j->block : j->c;                \
      int64_t b = row / j->oh, y = row % j->oh;                                \
      for (int64_t x = 0; x < j->ow; ++x)                                      \
        pool_pixel(j, b, y, x, c0, c1);                                        \
    }                                                                          \
  }

static void pool_items_portable(const pool_job *j, int64_t lo,
                                int64_t hi) POOL_ITEMS_BODY

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
__attribute__((target("avx2,fma"))) static void
pool_items_avx2(const pool_job *j, int64_t lo, int64_t hi) POOL_ITEMS_BODY
__attribute__((target("avx512f"))) static void
pool_items_avx512(const pool_job *j, int64_t lo, int64_t hi) POOL_ITEMS_BODY
#endif

static void pool_task(void *ctx, int i, int parts) {
  const pool_job *j = ctx;
  int64_t items = j->n * j->oh * j->channel_blocks;
  int64_t lo = items * i / parts, hi = items * (i + 1) / parts;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  switch (gcomp_rt_kernel_isa()) {
  case GCOMP_RT_ISA_AVX512:
    pool_items_avx512(j, lo, hi);
    return;
  case GCOMP_RT_ISA_AVX2:
    pool_items_avx2(j, lo, hi);
    return;
  default:
    break;
  }
#endif
  pool_items_portable(j, lo, hi);
}

void __gcomp_pool2d_nhwc(int64_t n, int64_t h, int64_t w, int64_t c,
                         int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                         int64_t dh, int64_t dw, int64_t pad_top,
                         int64_t pad_left, int64_t pad_bottom,
                         int64_t pad_right, int64_t oh, int64_t ow,
                         const float *in, float *out, int64_t flags) {
  pool_job job = {.n = n, .h = h, .w = w, .c = c, .kh = kh, .kw = kw,
                  .sh = sh, .sw = sw, .dh = dh, .dw = dw, .pt = pad_top,
                  .pl = pad_left, .pb = pad_bottom, .pr = pad_right,
                  .oh = oh, .ow = ow, .in = in, .out = out,
                  .average = (flags & GCOMP_POOL_AVERAGE) != 0,
                  .include_pad = (flags & GCOMP_POOL_COUNT_INCLUDE_PAD) != 0,
                  .channel_blocks = 1, .block = c};
  if (n <= 0 || oh <= 0 || ow <= 0 || c <= 0)
    return;
  double work = (double)n * oh * ow * c * kh * kw;
  int threads = work < 65536 ? 1 : gcomp_rt_threads();
  /* Few output rows (a global pool has one per image): split the channels
   * too, in blocks of whole cache lines, so that every thread has work. */
  if (threads > 1 && n * oh < 4 * threads && c >= 32) {
    int64_t blocks = 4 * threads / (n * oh) + 1;
    job.block = ((c + blocks - 1) / blocks + 15) / 16 * 16;
    job.channel_blocks = (c + job.block - 1) / job.block;
  }
  int64_t items = n * oh * job.channel_blocks;
  int parts = items < threads ? (int)items : threads;
  if (parts <= 1) {
    pool_task(&job, 0, 1);
    return;
  }
  gcomp_rt_parallel(pool_task, &job, parts * 4 < items ? parts * 4 : (int)items);
}
