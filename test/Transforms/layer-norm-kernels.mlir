// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-layer-norm-kernels))' | FileCheck %s

// Scale and bias of the normalized shape (with or without leading 1s), or
// absent: runtime kernels.
// CHECK-LABEL: func.func @marked
// CHECK: gcomp.layer_norm %arg0 scale %arg1 bias %arg2 {axis = 2 : i64, epsilon = {{.*}}, runtime_kernel}
// CHECK: gcomp.layer_norm %arg0 scale %arg3 {axis = 1 : i64, epsilon = {{.*}}, runtime_kernel}
// CHECK: gcomp.layer_norm %arg0 {axis = 2 : i64, epsilon = {{.*}}, runtime_kernel}
func.func @marked(%x: tensor<2x3x8xf32>, %g: tensor<8xf32>, %b: tensor<1x1x8xf32>, %g2: tensor<1x3x8xf32>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %y = gcomp.layer_norm %x scale %g bias %b {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>, tensor<8xf32>, tensor<1x1x8xf32>) -> tensor<2x3x8xf32>
  %z = gcomp.layer_norm %x scale %g2 {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>, tensor<1x3x8xf32>) -> tensor<2x3x8xf32>
  %w = gcomp.layer_norm %x {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %y, %z, %w : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// -----

// Not runtime kernels: a scale that broadcasts along the normalized dims,
// one that varies along a batch dim, f16. Symbolic leading dims are rows
// like any other (the kernel takes their count).
// CHECK-LABEL: func.func @kept
// CHECK-NOT: runtime_kernel
// CHECK: gcomp.layer_norm %arg3 {axis = 1 : i64, epsilon = {{.*}}, runtime_kernel} : (tensor<?x8xf32>)
// CHECK-NOT: runtime_kernel
// CHECK: return
func.func @kept(%x: tensor<2x3x8xf32>, %one: tensor<1xf32>, %per_row: tensor<2x3x8xf32>, %d: tensor<?x8xf32>, %h: tensor<3x8xf16>) -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<?x8xf32>, tensor<3x8xf16>) {
  %a = gcomp.layer_norm %x scale %one {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>, tensor<1xf32>) -> tensor<2x3x8xf32>
  %b = gcomp.layer_norm %x bias %per_row {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %c = gcomp.layer_norm %d {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  %e = gcomp.layer_norm %h {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x8xf16>) -> tensor<3x8xf16>
  return %a, %b, %c, %e : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<?x8xf32>, tensor<3x8xf16>
}
