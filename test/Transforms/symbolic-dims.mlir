// RUN: gcomp-opt %s -split-input-file -gcomp-symbolic-dims -verify-diagnostics | FileCheck %s

// Each dynamic output dim is traced back to the input dim that gives it;
// dynamic input dims read as one loop must be equal at run time. The table
// (model_abi.h, GCOMP_SYM_DYNAMIC_DIMS): version 2; 2 output records
// (output 0 dim 0 = input 0 dim 0, output 0 dim 1 = input 0 dim 1); 1
// equality (input 0 dim 1 = input 1 dim 0); no formulas.
// CHECK-LABEL: func.func @main
// CHECK-SAME: attributes {gcomp.dynamic_entry}
// CHECK: llvm.mlir.global external hidden constant @__gcomp_dynamic_dims(dense<[2, 2, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0]> : tensor<16xi64>)
#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d1, d2)>
func.func @main(%x: tensor<?x?x8xf32> {gcomp.name = "x"}, %bias: tensor<?x8xf32> {gcomp.name = "bias"}) -> (tensor<?x?x8xf32> {gcomp.name = "y"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x8xf32>
  %s = tensor.dim %x, %c1 : tensor<?x?x8xf32>
  %e = tensor.empty(%b, %s) : tensor<?x?x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %bias : tensor<?x?x8xf32>, tensor<?x8xf32>) outs(%e : tensor<?x?x8xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %r = arith.addf %in, %in_0 : f32
    linalg.yield %r : f32
  } -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// -----

// A static entry is left alone.
// CHECK-LABEL: func.func @main
// CHECK-NOT: gcomp.dynamic_entry
// CHECK-NOT: __gcomp_dynamic_dims
func.func @main(%x: tensor<2x8xf32> {gcomp.name = "x"}) -> (tensor<2x8xf32> {gcomp.name = "y"}) {
  return %x : tensor<2x8xf32>
}

// -----

// An output size computed from the data cannot be known before the run.
func.func @main(%x: tensor<?xf32> {gcomp.name = "x"}, %n: index) -> (tensor<?xf32> {gcomp.name = "y"}) {
  // expected-error @-1 {{output 'y': dim 0 is symbolic, and its size is neither an input's dim nor a polynomial in them}}
  %e = tensor.empty(%n) : tensor<?xf32>
  return %e : tensor<?xf32>
}

// -----

// The runtime's fused conv writes as many images as its input has into
// init, here another input (a residual): their batches must agree.
// CHECK-LABEL: func.func @main
// CHECK: @__gcomp_dynamic_dims(dense<[2, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0]>
func.func @main(%x: tensor<?x8x8x16xf32> {gcomp.name = "x"}, %y: tensor<?x8x8x16xf32> {gcomp.name = "y"}) -> (tensor<?x8x8x16xf32> {gcomp.name = "o"}) {
  %w = arith.constant dense<0.0> : tensor<2304xf32>
  %0 = gcomp.fused_conv %x, %w, %y {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, accumulate} : (tensor<?x8x8x16xf32>, tensor<2304xf32>, tensor<?x8x8x16xf32>) -> tensor<?x8x8x16xf32>
  return %0 : tensor<?x8x8x16xf32>
}

// -----

// The runtime's attention takes its batch and s from the query, t from Kt
// and the mask as the scores' shape: the value's and the mask's sizes must
// agree with them. A causal attention over symbolic sizes has t = s: the
// query and the keys here come from different inputs, so their sequences
// must be equal. Records: output 0 dim 0 = q dim 0, output 0 dim 1 = q dim
// 1; 4 equalities: q0 = kt0, q0 = v0, q1 = kt2 (causal), q1 = v1.
// CHECK-LABEL: func.func @main
// CHECK: @__gcomp_dynamic_dims(dense<[2, 2, 0, 0, 0, 0, 0, 1, 0, 1, 4, 0, 0, 1, 0, 0, 0, 2, 0, 0, 1, 1, 2, 0, 1, 2, 1, 0]>
func.func @main(%q: tensor<?x?x4xf32> {gcomp.name = "q"}, %kt: tensor<?x4x?xf32> {gcomp.name = "kt"}, %v: tensor<?x?x4xf32> {gcomp.name = "v"}) -> (tensor<?x?x4xf32> {gcomp.name = "o"}) {
  %o = gcomp.attention %q, %kt, %v {causal, scale = 1.0 : f32} : (tensor<?x?x4xf32>, tensor<?x4x?xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  return %o : tensor<?x?x4xf32>
}

// -----

// Without `causal`, s and t are independent (cross-attention); a padding
// mask [batch, 1, t] must have the keys' count. Records: as above; 5
// equalities: q0 = kt0, q0 = v0, q0 = mask0 (the batch), kt2 = v1, kt2 =
// mask2 (the keys).
// CHECK-LABEL: func.func @main
// CHECK: @__gcomp_dynamic_dims(dense<[2, 2, 0, 0, 0, 0, 0, 1, 0, 1, 5, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 2, 2, 1, 1, 2, 3, 2, 0]>
func.func @main(%q: tensor<?x?x4xf32> {gcomp.name = "q"}, %kt: tensor<?x4x?xf32> {gcomp.name = "kt"}, %v: tensor<?x?x4xf32> {gcomp.name = "v"}, %m: tensor<?x1x?xf32> {gcomp.name = "m"}) -> (tensor<?x?x4xf32> {gcomp.name = "o"}) {
  %o = gcomp.attention %q, %kt, %v mask %m {scale = 1.0 : f32} : (tensor<?x?x4xf32>, tensor<?x4x?xf32>, tensor<?x?x4xf32>, tensor<?x1x?xf32>) -> tensor<?x?x4xf32>
  return %o : tensor<?x?x4xf32>
}

// -----

// An output dim that is a polynomial in the input dims (a KV cache's
// past + seq: two inputs concatenated) is a formula the runtime computes:
// no output record, no equality, 1 formula: output 0 dim 0 has 2 terms,
// 1 * a0 and 1 * b0.
// CHECK-LABEL: func.func @main
// CHECK: @__gcomp_dynamic_dims(dense<[2, 0, 0, 1, 0, 0, 2, 1, 1, 0, 0, 1, 1, 1, 0]>
func.func @main(%a: tensor<?x4xf32> {gcomp.name = "a"}, %b: tensor<?x4xf32> {gcomp.name = "b"}) -> (tensor<?x4xf32> {gcomp.name = "ab"}) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x4xf32>
  %m = tensor.dim %b, %c0 : tensor<?x4xf32>
  %s = arith.addi %n, %m : index
  %e = tensor.empty(%s) : tensor<?x4xf32>
  %r = tensor.insert_slice %a into %e[0, 0] [%n, 4] [1, 1] : tensor<?x4xf32> into tensor<?x4xf32>
  %r2 = tensor.insert_slice %b into %r[%n, 0] [%m, 4] [1, 1] : tensor<?x4xf32> into tensor<?x4xf32>
  return %r2 : tensor<?x4xf32>
}
