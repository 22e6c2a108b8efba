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

// -----

// Channels-last: the padded input was made by a zero fill and a copy of
// the interior from %x, which nothing touches before the conv, so the
// kernel reads %x and pads implicitly (top 1, left 2); the padded buffer
// and its fill and copy go away.
// CHECK-LABEL: func.func @nhwc_implicit_pad
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.copy
// CHECK: %[[PX:.*]] = memref.extract_aligned_pointer_as_index %arg0
// CHECK: %[[X:.*]] = arith.index_cast %[[PX]]
// CHECK: call @__gcomp_dwconv2d_nhwc(%c1_i64, %c6_i64, %c6_i64, %c8_i64, %c3_i64, %c3_i64, %c1_i64, %c1_i64, %c1_i64, %c1_i64, %c1_i64, %c2_i64, %c6_i64, %c8_i64, %[[X]],
// CHECK-NOT: linalg.generic
func.func @nhwc_implicit_pad(%x: memref<1x6x6x8xf32>, %w: memref<3x3x1x8xf32>, %out: memref<1x6x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %padded = memref.alloc() : memref<1x8x10x8xf32>
  linalg.fill ins(%zero : f32) outs(%padded : memref<1x8x10x8xf32>)
  %interior = memref.subview %padded[0, 1, 2, 0] [1, 6, 6, 8] [1, 1, 1, 1] : memref<1x8x10x8xf32> to memref<1x6x6x8xf32, strided<[640, 80, 8, 1], offset: 96>>
  linalg.copy ins(%x : memref<1x6x6x8xf32>) outs(%interior : memref<1x6x6x8xf32, strided<[640, 80, 8, 1], offset: 96>>)
  linalg.generic {indexing_maps = [affine_map<(n, y, x, i, j, c) -> (n, y + i, x + j, c)>,
                                   affine_map<(n, y, x, i, j, c) -> (i, j, 0, c)>,
                                   affine_map<(n, y, x, i, j, c) -> (n, y, x, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%padded, %w : memref<1x8x10x8xf32>, memref<3x3x1x8xf32>) outs(%out : memref<1x6x8x8xf32>)
      attrs = {gcomp.depthwise_nhwc = array<i64: 1, 1, 1, 1>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %padded : memref<1x8x10x8xf32>
  return
}

// -----

// Here %x is overwritten between the copy and the conv (bufferization
// reused its buffer): the kernel must read the padded copy, with no
// implicit padding.
// CHECK-LABEL: func.func @nhwc_source_reused
// CHECK: linalg.copy
// CHECK: linalg.fill
// CHECK: %[[PP:.*]] = memref.extract_aligned_pointer_as_index %[[PADDED:.*]] :
// CHECK: call @__gcomp_dwconv2d_nhwc(%c1_i64, %c8_i64, %c10_i64, %c8_i64, %c3_i64, %c3_i64, %c1_i64, %c1_i64, %c1_i64, %c1_i64, %c0_i64, %c0_i64, %c6_i64, %c8_i64,
func.func @nhwc_source_reused(%x: memref<1x6x6x8xf32>, %w: memref<3x3x1x8xf32>, %out: memref<1x6x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %padded = memref.alloc() : memref<1x8x10x8xf32>
  linalg.fill ins(%zero : f32) outs(%padded : memref<1x8x10x8xf32>)
  %interior = memref.subview %padded[0, 1, 2, 0] [1, 6, 6, 8] [1, 1, 1, 1] : memref<1x8x10x8xf32> to memref<1x6x6x8xf32, strided<[640, 80, 8, 1], offset: 96>>
  linalg.copy ins(%x : memref<1x6x6x8xf32>) outs(%interior : memref<1x6x6x8xf32, strided<[640, 80, 8, 1], offset: 96>>)
  linalg.fill ins(%zero : f32) outs(%x : memref<1x6x6x8xf32>)
  linalg.generic {indexing_maps = [affine_map<(n, y, x, i, j, c) -> (n, y + i, x + j, c)>,
                                   affine_map<(n, y, x, i, j, c) -> (i, j, 0, c)>,
                                   affine_map<(n, y, x, i, j, c) -> (n, y, x, c)>],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
      ins(%padded, %w : memref<1x8x10x8xf32>, memref<3x3x1x8xf32>) outs(%out : memref<1x6x8x8xf32>)
      attrs = {gcomp.depthwise_nhwc = array<i64: 1, 1, 1, 1>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  memref.dealloc %padded : memref<1x8x10x8xf32>
  return
}
