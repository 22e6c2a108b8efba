// RUN: gcomp-opt %s -split-input-file -convert-gcomp-to-linalg | FileCheck %s

// GatherND reads each index tuple element, then the data at the tuple.
// CHECK-LABEL: func.func @gather_nd
// CHECK: linalg.generic
// CHECK-COUNT-3: tensor.extract
// CHECK-NOT: gcomp.
func.func @gather_nd(%x: tensor<2x3x4xf32>, %i: tensor<5x2xi64>) -> tensor<5x4xf32> {
  %0 = gcomp.gather_nd %x[%i] : (tensor<2x3x4xf32>, tensor<5x2xi64>) -> tensor<5x4xf32>
  return %0 : tensor<5x4xf32>
}

// -----

// ScatterND is one sequential loop over (tuple, slice element) = 2 * 4, which
// carries the copy of the data; "add" reads the old value first.
// CHECK-LABEL: func.func @scatter_nd_add
// CHECK-DAG: %[[N:.*]] = arith.constant 8 : index
// CHECK: %[[R:.*]] = scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[ACC:.*]] = %arg0)
// CHECK: tensor.extract %[[ACC]]
// CHECK: arith.addf
// CHECK: tensor.insert %{{.*}} into %[[ACC]]
// CHECK: return %[[R]]
func.func @scatter_nd_add(%x: tensor<2x3x4xf32>, %i: tensor<2x2xi64>, %u: tensor<2x4xf32>) -> tensor<2x3x4xf32> {
  %0 = gcomp.scatter_nd %x[%i], %u {reduction = "add"} : (tensor<2x3x4xf32>, tensor<2x2xi64>, tensor<2x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @scatter_elements_max
// CHECK-DAG: %[[N:.*]] = arith.constant 6 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args(
// CHECK: arith.maximumf
// CHECK: tensor.insert
func.func @scatter_elements_max(%x: tensor<3x4xf32>, %i: tensor<3x2xi32>, %u: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %0 = gcomp.scatter_elements %x[%i], %u {axis = 1 : i64, reduction = "max"} : (tensor<3x4xf32>, tensor<3x2xi32>, tensor<3x2xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// TopK: rows, then elements; an element is inserted only when the selection
// is not full or it beats the last (strictly: equal values keep input order).
// CHECK-LABEL: func.func @topk
// CHECK: scf.for {{.*}} iter_args(
// CHECK: scf.for {{.*}} iter_args(
// CHECK: arith.cmpf ogt
// CHECK: scf.if
// CHECK: arith.cmpf oge
// CHECK: arith.index_cast %{{.*}} : index to i64
func.func @topk(%x: tensor<4x10xf32>) -> (tensor<4x3xf32>, tensor<4x3xi64>) {
  %v, %i = gcomp.topk %x {axis = 1 : i64} : (tensor<4x10xf32>) -> (tensor<4x3xf32>, tensor<4x3xi64>)
  return %v, %i : tensor<4x3xf32>, tensor<4x3xi64>
}

// -----

// Smallest-k flips the comparisons.
// CHECK-LABEL: func.func @bottomk
// CHECK: arith.cmpi slt
// CHECK: arith.cmpi sle
func.func @bottomk(%x: tensor<10xi32>) -> (tensor<2xi32>, tensor<2xi64>) {
  %v, %i = gcomp.topk %x {axis = 0 : i64, largest = false} : (tensor<10xi32>) -> (tensor<2xi32>, tensor<2xi64>)
  return %v, %i : tensor<2xi32>, tensor<2xi64>
}

// -----

// Nearest 2x upsampling along the last dim: one tap table (source index per
// output position) computed at compile time; the other dims are identities.
// CHECK-DAG: #[[$LAST:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @resize_nearest
// CHECK: %[[T:.*]] = arith.constant dense<[0, 0, 1, 1, 2, 2]> : tensor<6xi32>
// CHECK: linalg.generic {indexing_maps = [#[[$LAST]], #{{.*}}]{{.*}} ins(%[[T]] :
// CHECK: tensor.extract %arg0
// CHECK-NOT: arith.mulf
func.func @resize_nearest(%x: tensor<2x3xf32>) -> tensor<2x6xf32> {
  %0 = gcomp.resize %x {mode = "nearest", coordinate_mode = "asymmetric", nearest_mode = "floor", scales = array<f64: 1.0, 2.0>} : tensor<2x3xf32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

// Linear, align_corners, 2 -> 3: source coordinates 0, 0.5, 1. As in the
// ONNX reference, an integral coordinate x takes the window (x - 1, x) with
// weights (0, 1), clamped at the edge: taps (0,0) (0,1) (0,1) with weights
// (0,1) (0.5,0.5) (0,1); the sum of two weighted reads.
// CHECK-LABEL: func.func @resize_linear
// CHECK-DAG: arith.constant dense<0> : tensor<3xi32>
// CHECK-DAG: arith.constant dense<[0.000000e+00, 5.000000e-01, 0.000000e+00]> : tensor<3xf32>
// CHECK-DAG: arith.constant dense<[0, 1, 1]> : tensor<3xi32>
// CHECK-DAG: arith.constant dense<[1.000000e+00, 5.000000e-01, 1.000000e+00]> : tensor<3xf32>
// CHECK: linalg.generic
// CHECK-COUNT-2: arith.mulf
// CHECK: arith.addf
func.func @resize_linear(%x: tensor<2xf32>) -> tensor<3xf32> {
  %0 = gcomp.resize %x {mode = "linear", coordinate_mode = "align_corners", scales = array<f64: 1.5>} : tensor<2xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// NonZero's positions: one pass over the mask that writes each true
// position at the next free place of a zero-filled result, and the count.
// CHECK-LABEL: func.func @nonzero_indices
// CHECK: %[[ZEROS:.*]] = linalg.fill ins(%{{.*}} : i64) outs(%{{.*}} : tensor<6xi64>)
// CHECK: %[[LOOP:.*]]:2 = scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %[[ZEROS]], %[[NEXT:.*]] = %{{.*}}) -> (tensor<6xi64>, index)
// CHECK: %[[BIT:.*]] = tensor.extract %{{.*}}[%[[I]]] : tensor<6xi1>
// CHECK: scf.if %[[BIT]] -> (tensor<6xi64>, index)
// CHECK: tensor.insert %{{.*}} into %[[OUT]][%[[NEXT]]]
// CHECK: %[[COUNT:.*]] = arith.index_cast %[[LOOP]]#1 : index to i64
// CHECK: tensor.from_elements %[[COUNT]] : tensor<i64>
func.func @nonzero_indices(%m: tensor<6xi1>) -> (tensor<6xi64>, tensor<i64>) {
  %i, %n = gcomp.nonzero_indices %m : tensor<6xi1> -> tensor<6xi64>, tensor<i64>
  return %i, %n : tensor<6xi64>, tensor<i64>
}

// -----

// Unique's runs: a new run where the value differs from the one before
// (floats compare ordered-equal), each element's run and the run lengths.
// CHECK-LABEL: func.func @unique_runs
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (tensor<5xf32>, tensor<5xi64>, tensor<5xi64>, tensor<5xi64>, index)
// CHECK: arith.cmpf oeq
// CHECK: scf.if {{.*}} -> (tensor<5xf32>, tensor<5xi64>, index)
// CHECK: tensor.from_elements
func.func @unique_runs(%s: tensor<5xf32>, %p: tensor<5xi64>) -> (tensor<5xf32>, tensor<5xi64>, tensor<5xi64>, tensor<5xi64>, tensor<i64>) {
  %v, %f, %inv, %c, %n = gcomp.unique_runs %s, %p : (tensor<5xf32>, tensor<5xi64>) -> (tensor<5xf32>, tensor<5xi64>, tensor<5xi64>, tensor<5xi64>, tensor<i64>)
  return %v, %f, %inv, %c, %n : tensor<5xf32>, tensor<5xi64>, tensor<5xi64>, tensor<5xi64>, tensor<i64>
}
