// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-instrument-kernels | FileCheck %s

// Each kernel is bracketed by the runtime's timers, and the tables give its
// flops (2*M*N*K for the matmul, none for a fill) and the ONNX nodes.
// CHECK-LABEL: module
// CHECK: func.func private @__gcomp_prof_begin(i32)
// CHECK: func.func private @__gcomp_prof_end(i32)
// CHECK: %[[K0:.*]] = arith.constant 0 : i32
// CHECK: call @__gcomp_prof_begin(%[[K0]])
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: call @__gcomp_prof_end(%[[K0]])
// CHECK: %[[K1:.*]] = arith.constant 1 : i32
// CHECK: call @__gcomp_prof_begin(%[[K1]])
// CHECK-NEXT: linalg.matmul
// CHECK-NEXT: call @__gcomp_prof_end(%[[K1]])
// CHECK: @__gcomp_profile_kernels(dense<[2, 0, 48]> : tensor<3xi64>)
// CHECK: @__gcomp_profile_names("k0.fill\00fc1\00k1.matmul\00fc1,relu1\00")
func.func @main(%a: memref<2x3xf32>, %b: memref<3x4xf32>, %c: memref<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<2x4xf32>) loc("fc1")
  linalg.matmul ins(%a, %b : memref<2x3xf32>, memref<3x4xf32>) outs(%c : memref<2x4xf32>) loc(fused["fc1", "relu1"])
  return
}

// -----

// expected-error @+1 {{no entry function 'main'}}
module {
}
