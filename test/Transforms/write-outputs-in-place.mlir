// RUN: gcomp-opt %s -split-input-file -gcomp-write-outputs-in-place | FileCheck %s

// The kernel writes the output through a view of it; the copy and the
// buffer are gone.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IN:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<32xf32>)
// CHECK: %[[V:.*]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [4, 8], strides: [8, 1] : memref<32xf32> to memref<4x8xf32>
// CHECK: linalg.copy ins(%[[IN]] : memref<4x8xf32>) outs(%[[V]] : memref<4x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @main(%in: memref<4x8xf32>, %out: memref<32xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%a : memref<4x8xf32>)
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  memref.copy %flat, %out : memref<32xf32> to memref<32xf32>
  memref.dealloc %a : memref<4x8xf32>
  return
}

// -----

// The buffer is read after the copy: it must stay.
// CHECK-LABEL: func.func @main
// CHECK: memref.alloc
// CHECK: memref.copy
func.func @main(%in: memref<4x8xf32>, %out: memref<32xf32>, %out2: memref<4x8xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%a : memref<4x8xf32>)
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  memref.copy %flat, %out : memref<32xf32> to memref<32xf32>
  linalg.copy ins(%a : memref<4x8xf32>) outs(%out2 : memref<4x8xf32>)
  memref.dealloc %a : memref<4x8xf32>
  return
}

// -----

// A strided view's bytes are not the output's: the copy stays.
// CHECK-LABEL: func.func @main
// CHECK: memref.copy
func.func @main(%in: memref<4x8xf32>, %out: memref<4x4xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%a : memref<4x8xf32>)
  %half = memref.subview %a[0, 0] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  memref.copy %half, %out : memref<4x4xf32, strided<[8, 1]>> to memref<4x4xf32>
  memref.dealloc %a : memref<4x8xf32>
  return
}

// -----

// Not the entry function: left alone.
// CHECK-LABEL: func.func @other
// CHECK: memref.copy
func.func @other(%in: memref<4x8xf32>, %out: memref<32xf32>) {
  %a = memref.alloc() : memref<4x8xf32>
  linalg.copy ins(%in : memref<4x8xf32>) outs(%a : memref<4x8xf32>)
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  memref.copy %flat, %out : memref<32xf32> to memref<32xf32>
  return
}
