// RUN: gcomp-opt %s -split-input-file -gcomp-dynamic-entry -verify-diagnostics | FileCheck %s

// A memref with a dynamic dim becomes a pointer; the last parameter points
// at the run's dims (every input's, then every output's), from which the
// body rebuilds a row-major descriptor. Static memrefs (the workspace, a
// static output) keep their type.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: !llvm.ptr, %[[Y:.*]]: memref<4x2xf32>, %[[Z:.*]]: !llvm.ptr, %[[WS:.*]]: memref<64xi8> {gcomp.workspace}, %[[DIMS:.*]]: !llvm.ptr {gcomp.dims})
// x is dims 0-1 (dim 0 dynamic), y 2-3, z 4-5 (dim 1 dynamic: slot 5).
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[DIMS]][0] : (!llvm.ptr) -> !llvm.ptr, i64
// CHECK: %[[N:.*]] = llvm.load %[[S0]] : !llvm.ptr -> i64
// CHECK: llvm.insertvalue %[[X]], %{{.*}}[0]
// CHECK: llvm.insertvalue %[[X]], %{{.*}}[1]
// CHECK: %[[XM:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<?x3xf32>
// CHECK: llvm.getelementptr %[[DIMS]][5]
// CHECK: %[[ZM:.*]] = builtin.unrealized_conversion_cast %{{.*}} to memref<5x?xf32>
// CHECK: memref.dim %[[XM]]
// CHECK: memref.dim %[[ZM]]
module attributes {gcomp.num_inputs = 1 : i64, gcomp.num_outputs = 2 : i64} {
  func.func @main(%x: memref<?x3xf32>, %y: memref<4x2xf32>, %z: memref<5x?xf32>, %ws: memref<64xi8> {gcomp.workspace}) attributes {gcomp.dynamic_entry} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %a = memref.dim %x, %c0 : memref<?x3xf32>
    %b = memref.dim %z, %c1 : memref<5x?xf32>
    return
  }
}

// -----

// Without the mark (a static model) nothing changes.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%{{.*}}: memref<2xf32>, %{{.*}}: memref<2xf32>)
module attributes {gcomp.num_inputs = 1 : i64, gcomp.num_outputs = 1 : i64} {
  func.func @main(%x: memref<2xf32>, %y: memref<2xf32>) {
    return
  }
}

// -----

// A strided dynamic memref has no room in the convention.
module attributes {gcomp.num_inputs = 1 : i64, gcomp.num_outputs = 0 : i64} {
  // expected-error @+1 {{parameter 0 has a dynamic shape and a layout}}
  func.func @main(%x: memref<?x3xf32, strided<[6, 1]>>) attributes {gcomp.dynamic_entry} {
    return
  }
}
