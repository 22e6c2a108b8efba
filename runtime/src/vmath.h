/*===- vmath.h - exp and erf that loops can vectorize ---------------------===*
 *
 * libm's expf and erff are calls the compiler cannot vectorize; these are
 * branch-free (selects only), so a loop over them becomes SIMD code. exp is
 * Cephes' expf (range reduction by ln 2, a degree-6 polynomial, 2^n built in
 * the exponent bits; about 1 ulp for x <= 88, which is all the softmax and
 * erf callers pass); erf is its Taylor series below 0.75 and Abramowitz and
 * Stegun 7.1.26 above (absolute error below 4e-7, relative below 2e-7
 * near 0). NaN stays NaN; exp(-inf) is 0.
 *===----------------------------------------------------------------------===*/
#ifndef GCOMP_RUNTIME_VMATH_H
#define GCOMP_RUNTIME_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float gcomp_exp(float x) {
  float in = x;
  x = x < -87.33654f ? -87.33654f : x;
  x = x > 88.0f ? 88.0f : x; /* keeps 2^n finite; callers pass x <= 0 */
  /* NaN (answered below) as 0: converting NaN to an integer is undefined
   * behaviour in C (UBSan stops on it). */
  x = x != x ? 0.0f : x;
  /* n = floor(t), without a libm call (x is clamped, so t fits an int). */
  float t = x * 1.44269504088896341f + 0.5f;
  float n = (float)(int32_t)t;
  n = n > t ? n - 1.0f : n;
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  float y = p * scale;
  y = in < -87.33654f ? 0.0f : y;  /* underflow (and -inf) */
  y = in > 88.72283f ? INFINITY : y; /* overflow (and inf) */
  return in != in ? in : y;
}

static inline float gcomp_erf(float x) {
  float a = fabsf(x);
  /* |x| < 0.75: the Taylor series to x^15 (relative error below 2e-7). */
  float a2 = a * a;
  float s = -1.0f / 75600.0f;
  s = s * a2 + 1.0f / 9360.0f;
  s = s * a2 - 1.0f / 1320.0f;
  s = s * a2 + 1.0f / 216.0f;
  s = s * a2 - 1.0f / 42.0f;
  s = s * a2 + 1.0f / 10.0f;
  s = s * a2 - 1.0f / 3.0f;
  s = s * a2 + 1.0f;
  float small = 1.12837916709551257f * a * s;
  /* Otherwise Abramowitz and Stegun 7.1.26. */
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float p = 1.061405429f;
  p = p * t - 1.453152027f;
  p = p * t + 1.421413741f;
  p = p * t - 0.284496736f;
  p = p * t + 0.254829592f;
  float large = 1.0f - p * t * gcomp_exp(-a2);
  float y = a < 0.75f ? small : large;
  y = a != a ? a : y;
  return copysignf(y, x);
}

/* 0.5 x (1 + erf(x / sqrt(2))), ONNX Gelu's exact form. */
static inline float gcomp_gelu(float x) {
  return 0.5f * x * (1.0f + gcomp_erf(x * 0.70710678118654752f));
}

/* x * sigmoid(x) as x / (1 + exp(-x)), the form gcomp's linalg lowering of
 * SiLU uses: exp(-x) overflows to inf for x < -88.7, giving -0, and
 * underflows to 0 for x > 87.3, giving x. */
static inline float gcomp_silu(float x) {
  return x / (1.0f + gcomp_exp(-x));
}

/* The activations the conv kernels apply to finished outputs beyond a
 * clamp (GCOMP_CONV_GELU, GCOMP_CONV_SILU). */
enum { GCOMP_ACT_NONE, GCOMP_ACT_GELU, GCOMP_ACT_SILU };

/* `act` over x[0..n), in place; inlined into each caller's per-instruction
 * set wrapper, so the loop vectorizes for it. */
static inline __attribute__((always_inline)) void
gcomp_activate(int act, float *x, int64_t n) {
  if (act == GCOMP_ACT_GELU)
    for (int64_t i = 0; i < n; ++i)
      x[i] = gcomp_gelu(x[i]);
  else if (act == GCOMP_ACT_SILU)
    for (int64_t i = 0; i < n; ++i)
      x[i] = gcomp_silu(x[i]);
}

#endif
