/*===- nms.c - ONNX NonMaxSuppression -------------------------------------===*
 *
 * __gcomp_nms (model_abi.h). Per batch and class, the candidates above the
 * score threshold are sorted best first and kept greedily unless a kept box
 * overlaps them by more than the IoU threshold. The IoU is computed with
 * the float operations of onnxruntime's kernel (and ONNX's reference), in
 * the same order, so that borderline boxes are decided the same way.
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct nms_candidate {
  float score;
  int64_t box;
} nms_candidate;

/* Best first: the higher score, then the lower box index; NaN scores last. */
static int ranks_before(float sa, int64_t ia, float sb, int64_t ib) {
  if (isnan(sa) || isnan(sb))
    return isnan(sa) ? (isnan(sb) && ia < ib) : 1;
  return sa > sb || (sa == sb && ia < ib);
}

static int compare_candidates(const void *pa, const void *pb) {
  const nms_candidate *a = pa, *b = pb;
  if (ranks_before(a->score, a->box, b->score, b->box))
    return -1;
  return ranks_before(b->score, b->box, a->score, a->box) ? 1 : 0;
}

static void min_max(float a, float b, float *lo, float *hi) {
  *lo = a < b ? a : b;
  *hi = a < b ? b : a;
}

/* Whether box `a` suppresses box `b`: IoU > threshold (onnxruntime's
 * SuppressByIOU). */
static int suppresses(const float *a, const float *b, int center,
                      float threshold) {
  float ax0, ax1, ay0, ay1, bx0, bx1, by0, by1;
  if (center) {
    float aw = a[2] / 2, ah = a[3] / 2, bw = b[2] / 2, bh = b[3] / 2;
    ax0 = a[0] - aw, ax1 = a[0] + aw, bx0 = b[0] - bw, bx1 = b[0] + bw;
    ay0 = a[1] - ah, ay1 = a[1] + ah, by0 = b[1] - bh, by1 = b[1] + bh;
  } else {
    min_max(a[1], a[3], &ax0, &ax1);
    min_max(b[1], b[3], &bx0, &bx1);
    min_max(a[0], a[2], &ay0, &ay1);
    min_max(b[0], b[2], &by0, &by1);
  }
  float ix0 = ax0 > bx0 ? ax0 : bx0, ix1 = ax1 < bx1 ? ax1 : bx1;
  if (ix1 <= ix0)
    return 0;
  float iy0 = ay0 > by0 ? ay0 : by0, iy1 = ay1 < by1 ? ay1 : by1;
  if (iy1 <= iy0)
    return 0;
  float inter = (ix1 - ix0) * (iy1 - iy0);
  if (inter <= 0)
    return 0;
  float area_a = (ax1 - ax0) * (ay1 - ay0), area_b = (bx1 - bx0) * (by1 - by0);
  float uni = area_a + area_b - inter;
  if (area_a <= 0 || area_b <= 0 || uni <= 0)
    return 0;
  return inter / uni > threshold;
}

void __gcomp_nms(int64_t batches, int64_t classes, int64_t boxes,
                 int64_t max_rows_per_class, const float *box_data,
                 const float *scores, const int64_t *max_per_class,
                 const float *iou_threshold, const float *score_threshold,
                 int64_t *selected, int64_t *count, int64_t flags) {
  int64_t limit = max_per_class ? *max_per_class : 0;
  if (limit < 0)
    limit = 0;
  if (limit > max_rows_per_class)
    limit = max_rows_per_class;
  float iou = iou_threshold ? *iou_threshold : 0.0f;
  int center = (flags & GCOMP_NMS_CENTER_POINT_BOX) != 0;
  /* One list of candidates, reused for every class. Without it (no memory)
   * each next candidate is found by a scan: slower, same result. */
  nms_candidate *list =
      limit > 0 && boxes > 0 ? malloc((size_t)boxes * sizeof *list) : NULL;
  int64_t rows = 0;
  for (int64_t b = 0; b < batches && limit > 0; ++b) {
    const float *batch_boxes = box_data + b * boxes * 4;
    for (int64_t c = 0; c < classes; ++c) {
      const float *s = scores + (b * classes + c) * boxes;
      int64_t n = 0;
      if (list) {
        for (int64_t i = 0; i < boxes; ++i)
          if (!score_threshold || s[i] > *score_threshold)
            list[n++] = (nms_candidate){s[i], i};
        qsort(list, (size_t)n, sizeof *list, compare_candidates);
      }
      int64_t first_row = rows, previous = -1;
      for (int64_t k = 0; rows - first_row < limit; ++k) {
        int64_t box;
        if (list) {
          if (k == n)
            break;
          box = list[k].box;
        } else {
          /* The best candidate ranking after the previous one. */
          box = -1;
          for (int64_t i = 0; i < boxes; ++i) {
            if (score_threshold && !(s[i] > *score_threshold))
              continue;
            if (previous >= 0 && !ranks_before(s[previous], previous, s[i], i))
              continue;
            if (box < 0 || ranks_before(s[i], i, s[box], box))
              box = i;
          }
          if (box < 0)
            break;
          previous = box;
        }
        int kept = 1;
        for (int64_t r = first_row; r < rows && kept; ++r)
          kept = !suppresses(batch_boxes + selected[3 * r + 2] * 4,
                             batch_boxes + box * 4, center, iou);
        if (kept) {
          selected[3 * rows] = b;
          selected[3 * rows + 1] = c;
          selected[3 * rows + 2] = box;
          ++rows;
        }
      }
    }
  }
  free(list);
  int64_t capacity = batches * classes * max_rows_per_class;
  if (capacity > rows)
    memset(selected + 3 * rows, 0,
           (size_t)(capacity - rows) * 3 * sizeof *selected);
  *count = rows;
}
