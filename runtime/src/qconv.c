/*===- qconv.c - quantized channels-last convolution ----------------------===*
 *
 * __gcomp_qconv2d_nhwc (model_abi.h): the integer convolution of a
 * quantized CNN (uint8 activations, int8 weights, int32 sums) and the float
 * steps after it, as one kernel. The product is qgemm.c's: the output
 * pixels are the rows of an im2col matrix A (one row = the kh * kw * c
 * input bytes the pixel's window covers, padding positions holding the
 * zero point, so that they add nothing once it is subtracted) and the
 * weights the packed [k, m] B. A is built a block of ROWS pixels at a time
 * into a buffer of its own (a byte per element, so a block stays in L2),
 * except for 1x1 convolutions with stride 1 and no padding, where the
 * input already is A. The product of a row block and a group of column
 * blocks lands in a small int32 tile, and the epilogue turns the tile into
 * the output while it is in cache: int32 as it is, the dequantized f32
 * (acc * scale + bias, optional ReLU), or the bytes of the next layer's
 * activations (requantized). Threads take (row block, column group) tasks.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define GCOMP_QCONV_X86 1
#include <immintrin.h>
#endif

/* Rows of a block: whole AMX tiles (32) and VNNI tiles (6) both. */
enum { ROWS = 96, BLOCK = GCOMP_QGEMM_BLOCK, GROUP_BLOCKS = 8 };

typedef struct {
  int64_t n, h, w, c, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, m, kp;
  const uint8_t *in;
  int32_t zero;
  int is_signed;
  const int8_t *b;
  const int32_t *sums;
  const float *scale, *bias;
  float out_scale, out_zero, lo, hi;
  int kind, relu;
  void *out;
  int64_t rows, row_blocks, groups, blocks;
  int direct; /* A is the input itself */
} qconv_job;

/* Rows [r0, r0 + count) of A, kp bytes each, into `a`. */
static void im2col(const qconv_job *j, int64_t r0, int64_t count,
                   uint8_t *a) {
  const int64_t pixels = j->oh * j->ow, c = j->c;
  const uint8_t pad = (uint8_t)j->zero;
  for (int64_t i = 0; i < count; ++i) {
    int64_t r = r0 + i, b = r / pixels, p = r % pixels;
    int64_t oy = p / j->ow, ox = p % j->ow;
    uint8_t *dst = a + i * j->kp;
    const uint8_t *image = j->in + b * j->h * j->w * c;
    int64_t ix0 = ox * j->sw - j->pl;
    /* Undilated windows wholly inside a row of the image are kw * c
     * contiguous bytes (channels-last): one copy per kernel row. */
    int whole_rows = j->dw == 1 && ix0 >= 0 && ix0 + j->kw <= j->w;
    for (int64_t ky = 0; ky < j->kh; ++ky) {
      int64_t iy = oy * j->sh - j->pt + ky * j->dh;
      if (whole_rows) {
        size_t bytes = (size_t)(j->kw * c);
        if (iy < 0 || iy >= j->h)
          memset(dst, pad, bytes);
        else
          memcpy(dst, image + (iy * j->w + ix0) * c, bytes);
        dst += bytes;
        continue;
      }
      for (int64_t kx = 0; kx < j->kw; ++kx, dst += c) {
        int64_t ix = ox * j->sw - j->pl + kx * j->dw;
        if (iy < 0 || iy >= j->h || ix < 0 || ix >= j->w)
          memset(dst, pad, (size_t)c);
        else
          memcpy(dst, image + (iy * j->w + ix) * c, (size_t)c);
      }
    }
    /* B is zero in these rows: any byte will do. */
    memset(dst, 0, (size_t)(j->kp - j->kh * j->kw * c));
  }
}

/* One output element's float steps, as model_abi.h spells them. */
static inline float dequantized(const qconv_job *j, int32_t acc, int64_t o) {
  float y = (float)acc * j->scale[o];
  if (j->bias)
    y = y + j->bias[o];
  if (j->relu) /* -0 becomes +0, NaN is kept */
    y = y > 0.0f ? y : (y != y ? y : 0.0f);
  return y;
}

