// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-pool-kernels))' | FileCheck %s

// Channels-last 2-D f32 pools with static shapes become runtime kernels.
// CHECK-LABEL: func.func @pools
// CHECK: gcomp.max_pool %{{.*}} {channels_last, {{.*}}runtime_kernel{{.*}}} : (tensor<1x9x9x8xf32>) -> tensor<1x5x5x8xf32>
// CHECK: gcomp.average_pool %{{.*}} {channels_last, count_include_pad = true, {{.*}}runtime_kernel{{.*}}} : (tensor<1x9x9x8xf32>) -> tensor<1x5x5x8xf32>
func.func @pools(%x: tensor<1x9x9x8xf32>) -> (tensor<1x5x5x8xf32>, tensor<1x5x5x8xf32>) {
  %a = gcomp.max_pool %x {channels_last, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x9x9x8xf32>) -> tensor<1x5x5x8xf32>
  %b = gcomp.average_pool %x {channels_last, count_include_pad = true, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x9x9x8xf32>) -> tensor<1x5x5x8xf32>
  return %a, %b : tensor<1x5x5x8xf32>, tensor<1x5x5x8xf32>
}

// -----

// A symbolic batch is the kernel's n argument.
// CHECK-LABEL: func.func @batch
// CHECK: gcomp.max_pool %{{.*}} {channels_last, {{.*}}runtime_kernel{{.*}}} : (tensor<?x9x9x8xf32>) -> tensor<?x4x4x8xf32>
func.func @batch(%z: tensor<?x9x9x8xf32>) -> tensor<?x4x4x8xf32> {
  %c = gcomp.max_pool %z {channels_last, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<?x9x9x8xf32>) -> tensor<?x4x4x8xf32>
  return %c : tensor<?x4x4x8xf32>
}

// -----

// What the runtime kernel cannot do stays for linalg: channels-first, one
// or three spatial dims, symbolic image sizes, f16.
// CHECK-LABEL: func.func @not_pools
// CHECK-NOT: runtime_kernel
func.func @not_pools(%x: tensor<1x8x9x9xf32>, %y: tensor<1x9x8xf32>, %z: tensor<1x?x9x8xf32>, %h: tensor<1x9x9x8xf16>) -> (tensor<1x8x4x4xf32>, tensor<1x4x8xf32>, tensor<1x?x4x8xf32>, tensor<1x4x4x8xf16>) {
  %a = gcomp.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x8x9x9xf32>) -> tensor<1x8x4x4xf32>
  %b = gcomp.max_pool %y {channels_last, kernel = array<i64: 2>, strides = array<i64: 2>, dilations = array<i64: 1>, pads = array<i64: 0, 0>} : (tensor<1x9x8xf32>) -> tensor<1x4x8xf32>
  %c = gcomp.max_pool %z {channels_last, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x?x9x8xf32>) -> tensor<1x?x4x8xf32>
  %d = gcomp.max_pool %h {channels_last, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x9x9x8xf16>) -> tensor<1x4x4x8xf16>
  return %a, %b, %c, %d : tensor<1x8x4x4xf32>, tensor<1x4x8xf32>, tensor<1x?x4x8xf32>, tensor<1x4x4x8xf16>
}

// -----

// A mean or max over the spatial dims of a 4-D tensor is a global pool,
// reshaped when the reduction drops the dims.
// CHECK-LABEL: func.func @global
// CHECK: %[[A:.*]] = gcomp.average_pool %arg0 {channels_last, {{.*}}kernel = array<i64: 7, 5>, pads = array<i64: 0, 0, 0, 0>, runtime_kernel, strides = array<i64: 1, 1>} : (tensor<2x7x5x16xf32>) -> tensor<2x1x1x16xf32>
// CHECK: %[[M:.*]] = gcomp.max_pool %arg0 {channels_last, {{.*}}kernel = array<i64: 7, 5>, {{.*}}runtime_kernel{{.*}}} : (tensor<2x7x5x16xf32>) -> tensor<2x1x1x16xf32>
// CHECK: %[[R:.*]] = gcomp.reshape %[[M]] : tensor<2x1x1x16xf32> -> tensor<2x16xf32>
// CHECK: return %[[A]], %[[R]]
func.func @global(%x: tensor<2x7x5x16xf32>) -> (tensor<2x1x1x16xf32>, tensor<2x16xf32>) {
  %a = gcomp.reduce_mean %x {axes = array<i64: 1, 2>} : (tensor<2x7x5x16xf32>) -> tensor<2x1x1x16xf32>
  %m = gcomp.reduce_max %x {axes = array<i64: 1, 2>, keepdims = false} : (tensor<2x7x5x16xf32>) -> tensor<2x16xf32>
  return %a, %m : tensor<2x1x1x16xf32>, tensor<2x16xf32>
}

// -----

// Other reductions stay: over other axes, or of another rank.
// CHECK-LABEL: func.func @not_global
// CHECK-NOT: _pool
func.func @not_global(%x: tensor<2x7x5x16xf32>, %y: tensor<7x5x16xf32>) -> (tensor<2x7x1x1xf32>, tensor<7x1x1xf32>) {
  %a = gcomp.reduce_mean %x {axes = array<i64: 2, 3>} : (tensor<2x7x5x16xf32>) -> tensor<2x7x1x1xf32>
  %b = gcomp.reduce_mean %y {axes = array<i64: 1, 2>} : (tensor<7x5x16xf32>) -> tensor<7x1x1xf32>
  return %a, %b : tensor<2x7x1x1xf32>, tensor<7x1x1xf32>
}
