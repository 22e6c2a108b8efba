// RUN: gcomp-opt %s -split-input-file -gcomp-integer-matmul-kernels | FileCheck %s

// (cast(x) - z) @ cast(W): W (int8, 5 x 3) packed into one 32-column
// block of two 4-deep steps (256 bytes) with its 32 column sums; the
// uint8 activations and their zero point go to gcomp.qmatmul unchanged.
// CHECK-LABEL: func.func @dynamic_uint8
// CHECK-SAME: (%[[X:.*]]: tensor<2x4x5xi8>, %[[Z:.*]]: tensor<i8>)
// CHECK-DAG: %[[P:.*]] = gcomp.constant dense<{{.*}}> : tensor<256xi8>
// CHECK-DAG: %[[S:.*]] = gcomp.constant dense<[6, -3, 9, 0, {{.*}}]> : tensor<32xi32>
// CHECK-DAG: %[[ZW:.*]] = gcomp.cast %[[Z]] {unsigned_input} : tensor<i8> -> tensor<i32>
// CHECK: %[[Y:.*]] = gcomp.qmatmul %[[X]], %[[ZW]], %[[P]], %[[S]] {k = 5 : i64, n = 3 : i64} : (tensor<2x4x5xi8>, tensor<i32>, tensor<256xi8>, tensor<32xi32>) -> tensor<2x4x3xi32>
// CHECK-NOT: gcomp.matmul
// CHECK: return %[[Y]]
func.func @dynamic_uint8(%x: tensor<2x4x5xi8>, %z: tensor<i8>) -> tensor<2x4x3xi32> {
  %w = gcomp.constant dense<[[1, -2, 3], [1, 1, 1], [2, -2, 2], [1, 0, 1], [1, 0, 2]]> : tensor<5x3xi8>
  %xw = gcomp.cast %x {unsigned_input} : tensor<2x4x5xi8> -> tensor<2x4x5xi32>
  %zw = gcomp.cast %z {unsigned_input} : tensor<i8> -> tensor<i32>
  %xc = gcomp.sub %xw, %zw : (tensor<2x4x5xi32>, tensor<i32>) -> tensor<2x4x5xi32>
  %ww = gcomp.cast %w : tensor<5x3xi8> -> tensor<5x3xi32>
  %y = gcomp.matmul %xc, %ww : (tensor<2x4x5xi32>, tensor<5x3xi32>) -> tensor<2x4x3xi32>
  return %y : tensor<2x4x3xi32>
}

// -----

// int8 activations without a zero point: lhs_signed and a zero of 0.
// CHECK-LABEL: func.func @signed_no_zero_point
// CHECK: %[[Z:.*]] = gcomp.constant dense<0> : tensor<i32>
// CHECK: gcomp.qmatmul %{{.*}}, %[[Z]], %{{.*}}, %{{.*}} {k = 4 : i64, lhs_signed, n = 2 : i64}
func.func @signed_no_zero_point(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  %w = gcomp.constant dense<[[1, -2], [3, 4], [-5, 6], [7, -8]]> : tensor<4x2xi32>
  %xw = gcomp.cast %x : tensor<3x4xi8> -> tensor<3x4xi32>
  %y = gcomp.matmul %xw, %w : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
  return %y : tensor<3x2xi32>
}

// -----

// uint8 weights less their zero point (1) span [-1, 254] and [2, 253]
// per column: the kernel multiplies by them shifted into int8 (by -130 and
// -131: 124, -128, 120, -124 in the first column) and the shifts' share,
// shift * rowsum(x - z), is subtracted after.
// CHECK-LABEL: func.func @uint8_weights
// CHECK: %[[XW:.*]] = gcomp.cast %arg0 : tensor<3x4xi8> -> tensor<3x4xi32>
// CHECK: %[[P:.*]] = gcomp.constant dense<"0x7C807884{{.*}}"> : tensor<128xi8>
// CHECK: %[[Q:.*]] = gcomp.qmatmul %arg0, %{{.*}}, %[[P]], %{{.*}} {k = 4 : i64, lhs_signed, n = 2 : i64}
// CHECK: %[[R:.*]] = gcomp.reduce_sum %[[XW]] {axes = array<i64: 1>} : (tensor<3x4xi32>) -> tensor<3x1xi32>
// CHECK: %[[C:.*]] = gcomp.constant dense<{{\[\[}}-130, -131]]> : tensor<1x2xi32>
// CHECK: %[[M:.*]] = gcomp.mul %[[R]], %[[C]] : (tensor<3x1xi32>, tensor<1x2xi32>) -> tensor<3x2xi32>
// CHECK: %[[Y:.*]] = gcomp.sub %[[Q]], %[[M]]
// CHECK: return %[[Y]]
func.func @uint8_weights(%x: tensor<3x4xi8>) -> tensor<3x2xi32> {
  %u = gcomp.constant dense<[[-1, -2], [3, 4], [-5, 6], [7, -8]]> : tensor<4x2xi8>
  %zp = gcomp.constant dense<1> : tensor<i32>
  %xw = gcomp.cast %x : tensor<3x4xi8> -> tensor<3x4xi32>
  %uw = gcomp.cast %u {unsigned_input} : tensor<4x2xi8> -> tensor<4x2xi32>
  %uc = gcomp.sub %uw, %zp : (tensor<4x2xi32>, tensor<i32>) -> tensor<4x2xi32>
  %a = gcomp.matmul %xw, %uc : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
  return %a : tensor<3x2xi32>
}

// -----

// Weights whose columns span more than 256 values, weights computed at run
// time and a per-row zero point keep the i32 product.
// CHECK-LABEL: func.func @not_int8
// CHECK-NOT: gcomp.qmatmul
// CHECK: gcomp.matmul
// CHECK: gcomp.matmul
// CHECK: gcomp.matmul
// CHECK-NOT: gcomp.qmatmul
func.func @not_int8(%x: tensor<3x4xi8>, %v: tensor<4x2xi8>, %rows: tensor<3x1xi32>) -> (tensor<3x2xi32>, tensor<3x2xi32>, tensor<3x2xi32>) {
  %w = gcomp.constant dense<[[1, -2], [3, 4], [-5, 6], [7, -8]]> : tensor<4x2xi8>
  %wide = gcomp.constant dense<[[-200, 1], [3, 4], [100, 6], [7, -8]]> : tensor<4x2xi32>
  %xw = gcomp.cast %x : tensor<3x4xi8> -> tensor<3x4xi32>
  %a = gcomp.matmul %xw, %wide : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
  %vw = gcomp.cast %v : tensor<4x2xi8> -> tensor<4x2xi32>
  %b = gcomp.matmul %xw, %vw : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
  %ww = gcomp.cast %w : tensor<4x2xi8> -> tensor<4x2xi32>
  %xr = gcomp.sub %xw, %rows : (tensor<3x4xi32>, tensor<3x1xi32>) -> tensor<3x4xi32>
  %c = gcomp.matmul %xr, %ww : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
  return %a, %b, %c : tensor<3x2xi32>, tensor<3x2xi32>, tensor<3x2xi32>
}
