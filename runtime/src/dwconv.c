/*===- dwconv.c - depthwise convolution for generated code ----------------===*
 *
 * MobileNet and EfficientNet spend their convolution time in depthwise 3x3
 * and 5x5 convolutions: one small kernel per channel, too little work per
 * output for a GEMM. Here each output row accumulates kernel-weight x
 * input-row products, so the innermost loop runs along the row (vectorized
 * by the compiler: 8 floats at a time with AVX2, 4 with SSE), and channels
 * are split across the thread pool.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"
#include "vmath.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>
#endif

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
  avx2 = gcomp_rt_kernel_isa() >= GCOMP_RT_ISA_AVX2;
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

/*===----------------------------------------------------------------------===*
 * Channels-last depthwise convolution
 *===----------------------------------------------------------------------===*/

/* With the channels innermost (gcomp-channels-last), one output pixel is a
 * sum over the window of (input pixel x tap weight), each a contiguous run
 * of channels: a block of channels accumulates in registers across every
 * tap of the window, and output rows are split across the pool. Zero
 * padding is implicit (taps outside the input are skipped), so the input
 * needs no padded copy. */

typedef struct dwn_job {
  int64_t n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow;
  const float *in, *weight;
  float *out;
  gcomp_rt_isa isa;
  /* The epilogue (GCOMP_SYM_DWCONV2D_NHWC_FUSED): each output row starts
   * from the bias (or zero) plus, when accumulating, its old values, and
   * gets the activation last. */
  const float *bias;
  int accumulate;
  int clamp;    /* clamp to [lo, hi] (a ReLU is [0, inf]) */
  float lo, hi;
  int act;      /* GCOMP_ACT_GELU or _SILU (vmath.h), instead */
} dwn_job;

/* The activation over an output row of `len` floats, while it is in cache;
 * built per instruction set, so that the loop vectorizes. max/min written
 * as selects keep NaN, as in ONNX Relu and Clip. */
#define DW_ACT_BODY                                                            \
  {                                                                            \
    if (j->clamp) {                                                            \
      float lo = j->lo, hi = j->hi;                                            \
      for (int64_t i = 0; i < len; ++i) {                                      \
        float v = row[i];                                                      \
        v = v < lo ? lo : v;                                                   \
        row[i] = v > hi ? hi : v;                                              \
      }                                                                        \
    }                                                                          \
    gcomp_activate(j->act, row, len);                                          \
  }
static void dw_act_portable(const dwn_job *j, float *row,
                            int64_t len) DW_ACT_BODY
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
__attribute__((target("avx2,fma"))) static void
dw_act_avx2(const dwn_job *j, float *row, int64_t len) DW_ACT_BODY
__attribute__((target("avx512f"))) static void
dw_act_avx512(const dwn_job *j, float *row, int64_t len) DW_ACT_BODY
#endif

enum { kChannelBlock = 64 };

#define DWN_ROW_BODY                                                           \
  float *orow = j->out + (b * j->oh + y) * j->ow * j->c;                       \
  for (int64_t x = 0; x < j->ow; ++x) {                                        \
    float *o = orow + x * j->c;                                                \
    for (int64_t c0 = 0; c0 < j->c; c0 += kChannelBlock) {                     \
      int64_t cn = j->c - c0 < kChannelBlock ? j->c - c0 : kChannelBlock;      \
      float acc[kChannelBlock];                                                \
      for (int64_t i = 0; i < cn; ++i)                                         \
        acc[i] = o[c0 + i];                                                    \
      for (int64_t ky = 0; ky < j->kh; ++ky) {                                 \
        int64_t iy = y * j->sh + ky * j->dh - j->pt;                           \
        if (iy < 0 || iy >= j->h)                                              \
          continue;                                                            \
        for (int64_t kx = 0; kx < j->kw; ++kx) {                               \
          int64_t ix = x * j->sw + kx * j->dw - j->pl;                         \
          if (ix < 0 || ix >= j->w)                                            \
            continue;                                                          \
          const float *restrict ip =                                           \
              j->in + ((b * j->h + iy) * j->w + ix) * j->c + c0;               \
          const float *restrict wp = j->weight + (ky * j->kw + kx) * j->c + c0; \
          for (int64_t i = 0; i < cn; ++i)                                     \
            acc[i] += ip[i] * wp[i];                                           \
        }                                                                      \
      }                                                                        \
      for (int64_t i = 0; i < cn; ++i)                                         \
        o[c0 + i] = acc[i];                                                    \
    }                                                                          \
  }

