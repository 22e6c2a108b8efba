// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-test-perturb-node=node=fc2 | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK: %[[M:.*]] = gcomp.matmul
// CHECK: %[[ONE:.*]] = gcomp.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[P:.*]] = gcomp.add %[[M]], %[[ONE]]
// CHECK: gcomp.relu %[[P]]
func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = gcomp.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32> loc("fc2")
  %1 = gcomp.relu %0 : tensor<2x4xf32> loc("relu")
  return %1 : tensor<2x4xf32>
}

// -----

// expected-error @+1 {{no op comes from ONNX node 'fc2'}}
module {
  func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {
    return %a : tensor<2xf32>
  }
}
