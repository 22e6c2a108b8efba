// RUN: gcomp-opt %s -canonicalize | FileCheck %s

// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[R:.*]] = gcomp.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = gcomp.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = gcomp.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// A chain of transposes is one transpose; one that undoes the other is
// none.
// CHECK-LABEL: func.func @transpose_chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.*]] = gcomp.transpose %[[X]] {perm = array<i64: 2, 1, 0>} : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
// CHECK-NEXT: return %[[T]], %[[X]]
func.func @transpose_chain(%x: tensor<2x3x4xf32>) -> (tensor<4x3x2xf32>, tensor<2x3x4xf32>) {
  %0 = gcomp.transpose %x {perm = array<i64: 1, 2, 0>} : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = gcomp.transpose %0 {perm = array<i64: 1, 0, 2>} : (tensor<3x4x2xf32>) -> tensor<4x3x2xf32>
  %2 = gcomp.transpose %x {perm = array<i64: 0, 2, 1>} : (tensor<2x3x4xf32>) -> tensor<2x4x3xf32>
  %3 = gcomp.transpose %2 {perm = array<i64: 0, 2, 1>} : (tensor<2x4x3xf32>) -> tensor<2x3x4xf32>
  return %1, %3 : tensor<4x3x2xf32>, tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @identity_ops
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: gcomp.
// CHECK: return %[[X]]
func.func @identity_ops(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = gcomp.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = gcomp.reshape %0 : tensor<2x3xf32> -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @constant_reshape
// CHECK: %[[C:.*]] = gcomp.constant dense<{{\[}}[1, 2], [3, 4]]> : tensor<2x2xi64>
// CHECK-NEXT: return %[[C]]
func.func @constant_reshape() -> tensor<2x2xi64> {
  %0 = gcomp.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %1 = gcomp.reshape %0 : tensor<4xi64> -> tensor<2x2xi64>
  return %1 : tensor<2x2xi64>
}

// A constant uint8 200 (i8 -56) widens to 200 when the cast reads it as
// unsigned, to -56 when it does not.
// CHECK-LABEL: func.func @fold_unsigned_cast
// CHECK-DAG: gcomp.constant dense<200> : tensor<i32>
// CHECK-DAG: gcomp.constant dense<-56> : tensor<i32>
// CHECK-DAG: gcomp.constant dense<2.000000e+02> : tensor<f32>
func.func @fold_unsigned_cast() -> (tensor<i32>, tensor<i32>, tensor<f32>) {
  %c = gcomp.constant dense<-56> : tensor<i8>
  %u = gcomp.cast %c {unsigned_input} : tensor<i8> -> tensor<i32>
  %s = gcomp.cast %c : tensor<i8> -> tensor<i32>
  %f = gcomp.cast %c {unsigned_input} : tensor<i8> -> tensor<f32>
  return %u, %s, %f : tensor<i32>, tensor<i32>, tensor<f32>
}
