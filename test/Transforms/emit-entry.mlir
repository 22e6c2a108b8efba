// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-emit-entry | FileCheck %s

// CHECK-LABEL: module
// CHECK: llvm.func internal @main(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: llvm.func hidden @__gcomp_entry(%[[IN:.*]]: !llvm.ptr, %[[OUT:.*]]: !llvm.ptr, %{{.*}}: !llvm.ptr) -> i32
// CHECK: %[[S0:.*]] = llvm.getelementptr %[[IN]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[A:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S1:.*]] = llvm.getelementptr %[[IN]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[B:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[S2:.*]] = llvm.getelementptr %[[OUT]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[Y:.*]] = llvm.load %[[S2]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.call @main(%[[A]], %[[B]], %[[Y]])
// CHECK: llvm.return %{{.*}} : i32
module attributes {gcomp.num_inputs = 2 : i64, gcomp.num_outputs = 1 : i64} {
  llvm.func @main(%a: !llvm.ptr, %b: !llvm.ptr, %y: !llvm.ptr) {
    llvm.return
  }
}

// -----

// The workspace of gcomp-plan-buffers is passed on; its attribute goes.
// CHECK-LABEL: module
// CHECK: llvm.func internal @main(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-NOT: gcomp.workspace
// CHECK: llvm.func hidden @__gcomp_entry(%[[IN:.*]]: !llvm.ptr, %[[OUT:.*]]: !llvm.ptr, %[[WS:.*]]: !llvm.ptr) -> i32
// CHECK: %[[X:.*]] = llvm.load
// CHECK: %[[Y:.*]] = llvm.load
// CHECK: llvm.call @main(%[[X]], %[[Y]], %[[WS]])
module attributes {gcomp.num_inputs = 1 : i64, gcomp.num_outputs = 1 : i64} {
  llvm.func @main(%x: !llvm.ptr, %y: !llvm.ptr, %ws: !llvm.ptr {gcomp.workspace}) {
    llvm.return
  }
}

// -----

// A third parameter that is not the workspace is an error.
module attributes {gcomp.num_inputs = 1 : i64, gcomp.num_outputs = 1 : i64} {
  // expected-error @+1 {{expected 2 pointer parameters}}
  llvm.func @main(%x: !llvm.ptr, %y: !llvm.ptr, %z: !llvm.ptr) {
    llvm.return
  }
}

// -----

// expected-error @+1 {{expected a lowered entry function 'main'}}
module {
  llvm.func @main(%a: !llvm.ptr) {
    llvm.return
  }
}

// -----

module attributes {gcomp.num_inputs = 1 : i64, gcomp.num_outputs = 1 : i64} {
  // expected-error @+1 {{expected 2 pointer parameters}}
  llvm.func @main(%a: !llvm.ptr) {
    llvm.return
  }
}
