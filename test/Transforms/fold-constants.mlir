// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-fold-constants))' | FileCheck %s
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-fold-constants{limit=16}))' | FileCheck %s --check-prefix=CAP

// A weight transposed, scaled, reshaped and square-rooted by the graph is
// one constant; the op that reads the input stays.
// CHECK-LABEL: func.func @weight_chain
// CHECK-NEXT: %[[C:.*]] = gcomp.constant dense<[1.41421354, 3.1622777, 2.000000e+00, 3.46410155, 2.44948983, 3.7416575, 2.82842708, 4.000000e+00]> : tensor<8xf32>
// CHECK-NEXT: %[[Y:.*]] = gcomp.add %arg0, %[[C]]
// CHECK-NEXT: return %[[Y]]
// Over a 16-byte cap the 32-byte results stay ops.
// CAP-LABEL: func.func @weight_chain
// CAP: gcomp.transpose
// CAP: gcomp.mul
// CAP: gcomp.sqrt
func.func @weight_chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w = gcomp.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %t = gcomp.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x4xf32>) -> tensor<4x2xf32>
  %two = gcomp.constant dense<2.0> : tensor<f32>
  %s = gcomp.mul %t, %two : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %r = gcomp.reshape %s : tensor<4x2xf32> -> tensor<8xf32>
  %q = gcomp.sqrt %r : tensor<8xf32>
  %y = gcomp.add %x, %q : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Resource blobs (weights) fold too, with broadcasting along both
// operands: a = [10, 20] down, b = [1, 2] across.
// CHECK-LABEL: func.func @resources
// CHECK-NEXT: %[[C:.*]] = gcomp.constant dense<{{\[}}[1.100000e+01, 1.200000e+01], [2.100000e+01, 2.200000e+01]]> : tensor<2x2xf32>
// CHECK-NEXT: return %[[C]]
func.func @resources() -> tensor<2x2xf32> {
  %a = gcomp.constant dense_resource<a> : tensor<2x1xf32>
  %b = gcomp.constant dense_resource<b> : tensor<1x2xf32>
  %y = gcomp.add %a, %b : (tensor<2x1xf32>, tensor<1x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      a: "0x04000000000020410000A041",
      b: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// Equal blobs under different names (a weight the exporter duplicated)
// become one constant. Different bytes stay apart.
// CHECK-LABEL: func.func @duplicates
// CHECK-COUNT-2: gcomp.constant dense_resource
// CHECK-NOT: gcomp.constant
// CHECK: return %[[A:.*]], %[[A]], %[[D:.*]] :
func.func @duplicates() -> (tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %a = gcomp.constant dense_resource<w1> : tensor<16xf32>
  %b = gcomp.constant dense_resource<w2> : tensor<16xf32>
  %d = gcomp.constant dense_resource<w3> : tensor<16xf32>
  return %a, %b, %d : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w1: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F",
      w2: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F",
      w3: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F00000040"
    }
  }
#-}

// -----

// Not folded: an op that reads a non-constant, an op the pass does not
// evaluate (a softmax), an f16 arithmetic op.
// CHECK-LABEL: func.func @kept
// CHECK: gcomp.mul %arg0
// CHECK: gcomp.softmax
// CHECK: gcomp.add
func.func @kept(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf16>) {
  %c = gcomp.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %m = gcomp.mul %x, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %s = gcomp.softmax %c {axis = 0 : i64} : tensor<2xf32>
  %h = gcomp.constant dense<[1.0, 2.0]> : tensor<2xf16>
  %a = gcomp.add %h, %h : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xf16>
  return %m, %s, %a : tensor<2xf32>, tensor<2xf32>, tensor<2xf16>
}

// -----

// The size cap holds for operands as well as results: a splat over the cap
// is never expanded to be read, even under an op whose result is small
// (expanding this one would need 256 GB).
// CHECK-LABEL: func.func @huge_splat_operand
// CHECK: gcomp.constant dense<1.000000e+00> : tensor<262144x262144xf32>
// CHECK: gcomp.reduce_sum
// CAP-LABEL: func.func @huge_splat_operand
// CAP: gcomp.reduce_sum
func.func @huge_splat_operand() -> tensor<f32> {
  %c = gcomp.constant dense<1.0> : tensor<262144x262144xf32>
  %r = gcomp.reduce_sum %c {axes = array<i64: 0, 1>, keepdims = false} : (tensor<262144x262144xf32>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A quantized model's weights: int8 (a resource blob: -1, 2, -128, 127)
// widened to i32 less a per-row zero point [1, -1], and dequantized to f32
// by a per-row scale; uint8 (255, 128) reads as unsigned.
// CHECK-LABEL: func.func @quantized_weights
// CHECK-DAG: gcomp.constant dense<{{\[}}[-2, 1], [-127, 128]]> : tensor<2x2xi32>
// CHECK-DAG: gcomp.constant dense<{{\[}}[-1.000000e+00, 5.000000e-01], [-3.175000e+01, 3.200000e+01]]> : tensor<2x2xf32>
// CHECK-DAG: gcomp.constant dense<[2.550000e+02, 1.280000e+02]> : tensor<2xf32>
// CHECK-NOT: gcomp.cast
// CHECK-NOT: gcomp.sub
func.func @quantized_weights() -> (tensor<2x2xi32>, tensor<2x2xf32>, tensor<2xf32>) {
  %w = gcomp.constant dense_resource<w> : tensor<2x2xi8>
  %zp = gcomp.constant dense<[[1], [-1]]> : tensor<2x1xi32>
  %scale = gcomp.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %ww = gcomp.cast %w : tensor<2x2xi8> -> tensor<2x2xi32>
  %centered = gcomp.sub %ww, %zp : (tensor<2x2xi32>, tensor<2x1xi32>) -> tensor<2x2xi32>
  %f = gcomp.cast %centered : tensor<2x2xi32> -> tensor<2x2xf32>
  %dq = gcomp.mul %f, %scale : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x2xf32>
  %u = gcomp.constant dense_resource<u> : tensor<2xi8>
  %uf = gcomp.cast %u {unsigned_input} : tensor<2xi8> -> tensor<2xf32>
  return %centered, %dq, %uf : tensor<2x2xi32>, tensor<2x2xf32>, tensor<2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x01000000FF02807F",
      u: "0x01000000FF80"
    }
  }
#-}
