// RUN: gcomp-opt %s -split-input-file -gcomp-integer-conv-kernels | FileCheck %s

// A 1x1 channels-last integer conv with nothing after it: the int32 sums
// as they are. Stride 1 and no padding read the input as the product's
// matrix, so k stays C = 8: 8 rows of one 32-column block (256 bytes).
// CHECK-LABEL: func.func @int32_sums
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x8xi8>)
// CHECK-DAG: %[[P:.*]] = gcomp.constant dense<{{.*}}> : tensor<256xi8>
// CHECK-DAG: %[[S:.*]] = gcomp.constant dense<[16, -8, 0, {{.*}}]> : tensor<32xi32>
// CHECK-DAG: %[[Z:.*]] = gcomp.constant dense<128> : tensor<i32>
// CHECK: %[[Y:.*]] = gcomp.qconv %[[X]], %[[Z]], %[[P]], %[[S]] {dilations = array<i64: 1, 1>, k_packed = 8 : i64, kernel = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xi8>, tensor<i32>, tensor<256xi8>, tensor<32xi32>) -> tensor<1x4x4x3xi32>
// CHECK-NOT: gcomp.conv
// CHECK: return %[[Y]]
func.func @int32_sums(%x: tensor<1x4x4x8xi8>) -> tensor<1x4x4x3xi32> {
  %zp = gcomp.constant dense<128> : tensor<i32>
  %w = gcomp.constant dense<[[[[2, -1, 0], [2, -1, 0], [2, -1, 0], [2, -1, 0], [2, -1, 0], [2, -1, 0], [2, -1, 0], [2, -1, 0]]]]> : tensor<1x1x8x3xi32>
  %xw = gcomp.cast %x {unsigned_input} : tensor<1x4x4x8xi8> -> tensor<1x4x4x8xi32>
  %xc = gcomp.sub %xw, %zp : (tensor<1x4x4x8xi32>, tensor<i32>) -> tensor<1x4x4x8xi32>
  %y = gcomp.conv %xc, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xi32>, tensor<1x1x8x3xi32>) -> tensor<1x4x4x3xi32>
  return %y : tensor<1x4x4x3xi32>
}

// -----

// The whole QDQ layer: dequantize (a scale per channel, a bias), ReLU and
// the next QuantizeLinear into uint8, in the kernel's epilogue. A 3x3
// window over 4 channels is k = 36, which stays (padding to 64 for AMX
// would add more than a third): 9 steps of 128 bytes.
// CHECK-LABEL: func.func @requantized
// CHECK-DAG: %[[SC:.*]] = gcomp.constant dense<[2.500000e-01, 5.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[B:.*]] = gcomp.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = gcomp.qconv %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SC]], %[[B]] {dilations = array<i64: 1, 1>, k_packed = 36 : i64, kernel = array<i64: 3, 3>, out_scale = 5.000000e-02 : f32, out_zero_point = 3.000000e+00 : f32, pads = array<i64: 1, 1, 1, 1>, relu, strides = array<i64: 2, 2>} : (tensor<1x6x6x4xi8>, tensor<i32>, tensor<1152xi8>, tensor<32xi32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xi8>
// CHECK-NOT: gcomp.conv
// CHECK-NOT: gcomp.round
// CHECK: return %[[Y]]
func.func @requantized(%x: tensor<1x6x6x4xi8>) -> tensor<1x3x3x2xi8> {
  %zp = gcomp.constant dense<128> : tensor<i32>
  %w = gcomp.constant dense<1> : tensor<3x3x4x2xi32>
  %xw = gcomp.cast %x {unsigned_input} : tensor<1x6x6x4xi8> -> tensor<1x6x6x4xi32>
  %xc = gcomp.sub %xw, %zp : (tensor<1x6x6x4xi32>, tensor<i32>) -> tensor<1x6x6x4xi32>
  %acc = gcomp.conv %xc, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x6x6x4xi32>, tensor<3x3x4x2xi32>) -> tensor<1x3x3x2xi32>
  %f = gcomp.cast %acc : tensor<1x3x3x2xi32> -> tensor<1x3x3x2xf32>
  %s = gcomp.constant dense<[[[[0.25, 0.5]]]]> : tensor<1x1x1x2xf32>
  %m = gcomp.mul %f, %s : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  %b = gcomp.constant dense<[[[[1.0, -1.0]]]]> : tensor<1x1x1x2xf32>
  %a = gcomp.add %m, %b : (tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x3x3x2xf32>
  %r = gcomp.relu %a : tensor<1x3x3x2xf32>
  %sy = gcomp.constant dense<0.05> : tensor<f32>
  %d = gcomp.div %r, %sy : (tensor<1x3x3x2xf32>, tensor<f32>) -> tensor<1x3x3x2xf32>
  %q = gcomp.round %d : tensor<1x3x3x2xf32>
  %zy = gcomp.constant dense<3.0> : tensor<f32>
  %qz = gcomp.add %q, %zy : (tensor<1x3x3x2xf32>, tensor<f32>) -> tensor<1x3x3x2xf32>
  %lo = gcomp.constant dense<0.0> : tensor<f32>
  %hi = gcomp.constant dense<255.0> : tensor<f32>
  %c0 = gcomp.max %qz, %lo : (tensor<1x3x3x2xf32>, tensor<f32>) -> tensor<1x3x3x2xf32>
  %c1 = gcomp.min %c0, %hi : (tensor<1x3x3x2xf32>, tensor<f32>) -> tensor<1x3x3x2xf32>
  %i = gcomp.cast %c1 : tensor<1x3x3x2xf32> -> tensor<1x3x3x2xi32>
  %y = gcomp.cast %i : tensor<1x3x3x2xi32> -> tensor<1x3x3x2xi8>
  return %y : tensor<1x3x3x2xi8>
}

