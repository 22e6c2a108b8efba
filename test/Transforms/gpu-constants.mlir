// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-gpu-constants | FileCheck %s

// The weights go after the planned buffers (128 bytes), each on 256 bytes;
// a global read twice is placed once. The workspace argument, the function
// type and __gcomp_workspace_bytes grow to 768 bytes, and the module lists
// what the runtime copies where.
// CHECK-LABEL: module attributes {gcomp.cuda_constants = {{\[}}[@w, 256, 16], [@b, 512, 16]]}
// CHECK: func.func @main(%[[X:.*]]: memref<4xf32>, %[[Y:.*]]: memref<4xf32>, %[[WS:.*]]: memref<768xi8> {gcomp.workspace})
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[W:.*]] = memref.view %[[WS]][%[[C256]]][] : memref<768xi8> to memref<4xf32>
// CHECK: %[[W2:.*]] = memref.view %[[WS]][%{{.*}}][] : memref<768xi8> to memref<4xf32>
// CHECK: %[[C512:.*]] = arith.constant 512 : index
// CHECK: memref.view %[[WS]][%[[C512]]][] : memref<768xi8> to memref<2xi64>
// CHECK-NOT: memref.get_global
// CHECK: linalg.add ins(%[[X]], %[[W]] : {{.*}}) outs(%[[Y]] : memref<4xf32>)
// CHECK: linalg.add ins(%[[Y]], %[[W2]] : {{.*}}) outs(%[[Y]] : memref<4xf32>)
// CHECK: @__gcomp_workspace_bytes(dense<768> : tensor<1xi64>)
module {
  memref.global "private" constant @w : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]> {alignment = 64 : i64}
  memref.global "private" constant @b : memref<2xi64> = dense<[5, 6]>
  func.func @main(%x: memref<4xf32>, %y: memref<4xf32>, %ws: memref<128xi8> {gcomp.workspace}) {
    %w = memref.get_global @w : memref<4xf32>
    %w2 = memref.get_global @w : memref<4xf32>
    %b = memref.get_global @b : memref<2xi64>
    linalg.add ins(%x, %w : memref<4xf32>, memref<4xf32>) outs(%y : memref<4xf32>)
    linalg.add ins(%y, %w2 : memref<4xf32>, memref<4xf32>) outs(%y : memref<4xf32>)
    return
  }
  llvm.mlir.global external hidden constant @__gcomp_workspace_bytes(dense<128> : tensor<1xi64>) {addr_space = 0 : i32, alignment = 8 : i64} : !llvm.array<1 x i64>
}

// -----

// Without constants, only the table is recorded (empty).
// CHECK-LABEL: module attributes {gcomp.cuda_constants = []}
// CHECK: func.func @main(%{{.*}}: memref<4xf32>, %{{.*}}: memref<0xi8> {gcomp.workspace})
module {
  func.func @main(%x: memref<4xf32>, %ws: memref<0xi8> {gcomp.workspace}) {
    return
  }
}

// -----

// expected-error @below {{the CUDA target needs the entry's buffers planned into one workspace (gcomp-plan-buffers)}}
func.func @main(%x: memref<4xf32>) {
  return
}

// -----

func.func @main(%x: memref<4xf32>, %ws: memref<0xi8> {gcomp.workspace}) {
  // expected-error @below {{the CUDA target needs every buffer planned into the device workspace}}
  %a = memref.alloc() : memref<4xf32>
  return
}

// -----

func.func private @host(memref<4xf32>)
func.func @main(%x: memref<4xf32>, %ws: memref<0xi8> {gcomp.workspace}) {
  // expected-error @below {{the CUDA target cannot call host functions from the model (host)}}
  func.call @host(%x) : (memref<4xf32>) -> ()
  return
}

// -----

memref.global "private" @state : memref<4xf32> = dense<0.0>
func.func @main(%x: memref<4xf32>, %ws: memref<0xi8> {gcomp.workspace}) {
  // expected-error @below {{the CUDA target supports constant globals of static shape and identity layout only}}
  %s = memref.get_global @state : memref<4xf32>
  return
}
