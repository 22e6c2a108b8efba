/*===- nbits.c - products with block-quantized 4- and 8-bit weights -------===*
 *
 * __gcomp_matmul_nbits (model_abi.h): onnxruntime's MatMulNBits, the
 * weight-only quantized product of large language models. Decoding one
 * token is a matrix-vector product that reads every weight once, so its
 * speed is the speed at which the packed codes stream from memory: the
 * codes are never expanded to f32 in memory.
 *
 * A few rows (decoding): each column's codes are unpacked in registers and
 * multiplied by the rows, up to four rows per pass over the weights. With
 * scale s and zero point z per block,
 *
 *   sum_p a[p] * (q[p] - z) * s = s * sum_p a[p] * q[p] - s * z * sum_p a[p]
 *
 * so the inner loop is one FMA per code, a block's partial sum is scaled
 * once, and the zero points enter through the rows' block sums, computed
 * once per call. 4-bit codes are read sixteen bytes at a time: the low
 * nibbles hold the even elements of 32, the high nibbles the odd ones, so
 * each row is first copied with its elements in that order.
 *
 * More rows (prefill): a KC x 256 slice of the weights at a time is
 * dequantized into the GEMM's panel layout (a per-thread, cache-sized
 * buffer) and multiplied by all rows with the GEMM micro-kernel (gemm.c);
 * the columns are shared among the pool's threads.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <string.h>

#include "gemm_tile.h"

/* Rows up to which the codes are multiplied in registers; above it, the
 * weights are dequantized in tiles for the GEMM. */
enum {
  GEMV_MAX_ROWS = GCOMP_NBITS_GEMV_MAX_ROWS,
  ROWS_PER_PASS = 4,
  MAX_COLS = 4,
  STRIP = 16 * NR,
  COLUMN_GRAIN = 16
};

typedef struct nbits_job {
  int64_t m, n, k, blocks, padded_k, bits, block_size;
  int block_shift; /* log2(block_size) */
  const float *a;
  const uint8_t *w;
  const float *scales, *zero_points, *bias;
  float *c;
  /* The GEMV path's rows of A in the kernel's element order (padded_k
   * floats each: the blocks rounded up to 32, zero past k) and their block
   * sums (`blocks` each). */
  const float *a_perm, *a_sums;
} nbits_job;

static int64_t column_bytes(const nbits_job *j) {
  return j->blocks * j->block_size * j->bits / 8;
}

/* Element p of a column's codes. */
static inline float code_at(const uint8_t *col, int64_t p, int64_t bits) {
  if (bits == 8)
    return (float)col[p];
  uint8_t byte = col[p >> 1];
  return (float)((p & 1) ? byte >> 4 : byte & 15);
}

static inline float zero_point(const nbits_job *j, int64_t col,
                               int64_t block) {
  return j->zero_points ? j->zero_points[col * j->blocks + block]
                        : (float)(1 << (j->bits - 1));
}

/* The GEMV path's copy of row `row`: 4-bit codes come in chunks of 32
 * elements whose 16 low nibbles are the even elements, so the row is
 * stored chunk by chunk as its even then its odd elements. */
static void prepare_row(const nbits_job *j, int64_t row, float *perm,
                        float *sums) {
  const float *a = j->a + row * j->k;
  for (int64_t p = 0; p < j->padded_k; ++p) {
    float v = p < j->k ? a[p] : 0.0f;
    int64_t slot = p;
    if (j->bits == 4)
      slot = (p & ~(int64_t)31) + ((p & 31) >> 1) + ((p & 1) << 4);
    perm[slot] = v;
  }
  for (int64_t b = 0; b < j->blocks; ++b) {
    float s = 0.0f;
    int64_t end = (b + 1) * j->block_size < j->k ? (b + 1) * j->block_size
                                                 : j->k;
    for (int64_t p = b * j->block_size; p < end; ++p)
      s += a[p];
    sums[b] = s;
  }
}

static void store(const nbits_job *j, int64_t row, int64_t col, float v) {
  j->c[row * j->n + col] = v + (j->bias ? j->bias[col] : 0.0f);
}

/* Columns [c0, c1), rows [r0, r0 + rows), without vector code; reads A
 * itself (needs nothing prepared). */