// -----

// int8 output ([-128, 127]) with a scalar scale and no zero point; the
// input is a transposed (channels-first) int8 tensor without a zero point,
// so the kernel reads the transposed bytes (input_signed, zero 0). A 7x7
// window over 3 channels is k = 147, padded to 192 for AMX.
// CHECK-LABEL: func.func @signed_transposed
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xi8>)
// CHECK-DAG: %[[T:.*]] = gcomp.transpose %[[X]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x8xi8>) -> tensor<1x8x8x3xi8>
// CHECK-DAG: %[[Z:.*]] = gcomp.constant dense<0> : tensor<i32>
// CHECK-DAG: %[[SC:.*]] = gcomp.constant dense<2.500000e-01> : tensor<4xf32>
// CHECK: gcomp.qconv %[[T]], %[[Z]], %{{.*}}, %{{.*}}, %[[SC]] {dilations = array<i64: 1, 1>, input_signed, k_packed = 192 : i64, kernel = array<i64: 7, 7>, out_scale = 1.000000e-01 : f32, out_zero_point = 0.000000e+00 : f32, pads = array<i64: 3, 3, 3, 3>, result_signed, strides = array<i64: 2, 2>} : (tensor<1x8x8x3xi8>, tensor<i32>, tensor<6144xi8>, tensor<32xi32>, tensor<4xf32>) -> tensor<1x4x4x4xi8>
func.func @signed_transposed(%x: tensor<1x3x8x8xi8>) -> tensor<1x4x4x4xi8> {
  %xw = gcomp.cast %x : tensor<1x3x8x8xi8> -> tensor<1x3x8x8xi32>
  %xt = gcomp.transpose %xw {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x8xi32>) -> tensor<1x8x8x3xi32>
  %w = gcomp.constant dense<-3> : tensor<7x7x3x4xi32>
  %acc = gcomp.conv %xt, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x8x8x3xi32>, tensor<7x7x3x4xi32>) -> tensor<1x4x4x4xi32>
  %f = gcomp.cast %acc : tensor<1x4x4x4xi32> -> tensor<1x4x4x4xf32>
  %s = gcomp.constant dense<0.25> : tensor<1x1x1x1xf32>
  %m = gcomp.mul %f, %s : (tensor<1x4x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x4xf32>
  %sy = gcomp.constant dense<0.1> : tensor<1x1x1x1xf32>
  %d = gcomp.div %m, %sy : (tensor<1x4x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x4xf32>
  %q = gcomp.round %d : tensor<1x4x4x4xf32>
  %lo = gcomp.constant dense<-128.0> : tensor<f32>
  %hi = gcomp.constant dense<127.0> : tensor<f32>
  %c0 = gcomp.max %q, %lo : (tensor<1x4x4x4xf32>, tensor<f32>) -> tensor<1x4x4x4xf32>
  %c1 = gcomp.min %c0, %hi : (tensor<1x4x4x4xf32>, tensor<f32>) -> tensor<1x4x4x4xf32>
  %i = gcomp.cast %c1 : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xi32>
  %y = gcomp.cast %i : tensor<1x4x4x4xi32> -> tensor<1x4x4x4xi8>
  return %y : tensor<1x4x4x4xi8>
}

// -----

// The epilogue stops where a step has another user: the dequantized value
// feeds the requantization and a residual add, so the kernel's result is
// the f32 value and the QuantizeLinear stays outside.
// CHECK-LABEL: func.func @shared_dequantized
// CHECK: %[[Y:.*]] = gcomp.qconv {{.*}} -> tensor<1x4x4x2xf32>
// CHECK: gcomp.div %[[Y]]
// CHECK: gcomp.add %[[Y]]
func.func @shared_dequantized(%x: tensor<1x4x4x8xi8>, %res: tensor<1x4x4x2xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x2xi8>) {
  %w = gcomp.constant dense<1> : tensor<1x1x8x2xi32>
  %xw = gcomp.cast %x {unsigned_input} : tensor<1x4x4x8xi8> -> tensor<1x4x4x8xi32>
  %acc = gcomp.conv %xw, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xi32>, tensor<1x1x8x2xi32>) -> tensor<1x4x4x2xi32>
  %f = gcomp.cast %acc : tensor<1x4x4x2xi32> -> tensor<1x4x4x2xf32>
  %s = gcomp.constant dense<0.25> : tensor<f32>
  %m = gcomp.mul %f, %s : (tensor<1x4x4x2xf32>, tensor<f32>) -> tensor<1x4x4x2xf32>
  %sy = gcomp.constant dense<0.1> : tensor<f32>
  %d = gcomp.div %m, %sy : (tensor<1x4x4x2xf32>, tensor<f32>) -> tensor<1x4x4x2xf32>
  %q = gcomp.round %d : tensor<1x4x4x2xf32>
  %lo = gcomp.constant dense<0.0> : tensor<f32>
  %hi = gcomp.constant dense<255.0> : tensor<f32>
  %c0 = gcomp.max %q, %lo : (tensor<1x4x4x2xf32>, tensor<f32>) -> tensor<1x4x4x2xf32>
  %c1 = gcomp.min %c0, %hi : (tensor<1x4x4x2xf32>, tensor<f32>) -> tensor<1x4x4x2xf32>
  %i = gcomp.cast %c1 : tensor<1x4x4x2xf32> -> tensor<1x4x4x2xi32>
  %y = gcomp.cast %i : tensor<1x4x4x2xi32> -> tensor<1x4x4x2xi8>
  %r = gcomp.add %m, %res : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %r, %y : tensor<1x4x4x2xf32>, tensor<1x4x4x2xi8>
}

