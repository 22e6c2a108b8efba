// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-fold-batch-norm))' | FileCheck %s

// BN as imported after a conv: (x - mean) * factor + bias per channel
// becomes the conv's weight and bias. Weight 1 everywhere, no bias:
// channel m's weight is factor[m] and its bias (0 - mean) * factor + bias.
// CHECK-LABEL: func.func @conv_bn
// CHECK-DAG: %[[W:.*]] = gcomp.constant dense<{{\[}}[{{\[}}[2.000000e+00]]], [{{\[}}[5.000000e-01]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = gcomp.constant dense<[-1.000000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = gcomp.conv %arg0, %[[W]], %[[B]]
// CHECK-NOT: gcomp.{{sub|mul|add}}
// CHECK: return %[[Y]]
func.func @conv_bn(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = gcomp.constant dense<1.0> : tensor<2x1x1x1xf32>
  %mean = gcomp.constant dense<[[[1.0]], [[-1.0]]]> : tensor<2x1x1xf32>
  %factor = gcomp.constant dense<[[[2.0]], [[0.5]]]> : tensor<2x1x1xf32>
  %bias = gcomp.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = gcomp.sub %c, %mean : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %m = gcomp.mul %s, %factor : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = gcomp.add %m, %bias : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Gemm (trans_b): B's rows (the output columns) and C absorb the scale and
// shift (C = beta * C * scale + shift = 2 * 1 * [3, -1] + 1); beta
// becomes 1.
// CHECK-LABEL: func.func @gemm_scale
// CHECK-DAG: %[[W:.*]] = gcomp.constant dense<{{\[}}[3.000000e+00, 3.000000e+00], [-1.000000e+00, -1.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[C:.*]] = gcomp.constant dense<[7.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: gcomp.gemm %arg0, %[[W]], %[[C]] {trans_b = true}
// CHECK-NOT: gcomp.mul
func.func @gemm_scale(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = gcomp.constant dense<1.0> : tensor<2x2xf32>
  %c = gcomp.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %k = gcomp.constant dense<[3.0, -1.0]> : tensor<2xf32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %g = gcomp.gemm %x, %w, %c {beta = 2.0 : f32, trans_b = true} : (tensor<4x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %m = gcomp.mul %k, %g : (tensor<2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  %y = gcomp.add %m, %one : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// MatMul: the scale goes into the weight's columns, the shift stays one
// bias addition; c - x negates.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[W:.*]] = gcomp.constant dense<{{\[}}[-2.000000e+00, -3.000000e+00]]> : tensor<1x2xf32>
// CHECK: %[[P:.*]] = gcomp.matmul %arg0, %[[W]]
// CHECK: %[[B:.*]] = gcomp.constant dense<5.000000e+00> : tensor<2xf32>
// CHECK: %[[Y:.*]] = gcomp.add %[[P]], %[[B]]
// CHECK-NEXT: return %[[Y]]
func.func @matmul(%x: tensor<4x1xf32>) -> tensor<4x2xf32> {
  %w = gcomp.constant dense<[[1.0, 1.0]]> : tensor<1x2xf32>
  %k = gcomp.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %five = gcomp.constant dense<5.0> : tensor<f32>
  %p = gcomp.matmul %x, %w : (tensor<4x1xf32>, tensor<1x2xf32>) -> tensor<4x2xf32>
  %m = gcomp.mul %p, %k : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = gcomp.sub %five, %m : (tensor<f32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Not folded: a per-pixel (not per-channel) scale, a conv result that has
// another user, a weight that is not constant.
// CHECK-LABEL: func.func @kept
// CHECK: %[[C:.*]] = gcomp.conv
// CHECK: gcomp.mul %[[C]]
// CHECK: %[[D:.*]] = gcomp.conv
// CHECK: gcomp.mul %[[D]]
// CHECK: %[[E:.*]] = gcomp.conv %arg0, %arg1
// CHECK: gcomp.mul %[[E]]
func.func @kept(%x: tensor<1x1x4x4xf32>, %wv: tensor<2x1x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = gcomp.constant dense<1.0> : tensor<2x1x1x1xf32>
  %pixel = gcomp.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %k = gcomp.constant dense<[[[2.0]], [[3.0]]]> : tensor<2x1x1xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %a = gcomp.mul %c, %pixel : (tensor<1x2x4x4xf32>, tensor<4xf32>) -> tensor<1x2x4x4xf32>
  %d = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %b = gcomp.mul %d, %k : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %e = gcomp.conv %x, %wv {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %f = gcomp.mul %e, %k : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %a, %b, %d, %f : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}
