// RUN: gcomp-opt %s -gcomp-fuse-conv=min-channels=4 | FileCheck %s

// Two input channels are fewer than min-channels: the conv stays.
// CHECK-LABEL: func.func @few_channels
// CHECK: gcomp.conv
// CHECK-NOT: gcomp.fused_conv
func.func @few_channels(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  return %c : tensor<1x4x4x2xf32>
}
