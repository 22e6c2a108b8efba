// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops))' | FileCheck %s

// A matrix product: one parallel iteration per element of C, which is
// loaded once, carried through the k loop as a value and stored once.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<4x16xf32>, %[[B:.*]]: memref<16x8xf32>, %[[C:.*]]: memref<4x8xf32>)
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[C0:.*]] = memref.load %[[C]][%[[I]], %[[J]]]
// CHECK: %[[R:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[C0]]) -> (f32) {
// CHECK-NEXT: %[[X:.*]] = memref.load %[[A]][%[[I]], %[[K]]]
// CHECK-NEXT: %[[Y:.*]] = memref.load %[[B]][%[[K]], %[[J]]]
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: scf.yield %[[S]] : f32
// CHECK: memref.store %[[R]], %[[C]][%[[I]], %[[J]]]
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<4x16xf32>, %b: memref<16x8xf32>, %c: memref<4x8xf32>) {
  linalg.matmul ins(%a, %b : memref<4x16xf32>, memref<16x8xf32>) outs(%c : memref<4x8xf32>)
  return
}

// -----

// Elementwise with a broadcast operand, a scalar and linalg.index.
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]] : memref<3x5xf32>
// CHECK: %[[V:.*]] = memref.load %{{.*}}[%[[J]]] : memref<5xf32>
// CHECK: %[[F:.*]] = arith.index_cast %[[J]] : index to i64
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]] : memref<3x5xf32>
// CHECK-NOT: scf.for
#map = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @elementwise(%x: memref<3x5xf32>, %b: memref<5xf32>, %s: f32, %y: memref<3x5xf32>) {
  linalg.generic {indexing_maps = [#map, #row, affine_map<(d0, d1) -> ()>, #map],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b, %s : memref<3x5xf32>, memref<5xf32>, f32) outs(%y : memref<3x5xf32>) {
  ^bb0(%in: f32, %bias: f32, %scale: f32, %out: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i64
    %jf = arith.sitofp %ji : i64 to f32
    %0 = arith.addf %in, %bias : f32
    %1 = arith.mulf %0, %scale : f32
    %2 = arith.addf %1, %jf : f32
    linalg.yield %2 : f32
  }
  return
}

// -----

// A reduction to a scalar has no parallel dimension: a loop nest carrying
// the sum, between one load and one store.
// CHECK-LABEL: func.func @sum_all
// CHECK-NOT: scf.parallel
// CHECK: %[[INIT:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[R:.*]] = scf.for %{{.*}} iter_args(%[[A0:.*]] = %[[INIT]]) -> (f32) {
// CHECK: %[[R1:.*]] = scf.for %{{.*}} iter_args(%[[A1:.*]] = %[[A0]]) -> (f32) {
// CHECK: arith.addf
// CHECK: scf.yield
// CHECK: scf.yield %[[R1]] : f32
// CHECK: memref.store %[[R]], %{{.*}}[] : memref<f32>
func.func @sum_all(%x: memref<3x5xf32>, %y: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<3x5xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Ops on tensors are not this pass's business (it runs after bufferization).
// CHECK-LABEL: func.func @tensors
// CHECK: linalg.add
func.func @tensors(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.add ins(%x, %y : tensor<4xf32>, tensor<4xf32>) outs(%x : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
