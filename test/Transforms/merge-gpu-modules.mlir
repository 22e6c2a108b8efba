// RUN: gcomp-opt %s -split-input-file -gcomp-merge-gpu-modules | FileCheck %s

// Two outlined kernels of the same name, in modules of their own, end up
// in the first module, each named after the module it came from; the
// launches follow them.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: gpu.launch_func @k0::@k0 blocks
// CHECK: gpu.launch_func @k0::@k1 blocks
// CHECK: gpu.module @k0 {
// CHECK: gpu.func @k0(
// CHECK: gpu.func @k1(
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @main(%x: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k0::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    gpu.launch_func @k1::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<4xf32>)
    return
  }
  gpu.module @k0 {
    gpu.func @k0(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k1 {
    gpu.func @k0(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A module with anything but kernels in it stays on its own.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: gpu.launch_func @a::@f
// CHECK: gpu.launch_func @b::@f
// CHECK: gpu.module @a
// CHECK: gpu.module @b
// CHECK: gpu.func @helper
module attributes {gpu.container_module} {
  func.func @main() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @a::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    gpu.launch_func @b::@f blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
  gpu.module @a {
    gpu.func @f() kernel {
      gpu.return
    }
  }
  gpu.module @b {
    gpu.func @f() kernel {
      gpu.return
    }
    gpu.func @helper() {
      gpu.return
    }
  }
}
