// RUN: gcomp-opt %s -split-input-file -gcomp-gemm-to-runtime-call -canonicalize | FileCheck %s

// A transposed-B product (Gemm transB): C[m, n] += A[m, k] * B[n, k]. The
// call passes sizes, then per operand its address and element strides
// (A: 784 and 1 along m and k; B: 1 along k, 784 along n; C: 128 and 1).
#a = affine_map<(m, n, k) -> (m, k)>
#bt = affine_map<(m, n, k) -> (n, k)>
#c = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func private @__gcomp_sgemm(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @linear
// CHECK-DAG: %[[M:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[N:.*]] = arith.constant 128 : i64
// CHECK-DAG: %[[K:.*]] = arith.constant 784 : i64
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i64
// CHECK: %[[PA:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[A:.*]] = arith.index_cast %[[PA]] : index to i64
// CHECK: %[[PB:.*]] = memref.extract_aligned_pointer_as_index %arg1
// CHECK: %[[B:.*]] = arith.index_cast %[[PB]] : index to i64
// CHECK: %[[PC:.*]] = memref.extract_aligned_pointer_as_index %arg2
// CHECK: %[[C:.*]] = arith.index_cast %[[PC]] : index to i64
// CHECK: call @__gcomp_sgemm(%[[M]], %[[N]], %[[K]], %[[A]], %[[K]], %[[ONE]], %[[B]], %[[ONE]], %[[K]], %[[C]], %[[N]], %[[ONE]], %[[ONE]], %[[ZERO]], %[[ZERO]], %[[ZERO]])
// CHECK-NOT: linalg.generic
func.func @linear(%a: memref<2x784xf32>, %b: memref<128x784xf32>, %c: memref<2x128xf32>) {
  linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<2x784xf32>, memref<128x784xf32>) outs(%c : memref<2x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Two batch dims (an attention product): the inner one is the GEMM's batch,
// the outer one a loop that advances the three addresses (in bytes).
// CHECK-LABEL: func.func @attention
// CHECK: scf.for %[[H:.*]] = %{{.*}} to %{{.*}} step %{{.*}} : i64
// CHECK: arith.muli %[[H]], %{{.*}} : i64
// CHECK: call @__gcomp_sgemm
// CHECK-NOT: linalg.generic
func.func @attention(%q: memref<2x4x8x16xf32>, %k: memref<2x4x16x8xf32>, %s: memref<2x4x8x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(b, h, i, j, d) -> (b, h, i, d)>,
                                   affine_map<(b, h, i, j, d) -> (b, h, d, j)>,
                                   affine_map<(b, h, i, j, d) -> (b, h, i, j)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<2x4x8x16xf32>, memref<2x4x16x8xf32>) outs(%s : memref<2x4x8x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Not products the GEMM computes: a fused epilogue in the body, f16, an
// output that is also an input. They stay loop nests.
// CHECK-LABEL: func.func @not_gemm
// CHECK-NOT: call
// CHECK-COUNT-3: linalg.generic
func.func @not_gemm(%a: memref<4x4xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>,
                    %h: memref<4x4xf16>, %hc: memref<4x4xf16>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %x, %z : f32
    %p = arith.mulf %r, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%h, %h : memref<4x4xf16>, memref<4x4xf16>) outs(%hc : memref<4x4xf16>) {
  ^bb0(%x: f16, %y: f16, %acc: f16):
    %p = arith.mulf %x, %y : f16
    %s = arith.addf %acc, %p : f16
    linalg.yield %s : f16
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %c : memref<4x4xf32>, memref<4x4xf32>) outs(%c : memref<4x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A constant B (a weight) is packed at compile time into the runtime's
// panel layout (16 columns per panel, zero-padded; model_abi.h), the call
// takes the packed copy, and the original global, now unread, is dropped.
// CHECK-LABEL: func.func private @__gcomp_sgemm_packed_b(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-NOT: memref.global "private" constant @w :
// CHECK: memref.global "private" constant @w.packed : memref<32xf32> = dense_resource<w.packed> {alignment = 64 : i64}
// CHECK-LABEL: func.func @weights
// CHECK: %[[W:.*]] = memref.get_global @w.packed : memref<32xf32>
// CHECK: %[[PW:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
// CHECK: %[[B:.*]] = arith.index_cast %[[PW]] : index to i64
// CHECK: call @__gcomp_sgemm_packed_b(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[B]],
// CHECK-NOT: linalg.generic
// Rows of the panel: 1 2 3, thirteen zeros, then 4 5 6 and zeros.
// CHECK: w.packed: "0x400000000000803F0000004000004040{{(00000000)+}}000080400000A0400000C040
memref.global "private" constant @w : memref<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>
func.func @weights(%a: memref<4x2xf32>, %c: memref<4x3xf32>) {
  %w = memref.get_global @w : memref<2x3xf32>
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<4x2xf32>, memref<2x3xf32>) outs(%c : memref<4x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}
