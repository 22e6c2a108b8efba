// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-emit-cuda-tables='sm=90' | FileCheck %s

// The format, the number of constants and the SM version; then one
// {host address, device offset, bytes} per constant.
// CHECK-LABEL: module attributes
// CHECK: llvm.mlir.global external hidden constant @__gcomp_cuda(dense<[1, 2, 90]> : tensor<3xi64>)
// CHECK: llvm.mlir.global external hidden constant @__gcomp_cuda_constants() {{.*}} : !llvm.array<2 x struct<(ptr, i64, i64)>> {
// CHECK: llvm.mlir.addressof @w : !llvm.ptr
// CHECK: llvm.mlir.constant(256 : i64) : i64
// CHECK: llvm.mlir.constant(16 : i64) : i64
// CHECK: llvm.mlir.addressof @b : !llvm.ptr
// CHECK: llvm.mlir.constant(512 : i64) : i64
// CHECK: llvm.return
module attributes {gcomp.cuda_constants = [[@w, 256, 16], [@b, 512, 8]]} {
  llvm.mlir.global private constant @w(dense<1.0> : tensor<4xf32>) : !llvm.array<4 x f32>
  llvm.mlir.global private constant @b(dense<2> : tensor<1xi64>) : !llvm.array<1 x i64>
}

// -----

// No constants: the table alone, and no constant list.
// CHECK-LABEL: module
// CHECK: @__gcomp_cuda(dense<[1, 0, 90]> : tensor<3xi64>)
// CHECK-NOT: __gcomp_cuda_constants
module {
}

// -----

// expected-error @below {{gcomp-emit-cuda-tables: constant @missing is not an LLVM global}}
module attributes {gcomp.cuda_constants = [[@missing, 0, 4]]} {
}