/* Round half to even without libm (the runtime links none): below 2^23,
 * adding and taking away 2^23 rounds in the default rounding mode; above
 * it, every float is an integer already (NaN passes through). */
static inline float round_half_even(float x) {
  float a = __builtin_fabsf(x);
  if (!(a < 8388608.0f))
    return x;
  return __builtin_copysignf((a + 8388608.0f) - 8388608.0f, x);
}

static inline uint8_t requantized(const qconv_job *j, float y) {
  float q = round_half_even(y / j->out_scale) + j->out_zero;
  q = q > j->lo ? q : j->lo;
  q = q < j->hi ? q : j->hi;
  return (uint8_t)(int32_t)q;
}

/* The epilogue of `count` rows from row r0, columns [col, col + width) of
 * the tile (row stride ts). */
static void epilogue_portable(const qconv_job *j, const int32_t *tile,
                              int64_t ts, int64_t r0, int64_t count,
                              int64_t col, int64_t width) {
  for (int64_t i = 0; i < count; ++i) {
    const int32_t *t = tile + i * ts;
    int64_t at = (r0 + i) * j->m + col;
    for (int64_t x = 0; x < width; ++x) {
      if (j->kind == GCOMP_QCONV_OUT_I32)
        ((int32_t *)j->out)[at + x] = t[x];
      else if (j->kind == GCOMP_QCONV_OUT_F32)
        ((float *)j->out)[at + x] = dequantized(j, t[x], col + x);
      else
        ((uint8_t *)j->out)[at + x] =
            requantized(j, dequantized(j, t[x], col + x));
    }
  }
}

#ifdef GCOMP_QCONV_X86
__attribute__((target("avx512f,avx512bw"))) static void
epilogue_avx512(const qconv_job *j, const int32_t *tile, int64_t ts,
                int64_t r0, int64_t count, int64_t col, int64_t width) {
  if (j->kind == GCOMP_QCONV_OUT_I32) {
    epilogue_portable(j, tile, ts, r0, count, col, width);
    return;
  }
  const __m512 zero = _mm512_setzero_ps();
  const __m512 s = _mm512_set1_ps(j->out_scale), zy = _mm512_set1_ps(j->out_zero);
  const __m512 lo = _mm512_set1_ps(j->lo), hi = _mm512_set1_ps(j->hi);
  for (int64_t x = 0; x < width; x += 16) {
    int64_t left = width - x;
    __mmask16 mask = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
    __m512 scale = _mm512_maskz_loadu_ps(mask, j->scale + col + x);
    __m512 bias = j->bias ? _mm512_maskz_loadu_ps(mask, j->bias + col + x)
                          : zero;
    for (int64_t i = 0; i < count; ++i) {
      __m512i acc = _mm512_maskz_loadu_epi32(mask, tile + i * ts + x);
      __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
      if (j->bias)
        y = _mm512_add_ps(y, bias);
      if (j->relu) /* max(y, 0): -0 becomes +0, NaN is kept (as the
                    * portable loop and the graph's relu) */
        y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, zero, _CMP_LE_OQ), y,
                                 zero);
      int64_t at = (r0 + i) * j->m + col + x;
      if (j->kind == GCOMP_QCONV_OUT_F32) {
        _mm512_mask_storeu_ps((float *)j->out + at, mask, y);
        continue;
      }
      __m512 q = _mm512_roundscale_ps(_mm512_div_ps(y, s),
                                      _MM_FROUND_TO_NEAREST_INT |
                                          _MM_FROUND_NO_EXC);
      q = _mm512_add_ps(q, zy);
      q = _mm512_max_ps(q, lo);
      q = _mm512_min_ps(q, hi);
      __m512i v = _mm512_cvtps_epi32(q);
      _mm512_mask_cvtepi32_storeu_epi8((uint8_t *)j->out + at, mask, v);
    }
  }
}
#endif

typedef void (*epilogue_fn)(const qconv_job *, const int32_t *, int64_t,
                            int64_t, int64_t, int64_t, int64_t);

