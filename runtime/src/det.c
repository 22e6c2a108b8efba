/*===- det.c - ONNX Det ---------------------------------------------------===*
 *
 * __gcomp_det (model_abi.h). The determinant of each square matrix by LU
 * decomposition with partial pivoting, in double precision (onnxruntime
 * uses Eigen's, in the input's type).
 *===----------------------------------------------------------------------===*/

#include "gcomp/model_abi.h"
#include "internal.h"

#include <stdlib.h>

enum { STACK_N = 32 };

static double det_in_place(double *a, int64_t n) {
  double det = 1.0;
  for (int64_t col = 0; col < n; ++col) {
    int64_t pivot = col;
    double best = a[col * n + col] < 0 ? -a[col * n + col] : a[col * n + col];
    for (int64_t r = col + 1; r < n; ++r) {
      double v = a[r * n + col] < 0 ? -a[r * n + col] : a[r * n + col];
      if (v > best) {
        best = v;
        pivot = r;
      }
    }
    if (best == 0.0)
      return 0.0;
    if (pivot != col) {
      for (int64_t k = 0; k < n; ++k) {
        double t = a[col * n + k];
        a[col * n + k] = a[pivot * n + k];
        a[pivot * n + k] = t;
      }
      det = -det;
    }
    double d = a[col * n + col];
    det *= d;
    for (int64_t r = col + 1; r < n; ++r) {
      double f = a[r * n + col] / d;
      for (int64_t k = col + 1; k < n; ++k)
        a[r * n + k] -= f * a[col * n + k];
    }
  }
  return det;
}

void __gcomp_det(int64_t batch, int64_t n, const float *in, float *out) {
  double stack[STACK_N * STACK_N];
  double *a = n <= STACK_N ? stack : malloc((size_t)(n * n) * sizeof *a);
  for (int64_t b = 0; b < batch; ++b) {
    if (!a) {
      /* No memory for a large matrix: a NaN says the result is missing. */
      union {
        uint32_t u;
        float f;
      } nan = {0x7fc00000u};
      out[b] = nan.f;
      continue;
    }
    for (int64_t i = 0; i < n * n; ++i)
      a[i] = in[b * n * n + i];
    out[b] = (float)det_in_place(a, n);
  }
  if (a != stack)
    free(a);
}
