// RUN: gcomp-opt %s -split-input-file -gcomp-depthwise-to-runtime-call -canonicalize | FileCheck %s

// A marked depthwise conv on contiguous buffers becomes one call: channels
// (N x C), groups, padded plane, kernel, strides, dilations, output plane,
// then the three addresses.
#in = affine_map<(n, g, mg, cg, kh, kw, oh, ow) -> (n, g, cg, oh * 2 + kh, ow * 2 + kw)>
#w = affine_map<(n, g, mg, cg, kh, kw, oh, ow) -> (g, mg, cg, kh, kw)>
#out = affine_map<(n, g, mg, cg, kh, kw, oh, ow) -> (n, g, mg, oh, ow)>
// CHECK-LABEL: func.func @depthwise
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : i64
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[C9:.*]] = arith.constant 9 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK: call @__gcomp_dwconv2d(%[[C16]], %[[C8]], %[[C9]], %[[C9]], %[[C3]], %[[C3]], %[[C2]], %[[C2]], %[[C1]], %[[C1]], %[[C4]], %[[C4]], %{{.*}}, %{{.*}}, %{{.*}})
// CHECK-NOT: linalg.generic
func.func @depthwise(%x: memref<2x8x1x9x9xf32>, %w: memref<8x1x1x3x3xf32>, %y: memref<2x8x1x4x4xf32>) {
  linalg.generic {indexing_maps = [#in, #w, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
      ins(%x, %w : memref<2x8x1x9x9xf32>, memref<8x1x1x3x3xf32>) outs(%y : memref<2x8x1x4x4xf32>)
      attrs = {gcomp.depthwise = array<i64: 2, 2, 1, 1>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Unmarked, or on a strided view: the loop nest stays.
// CHECK-LABEL: func.func @not_marked
// CHECK-NOT: call
// CHECK: linalg.generic
func.func @not_marked(%x: memref<1x2x1x5x5xf32>, %w: memref<2x1x1x3x3xf32>, %y: memref<1x2x1x3x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, g, mg, cg, kh, kw, oh, ow) -> (n, g, cg, oh + kh, ow + kw)>,
                                   affine_map<(n, g, mg, cg, kh, kw, oh, ow) -> (g, mg, cg, kh, kw)>,
                                   affine_map<(n, g, mg, cg, kh, kw, oh, ow) -> (n, g, mg, oh, ow)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
      ins(%x, %w : memref<1x2x1x5x5xf32>, memref<2x1x1x3x3xf32>) outs(%y : memref<1x2x1x3x3xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
