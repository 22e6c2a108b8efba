/*===- conv.c - channels-last convolution as an implicit GEMM -------------===*
 *
 * __gcomp_conv2d_nhwc (model_abi.h): a 2-D convolution with one group, as
 * the GEMM out[pixels, m] = im2col(in)[pixels, kh * kw * c] * W[.., m],
 * without ever forming im2col(in). Channels-last, a row of that matrix
 * restricted to one kernel position (ky, kx) is c contiguous floats of the
 * input, or zeros where the position falls in the padding. So the K loop
 * walks kernel positions and channel ranges ("chunks", cut where the
 * packed weight's KC slices end), and for each chunk the GEMM tile reads
 * its six rows straight from the input through row pointers, padding rows
 * pointing at a block of zeros. The weight is packed at compile time. The
 * epilogue (bias, residual already in `out`, ReLU) is applied as the first
 * chunk starts the tile and the last one stores it, so the output is
 * written once per chunk and never revisited.
 *===----------------------------------------------------------------------===*/

#include "gemm_tile.h"
#include "internal.h"
#include "vmath.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What a row pointer of a padding position reads: at most one chunk. */
static const float zeros[KC] __attribute__((aligned(64)));

/* A tile of the product: C's MR x w tile (h rows of it stored) from the
 * weight's panels, panel q at bp + q * panel_stride, with the epilogue of
 * finish_tile. The AVX-512 tiles cover up to MAX_PANELS panels, the others
 * one (w <= NR). */
typedef void (*conv_tile_fn)(int64_t kc, const float *const rows[MR],
                             const float *bp, int64_t panel_stride, float *c,
                             int64_t rs, int64_t h, int64_t w,
                             const float *bias, int load_c,
                             const float *clamp);

static void conv_tile_portable(int64_t kc, const float *const rows[MR],
                               const float *bp, int64_t panel_stride,
                               float *c, int64_t rs, int64_t h, int64_t w,
                               const float *bias, int load_c,
                               const float *clamp) {
  (void)panel_stride;
  tile_portable(kc, rows, 1, bp, c, rs, 1, h, w, bias, load_c, clamp);
}

#ifdef GCOMP_GEMM_X86
__attribute__((target("avx2,fma"))) static void
conv_tile_avx2(int64_t kc, const float *const rows[MR], const float *bp,
               int64_t panel_stride, float *c, int64_t rs, int64_t h,
               int64_t w, const float *bias, int load_c, const float *clamp) {
  (void)panel_stride;
  tile_avx2(kc, rows, 1, bp, c, rs, 1, h, w, bias, load_c, clamp);
}

__attribute__((target("avx512f"))) static void
conv_tile_avx512(int64_t kc, const float *const rows[MR], const float *bp,
                 int64_t panel_stride, float *c, int64_t rs, int64_t h,
                 int64_t w, const float *bias, int load_c,
                 const float *clamp) {
  tile_avx512_any(kc, rows, 1, bp, panel_stride, c, rs, 1, h, w, bias,
                  load_c, clamp);
}
#endif

/* The same tile reading A from a packed panel (column p of its six rows
 * at ap[p * MR]). */
typedef void (*packed_tile_fn)(int64_t kc, const float *ap, const float *bp,
                               int64_t panel_stride, float *c, int64_t rs,
                               int64_t h, int64_t w, const float *bias,
                               int load_c, const float *clamp);

static void packed_tile_portable(int64_t kc, const float *ap, const float *bp,
                                 int64_t panel_stride, float *c, int64_t rs,
                                 int64_t h, int64_t w, const float *bias,
                                 int load_c, const float *clamp) {
  (void)panel_stride;
  const float *a[MR] = {ap, ap + 1, ap + 2, ap + 3, ap + 4, ap + 5};
  tile_portable(kc, a, MR, bp, c, rs, 1, h, w, bias, load_c, clamp);
}

#ifdef GCOMP_GEMM_X86
__attribute__((target("avx2,fma"))) static void
packed_tile_avx2(int64_t kc, const float *ap, const float *bp,
                 int64_t panel_stride, float *c, int64_t rs, int64_t h,
                 int64_t w, const float *bias, int load_c,
                 const float *clamp) {
  (void)panel_stride;
  const float *a[MR] = {ap, ap + 1, ap + 2, ap + 3, ap + 4, ap + 5};
  tile_avx2(kc, a, MR, bp, c, rs, 1, h, w, bias, load_c, clamp);
}

