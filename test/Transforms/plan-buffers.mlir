// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-plan-buffers | FileCheck %s

// %a dies at the second call, so %b (used only after it) reuses its bytes;
// %c is live across both and gets its own. Largest first: %c (4096 bytes)
// at 0, %a and %b (1024 bytes each) after it. Deallocations go.
// CHECK-LABEL: module attributes
// CHECK-SAME: gcomp.buffer_bytes_lower_bound = 5120 : i64
// CHECK-SAME: gcomp.buffer_bytes_naive = 6144 : i64
// CHECK-SAME: gcomp.workspace_bytes = 5120 : i64
// CHECK: func.func @main(%[[X:.*]]: memref<256xf32>, %[[Y:.*]]: memref<256xf32>, %[[WS:.*]]: memref<5120xi8> {gcomp.workspace})
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[WS]][%[[C0]]][] : memref<5120xi8> to memref<1024xf32>
// CHECK: %[[C4096:.*]] = arith.constant 4096 : index
// CHECK: %[[A:.*]] = memref.view %[[WS]][%[[C4096]]][] : memref<5120xi8> to memref<256xf32>
// CHECK: call @k(%[[X]], %[[A]], %[[C]])
// CHECK: call @k(%[[A]], %[[Y]], %[[C]])
// CHECK: %[[C4096B:.*]] = arith.constant 4096 : index
// CHECK: %[[B:.*]] = memref.view %[[WS]][%[[C4096B]]][] : memref<5120xi8> to memref<256xf32>
// CHECK: call @k(%[[X]], %[[B]], %[[C]])
// CHECK: call @k(%[[B]], %[[Y]], %[[C]])
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return
// CHECK: llvm.mlir.global external hidden constant @__gcomp_workspace_bytes(dense<5120> : tensor<1xi64>)
module {
  func.func private @k(memref<256xf32>, memref<256xf32>, memref<1024xf32>)
  func.func @main(%x: memref<256xf32>, %y: memref<256xf32>) {
    %c = memref.alloc() {alignment = 64 : i64} : memref<1024xf32>
    %a = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
    call @k(%x, %a, %c) : (memref<256xf32>, memref<256xf32>, memref<1024xf32>) -> ()
    call @k(%a, %y, %c) : (memref<256xf32>, memref<256xf32>, memref<1024xf32>) -> ()
    %b = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
    call @k(%x, %b, %c) : (memref<256xf32>, memref<256xf32>, memref<1024xf32>) -> ()
    call @k(%b, %y, %c) : (memref<256xf32>, memref<256xf32>, memref<1024xf32>) -> ()
    memref.dealloc %a : memref<256xf32>
    memref.dealloc %b : memref<256xf32>
    memref.dealloc %c : memref<1024xf32>
    return
  }
}

// -----

// A buffer stays live as long as anything derived from it is used: here
// its address, taken early as an integer for a runtime call made late. So
// %b, allocated in between, must not share its bytes.
// CHECK-LABEL: module attributes
// CHECK-SAME: gcomp.workspace_bytes = 2048 : i64
// CHECK: func.func @main
// CHECK: arith.constant 0 : index
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<2048xi8> to memref<256xf32>
// CHECK: arith.constant 1024 : index
// CHECK: memref.view %{{.*}}[%{{.*}}][] : memref<2048xi8> to memref<256xf32>
module {
  func.func private @k(memref<256xf32>, memref<256xf32>)
  func.func private @gemm(i64)
  func.func @main(%x: memref<256xf32>, %y: memref<256xf32>) {
    %a = memref.alloc() : memref<256xf32>
    call @k(%x, %a) : (memref<256xf32>, memref<256xf32>) -> ()
    %view = memref.reinterpret_cast %a to offset: [0], sizes: [16, 16], strides: [16, 1] : memref<256xf32> to memref<16x16xf32>
    %p = memref.extract_aligned_pointer_as_index %view : memref<16x16xf32> -> index
    %pi = arith.index_cast %p : index to i64
    %b = memref.alloc() : memref<256xf32>
    call @k(%x, %b) : (memref<256xf32>, memref<256xf32>) -> ()
    call @k(%b, %y) : (memref<256xf32>, memref<256xf32>) -> ()
    call @gemm(%pi) : (i64) -> ()
    return
  }
}

// -----

// A kernel left inline in the entry (a loop nest) touches its buffers from
// inside its region: its position in the entry is what counts. %a is read
// by the loop, so %b, written by the loop, cannot share with it.
// CHECK-LABEL: module attributes
// CHECK-SAME: gcomp.workspace_bytes = 128 : i64
// CHECK: arith.constant 0 : index
// CHECK: arith.constant 64 : index
module {
  func.func private @k(memref<4xf32>)
  func.func @main(%x: memref<4xf32>) {
    %a = memref.alloc() : memref<4xf32>
    call @k(%a) : (memref<4xf32>) -> ()
    %b = memref.alloc() : memref<4xf32>
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c1 = arith.constant 1 : index
    scf.for %i = %c0 to %c4 step %c1 {
      %v = memref.load %a[%i] : memref<4xf32>
      memref.store %v, %b[%i] : memref<4xf32>
    }
    call @k(%b) : (memref<4xf32>) -> ()
    return
  }
}

// -----

// Dynamic shapes and buffers that leave the entry stay allocations; an
// entry without plannable buffers still gets an (empty) workspace.
// CHECK-LABEL: module attributes
// CHECK-SAME: gcomp.workspace_bytes = 0 : i64
// CHECK: func.func @main(%{{.*}}: index, %{{.*}}: memref<0xi8> {gcomp.workspace}) -> memref<4xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: memref.alloc() : memref<4xf32>
module {
  func.func private @k(memref<?xf32>, memref<4xf32>)
  func.func @main(%n: index) -> memref<4xf32> {
    %d = memref.alloc(%n) : memref<?xf32>
    %r = memref.alloc() : memref<4xf32>
    call @k(%d, %r) : (memref<?xf32>, memref<4xf32>) -> ()
    memref.dealloc %d : memref<?xf32>
    return %r : memref<4xf32>
  }
}

// -----

// expected-error @+1 {{gcomp-plan-buffers: no entry function 'main' with a body}}
module {
  func.func private @main(memref<4xf32>)
}

// -----

module {
  // expected-error @+1 {{gcomp-plan-buffers expects a straight-line entry function (one block), found 2 blocks}}
  func.func @main(%x: memref<4xf32>) {
    cf.br ^next
  ^next:
    return
  }
}
