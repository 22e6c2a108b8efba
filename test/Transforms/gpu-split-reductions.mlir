// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-gpu-split-reductions))' | FileCheck %s
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-gpu-split-reductions{min-blocks=1}))' | FileCheck %s --check-prefix=NEVER

// With min-blocks=1 every product has enough tiles (up to @full_sum, last).
// NEVER-NOT: tensor.expand_shape

// A 3x3 convolution of 512 channels at 7x7 as an im2col product: 512 x 49
// outputs (32 tiles of 32x32) of 4,608 terms. Split 9 ways (288 tiles of
// 512 terms): both inputs' k split into (9, 512), nine partial sums from
// zero, then the output's initial value plus the nine, in order.
// CHECK-LABEL: func.func @late_convolution
// CHECK-SAME: (%[[W:.*]]: tensor<1x512x4608xf32>, %[[X:.*]]: tensor<1x1x4608x49xf32>, %[[INIT:.*]]: tensor<1x1x512x49xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[W2:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0], [1], [2, 3]] output_shape [1, 512, 9, 512] : tensor<1x512x4608xf32> into tensor<1x512x9x512xf32>
// CHECK-DAG: %[[X2:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1], [2, 3], [4]] output_shape [1, 1, 9, 512, 49] : tensor<1x1x4608x49xf32> into tensor<1x1x9x512x49xf32>
// CHECK-DAG: %[[EMPTY:.*]] = tensor.empty() : tensor<9x1x1x512x49xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<9x1x1x512x49xf32>)
// CHECK: %[[PARTIAL:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "parallel"]
// CHECK-SAME: ins(%[[W2]], %[[X2]] : tensor<1x512x9x512xf32>, tensor<1x1x9x512x49xf32>) outs(%[[FILL]] : tensor<9x1x1x512x49xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[PARTIAL]] : tensor<9x1x1x512x49xf32>) outs(%[[INIT]] : tensor<1x1x512x49xf32>)
// CHECK: ^bb0(%[[P:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: %[[T:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK: linalg.yield %[[T]]
// CHECK: return %[[SUM]]
#lhs = affine_map<(b, g, m, n, k) -> (g, m, k)>
#rhs = affine_map<(b, g, m, n, k) -> (b, g, k, n)>
#out = affine_map<(b, g, m, n, k) -> (b, g, m, n)>
func.func @late_convolution(%w: tensor<1x512x4608xf32>, %x: tensor<1x1x4608x49xf32>, %init: tensor<1x1x512x49xf32>) -> tensor<1x1x512x49xf32> {
  %y = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %x : tensor<1x512x4608xf32>, tensor<1x1x4608x49xf32>) outs(%init : tensor<1x1x512x49xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x1x512x49xf32>
  return %y : tensor<1x1x512x49xf32>
}

// -----

// Left as they are: a short sum (256 terms); enough tiles already (64 x
// 12544 outputs); a body that is not a sum (max-plus); integers.
// CHECK-LABEL: func.func @not_split
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: linalg.fill
func.func @not_split(%a: tensor<64x256xf32>, %b: tensor<256x64xf32>, %c: tensor<64x64xf32>,
                     %w: tensor<64x1024xf32>, %x: tensor<1024x12544xf32>, %y: tensor<64x12544xf32>,
                     %p: tensor<64x1024xf32>, %q: tensor<1024x64xf32>,
                     %i: tensor<64x1024xi32>, %j: tensor<1024x64xi32>, %k: tensor<64x64xi32>)
    -> (tensor<64x64xf32>, tensor<64x12544xf32>, tensor<64x64xf32>, tensor<64x64xi32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<64x256xf32>, tensor<256x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  %1 = linalg.matmul ins(%w, %x : tensor<64x1024xf32>, tensor<1024x12544xf32>) outs(%y : tensor<64x12544xf32>) -> tensor<64x12544xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                        affine_map<(m, n, k) -> (k, n)>,
                                        affine_map<(m, n, k) -> (m, n)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %q : tensor<64x1024xf32>, tensor<1024x64xf32>) outs(%c : tensor<64x64xf32>) {
  ^bb0(%u: f32, %v: f32, %acc: f32):
    %s = arith.addf %u, %v : f32
    %m = arith.maximumf %acc, %s : f32
    linalg.yield %m : f32
  } -> tensor<64x64xf32>
  %3 = linalg.matmul ins(%i, %j : tensor<64x1024xi32>, tensor<1024x64xi32>) outs(%k : tensor<64x64xi32>) -> tensor<64x64xi32>
  return %0, %1, %2, %3 : tensor<64x64xf32>, tensor<64x12544xf32>, tensor<64x64xf32>, tensor<64x64xi32>
}