__attribute__((target("avx512f"))) static void
packed_tile_avx512(int64_t kc, const float *ap, const float *bp,
                   int64_t panel_stride, float *c, int64_t rs, int64_t h,
                   int64_t w, const float *bias, int load_c,
                   const float *clamp) {
  const float *a[MR] = {ap, ap + 1, ap + 2, ap + 3, ap + 4, ap + 5};
  tile_avx512_any(kc, a, MR, bp, panel_stride, c, rs, 1, h, w, bias, load_c,
                  clamp);
}
#endif

static pthread_once_t chosen_once = PTHREAD_ONCE_INIT;
static conv_tile_fn conv_tile;
static packed_tile_fn packed_tile;
static int panels; /* NR-wide panels per tile */

static void choose_tile(void) {
  conv_tile = conv_tile_portable;
  packed_tile = packed_tile_portable;
  panels = 1;
#ifdef GCOMP_GEMM_X86
  if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX512) {
    conv_tile = conv_tile_avx512;
    packed_tile = packed_tile_avx512;
    panels = MAX_PANELS;
  } else if (gcomp_rt_kernel_isa() == GCOMP_RT_ISA_AVX2) {
    conv_tile = conv_tile_avx2;
    packed_tile = packed_tile_avx2;
  }
#endif
}

/* A channels-first input transposed to channels-last, per calling thread,
 * grown to the largest input seen (the first run at a size allocates; later
 * runs do not). */
static float *nhwc_space(size_t floats) {
  return gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_CONV_NHWC,
                                 floats * sizeof(float));
}

/* [n, c, h, w] to [n, h, w, c]: each channel's row is read in order. */
static void to_nhwc(const float *in, int64_t n, int64_t c, int64_t h,
                    int64_t w, float *out) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < h; ++y) {
      float *row = out + (b * h + y) * w * c;
      for (int64_t ch = 0; ch < c; ++ch) {
        const float *src = in + ((b * c + ch) * h + y) * w;
        for (int64_t x = 0; x < w; ++x)
          row[x * c + ch] = src[x];
      }
    }
}

/* Per thread: one MC x KC block of A, packed (kept between calls). */
static float *pack_space(void) {
  return gcomp_rt_thread_scratch(GCOMP_RT_SCRATCH_CONV_PACK,
                                 sizeof(float) * (size_t)MC * KC);
}

typedef struct conv_job {
  int64_t n, h, w, c, kh, kw, sh, sw, dh, dw, pad_top, pad_left, oh, ow, m;
  const float *in, *weight, *bias;
  float *out;
  int accumulate;
  /* The activation as a clamp (a ReLU is [0, inf]); null for none. */
  const float *clamp;
  float clamp_values[2];
  int64_t rows, k, width; /* GEMM rows (pixels), depth, packed width */
  int nchw; /* `in` is [n, c, h, w] (GCOMP_CONV_INPUT_NCHW) */
  /* An activation on the finished tiles (GCOMP_ACT_GELU, _SILU), which
   * the clamp cannot express. */
  int act;
  int split_rows;
  /* Pack blocks of A (an im2col gather into panels) rather than reading
   * rows in place: see choose_packing. */
  int pack;
} conv_job;

/* Where the windows of output pixels ir .. ir + MR - 1 start; rows past
 * `h` repeat the last. */
typedef struct row_origins {
  int64_t batch[MR], y0[MR], x0[MR];
} row_origins;

static void find_origins(const conv_job *j, int64_t ir, int64_t h,
                         row_origins *o) {
  const int64_t plane = j->oh * j->ow;
  for (int i = 0; i < MR; ++i) {
    int64_t r = ir + (i < h ? i : h - 1), rem = r % plane;
    o->batch[i] = r / plane;
    o->y0[i] = rem / j->ow * j->sh - j->pad_top;
    o->x0[i] = rem % j->ow * j->sw - j->pad_left;
  }
}

/* The chunk of the K dim that starts at p and ends within the slice
 * ending at `slice_end`: its length, and where each row reads it. A chunk
 * is contiguous in every row: the rest of a kernel position's channels,
 * and, without dilation along x, the positions after it in the same kernel
 * row while they stay inside the input (so a 3-channel stem conv reads a
 * whole kernel row at once, not three floats). */