static void gemv_portable(const nbits_job *j, int64_t r0, int64_t rows,
                          int64_t c0, int64_t c1) {
  int64_t bytes = column_bytes(j);
  for (int64_t col = c0; col < c1; ++col) {
    const uint8_t *codes = j->w + col * bytes;
    const float *s = j->scales + col * j->blocks;
    for (int64_t r = r0; r < r0 + rows; ++r) {
      const float *a = j->a + r * j->k;
      float acc = 0.0f;
      for (int64_t b = 0; b < j->blocks; ++b) {
        float part = 0.0f, sum = 0.0f;
        int64_t end = (b + 1) * j->block_size < j->k
                          ? (b + 1) * j->block_size
                          : j->k;
        for (int64_t p = b * j->block_size; p < end; ++p) {
          part += a[p] * code_at(codes, p, j->bits);
          sum += a[p];
        }
        acc += (part - zero_point(j, col, b) * sum) * s[b];
      }
      store(j, r, col, acc);
    }
  }
}

#ifdef GCOMP_GEMM_X86
/* The zero-point term of column `col` for prepared row `r`:
 * sum_b s_b * z_b * sum(a in block b). */
__attribute__((target("avx512f"))) static float
zero_term_avx512(const nbits_job *j, int64_t col, int64_t r) {
  const float *sums = j->a_sums + r * j->blocks;
  const float *s = j->scales + col * j->blocks;
  const float *z = j->zero_points ? j->zero_points + col * j->blocks : NULL;
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < j->blocks; b += 16) {
    __mmask16 live = j->blocks - b >= 16
                         ? (__mmask16)0xFFFF
                         : (__mmask16)((1u << (j->blocks - b)) - 1);
    __m512 sz = _mm512_maskz_loadu_ps(live, s + b);
    if (z)
      sz = _mm512_mul_ps(sz, _mm512_maskz_loadu_ps(live, z + b));
    acc = _mm512_fmadd_ps(sz, _mm512_maskz_loadu_ps(live, sums + b), acc);
  }
  float t = _mm512_reduce_add_ps(acc);
  return z ? t : t * (float)(1 << (j->bits - 1));
}

/* Unpacks a 32-code chunk of 4-bit codes (16 bytes; 8 with `half`, the
 * rest zeros) into its even (low nibbles) and odd elements. */
__attribute__((target("avx512f"), always_inline)) static inline void
unpack4(const uint8_t *bytes, int half, __m512 *lo, __m512 *hi) {
  __m128i raw = half ? _mm_loadl_epi64((const __m128i *)bytes)
                     : _mm_loadu_si128((const __m128i *)bytes);
  __m512i v = _mm512_cvtepu8_epi32(raw);
  *lo = _mm512_cvtepi32_ps(_mm512_and_si512(v, _mm512_set1_epi32(15)));
  *hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(v, 4));
}

/* Columns [col, col + COLS) of prepared rows [r0, r0 + ROWS): the codes of
 * each column are unpacked once and multiplied by every row, and the
 * ROWS * COLS accumulators are independent chains of FMAs, which keeps
 * the FMA units busy where one column's chain would wait on its latency.
 * Inlined with constant ROWS and COLS so that they stay in registers. */
