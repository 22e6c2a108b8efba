// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-fuse-attention))' | FileCheck %s

// BERT's attention: heads split from [batch, seq, heads, dim] views by
// transposes, scaled by 1/sqrt(dim), merged back by a transpose. All of it
// becomes one op that reads and writes the views through its perms.
// CHECK-LABEL: func.func @encoder
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x2x4xf32>, %[[K:.*]]: tensor<1x8x2x4xf32>, %[[V:.*]]: tensor<1x8x2x4xf32>)
// CHECK-NOT: gcomp.matmul
// CHECK-NOT: gcomp.softmax
// CHECK: %[[O:.*]] = gcomp.attention %[[Q]], %[[K]], %[[V]] {key_t_perm = array<i64: 0, 2, 3, 1>, query_perm = array<i64: 0, 2, 1, 3>, result_perm = array<i64: 0, 2, 1, 3>, scale = 5.000000e-01 : f32, value_perm = array<i64: 0, 2, 1, 3>} : (tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32>
// CHECK-NEXT: return %[[O]]
func.func @encoder(%q: tensor<1x8x2x4xf32>, %k: tensor<1x8x2x4xf32>, %v: tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  %qt = gcomp.transpose %q {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x8x2x4xf32>) -> tensor<1x2x8x4xf32>
  %kt = gcomp.transpose %k {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x2x4xf32>) -> tensor<1x2x4x8xf32>
  %vt = gcomp.transpose %v {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x8x2x4xf32>) -> tensor<1x2x8x4xf32>
  %s = gcomp.matmul %qt, %kt : (tensor<1x2x8x4xf32>, tensor<1x2x4x8xf32>) -> tensor<1x2x8x8xf32>
  %c = gcomp.constant dense<2.0> : tensor<f32>
  %d = gcomp.div %s, %c : (tensor<1x2x8x8xf32>, tensor<f32>) -> tensor<1x2x8x8xf32>
  %p = gcomp.softmax %d {axis = 3 : i64} : tensor<1x2x8x8xf32>
  %o = gcomp.matmul %p, %vt : (tensor<1x2x8x8xf32>, tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  %r = gcomp.transpose %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x8x4xf32>) -> tensor<1x8x2x4xf32>
  return %r : tensor<1x8x2x4xf32>
}

// -----

