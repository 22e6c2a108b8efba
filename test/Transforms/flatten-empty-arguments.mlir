// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-flatten-empty-arguments))' | FileCheck %s

// A zero-element argument becomes 1-D; the body sees its shape through a view.
// CHECK-LABEL: func.func @empty
// CHECK-SAME: (%[[A:.*]]: memref<0xf32>, %[[B:.*]]: memref<2x3xf32>)
// CHECK: %[[V:.*]] = memref.expand_shape %[[A]] {{\[\[}}0, 1, 2{{\]\]}} output_shape [3, 0, 5] : memref<0xf32> into memref<3x0x5xf32>
// CHECK: memref.copy %[[V]], %[[V]]
// CHECK: memref.copy %[[B]], %[[B]]
func.func @empty(%a: memref<3x0x5xf32>, %b: memref<2x3xf32>) {
  memref.copy %a, %a : memref<3x0x5xf32> to memref<3x0x5xf32>
  memref.copy %b, %b : memref<2x3xf32> to memref<2x3xf32>
  return
}

// -----

// Non-empty and 1-D arguments keep their types.
// CHECK-LABEL: func.func @kept
// CHECK-SAME: (%{{.*}}: memref<0xf32>, %{{.*}}: memref<4x4xf32>)
// CHECK-NOT: expand_shape
func.func @kept(%a: memref<0xf32>, %b: memref<4x4xf32>) {
  return
}
