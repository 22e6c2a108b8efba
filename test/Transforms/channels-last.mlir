// RUN: gcomp-opt %s -split-input-file -gcomp-channels-last | FileCheck %s

// A conv -> relu -> conv chain converts its input once and its result once;
// the weights are permuted to [KH, KW, C, M] at compile time and the relu
// runs on the channels-last value.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>)
// CHECK-NOT: tensor<4x3x3x3xf32>
// CHECK-NOT: tensor<2x4x1x1xf32>
// CHECK-DAG: %[[W1:.*]] = gcomp.constant dense<{{.*}}> : tensor<3x3x3x4xf32>
// CHECK-DAG: %[[XL:.*]] = gcomp.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x8x8x3xf32>
// CHECK: %[[C1:.*]] = gcomp.conv %[[XL]], %[[W1]] {channels_last, {{.*}}} : (tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[R:.*]] = gcomp.relu %[[C1]] : tensor<1x8x8x4xf32>
// CHECK: %[[W2:.*]] = gcomp.constant dense<{{.*}}> : tensor<1x1x4x2xf32>
// CHECK: %[[C2:.*]] = gcomp.conv %[[R]], %[[W2]] {channels_last, {{.*}}} : (tensor<1x8x8x4xf32>, tensor<1x1x4x2xf32>) -> tensor<1x8x8x2xf32>
// CHECK: %[[Y:.*]] = gcomp.transpose %[[C2]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x8x8x2xf32>) -> tensor<1x2x8x8xf32>
// CHECK-NOT: gcomp.transpose
// CHECK: return %[[Y]]
func.func @chain(%x: tensor<1x3x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %w1 = gcomp.constant dense<0.5> : tensor<4x3x3x3xf32>
  %w2 = gcomp.constant dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]]], [[[5.0]], [[6.0]], [[7.0]], [[8.0]]]]> : tensor<2x4x1x1xf32>
  %c1 = gcomp.conv %x, %w1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %r = gcomp.relu %c1 : tensor<1x4x8x8xf32>
  %c2 = gcomp.conv %r, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x8x8xf32>
  return %c2 : tensor<1x2x8x8xf32>
}

// -----

// The 1x1 weight [[1..4], [5..8]] becomes [C, M] = [[1, 5], [2, 6], ...]:
// the permutation moves the data, not only the shape.
// CHECK-LABEL: func.func @weight_data
// CHECK: gcomp.constant dense<{{\[\[\[\[}}1.000000e+00, 5.000000e+00], [2.000000e+00, 6.000000e+00], [3.000000e+00, 7.000000e+00], [4.000000e+00, 8.000000e+00]]]]> : tensor<1x1x4x2xf32>
func.func @weight_data(%x: tensor<1x4x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = gcomp.constant dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]]], [[[5.0]], [[6.0]], [[7.0]], [[8.0]]]]> : tensor<2x4x1x1xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %c : tensor<1x2x2x2xf32>
}

// -----

// A residual add of two channels-last values and a per-channel constant
// ([C, 1, 1], right-aligned to [1, C, 1, 1]) stay channels-last; global
// average pooling reduces the spatial dims, now 1 and 2, and its [N, 1, 1, C]
// result goes back to NCHW as a reshape, since only size-1 dims move.
// CHECK-LABEL: func.func @residual_and_pool
// CHECK: %[[C:.*]] = gcomp.conv {{.*}}channels_last
// CHECK: %[[A:.*]] = gcomp.add %[[C]], %[[XL:.*]] : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[S:.*]] = gcomp.mul %[[A]], %{{.*}} : (tensor<1x4x4x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[M:.*]] = gcomp.reduce_mean %[[S]] {axes = array<i64: 1, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK: %[[Y:.*]] = gcomp.reshape %[[M]] : tensor<1x1x1x4xf32> -> tensor<1x4x1x1xf32>
// CHECK-NOT: gcomp.transpose %[[S]]
// CHECK: return %[[Y]]
func.func @residual_and_pool(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32> {
  %w = gcomp.constant dense<0.25> : tensor<4x4x1x1xf32>
  %scale = gcomp.constant dense<[[[1.0]], [[2.0]], [[3.0]], [[4.0]]]> : tensor<4x1x1xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %a = gcomp.add %c, %x : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %s = gcomp.mul %a, %scale : (tensor<1x4x4x4xf32>, tensor<4x1x1xf32>) -> tensor<1x4x4x4xf32>
  %m = gcomp.reduce_mean %s {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32>
  return %m : tensor<1x4x1x1xf32>
}

// -----

// A depthwise conv and a max pool after it: both channels-last.
// CHECK-LABEL: func.func @depthwise_pool
// CHECK: gcomp.conv {{.*}}channels_last{{.*}} : (tensor<1x6x6x8xf32>, tensor<3x3x1x8xf32>) -> tensor<1x6x6x8xf32>
// CHECK: gcomp.max_pool {{.*}}channels_last{{.*}} : (tensor<1x6x6x8xf32>) -> tensor<1x3x3x8xf32>
func.func @depthwise_pool(%x: tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> {
  %w = gcomp.constant dense<1.0> : tensor<8x1x3x3xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 8 : i64} : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  %p = gcomp.max_pool %c {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32>
  return %p : tensor<1x8x3x3xf32>
}

// -----

// Left alone: a grouped conv that is not depthwise, an f16 conv, and a pool
// whose input is not channels-last (converting it would only add
// transposes).
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: channels_last
// CHECK-NOT: gcomp.transpose
// CHECK: return
func.func @untouched(%x: tensor<1x4x6x6xf32>, %h: tensor<1x4x6x6xf16>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf16>, tensor<1x4x3x3xf32>) {
  %w = gcomp.constant dense<1.0> : tensor<4x2x1x1xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64} : (tensor<1x4x6x6xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x6x6xf32>
  %wh = gcomp.constant dense<1.0> : tensor<4x4x1x1xf16>
  %ch = gcomp.conv %h, %wh {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x6x6xf16>, tensor<4x4x1x1xf16>) -> tensor<1x4x6x6xf16>
  %p = gcomp.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32>
  return %c, %ch, %p : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf16>, tensor<1x4x3x3xf32>
}

// -----

// Integer convolutions (quantized models) with one group go channels-last
// too, for gcomp-integer-conv-kernels; a grouped one stays NCHW (the
// runtime has no integer depthwise kernel).
// CHECK-LABEL: func.func @integer_conv
// CHECK: gcomp.conv %{{.*}}, %{{.*}} {channels_last, {{.*}}} : (tensor<1x5x5x4xi32>, tensor<3x3x4x2xi32>) -> tensor<1x5x5x2xi32>
// CHECK: gcomp.conv %{{.*}}, %{{.*}} {dilations {{.*}}, group = 4 : i64, {{.*}}} : (tensor<1x4x5x5xi32>, tensor<4x1x3x3xi32>) -> tensor<1x4x5x5xi32>
func.func @integer_conv(%x: tensor<1x4x5x5xi32>) -> (tensor<1x2x5x5xi32>, tensor<1x4x5x5xi32>) {
  %w = gcomp.constant dense<1> : tensor<2x4x3x3xi32>
  %y = gcomp.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x5x5xi32>, tensor<2x4x3x3xi32>) -> tensor<1x2x5x5xi32>
  %g = gcomp.constant dense<1> : tensor<4x1x3x3xi32>
  %z = gcomp.conv %x, %g {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x5x5xi32>, tensor<4x1x3x3xi32>) -> tensor<1x4x5x5xi32>
  return %y, %z : tensor<1x2x5x5xi32>, tensor<1x4x5x5xi32>
}
