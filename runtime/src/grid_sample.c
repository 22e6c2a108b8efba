/*===- grid_sample.c - ONNX GridSample ------------------------------------===*
 *
 * __gcomp_grid_sample (model_abi.h). Each output point reads the input at
 * the grid's coordinates, which come from the data, so the taps cannot be
 * planned at compile time. The arithmetic follows ONNX's reference (and
 * onnxruntime): coordinates are unnormalized per align_corners, rounded
 * half to even for nearest, reflected into range for reflection padding,
 * then interpolated from 1, 2 or 4 taps per dim (Keys cubic with a =
 * -0.75), each tap read with the padding rule (zero, clamped, reflected).
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <math.h>

enum { MAX_SPATIAL = 3, MAX_TAPS = 4 };

/* floor and round-half-to-even without libm (the runtime links against libc
 * alone): floats of magnitude 2^23 or more, infinities and NaN are
 * integers or stay as they are. */
static int is_small(float x) { return fabsf(x) < 8388608.0f; }

static float floor_float(float x) {
  if (!is_small(x))
    return x;
  float t = (float)(int32_t)x;
  return t > x ? t - 1 : t;
}

static float round_half_even(float x) {
  if (!is_small(x))
    return x;
  float f = floor_float(x), d = x - f;
  if (d > 0.5f || (d == 0.5f && (int32_t)f % 2 != 0))
    return f + 1;
  return f;
}

/* Reflects x by the near border until it lies within [lo, hi]. */
static float reflect(float x, float lo, float hi) {
  float range = hi - lo;
  if (x < lo) {
    float dx = lo - x;
    int64_t n = (int64_t)(dx / range);
    float r = dx - (float)n * range;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    float dx = x - hi;
    int64_t n = (int64_t)(dx / range);
    float r = dx - (float)n * range;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

static void cubic_coeffs(float t, float *c) {
  const float a = -0.75f;
  float x = fabsf(t);
  c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

/* Index i of a dim of `size`, by the padding rule: -1 for a zero. */
static int64_t tap_index(int64_t i, int64_t size, int padding, float lo,
                         float hi) {
  if (i >= 0 && i < size)
    return i;
  switch (padding) {
  case GCOMP_GRID_SAMPLE_PAD_BORDER:
    return i < 0 ? 0 : size - 1;
  case GCOMP_GRID_SAMPLE_PAD_REFLECTION: {
    int64_t r = (int64_t)reflect((float)i, lo, hi);
    return r < 0 ? 0 : r >= size ? size - 1 : r;
  }
  default:
    return -1;
  }
}

void __gcomp_grid_sample(int64_t n, int64_t c, int64_t rank, int64_t in0,
                         int64_t in1, int64_t in2, int64_t out0, int64_t out1,
                         int64_t out2, const float *x, const float *grid,
                         float *y, int64_t flags) {
  int64_t in[MAX_SPATIAL] = {in0, in1, in2}, out[MAX_SPATIAL] = {out0, out1,
                                                                  out2};
  int mode = (int)(flags & GCOMP_GRID_SAMPLE_MODE_MASK);
  int padding = (int)(flags & GCOMP_GRID_SAMPLE_PAD_MASK);
  int align = (flags & GCOMP_GRID_SAMPLE_ALIGN_CORNERS) != 0;
  int64_t in_size = 1, out_size = 1;
  for (int64_t d = 0; d < rank; ++d) {
    in_size *= in[d];
    out_size *= out[d];
  }
  int taps = mode == GCOMP_GRID_SAMPLE_NEAREST  ? 1
             : mode == GCOMP_GRID_SAMPLE_LINEAR ? 2
                                                : MAX_TAPS;
  for (int64_t b = 0; b < n; ++b) {
    const float *g = grid + b * out_size * rank;
    for (int64_t p = 0; p < out_size; ++p) {
      /* Per spatial dim: its taps' indices (-1: zero) and weights. The
       * grid lists the coordinates innermost dim first (x, y, z). */
      int64_t index[MAX_SPATIAL][MAX_TAPS];
      float weight[MAX_SPATIAL][MAX_TAPS];
      for (int64_t d = 0; d < rank; ++d) {
        float v = g[p * rank + (rank - 1 - d)];
        float size = (float)in[d];
        float pos = align ? (v + 1) / 2.0f * (size - 1)
                          : ((v + 1) * size - 1) / 2.0f;
        if (mode == GCOMP_GRID_SAMPLE_NEAREST)
          pos = round_half_even(pos);
        float lo = align ? 0.0f : -0.5f, hi = align ? size - 1 : size - 0.5f;
        /* Reflection folds the position itself into range; border padding
         * clamps only the taps (as onnxruntime does: for cubic taps that
         * differs from clamping the position). */
        if (padding == GCOMP_GRID_SAMPLE_PAD_REFLECTION && (pos < lo || pos > hi))
          pos = reflect(pos, lo, hi);
        /* Far outside (or NaN), every tap is a zero or the edge's: keep
         * the position where converting it to an integer is defined. */
        if (!(pos >= lo - 4))
          pos = lo - 4;
        if (!(pos <= hi + 4))
          pos = hi + 4;
        if (mode == GCOMP_GRID_SAMPLE_NEAREST) {
          index[d][0] = tap_index((int64_t)pos, in[d], padding, lo, hi);
          weight[d][0] = 1.0f;
          continue;
        }
        float base = floor_float(pos), t = pos - base;
        int64_t i0 = (int64_t)base;
        if (mode == GCOMP_GRID_SAMPLE_LINEAR) {
          weight[d][0] = 1 - fabsf(t);
          weight[d][1] = fabsf(t);
          for (int k = 0; k < 2; ++k)
            index[d][k] = tap_index(i0 + k, in[d], padding, lo, hi);
        } else {
          cubic_coeffs(t, weight[d]);
          for (int k = 0; k < 4; ++k)
            index[d][k] = tap_index(i0 - 1 + k, in[d], padding, lo, hi);
        }
      }
      for (int64_t ch = 0; ch < c; ++ch) {
        const float *plane = x + (b * c + ch) * in_size;
        /* Separable: the innermost dim first, as the reference does. */
        float acc = 0.0f;
        if (rank == 1) {
          for (int k = 0; k < taps; ++k)
            if (index[0][k] >= 0)
              acc += weight[0][k] * plane[index[0][k]];
        } else if (rank == 2) {
          for (int i = 0; i < taps; ++i) {
            float row = 0.0f;
            for (int k = 0; k < taps; ++k)
              if (index[0][i] >= 0 && index[1][k] >= 0)
                row += weight[1][k] * plane[index[0][i] * in[1] + index[1][k]];
            acc += weight[0][i] * row;
          }
        } else {
          for (int i = 0; i < taps; ++i) {
            float slab = 0.0f;
            for (int j = 0; j < taps; ++j) {
              float row = 0.0f;
              for (int k = 0; k < taps; ++k)
                if (index[0][i] >= 0 && index[1][j] >= 0 && index[2][k] >= 0)
                  row += weight[2][k] *
                         plane[(index[0][i] * in[1] + index[1][j]) * in[2] +
                               index[2][k]];
              slab += weight[1][j] * row;
            }
            acc += weight[0][i] * slab;
          }
        }
        y[(b * c + ch) * out_size + p] = acc;
      }
    }
  }
}
