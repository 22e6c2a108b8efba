// RUN: gcomp-opt %s -split-input-file -gcomp-fuse-conv | FileCheck %s

// conv + bias, a residual add (either operand order) and a relu become one
// gcomp.fused_conv that accumulates into the residual. The [1, 1, 2, 2]
// weight [[1, 2], [3, 4]] is packed: each of its K = 2 rows padded to one
// 16-wide panel.
// CHECK-LABEL: func.func @residual_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x2xf32>, %[[R:.*]]: tensor<1x4x4x2xf32>)
// CHECK: %[[B:.*]] = gcomp.constant dense<[5.000000e-01, -5.000000e-01]>
// CHECK: %[[W:.*]] = gcomp.constant dense_resource<conv_weight.packed> : tensor<32xf32>
// CHECK: %[[Y:.*]] = gcomp.fused_conv %[[X]], %[[W]], %[[R]], %[[B]] {accumulate, dilations = array<i64: 1, 1>, kernel = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, relu, strides = array<i64: 1, 1>}
// CHECK-NOT: gcomp.conv
// CHECK-NOT: gcomp.add
// CHECK-NOT: gcomp.relu
// CHECK: return %[[Y]]
// CHECK: conv_weight.packed: "0x{{........}}0000803F00000040000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004040000080400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
func.func @residual_relu(%x: tensor<1x4x4x2xf32>, %r: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %b = gcomp.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %c = gcomp.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %a = gcomp.add %r, %c : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %y = gcomp.relu %a : tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// A padded, strided conv with a relu and no bias writes a fresh tensor.
// CHECK-LABEL: func.func @strided_relu
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x3x3x2xf32>
// CHECK: gcomp.fused_conv %{{.*}}, %{{.*}}, %[[E]] {dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, relu, strides = array<i64: 2, 2>} : (tensor<1x5x5x2xf32>, tensor<288xf32>, tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
// CHECK-NOT: gcomp.relu
func.func @strided_relu(%x: tensor<1x5x5x2xf32>) -> tensor<1x3x3x2xf32> {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]], [[[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]]]> : tensor<3x3x2x2xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, channels_last} : (tensor<1x5x5x2xf32>, tensor<3x3x2x2xf32>) -> tensor<1x3x3x2xf32>
  %y = gcomp.relu %c : tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// The conv's value is used twice, so the add cannot absorb it: the conv is
// fused alone and the add and relu stay.
// CHECK-LABEL: func.func @shared_result
// CHECK: %[[C:.*]] = gcomp.fused_conv
// CHECK-NOT: accumulate
// CHECK-SAME: -> tensor<1x4x4x2xf32>
// CHECK: %[[A:.*]] = gcomp.add %{{.*}}, %[[C]]
// CHECK: gcomp.relu %[[A]]
func.func @shared_result(%x: tensor<1x4x4x2xf32>, %r: tensor<1x4x4x2xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %a = gcomp.add %r, %c : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %y = gcomp.relu %a : tensor<1x4x4x2xf32>
  return %y, %c : tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>
}

// -----

