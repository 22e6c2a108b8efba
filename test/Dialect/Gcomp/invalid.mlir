// RUN: gcomp-opt %s -split-input-file -verify-diagnostics

func.func @no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+2 {{shapes [2,3] and [4] do not broadcast (dim 1: 3 vs 4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @wrong_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x3xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<3x3xf32>
  return
}

// -----

func.func @mixed_types(%a: tensor<2xf32>, %b: tensor<2xi64>) {
  // expected-error @+1 {{requires the same element type for all operands}}
  %0 = gcomp.mul %a, %b : (tensor<2xf32>, tensor<2xi64>) -> tensor<2xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x4xf32>, %b: tensor<5x3xf32>) {
  // expected-error @+2 {{contraction dims differ: [2,4] x [5,3] (K = 4 vs 5)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.matmul %a, %b : (tensor<2x4xf32>, tensor<5x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gemm_rank(%a: tensor<2x4x1xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+2 {{gemm operands must be 2-D, got [2,4,1] and [4,3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.gemm %a, %b : (tensor<2x4x1xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gemm_c(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>, %c: tensor<2x3x1xf32>) {
  // expected-error @+2 {{C of shape [2,3,1] does not broadcast to [M, N] = [2,3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.gemm %a, %b, %c : (tensor<2x4xf32>, tensor<4x3xf32>, tensor<2x3x1xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @perm(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{perm is not a permutation of [0, rank)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = gcomp.transpose %x {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x2xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{cannot reshape [2,3] (6 elements) to [4,2] (8 elements)}}
  %0 = gcomp.reshape %x : tensor<2x3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis 2 is out of range for a tensor of rank 2}}
  %0 = gcomp.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return
}

// -----

func.func @relu_int(%x: tensor<2xi32>) {
  // expected-error @+1 {{must be ranked tensor of floating-point values}}
  %0 = gcomp.relu %x : tensor<2xi32>
  return
}