// -----

// Left as they are: weights outside int8, a conv still channels-first,
// and activations with a zero point per channel.
// CHECK-LABEL: func.func @not_taken
// CHECK-NOT: gcomp.qconv
// CHECK-COUNT-3: gcomp.conv
// CHECK-NOT: gcomp.qconv
func.func @not_taken(%x: tensor<1x4x4x8xi8>, %y: tensor<1x8x4x4xi8>) -> (tensor<1x4x4x2xi32>, tensor<1x2x4x4xi32>, tensor<1x4x4x2xi32>) {
  %big = gcomp.constant dense<200> : tensor<1x1x8x2xi32>
  %w = gcomp.constant dense<1> : tensor<1x1x8x2xi32>
  %wf = gcomp.constant dense<1> : tensor<2x8x1x1xi32>
  %xw = gcomp.cast %x {unsigned_input} : tensor<1x4x4x8xi8> -> tensor<1x4x4x8xi32>
  %a = gcomp.conv %xw, %big {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xi32>, tensor<1x1x8x2xi32>) -> tensor<1x4x4x2xi32>
  %yw = gcomp.cast %y {unsigned_input} : tensor<1x8x4x4xi8> -> tensor<1x8x4x4xi32>
  %b = gcomp.conv %yw, %wf {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x8x4x4xi32>, tensor<2x8x1x1xi32>) -> tensor<1x2x4x4xi32>
  %zc = gcomp.constant dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi32>
  %xc = gcomp.sub %xw, %zc : (tensor<1x4x4x8xi32>, tensor<8xi32>) -> tensor<1x4x4x8xi32>
  %c = gcomp.conv %xc, %w {channels_last, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xi32>, tensor<1x1x8x2xi32>) -> tensor<1x4x4x2xi32>
  return %a, %b, %c : tensor<1x4x4x2xi32>, tensor<1x2x4x4xi32>, tensor<1x4x4x2xi32>
}
