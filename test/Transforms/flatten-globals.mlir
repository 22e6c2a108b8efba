// RUN: gcomp-opt %s -gcomp-flatten-globals | FileCheck %s

// A rank-4 weight is stored 1-D and seen through an expand_shape view; a
// 1-D global and a mutable one stay as they are.
// CHECK-LABEL: module
// CHECK: memref.global "private" constant @w : memref<8xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00, 8.000000e+00]>
// CHECK: memref.global "private" constant @v : memref<2xf32>
// CHECK: memref.global "private" @m : memref<2x2xf32>
// CHECK-LABEL: func.func @use
// CHECK: %[[FLAT:.*]] = memref.get_global @w : memref<8xf32>
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[FLAT]] {{\[}}[0, 1, 2, 3]] output_shape [2, 1, 2, 2] : memref<8xf32> into memref<2x1x2x2xf32>
// CHECK: return %[[VIEW]]
module {
  memref.global "private" constant @w : memref<2x1x2x2xf32> = dense<[[[[1.0, 2.0], [3.0, 4.0]]], [[[5.0, 6.0], [7.0, 8.0]]]]>
  memref.global "private" constant @v : memref<2xf32> = dense<[1.0, 2.0]>
  memref.global "private" @m : memref<2x2xf32> = dense<0.0>
  func.func @use() -> memref<2x1x2x2xf32> {
    %0 = memref.get_global @w : memref<2x1x2x2xf32>
    return %0 : memref<2x1x2x2xf32>
  }
}