// An add that broadcasts is not a residual connection: the conv is fused
// alone, the add stays.
// CHECK-LABEL: func.func @broadcast_add
// CHECK: %[[C:.*]] = gcomp.fused_conv
// CHECK: gcomp.add %[[C]], %{{.*}} : (tensor<1x4x4x2xf32>, tensor<2xf32>)
func.func @broadcast_add(%x: tensor<1x4x4x2xf32>, %s: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %a = gcomp.add %c, %s : (tensor<1x4x4x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  return %a : tensor<1x4x4x2xf32>
}

// -----

// Not fused: an NCHW conv, a grouped conv that is not depthwise (two
// channels per group), a depthwise conv with two outputs per channel, a
// weight that is not a constant, and (with min-channels) a conv on too few
// channels.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: gcomp.fused_conv
// CHECK-COUNT-4: gcomp.conv
// CHECK-NOT: gcomp.fused_conv
func.func @not_fused(%x: tensor<1x2x4x4xf32>, %xl: tensor<1x4x4x2xf32>, %x4: tensor<1x4x4x4xf32>, %wv: tensor<1x1x2x2xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x2xf32>) {
  %w = gcomp.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %wg = gcomp.constant dense<1.0> : tensor<1x1x2x4xf32>
  %wm = gcomp.constant dense<1.0> : tensor<1x1x1x4xf32>
  %a = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %b = gcomp.conv %x4, %wg {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, channels_last} : (tensor<1x4x4x4xf32>, tensor<1x1x2x4xf32>) -> tensor<1x4x4x4xf32>
  %m = gcomp.conv %xl, %wm {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x1x4xf32>) -> tensor<1x4x4x4xf32>
  %c = gcomp.conv %xl, %wv {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  return %a, %b, %m, %c : tensor<1x2x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x2xf32>
}

// -----

// A product with a constant [K, N] weight is a 1x1 conv over its rows: the
// add of a constant [N] becomes the bias, then the residual add and relu
// are absorbed as for a conv. The [2, 3, 2] input is 6 rows of 2.
// CHECK-LABEL: func.func @matmul_bias_residual_relu
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x2xf32>, %[[R:.*]]: tensor<2x3x2xf32>)
// CHECK: %[[XR:.*]] = gcomp.reshape %[[X]] : tensor<2x3x2xf32> -> tensor<1x1x6x2xf32>
// CHECK: %[[W:.*]] = gcomp.constant dense_resource<conv_weight.packed> : tensor<32xf32>
// CHECK: %[[RR:.*]] = gcomp.reshape %[[R]] : tensor<2x3x2xf32> -> tensor<1x1x6x2xf32>
// CHECK: %[[B:.*]] = gcomp.reshape %{{.*}} : tensor<1x2xf32> -> tensor<2xf32>
// CHECK: %[[F:.*]] = gcomp.fused_conv %[[XR]], %[[W]], %[[RR]], %[[B]] {accumulate, dilations = array<i64: 1, 1>, kernel = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, relu, strides = array<i64: 1, 1>}
// CHECK: %[[Y:.*]] = gcomp.reshape %[[F]] : tensor<1x1x6x2xf32> -> tensor<2x3x2xf32>
// CHECK-NOT: gcomp.matmul
// CHECK-NOT: gcomp.add
// CHECK: return %[[Y]]
func.func @matmul_bias_residual_relu(%x: tensor<2x3x2xf32>, %r: tensor<2x3x2xf32>) -> tensor<2x3x2xf32> {
  %w = gcomp.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = gcomp.constant dense<[[0.5, -0.5]]> : tensor<1x2xf32>
  %m = gcomp.matmul %x, %w : (tensor<2x3x2xf32>, tensor<2x2xf32>) -> tensor<2x3x2xf32>
  %a = gcomp.add %b, %m : (tensor<1x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  %s = gcomp.add %a, %r : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  %y = gcomp.relu %s : tensor<2x3x2xf32>
  return %y : tensor<2x3x2xf32>
}

// -----

// Not fused: a product whose weight is not a constant. A bias that is not
// a constant is a residual only if it has the full type; here it
// broadcasts, so the product is fused alone and the add stays.
// CHECK-LABEL: func.func @matmul_not_fused
// CHECK: gcomp.matmul %{{.*}}, %{{.*}} : (tensor<4x2xf32>, tensor<2x2xf32>)
// CHECK: %[[F:.*]] = gcomp.fused_conv
// CHECK: %[[Y:.*]] = gcomp.reshape %[[F]]
// CHECK: gcomp.add %[[Y]], %{{.*}} : (tensor<4x2xf32>, tensor<2xf32>)
func.func @matmul_not_fused(%x: tensor<4x2xf32>, %wv: tensor<2x2xf32>, %b: tensor<2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = gcomp.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %m0 = gcomp.matmul %x, %wv : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %m1 = gcomp.matmul %x, %w : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %a = gcomp.add %m1, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %m0, %a : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// A Clip after the conv (max with a splat bound, then min with one, as the
// importer writes ONNX Clip) becomes the kernel's clamp.
// CHECK-LABEL: func.func @clip
// CHECK: %[[F:.*]] = gcomp.fused_conv {{.*}}clamp = array<f32: 0.000000e+00, 6.000000e+00>
// CHECK-NOT: gcomp.max
// CHECK-NOT: gcomp.min
// CHECK: return %[[F]]
func.func @clip(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %lo = gcomp.constant dense<0.0> : tensor<1x1x1x1xf32>
  %hi = gcomp.constant dense<6.0> : tensor<1x1x1x1xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %a = gcomp.max %c, %lo : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  %y = gcomp.min %a, %hi : (tensor<1x4x4x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// A max with a bound that is not a splat constant is not a clamp.
// CHECK-LABEL: func.func @not_clip
// CHECK: %[[F:.*]] = gcomp.fused_conv
// CHECK-NOT: clamp
// CHECK: gcomp.max %[[F]], %{{.*}}
func.func @not_clip(%x: tensor<1x4x4x2xf32>, %lo: tensor<1x1x1x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %a = gcomp.max %c, %lo : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  return %a : tensor<1x4x4x2xf32>
}

// -----

// Gemm with a constant weight (here [N, K], trans_b) and a constant C: alpha
// goes into the packed weight, beta * C is the bias ([1, 2] * 0.5), and the
// relu after it is absorbed.
// CHECK-LABEL: func.func @gemm_bias_relu
// CHECK-SAME: (%[[X:.*]]: tensor<4x3xf32>)
// CHECK: %[[XR:.*]] = gcomp.reshape %[[X]] : tensor<4x3xf32> -> tensor<1x1x4x3xf32>
// CHECK: %[[W:.*]] = gcomp.constant dense_resource<conv_weight.packed> : tensor<48xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x1x4x2xf32>
// CHECK: %[[B:.*]] = gcomp.constant dense<[5.000000e-01, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[F:.*]] = gcomp.fused_conv %[[XR]], %[[W]], %[[E]], %[[B]] {{{.*}}relu{{.*}}}
// CHECK: %[[Y:.*]] = gcomp.reshape %[[F]] : tensor<1x1x4x2xf32> -> tensor<4x2xf32>
// CHECK-NOT: gcomp.gemm
// CHECK-NOT: gcomp.relu
// CHECK: return %[[Y]]
func.func @gemm_bias_relu(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = gcomp.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %c = gcomp.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %g = gcomp.gemm %x, %w, %c {alpha = 2.0 : f32, beta = 0.5 : f32, trans_b = true} : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<1x2xf32>) -> tensor<4x2xf32>
  %y = gcomp.relu %g : tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Not fused: a transposed A, a weight that is not a constant, a C that is
// not a constant vector (a full [M, N] tensor).
// CHECK-LABEL: func.func @gemm_not_fused
// CHECK-COUNT-3: gcomp.gemm
// CHECK-NOT: gcomp.fused_conv
func.func @gemm_not_fused(%x: tensor<4x3xf32>, %xt: tensor<3x4xf32>, %wv: tensor<3x2xf32>, %cm: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = gcomp.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %a = gcomp.gemm %xt, %w {trans_a = true} : (tensor<3x4xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %b = gcomp.gemm %x, %wv : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %c = gcomp.gemm %x, %w, %cm : (tensor<4x3xf32>, tensor<3x2xf32>, tensor<4x2xf32>) -> tensor<4x2xf32>
  return %a, %b, %c : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// A channels-first input transposed only for the conv is read as it is:
// the fused op takes it with input_nchw and the transpose goes away.
// CHECK-LABEL: func.func @stem_nchw
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x8x8xf32>)
// CHECK-NOT: gcomp.transpose
// CHECK: gcomp.fused_conv %[[X]], %{{.*}}, %{{.*}} {{{.*}}input_nchw{{.*}}} : (tensor<1x3x8x8xf32>, tensor<432xf32>, tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
func.func @stem_nchw(%x: tensor<1x3x8x8xf32>) -> tensor<1x8x8x16xf32> {
  %w = gcomp.constant dense<0.5> : tensor<3x3x3x16xf32>
  %t = gcomp.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x8x8x3xf32>
  %c = gcomp.conv %t, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, channels_last} : (tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32>) -> tensor<1x8x8x16xf32>
  return %c : tensor<1x8x8x16xf32>
}

// -----

// The transposed input is also used elsewhere: the conv reads it.
// CHECK-LABEL: func.func @stem_shared_transpose
// CHECK: %[[T:.*]] = gcomp.transpose
// CHECK: gcomp.fused_conv %[[T]]
// CHECK-NOT: input_nchw
func.func @stem_shared_transpose(%x: tensor<1x3x8x8xf32>) -> (tensor<1x8x8x16xf32>, tensor<1x8x8x3xf32>) {
  %w = gcomp.constant dense<0.5> : tensor<3x3x3x16xf32>
  %t = gcomp.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x8x8x3xf32>
  %c = gcomp.conv %t, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, channels_last} : (tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32>) -> tensor<1x8x8x16xf32>
  return %c, %t : tensor<1x8x8x16xf32>, tensor<1x8x8x3xf32>
}

// -----

// A GELU after the bias is the kernel's activation.
// CHECK-LABEL: func.func @matmul_gelu
// CHECK: gcomp.fused_conv {{.*}}gelu
// CHECK-NOT: gcomp.gelu
func.func @matmul_gelu(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = gcomp.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = gcomp.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %m = gcomp.matmul %x, %w : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %a = gcomp.add %m, %b : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = gcomp.gelu %a : tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// The tanh approximation is not the kernel's GELU: it stays.
// CHECK-LABEL: func.func @matmul_gelu_tanh
// CHECK: gcomp.fused_conv
// CHECK-NOT: gelu,
// CHECK: gcomp.gelu %{{.*}} {tanh_approximation = true}
func.func @matmul_gelu_tanh(%x: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = gcomp.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %m = gcomp.matmul %x, %w : (tensor<4x2xf32>, tensor<2x2xf32>) -> tensor<4x2xf32>
  %y = gcomp.gelu %m {tanh_approximation = true} : tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// A SiLU after a channels-last conv with a bias (EfficientNet's expansion
// convs) is the kernel's activation; a SiLU that is not the bias's sole
// user stays a separate op.
// CHECK-LABEL: func.func @conv_silu
// CHECK: gcomp.fused_conv {{.*}}silu
// CHECK-NOT: gcomp.silu
func.func @conv_silu(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %b = gcomp.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %c = gcomp.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x4x4x2xf32>
  %y = gcomp.silu %c : tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// CHECK-LABEL: func.func @conv_silu_shared
// CHECK: %[[F:.*]] = gcomp.fused_conv
// CHECK: gcomp.silu %[[F]]
func.func @conv_silu_shared(%x: tensor<1x4x4x2xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) {
  %w = gcomp.constant dense<[[[[1.0, 2.0], [3.0, 4.0]]]]> : tensor<1x1x2x2xf32>
  %c = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) -> tensor<1x4x4x2xf32>
  %y = gcomp.silu %c : tensor<1x4x4x2xf32>
  return %y, %c : tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>
}

// -----

// A channels-last depthwise conv (a group per channel) is the runtime's
// depthwise kernel with the conv's epilogue: its [3, 3, 1, 2] weight
// flattened (not packed), its bias, and a Clip (MobileNet's ReLU6).
// CHECK-LABEL: func.func @depthwise_bias_relu6
// CHECK-SAME: (%[[X:.*]]: tensor<1x5x5x2xf32>)
// CHECK: %[[W:.*]] = gcomp.constant dense_resource<conv_weight.flat> : tensor<18xf32>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x3x3x2xf32>
// CHECK: gcomp.fused_conv %[[X]], %[[W]], %[[E]], %{{.*}} {clamp = array<f32: 0.000000e+00, 6.000000e+00>, depthwise, dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}
// CHECK-NOT: gcomp.max
// CHECK-NOT: gcomp.min
func.func @depthwise_bias_relu6(%x: tensor<1x5x5x2xf32>) -> tensor<1x3x3x2xf32> {
  %w = gcomp.constant dense<0.5> : tensor<3x3x1x2xf32>
  %b = gcomp.constant dense<[0.25, -0.25]> : tensor<2xf32>
  %lo = gcomp.constant dense<0.0> : tensor<1x1x1x1xf32>
  %hi = gcomp.constant dense<6.0> : tensor<1x1x1x1xf32>
  %c = gcomp.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 2 : i64, channels_last} : (tensor<1x5x5x2xf32>, tensor<3x3x1x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %a = gcomp.max %c, %lo : (tensor<1x3x3x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x3x3x2xf32>
  %y = gcomp.min %a, %hi : (tensor<1x3x3x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}
