/*===- qgemm.c - the int8 product of quantized models ---------------------===*
 *
 * Dynamically and statically quantized models multiply uint8 (or int8)
 * activations by int8 weights into int32: C = (A - z) B. The weights are
 * constant, so the compiler packs them once in the layout of AVX512-VNNI's
 * vpdpbusd (GCOMP_SYM_QGEMM in model_abi.h: four consecutive k of one
 * column in a 32-bit lane, 16 columns to a vector) together with their
 * column sums, and
 *
 *   (A - z) B = A B - z colsum(B)
 *
 * lets the kernel multiply the raw bytes of A (unsigned, as vpdpbusd
 * wants them) and subtract the zero point's share once per column at the
 * end. int8 activations are made unsigned by flipping their top bit
 * (a + 128) and adding 128 to z.
 *
 * The micro-kernel keeps a 6 x 32 tile of C in twelve zmm accumulators;
 * each step broadcasts four bytes of each of six rows of A and multiplies
 * them into two 16-column vectors of B: 12 vpdpbusd (768 multiply-adds)
 * per 8 loads. A is read in place. Columns are split across threads in
 * blocks of 32 (rows when there are too few blocks). Without AVX512-VNNI a
 * portable loop computes the same integers from the same layout.
 *===----------------------------------------------------------------------===*/

/* syscall() (for the AMX request) is a BSD/GNU extension of unistd.h. */
#define _DEFAULT_SOURCE

#include "gcomp/model_abi.h"
#include "internal.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define GCOMP_QGEMM_X86 1
#include <immintrin.h>
#endif

enum { TILE_ROWS = 6, BLOCK = GCOMP_QGEMM_BLOCK };

typedef struct {
  int64_t m, n, k;
  const uint8_t *a;
  int64_t a_rs;
  int32_t zero;       /* the zero point, + 128 for int8 A */
  uint32_t flip;      /* 0x80808080 for int8 A: each byte + 128 */
  int32_t raw_zero;   /* the zero point as given */
  int is_signed;      /* A is int8 */
  const int8_t *b;
  const int32_t *sums;
  int32_t *c;
  int64_t c_rs;
  int split_rows; /* threads take rows rather than column blocks */
  void (*range)(const void *j, int64_t r0, int64_t r1, int64_t b0,
                int64_t b1);
} qgemm_job;

typedef void (*qgemm_range_fn)(const void *j, int64_t r0, int64_t r1,
                               int64_t b0, int64_t b1);

/* The packed B element (p, col). */
static int32_t packed_at(const qgemm_job *j, int64_t p, int64_t col) {
  int64_t k4 = (j->k + 3) / 4;
  int64_t q = col / BLOCK, half = (col % BLOCK) / 16, lane = col % 16;
  return j->b[q * k4 * 128 + (p / 4) * 128 + half * 64 + lane * 4 + p % 4];
}

/* Rows r0..r1-1 and column blocks b0..b1-1, one element at a time. */
static void qgemm_range_portable(const void *job, int64_t r0, int64_t r1,
                                 int64_t b0, int64_t b1) {
  const qgemm_job *j = job;
  int64_t c_end = b1 * BLOCK < j->n ? b1 * BLOCK : j->n;
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t *row = j->a + r * j->a_rs;
    for (int64_t col = b0 * BLOCK; col < c_end; ++col) {
      /* Wrapping, as vpdpbusd's sums do: partial sums of a long row may
       * leave int32 even where the result does not. */
      uint32_t acc = 0;
      for (int64_t p = 0; p < j->k; ++p)
        acc += (uint32_t)((int32_t)(uint8_t)(row[p] ^ (uint8_t)j->flip) *
                          packed_at(j, p, col));
      acc -= (uint32_t)j->zero * (uint32_t)j->sums[col];
      j->c[r * j->c_rs + col] = (int32_t)acc;
    }
  }
}

#ifdef GCOMP_QGEMM_X86
/* Four bytes of A from `p` as one 32-bit lane, zero past `left` bytes. */
static inline int32_t load4(const uint8_t *p, int64_t left) {
  int32_t v = 0;
  memcpy(&v, p, left < 4 ? (size_t)left : 4);
  return v;
}

#define QGEMM_VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