static int64_t chunk_rows(const conv_job *j, const row_origins *o, int64_t p,
                          int64_t slice_end, const float *rows[MR]) {
  int64_t position = p / j->c, ch = p - position * j->c;
  int64_t ky = position / j->kw, kx = position % j->kw;
  int64_t len = slice_end - p < KC ? slice_end - p : KC;
  for (int i = 0; i < MR; ++i) {
    int64_t y = o->y0[i] + ky * j->dh, x = o->x0[i] + kx * j->dw;
    /* How many kernel positions from kx on this row reads in one run. */
    int64_t positions;
    if (y < 0 || y >= j->h || x >= j->w) {
      rows[i] = zeros; /* the rest of the kernel row is padding */
      positions = j->kw - kx;
    } else if (x < 0) {
      rows[i] = zeros; /* padding until the window enters the input */
      positions = j->dw == 1 && -x < j->kw - kx ? -x : 1;
      if (j->dw == 1 && -x >= j->kw - kx)
        positions = j->kw - kx;
    } else {
      rows[i] = j->in + ((o->batch[i] * j->h + y) * j->w + x) * j->c + ch;
      positions = 1;
      if (j->dw == 1) { /* up to the last kx still inside */
        int64_t last_kx = j->w - 1 - o->x0[i];
        positions = (last_kx < j->kw - 1 ? last_kx : j->kw - 1) - kx + 1;
      }
    }
    int64_t run = positions * j->c - ch;
    if (run < len)
      len = run;
  }
  return len;
}

/* A channels-first input has no contiguous runs along K (the channels of a
 * pixel are h * w floats apart), so its im2col entries are gathered one by
 * one: K positions [p, p + len) of the MR rows, entry (q, i) to
 * dst[q * q_stride + i * i_stride]. That costs a few nanoseconds per entry
 * (ResNet-50's 7x7 stem: 9 of its 98 ms at one thread, AVX-512), so the
 * input is transposed to channels-last first (to_nhwc) and this only
 * serves when there is no memory for that copy. */
static void gather_nchw(const conv_job *j, const row_origins *o, int64_t p,
                        int64_t len, float *dst, int64_t q_stride,
                        int64_t i_stride) {
  for (int64_t q = 0; q < len; ++q) {
    int64_t position = (p + q) / j->c, ch = (p + q) - position * j->c;
    int64_t ky = position / j->kw, kx = position % j->kw;
    for (int i = 0; i < MR; ++i) {
      int64_t y = o->y0[i] + ky * j->dh, x = o->x0[i] + kx * j->dw;
      int inside = y >= 0 && y < j->h && x >= 0 && x < j->w;
      dst[q * q_stride + i * i_stride] =
          inside ? j->in[((o->batch[i] * j->c + ch) * j->h + y) * j->w + x]
                 : 0.0f;
    }
  }
}

/* Packs rows [ic, ic_end) x K range [pc, pc + kc) of im2col(in) into MR-row
 * panels (as gemm.c's pack_a), gathering from the input. */
static void pack_block(const conv_job *j, int64_t ic, int64_t ic_end,
                       int64_t pc, int64_t kc, float *ap) {
  for (int64_t ir = ic; ir < ic_end; ir += MR, ap += MR * kc) {
    int64_t h = ic_end - ir < MR ? ic_end - ir : MR;
    row_origins o;
    find_origins(j, ir, h, &o);
    if (j->nchw) {
      gather_nchw(j, &o, pc, kc, ap, MR, 1);
      continue;
    }
    for (int64_t p = pc; p < pc + kc;) {
      const float *rows[MR];
      int64_t len = chunk_rows(j, &o, p, pc + kc, rows);
      float *out = ap + (p - pc) * MR;
      for (int64_t q = 0; q < len; ++q, out += MR)
        for (int i = 0; i < MR; ++i)
          out[i] = rows[i][q];
      p += len;
    }
  }
}

/* GELU or SiLU over a finished h x w tile (row stride rs), while it is in
 * cache; built per instruction set, so that the row loops vectorize. */
#define ACT_TILE_BODY                                                          \
  {                                                                            \
    for (int64_t i = 0; i < h; ++i)                                            \
      gcomp_activate(act, c + i * rs, w);                                      \
  }
static void act_tile_portable(int act, float *c, int64_t rs, int64_t h,
                              int64_t w) ACT_TILE_BODY
#ifdef GCOMP_GEMM_X86
__attribute__((target("avx2,fma"))) static void
act_tile_avx2(int act, float *c, int64_t rs, int64_t h,
              int64_t w) ACT_TILE_BODY
__attribute__((target("avx512f"))) static void
act_tile_avx512(int act, float *c, int64_t rs, int64_t h,
                int64_t w) ACT_TILE_BODY
