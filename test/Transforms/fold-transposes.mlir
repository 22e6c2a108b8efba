// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(convert-gcomp-to-linalg,gcomp-fold-transposes))' | FileCheck %s

// Attention's head split, scores and head merge: the three transposes of
// the operands and the one of the result are all indexing maps.
// CHECK-DAG: #[[$Q:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
// CHECK-DAG: #[[$KT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d3)>
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[QI:.*]]: tensor<1x16x4x8xf32>, %[[KI:.*]]: tensor<1x16x4x8xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[INIT:.*]] = linalg.fill {{.*}} -> tensor<1x16x4x16xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$Q]], #[[$KT]], #[[$OUT]]], {{.*}}} ins(%[[QI]], %[[KI]] : tensor<1x16x4x8xf32>, tensor<1x16x4x8xf32>) outs(%[[INIT]] : tensor<1x16x4x16xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: return
func.func @attention(%q: tensor<1x16x4x8xf32>, %k: tensor<1x16x4x8xf32>) -> tensor<1x16x4x16xf32> {
  %qt = gcomp.transpose %q {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x16x8xf32>
  %kt = gcomp.transpose %k {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x16x4x8xf32>) -> tensor<1x4x8x16xf32>
  %s = gcomp.matmul %qt, %kt : (tensor<1x4x16x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x16x16xf32>
  %m = gcomp.transpose %s {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x16x16xf32>) -> tensor<1x16x4x16xf32>
  return %m : tensor<1x16x4x16xf32>
}

// -----

// A transpose that is also returned stays for every user; one whose
// producer has another user, or is not a generic, stays too.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-2: linalg.transpose
// CHECK: return
func.func @kept(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x4xf32>) {
  %at = gcomp.transpose %a {perm = array<i64: 1, 0>} : (tensor<4x8xf32>) -> tensor<8x4xf32>
  %p = gcomp.matmul %at, %a : (tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %r = gcomp.relu %b : tensor<8x4xf32>
  %rt = gcomp.transpose %r {perm = array<i64: 1, 0>} : (tensor<8x4xf32>) -> tensor<4x8xf32>
  %q = gcomp.matmul %a, %r : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %at, %p, %rt, %q : tensor<8x4xf32>, tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x4xf32>
}

// -----

// A generic that a later pass claims by an attribute keeps its layouts
// (gcomp-depthwise-to-runtime-call expects its channels-last result).
// CHECK-LABEL: func.func @claimed
// CHECK: linalg.generic {{.*}} attrs = {gcomp.depthwise_nhwc
// CHECK: linalg.transpose
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @claimed(%a: tensor<4x8xf32>) -> tensor<8x4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) attrs = {gcomp.depthwise_nhwc = array<i64: 1, 1, 1, 1>} {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<8x4xf32>
  %t = linalg.transpose ins(%r : tensor<4x8xf32>) outs(%e2 : tensor<8x4xf32>) permutation = [1, 0]
  return %t : tensor<8x4xf32>
}

// -----

// A symbolic dim: the transposed init takes the old init's sizes in the
// transposed order.
// CHECK-LABEL: func.func @symbolic
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[OLD:.*]] = tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[OLD]], %{{.*}} : tensor<?x8xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[N]]) : tensor<8x?xf32>
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<?x8xf32>) outs(%[[E]] : tensor<8x?xf32>)
// CHECK-NOT: linalg.transpose
func.func @symbolic(%x: tensor<?x8xf32>) -> tensor<8x?xf32> {
  %r = gcomp.relu %x : tensor<?x8xf32>
  %t = gcomp.transpose %r {perm = array<i64: 1, 0>} : (tensor<?x8xf32>) -> tensor<8x?xf32>
  return %t : tensor<8x?xf32>
}
