// RUN: gcomp-opt %s -split-input-file -convert-gcomp-to-linalg | FileCheck %s

// Broadcasting reads index 0 of a size-1 dim and skips missing leading dims.
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[$VEC:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK: linalg.generic {indexing_maps = [#[[$COL]], #[[$VEC]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK-NOT: gcomp.
func.func @add_broadcast(%a: tensor<2x1xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = gcomp.add %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @int_div
// CHECK: arith.divsi
func.func @int_div(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = gcomp.div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// CHECK-LABEL: func.func @unary
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: math.tanh
func.func @unary(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = gcomp.relu %x : tensor<4xf32>
  %1 = gcomp.sigmoid %0 : tensor<4xf32>
  %2 = gcomp.tanh %1 : tensor<4xf32>
  return %2 : tensor<4xf32>
}

// -----

// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2, d3) -> (d3, d2)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @batched_matmul
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[ZERO]] :
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @batched_matmul(%a: tensor<8x4x16xf32>, %b: tensor<16x32xf32>) -> tensor<8x4x32xf32> {
  %0 = gcomp.matmul %a, %b : (tensor<8x4x16xf32>, tensor<16x32xf32>) -> tensor<8x4x32xf32>
  return %0 : tensor<8x4x32xf32>
}

// -----

// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$BT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @gemm
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$BT]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
// The epilogue scales by alpha and beta and adds the broadcast bias.
// CHECK: linalg.generic
// CHECK: arith.constant 5.000000e-01 : f32
// CHECK: arith.constant 2.000000e+00 : f32
// CHECK: arith.addf
func.func @gemm(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = gcomp.gemm %x, %w, %c {alpha = 0.5 : f32, beta = 2.0 : f32, trans_b = true} : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @softmax
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.fill ins(%[[NEGINF]]
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %0 = gcomp.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

// CHECK-LABEL: func.func @data_movement
// A reshape that merges (or splits) dims is a collapse_shape (or an
// expand_shape), which bufferizes into a view even of a strided buffer; any
// other stays a tensor.reshape of a constant shape.
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x3x4xf32> into tensor<6x4xf32>
// CHECK: linalg.transpose ins({{.*}}) outs({{.*}}) permutation = [1, 0]
// CHECK: arith.constant dense<1.000000e+00> : tensor<4x6xf32>
func.func @data_movement(%x: tensor<2x3x4xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %0 = gcomp.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = gcomp.transpose %0 {perm = array<i64: 1, 0>} : (tensor<6x4xf32>) -> tensor<4x6xf32>
  %2 = gcomp.constant dense<1.0> : tensor<4x6xf32>
  return %1, %2 : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

// A layer norm the runtime does not compute is written out again: two
// mean reductions (sum, then divide), the centring, the square root and
// the scale and shift, as linalg.
// CHECK-LABEL: func.func @layer_norm
// CHECK-NOT: gcomp.
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: arith.subf
// CHECK: iterator_types = ["parallel", "reduction"]
// CHECK: math.sqrt
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: gcomp.
func.func @layer_norm(%x: tensor<2x10xf16>, %g: tensor<10xf16>, %b: tensor<10xf16>) -> tensor<2x10xf16> {
  %0 = gcomp.layer_norm %x scale %g bias %b {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x10xf16>, tensor<10xf16>, tensor<10xf16>) -> tensor<2x10xf16>
  return %0 : tensor<2x10xf16>
}

// -----

// Sums of halves accumulate in f32 and round once: a mean divides in f32;
// a maximum stays in its own type (it is exact).
// CHECK-LABEL: func.func @half_reductions
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK: ins(%{{.*}} : tensor<4x512xf16>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[W:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: arith.addf %[[W]], %{{.*}} : f32
// CHECK: arith.divf %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: ins(%{{.*}} : tensor<4x512xf16>) outs(%{{.*}} : tensor<4xf16>)
// CHECK: arith.maximumf %{{.*}} : f16
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @half_reductions(%x: tensor<4x512xf16>) -> (tensor<4x1xf16>, tensor<4x1xf16>) {
  %m = gcomp.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x512xf16>) -> tensor<4x1xf16>
  %n = gcomp.reduce_max %x {axes = array<i64: 1>, keepdims = true} : (tensor<4x512xf16>) -> tensor<4x1xf16>
  return %m, %n : tensor<4x1xf16>, tensor<4x1xf16>
}

// -----

// A bf16 softmax sums its exps in f32 and divides in f32, rounding once.
// CHECK-LABEL: func.func @softmax_bf16
// CHECK: arith.maximumf %{{.*}} : bf16
// CHECK: math.exp %{{.*}} : bf16
// CHECK: outs(%{{.*}} : tensor<2xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.truncf %[[Q]] : f32 to bf16
func.func @softmax_bf16(%x: tensor<2x300xbf16>) -> tensor<2x300xbf16> {
  %0 = gcomp.softmax %x {axis = 1 : i64} : tensor<2x300xbf16>
  return %0 : tensor<2x300xbf16>
}

// -----

// A reshape that is no grouping of dims stays a tensor.reshape.
// CHECK-LABEL: func.func @reshape_regroup
// CHECK: %[[SHAPE:.*]] = arith.constant dense<[4, 6]> : tensor<2xi64>
// CHECK: tensor.reshape %{{.*}}(%[[SHAPE]])
func.func @reshape_regroup(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %0 = gcomp.reshape %x : tensor<2x3x4xf32> -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// A large splat constant is a fill, not a global written out element by
// element; a small one stays a constant.
// CHECK-LABEL: func.func @large_splat
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.500000e+00 : f32
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<65536x65536xf32>
// CHECK: linalg.fill ins(%[[ONE]] : f32) outs(%[[EMPTY]] : tensor<65536x65536xf32>)
// CHECK: arith.constant dense<2.000000e+00> : tensor<256x256xf32>
func.func @large_splat() -> (tensor<65536x65536xf32>, tensor<256x256xf32>) {
  %big = gcomp.constant dense<1.5> : tensor<65536x65536xf32>
  %small = gcomp.constant dense<2.0> : tensor<256x256xf32>
  return %big, %small : tensor<65536x65536xf32>, tensor<256x256xf32>
}

// -----

// uint8 held in i8: a cast marked unsigned_input zero-extends and converts
// as unsigned; unsigned_result converts a float to an unsigned integer.
// CHECK-LABEL: func.func @unsigned_casts
// CHECK: linalg.generic
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: linalg.generic
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: linalg.generic
// CHECK: arith.fptoui %{{.*}} : f32 to i8
// CHECK: linalg.generic
// CHECK: arith.extsi %{{.*}} : i8 to i32
func.func @unsigned_casts(%q: tensor<4xi8>, %f: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xf32>, tensor<4xi8>, tensor<4xi32>) {
  %a = gcomp.cast %q {unsigned_input} : tensor<4xi8> -> tensor<4xi32>
  %b = gcomp.cast %q {unsigned_input} : tensor<4xi8> -> tensor<4xf32>
  %c = gcomp.cast %f {unsigned_result} : tensor<4xf32> -> tensor<4xi8>
  %d = gcomp.cast %q : tensor<4xi8> -> tensor<4xi32>
  return %a, %b, %c, %d : tensor<4xi32>, tensor<4xf32>, tensor<4xi8>, tensor<4xi32>
}

// -----

// An integer convolution (ConvInteger) is a loop nest of i32 multiply-adds.
// CHECK-LABEL: func.func @conv_i32
// CHECK: linalg.generic
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK-NOT: arith.addf
func.func @conv_i32(%x: tensor<1x2x4x4xi32>, %w: tensor<3x2x3x3xi32>) -> tensor<1x3x2x2xi32> {
  %y = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xi32>, tensor<3x2x3x3xi32>) -> tensor<1x3x2x2xi32>
  return %y : tensor<1x3x2x2xi32>
}

// -----

// Shifts are total: an amount outside [0, 8) (compared as unsigned, so a
// negative one too) gives 0, or the sign for an arithmetic right shift
// (which shifts by 7 instead).
// CHECK-LABEL: func.func @shifts
// CHECK: %[[W:.*]] = arith.constant 8 : i8
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[B:.*]], %[[W]] : i8
// CHECK: %[[SHL:.*]] = arith.shli
// CHECK: arith.select %[[IN]], %[[SHL]], %{{.*}} : i8
// CHECK: arith.shrui
// CHECK: arith.select
// CHECK: %[[IN2:.*]] = arith.cmpi ult
// CHECK: %[[AMT:.*]] = arith.select %[[IN2]], %{{.*}}, %{{.*}} : i8
// CHECK: arith.shrsi %{{.*}}, %[[AMT]] : i8
func.func @shifts(%a: tensor<4xi8>, %b: tensor<4xi8>) -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi8>) {
  %l = gcomp.shift_left %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %r = gcomp.shift_right %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %s = gcomp.shift_right_arith %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %l, %r, %s : tensor<4xi8>, tensor<4xi8>, tensor<4xi8>
}

// -----

// Not flips every bit: xor with all ones, for bools (true) and for the
// integers of BitwiseNot (-1); And/Or/Xor of integers are the bitwise ops.
// CHECK-LABEL: func.func @bitwise
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: arith.xori %{{.*}}, %[[TRUE]] : i1
// CHECK: %[[ONES:.*]] = arith.constant -1 : i16
// CHECK: arith.xori %{{.*}}, %[[ONES]] : i16
// CHECK: arith.andi %{{.*}}, %{{.*}} : i16
// CHECK: arith.ori %{{.*}}, %{{.*}} : i16
// CHECK: arith.xori %{{.*}}, %{{.*}} : i16
func.func @bitwise(%p: tensor<4xi1>, %a: tensor<4xi16>, %b: tensor<4xi16>) -> (tensor<4xi1>, tensor<4xi16>, tensor<4xi16>, tensor<4xi16>, tensor<4xi16>) {
  %np = gcomp.not %p : tensor<4xi1>
  %na = gcomp.not %a : tensor<4xi16>
  %and = gcomp.and %a, %b : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  %or = gcomp.or %a, %b : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  %xor = gcomp.xor %a, %b : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi16>
  return %np, %na, %and, %or, %xor : tensor<4xi1>, tensor<4xi16>, tensor<4xi16>, tensor<4xi16>, tensor<4xi16>
}
