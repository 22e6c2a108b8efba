/*===- roi_align.c - ONNX RoiAlign ----------------------------------------===*
 *
 * __gcomp_roi_align (model_abi.h). Each region's bins average (or take the
 * max of) bilinear samples on a regular grid inside the bin; the regions
 * come from the data. The arithmetic is onnxruntime's (and ONNX's
 * reference), in float: sample positions, the clamping at the borders, and
 * max mode's max over each sample's four weighted corners.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <math.h>

/* A sample's four corners and weights; all zero outside the map. */
typedef struct roi_sample {
  int64_t pos[4];
  float w[4];
} roi_sample;

static roi_sample sample_at(float y, float x, int64_t height, int64_t width) {
  roi_sample s = {{0, 0, 0, 0}, {0, 0, 0, 0}};
  /* Outside (or NaN): no contribution. */
  if (!(y >= -1.0f && y <= (float)height && x >= -1.0f && x <= (float)width))
    return s;
  if (y < 0)
    y = 0;
  if (x < 0)
    x = 0;
  int64_t y_low = (int64_t)y, x_low = (int64_t)x, y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    y = (float)y_low;
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    x = (float)x_low;
  } else {
    x_high = x_low + 1;
  }
  float ly = y - (float)y_low, lx = x - (float)x_low;
  float hy = 1.0f - ly, hx = 1.0f - lx;
  s.pos[0] = y_low * width + x_low;
  s.pos[1] = y_low * width + x_high;
  s.pos[2] = y_high * width + x_low;
  s.pos[3] = y_high * width + x_high;
  s.w[0] = hy * hx;
  s.w[1] = hy * lx;
  s.w[2] = ly * hx;
  s.w[3] = ly * lx;
  return s;
}

/* ceil(v) of a positive bin extent, as a sample count (at least 0, capped
 * so that a huge or NaN region cannot run for ever). */
static int64_t grid_count(float v) {
  if (!(v > 0))
    return 0;
  if (v > 65536.0f)
    return 65536;
  int64_t n = (int64_t)v;
  return (float)n < v ? n + 1 : n;
}

void __gcomp_roi_align(int64_t batches, int64_t channels, int64_t height,
                       int64_t width, int64_t rois, int64_t out_h,
                       int64_t out_w, const float *x, const float *roi_data,
                       const int64_t *batch_indices, float *y,
                       int64_t sampling_ratio, int64_t scale_bits,
                       int64_t flags) {
  union {
    uint32_t u;
    float f;
  } scale = {(uint32_t)scale_bits};
  float offset = (flags & GCOMP_ROI_ALIGN_HALF_PIXEL) ? 0.5f : 0.0f;
  int max_mode = (flags & GCOMP_ROI_ALIGN_MAX) != 0;
  for (int64_t r = 0; r < rois; ++r) {
    float *out = y + r * channels * out_h * out_w;
    int64_t b = batch_indices[r];
    const float *roi = roi_data + r * 4;
    float start_w = roi[0] * scale.f - offset, start_h = roi[1] * scale.f - offset;
    float roi_w = roi[2] * scale.f - offset - start_w,
          roi_h = roi[3] * scale.f - offset - start_h;
    if (offset == 0.0f) {
      roi_w = roi_w > 1.0f ? roi_w : 1.0f;
      roi_h = roi_h > 1.0f ? roi_h : 1.0f;
    }
    float bin_h = roi_h / (float)out_h, bin_w = roi_w / (float)out_w;
    int64_t grid_h = sampling_ratio > 0 ? sampling_ratio : grid_count(bin_h);
    int64_t grid_w = sampling_ratio > 0 ? sampling_ratio : grid_count(bin_w);
    float count = (float)(grid_h * grid_w > 1 ? grid_h * grid_w : 1);
    /* A batch index outside the input gives zeros. */
    if (b < 0 || b >= batches) {
      for (int64_t i = 0; i < channels * out_h * out_w; ++i)
        out[i] = 0.0f;
      continue;
    }
    for (int64_t ph = 0; ph < out_h; ++ph)
      for (int64_t pw = 0; pw < out_w; ++pw) {
        for (int64_t ch = 0; ch < channels; ++ch) {
          const float *plane = x + (b * channels + ch) * height * width;
          float acc = 0.0f;
          int first = 1;
          for (int64_t iy = 0; iy < grid_h; ++iy) {
            float sy = start_h + (float)ph * bin_h +
                       ((float)iy + 0.5f) * bin_h / (float)grid_h;
            for (int64_t ix = 0; ix < grid_w; ++ix) {
              float sx = start_w + (float)pw * bin_w +
                         ((float)ix + 0.5f) * bin_w / (float)grid_w;
              roi_sample s = sample_at(sy, sx, height, width);
              if (!max_mode) {
                acc += s.w[0] * plane[s.pos[0]] + s.w[1] * plane[s.pos[1]] +
                       s.w[2] * plane[s.pos[2]] + s.w[3] * plane[s.pos[3]];
                continue;
              }
              float v = s.w[0] * plane[s.pos[0]];
              for (int k = 1; k < 4; ++k) {
                float t = s.w[k] * plane[s.pos[k]];
                v = t > v ? t : v;
              }
              acc = first || v > acc ? v : acc;
              first = 0;
            }
          }
          out[(ch * out_h + ph) * out_w + pw] = max_mode ? acc : acc / count;
        }
      }
  }
}