#endif

static void act_tile(int act, float *c, int64_t rs, int64_t h, int64_t w) {
#ifdef GCOMP_GEMM_X86
  if (conv_tile == conv_tile_avx512) {
    act_tile_avx512(act, c, rs, h, w);
    return;
  }
  if (conv_tile == conv_tile_avx2) {
    act_tile_avx2(act, c, rs, h, w);
    return;
  }
#endif
  act_tile_portable(act, c, rs, h, w);
}

/* Output pixels [r0, r1) x channels [c0, c1) (c0 a multiple of NR; tiles
 * of `panels` panels from there). */
static void conv_range(const conv_job *j, int64_t r0, int64_t r1, int64_t c0,
                       int64_t c1) {
  float *ap = j->pack ? pack_space() : NULL;
  int pack = ap != NULL;
  for (int64_t pc = 0; pc < j->k; pc += KC) {
    int64_t kc = j->k - pc < KC ? j->k - pc : KC;
    const float *slice = j->weight + pc * j->width;
    int first_slice = pc == 0, last_slice = pc + kc == j->k;
    for (int64_t ic = r0; ic < r1; ic += MC) {
      int64_t ic_end = ic + MC < r1 ? ic + MC : r1;
      if (pack)
        pack_block(j, ic, ic_end, pc, kc, ap);
      for (int64_t jr = c0; jr < c1; jr += panels * NR) {
        int64_t w = c1 - jr < panels * NR ? c1 - jr : panels * NR;
        const float *panel = slice + jr / NR * kc * NR;
        const float *bias = j->bias ? j->bias + jr : NULL;
        for (int64_t ir = ic; ir < ic_end; ir += MR) {
          int64_t h = ic_end - ir < MR ? ic_end - ir : MR;
          float *tile = j->out + ir * j->m + jr;
          if (pack) {
            packed_tile(kc, ap + (ir - ic) * kc, panel, kc * NR, tile, j->m,
                        h, w,
                        first_slice ? bias : NULL,
                        !first_slice || j->accumulate,
                        last_slice ? j->clamp : NULL);
            if (last_slice && j->act != GCOMP_ACT_NONE)
              act_tile(j->act, tile, j->m, h, w);
            continue;
          }
          row_origins o;
          find_origins(j, ir, h, &o);
          for (int64_t p = pc; p < pc + kc;) {
            const float *rows[MR];
            float gathered[MR][KC];
            int64_t len;
            if (j->nchw) {
              len = kc - (p - pc);
              gather_nchw(j, &o, p, len, &gathered[0][0], 1, KC);
              for (int i = 0; i < MR; ++i)
                rows[i] = gathered[i];
            } else {
              len = chunk_rows(j, &o, p, pc + kc, rows);
            }
            int first = p == 0, last = p + len == j->k;
            conv_tile(len, rows, panel + (p - pc) * NR, kc * NR, tile, j->m,
                      h, w,
                      first ? bias : NULL, !first || j->accumulate,
                      last ? j->clamp : NULL);
            if (last && j->act != GCOMP_ACT_NONE)
              act_tile(j->act, tile, j->m, h, w);
            p += len;
          }
        }
      }
    }
  }
}

/* Whether to pack blocks of A into panels or to read the tiles' rows in
 * place. Packing copies A once per block and pays off when every block is
 * reused by enough tiles of output channels. Measured at one thread,
 * alternating the two on the same buffers (min of 20 runs each):
 *  - AVX2 (16-column tiles; ResNet-50 on an AMD EPYC): packing wins on
 *    every conv, by 10-35%, even with four column panels.
 *  - AVX-512 (64-column tiles; Sapphire Rapids): reading in place wins with
 *    one or two tiles across (56x56x64 3x3 -> 64: 148 against 118
 *    GFLOP/s; 56x56x144 1x1 -> 24: 67 against 43), and with up to four on
 *    a deep product (14x14x1024 1x1 -> 256: 153 against 146); packing wins
 *    with more (7x7x320 1x1 -> 1280: 109 against 94) or on a shallow one
 *    (56x56x24 1x1 -> 144: 76 against 64). */
static int choose_packing(int64_t m, int64_t k) {
  if (panels == 1)
    return 1;
  int64_t tiles = (m + panels * NR - 1) / (panels * NR);
  return tiles > 4 || (tiles > 2 && k < KC);
}

