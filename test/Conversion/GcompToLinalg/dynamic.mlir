// RUN: gcomp-opt %s -convert-gcomp-to-linalg -verify-diagnostics

// Symbolic dims are not lowered yet: the conversion must fail loudly.
func.func @dynamic(%a: tensor<?x3xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{failed to legalize operation 'gcomp.add' that was explicitly marked illegal}}
  %0 = gcomp.add %a, %b : (tensor<?x3xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