__attribute__((target("avx512f"), always_inline)) static inline void
gemv_avx512_tile(const nbits_job *j, int64_t r0, const int ROWS, int64_t col,
                 const int COLS) {
  int64_t bytes = column_bytes(j), bs = j->block_size;
  const float *a[ROWS_PER_PASS];
  const uint8_t *codes[MAX_COLS];
  const float *s[MAX_COLS];
  for (int r = 0; r < ROWS; ++r)
    a[r] = j->a_perm + (r0 + r) * j->padded_k;
  for (int c = 0; c < COLS; ++c) {
    codes[c] = j->w + (col + c) * bytes;
    s[c] = j->scales + (col + c) * j->blocks;
  }
  __m512 acc[ROWS_PER_PASS][MAX_COLS];
  for (int r = 0; r < ROWS; ++r)
    for (int c = 0; c < COLS; ++c)
      acc[r][c] = _mm512_setzero_ps();
  if (j->bits == 4 && bs == 16) {
    /* A 32-element chunk spans two blocks: in both halves of the
     * unpacked vectors, lanes 0-7 are the first block's, 8-15 the
     * second's. An odd last block is half a chunk. */
    for (int64_t p = 0; p < j->padded_k; p += 32) {
      int half = p / 16 + 1 == j->blocks;
      __m512 lo[MAX_COLS], hi[MAX_COLS];
      for (int c = 0; c < COLS; ++c) {
        unpack4(codes[c] + p / 2, half, &lo[c], &hi[c]);
        __m512 scale = _mm512_mask_blend_ps(
            (__mmask16)0xFF00, _mm512_set1_ps(s[c][p / 16]),
            _mm512_set1_ps(half ? 0.0f : s[c][p / 16 + 1]));
        lo[c] = _mm512_mul_ps(lo[c], scale);
        hi[c] = _mm512_mul_ps(hi[c], scale);
      }
      for (int r = 0; r < ROWS; ++r) {
        __m512 alo = _mm512_loadu_ps(a[r] + p),
               ahi = _mm512_loadu_ps(a[r] + p + 16);
        for (int c = 0; c < COLS; ++c) {
          acc[r][c] = _mm512_fmadd_ps(lo[c], alo, acc[r][c]);
          acc[r][c] = _mm512_fmadd_ps(hi[c], ahi, acc[r][c]);
        }
      }
    }
  } else {
    int step = j->bits == 4 ? 32 : 16;
    for (int64_t b = 0; b < j->blocks; ++b) {
      __m512 part[ROWS_PER_PASS][MAX_COLS];
      for (int r = 0; r < ROWS; ++r)
        for (int c = 0; c < COLS; ++c)
          part[r][c] = _mm512_setzero_ps();
      for (int64_t p = b * bs; p < (b + 1) * bs; p += step) {
        __m512 lo[MAX_COLS], hi[MAX_COLS];
        for (int c = 0; c < COLS; ++c) {
          if (j->bits == 4)
            unpack4(codes[c] + p / 2, 0, &lo[c], &hi[c]);
          else
            lo[c] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
                _mm_loadu_si128((const __m128i *)(codes[c] + p))));
        }
        for (int r = 0; r < ROWS; ++r) {
          __m512 alo = _mm512_loadu_ps(a[r] + p);
          for (int c = 0; c < COLS; ++c)
            part[r][c] = _mm512_fmadd_ps(lo[c], alo, part[r][c]);
          if (j->bits == 4) {
            __m512 ahi = _mm512_loadu_ps(a[r] + p + 16);
            for (int c = 0; c < COLS; ++c)
              part[r][c] = _mm512_fmadd_ps(hi[c], ahi, part[r][c]);
          }
        }
      }
      for (int c = 0; c < COLS; ++c) {
        __m512 scale = _mm512_set1_ps(s[c][b]);
        for (int r = 0; r < ROWS; ++r)
          acc[r][c] = _mm512_fmadd_ps(part[r][c], scale, acc[r][c]);
      }
    }
  }
  for (int r = 0; r < ROWS; ++r)
    for (int c = 0; c < COLS; ++c)
      store(j, r0 + r, col + c,
            _mm512_reduce_add_ps(acc[r][c]) -
                zero_term_avx512(j, col + c, r0 + r));
}

/* dequantize_run with vector code: 32 codes at a time (16 for 8 bits),
 * `out` rounded up to whole chunks (KC is a multiple of 32, so only the
 * column's last run is rounded, into `out`'s slack; with blocks of 16 and
 * an odd number of them, its last chunk is half a chunk of codes). 4-bit
 * codes come out in chunk order (each 32 as its 16 even elements, then
 * its 16 odd ones, as the nibbles hold them): transpose_panel_avx512 puts
 * them in place as it transposes. */
