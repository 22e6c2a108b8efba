// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -gcomp-emit-model-abi="cpu-features=avx2,fma producer=9.9" | FileCheck %s

// The table: abi version 1, 2 inputs, 1 output; x: f32 [2,4]; n: i64 [?];
// y: f32 [2,3].
// CHECK-LABEL: module attributes {gcomp.num_inputs = 2 : i64, gcomp.num_outputs = 1 : i64}
// CHECK: llvm.mlir.global external hidden constant @__gcomp_signature(dense<[2, 2, 1, 1, 2, 2, 4, 7, 1, -1, 1, 2, 2, 3]> : tensor<14xi64>)
// CHECK: llvm.mlir.global external hidden constant @__gcomp_names("x\00n\00y\00")
// CHECK: llvm.mlir.global external hidden constant @__gcomp_cpu_features("avx2,fma\00")
// CHECK: llvm.mlir.global external hidden constant @__gcomp_producer("9.9\00")
func.func @main(%x: tensor<2x4xf32> {gcomp.name = "x"}, %n: tensor<?xi64> {gcomp.name = "n"}) -> (tensor<2x3xf32> {gcomp.name = "y"}) {
  %0 = gcomp.constant dense<1.0> : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// An unsigned input keeps its ONNX type (uint8 = 2) through gcomp.elem_type.
// CHECK-LABEL: module
// CHECK: @__gcomp_signature(dense<[2, 1, 0, 2, 1, 4]> : tensor<6xi64>)
func.func @main(%x: tensor<4xi8> {gcomp.name = "pixels", gcomp.elem_type = 2 : i64}) {
  return
}

// -----

// expected-error @+1 {{no entry function 'main'}}
module {
  func.func @other() {
    return
  }
}

// -----

// An output whose size depends on the data: -1 in the dims that vary, its
// bound in __gcomp_output_bounds (1 such output: output 1, bound [2, 6]),
// and the result after the outputs (its actual dims) is not an output;
// gcomp.num_outputs counts every pointer the entry takes.
// CHECK-LABEL: module attributes {gcomp.num_inputs = 1 : i64, gcomp.num_outputs = 3 : i64}
// CHECK: @__gcomp_signature(dense<[2, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 7, 2, 2, -1]> : tensor<15xi64>)
// CHECK: @__gcomp_output_bounds(dense<[1, 1, 2, 6]> : tensor<4xi64>)
func.func @main(%x: tensor<2x3xf32> {gcomp.name = "x"}) -> (tensor<2x3xf32> {gcomp.name = "y"}, tensor<2x6xi64> {gcomp.name = "nz", gcomp.data_dependent_dims = array<i64: 1>}, tensor<2xi64> {gcomp.dims_of = 1 : i64}) {
  %0 = gcomp.constant dense<0> : tensor<2x6xi64>
  %1 = gcomp.constant dense<[2, 0]> : tensor<2xi64>
  return %x, %0, %1 : tensor<2x3xf32>, tensor<2x6xi64>, tensor<2xi64>
}

// -----

// expected-error @+1 {{result 1 gives the dims of result 0, which is not a later data-dependent output}}
func.func @main(%x: tensor<2x3xf32> {gcomp.name = "x"}) -> (tensor<2x3xf32> {gcomp.name = "y"}, tensor<2xi64> {gcomp.dims_of = 0 : i64}) {
  %1 = gcomp.constant dense<[2, 0]> : tensor<2xi64>
  return %x, %1 : tensor<2x3xf32>, tensor<2xi64>
}