static epilogue_fn pick_epilogue(void) {
#ifdef GCOMP_QCONV_X86
  if (!gcomp_rt_qgemm_portable_forced() && gcomp_rt_kernel_isa() >= GCOMP_RT_ISA_AVX512 &&
      gcomp_rt_cpu_has_feature("avx512bw") == 1)
    return epilogue_avx512;
#endif
  return epilogue_portable;
}

/* Per thread: the im2col rows of a block, kept between calls and grown to
 * the largest block seen (the first run at a size allocates; later runs do
 * not). */
static int force_fallback;

static uint8_t *rows_space(size_t bytes) {
  if (force_fallback)
    return NULL;
  return gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_QCONV_ROWS, bytes);
}

/* Where allocation failed: a few rows at a time from a fixed buffer (on
 * the stack: thread-local storage would cost every thread its size). */
enum { FALLBACK_BYTES = 16384 };

/* The packed weight B[p, col] (GCOMP_SYM_QGEMM's layout). */
static int32_t packed_weight(const qconv_job *j, int64_t p, int64_t col) {
  int64_t k4 = (j->kp + 3) / 4;
  int64_t q = col / BLOCK, half = (col % BLOCK) / 16, lane = col % 16;
  return j->b[q * k4 * 128 + (p / 4) * 128 + half * 64 + lane * 4 + p % 4];
}

/* Row r's sums for columns [col, col + width), without any buffer: the
 * last resort when not even one im2col row fits the fixed buffer. */
static void row_sums_direct(const qconv_job *j, int64_t r, int64_t col,
                            int64_t width, int32_t *out) {
  const int64_t pixels = j->oh * j->ow;
  int64_t b = r / pixels, p = r % pixels, oy = p / j->ow, ox = p % j->ow;
  const uint8_t *image = j->in + b * j->h * j->w * j->c;
  for (int64_t x = 0; x < width; ++x) {
    int32_t acc = 0;
    for (int64_t ky = 0; ky < j->kh; ++ky)
      for (int64_t kx = 0; kx < j->kw; ++kx) {
        int64_t iy = oy * j->sh - j->pt + ky * j->dh;
        int64_t ix = ox * j->sw - j->pl + kx * j->dw;
        if (iy < 0 || iy >= j->h || ix < 0 || ix >= j->w)
          continue;
        const uint8_t *px = image + (iy * j->w + ix) * j->c;
        for (int64_t ch = 0; ch < j->c; ++ch) {
          int32_t v = j->is_signed ? (int32_t)(int8_t)px[ch] : px[ch];
          acc += (v - j->zero) *
                 packed_weight(j, (ky * j->kw + kx) * j->c + ch, col + x);
        }
      }
    out[x] = acc;
  }
}

static void qconv_task(void *ctx, int part, int parts) {
  const qconv_job *j = ctx;
  int64_t tasks = j->row_blocks * j->groups;
  int64_t first = tasks * part / parts, last = tasks * (part + 1) / parts;
  if (first >= last)
    return;
  /* Rows of A per product: a whole block, or as many as the fixed buffer
   * holds where allocation fails (0: none, the direct loop). */
  uint8_t *a = NULL;
  int64_t step = ROWS;
  uint8_t fallback_rows[FALLBACK_BYTES] __attribute__((aligned(64)));
  if (!j->direct) {
    a = rows_space((size_t)(ROWS * j->kp));
    if (!a) {
      a = fallback_rows;
      step = force_fallback == 2 ? 0
             : FALLBACK_BYTES / j->kp < ROWS ? FALLBACK_BYTES / j->kp
                                             : ROWS;
    }
  }
  int32_t tile[ROWS * GROUP_BLOCKS * BLOCK] __attribute__((aligned(64)));
  epilogue_fn epilogue = pick_epilogue();
  int64_t built = -1;
  const int64_t k4 = (j->kp + 3) / 4, ts = GROUP_BLOCKS * BLOCK;
  for (int64_t t = first; t < last; ++t) {
    int64_t rb = t / j->groups, g = t % j->groups;
    int64_t r0 = rb * ROWS, count = j->rows - r0 < ROWS ? j->rows - r0 : ROWS;
    int64_t b0 = g * GROUP_BLOCKS,
            b1 = b0 + GROUP_BLOCKS < j->blocks ? b0 + GROUP_BLOCKS : j->blocks;
    int64_t col = b0 * BLOCK, width = j->m - col < (b1 - b0) * BLOCK
                                           ? j->m - col
                                           : (b1 - b0) * BLOCK;
    if (step == 0) {
      for (int64_t i = 0; i < count; ++i)
        row_sums_direct(j, r0 + i, col, width, tile + i * ts);
      epilogue(j, tile, ts, r0, count, col, width);
      continue;
    }
    for (int64_t s0 = 0; s0 < count; s0 += step) {
      int64_t rows_now = count - s0 < step ? count - s0 : step;
      const uint8_t *rows = j->in + (r0 + s0) * j->c;
      int64_t rs = j->c;
      if (!j->direct) {
        /* A whole block is built once for all its column groups. */
        if (step < ROWS || built != rb)
          im2col(j, r0 + s0, rows_now, a);
        built = rb;
        rows = a;
        rs = j->kp;
      }
      /* Column blocks from b0 on, as if they were the first. */
      gcomp_rt_qgemm_rows(rows_now, width, j->kp, rows, rs, j->zero,
                          j->is_signed, j->b + b0 * k4 * 4 * BLOCK,
                          j->sums + col, tile + s0 * ts, ts, 0, b1 - b0);
    }
    epilogue(j, tile, ts, r0, count, col, width);
  }
}