QGEMM_VNNI_TARGET static void qgemm_range_vnni(const void *job, int64_t r0,
                                               int64_t r1, int64_t b0,
                                               int64_t b1) {
  const qgemm_job *j = job;
  const int64_t k = j->k, k4 = (k + 3) / 4, full = k / 4;
  const __m512i flip = _mm512_set1_epi32((int32_t)j->flip);
  const __m512i zero = _mm512_set1_epi32(j->zero);
  for (int64_t q = b0; q < b1; ++q) {
    const int8_t *bq = j->b + q * k4 * 128;
    int64_t col = q * BLOCK;
    /* z * colsum(B), subtracted from each row of the tile. */
    __m512i corr0 = _mm512_mullo_epi32(
        zero, _mm512_loadu_si512((const void *)(j->sums + col)));
    __m512i corr1 = _mm512_mullo_epi32(
        zero, _mm512_loadu_si512((const void *)(j->sums + col + 16)));
    int64_t width = j->n - col < BLOCK ? j->n - col : BLOCK;
    __mmask16 mask0 = width >= 16 ? 0xffff : (__mmask16)((1u << width) - 1);
    __mmask16 mask1 =
        width <= 16 ? 0 : width >= 32 ? 0xffff
                                      : (__mmask16)((1u << (width - 16)) - 1);
    for (int64_t r = r0; r < r1; r += TILE_ROWS) {
      int rows = r1 - r < TILE_ROWS ? (int)(r1 - r) : TILE_ROWS;
      /* A short tile repeats its last row; only `rows` are stored. */
      const uint8_t *a[TILE_ROWS];
      for (int i = 0; i < TILE_ROWS; ++i)
        a[i] = j->a + (r + (i < rows ? i : rows - 1)) * j->a_rs;
      __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00,
              c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00,
              c41 = c00, c50 = c00, c51 = c00;
      const int8_t *b = bq;
#define QGEMM_ROW(i, lane)                                                     \
  do {                                                                         \
    __m512i av = _mm512_xor_si512(_mm512_set1_epi32(lane), flip);              \
    c##i##0 = _mm512_dpbusd_epi32(c##i##0, av, b0v);                           \
    c##i##1 = _mm512_dpbusd_epi32(c##i##1, av, b1v);                           \
  } while (0)
      for (int64_t s = 0; s < k4; ++s, b += 128) {
        __m512i b0v = _mm512_loadu_si512((const void *)b);
        __m512i b1v = _mm512_loadu_si512((const void *)(b + 64));
        if (s < full) {
          int32_t l[TILE_ROWS];
          for (int i = 0; i < TILE_ROWS; ++i)
            memcpy(&l[i], a[i] + 4 * s, 4);
          QGEMM_ROW(0, l[0]);
          QGEMM_ROW(1, l[1]);
          QGEMM_ROW(2, l[2]);
          QGEMM_ROW(3, l[3]);
          QGEMM_ROW(4, l[4]);
          QGEMM_ROW(5, l[5]);
        } else {
          /* The last k % 4 bytes; B is zero past k, so the bytes of A
           * that stand in for the missing ones add nothing. */
          int64_t left = k - 4 * s;
          QGEMM_ROW(0, load4(a[0] + 4 * s, left));
          QGEMM_ROW(1, load4(a[1] + 4 * s, left));
          QGEMM_ROW(2, load4(a[2] + 4 * s, left));
          QGEMM_ROW(3, load4(a[3] + 4 * s, left));
          QGEMM_ROW(4, load4(a[4] + 4 * s, left));
          QGEMM_ROW(5, load4(a[5] + 4 * s, left));
        }
      }
#undef QGEMM_ROW
      __m512i out[TILE_ROWS][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                                   {c30, c31}, {c40, c41}, {c50, c51}};
      for (int i = 0; i < rows; ++i) {
        int32_t *dst = j->c + (r + i) * j->c_rs + col;
        _mm512_mask_storeu_epi32(dst, mask0,
                                 _mm512_sub_epi32(out[i][0], corr0));
        if (mask1)
          _mm512_mask_storeu_epi32(dst + 16, mask1,
                                   _mm512_sub_epi32(out[i][1], corr1));
      }
    }
  }
}
#endif

#ifdef GCOMP_QGEMM_X86
/* AMX (Sapphire Rapids and later): eight tile registers of up to 16 rows
 * of 64 bytes, and tdpbusd / tdpbssd multiply a 16 x 64 tile of A by a
 * 64 x 16 one of B (16 k4 steps of 16 four-byte lanes: exactly 16 steps of
 * one half of a packed block, 128 bytes apart) into a 16 x 16 int32 tile:
 * 16,384 multiply-adds an instruction. A 32 x 32 block of C is four
 * accumulator tiles (tmm0-3) fed by two tiles of A (tmm4-5) and two of B
 * (tmm6-7) per 64 k. Used for whole 32-row blocks when k is a multiple of
 * 64; the rows left over go to the VNNI kernel. int8 A multiplies as
 * signed (tdpbssd), so it needs no flip. */
