// RUN: gcomp-opt %s -split-input-file -convert-gcomp-to-linalg | FileCheck %s

// A 3x3 conv becomes im2col (a copy whose input map is o * stride + k) and
// one contraction [G, M/G, Kc] x [N, G, Kc, P] whose initial value is the
// bias: the product gcomp-gemm-to-runtime-call hands to the GEMM.
// CHECK-DAG: #[[$COLIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d5 * 2 + d3, d6 * 2 + d4)>
// CHECK-DAG: #[[$W:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d2, d4)>
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
// CHECK-LABEL: func.func @conv3x3
// CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[$COLIN]], {{.*}}]{{.*}} outs(%{{.*}} : tensor<1x1x4x3x3x4x4xf32>)
// CHECK: %[[COL2:.*]] = tensor.collapse_shape %[[COL]] {{.*}} into tensor<1x1x36x16xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x8x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$W]], #[[$COL]], {{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: outs(%[[INIT]] :
func.func @conv3x3(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = gcomp.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// 1x1 at stride 1: the input already is the im2col matrix.
// CHECK-LABEL: func.func @conv1x1
// CHECK-NOT: tensor.pad
// CHECK: tensor.collapse_shape %{{.*}} into tensor<2x1x16x64xf32>
// CHECK: linalg.fill
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
func.func @conv1x1(%x: tensor<2x16x8x8xf32>, %w: tensor<32x16x1x1xf32>) -> tensor<2x32x8x8xf32> {
  %0 = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<2x16x8x8xf32>, tensor<32x16x1x1xf32>) -> tensor<2x32x8x8xf32>
  return %0 : tensor<2x32x8x8xf32>
}

// -----

// Depthwise convs keep the direct loop nest (a 1-row product per channel
// would waste the GEMM).
// CHECK-LABEL: func.func @depthwise
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
func.func @depthwise(%x: tensor<1x8x6x6xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %0 = gcomp.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 8 : i64} : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// A half-precision conv is an im2col product too, its terms widened into
// an f32 accumulator that starts from the widened bias: one rounding to
// f16, at the end (sums of hundreds of f16 terms lose digits otherwise;
// onnxruntime and cuDNN sum in f32).
// CHECK-LABEL: func.func @conv3x3_f16
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x8x1xf16>) outs(%{{.*}} : tensor<1x1x8x4xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x8x36xf16>, tensor<1x1x36x4xf16>) outs(%{{.*}} : tensor<1x1x8x4xf32>)
// CHECK: %[[X:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[Y:.*]] = arith.extf %{{.*}} : f16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK: arith.addf %{{.*}}, %[[P]] : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: return %{{.*}} : tensor<1x8x2x2xf16>
func.func @conv3x3_f16(%x: tensor<1x4x4x4xf16>, %w: tensor<8x4x3x3xf16>, %b: tensor<8xf16>) -> tensor<1x8x2x2xf16> {
  %0 = gcomp.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x4x4x4xf16>, tensor<8x4x3x3xf16>, tensor<8xf16>) -> tensor<1x8x2x2xf16>
  return %0 : tensor<1x8x2x2xf16>
}

// -----

// A bf16 depthwise conv keeps its loop nest, summing in f32; the bias is
// added in f32 before the one rounding.
// CHECK-LABEL: func.func @depthwise_bf16
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x8x1x4x4xf32>)
// CHECK: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.addf %{{.*}} : f32
// CHECK: linalg.generic
// CHECK: %[[BIAS:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.addf %{{.*}}, %[[BIAS]] : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: return %{{.*}} : tensor<1x8x4x4xbf16>
func.func @depthwise_bf16(%x: tensor<1x8x6x6xbf16>, %w: tensor<8x1x3x3xbf16>, %b: tensor<8xbf16>) -> tensor<1x8x4x4xbf16> {
  %0 = gcomp.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 8 : i64} : (tensor<1x8x6x6xbf16>, tensor<8x1x3x3xbf16>, tensor<8xbf16>) -> tensor<1x8x4x4xbf16>
  return %0 : tensor<1x8x4x4xbf16>
}