void gcomp_rt_qconv_force_fallback(int mode) { force_fallback = mode; }

void __gcomp_qconv2d_nhwc(int64_t n, int64_t h, int64_t w, int64_t c,
                          int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                          int64_t dh, int64_t dw, int64_t pad_top,
                          int64_t pad_left, int64_t oh, int64_t ow,
                          int64_t m, int64_t k_packed, const uint8_t *in,
                          const int32_t *in_zero,
                          const int8_t *weight_packed,
                          const int32_t *weight_sums, const float *scale,
                          const float *bias, int64_t requant_bits, void *out,
                          int64_t flags) {
  qconv_job j;
  memset(&j, 0, sizeof(j));
  j.n = n, j.h = h, j.w = w, j.c = c, j.kh = kh, j.kw = kw, j.sh = sh;
  j.sw = sw, j.dh = dh, j.dw = dw, j.pt = pad_top, j.pl = pad_left;
  j.oh = oh, j.ow = ow, j.m = m, j.kp = k_packed;
  j.in = in, j.zero = *in_zero;
  j.is_signed = (flags & GCOMP_QCONV_INPUT_SIGNED) != 0;
  j.b = weight_packed, j.sums = weight_sums, j.scale = scale, j.bias = bias;
  uint32_t sbits = (uint32_t)requant_bits,
           zbits = (uint32_t)((uint64_t)requant_bits >> 32);
  memcpy(&j.out_scale, &sbits, 4);
  memcpy(&j.out_zero, &zbits, 4);
  int out_signed = (flags & GCOMP_QCONV_OUT_SIGNED) != 0;
  j.lo = out_signed ? -128.0f : 0.0f;
  j.hi = out_signed ? 127.0f : 255.0f;
  j.kind = (int)(flags & GCOMP_QCONV_OUT_KIND);
  j.relu = (flags & GCOMP_QCONV_RELU) != 0;
  j.out = out;
  j.rows = n * oh * ow;
  if (j.rows <= 0 || m <= 0)
    return;
  j.direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && pad_top == 0 &&
             pad_left == 0 && oh == h && ow == w && k_packed == c;
  j.row_blocks = (j.rows + ROWS - 1) / ROWS;
  j.blocks = (m + BLOCK - 1) / BLOCK;
  j.groups = (j.blocks + GROUP_BLOCKS - 1) / GROUP_BLOCKS;
  double ops = 2.0 * (double)j.rows * (double)m * (double)k_packed;
  int threads = ops < 4e6 ? 1 : gcomp_rt_threads();
  int64_t tasks = j.row_blocks * j.groups;
  int parts = tasks < threads ? (int)tasks : threads;
  if (parts <= 1)
    qconv_task(&j, 0, 1);
  else
    gcomp_rt_parallel(qconv_task, &j, parts);
}
