// RUN: gcomp-opt %s -split-input-file -convert-gcomp-to-linalg -verify-diagnostics | FileCheck %s

// Symbolic dims (the generic variant): each dynamic result dim takes its
// size from the operand dim it lines up with, counted from the right.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[A:.*]]: tensor<?x3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[A]], %c0
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?x3xf32>
// CHECK: linalg.generic {{.*}} ins(%[[A]], %[[B]] : tensor<?x3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<?x3xf32>)
func.func @elementwise(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = gcomp.add %a, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A product's symbolic rows come from the left operand.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x16xf32>, %[[W:.*]]: tensor<16x8xf32>)
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %c0
// CHECK-DAG: %[[S:.*]] = tensor.dim %[[X]], %c1
// CHECK: tensor.empty(%[[B]], %[[S]]) : tensor<?x?x8xf32>
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]
func.func @matmul(%x: tensor<?x?x16xf32>, %w: tensor<16x8xf32>) -> tensor<?x?x8xf32> {
  %0 = gcomp.matmul %x, %w : (tensor<?x?x16xf32>, tensor<16x8xf32>) -> tensor<?x?x8xf32>
  return %0 : tensor<?x?x8xf32>
}

// -----

// Softmax along a static dim, a reduction keeping the symbolic one, a
// transpose and a reshape that keeps it whole.
// CHECK-LABEL: func.func @rows
// CHECK: tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK: tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK: linalg.transpose
// CHECK-SAME: permutation = [1, 0]
// CHECK: tensor.expand_shape
// CHECK-SAME: tensor<?xf32> into tensor<?x1xf32>
func.func @rows(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<8x?xf32>, tensor<?x1xf32>) {
  %s = gcomp.softmax %x {axis = 1 : i64} : tensor<?x8xf32>
  %t = gcomp.transpose %x {perm = array<i64: 1, 0>} : (tensor<?x8xf32>) -> tensor<8x?xf32>
  %r = gcomp.reduce_sum %x {axes = array<i64: 1>} : (tensor<?x8xf32>) -> tensor<?x1xf32>
  return %s, %t, %r : tensor<?x8xf32>, tensor<8x?xf32>, tensor<?x1xf32>
}

// -----

// A reshape that only moves unit dims around a symbolic one merges, then
// splits.
// CHECK-LABEL: func.func @unit_dims
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1, 2, 3]] : tensor<?x512x1x1xf32> into tensor<?x512xf32>
// CHECK: tensor.expand_shape {{.*}} {{\[}}[0], [1, 2, 3]] {{.*}} : tensor<?x512xf32> into tensor<?x1x1x512xf32>
func.func @unit_dims(%x: tensor<?x512x1x1xf32>) -> tensor<?x1x1x512xf32> {
  %0 = gcomp.reshape %x : tensor<?x512x1x1xf32> -> tensor<?x1x1x512xf32>
  return %0 : tensor<?x1x1x512xf32>
}

// -----

