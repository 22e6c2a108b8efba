// RUN: gcomp-opt %s -split-input-file -one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" -cse | FileCheck %s

// A runtime-kernel pool bufferizes into a new buffer and one call of the
// runtime's pooling kernel: n h w c, kernel, strides, dilations, the four
// pads, oh ow, input, output, flags (3: average, counting the pads).
// CHECK-LABEL: func.func private @__gcomp_pool2d_nhwc(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @average
// CHECK-SAME: (%[[X:.*]]: memref<1x9x9x8xf32>)
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x5x5x8xf32>
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C9:.*]] = arith.constant 9 : i64
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK: call @__gcomp_pool2d_nhwc(%[[C1]], %[[C9]], %[[C9]], %[[C8]], %[[C3]], %[[C3]], %[[C2]], %[[C2]], %[[C1]], %[[C1]], %[[C1]], %[[C1]], %[[C0]], %[[C0]], %[[C5]], %[[C5]], %{{.*}}, %{{.*}}, %[[C3]])
// CHECK: return %[[OUT]]
func.func @average(%x: tensor<1x9x9x8xf32>) -> tensor<1x5x5x8xf32> {
  %y = gcomp.average_pool %x {channels_last, runtime_kernel, count_include_pad = true, kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 0, 0>} : (tensor<1x9x9x8xf32>) -> tensor<1x5x5x8xf32>
  return %y : tensor<1x5x5x8xf32>
}

// -----

