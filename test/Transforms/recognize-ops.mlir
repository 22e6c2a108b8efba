// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-recognize-ops))' | FileCheck %s

// PyTorch's exported GELU: x / sqrt(2), erf, + 1, * x, * 0.5.
// CHECK-LABEL: func.func @torch_gelu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-NOT: gcomp.{{div|erf|add|mul}}
// CHECK: %[[G:.*]] = gcomp.gelu %[[X]] : tensor<4x8xf32>
// CHECK-NEXT: return %[[G]]
func.func @torch_gelu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %sqrt2 = gcomp.constant dense<1.41421354> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  %d = gcomp.div %x, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e = gcomp.erf %d : tensor<4x8xf32>
  %a = gcomp.add %e, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %m = gcomp.mul %x, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = gcomp.mul %m, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The other association orders, and x * (1 / sqrt(2)).
// CHECK-LABEL: func.func @orders
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
// CHECK-DAG: %[[G1:.*]] = gcomp.gelu %[[X]]
// CHECK-DAG: %[[G2:.*]] = gcomp.gelu %[[X]]
// CHECK-NOT: gcomp.erf
// CHECK: return
func.func @orders(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %r = gcomp.constant dense<0.707106769> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  // ((s * 0.5) * x)
  %d1 = gcomp.mul %r, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %e1 = gcomp.erf %d1 : tensor<8xf32>
  %a1 = gcomp.add %one, %e1 : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %h1 = gcomp.mul %a1, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y1 = gcomp.mul %x, %h1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  // ((x * 0.5) * s)
  %xh = gcomp.mul %x, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %d2 = gcomp.mul %x, %r : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e2 = gcomp.erf %d2 : tensor<8xf32>
  %a2 = gcomp.add %e2, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y2 = gcomp.mul %xh, %a2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y1, %y2 : tensor<8xf32>, tensor<8xf32>
}

// -----

// Not GELU: a wrong constant (erf(x / 2)), and an intermediate used
// elsewhere (the erf is needed on its own).
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: gcomp.gelu
// CHECK-COUNT-2: gcomp.erf
func.func @not_gelu(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %two = gcomp.constant dense<2.0> : tensor<f32>
  %sqrt2 = gcomp.constant dense<1.41421354> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  %d1 = gcomp.div %x, %two : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e1 = gcomp.erf %d1 : tensor<8xf32>
  %a1 = gcomp.add %e1, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %m1 = gcomp.mul %x, %a1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y1 = gcomp.mul %m1, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %d2 = gcomp.div %x, %sqrt2 : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e2 = gcomp.erf %d2 : tensor<8xf32>
  %a2 = gcomp.add %e2, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %m2 = gcomp.mul %x, %a2 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %y2 = gcomp.mul %m2, %half : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %y1, %y2, %e2 : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// ONNX LayerNormalization as gcomp's importer writes it out: mean,
// centring, mean of c * c, + eps, sqrt, reciprocal, * c, * scale, + bias.
// CHECK-LABEL: func.func @layer_norm_imported
// CHECK-SAME: (%[[X:.*]]: tensor<2x5x16xf32>, %[[G:.*]]: tensor<16xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK-NOT: gcomp.{{reduce_mean|sub|mul|add|sqrt|reciprocal}}
// CHECK: %[[Y:.*]] = gcomp.layer_norm %[[X]] scale %[[G]] bias %[[B]] {axis = 2 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x5x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_imported(%x: tensor<2x5x16xf32>, %g: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<2x5x16xf32> {
  %eps = gcomp.constant dense<1.0e-5> : tensor<f32>
  %m = gcomp.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x16xf32>) -> tensor<2x5x1xf32>
  %c = gcomp.sub %x, %m : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
  %sq = gcomp.mul %c, %c : (tensor<2x5x16xf32>, tensor<2x5x16xf32>) -> tensor<2x5x16xf32>
  %v = gcomp.reduce_mean %sq {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x16xf32>) -> tensor<2x5x1xf32>
  %ve = gcomp.add %v, %eps : (tensor<2x5x1xf32>, tensor<f32>) -> tensor<2x5x1xf32>
  %s = gcomp.sqrt %ve : tensor<2x5x1xf32>
  %r = gcomp.reciprocal %s : tensor<2x5x1xf32>
  %n = gcomp.mul %c, %r : (tensor<2x5x16xf32>, tensor<2x5x1xf32>) -> tensor<2x5x16xf32>
  %y = gcomp.mul %n, %g : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
  %z = gcomp.add %y, %b : (tensor<2x5x16xf32>, tensor<16xf32>) -> tensor<2x5x16xf32>
  return %z : tensor<2x5x16xf32>
}

// -----