#include <sys/syscall.h>
#include <unistd.h>

#define QGEMM_AMX_TARGET                                                       \
  __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vnni")))

typedef struct {
  uint8_t palette, start_row, reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
} tile_config;

/* Linux hands a process the tile data state only when it asks for it
 * (arch_prctl ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA). */
static int request_amx(void) {
  return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
}

QGEMM_AMX_TARGET static void qgemm_range_amx(const void *job, int64_t r0,
                                             int64_t r1, int64_t b0,
                                             int64_t b1) {
  const qgemm_job *j = job;
  int64_t whole = (r1 - r0) / 32 * 32;
  if (whole > 0) {
    tile_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.palette = 1;
    for (int t = 0; t < 8; ++t) {
      cfg.rows[t] = 16;
      cfg.colsb[t] = 64;
    }
    _tile_loadconfig(&cfg);
    const int64_t k4 = j->k / 4;
    const int32_t zero = j->is_signed ? j->raw_zero : j->zero;
    const __m512i zv = _mm512_set1_epi32(zero);
    int32_t tile[32 * 32] __attribute__((aligned(64)));
    for (int64_t q = b0; q < b1; ++q) {
      const int8_t *bq = j->b + q * k4 * 128;
      int64_t col = q * BLOCK;
      int64_t width = j->n - col < BLOCK ? j->n - col : BLOCK;
      __mmask16 mask0 = width >= 16 ? 0xffff : (__mmask16)((1u << width) - 1);
      __mmask16 mask1 = width <= 16   ? 0
                        : width >= 32 ? 0xffff
                                      : (__mmask16)((1u << (width - 16)) - 1);
      __m512i corr0 = _mm512_mullo_epi32(
          zv, _mm512_loadu_si512((const void *)(j->sums + col)));
      __m512i corr1 = _mm512_mullo_epi32(
          zv, _mm512_loadu_si512((const void *)(j->sums + col + 16)));
      for (int64_t r = r0; r < r0 + whole; r += 32) {
        const uint8_t *a = j->a + r * j->a_rs;
        _tile_zero(0);
        _tile_zero(1);
        _tile_zero(2);
        _tile_zero(3);
        /* The tile numbers are immediates: one loop per instruction. */
#define QGEMM_AMX_STEPS(dp)                                                    \
  for (int64_t s = 0; s < k4; s += 16) {                                       \
    _tile_loadd(4, a + 4 * s, j->a_rs);                                        \
    _tile_loadd(5, a + 16 * j->a_rs + 4 * s, j->a_rs);                         \
    _tile_loadd(6, bq + s * 128, 128);                                         \
    _tile_loadd(7, bq + s * 128 + 64, 128);                                    \
    dp(0, 4, 6);                                                               \
    dp(1, 4, 7);                                                               \
    dp(2, 5, 6);                                                               \
    dp(3, 5, 7);                                                               \
  }
        if (j->is_signed) {
          QGEMM_AMX_STEPS(_tile_dpbssd)
        } else {
          QGEMM_AMX_STEPS(_tile_dpbusd)
        }
#undef QGEMM_AMX_STEPS
        _tile_stored(0, tile, 128);
        _tile_stored(1, tile + 16, 128);
        _tile_stored(2, tile + 16 * 32, 128);
        _tile_stored(3, tile + 16 * 32 + 16, 128);
        for (int i = 0; i < 32; ++i) {
          int32_t *dst = j->c + (r + i) * j->c_rs + col;
          _mm512_mask_storeu_epi32(
              dst, mask0,
              _mm512_sub_epi32(_mm512_load_si512((const void *)(tile + i * 32)),
                               corr0));
          if (mask1)
            _mm512_mask_storeu_epi32(
                dst + 16, mask1,
                _mm512_sub_epi32(
                    _mm512_load_si512((const void *)(tile + i * 32 + 16)),
                    corr1));
        }
      }
    }
    _tile_release();
  }
  if (r0 + whole < r1)
    qgemm_range_vnni(j, r0 + whole, r1, b0, b1);
}
#endif

static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;
#ifdef GCOMP_QGEMM_X86
static int have_amx;
#endif
static qgemm_range_fn chosen = qgemm_range_portable;

