// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-recognize-ops))' | FileCheck %s

// PyTorch's exported GELU: x / sqrt(2), erf, + 1, * x, * 0.5.
// CHECK-LABEL: func.func @torch_gelu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-NOT: gcomp.{{div|erf|add|mul}}
// CHECK: %[[G:.*]] = gcomp.gelu %[[X]] : tensor<4x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @torch_gelu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %sqrt2 = gcomp.constant dense<1.41421354> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  %d = gcomp.div %x, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e = gcomp.erf %d : tensor<4x8xf32>
  %a = gcomp.add %e, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %m = gcomp.mul %x, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = gcomp.mul %m, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The other association orders, and x * (1 / sqrt(2)).
// CHECK-LABEL: func.func @orders
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
// CHECK-DAG: %[[G1:.*]] = gcomp.gelu %[[X]]
// CHECK-DAG: %[[G2:.*]] = gcomp.gelu %[[X]]
// CHECK-NOT: gcomp.erf
// CHECK: return
func.func @orders(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %r = gcomp.constant dense<0.707106769> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  // ((s * 0.5) * x)
  %d1 = gcomp.mul %r, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %e1 = gcomp.erf %d1 : tensor<8xf32>
  %a1 = gcomp.add %one, %e1 : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %h1 = gcomp.mul %a1, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y1 = gcomp.mul %x, %h1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  // ((x * 0.5) * s)
  %xh = gcomp.mul %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %d2 = gcomp.mul %x, %r : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e2 = gcomp.erf %d2 : tensor<8xf32>
  %a2 = gcomp.add %e2, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y2 = gcomp.mul %xh, %a2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y1, %y2 : tensor<8xf32>, tensor<8xf32>
}

// -----

// Not GELU: a wrong constant (erf(x / 2)), and an intermediate used
// elsewhere (the erf is needed on its own).
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: gcomp.gelu
// CHECK-COUNT-2: gcomp.erf
func.func @not_gelu(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %two = gcomp.constant dense<2.0> : tensor<f32>
  %sqrt2 = gcomp.constant dense<1.41421354> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  %d1 = gcomp.div %x, %two : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e1 = gcomp.erf %d1 : tensor<8xf32>
  %a1 = gcomp.add %e1, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %m1 = gcomp.mul %x, %a1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y1 = gcomp.mul %m1, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %d2 = gcomp.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e2 = gcomp.erf %d2 : tensor<8xf32>
  %a2 = gcomp.add %e2, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %m2 = gcomp.mul %x, %a2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y2 = gcomp.mul %m2, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y1, %y2, %e2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
