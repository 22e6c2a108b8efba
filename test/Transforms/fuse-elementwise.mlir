// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(convert-gcomp-to-linalg,gcomp-fuse-elementwise))' | FileCheck %s
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(convert-gcomp-to-linalg,gcomp-fuse-elementwise{test-miscompile}))' | FileCheck %s --check-prefix=BROKEN

// A chain of elementwise ops becomes one loop nest.
// CHECK-LABEL: func.func @chain
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: math.tanh
// CHECK-NOT: linalg.generic
// BROKEN-LABEL: func.func @chain
// BROKEN: arith.subf
// BROKEN-NOT: arith.addf
func.func @chain(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %0 = gcomp.add %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %1 = gcomp.relu %0 : tensor<8xf32>
  %2 = gcomp.tanh %1 : tensor<8xf32>
  return %2 : tensor<8xf32>
}

// -----

// A producer with two users is not fused (it would be computed twice).
// CHECK-LABEL: func.func @shared
// CHECK-COUNT-3: linalg.generic
// BROKEN-LABEL: func.func @shared
// BROKEN: arith.addf
func.func @shared(%a: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = gcomp.add %a, %b : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %1 = gcomp.relu %0 : tensor<8xf32>
  %2 = gcomp.tanh %0 : tensor<8xf32>
  return %1, %2 : tensor<8xf32>, tensor<8xf32>
}