__attribute__((target("avx512f"))) static void
dequantize_run_avx512(const nbits_job *j, const uint8_t *codes,
                      const float *s, int64_t col, int64_t p0, int64_t count,
                      float *out) {
  int64_t step = j->bits == 4 ? 32 : 16;
  for (int64_t p = p0; p < p0 + count; p += step) {
    int64_t b = p >> j->block_shift, b2 = (p + 16) >> j->block_shift;
    int last = b2 >= j->blocks; /* an odd last 16-block of 4-bit codes */
    __m512 s0 = _mm512_set1_ps(s[b]);
    __m512 z0 = _mm512_set1_ps(zero_point(j, col, b));
    if (j->bits == 8) {
      __m512 q = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
          _mm_loadu_si128((const __m128i *)(codes + p))));
      _mm512_storeu_ps(out + (p - p0),
                       _mm512_mul_ps(_mm512_sub_ps(q, z0), s0));
      continue;
    }
    /* In chunk order: the even elements (low nibbles), then the odd; with
     * blocks of 16, lanes 8-15 of each are the second block's. */
    __m512 lo, hi;
    unpack4(codes + p / 2, last, &lo, &hi);
    __mmask16 second = (__mmask16)0xFF00;
    __m512 scale = _mm512_mask_blend_ps(second, s0,
                                        last ? s0 : _mm512_set1_ps(s[b2]));
    __m512 zero = _mm512_mask_blend_ps(
        second, z0, last ? z0 : _mm512_set1_ps(zero_point(j, col, b2)));
    _mm512_storeu_ps(out + (p - p0),
                     _mm512_mul_ps(_mm512_sub_ps(lo, zero), scale));
    _mm512_storeu_ps(out + (p - p0) + 16,
                     _mm512_mul_ps(_mm512_sub_ps(hi, zero), scale));
  }
}

/* The panel row of position `pos` of a dequantized column: in chunk order
 * (4-bit codes), position 32c + q holds element 32c + 2q (q < 16) or
 * 32c + 2(q - 16) + 1. */
static inline int64_t row_of(int64_t pos, int chunked) {
  return chunked ? (pos & ~(int64_t)31) + ((pos & 15) << 1) + ((pos >> 4) & 1)
                 : pos;
}

/* 16 x 16 floats transposed in registers: r[i][e] -> out[e][i]; out[e] is
 * stored at dst + row_of(p + e) * 16. */