// PyTorch's decomposition before opset 17, over the last two dims: pow 2
// and a division; scale first operand, no bias.
// CHECK-LABEL: func.func @layer_norm_torch
// CHECK-SAME: (%[[X:.*]]: tensor<3x4x8xf32>, %[[G:.*]]: tensor<4x8xf32>)
// CHECK: %[[Y:.*]] = gcomp.layer_norm %[[X]] scale %[[G]] {axis = 1 : i64, epsilon = 9.99999996E-13 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @layer_norm_torch(%x: tensor<3x4x8xf32>, %g: tensor<4x8xf32>) -> tensor<3x4x8xf32> {
  %two = gcomp.constant dense<2.0> : tensor<f32>
  %eps = gcomp.constant dense<1.0e-12> : tensor<f32>
  %m = gcomp.reduce_mean %x {axes = array<i64: 1, 2>, keepdims = true} : (tensor<3x4x8xf32>) -> tensor<3x1x1xf32>
  %c = gcomp.sub %x, %m : (tensor<3x4x8xf32>, tensor<3x1x1xf32>) -> tensor<3x4x8xf32>
  %sq = gcomp.pow %c, %two : (tensor<3x4x8xf32>, tensor<f32>) -> tensor<3x4x8xf32>
  %v = gcomp.reduce_mean %sq {axes = array<i64: 1, 2>, keepdims = true} : (tensor<3x4x8xf32>) -> tensor<3x1x1xf32>
  %ve = gcomp.add %eps, %v : (tensor<f32>, tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
  %s = gcomp.sqrt %ve : tensor<3x1x1xf32>
  %n = gcomp.div %c, %s : (tensor<3x4x8xf32>, tensor<3x1x1xf32>) -> tensor<3x4x8xf32>
  %y = gcomp.mul %g, %n : (tensor<4x8xf32>, tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
  return %y : tensor<3x4x8xf32>
}

// -----

// Not a layer norm: the mean is used elsewhere (LayerNormalization's
// optional Mean output), a cube instead of a square, a reduction over a
// leading dim, and a scale that would broadcast the result to a larger
// shape (the normalization is kept and only the affine part is dropped).
// CHECK-LABEL: func.func @not_layer_norm
// CHECK-COUNT-2: gcomp.reduce_mean %arg0
// CHECK: gcomp.reduce_mean %arg1 {axes = array<i64: 0>
// CHECK: %[[N:.*]] = gcomp.layer_norm %arg0 {axis = 1 : i64
// CHECK: gcomp.mul %[[N]], %arg2 : (tensor<4x8xf32>, tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
func.func @not_layer_norm(%x: tensor<4x8xf32>, %t: tensor<4x8xf32>, %big: tensor<3x4x8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<3x4x8xf32>) {
  %two = gcomp.constant dense<2.0> : tensor<f32>
  %three = gcomp.constant dense<3.0> : tensor<f32>
  %eps = gcomp.constant dense<1.0e-5> : tensor<f32>
  // The mean escapes.
  %m = gcomp.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %c = gcomp.sub %x, %m : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %sq = gcomp.mul %c, %c : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %v = gcomp.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ve = gcomp.add %v, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s = gcomp.sqrt %ve : tensor<4x1xf32>
  %n = gcomp.div %c, %s : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  // A cube.
  %m2 = gcomp.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %c2 = gcomp.sub %x, %m2 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %sq2 = gcomp.pow %c2, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %v2 = gcomp.reduce_mean %sq2 {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ve2 = gcomp.add %v2, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s2 = gcomp.sqrt %ve2 : tensor<4x1xf32>
  %n2 = gcomp.div %c2, %s2 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  // Over dim 0.
  %m3 = gcomp.reduce_mean %t {axes = array<i64: 0>, keepdims = true} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %c3 = gcomp.sub %t, %m3 : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %sq3 = gcomp.mul %c3, %c3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %v3 = gcomp.reduce_mean %sq3 {axes = array<i64: 0>, keepdims = true} : (tensor<4x8xf32>) -> tensor<1x8xf32>
  %ve3 = gcomp.add %v3, %eps : (tensor<1x8xf32>, tensor<f32>) -> tensor<1x8xf32>
  %s3 = gcomp.sqrt %ve3 : tensor<1x8xf32>
  %n3 = gcomp.div %c3, %s3 : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  // A broadcasting "scale".
  %m4 = gcomp.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %c4 = gcomp.sub %x, %m4 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %sq4 = gcomp.mul %c4, %c4 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %v4 = gcomp.reduce_mean %sq4 {axes = array<i64: 1>, keepdims = true} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %ve4 = gcomp.add %v4, %eps : (tensor<4x1xf32>, tensor<f32>) -> tensor<4x1xf32>
  %s4 = gcomp.sqrt %ve4 : tensor<4x1xf32>
  %n4 = gcomp.div %c4, %s4 : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %y4 = gcomp.mul %n4, %big : (tensor<4x8xf32>, tensor<3x4x8xf32>) -> tensor<3x4x8xf32>
  return %n, %m, %n2, %n3, %y4 : tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<3x4x8xf32>
}

// -----

// SiLU as x * sigmoid(x) in either order, and as the importer writes ONNX
// Swish (alpha 1: sigmoid(x * 1)); HardSwish as x * HardSigmoid(x) with
// alpha 1/6 and beta 1/2.
// CHECK-LABEL: func.func @gated
// CHECK-SAME: (%[[X:.*]]: tensor<8xf32>)
// CHECK-DAG: %[[A:.*]] = gcomp.silu %[[X]] : tensor<8xf32>
// CHECK-DAG: %[[B:.*]] = gcomp.silu %[[X]] : tensor<8xf32>
// CHECK-DAG: %[[C:.*]] = gcomp.silu %[[X]] : tensor<8xf32>
// CHECK-DAG: %[[D:.*]] = gcomp.hard_swish %[[X]] : tensor<8xf32>
// CHECK-NOT: gcomp.sigmoid
// CHECK-NOT: gcomp.hard_sigmoid
// CHECK: return
func.func @gated(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %s1 = gcomp.sigmoid %x : tensor<8xf32>
  %a = gcomp.mul %x, %s1 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %s2 = gcomp.sigmoid %x : tensor<8xf32>
  %b = gcomp.mul %s2, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %u = gcomp.mul %x, %one : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s3 = gcomp.sigmoid %u : tensor<8xf32>
  %c = gcomp.mul %x, %s3 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %h = gcomp.hard_sigmoid %x {alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32} : tensor<8xf32>
  %d = gcomp.mul %x, %h : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %a, %b, %c, %d : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Not gated activations: a sigmoid of another value (an SE block's gate),
// a sigmoid used twice, a HardSigmoid with other constants.
// CHECK-LABEL: func.func @not_gated
// CHECK-NOT: gcomp.silu
// CHECK-NOT: gcomp.hard_swish
// CHECK: return
func.func @not_gated(%x: tensor<8xf32>, %g: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %s = gcomp.sigmoid %g : tensor<8xf32>
  %a = gcomp.mul %x, %s : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %t = gcomp.sigmoid %x : tensor<8xf32>
  %b = gcomp.mul %x, %t : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %h = gcomp.hard_sigmoid %x {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32} : tensor<8xf32>
  %d = gcomp.mul %x, %h : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %a, %b, %t, %d : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// The tanh GELU (GPT-2's), with x^3 as Pow and as products.
// CHECK-LABEL: func.func @tanh_gelu
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-DAG: %[[G1:.*]] = gcomp.gelu %[[X]] {tanh_approximation = true} : tensor<4x8xf32>
// CHECK-DAG: %[[G2:.*]] = gcomp.gelu %[[X]] {tanh_approximation = true} : tensor<4x8xf32>
// CHECK-NOT: gcomp.tanh
// CHECK-NOT: gcomp.pow
// CHECK: return %[[G1]], %[[G2]]
func.func @tanh_gelu(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %three = gcomp.constant dense<3.0> : tensor<f32>
  %k = gcomp.constant dense<0.044715> : tensor<f32>
  %c = gcomp.constant dense<0.797884583> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  %p = gcomp.pow %x, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %kp = gcomp.mul %k, %p : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = gcomp.add %x, %kp : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %cs = gcomp.mul %c, %s : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %t = gcomp.tanh %cs : tensor<4x8xf32>
  %a = gcomp.add %one, %t : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %hx = gcomp.mul %half, %x : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = gcomp.mul %hx, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %sq = gcomp.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %cu = gcomp.mul %sq, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %kc = gcomp.mul %cu, %k : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %s2 = gcomp.add %kc, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %cs2 = gcomp.mul %s2, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t2 = gcomp.tanh %cs2 : tensor<4x8xf32>
  %a2 = gcomp.add %t2, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %m2 = gcomp.mul %x, %a2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %y2 = gcomp.mul %m2, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %y, %y2 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Not the tanh GELU: another coefficient of x^3.
// CHECK-LABEL: func.func @not_tanh_gelu
// CHECK: gcomp.tanh
// CHECK-NOT: gcomp.gelu
func.func @not_tanh_gelu(%x: tensor<8xf32>) -> tensor<8xf32> {
  %three = gcomp.constant dense<3.0> : tensor<f32>
  %k = gcomp.constant dense<0.05> : tensor<f32>
  %c = gcomp.constant dense<0.797884583> : tensor<f32>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %half = gcomp.constant dense<0.5> : tensor<f32>
  %p = gcomp.pow %x, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %kp = gcomp.mul %k, %p : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %s = gcomp.add %x, %kp : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %cs = gcomp.mul %c, %s : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %t = gcomp.tanh %cs : tensor<8xf32>
  %a = gcomp.add %one, %t : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %hx = gcomp.mul %half, %x : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %y = gcomp.mul %hx, %a : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}
