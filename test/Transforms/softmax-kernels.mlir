// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-softmax-kernels))' | FileCheck %s

// Attention scores: the division by sqrt(d) becomes the softmax's scale,
// and the softmax a runtime kernel.
// CHECK-LABEL: func.func @scaled
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x8x8xf32>)
// CHECK-NOT: gcomp.div
// CHECK: %[[Y:.*]] = gcomp.softmax %[[X]] {axis = 3 : i64, runtime_kernel, scale = 1.250000e-01 : f32} : tensor<2x4x8x8xf32>
// CHECK: return %[[Y]]
func.func @scaled(%x: tensor<2x4x8x8xf32>) -> tensor<2x4x8x8xf32> {
  %c = gcomp.constant dense<8.0> : tensor<f32>
  %d = gcomp.div %x, %c : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %y = gcomp.softmax %d {axis = 3 : i64} : tensor<2x4x8x8xf32>
  return %y : tensor<2x4x8x8xf32>
}

// -----

// A multiplication on either side, by a positive constant.
// CHECK-LABEL: func.func @multiplied
// CHECK: gcomp.softmax %arg0 {axis = 1 : i64, runtime_kernel, scale = 5.000000e-01 : f32}
func.func @multiplied(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %c = gcomp.constant dense<0.5> : tensor<1xf32>
  %m = gcomp.mul %c, %x : (tensor<1xf32>, tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = gcomp.softmax %m {axis = 1 : i64} : tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

// Not absorbed: a negative scale (it would swap max and min), a scaled
// value used elsewhere. Not a runtime kernel: another axis, f16. Symbolic
// leading dims are rows like any other (the kernel takes their count).
// CHECK-LABEL: func.func @kept
// CHECK: %[[N:.*]] = gcomp.mul
// CHECK: gcomp.softmax %[[N]] {axis = 1 : i64, runtime_kernel} : tensor<3x5xf32>
// CHECK: %[[S:.*]] = gcomp.mul
// CHECK: gcomp.softmax %[[S]] {axis = 1 : i64, runtime_kernel} : tensor<3x5xf32>
// CHECK: gcomp.softmax %{{.*}} {axis = 0 : i64} : tensor<3x5xf32>
// CHECK: gcomp.softmax %{{.*}} {axis = 1 : i64, runtime_kernel} : tensor<?x5xf32>
// CHECK: gcomp.softmax %{{.*}} {axis = 1 : i64} : tensor<3x5xf16>
func.func @kept(%x: tensor<3x5xf32>, %d: tensor<?x5xf32>, %h: tensor<3x5xf16>) -> (tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<?x5xf32>, tensor<3x5xf16>) {
  %neg = gcomp.constant dense<-2.0> : tensor<f32>
  %two = gcomp.constant dense<2.0> : tensor<f32>
  %n = gcomp.mul %x, %neg : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  %a = gcomp.softmax %n {axis = 1 : i64} : tensor<3x5xf32>
  %s = gcomp.mul %x, %two : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  %b = gcomp.softmax %s {axis = 1 : i64} : tensor<3x5xf32>
  %c = gcomp.softmax %x {axis = 0 : i64} : tensor<3x5xf32>
  %e = gcomp.softmax %d {axis = 1 : i64} : tensor<?x5xf32>
  %f = gcomp.softmax %h {axis = 1 : i64} : tensor<3x5xf16>
  return %a, %b, %s, %c, %e, %f : tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<3x5xf32>, tensor<?x5xf32>, tensor<3x5xf16>
}
