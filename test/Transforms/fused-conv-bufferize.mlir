// RUN: gcomp-opt %s -split-input-file -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" -cse | FileCheck %s

// gcomp.fused_conv bufferizes into the runtime's conv kernel, writing into
// its destination: here the residual, in place. flags = 3: accumulate and
// relu.
// CHECK-LABEL: func.func private @__gcomp_conv2d_nhwc(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[X:.*]]: memref<1x5x5x2xf32>, %[[R:.*]]: memref<1x5x5x20xf32>, %[[B:.*]]: memref<20xf32>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[C20:.*]] = arith.constant 20 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[PX:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK-DAG: %[[PB:.*]] = memref.extract_aligned_pointer_as_index %[[B]]
// CHECK-DAG: %[[PR:.*]] = memref.extract_aligned_pointer_as_index %[[R]]
// CHECK: call @__gcomp_conv2d_nhwc(%[[C1]], %[[C5]], %[[C5]], %[[C2]], %[[C3]], %[[C3]], %[[C1]], %[[C1]], %[[C1]], %[[C1]], %[[C1]], %[[C1]], %[[C5]], %[[C5]], %[[C20]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[C3]], %[[C0]])
// CHECK-NOT: memref.copy
// CHECK: return %[[R]]
func.func @residual(%x: tensor<1x5x5x2xf32>, %r: tensor<1x5x5x20xf32>, %b: tensor<20xf32>) -> tensor<1x5x5x20xf32> {
  %w = arith.constant dense<1.0> : tensor<576xf32>
  %y = gcomp.fused_conv %x, %w, %r, %b {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, accumulate, relu} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>, tensor<20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

// Without a bias the kernel gets a null pointer; a fresh destination is a
// new buffer; flags = 0.
// CHECK-LABEL: func.func @plain
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() {{.*}}: memref<1x5x5x20xf32>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK: call @__gcomp_conv2d_nhwc({{.*}}, %[[C0]], %{{.*}}, %[[C0]], %[[C0]])
// CHECK: return %[[OUT]]
func.func @plain(%x: tensor<1x5x5x2xf32>) -> tensor<1x5x5x20xf32> {
  %w = arith.constant dense<1.0> : tensor<576xf32>
  %e = tensor.empty() : tensor<1x5x5x20xf32>
  %y = gcomp.fused_conv %x, %w, %e {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

// The residual is still needed after the conv: bufferization copies it and
// the conv accumulates into the copy.
// CHECK-LABEL: func.func @residual_kept
// CHECK: %[[COPY:.*]] = memref.alloc
// CHECK: memref.copy %{{.*}}, %[[COPY]]
// CHECK: call @__gcomp_conv2d_nhwc
// CHECK: return %[[COPY]], %{{.*}}
func.func @residual_kept(%x: tensor<1x5x5x2xf32>, %r: tensor<1x5x5x20xf32>) -> (tensor<1x5x5x20xf32>, tensor<1x5x5x20xf32>) {
  %w = arith.constant dense<1.0> : tensor<576xf32>
  %y = gcomp.fused_conv %x, %w, %r {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, accumulate} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y, %r : tensor<1x5x5x20xf32>, tensor<1x5x5x20xf32>
}

// -----

// A clamp sets flag 4 and packs the bounds' f32 bits: 6.0 is 0x40C00000,
// -1.0 is 0xBF800000, so the i64 is 0x40C00000BF800000.
// CHECK-LABEL: func.func @clamp
// CHECK-DAG: %[[F4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[BITS:.*]] = arith.constant 4665729217168670720 : i64
// CHECK: call @__gcomp_conv2d_nhwc({{.*}}, %[[F4]], %[[BITS]])
func.func @clamp(%x: tensor<1x5x5x2xf32>) -> tensor<1x5x5x20xf32> {
  %w = arith.constant dense<1.0> : tensor<576xf32>
  %e = tensor.empty() : tensor<1x5x5x20xf32>
  %y = gcomp.fused_conv %x, %w, %e {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, clamp = array<f32: -1.0, 6.0>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

// SiLU sets flag 32 (GCOMP_CONV_SILU).
// CHECK-LABEL: func.func @silu
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK: call @__gcomp_conv2d_nhwc({{.*}}, %[[C32]], %[[C0]])
func.func @silu(%x: tensor<1x5x5x2xf32>) -> tensor<1x5x5x20xf32> {
  %w = arith.constant dense<1.0> : tensor<576xf32>
  %e = tensor.empty() : tensor<1x5x5x20xf32>
  %y = gcomp.fused_conv %x, %w, %e {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, silu} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

// A depthwise fused conv calls the runtime's depthwise kernel with the same
// arguments (m = c): bias, ReLU (flag 2).
// CHECK-LABEL: func.func @depthwise
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK: call @__gcomp_dwconv2d_nhwc_fused({{.*}}, %[[C2]], %[[C0]])
// CHECK-NOT: __gcomp_conv2d_nhwc
// CHECK: return
func.func @depthwise(%x: tensor<1x5x5x8xf32>, %b: tensor<8xf32>) -> tensor<1x5x5x8xf32> {
  %w = arith.constant dense<1.0> : tensor<72xf32>
  %e = tensor.empty() : tensor<1x5x5x8xf32>
  %y = gcomp.fused_conv %x, %w, %e, %b {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, depthwise, relu} : (tensor<1x5x5x8xf32>, tensor<72xf32>, tensor<1x5x5x8xf32>, tensor<8xf32>) -> tensor<1x5x5x8xf32>
  return %y : tensor<1x5x5x8xf32>
}

// -----

// A destination that is a strided slice of a bigger buffer (a recurrent
// layer's step writes its product into row t of all steps' outputs): the
// kernel writes a dense buffer, filled from the slice first because it
// accumulates, and copied into the slice after the call.
// CHECK-LABEL: func.func @strided_destination
// CHECK: %[[SLICE:.*]] = memref.subview %{{.*}}[0, 0, 0, 4] [1, 1, 3, 4] [1, 1, 1, 1] : memref<1x1x3x8xf32> to memref<1x1x3x4xf32, strided<[24, 24, 8, 1], offset: 4>>
// CHECK: %[[DENSE:.*]] = memref.alloc() : memref<1x1x3x4xf32>
// CHECK: memref.copy %[[SLICE]], %[[DENSE]]
// CHECK: %[[PD:.*]] = memref.extract_aligned_pointer_as_index %[[DENSE]]
// CHECK: call @__gcomp_conv2d_nhwc
// CHECK: memref.copy %[[DENSE]], %[[SLICE]]
func.func @strided_destination(%x: tensor<1x1x3x2xf32>, %all: tensor<1x1x3x8xf32>) -> tensor<1x1x3x8xf32> {
  %w = arith.constant dense<1.0> : tensor<32xf32>
  %slot = tensor.extract_slice %all[0, 0, 0, 4] [1, 1, 3, 4] [1, 1, 1, 1] : tensor<1x1x3x8xf32> to tensor<1x1x3x4xf32>
  %y = gcomp.fused_conv %x, %w, %slot {kernel = array<i64: 1, 1>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, accumulate} : (tensor<1x1x3x2xf32>, tensor<32xf32>, tensor<1x1x3x4xf32>) -> tensor<1x1x3x4xf32>
  %r = tensor.insert_slice %y into %all[0, 0, 0, 4] [1, 1, 3, 4] [1, 1, 1, 1] : tensor<1x1x3x4xf32> into tensor<1x1x3x8xf32>
  return %r : tensor<1x1x3x8xf32>
}
