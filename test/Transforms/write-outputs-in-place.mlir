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

// Symbolic dims: a buffer of [n, 2, 8] (n rows of a product: batch * seq)
// reshaped to the output [batch, seq, 8]. The view's sizes are the
// allocation's, its strides products of them.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IN:.*]]: memref<?x2x8xf32>, %[[OUT:.*]]: memref<?x?x8xf32>, %[[SHAPE:.*]]: memref<3xindex>)
// CHECK: %[[N:.*]] = memref.dim %[[IN]]
// CHECK: %[[V:.*]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [%[[N]], 2, 8], strides: [16, 8, 1] : memref<?x?x8xf32> to memref<?x2x8xf32>
// CHECK: linalg.copy ins(%[[IN]] : memref<?x2x8xf32>) outs(%[[V]] : memref<?x2x8xf32>)
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: return
func.func @main(%in: memref<?x2x8xf32>, %out: memref<?x?x8xf32>, %shape: memref<3xindex>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %in, %c0 : memref<?x2x8xf32>
  %a = memref.alloc(%n) : memref<?x2x8xf32>
  linalg.copy ins(%in : memref<?x2x8xf32>) outs(%a : memref<?x2x8xf32>)
  %r = memref.reshape %a(%shape) : (memref<?x2x8xf32>, memref<3xindex>) -> memref<?x?x8xf32>
  memref.copy %r, %out : memref<?x?x8xf32> to memref<?x?x8xf32>
  memref.dealloc %a : memref<?x2x8xf32>
  return
}

// -----

// Two symbolic dims in the buffer: the outer stride is computed.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IN:.*]]: memref<?x?x8xf32>, %[[OUT:.*]]: memref<?x8xf32>)
// CHECK-DAG: %[[B:.*]] = memref.dim %[[IN]], %c0
// CHECK-DAG: %[[S:.*]] = memref.dim %[[IN]], %c1
// CHECK: %[[STRIDE:.*]] = arith.muli %{{.*}}, %[[S]] : index
// CHECK: %[[V:.*]] = memref.reinterpret_cast %[[OUT]] to offset: [0], sizes: [%[[B]], %[[S]], 8], strides: [%[[STRIDE]], 8, 1] : memref<?x8xf32> to memref<?x?x8xf32>
// CHECK-NOT: memref.copy
func.func @main(%in: memref<?x?x8xf32>, %out: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = memref.dim %in, %c0 : memref<?x?x8xf32>
  %s = memref.dim %in, %c1 : memref<?x?x8xf32>
  %a = memref.alloc(%b, %s) : memref<?x?x8xf32>
  linalg.copy ins(%in : memref<?x?x8xf32>) outs(%a : memref<?x?x8xf32>)
  %flat = memref.collapse_shape %a [[0, 1], [2]] : memref<?x?x8xf32> into memref<?x8xf32>
  memref.copy %flat, %out : memref<?x8xf32> to memref<?x8xf32>
  memref.dealloc %a : memref<?x?x8xf32>
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
