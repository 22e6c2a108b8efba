// RUN: gcomp-opt %s | gcomp-opt | FileCheck %s

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  // CHECK: gcomp.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = gcomp.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: gcomp.sub
  %1 = gcomp.sub %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: gcomp.mul
  %2 = gcomp.mul %1, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: gcomp.div
  %3 = gcomp.div %2, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: gcomp.relu %{{.*}} : tensor<2x3xf32>
  %4 = gcomp.relu %3 : tensor<2x3xf32>
  // CHECK: gcomp.sigmoid
  %5 = gcomp.sigmoid %4 : tensor<2x3xf32>
  // CHECK: gcomp.tanh
  %6 = gcomp.tanh %5 : tensor<2x3xf32>
  // CHECK: gcomp.softmax %{{.*}} {axis = 1 : i64} : tensor<2x3xf32>
  %7 = gcomp.softmax %6 {axis = 1 : i64} : tensor<2x3xf32>
  return %7 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @broadcast_dynamic
func.func @broadcast_dynamic(%a: tensor<?x1xf32>, %b: tensor<4xf32>) -> tensor<?x4xf32> {
  // CHECK: gcomp.add {{.*}} -> tensor<?x4xf32>
  %0 = gcomp.add %a, %b : (tensor<?x1xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%a: tensor<8x4x16xf32>, %b: tensor<16x32xf32>, %v: tensor<16xf32>,
                        %x: tensor<2x784xf32>, %w: tensor<128x784xf32>, %c: tensor<128xf32>) {
  // CHECK: gcomp.matmul {{.*}} -> tensor<8x4x32xf32>
  %0 = gcomp.matmul %a, %b : (tensor<8x4x16xf32>, tensor<16x32xf32>) -> tensor<8x4x32xf32>
  // CHECK: gcomp.matmul {{.*}} -> tensor<8x4xf32>
  %1 = gcomp.matmul %a, %v : (tensor<8x4x16xf32>, tensor<16xf32>) -> tensor<8x4xf32>
  // CHECK: gcomp.gemm %{{.*}}, %{{.*}}, %{{.*}} {alpha = 5.000000e-01 : f32, trans_b = true}
  %2 = gcomp.gemm %x, %w, %c {alpha = 0.5 : f32, trans_b = true} : (tensor<2x784xf32>, tensor<128x784xf32>, tensor<128xf32>) -> tensor<2x128xf32>
  // CHECK: gcomp.gemm %{{.*}}, %{{.*}} {trans_b = true} : (tensor<2x784xf32>, tensor<128x784xf32>) -> tensor<2x128xf32>
  %3 = gcomp.gemm %x, %w {trans_b = true} : (tensor<2x784xf32>, tensor<128x784xf32>) -> tensor<2x128xf32>
  return
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  // CHECK: gcomp.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = gcomp.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: gcomp.transpose %{{.*}} {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  %1 = gcomp.transpose %0 {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  // CHECK: gcomp.constant dense<1.000000e+00> : tensor<4x6xf32>
  %2 = gcomp.constant dense<1.0> : tensor<4x6xf32>
  %3 = gcomp.add %1, %2 : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  return %3 : tensor<4x6xf32>
}

// CHECK-LABEL: func.func @indexing_and_resize
func.func @indexing_and_resize(%x: tensor<2x3x4xf32>, %i: tensor<5x2xi64>, %u: tensor<5x4xf32>) -> (tensor<5x4xf32>, tensor<2x3x4xf32>, tensor<2x2x4xf32>, tensor<2x6x8xf32>) {
  // CHECK: gcomp.gather_nd %{{.*}}[%{{.*}}] : (tensor<2x3x4xf32>, tensor<5x2xi64>) -> tensor<5x4xf32>
  %0 = gcomp.gather_nd %x[%i] : (tensor<2x3x4xf32>, tensor<5x2xi64>) -> tensor<5x4xf32>
  // CHECK: gcomp.scatter_nd %{{.*}}[%{{.*}}], %{{.*}} {reduction = "mul"}
  %1 = gcomp.scatter_nd %x[%i], %u {reduction = "mul"} : (tensor<2x3x4xf32>, tensor<5x2xi64>, tensor<5x4xf32>) -> tensor<2x3x4xf32>
  // CHECK: gcomp.topk %{{.*}} {axis = 1 : i64, largest = false}
  %v, %k = gcomp.topk %x {axis = 1 : i64, largest = false} : (tensor<2x3x4xf32>) -> (tensor<2x2x4xf32>, tensor<2x2x4xi64>)
  // CHECK: gcomp.resize %{{.*}} {coordinate_mode = "half_pixel", mode = "cubic", scales = array<f64: 1.000000e+00, 2.000000e+00, 2.000000e+00>}
  %r = gcomp.resize %x {mode = "cubic", coordinate_mode = "half_pixel", scales = array<f64: 1.0, 2.0, 2.0>} : tensor<2x3x4xf32> -> tensor<2x6x8xf32>
  return %0, %1, %v, %r : tensor<5x4xf32>, tensor<2x3x4xf32>, tensor<2x2x4xf32>, tensor<2x6x8xf32>
}

// CHECK-LABEL: func.func @fused_conv
func.func @fused_conv(%x: tensor<1x5x5x2xf32>, %w: tensor<576xf32>, %r: tensor<1x5x5x20xf32>, %b: tensor<20xf32>) -> (tensor<1x5x5x20xf32>, tensor<1x3x3x20xf32>) {
  // CHECK: gcomp.fused_conv %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {accumulate, dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, relu, strides = array<i64: 1, 1>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>, tensor<20xf32>) -> tensor<1x5x5x20xf32>
  %0 = gcomp.fused_conv %x, %w, %r, %b {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, accumulate, relu} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>, tensor<20xf32>) -> tensor<1x5x5x20xf32>
  %e = tensor.empty() : tensor<1x3x3x20xf32>
  // CHECK: gcomp.fused_conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x3x3x20xf32>) -> tensor<1x3x3x20xf32>
  %1 = gcomp.fused_conv %x, %w, %e {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x3x3x20xf32>) -> tensor<1x3x3x20xf32>
  return %0, %1 : tensor<1x5x5x20xf32>, tensor<1x3x3x20xf32>
}
