// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -convert-gcomp-to-linalg | FileCheck %s

// A channels-last 3x3 conv: im2col gathers [N, OH, OW, KH, KW, C] (the
// channels innermost, so each window row is a contiguous copy), then one
// [positions, KH*KW*C] x [KH*KW*C, M] contraction whose initial value is
// the bias broadcast over the positions.
// CHECK-DAG: #[[$COLIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @conv3x3
// CHECK: tensor.pad
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[$COLIN]], {{.*}}]{{.*}} outs(%{{.*}} : tensor<1x4x4x3x3x4xf32>)
// CHECK: %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{.*}} into tensor<16x36xf32>
// CHECK: %[[W:.*]] = tensor.collapse_shape %{{.*}} into tensor<36x8xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<16x8xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[COL2]], %[[W]] :
// CHECK-SAME: outs(%[[INIT]] :
// CHECK: tensor.expand_shape %{{.*}} into tensor<1x4x4x8xf32>
func.func @conv3x3(%x: tensor<1x8x8x4xf32>, %w: tensor<3x3x4x8xf32>, %b: tensor<8xf32>) -> tensor<1x4x4x8xf32> {
  %0 = gcomp.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, channels_last} : (tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32>
  return %0 : tensor<1x4x4x8xf32>
}

// -----

// 1x1 at stride 1: the input rows already are the matrix; no im2col.
// CHECK-LABEL: func.func @conv1x1
// CHECK-NOT: tensor.pad
// CHECK: tensor.collapse_shape %{{.*}} into tensor<128x16xf32>
// CHECK: linalg.fill
// CHECK: iterator_types = ["parallel", "parallel", "reduction"]
func.func @conv1x1(%x: tensor<2x8x8x16xf32>, %w: tensor<1x1x16x32xf32>) -> tensor<2x8x8x32xf32> {
  %0 = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<2x8x8x16xf32>, tensor<1x1x16x32xf32>) -> tensor<2x8x8x32xf32>
  return %0 : tensor<2x8x8x32xf32>
}

// -----

// Depthwise: loops n, oh, ow | kh, kw | c with the channels innermost, so
// input, weight and output are all read along contiguous memory.
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3 * 2, d2 + d4 * 2, d5)>
// CHECK-DAG: #[[$WD:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d3, d4, 0, d5)>
// CHECK-LABEL: func.func @depthwise
// CHECK: linalg.generic {indexing_maps = [#[[$IN]], #[[$WD]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
func.func @depthwise(%x: tensor<1x6x6x8xf32>, %w: tensor<3x3x1x8xf32>) -> tensor<1x6x6x8xf32> {
  %0 = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 2, 2>, pads = array<i64: 2, 2, 2, 2>, group = 8 : i64, channels_last} : (tensor<1x6x6x8xf32>, tensor<3x3x1x8xf32>) -> tensor<1x6x6x8xf32>
  return %0 : tensor<1x6x6x8xf32>
}

// -----

// Pooling channels-last: the window loops sit between the output positions
// and the channels.
// CHECK-DAG: #[[$PIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 * 2 + d3, d2 * 2 + d4, d5)>
// CHECK-LABEL: func.func @max_pool
// CHECK: linalg.generic {indexing_maps = [#[[$PIN]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
// CHECK: arith.maximumf
func.func @max_pool(%x: tensor<1x6x6x8xf32>) -> tensor<1x3x3x8xf32> {
  %0 = gcomp.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, channels_last} : (tensor<1x6x6x8xf32>) -> tensor<1x3x3x8xf32>
  return %0 : tensor<1x3x3x8xf32>
}

// -----

// gcomp-channels-last never makes a grouped channels-last conv that is not
// depthwise; the lowering says so instead of computing something else.
func.func @grouped(%x: tensor<1x6x6x8xf32>, %w: tensor<1x1x4x8xf32>) -> tensor<1x6x6x8xf32> {
  // expected-error @+1 {{failed to legalize operation 'gcomp.conv'}}
  %0 = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, channels_last} : (tensor<1x6x6x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x6x6x8xf32>
  return %0 : tensor<1x6x6x8xf32>
}
