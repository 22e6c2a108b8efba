// RUN: gcomp-opt %s -split-input-file -verify-diagnostics

func.func @no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{shapes [2,3] and [4] do not broadcast (dim 1: 3 vs 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @mixed_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+1 {{requires the same element type for all operands}}
  %0 = gcomp.mul %a, %b : (tensor<2xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+2 {{contraction dims differ: [2,4] x [5,3] (K = 4 vs 5)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.matmul %a, %b : (tensor<2x4xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x4x1xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{gemm operands must be 2-D, got [2,4,1] and [4,3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.gemm %a, %b : (tensor<2x4x1xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>, %c: tensor<2x3x1xf32>) {
  // expected-error @+2 {{C of shape [2,3,1] does not broadcast to [M, N] = [2,3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.gemm %a, %b, %c : (tensor<2x4xf32>, tensor<4x3xf32>, tensor<2x3x1xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{perm is not a permutation of [0, rank)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape [2,3] (6 elements) to [4,2] (8 elements)}}
  %0 = gcomp.reshape %x : tensor<2x3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for a tensor of rank 2}}
  %0 = gcomp.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @relu_int(%x: tensor<2xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = gcomp.relu %x : tensor<2xi32>
  return
}

// -----

func.func @gather_nd_rank(%x: tensor<2x3xf32>, %i: tensor<4x3xi64>) {
  // expected-error @+1 {{batch_dims 0 plus tuple length 3 exceeds the data rank 2}}
  %0 = gcomp.gather_nd %x[%i] : (tensor<2x3xf32>, tensor<4x3xi64>) -> tensor<4xf32>
  return
}

// -----

func.func @scatter_nd_updates(%x: tensor<2x3xf32>, %i: tensor<4x1xi64>, %u: tensor<4x2xf32>) {
  // expected-error @+1 {{updates must be [4,3], got [4,2]}}
  %0 = gcomp.scatter_nd %x[%i], %u : (tensor<2x3xf32>, tensor<4x1xi64>, tensor<4x2xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @scatter_reduction(%x: tensor<3xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) {
  // expected-error @+1 {{unknown reduction 'sum' (expected none, add, mul, max or min)}}
  %0 = gcomp.scatter_elements %x[%i], %u {axis = 0 : i64, reduction = "sum"} : (tensor<3xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @topk_too_many(%x: tensor<4x5xf32>) {
  // expected-error @+1 {{results 'tensor<4x6xf32>' do not fit input 'tensor<4x5xf32>' with k along axis 1}}
  %v, %i = gcomp.topk %x {axis = 1 : i64} : (tensor<4x5xf32>) -> (tensor<4x6xf32>, tensor<4x6xi64>)
  return
}

// -----

func.func @resize_int_linear(%x: tensor<4xi32>) {
  // expected-error @+1 {{linear interpolation needs a float type}}
  %0 = gcomp.resize %x {mode = "linear", coordinate_mode = "half_pixel", scales = array<f64: 2.0>} : tensor<4xi32> -> tensor<8xi32>
  return
}

// -----

func.func @resize_crop_roi(%x: tensor<4xf32>) {
  // expected-error @+1 {{tf_crop_and_resize needs a roi of 2 x rank values}}
  %0 = gcomp.resize %x {mode = "linear", coordinate_mode = "tf_crop_and_resize", scales = array<f64: 2.0>} : tensor<4xf32> -> tensor<8xf32>
  return
}

// -----

// channels_last puts the channels innermost: the weight is [KH, KW, C, M].
func.func @conv_channels_last_weight(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x16x3xf32>) -> tensor<1x6x6x3xf32> {
  // expected-error @+1 {{channels do not match: input has 3, weight [3,3,16,3] with group 1}}
  %y = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, channels_last} : (tensor<1x8x8x3xf32>, tensor<3x3x16x3xf32>) -> tensor<1x6x6x3xf32>
  return %y : tensor<1x6x6x3xf32>
}

// -----

func.func @pool_channels_last_channels(%x: tensor<1x8x8x3xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{result must keep the batch and channel dims}}
  %y = gcomp.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, channels_last} : (tensor<1x8x8x3xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// The packed weight of a 3x3 conv from 2 to 20 channels: 18 rows of two
// 16-wide panels.
func.func @fused_conv_weight_size(%x: tensor<1x5x5x2xf32>, %w: tensor<360xf32>, %i: tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32> {
  // expected-error @+1 {{packed weight must hold 576 floats (18 x 20 in panels of 16), has 360}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x5x5x2xf32>, tensor<360xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

func.func @fused_conv_init(%x: tensor<1x5x5x2xf32>, %w: tensor<576xf32>, %i: tensor<1x5x5x16xf32>) -> tensor<1x5x5x20xf32> {
  // expected-error @+1 {{init must have the result's type 'tensor<1x5x5x20xf32>'}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x16xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

func.func @fused_conv_output_size(%x: tensor<1x5x5x2xf32>, %w: tensor<576xf32>, %i: tensor<1x4x4x20xf32>) -> tensor<1x4x4x20xf32> {
  // expected-error @+1 {{spatial dim 0 should be 5, the result has 4}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x4x4x20xf32>) -> tensor<1x4x4x20xf32>
  return %y : tensor<1x4x4x20xf32>
}

// -----

func.func @fused_conv_clamp_and_relu(%x: tensor<1x5x5x2xf32>, %w: tensor<576xf32>, %i: tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32> {
  // expected-error @+1 {{takes relu or clamp, not both}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, relu, clamp = array<f32: 0.0, 6.0>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

func.func @fused_conv_clamp_order(%x: tensor<1x5x5x2xf32>, %w: tensor<576xf32>, %i: tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32> {
  // expected-error @+1 {{clamp must be [lo, hi] with lo <= hi}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, clamp = array<f32: 6.0, 0.0>} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

func.func @pool_runtime_kernel_nchw(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{runtime_kernel needs a channels_last 2-D pool of f32 tensors, static but for the batch dim}}
  %y = gcomp.max_pool %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, runtime_kernel} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// With input_nchw the input's dims are [N, C, H, W]: 3 channels here, so
// the packed weight of a 3x3 conv to 16 channels has 27 x 16 floats.
func.func @fused_conv_nchw_weight(%x: tensor<1x3x5x5xf32>, %w: tensor<576xf32>, %i: tensor<1x5x5x16xf32>) -> tensor<1x5x5x16xf32> {
  // expected-error @+1 {{packed weight must hold 432 floats (27 x 16 in panels of 16), has 576}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, input_nchw} : (tensor<1x3x5x5xf32>, tensor<576xf32>, tensor<1x5x5x16xf32>) -> tensor<1x5x5x16xf32>
  return %y : tensor<1x5x5x16xf32>
}

// -----

func.func @softmax_scale(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{scale must be positive, got -1}}
  %y = gcomp.softmax %x {axis = 1 : i64, scale = -1.0 : f32} : tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @softmax_runtime_axis(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{runtime_kernel needs an f32 tensor with static rows and the last axis}}
  %y = gcomp.softmax %x {axis = 0 : i64, runtime_kernel} : tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @softmax_runtime_dynamic_row(%x: tensor<3x?xf32>) -> tensor<3x?xf32> {
  // expected-error @+1 {{runtime_kernel needs an f32 tensor with static rows and the last axis}}
  %y = gcomp.softmax %x {axis = 1 : i64, runtime_kernel} : tensor<3x?xf32>
  return %y : tensor<3x?xf32>
}

// -----

func.func @fused_conv_two_activations(%x: tensor<1x5x5x2xf32>, %w: tensor<576xf32>, %i: tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32> {
  // expected-error @+1 {{takes one activation: relu, clamp, gelu or silu}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, relu, gelu} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

func.func @fused_conv_gelu_and_silu(%x: tensor<1x5x5x2xf32>, %w: tensor<576xf32>, %i: tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32> {
  // expected-error @+1 {{takes one activation: relu, clamp, gelu or silu}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, gelu, silu} : (tensor<1x5x5x2xf32>, tensor<576xf32>, tensor<1x5x5x20xf32>) -> tensor<1x5x5x20xf32>
  return %y : tensor<1x5x5x20xf32>
}

// -----

func.func @fused_conv_depthwise_channels(%x: tensor<1x5x5x4xf32>, %w: tensor<72xf32>, %i: tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32> {
  // expected-error @+1 {{depthwise needs as many result channels as input channels, has 8 and 4}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, depthwise} : (tensor<1x5x5x4xf32>, tensor<72xf32>, tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32>
  return %y : tensor<1x5x5x8xf32>
}

// -----

func.func @fused_conv_depthwise_weight(%x: tensor<1x5x5x8xf32>, %w: tensor<128xf32>, %i: tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32> {
  // expected-error @+1 {{depthwise weight must hold 72 floats (3 x 3 x 8), has 128}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, depthwise} : (tensor<1x5x5x8xf32>, tensor<128xf32>, tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32>
  return %y : tensor<1x5x5x8xf32>
}

// -----

func.func @fused_conv_depthwise_nchw(%x: tensor<1x8x5x5xf32>, %w: tensor<72xf32>, %i: tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32> {
  // expected-error @+1 {{depthwise takes a channels-last input}}
  %y = gcomp.fused_conv %x, %w, %i {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, depthwise, input_nchw} : (tensor<1x8x5x5xf32>, tensor<72xf32>, tensor<1x5x5x8xf32>) -> tensor<1x5x5x8xf32>
  return %y : tensor<1x5x5x8xf32>
}

// -----

func.func @layer_norm_axis(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{axis 2 is out of range for a tensor of rank 2}}
  %y = gcomp.layer_norm %x {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x5xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @layer_norm_scale(%x: tensor<3x5xf32>, %g: tensor<4xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{scale and bias must broadcast to the input 'tensor<3x5xf32>', got 'tensor<4xf32>'}}
  %y = gcomp.layer_norm %x scale %g {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<3x5xf32>, tensor<4xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @layer_norm_runtime_scale(%x: tensor<3x5xf32>, %g: tensor<1xf32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{runtime_kernel needs an f32 tensor with static normalized dims and a scale and bias of their shape}}
  %y = gcomp.layer_norm %x scale %g {axis = 1 : i64, epsilon = 1.0e-5 : f32, runtime_kernel} : (tensor<3x5xf32>, tensor<1xf32>) -> tensor<3x5xf32>
  return %y : tensor<3x5xf32>
}

// -----

func.func @attention_inner_dims(%q: tensor<2x3x4xf32>, %kt: tensor<2x5x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{expects Q [..., s, d], Kt [..., d, t] and V [..., t, dv]}}
  %o = gcomp.attention %q, %kt, %v {scale = 1.0 : f32} : (tensor<2x3x4xf32>, tensor<2x5x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

func.func @attention_perm(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{query_perm is not a permutation of its 3 dims}}
  %o = gcomp.attention %q, %kt, %v {scale = 1.0 : f32, query_perm = array<i64: 0, 0, 1>} : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

func.func @attention_heads(%q: tensor<2x3x4xf32>, %kt: tensor<3x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{query, key_t and value must have the same head dims}}
  %o = gcomp.attention %q, %kt, %v {scale = 1.0 : f32} : (tensor<2x3x4xf32>, tensor<3x4x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

func.func @attention_result(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x5x3xf32> {
  // expected-error @+1 {{result type 'tensor<2x5x3xf32>' does not match the attention's output}}
  %o = gcomp.attention %q, %kt, %v {scale = 1.0 : f32} : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x3x5xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}

// -----

func.func @attention_scale(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{scale must be positive and finite}}
  %o = gcomp.attention %q, %kt, %v {scale = -1.0 : f32} : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

func.func @attention_mask(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>, %m: tensor<2x3xf32>) -> tensor<2x3x5xf32> {
  // expected-error @+1 {{mask 'tensor<2x3xf32>' does not broadcast to the scores}}
  %o = gcomp.attention %q, %kt, %v mask %m {scale = 1.0 : f32} : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x3x5xf32>, tensor<2x3xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

// An integer convolution is all i32 (the importer widens int8 and
// subtracts the zero points first).
func.func @conv_mixed_int(%x: tensor<1x2x4x4xi8>, %w: tensor<3x2x1x1xi32>) -> tensor<1x3x4x4xi32> {
  // expected-error @+1 {{an integer convolution takes i32 input, weight, bias and result}}
  %y = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<3x2x1x1xi32>) -> tensor<1x3x4x4xi32>
  return %y : tensor<1x3x4x4xi32>
}

// -----

// The packed weights of k = 5, n = 3: one 32-column block of two 4-deep
// steps, 256 bytes.
func.func @qmatmul_packed_size(%x: tensor<4x5xi8>, %z: tensor<i32>, %p: tensor<128xi8>, %s: tensor<32xi32>) -> tensor<4x3xi32> {
  // expected-error @+1 {{packed weights of k = 5, n = 3 take 256 bytes, not 128}}
  %y = gcomp.qmatmul %x, %z, %p, %s {k = 5 : i64, n = 3 : i64} : (tensor<4x5xi8>, tensor<i32>, tensor<128xi8>, tensor<32xi32>) -> tensor<4x3xi32>
  return %y : tensor<4x3xi32>
}

// -----

// The packed weights of k = 36 (3 x 3 x 4), m = 2: one 32-column block
// of nine 4-deep steps, 1152 bytes.
func.func @qconv_packed_size(%x: tensor<1x6x6x4xi8>, %z: tensor<i32>, %p: tensor<1024xi8>, %s: tensor<32xi32>) -> tensor<1x6x6x2xi32> {
  // expected-error @+1 {{packed weights of k = 36, m = 2 take 1152 bytes, not 1024}}
  %y = gcomp.qconv %x, %z, %p, %s {dilations = array<i64: 1, 1>, k_packed = 36 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x6x6x4xi8>, tensor<i32>, tensor<1024xi8>, tensor<32xi32>) -> tensor<1x6x6x2xi32>
  return %y : tensor<1x6x6x2xi32>
}

// -----

func.func @qconv_k_packed(%x: tensor<1x6x6x4xi8>, %z: tensor<i32>, %p: tensor<1024xi8>, %s: tensor<32xi32>) -> tensor<1x6x6x2xi32> {
  // expected-error @+1 {{k_packed 32 must be a multiple of 4 no less than KH * KW * C = 36}}
  %y = gcomp.qconv %x, %z, %p, %s {dilations = array<i64: 1, 1>, k_packed = 32 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x6x6x4xi8>, tensor<i32>, tensor<1024xi8>, tensor<32xi32>) -> tensor<1x6x6x2xi32>
  return %y : tensor<1x6x6x2xi32>
}

// -----

func.func @qconv_float_needs_scale(%x: tensor<1x6x6x4xi8>, %z: tensor<i32>, %p: tensor<1152xi8>, %s: tensor<32xi32>) -> tensor<1x6x6x2xf32> {
  // expected-error @+1 {{with a 'f32' result needs a scale}}
  %y = gcomp.qconv %x, %z, %p, %s {dilations = array<i64: 1, 1>, k_packed = 36 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x6x6x4xi8>, tensor<i32>, tensor<1152xi8>, tensor<32xi32>) -> tensor<1x6x6x2xf32>
  return %y : tensor<1x6x6x2xf32>
}

// -----

func.func @qconv_bytes_need_requantization(%x: tensor<1x6x6x4xi8>, %z: tensor<i32>, %p: tensor<1152xi8>, %s: tensor<32xi32>, %scale: tensor<2xf32>) -> tensor<1x6x6x2xi8> {
  // expected-error @+1 {{an i8 result, and only it, needs out_scale and out_zero_point}}
  %y = gcomp.qconv %x, %z, %p, %s, %scale {dilations = array<i64: 1, 1>, k_packed = 36 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x6x6x4xi8>, tensor<i32>, tensor<1152xi8>, tensor<32xi32>, tensor<2xf32>) -> tensor<1x6x6x2xi8>
  return %y : tensor<1x6x6x2xi8>
}

// -----

func.func @qconv_output_size(%x: tensor<1x6x6x4xi8>, %z: tensor<i32>, %p: tensor<1152xi8>, %s: tensor<32xi32>) -> tensor<1x5x6x2xi32> {
  // expected-error @+1 {{spatial dim 0 should be 6, the result has 5}}
  %y = gcomp.qconv %x, %z, %p, %s {dilations = array<i64: 1, 1>, k_packed = 36 : i64, kernel = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x6x6x4xi8>, tensor<i32>, tensor<1152xi8>, tensor<32xi32>) -> tensor<1x5x6x2xi32>
  return %y : tensor<1x5x6x2xi32>
}

// -----

func.func @nonzero_indices_length(%m: tensor<6xi1>) {
  // expected-error @+1 {{indices 'tensor<5xi64>' must have the mask's length 'tensor<6xi1>'}}
  %i, %n = gcomp.nonzero_indices %m : tensor<6xi1> -> tensor<5xi64>, tensor<i64>
  return
}

// -----

func.func @unique_runs_length(%s: tensor<5xf32>, %p: tensor<4xi64>) {
  // expected-error @+1 {{positions, first, inverse and counts must have the length of sorted}}
  %v, %f, %inv, %c, %n = gcomp.unique_runs %s, %p : (tensor<5xf32>, tensor<4xi64>) -> (tensor<5xf32>, tensor<5xi64>, tensor<5xi64>, tensor<5xi64>, tensor<i64>)
  return
}

// -----

func.func @nms_boxes(%b: tensor<2x5x3xf32>, %s: tensor<2x3x5xf32>) {
  // expected-error @+1 {{expects boxes [B, N, 4] and scores [B, C, N]}}
  %sel, %n = gcomp.non_max_suppression %b, %s : (tensor<2x5x3xf32>, tensor<2x3x5xf32>) -> (tensor<6x3xi64>, tensor<i64>)
  return
}

// -----

func.func @nms_rows(%b: tensor<2x5x4xf32>, %s: tensor<2x3x5xf32>) {
  // expected-error @+1 {{must be [B * C * K, 3] with K <= N}}
  %sel, %n = gcomp.non_max_suppression %b, %s : (tensor<2x5x4xf32>, tensor<2x3x5xf32>) -> (tensor<7x3xi64>, tensor<i64>)
  return
}

// -----

func.func @grid_sample_grid(%x: tensor<2x3x5x7xf32>, %g: tensor<2x4x6x3xf32>) {
  // expected-error @+1 {{grid 'tensor<2x4x6x3xf32>' does not fit input 'tensor<2x3x5x7xf32>'}}
  %y = gcomp.grid_sample %x, %g {mode = "linear", padding_mode = "zeros", align_corners = false} : (tensor<2x3x5x7xf32>, tensor<2x4x6x3xf32>) -> tensor<2x3x4x6xf32>
  return
}

// -----

func.func @grid_sample_mode(%x: tensor<2x3x5x7xf32>, %g: tensor<2x4x6x2xf32>) {
  // expected-error @+1 {{unknown mode 'bilinear'}}
  %y = gcomp.grid_sample %x, %g {mode = "bilinear", padding_mode = "zeros", align_corners = false} : (tensor<2x3x5x7xf32>, tensor<2x4x6x2xf32>) -> tensor<2x3x4x6xf32>
  return
}

// -----

func.func @roi_align_rois(%x: tensor<2x3x10x12xf32>, %r: tensor<6x4xf32>, %b: tensor<5xi64>) {
  // expected-error @+1 {{expects rois [R, 4], batch_indices [R] and a [R, C, OH, OW] result of static shapes}}
  %y = gcomp.roi_align %x, %r, %b {mode = "avg", sampling_ratio = 0 : i64, spatial_scale = 1.0 : f32, half_pixel = true} : (tensor<2x3x10x12xf32>, tensor<6x4xf32>, tensor<5xi64>) -> tensor<6x3x3x4xf32>
  return
}

// -----

func.func @det_square(%x: tensor<3x4x5xf32>) {
  // expected-error @+1 {{expects static [..., N, N] matrices and a [...] result}}
  %y = gcomp.det %x : tensor<3x4x5xf32> -> tensor<3xf32>
  return
}

// -----

func.func @matmul_nbits_weights(%x: tensor<1x64xf32>, %w: tensor<8x2x8xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{expects weights [8, 2, 16] for K = 64}}
  %y = gcomp.matmul_nbits %x, %w, %s {bits = 4 : i64, block_size = 32 : i64} : (tensor<1x64xf32>, tensor<8x2x8xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return
}

// -----

func.func @matmul_nbits_bits(%x: tensor<1x64xf32>, %w: tensor<8x2x6xi8>, %s: tensor<8x2xf32>) {
  // expected-error @+1 {{supports 4 and 8 bits, not 3}}
  %y = gcomp.matmul_nbits %x, %w, %s {bits = 3 : i64, block_size = 32 : i64} : (tensor<1x64xf32>, tensor<8x2x6xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
  return
}
