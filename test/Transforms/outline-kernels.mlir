// RUN: gcomp-opt %s -split-input-file -gcomp-outline-kernels | FileCheck %s

// Each kernel moves into a private, never-inlined function named after its
// index, op and ONNX nodes; the entry calls them in order. Buffers are
// arguments; constants, globals and their views are rebuilt inside.
memref.global "private" constant @w : memref<6xf32> = dense<1.0>

// CHECK-LABEL: func.func private @gcomp.k0.fill.fc1(
// CHECK-SAME: %[[OUT:.*]]: memref<2x3xf32>) attributes {llvm.no_inline}
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: linalg.fill ins(%[[ZERO]] : f32) outs(%[[OUT]] : memref<2x3xf32>)
// CHECK-LABEL: func.func private @gcomp.k1.generic.fc1.relu_1(
// CHECK-SAME: %[[X:.*]]: memref<2x3xf32>, %[[Y:.*]]: memref<2x3xf32>) attributes {llvm.no_inline}
// CHECK: %[[G:.*]] = memref.get_global @w : memref<6xf32>
// CHECK: %[[W:.*]] = memref.expand_shape %[[G]]
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[Y]] :
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[A:.*]]: memref<2x3xf32>, %[[B:.*]]: memref<2x3xf32>)
// CHECK: call @gcomp.k0.fill.fc1(%[[B]])
// CHECK-NEXT: call @gcomp.k1.generic.fc1.relu_1(%[[A]], %[[B]])
// CHECK-NEXT: return
func.func @main(%a: memref<2x3xf32>, %b: memref<2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %g = memref.get_global @w : memref<6xf32>
  %w = memref.expand_shape %g [[0, 1]] output_shape [2, 3] : memref<6xf32> into memref<2x3xf32>
  linalg.fill ins(%zero : f32) outs(%b : memref<2x3xf32>) loc(#fc1)
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a, %w : memref<2x3xf32>, memref<2x3xf32>) outs(%b : memref<2x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %s = arith.mulf %x, %y : f32
    %t = arith.addf %acc, %s : f32
    linalg.yield %t : f32
  } loc(#fused)
  return
}
#fc1 = loc("fc1")
#fused = loc(fused["fc1", "relu/1"])

// -----

// A kernel that reads a strided view of a buffer it must take as an
// argument has no bare-pointer interface: it stays in the entry.
// CHECK-LABEL: func.func @strided
// CHECK-NOT: call
// CHECK: memref.copy
func.func @strided(%a: memref<4x4xf32>, %b: memref<2x2xf32>) {
  %v = memref.subview %a[0, 0] [2, 2] [2, 2] : memref<4x4xf32> to memref<2x2xf32, strided<[8, 2]>>
  memref.copy %v, %b : memref<2x2xf32, strided<[8, 2]>> to memref<2x2xf32>
  return
}