static int force_portable;

void gcomp_rt_qgemm_force_portable(int on) { force_portable = on; }

int gcomp_rt_qgemm_portable_forced(void) { return force_portable; }

static void choose(void) {
#ifdef GCOMP_QGEMM_X86
  if (gcomp_rt_cpu_has_feature("avx512f") == 1 &&
      gcomp_rt_cpu_has_feature("avx512bw") == 1 &&
      gcomp_rt_cpu_has_feature("avx512vnni") == 1) {
    chosen = qgemm_range_vnni;
    have_amx = gcomp_rt_cpu_has_feature("amx-tile") == 1 &&
               gcomp_rt_cpu_has_feature("amx-int8") == 1 && request_amx();
  }
#endif
}

/* [lo, hi) of `total` items for part i of n, in multiples of `unit`. */
static void split(int64_t total, int64_t unit, int i, int n, int64_t *lo,
                  int64_t *hi) {
  int64_t units = (total + unit - 1) / unit;
  int64_t first = units * i / n, last = units * (i + 1) / n;
  *lo = first * unit < total ? first * unit : total;
  *hi = last * unit < total ? last * unit : total;
}

static void qgemm_task(void *ctx, int i, int n) {
  const qgemm_job *j = ctx;
  int64_t blocks = (j->n + BLOCK - 1) / BLOCK, lo, hi;
  if (j->split_rows) {
    split(j->m, TILE_ROWS * 16, i, n, &lo, &hi);
    if (lo < hi)
      j->range(j, lo, hi, 0, blocks);
  } else {
    split(blocks, 1, i, n, &lo, &hi);
    if (lo < hi)
      j->range(j, 0, j->m, lo, hi);
  }
}

/* The job of C = (A - zero) B with the best kernel for its shape. */
static qgemm_job make_job(int64_t m, int64_t n, int64_t k, const uint8_t *a,
                          int64_t a_rs, int32_t zero, int is_signed,
                          const int8_t *b_packed, const int32_t *b_sums,
                          int32_t *c, int64_t c_rs) {
  pthread_once(&chosen_once, choose);
  qgemm_range_fn range = force_portable ? qgemm_range_portable : chosen;
#ifdef GCOMP_QGEMM_X86
  if (!force_portable && have_amx && k % 64 == 0 && m >= 32)
    range = qgemm_range_amx;
#endif
  qgemm_job job = {m,        n,      k,
                   a,        a_rs,   zero + (is_signed ? 128 : 0),
                   is_signed ? 0x80808080u : 0u,
                   zero,     is_signed,
                   b_packed, b_sums, c,
                   c_rs,     0,      range};
  return job;
}

void gcomp_rt_qgemm_rows(int64_t m, int64_t n, int64_t k, const uint8_t *a,
                         int64_t a_rs, int32_t zero, int is_signed,
                         const int8_t *b_packed, const int32_t *b_sums,
                         int32_t *c, int64_t c_rs, int64_t b0, int64_t b1) {
  if (m <= 0 || n <= 0 || b0 >= b1)
    return;
  qgemm_job job = make_job(m, n, k, a, a_rs, zero, is_signed, b_packed,
                           b_sums, c, c_rs);
  job.range(&job, 0, m, b0, b1);
}

void __gcomp_qgemm_u8s8(int64_t m, int64_t n, int64_t k, const uint8_t *a,
                        int64_t a_rs, const int32_t *a_zero,
                        const int8_t *b_packed, const int32_t *b_sums,
                        int32_t *c, int64_t c_rs, int64_t flags) {
  if (m <= 0 || n <= 0)
    return;
  qgemm_job job =
      make_job(m, n, k, a, a_rs, *a_zero, (flags & GCOMP_QGEMM_A_SIGNED) != 0,
               b_packed, b_sums, c, c_rs);
  int64_t blocks = (n + BLOCK - 1) / BLOCK;
  double ops = 2.0 * (double)m * (double)n * (double)k;
  int threads = ops < 4e6 ? 1 : gcomp_rt_threads();
  if (threads <= 1) {
    qgemm_task(&job, 0, 1);
    return;
  }
  int parts = threads;
  if (blocks < 2 * threads) {
    if (m >= (int64_t)threads * TILE_ROWS)
      job.split_rows = 1;
    else if (blocks < threads)
      parts = (int)blocks;
  }
  if (parts <= 1) {
    qgemm_task(&job, 0, 1);
    return;
  }
  gcomp_rt_parallel(qgemm_task, &job, parts);
}