static void nhwc_row_portable(const dwn_job *j, int64_t b, int64_t y) {
  DWN_ROW_BODY
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
/* The taps of output pixel (b, y, x) inside the input, as (input offset,
 * weight offset) pairs; at most kh * kw <= 64 of them. */
static void find_taps(const dwn_job *j, int64_t b, int64_t y, int64_t x,
                      int64_t in_off[64], int64_t w_off[64], int64_t *taps) {
  *taps = 0;
  for (int64_t ky = 0; ky < j->kh; ++ky) {
    int64_t iy = y * j->sh + ky * j->dh - j->pt;
    if (iy < 0 || iy >= j->h)
      continue;
    for (int64_t kx = 0; kx < j->kw; ++kx) {
      int64_t ix = x * j->sw + kx * j->dw - j->pl;
      if (ix < 0 || ix >= j->w)
        continue;
      in_off[*taps] = ((b * j->h + iy) * j->w + ix) * j->c;
      w_off[*taps] = (ky * j->kw + kx) * j->c;
      ++*taps;
    }
  }
}

/* Four vectors of 8 channels accumulate over the window in registers, then
 * one vector, then single channels. */
__attribute__((target("avx2,fma"))) static void
nhwc_row_avx2(const dwn_job *j, int64_t b, int64_t y) {
  const int64_t c = j->c;
  float *orow = j->out + (b * j->oh + y) * j->ow * c;
  for (int64_t x = 0; x < j->ow; ++x) {
    float *o = orow + x * c;
    int64_t in_off[64], w_off[64], taps = 0;
    int64_t window = j->kh * j->kw;
    if (window > 64) { /* windows past 8 x 8: the portable loop */
      nhwc_row_portable(j, b, y);
      return;
    }
    find_taps(j, b, y, x, in_off, w_off, &taps);
    int64_t c0 = 0;
    for (; c0 + 32 <= c; c0 += 32) {
      __m256 a0 = _mm256_loadu_ps(o + c0), a1 = _mm256_loadu_ps(o + c0 + 8);
      __m256 a2 = _mm256_loadu_ps(o + c0 + 16), a3 = _mm256_loadu_ps(o + c0 + 24);
      for (int64_t t = 0; t < taps; ++t) {
        const float *ip = j->in + in_off[t] + c0, *wp = j->weight + w_off[t] + c0;
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(ip), _mm256_loadu_ps(wp), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + 8), _mm256_loadu_ps(wp + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + 16), _mm256_loadu_ps(wp + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(ip + 24), _mm256_loadu_ps(wp + 24), a3);
      }
      _mm256_storeu_ps(o + c0, a0);
      _mm256_storeu_ps(o + c0 + 8, a1);
      _mm256_storeu_ps(o + c0 + 16, a2);
      _mm256_storeu_ps(o + c0 + 24, a3);
    }
    for (; c0 + 8 <= c; c0 += 8) {
      __m256 a = _mm256_loadu_ps(o + c0);
      for (int64_t t = 0; t < taps; ++t)
        a = _mm256_fmadd_ps(_mm256_loadu_ps(j->in + in_off[t] + c0),
                            _mm256_loadu_ps(j->weight + w_off[t] + c0), a);
      _mm256_storeu_ps(o + c0, a);
    }
    for (; c0 < c; ++c0) {
      float a = o[c0];
      for (int64_t t = 0; t < taps; ++t)
        a += j->in[in_off[t] + c0] * j->weight[w_off[t] + c0];
      o[c0] = a;
    }
  }
}

/* The same with AVX-512: four vectors of 16 channels, then one, then the
 * last channels under a mask. */
__attribute__((target("avx512f"))) static void
nhwc_row_avx512(const dwn_job *j, int64_t b, int64_t y) {
  const int64_t c = j->c;
  float *orow = j->out + (b * j->oh + y) * j->ow * c;
  int64_t window = j->kh * j->kw;
  if (window > 64) { /* windows past 8 x 8: the portable loop */
    nhwc_row_portable(j, b, y);
    return;
  }
  for (int64_t x = 0; x < j->ow; ++x) {
    float *o = orow + x * c;
    int64_t in_off[64], w_off[64], taps = 0;
    find_taps(j, b, y, x, in_off, w_off, &taps);
    int64_t c0 = 0;
    for (; c0 + 64 <= c; c0 += 64) {
      __m512 a0 = _mm512_loadu_ps(o + c0), a1 = _mm512_loadu_ps(o + c0 + 16);
      __m512 a2 = _mm512_loadu_ps(o + c0 + 32), a3 = _mm512_loadu_ps(o + c0 + 48);
      for (int64_t t = 0; t < taps; ++t) {
        const float *ip = j->in + in_off[t] + c0, *wp = j->weight + w_off[t] + c0;
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(ip), _mm512_loadu_ps(wp), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(ip + 16), _mm512_loadu_ps(wp + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(ip + 32), _mm512_loadu_ps(wp + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(ip + 48), _mm512_loadu_ps(wp + 48), a3);
      }
      _mm512_storeu_ps(o + c0, a0);
      _mm512_storeu_ps(o + c0 + 16, a1);
      _mm512_storeu_ps(o + c0 + 32, a2);
      _mm512_storeu_ps(o + c0 + 48, a3);
    }
    for (; c0 < c; c0 += 16) {
      int64_t left = c - c0;
      __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
      __m512 a = _mm512_maskz_loadu_ps(m, o + c0);
      for (int64_t t = 0; t < taps; ++t)
        a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, j->in + in_off[t] + c0),
                            _mm512_maskz_loadu_ps(m, j->weight + w_off[t] + c0), a);
      _mm512_mask_storeu_ps(o + c0, m, a);
    }
  }
}
#endif

