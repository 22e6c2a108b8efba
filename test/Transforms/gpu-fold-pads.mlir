// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-gpu-fold-pads))' | FileCheck %s

// An im2col copy of a padded input, through the expand_shape that splits
// the channels into groups: the copy reads the source at the index minus
// the low padding, the padding value outside it, and the pad is gone.
// CHECK-LABEL: func.func @im2col
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x4x4xf32>)
// CHECK-NOT: tensor.pad
// CHECK-NOT: tensor.expand_shape
// CHECK: %[[COL:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: outs(
// CHECK: %[[H:.*]] = affine.apply
// CHECK: arith.subi %{{.*}}, %c1
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: arith.minsi
// CHECK: arith.maxsi
// CHECK: %[[E:.*]] = tensor.extract %[[X]][
// CHECK: %[[V:.*]] = arith.select %{{.*}}, %[[E]], %{{.*}} : f32
// CHECK: linalg.yield %[[V]] : f32
// CHECK: return %[[COL]]
func.func @im2col(%x: tensor<1x3x4x4xf32>) -> tensor<1x1x3x3x3x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x3x4x4xf32> to tensor<1x3x6x6xf32>
  %e = tensor.expand_shape %p [[0], [1, 2], [3], [4]] output_shape [1, 1, 3, 6, 6] : tensor<1x3x6x6xf32> into tensor<1x1x3x6x6xf32>
  %init = tensor.empty() : tensor<1x1x3x3x3x4x4xf32>
  %col = linalg.generic {indexing_maps = [affine_map<(n, g, c, kh, kw, h, w) -> (n, g, c, h + kh, w + kw)>,
                                          affine_map<(n, g, c, kh, kw, h, w) -> (n, g, c, kh, kw, h, w)>],
                         iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%e : tensor<1x1x3x6x6xf32>) outs(%init : tensor<1x1x3x3x3x4x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x1x3x3x3x4x4xf32>
  return %col : tensor<1x1x3x3x3x4x4xf32>
}

// -----

// A max pooling window over an input padded with -inf: the window's
// reduction keeps its other operands; the padding value is the select's.
// CHECK-LABEL: func.func @max_pool
// CHECK-NOT: tensor.pad
// CHECK: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}} : tensor<3xf32>)
// CHECK: tensor.extract
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[NEG]] : f32
// CHECK: arith.maximumf
func.func @max_pool(%x: tensor<2x4xf32>, %window: tensor<3xf32>, %init: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %neg = arith.constant 0xFF800000 : f32
  %p = tensor.pad %x low[0, 1] high[0, 1] {
  ^bb0(%a: index, %b: index):
    tensor.yield %neg : f32
  } : tensor<2x4xf32> to tensor<2x6xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, w, k) -> (n, w + k)>,
                                        affine_map<(n, w, k) -> (k)>,
                                        affine_map<(n, w, k) -> (n, w)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %window : tensor<2x6xf32>, tensor<3xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%in: f32, %k: f32, %acc: f32):
    %m = arith.maximumf %acc, %in : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Left alone: a padded input of a product (its tiled kernel reads plain
// tensors), and a pad also returned.
// CHECK-LABEL: func.func @kept
// CHECK: tensor.pad
// CHECK: linalg.matmul
// CHECK: tensor.pad
// CHECK: return
func.func @kept(%a: tensor<16x14xf32>, %b: tensor<16x16xf32>, %init: tensor<16x16xf32>, %c: tensor<4xf32>) -> (tensor<16x16xf32>, tensor<6xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %a low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<16x14xf32> to tensor<16x16xf32>
  %m = linalg.matmul ins(%p, %b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%init : tensor<16x16xf32>) -> tensor<16x16xf32>
  %q = tensor.pad %c low[1] high[1] {
  ^bb0(%i: index):
    tensor.yield %zero : f32
  } : tensor<4xf32> to tensor<6xf32>
  return %m, %q : tensor<16x16xf32>, tensor<6xf32>
}

// -----

// A generic product (what the lowering makes of MatMul) is a product too.
// CHECK-LABEL: func.func @generic_product
// CHECK: tensor.pad
func.func @generic_product(%a: tensor<16x14xf32>, %b: tensor<16x16xf32>, %init: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %a low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<16x14xf32> to tensor<16x16xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, k)>,
                                        affine_map<(i, j, k) -> (k, j)>,
                                        affine_map<(i, j, k) -> (i, j)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%init : tensor<16x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %t = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %t : f32
    linalg.yield %s : f32
  } -> tensor<16x16xf32>
  return %m : tensor<16x16xf32>
}

// -----

// Left alone: an empty source has no element to read, even at clamped
// indices.
// CHECK-LABEL: func.func @empty_source
// CHECK: tensor.pad
func.func @empty_source(%x: tensor<0x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[1, 0] high[1, 0] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<0x4xf32> to tensor<2x4xf32>
  %init = tensor.empty() : tensor<2x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<2x4xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