// A mean over a symbolic dim (pooling over the sequence) divides by its
// size read at run time (at least 1: a mean of nothing is 0, as
// onnxruntime gives).
// CHECK-LABEL: func.func @reduce_dynamic
// CHECK-SAME: (%[[A:.*]]: tensor<?x?x3xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]{{.*}} ins(%[[A]]
// CHECK: %[[N:.*]] = tensor.dim %[[A]], %c1
// CHECK: %[[N1:.*]] = arith.maxsi %[[N]], %c1{{.*}} : index
// CHECK: %[[NI:.*]] = arith.index_cast %[[N1]] : index to i64
// CHECK: %[[NF:.*]] = arith.sitofp %[[NI]] : i64 to f32
// CHECK: linalg.generic {{.*}} ins(%[[SUM]]
// CHECK: arith.divf %{{.*}}, %[[NF]] : f32
func.func @reduce_dynamic(%a: tensor<?x?x3xf32>) -> tensor<?x3xf32> {
  %0 = gcomp.reduce_mean %a {axes = array<i64: 1>, keepdims = false} : (tensor<?x?x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// A gather along a symbolic dim (the last token, x[:, -1]): the index
// counts from the run's size and is clamped to it; an empty dim is not
// read.
// CHECK-LABEL: func.func @gather_last
// CHECK-SAME: (%[[A:.*]]: tensor<?x?x4xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[A]], %c1
// CHECK: linalg.generic
// CHECK: %[[WRAPPED:.*]] = arith.addi %{{.*}}, %[[N]] : index
// CHECK: %[[LAST:.*]] = arith.subi %[[N]], %c1
// CHECK: %[[EMPTY:.*]] = arith.cmpi eq, %[[N]], %c0
// CHECK: scf.if %[[EMPTY]] -> (f32)
// CHECK: } else {
// CHECK: tensor.extract %[[A]]
func.func @gather_last(%a: tensor<?x?x4xf32>) -> tensor<?x4xf32> {
  %i = gcomp.constant dense<-1> : tensor<i64>
  %0 = gcomp.gather %a[%i] {axis = 1 : i64} : (tensor<?x?x4xf32>, tensor<i64>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// An inner dim symbolic on one side only would be read as one loop sized
// by one operand, unchecked against the other's static size: refused.
func.func @inner_one_side(%a: tensor<4x?xf32>, %b: tensor<16x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{failed to legalize operation 'gcomp.matmul' that was explicitly marked illegal}}
  %0 = gcomp.matmul %a, %b : (tensor<4x?xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Sizes computed from symbolic dims: an iota of n elements, a broadcast to
// [n, n] (a causal mask's shape), a split of rows back into batch and
// sequence (tensor.reshape to the given sizes), and a merge of them into
// rows with unit dims (collapse, then expand).
// CHECK-LABEL: func.func @given_sizes
// CHECK-SAME: (%[[X:.*]]: tensor<?x1x1x64xf32>, %[[Y:.*]]: tensor<?x?x64xf32>, %[[N:.*]]: index, %[[B:.*]]: index, %[[S:.*]]: index)
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<?xi64>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?xi64>)
// CHECK: linalg.index 0
// CHECK: %[[SQ:.*]] = tensor.empty(%[[N]], %[[N]]) : tensor<?x?xf32>
// CHECK: linalg.generic {{.*}} outs(%[[SQ]] : tensor<?x?xf32>)
// CHECK: %[[SHAPE:.*]] = tensor.from_elements %[[B]], %[[S]], %{{.*}} : tensor<3xindex>
// CHECK: tensor.reshape %[[X]](%[[SHAPE]]) : (tensor<?x1x1x64xf32>, tensor<3xindex>) -> tensor<?x?x64xf32>
// CHECK: %[[ROWS:.*]] = tensor.collapse_shape %[[Y]] {{\[\[}}0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK: tensor.expand_shape %[[ROWS]] {{\[\[}}0], [1, 2, 3]]
func.func @given_sizes(%x: tensor<?x1x1x64xf32>, %y: tensor<?x?x64xf32>, %n: index, %b: index, %s: index)
    -> (tensor<?xi64>, tensor<?x?xf32>, tensor<?x?x64xf32>, tensor<?x1x1x64xf32>) {
  %i = gcomp.iota[%n] : tensor<?xi64>
  %one = gcomp.constant dense<1.0> : tensor<f32>
  %m = gcomp.broadcast_to %one[%n, %n] : tensor<f32> -> tensor<?x?xf32>
  %split = gcomp.reshape %x[%b, %s] : tensor<?x1x1x64xf32> -> tensor<?x?x64xf32>
  %rows = gcomp.reshape %y : tensor<?x?x64xf32> -> tensor<?x1x1x64xf32>
  return %i, %m, %split, %rows : tensor<?xi64>, tensor<?x?xf32>, tensor<?x?x64xf32>, tensor<?x1x1x64xf32>
}

// -----

// A split of a symbolic dim into two needs its sizes.
func.func @split_without_sizes(%x: tensor<?x64xf32>) -> tensor<?x?x64xf32> {
  // expected-error @+1 {{failed to legalize operation 'gcomp.reshape' that was explicitly marked illegal}}
  %0 = gcomp.reshape %x : tensor<?x64xf32> -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}