/* Output row r: its start values, the window sums, the activation. */
static void dwn_row(const dwn_job *j, int64_t r) {
  int64_t b = r / j->oh, y = r % j->oh, len = j->ow * j->c;
  float *row = j->out + r * len;
  if (j->bias && j->accumulate) /* a residual plus the bias */
    for (int64_t x = 0; x < j->ow; ++x)
      for (int64_t ch = 0; ch < j->c; ++ch)
        row[x * j->c + ch] += j->bias[ch];
  else if (j->bias)
    for (int64_t x = 0; x < j->ow; ++x)
      memcpy(row + x * j->c, j->bias, sizeof(float) * (size_t)j->c);
  else if (!j->accumulate)
    memset(row, 0, sizeof(float) * (size_t)len);
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
  if (j->isa == GCOMP_RT_ISA_AVX512) {
    nhwc_row_avx512(j, b, y);
    if (j->clamp || j->act != GCOMP_ACT_NONE)
      dw_act_avx512(j, row, len);
    return;
  }
  if (j->isa == GCOMP_RT_ISA_AVX2) {
    nhwc_row_avx2(j, b, y);
    if (j->clamp || j->act != GCOMP_ACT_NONE)
      dw_act_avx2(j, row, len);
    return;
  }
#endif
  nhwc_row_portable(j, b, y);
  if (j->clamp || j->act != GCOMP_ACT_NONE)
    dw_act_portable(j, row, len);
}

static void dwn_task(void *ctx, int i, int parts) {
  const dwn_job *j = ctx;
  int64_t rows = j->n * j->oh;
  for (int64_t r = rows * i / parts; r < rows * (i + 1) / parts; ++r)
    dwn_row(j, r);
}

void __gcomp_dwconv2d_nhwc(int64_t n, int64_t h, int64_t w, int64_t c,
                           int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                           int64_t dh, int64_t dw, int64_t pt, int64_t pl,
                           int64_t oh, int64_t ow, const float *in,
                           const float *weight, float *out) {
  __gcomp_dwconv2d_nhwc_fused(n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh,
                              ow, c, in, weight, NULL, out,
                              GCOMP_CONV_ACCUMULATE, 0);
}

void __gcomp_dwconv2d_nhwc_fused(int64_t n, int64_t h, int64_t w, int64_t c,
                                 int64_t kh, int64_t kw, int64_t sh,
                                 int64_t sw, int64_t dh, int64_t dw,
                                 int64_t pt, int64_t pl, int64_t oh,
                                 int64_t ow, int64_t m, const float *in,
                                 const float *weight, const float *bias,
                                 float *out, int64_t flags,
                                 int64_t clamp_bits) {
  if (n <= 0 || c <= 0 || oh <= 0 || ow <= 0 || m != c)
    return;
  dwn_job job = {.n = n, .h = h, .w = w, .c = c, .kh = kh, .kw = kw,
                 .sh = sh, .sw = sw, .dh = dh, .dw = dw, .pt = pt, .pl = pl,
                 .oh = oh, .ow = ow, .in = in, .weight = weight, .out = out,
                 .isa = gcomp_rt_kernel_isa(), .bias = bias,
                 .accumulate = (flags & GCOMP_CONV_ACCUMULATE) != 0,
                 .act = GCOMP_ACT_NONE};
  if (flags & GCOMP_CONV_CLAMP) {
    uint32_t lo = (uint32_t)clamp_bits, hi = (uint32_t)(clamp_bits >> 32);
    memcpy(&job.lo, &lo, sizeof lo);
    memcpy(&job.hi, &hi, sizeof hi);
    job.clamp = 1;
  } else if (flags & GCOMP_CONV_RELU) {
    job.lo = 0.0f;
    job.hi = INFINITY;
    job.clamp = 1;
  } else if (flags & GCOMP_CONV_GELU) {
    job.act = GCOMP_ACT_GELU;
  } else if (flags & GCOMP_CONV_SILU) {
    job.act = GCOMP_ACT_SILU;
  }
  double work = 2.0 * n * oh * ow * c * kh * kw;
  int parts = work < 1e6 ? 1 : gcomp_rt_threads();
  if (parts > n * oh)
    parts = (int)(n * oh);
  if (parts <= 1)
    dwn_task(&job, 0, 1);
  else
    gcomp_rt_parallel(dwn_task, &job, parts);
}