// GPT-2's: the causal mask as a Where over a constant upper triangle with
// -inf becomes `causal`; no transposes, one head dim, no scale.
// CHECK-LABEL: func.func @causal
// CHECK: %[[O:.*]] = gcomp.attention %arg0, %arg1, %arg2 {causal, scale = 1.000000e+00 : f32} : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
// CHECK-NEXT: return %[[O]]
func.func @causal(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %s = gcomp.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %mask = gcomp.constant dense<[[false, true, true], [false, false, true], [false, false, false]]> : tensor<3x3xi1>
  %ninf = gcomp.constant dense<0xFF800000> : tensor<f32>
  %m = gcomp.where %mask, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %p = gcomp.softmax %m {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = gcomp.matmul %p, %v : (tensor<2x3x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

// Any other mask (here the diagonal is masked too) is not causal: nothing
// changes.
// CHECK-LABEL: func.func @other_mask
// CHECK-NOT: gcomp.attention
// CHECK: gcomp.softmax
func.func @other_mask(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %s = gcomp.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %mask = gcomp.constant dense<[[true, true, true], [false, true, true], [false, false, true]]> : tensor<3x3xi1>
  %ninf = gcomp.constant dense<0xFF800000> : tensor<f32>
  %m = gcomp.where %mask, %ninf, %s : (tensor<3x3xi1>, tensor<f32>, tensor<2x3x3xf32>) -> tensor<2x3x3xf32>
  %p = gcomp.softmax %m {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = gcomp.matmul %p, %v : (tensor<2x3x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

// Probabilities used elsewhere (returned) must exist: nothing changes.
// CHECK-LABEL: func.func @probabilities_used
// CHECK-NOT: gcomp.attention
// CHECK: gcomp.matmul
// CHECK: gcomp.softmax
// CHECK: gcomp.matmul
func.func @probabilities_used(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> (tensor<2x3x5xf32>, tensor<2x3x3xf32>) {
  %s = gcomp.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %p = gcomp.softmax %s {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = gcomp.matmul %p, %v : (tensor<2x3x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o, %p : tensor<2x3x5xf32>, tensor<2x3x3xf32>
}

// -----

// A negative scale is not a softmax temperature the kernel takes: nothing
// changes. Nor does a softmax over another axis.
// CHECK-LABEL: func.func @negative_scale
// CHECK-NOT: gcomp.attention
func.func @negative_scale(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %s = gcomp.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %c = gcomp.constant dense<-2.0> : tensor<f32>
  %d = gcomp.mul %s, %c : (tensor<2x3x3xf32>, tensor<f32>) -> tensor<2x3x3xf32>
  %p = gcomp.softmax %d {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = gcomp.matmul %p, %v : (tensor<2x3x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// CHECK-LABEL: func.func @other_axis
// CHECK-NOT: gcomp.attention
func.func @other_axis(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>) -> tensor<2x3x5xf32> {
  %s = gcomp.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %p = gcomp.softmax %s {axis = 1 : i64} : tensor<2x3x3xf32>
  %o = gcomp.matmul %p, %v : (tensor<2x3x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

// BERT's padding mask, added to the scaled scores and broadcast over the
// heads and queries, becomes the op's mask operand.
// CHECK-LABEL: func.func @padding_mask
// CHECK-SAME: (%[[Q:.*]]: tensor<2x3x4xf32>, %[[KT:.*]]: tensor<2x4x3xf32>, %[[V:.*]]: tensor<2x3x5xf32>, %[[M:.*]]: tensor<1x1x3xf32>)
// CHECK: %[[O:.*]] = gcomp.attention %[[Q]], %[[KT]], %[[V]] mask %[[M]] {scale = 2.500000e-01 : f32} : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x3x5xf32>, tensor<1x1x3xf32>) -> tensor<2x3x5xf32>
// CHECK-NEXT: return %[[O]]
func.func @padding_mask(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>, %mask: tensor<1x1x3xf32>) -> tensor<2x3x5xf32> {
  %s = gcomp.matmul %q, %kt : (tensor<2x3x4xf32>, tensor<2x4x3xf32>) -> tensor<2x3x3xf32>
  %c = gcomp.constant dense<4.0> : tensor<f32>
  %d = gcomp.div %s, %c : (tensor<2x3x3xf32>, tensor<f32>) -> tensor<2x3x3xf32>
  %a = gcomp.add %d, %mask : (tensor<2x3x3xf32>, tensor<1x1x3xf32>) -> tensor<2x3x3xf32>
  %p = gcomp.softmax %a {axis = 2 : i64} : tensor<2x3x3xf32>
  %o = gcomp.matmul %p, %v : (tensor<2x3x3xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

// Symbolic batch and sequence: the causal mask is computed, as the importer
// builds torch.triu(ones(n, n), 1) over a symbolic n (column - row >= 1,
// inside a Where(mask, true, false)); it becomes `causal` too.
// CHECK-LABEL: func.func @symbolic_causal
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2x?x4xf32>, %[[KT:.*]]: tensor<?x2x4x?xf32>, %[[V:.*]]: tensor<?x2x?x4xf32>, %{{.*}}: tensor<?x?xi64>)
// CHECK: %[[O:.*]] = gcomp.attention %[[Q]], %[[KT]], %[[V]] {causal, scale = 2.500000e-01 : f32} : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
// CHECK-NEXT: return %[[O]]
func.func @symbolic_causal(%q: tensor<?x2x?x4xf32>, %kt: tensor<?x2x4x?xf32>, %v: tensor<?x2x?x4xf32>, %ids: tensor<?x?xi64>) -> tensor<?x2x?x4xf32> {
  %c1 = arith.constant 1 : index
  %s = gcomp.matmul %q, %kt : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %four = gcomp.constant dense<4.0> : tensor<f32>
  %scaled = gcomp.div %s, %four : (tensor<?x2x?x?xf32>, tensor<f32>) -> tensor<?x2x?x?xf32>
  %n = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %n2 = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %true = gcomp.constant dense<true> : tensor<i1>
  %false = gcomp.constant dense<false> : tensor<i1>
  %ones = gcomp.broadcast_to %true[%n, %n] : tensor<i1> -> tensor<?x?xi1>
  %r = gcomp.iota[%n] : tensor<?xi64>
  %rows = gcomp.reshape %r : tensor<?xi64> -> tensor<?x1xi64>
  %c = gcomp.iota[%n2] : tensor<?xi64>
  %cols = gcomp.reshape %c : tensor<?xi64> -> tensor<1x?xi64>
  %diff = gcomp.sub %cols, %rows : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %k = gcomp.constant dense<1> : tensor<i64>
  %upper = gcomp.greater_equal %diff, %k : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %mask = gcomp.where %upper, %ones, %false : (tensor<?x?xi1>, tensor<?x?xi1>, tensor<i1>) -> tensor<?x?xi1>
  %ninf = gcomp.constant dense<0xFF800000> : tensor<f32>
  %m = gcomp.where %mask, %ninf, %scaled : (tensor<?x?xi1>, tensor<f32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %p = gcomp.softmax %m {axis = 3 : i64} : tensor<?x2x?x?xf32>
  %o = gcomp.matmul %p, %v : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %o : tensor<?x2x?x4xf32>
}

// -----

// Rows and columns counted over different sizes: the mask is not a square
// causal one, and nothing changes. So too with the diagonal masked
// (column - row >= 0).
// CHECK-LABEL: func.func @symbolic_not_causal
// CHECK-NOT: gcomp.attention
// CHECK: gcomp.softmax
// CHECK-NOT: gcomp.attention
// CHECK: gcomp.softmax
// CHECK-NOT: gcomp.attention
func.func @symbolic_not_causal(%q: tensor<?x?x4xf32>, %kt: tensor<?x4x?xf32>, %v: tensor<?x?x4xf32>, %ids: tensor<?x?xi64>) -> (tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %n1 = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %r = gcomp.iota[%n] : tensor<?xi64>
  %rows = gcomp.reshape %r : tensor<?xi64> -> tensor<?x1xi64>
  %c = gcomp.iota[%n1] : tensor<?xi64>
  %cols = gcomp.reshape %c : tensor<?xi64> -> tensor<1x?xi64>
  %diff = gcomp.sub %cols, %rows : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %k1 = gcomp.constant dense<1> : tensor<i64>
  %k0 = gcomp.constant dense<0> : tensor<i64>
  %ninf = gcomp.constant dense<0xFF800000> : tensor<f32>

  %s = gcomp.matmul %q, %kt : (tensor<?x?x4xf32>, tensor<?x4x?xf32>) -> tensor<?x?x?xf32>
  %mask = gcomp.greater_equal %diff, %k1 : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %m = gcomp.where %mask, %ninf, %s : (tensor<?x?xi1>, tensor<f32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %p = gcomp.softmax %m {axis = 2 : i64} : tensor<?x?x?xf32>
  %o = gcomp.matmul %p, %v : (tensor<?x?x?xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>

  %r2 = gcomp.iota[%n1] : tensor<?xi64>
  %rows2 = gcomp.reshape %r2 : tensor<?xi64> -> tensor<?x1xi64>
  %diff2 = gcomp.sub %cols, %rows2 : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %s2 = gcomp.matmul %q, %kt : (tensor<?x?x4xf32>, tensor<?x4x?xf32>) -> tensor<?x?x?xf32>
  %mask2 = gcomp.greater_equal %diff2, %k0 : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %m2 = gcomp.where %mask2, %ninf, %s2 : (tensor<?x?xi1>, tensor<f32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %p2 = gcomp.softmax %m2 {axis = 2 : i64} : tensor<?x?x?xf32>
  %o2 = gcomp.matmul %p2, %v : (tensor<?x?x?xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %o, %o2 : tensor<?x?x4xf32>, tensor<?x?x4xf32>
}

// -----

// A padding mask over a symbolic batch and key count is the op's mask.
// CHECK-LABEL: func.func @symbolic_padding_mask
// CHECK: gcomp.attention %arg0, %arg1, %arg2 mask %arg3 {scale = 1.000000e+00 : f32} : (tensor<?x?x4xf32>, tensor<?x4x?xf32>, tensor<?x?x4xf32>, tensor<?x1x?xf32>) -> tensor<?x?x4xf32>
func.func @symbolic_padding_mask(%q: tensor<?x?x4xf32>, %kt: tensor<?x4x?xf32>, %v: tensor<?x?x4xf32>, %mask: tensor<?x1x?xf32>) -> tensor<?x?x4xf32> {
  %s = gcomp.matmul %q, %kt : (tensor<?x?x4xf32>, tensor<?x4x?xf32>) -> tensor<?x?x?xf32>
  %a = gcomp.add %s, %mask : (tensor<?x?x?xf32>, tensor<?x1x?xf32>) -> tensor<?x?x?xf32>
  %p = gcomp.softmax %a {axis = 2 : i64} : tensor<?x?x?xf32>
  %o = gcomp.matmul %p, %v : (tensor<?x?x?xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %o : tensor<?x?x4xf32>
}
