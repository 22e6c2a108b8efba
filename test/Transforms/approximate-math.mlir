// RUN: gcomp-opt %s -gcomp-approximate-math | FileCheck %s

// f32 exp, tanh and erf become arithmetic (no math op is left to become a
// libm call); f64 keeps math.exp, which has no f32 polynomial.
// CHECK-LABEL: func.func @f32_math
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: arith.mulf
// CHECK: return
func.func @f32_math(%x: f32) -> (f32, f32, f32) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %x : f32
  return %e, %t, %r : f32, f32, f32
}

// CHECK-LABEL: func.func @f64_math
// CHECK: math.exp %{{.*}} : f64
func.func @f64_math(%x: f64) -> f64 {
  %e = math.exp %x : f64
  return %e : f64
}
