// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-parallel-calls | FileCheck %s

// A gcomp.parallel kernel gets a task that unpacks its pointers from the
// context array; its call becomes a parallel-for over the same range, with
// the pointers stored in a stack array.
// CHECK-LABEL: llvm.func @__gcomp_parallel_for(!llvm.ptr, !llvm.ptr, i64, i64)
// CHECK-LABEL: llvm.func internal @k.task(
// CHECK-SAME: %[[CTX:.*]]: !llvm.ptr, %[[LO:.*]]: i64, %[[HI:.*]]: i64)
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[CTX]][0]
// CHECK: %[[A:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[CTX]][1]
// CHECK: %[[B:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @k(%[[A]], %[[B]], %[[LO]], %[[HI]])
// CHECK-LABEL: llvm.func @main(
// CHECK-SAME: %[[X:.*]]: !llvm.ptr, %[[Y:.*]]: !llvm.ptr)
// CHECK: %[[ARR:.*]] = llvm.alloca %{{.*}} x !llvm.ptr
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[ARR]][0]
// CHECK: llvm.store %[[X]], %[[S0]]
// CHECK: %[[S:.*]] = llvm.getelementptr %[[ARR]][1]
// CHECK: llvm.store %[[Y]], %[[S]]
// CHECK: %[[T:.*]] = llvm.mlir.addressof @k.task
// CHECK: llvm.call @__gcomp_parallel_for(%[[T]], %[[ARR]], %{{.*}}, %{{.*}})
// CHECK-NOT: llvm.call @k(
// CHECK: llvm.call @plain(
module {
  llvm.func @k(%a: !llvm.ptr, %b: !llvm.ptr, %lo: i64, %hi: i64) attributes {gcomp.parallel} {
    llvm.return
  }
  llvm.func @plain(%a: !llvm.ptr) {
    llvm.return
  }
  llvm.func @main(%x: !llvm.ptr, %y: !llvm.ptr) {
    %lo = llvm.mlir.constant(0 : i64) : i64
    %hi = llvm.mlir.constant(256 : i64) : i64
    llvm.call @k(%x, %y, %lo, %hi) : (!llvm.ptr, !llvm.ptr, i64, i64) -> ()
    llvm.call @plain(%x) : (!llvm.ptr) -> ()
    llvm.return
  }
}

// -----

module {
  // expected-error @+1 {{a gcomp.parallel kernel takes pointers and then the i64 bounds of its range}}
  llvm.func @k(%a: !llvm.ptr, %n: f32, %lo: i64, %hi: i64) attributes {gcomp.parallel} {
    llvm.return
  }
}