static void conv_task(void *ctx, int i, int n) {
  const conv_job *j = ctx;
  int64_t lo, hi;
  if (j->split_rows) {
    split_range(j->rows, MR, i, n, &lo, &hi);
    conv_range(j, lo, hi, 0, j->m);
  } else {
    split_range(j->m, (int64_t)panels * NR, i, n, &lo, &hi);
    conv_range(j, 0, j->rows, lo, hi);
  }
}

void __gcomp_conv2d_nhwc(int64_t n, int64_t h, int64_t w, int64_t c,
                         int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                         int64_t dh, int64_t dw, int64_t pad_top,
                         int64_t pad_left, int64_t oh, int64_t ow, int64_t m,
                         const float *in, const float *weight_packed,
                         const float *bias, float *out, int64_t flags,
                         int64_t clamp_bits) {
  pthread_once(&chosen_once, choose_tile);
  conv_job job = {.n = n, .h = h, .w = w, .c = c, .kh = kh, .kw = kw,
                  .sh = sh, .sw = sw, .dh = dh, .dw = dw,
                  .pad_top = pad_top, .pad_left = pad_left, .oh = oh,
                  .ow = ow, .m = m, .in = in, .weight = weight_packed,
                  .bias = bias, .out = out,
                  .accumulate = (flags & GCOMP_CONV_ACCUMULATE) != 0,
                  .nchw = (flags & GCOMP_CONV_INPUT_NCHW) != 0,
                  .act = (flags & GCOMP_CONV_GELU)   ? GCOMP_ACT_GELU
                         : (flags & GCOMP_CONV_SILU) ? GCOMP_ACT_SILU
                                                     : GCOMP_ACT_NONE,
                  .rows = n * oh * ow, .k = kh * kw * c,
                  .width = (m + NR - 1) / NR * NR, .split_rows = 1};
  if (flags & GCOMP_CONV_CLAMP) {
    uint32_t lo = (uint32_t)clamp_bits, hi = (uint32_t)(clamp_bits >> 32);
    memcpy(&job.clamp_values[0], &lo, sizeof lo);
    memcpy(&job.clamp_values[1], &hi, sizeof hi);
    job.clamp = job.clamp_values;
  } else if (flags & GCOMP_CONV_RELU) {
    job.clamp_values[0] = 0.0f;
    job.clamp_values[1] = INFINITY;
    job.clamp = job.clamp_values;
  }
  if (job.rows <= 0 || m <= 0)
    return;
  job.pack = choose_packing(m, job.k);
  if (job.nchw) {
    /* A network's stem reads the image as given (3 channels): transposed
     * here, 0.6 MB for 224 x 224, the conv gathers whole kernel rows. */
    float *nhwc = nhwc_space((size_t)(n * h * w * c));
    if (nhwc) {
      to_nhwc(in, n, c, h, w, nhwc);
      job.in = nhwc;
      job.nchw = 0;
    }
  }
  if (job.k <= 0) { /* no terms: the epilogue alone */
    float zero[MR * NR] = {0};
    for (int64_t r = 0; r < job.rows; ++r)
      for (int64_t o = 0; o < m; o += NR)
        finish_tile(zero, 1, m - o < NR ? m - o : NR, out + r * m + o, m, 1,
                    bias ? bias + o : NULL, job.accumulate, job.clamp);
    if (job.act != GCOMP_ACT_NONE)
      act_tile(job.act, out, m, job.rows, m);
    return;
  }
  /* Below ~1 MFLOP a wake-up of the pool costs more than it saves. */
  double flops = 2.0 * (double)job.rows * (double)m * (double)job.k;
  int threads = flops < 1e6 ? 1 : gcomp_rt_threads();
  /* Threads splitting the pixels each stream all of the weight; splitting
   * the output channels, each packs all of A. Whichever operand is
   * smaller is the one to duplicate: a late ResNet layer (49 pixels, 2048
   * channels) or a transformer's projection (128 tokens) splits channels,
   * an early layer (3136 pixels, 64 channels) pixels. */
  int parts = threads;
  if (job.rows < m && m >= (int64_t)threads * NR)
    job.split_rows = 0;
  else if (job.rows >= (int64_t)threads * 4 * MR)
    job.split_rows = 1;
  else if (m >= (int64_t)threads * NR)
    job.split_rows = 0;
  else
    parts = 1;
  if (parts <= 1) {
    job.split_rows = 1;
    conv_task(&job, 0, 1);
    return;
  }
  gcomp_rt_parallel(conv_task, &job, parts);
}