__attribute__((target("avx512f"), always_inline)) static inline void
transpose16_avx512(const float *src, int64_t p, float *dst, int chunked) {
  __m512 r[16], t[16], u[16];
  for (int i = 0; i < 16; ++i)
    r[i] = _mm512_loadu_ps(src + i * KC + p);
  /* Pairs of rows interleaved, then pairs of pairs: u[g + e] (g a
   * multiple of 4) holds, in 128-bit lane l, rows g..g+3 of element
   * 4l + e. */
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 16; g += 4) {
    __m512d a = _mm512_castps_pd(t[g]), b = _mm512_castps_pd(t[g + 1]);
    __m512d c = _mm512_castps_pd(t[g + 2]), d = _mm512_castps_pd(t[g + 3]);
    u[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    u[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    u[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    u[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  /* Lane l of element e from the four groups: element 4l + e. */
  for (int e = 0; e < 4; ++e) {
    __m512 x0 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0x88);
    __m512 x1 = _mm512_shuffle_f32x4(u[e], u[4 + e], 0xDD);
    __m512 y0 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0x88);
    __m512 y1 = _mm512_shuffle_f32x4(u[8 + e], u[12 + e], 0xDD);
    _mm512_storeu_ps(dst + row_of(p + e, chunked) * 16,
                     _mm512_shuffle_f32x4(x0, y0, 0x88));
    _mm512_storeu_ps(dst + row_of(p + 8 + e, chunked) * 16,
                     _mm512_shuffle_f32x4(x0, y0, 0xDD));
    _mm512_storeu_ps(dst + row_of(p + 4 + e, chunked) * 16,
                     _mm512_shuffle_f32x4(x1, y1, 0x88));
    _mm512_storeu_ps(dst + row_of(p + 12 + e, chunked) * 16,
                     _mm512_shuffle_f32x4(x1, y1, 0xDD));
  }
}

/* Rows [0, kc) of a GEMM panel from 16 columns dequantized by
 * dequantize_run_avx512 (src[i * KC + pos], in chunk order if `chunked`). */
__attribute__((target("avx512f"))) static void
transpose_panel_avx512(const float *src, int64_t kc, float *dst,
                       int chunked) {
  /* Whole 32-position chunks: their rows are all below kc. */
  int64_t p = 0;
  for (; p + 32 <= kc; p += 32) {
    transpose16_avx512(src, p, dst, chunked);
    transpose16_avx512(src, p + 16, dst, chunked);
  }
  for (; p < (kc + 31) / 32 * 32; ++p) {
    int64_t row = row_of(p, chunked);
    if (row < kc)
      for (int i = 0; i < 16; ++i)
        dst[row * 16 + i] = src[i * KC + p];
  }
}

/* Columns [c0, c1) of prepared rows [r0, r0 + rows): tiles of up to 8
 * accumulators (four columns of one or two rows, two of three or four). */
__attribute__((target("avx512f"))) static void
gemv_avx512(const nbits_job *j, int64_t r0, int64_t rows, int64_t c0,
            int64_t c1) {
  int64_t col = c0;
  int wide = rows <= 2 ? 4 : 2;
  for (; col + wide <= c1; col += wide) {
    switch (rows) {
    case 1:
      gemv_avx512_tile(j, r0, 1, col, 4);
      break;
    case 2:
      gemv_avx512_tile(j, r0, 2, col, 4);
      break;
    case 3:
      gemv_avx512_tile(j, r0, 3, col, 2);
      break;
    default:
      gemv_avx512_tile(j, r0, 4, col, 2);
      break;
    }
  }
  for (; col < c1; ++col) {
    switch (rows) {
    case 1:
      gemv_avx512_tile(j, r0, 1, col, 1);
      break;
    case 2:
      gemv_avx512_tile(j, r0, 2, col, 1);
      break;
    case 3:
      gemv_avx512_tile(j, r0, 3, col, 1);
      break;
    default:
      gemv_avx512_tile(j, r0, 4, col, 1);
      break;
    }
  }
}
#endif

static void gemv_columns(const nbits_job *j, int64_t c0, int64_t c1) {
#ifdef GCOMP_GEMM_X86
  if (j->a_perm && gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX512) {
    for (int64_t r0 = 0; r0 < j->m; r0 += ROWS_PER_PASS)
      gemv_avx512(j, r0,
                  j->m - r0 < ROWS_PER_PASS ? j->m - r0 : ROWS_PER_PASS, c0,
                  c1);
    return;
  }
#endif
  gemv_portable(j, 0, j->m, c0, c1);
}

/* Codes [p0, p0 + count) of column `col`, dequantized into out. */
static void dequantize_run(const nbits_job *j, int64_t col, int64_t p0,
                           int64_t count, float *out) {
  const uint8_t *codes = j->w + col * column_bytes(j);
  const float *s = j->scales + col * j->blocks;
  for (int64_t p = p0; p < p0 + count; ++p) {
    int64_t b = p >> j->block_shift;
    out[p - p0] = (code_at(codes, p, j->bits) - zero_point(j, col, b)) * s[b];
  }
}

/* Rows [pc, pc + kc) of columns [c0, c0 + width) dequantized into GEMM
 * panels (NR columns wide, kc rows each, one after the other; zero past
 * `width`): each panel's columns into `columns` (NR x KC floats), then
 * transposed into place. */
static void dequantize_slice(const nbits_job *j, int64_t c0, int64_t width,
                             int64_t pc, int64_t kc, float *columns,
                             float *out) {
#ifdef GCOMP_GEMM_X86
  int vector = NR == 16 && gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX512;
#endif
  for (int64_t q0 = 0; q0 < width; q0 += NR) {
    for (int64_t jj = 0; jj < NR; ++jj) {
      int64_t col = c0 + q0 + jj;
      float *column = columns + jj * KC;
      if (q0 + jj >= width)
        memset(column, 0, sizeof(float) * KC);
#ifdef GCOMP_GEMM_X86
      else if (vector)
        dequantize_run_avx512(j, j->w + col * column_bytes(j),
                              j->scales + col * j->blocks, col, pc, kc,
                              column);
#endif
      else
        dequantize_run(j, col, pc, kc, column);
    }
    float *panel = out + (q0 / NR) * kc * NR;
#ifdef GCOMP_GEMM_X86
    if (vector) {
      transpose_panel_avx512(columns, kc, panel, j->bits == 4);
      continue;
    }
#endif
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t jj = 0; jj < NR; ++jj)
        panel[p * NR + jj] = columns[jj * KC + p];
  }
}

/* Columns [c0, c1) of all rows: for each STRIP of columns and KC-deep
 * slice of k, the slice of the weights is dequantized into a per-thread
 * tile (KC x STRIP floats, cache-sized) and added to C by the GEMM, whose
 * A block stays in cache across the strip. */
static void gemm_columns(const nbits_job *j, int64_t c0, int64_t c1) {
  /* The slice's panels, then one panel's columns before the transpose. */
  float *tile = gcomp_rt_thread_scratch(
      GCOMP_RT_SCRATCH_NBITS_TILE, sizeof(float) * (size_t)KC * (STRIP + NR));
  if (!tile) { /* out of memory: the slow path needs none */
    gemv_portable(j, 0, j->m, c0, c1);
    return;
  }
  for (int64_t i = 0; i < j->m; ++i)
    for (int64_t col = c0; col < c1; ++col)
      j->c[i * j->n + col] = j->bias ? j->bias[col] : 0.0f;
  for (int64_t s0 = c0; s0 < c1; s0 += STRIP) {
    int64_t width = c1 - s0 < STRIP ? c1 - s0 : STRIP;
    for (int64_t pc = 0; pc < j->k; pc += KC) {
      int64_t kc = j->k - pc < KC ? j->k - pc : KC;
      dequantize_slice(j, s0, width, pc, kc, tile + (size_t)KC * STRIP, tile);
      gcomp_rt_sgemm_packed_serial(j->m, width, kc, j->a + pc, j->k, tile, 0,
                                   (width + NR - 1) / NR * NR, j->c + s0,
                                   j->n);
    }
  }
}

static void nbits_task(void *ctx, int i, int n) {
  const nbits_job *j = ctx;
  int64_t lo, hi;
  int gemv = j->m <= GEMV_MAX_ROWS;
  split_range(j->n, gemv ? COLUMN_GRAIN : 4 * NR, i, n, &lo, &hi);
  if (lo >= hi)
    return;
  if (gemv)
    gemv_columns(j, lo, hi);
  else
    gemm_columns(j, lo, hi);
}

void __gcomp_matmul_nbits(int64_t m, int64_t n, int64_t k, const float *a,
                          const uint8_t *w, const float *scales,
                          const float *zero_points, const float *bias,
                          float *c, int64_t bits, int64_t block_size) {
  if (m <= 0 || n <= 0)
    return;
  int64_t blocks = (k + block_size - 1) / block_size;
  /* The vector kernel reads 4-bit codes in chunks of 32. */
  int64_t padded_k = (blocks * block_size + 31) / 32 * 32;
  int shift = 0;
  while (((int64_t)1 << shift) < block_size)
    ++shift;
  nbits_job job = {m,     n,          k, blocks, padded_k,    bits,
                   block_size, shift, a, w,      scales, zero_points,
                   bias,  c,          NULL, NULL};
  int vector = 0;
#ifdef GCOMP_GEMM_X86
  vector = gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX512;
#endif
  if (m <= GEMV_MAX_ROWS && vector) {
    /* The rows, reordered for the vector kernel, and their block sums:
     * made once here, read by every thread. Without the buffer (or
     * without AVX-512) the portable kernel reads A itself. */
    size_t floats = (size_t)m * (size_t)(job.padded_k + blocks);
    float *space = gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_NBITS_ROWS,
                                           sizeof(float) * floats);
    if (space) {
      float *perm = space, *sums = space + (size_t)m * (size_t)job.padded_k;
      for (int64_t r = 0; r < m; ++r)
        prepare_row(&job, r, perm + r * job.padded_k, sums + r * blocks);
      job.a_perm = perm;
      job.a_sums = sums;
    }
  }
  /* Below ~1 MFLOP a wake-up of the pool costs more than it saves. */
  double flops = 2.0 * (double)m * (double)n * (double)k;
  int threads = flops < 1e6 ? 1 : gcomp_rt_threads();
  if (threads <= 1) {
    nbits_task(&job, 0, 1);
    return;
  }
  gcomp_rt_parallel(nbits_task, &job, threads);
}