// A max pool: flags 0.
// CHECK-LABEL: func.func @max
// CHECK: %[[C0:.*]] = arith.constant 0 : i64
// CHECK: call @__gcomp_pool2d_nhwc({{.*}}, %[[C0]]) :
func.func @max(%x: tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32> {
  %y = gcomp.max_pool %x {channels_last, runtime_kernel, kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// A runtime-kernel softmax: rows, row length, input, output, and the
// scale's f32 bit pattern (0.125 = 0x3E000000 = 1040187392).
// CHECK-LABEL: func.func @softmax
// CHECK-DAG: %[[ROWS:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[N:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 1040187392 : i64
// CHECK: call @__gcomp_softmax_rows(%[[ROWS]], %[[N]], %{{.*}}, %{{.*}}, %[[SCALE]])
func.func @softmax(%x: tensor<2x3x8xf32>) -> tensor<2x3x8xf32> {
  %y = gcomp.softmax %x {axis = 2 : i64, runtime_kernel, scale = 0.125 : f32} : tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// A runtime-kernel layer norm: rows, row length, input, output, scale,
// bias (0: none) and epsilon's f32 bit pattern (1e-5 = 925353388).
// CHECK-LABEL: func.func @layer_norm
// CHECK-DAG: %[[ROWS:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[N:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[NONE:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[EPS:.*]] = arith.constant 925353388 : i64
// CHECK: call @__gcomp_layer_norm_rows(%[[ROWS]], %[[N]], %{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]], %[[EPS]])
func.func @layer_norm(%x: tensor<2x3x8xf32>, %g: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %y = gcomp.layer_norm %x scale %g {axis = 2 : i64, epsilon = 1.0e-5 : f32, runtime_kernel} : (tensor<2x3x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// Attention reads the heads where they lie: each operand's logical strides
// (its memref strides through the op's perm), and writes the result the
// same way. Arguments: b0 b1 s t d dv, then address and four strides of Q,
// Kt, V, the output and the mask (none: zeros), the scale's bits (0.5) and
// the flags (1: causal).
// CHECK-LABEL: func.func private @__gcomp_attention(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @attention_heads
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<1x8x2x4xf32>
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[HALF:.*]] = arith.constant 1056964608 : i64
// CHECK: call @__gcomp_attention(%[[C1]], %[[C2]], %[[C8]], %[[C8]], %[[C4]], %[[C4]], %{{.*}}, %[[C64]], %[[C4]], %[[C8]], %[[C1]], %{{.*}}, %[[C64]], %[[C4]], %[[C1]], %[[C8]], %{{.*}}, %[[C64]], %[[C4]], %[[C8]], %[[C1]], %{{.*}}, %[[C64]], %[[C4]], %[[C8]], %[[C1]], %[[C0]], %[[C0]], %[[C0]], %[[C0]], %[[C0]], %[[HALF]], %[[C1]])
// CHECK: return %[[OUT]]
func.func @attention_heads(%q: tensor<1x8x2x4xf32>, %k: tensor<1x8x2x4xf32>, %v: tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32> {
  %o = gcomp.attention %q, %k, %v {causal, scale = 5.000000e-01 : f32, key_t_perm = array<i64: 0, 2, 3, 1>, query_perm = array<i64: 0, 2, 1, 3>, result_perm = array<i64: 0, 2, 1, 3>, value_perm = array<i64: 0, 2, 1, 3>} : (tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>, tensor<1x8x2x4xf32>) -> tensor<1x8x2x4xf32>
  return %o : tensor<1x8x2x4xf32>
}

// -----

// Symbolic batch and sequence: the sizes, and the strides that depend on
// them, are read from the buffers' descriptors; the result is allocated
// with the query's batch and s.
// CHECK-LABEL: func.func @attention_symbolic
// CHECK-SAME: (%[[Q:.*]]: memref<?x?x2x4xf32>, %[[K:.*]]: memref<?x?x2x4xf32>, %[[V:.*]]: memref<?x?x2x4xf32>)
// CHECK: %{{.*}}, %{{.*}}, %[[QSIZES:.*]]:4, %[[QSTRIDES:.*]]:4 = memref.extract_strided_metadata %[[Q]]
// CHECK-DAG: %[[QBATCH:.*]] = arith.index_cast %[[QSTRIDES]]#0 : index to i64
// CHECK-DAG: %[[B:.*]] = arith.index_cast %[[QSIZES]]#0 : index to i64
// CHECK-DAG: %[[S:.*]] = arith.index_cast %[[QSIZES]]#1 : index to i64
// CHECK: %{{.*}}, %{{.*}}, %[[KSIZES:.*]]:4, %{{.*}}:4 = memref.extract_strided_metadata %[[K]]
// CHECK: %[[T:.*]] = arith.index_cast %[[KSIZES]]#1 : index to i64
// CHECK-DAG: %[[BI:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK-DAG: %[[SI:.*]] = arith.index_cast %[[S]] : i64 to index
// CHECK: %[[OUT:.*]] = memref.alloc(%[[BI]], %[[SI]]) : memref<?x?x2x4xf32>
// CHECK: call @__gcomp_attention(%[[B]], %{{[^,]*}}, %[[S]], %[[T]], %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %[[QBATCH]],
// CHECK: return %[[OUT]]
func.func @attention_symbolic(%q: tensor<?x?x2x4xf32>, %k: tensor<?x?x2x4xf32>, %v: tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32> {
  %o = gcomp.attention %q, %k, %v {causal, scale = 5.000000e-01 : f32, key_t_perm = array<i64: 0, 2, 3, 1>, query_perm = array<i64: 0, 2, 1, 3>, result_perm = array<i64: 0, 2, 1, 3>, value_perm = array<i64: 0, 2, 1, 3>} : (tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>, tensor<?x?x2x4xf32>) -> tensor<?x?x2x4xf32>
  return %o : tensor<?x?x2x4xf32>
}

// -----

// A padding mask [batch, 1, t] is read with stride 0 along the dims it
// broadcasts (one head dim here: b0 is 1).
// CHECK-LABEL: func.func @attention_mask
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK: call @__gcomp_attention({{.*}}, %[[C0]], %[[C3]], %[[C0]], %[[C1]], %{{[^,]*}}, %[[C0]])
func.func @attention_mask(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x3xf32>, %v: tensor<2x3x5xf32>, %m: tensor<2x1x3xf32>) -> tensor<2x3x5xf32> {
  %o = gcomp.attention %q, %kt, %v mask %m {scale = 1.0 : f32} : (tensor<2x3x4xf32>, tensor<2x4x3xf32>, tensor<2x3x5xf32>, tensor<2x1x3xf32>) -> tensor<2x3x5xf32>
  return %o : tensor<2x3x5xf32>
}

// -----

// gcomp.qconv: one call of __gcomp_qconv2d_nhwc with the geometry (n h w c
// kh kw sh sw dh dw pad_top pad_left oh ow m k_packed), the operands'
// addresses (0 for the absent bias), the requantization's f32 bit patterns
// (scale 0.5 = 0x3F000000 low, zero point 3.0 = 0x40400000 high) and the
// flags (GCOMP_QCONV_OUT_Q8 | GCOMP_QCONV_RELU = 20).
// CHECK-LABEL: func.func @qconv
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<1x3x3x2xi8>
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[C36:.*]] = arith.constant 36 : i64
// CHECK-DAG: %[[REQ:.*]] = arith.constant 4629700417993834496 : i64
// CHECK-DAG: %[[FLAGS:.*]] = arith.constant 20 : i64
// CHECK: call @__gcomp_qconv2d_nhwc(%[[C1]], %[[C6]], %[[C6]], %[[C4]], %[[C3]], %[[C3]], %[[C2]], %[[C2]], %[[C1]], %[[C1]], %[[C1]], %[[C1]], %[[C3]], %[[C3]], %[[C2]], %[[C36]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[C0]], %[[REQ]], %{{.*}}, %[[FLAGS]])
// CHECK: return %[[OUT]]
func.func @qconv(%x: tensor<1x6x6x4xi8>, %z: tensor<i32>, %p: tensor<1152xi8>, %s: tensor<32xi32>, %scale: tensor<2xf32>) -> tensor<1x3x3x2xi8> {
  %y = gcomp.qconv %x, %z, %p, %s, %scale {dilations = array<i64: 1, 1>, k_packed = 36 : i64, kernel = array<i64: 3, 3>, out_scale = 0.5 : f32, out_zero_point = 3.0 : f32, pads = array<i64: 1, 1, 1, 1>, relu, strides = array<i64: 2, 2>} : (tensor<1x6x6x4xi8>, tensor<i32>, tensor<1152xi8>, tensor<32xi32>, tensor<2xf32>) -> tensor<1x3x3x2xi8>
  return %y : tensor<1x3x3x2xi8>
}

// -----

// NonMaxSuppression: one call of __gcomp_nms with (batches, classes, boxes,
// rows per class), the inputs' addresses (0 for an absent threshold), the
// two results' and the flags.
// CHECK-LABEL: func.func @nms
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[SEL:.*]] = memref.alloc() {{.*}}: memref<18x3xi64>
// CHECK-DAG: %[[N:.*]] = memref.alloc() {{.*}}: memref<i64>
// CHECK: call @__gcomp_nms(%[[C2]], %[[C3]], %[[C5]], %[[C3]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[C0]], %{{.*}}, %{{.*}}, %[[C1]])
// CHECK: return %[[SEL]], %[[N]]
func.func @nms(%b: tensor<2x5x4xf32>, %s: tensor<2x3x5xf32>, %mo: tensor<1xi64>, %iou: tensor<f32>) -> (tensor<18x3xi64>, tensor<i64>) {
  %sel, %n = gcomp.non_max_suppression %b, %s max_output %mo iou %iou {center_point_box} : (tensor<2x5x4xf32>, tensor<2x3x5xf32>, tensor<1xi64>, tensor<f32>) -> (tensor<18x3xi64>, tensor<i64>)
  return %sel, %n : tensor<18x3xi64>, tensor<i64>
}

// -----

// GridSample: one call of __gcomp_grid_sample with (n, c, rank), the input's
// spatial dims and the output's, padded with 1s to three, the buffers and
// the flags (cubic 2 | reflection 8 | align corners 16 = 26).
// CHECK-LABEL: func.func @grid_sample
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : i64
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : i64
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : i64
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : i64
// CHECK-DAG: %[[C7:.*]] = arith.constant 7 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[FLAGS:.*]] = arith.constant 26 : i64
// CHECK: call @__gcomp_grid_sample(%[[C2]], %[[C3]], %[[C2]], %[[C5]], %[[C7]], %[[C1]], %[[C4]], %[[C6]], %[[C1]], %{{.*}}, %{{.*}}, %{{.*}}, %[[FLAGS]])
func.func @grid_sample(%x: tensor<2x3x5x7xf32>, %g: tensor<2x4x6x2xf32>) -> tensor<2x3x4x6xf32> {
  %y = gcomp.grid_sample %x, %g {mode = "cubic", padding_mode = "reflection", align_corners = true} : (tensor<2x3x5x7xf32>, tensor<2x4x6x2xf32>) -> tensor<2x3x4x6xf32>
  return %y : tensor<2x3x4x6xf32>
}

// -----

// RoiAlign: one call of __gcomp_roi_align with the map's dims, (rois, out_h,
// out_w), the buffers, the sampling ratio, the scale's bits (0.25 =
// 0x3E800000 = 1048576000) and the flags (max 1 | half_pixel 2 = 3).
// CHECK-LABEL: func.func @roi_align
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 1048576000 : i64
// CHECK-DAG: %[[FLAGS:.*]] = arith.constant 3 : i64
// CHECK: call @__gcomp_roi_align(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SCALE]], %[[FLAGS]])
func.func @roi_align(%x: tensor<2x3x10x12xf32>, %r: tensor<6x4xf32>, %b: tensor<6xi64>) -> tensor<6x3x3x4xf32> {
  %y = gcomp.roi_align %x, %r, %b {mode = "max", sampling_ratio = 2 : i64, spatial_scale = 0.25 : f32, half_pixel = true} : (tensor<2x3x10x12xf32>, tensor<6x4xf32>, tensor<6xi64>) -> tensor<6x3x3x4xf32>
  return %y : tensor<6x3x3x4xf32>
}

// -----

// Det: one call of __gcomp_det with the number of matrices and their size.
// CHECK-LABEL: func.func @det
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() {{.*}}: memref<3x2xf32>
// CHECK: call @__gcomp_det(%[[C6]], %[[C4]], %{{.*}}, %{{.*}})
func.func @det(%x: tensor<3x2x4x4xf32>) -> tensor<3x2xf32> {
  %y = gcomp.det %x : tensor<3x2x4x4xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// MatMulNBits: one call of __gcomp_matmul_nbits with the rows (2 x 3), N,
// K, the operands' addresses (0 for the absent zero points), the output,
// the bits and the block size.
// CHECK-LABEL: func.func @matmul_nbits
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : i64
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : i64
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : i64
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() {{.*}}: memref<2x3x8xf32>
// CHECK: call @__gcomp_matmul_nbits(%[[C6]], %[[C8]], %[[C64]], %{{.*}}, %{{.*}}, %{{.*}}, %[[C0]], %{{.*}}, %{{.*}}, %[[C4]], %[[C32]])
func.func @matmul_nbits(%x: tensor<2x3x64xf32>, %w: tensor<8x2x16xi8>, %s: tensor<8x2xf32>, %b: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %y = gcomp.matmul_nbits %x, %w, %s bias %b {bits = 4 : i64, block_size = 32 : i64} : (tensor<2x3x64xf32>, tensor<8x2x16xi8>, tensor<8x2xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}