// -----

// A long sum over one input with few outputs (a global pooling of 32
// channels at 112 x 112: 32 warps of 12,544 terms) is split on its
// outermost reduction loop: 28 partial sums of 4 x 112 terms each (896
// warps), then their sum into the output.
// CHECK-LABEL: func.func @global_pool
// CHECK-SAME: (%[[X:.*]]: tensor<1x32x112x112xf32>, %[[INIT:.*]]: tensor<1x32xf32>)
// CHECK: %[[X2:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1], [2, 3], [4]] output_shape [1, 32, 28, 4, 112] : tensor<1x32x112x112xf32> into tensor<1x32x28x4x112xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<28x1x32xf32>)
// CHECK: %[[PARTIAL:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[X2]] : tensor<1x32x28x4x112xf32>) outs(%[[FILL]] : tensor<28x1x32xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[PARTIAL]] : tensor<28x1x32xf32>) outs(%[[INIT]] : tensor<1x32xf32>)
// CHECK: return %[[SUM]]
func.func @global_pool(%x: tensor<1x32x112x112xf32>, %init: tensor<1x32xf32>) -> tensor<1x32xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>,
                                        affine_map<(n, c, h, w) -> (n, c)>],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<1x32x112x112xf32>) outs(%init : tensor<1x32xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<1x32xf32>
  return %y : tensor<1x32xf32>
}

// -----

// Left alone: enough outputs for the GPU (4,096 rows), short rows (1,024
// terms), a max.
// CHECK-LABEL: func.func @reductions_not_split
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: linalg.fill
func.func @reductions_not_split(%a: tensor<4096x4096xf32>, %b: tensor<4096xf32>,
                                %c: tensor<16x1024xf32>, %d: tensor<16xf32>,
                                %e: tensor<16x8192xf32>)
    -> (tensor<4096xf32>, tensor<16xf32>, tensor<16xf32>) {
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%a : tensor<4096x4096xf32>) outs(%b : tensor<4096xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<4096xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%c : tensor<16x1024xf32>) outs(%d : tensor<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<16x8192xf32>) outs(%d : tensor<16xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.maximumf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<16xf32>
  return %0, %1, %2 : tensor<4096xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// A sum of everything into a 0-d output (a mean loss): the partial sums
// are a vector of 16 (of 256 terms each), and their sum's output map has
// no results (it crashed the pass). One output is one warp: split even
// with min-blocks=1.
// CHECK-LABEL: func.func @full_sum
// NEVER-LABEL: func.func @full_sum
// NEVER: tensor.expand_shape
// CHECK: %[[PARTIAL:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<16xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction"]}
// CHECK-SAME: ins(%[[PARTIAL]] : tensor<16xf32>) outs(%{{.*}} : tensor<f32>)
func.func @full_sum(%x: tensor<64x64xf32>, %init: tensor<f32>) -> tensor<f32> {
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>,
                                        affine_map<(i, j) -> ()>],
                       iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<64x64xf32>) outs(%init : tensor<f32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %acc, %in : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %y : tensor<f32>
}
