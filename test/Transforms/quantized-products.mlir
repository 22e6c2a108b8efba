// RUN: gcomp-opt %s -split-input-file -gcomp-quantized-products | FileCheck %s

// A QDQ convolution as the importer writes it: uint8 activations
// (cast(xq) - zx) * sx and int8 weights cast(wq) * sw with a scale per
// output channel. The product runs on the int32 operands; the sums are
// dequantized by sx * sw (laid out [1, M, 1, 1]) and the bias added after.
// CHECK-LABEL: func.func @qdq_conv
// CHECK-SAME: (%[[XQ:.*]]: tensor<1x4x5x5xi8>, %[[B:.*]]: tensor<2xf32>)
// CHECK: %[[SX:.*]] = gcomp.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[XW:.*]] = gcomp.cast %[[XQ]] {unsigned_input}
// CHECK: %[[XC:.*]] = gcomp.sub %[[XW]]
// CHECK: %[[WQ:.*]] = gcomp.constant dense<3> : tensor<2x4x3x3xi8>
// CHECK: %[[WW:.*]] = gcomp.cast %[[WQ]] : tensor<2x4x3x3xi8> -> tensor<2x4x3x3xi32>
// CHECK: %[[ACC:.*]] = gcomp.conv %[[XC]], %[[WW]] {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x5x5xi32>, tensor<2x4x3x3xi32>) -> tensor<1x2x5x5xi32>
// CHECK-DAG: %[[BR:.*]] = gcomp.reshape %[[B]] : tensor<2xf32> -> tensor<1x2x1x1xf32>
// CHECK-DAG: %[[F:.*]] = gcomp.cast %[[ACC]] : tensor<1x2x5x5xi32> -> tensor<1x2x5x5xf32>
// CHECK-DAG: %[[S:.*]] = gcomp.constant dense<{{\[\[\[\[}}1.250000e-01]], {{\[\[}}6.250000e-02]]]]> : tensor<1x2x1x1xf32>
// CHECK: %[[Y:.*]] = gcomp.mul %[[F]], %[[S]]
// CHECK: %[[OUT:.*]] = gcomp.add %[[Y]], %[[BR]]
// CHECK-NOT: gcomp.conv
// CHECK: return %[[OUT]]
func.func @qdq_conv(%xq: tensor<1x4x5x5xi8>, %b: tensor<2xf32>) -> tensor<1x2x5x5xf32> {
  %zx = gcomp.constant dense<128> : tensor<i32>
  %sx = gcomp.constant dense<0.5> : tensor<f32>
  %xw = gcomp.cast %xq {unsigned_input} : tensor<1x4x5x5xi8> -> tensor<1x4x5x5xi32>
  %xc = gcomp.sub %xw, %zx : (tensor<1x4x5x5xi32>, tensor<i32>) -> tensor<1x4x5x5xi32>
  %xf = gcomp.cast %xc : tensor<1x4x5x5xi32> -> tensor<1x4x5x5xf32>
  %x = gcomp.mul %xf, %sx : (tensor<1x4x5x5xf32>, tensor<f32>) -> tensor<1x4x5x5xf32>
  %wq = gcomp.constant dense<3> : tensor<2x4x3x3xi8>
  %sw = gcomp.constant dense<[[[[0.25]]], [[[0.125]]]]> : tensor<2x1x1x1xf32>
  %ww = gcomp.cast %wq : tensor<2x4x3x3xi8> -> tensor<2x4x3x3xi32>
  %wf = gcomp.cast %ww : tensor<2x4x3x3xi32> -> tensor<2x4x3x3xf32>
  %w = gcomp.mul %wf, %sw : (tensor<2x4x3x3xf32>, tensor<2x1x1x1xf32>) -> tensor<2x4x3x3xf32>
  %y = gcomp.conv %x, %w, %b {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x5x5xf32>, tensor<2x4x3x3xf32>, tensor<2xf32>) -> tensor<1x2x5x5xf32>
  return %y : tensor<1x2x5x5xf32>
}

// -----

// A QDQ matmul with a per-column weight scale ([1, N], axis 1) and a
// weight zero point of zero: the product takes the widened weights, the
// zero subtraction dropped.
// CHECK-LABEL: func.func @qdq_matmul
// CHECK: %[[ACC:.*]] = gcomp.matmul %{{.*}}, %{{.*}} : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
// CHECK: %[[F:.*]] = gcomp.cast %[[ACC]] : tensor<3x2xi32> -> tensor<3x2xf32>
// CHECK: %[[S:.*]] = gcomp.constant dense<{{\[\[}}1.250000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// CHECK: %[[Y:.*]] = gcomp.mul %[[F]], %[[S]]
// CHECK: return %[[Y]]
func.func @qdq_matmul(%xq: tensor<3x4xi8>) -> tensor<3x2xf32> {
  %sx = gcomp.constant dense<0.5> : tensor<f32>
  %xw = gcomp.cast %xq : tensor<3x4xi8> -> tensor<3x4xi32>
  %xf = gcomp.cast %xw : tensor<3x4xi32> -> tensor<3x4xf32>
  %x = gcomp.mul %xf, %sx : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %wq = gcomp.constant dense<[[1, -2], [3, 4], [-5, 6], [7, -8]]> : tensor<4x2xi8>
  %zw = gcomp.constant dense<0> : tensor<1x2xi32>
  %sw = gcomp.constant dense<[[0.25, 0.5]]> : tensor<1x2xf32>
  %ww = gcomp.cast %wq : tensor<4x2xi8> -> tensor<4x2xi32>
  %wc = gcomp.sub %ww, %zw : (tensor<4x2xi32>, tensor<1x2xi32>) -> tensor<4x2xi32>
  %wf = gcomp.cast %wc : tensor<4x2xi32> -> tensor<4x2xf32>
  %w = gcomp.mul %wf, %sw : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x2xf32>
  %y = gcomp.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// What the int8 kernels cannot take: per-column weight zero points that
// take the weights out of int8 (127 and -127), a per-row weight scale of a
// matmul ([K, 1]: it cannot be taken out of the sums), a per-channel
// activation scale, weights computed at run time, and a grouped
// convolution. The first and third still have constant integer weights
// with one scale per column, so they become weight-only products
// (gcomp.matmul_nbits on f32 activations); the others keep their float
// product. In the first, each column spans fewer than 16 values (-132 to
// -120, and 119 to 131), so 4-bit codes with the columns' minimums as zero
// points hold them: 1 - 127 = -126 is 6 above -132, 3 - 127 = -124 is 8
// (0x86 = -122).
// CHECK-LABEL: func.func @not_rewritten
// CHECK-NOT: xi32>) -> tensor<3x2xi32>
// CHECK: gcomp.constant dense<{{\[\[\[}}-122, -64, 0, 0, 0, 0, 0, 0]], {{\[\[}}-58, 14, 0, 0, 0, 0, 0, 0]]]> : tensor<2x1x8xi8>
// CHECK: gcomp.constant dense<{{\[\[}}1.320000e+02], [-1.190000e+02]]> : tensor<2x1xf32>
// CHECK: %[[A:.*]] = gcomp.matmul_nbits {{.*}} {bits = 4 : i64, block_size = 16 : i64} : (tensor<3x4xf32>, tensor<2x1x8xi8>, tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<3x2xf32>
// CHECK: %[[B:.*]] = gcomp.matmul {{.*}} -> tensor<3x2xf32>
// CHECK: %[[C:.*]] = gcomp.matmul_nbits {{.*}} -> tensor<3x2xf32>
// CHECK: %[[D:.*]] = gcomp.matmul {{.*}} -> tensor<3x2xf32>
// CHECK: %[[E:.*]] = gcomp.conv {{.*}} -> tensor<1x4x5x5xf32>
// CHECK: return %[[A]], %[[B]], %[[C]], %[[D]], %[[E]]
func.func @not_rewritten(%xq: tensor<3x4xi8>, %vq: tensor<4x2xi8>, %cq: tensor<1x4x5x5xi8>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<1x4x5x5xf32>) {
  %sx = gcomp.constant dense<0.5> : tensor<f32>
  %xw = gcomp.cast %xq : tensor<3x4xi8> -> tensor<3x4xi32>
  %xf = gcomp.cast %xw : tensor<3x4xi32> -> tensor<3x4xf32>
  %x = gcomp.mul %xf, %sx : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %wq = gcomp.constant dense<[[1, -2], [3, 4], [-5, 6], [7, -8]]> : tensor<4x2xi8>
  %ww = gcomp.cast %wq : tensor<4x2xi8> -> tensor<4x2xi32>
  %sw = gcomp.constant dense<0.25> : tensor<f32>
  %z1 = gcomp.constant dense<[[127, -127]]> : tensor<1x2xi32>
  %wc = gcomp.sub %ww, %z1 : (tensor<4x2xi32>, tensor<1x2xi32>) -> tensor<4x2xi32>
  %wcf = gcomp.cast %wc : tensor<4x2xi32> -> tensor<4x2xf32>
  %w1 = gcomp.mul %wcf, %sw : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %a = gcomp.matmul %x, %w1 : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %rows = gcomp.constant dense<[[0.25], [0.5], [1.0], [2.0]]> : tensor<4x1xf32>
  %wf = gcomp.cast %ww : tensor<4x2xi32> -> tensor<4x2xf32>
  %w2 = gcomp.mul %wf, %rows : (tensor<4x2xf32>, tensor<4x1xf32>) -> tensor<4x2xf32>
  %b = gcomp.matmul %x, %w2 : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %cols = gcomp.constant dense<[0.5, 0.25, 1.0, 2.0]> : tensor<4xf32>
  %xpc = gcomp.mul %xf, %cols : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %w3 = gcomp.mul %wf, %sw : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %c = gcomp.matmul %xpc, %w3 : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %vw = gcomp.cast %vq : tensor<4x2xi8> -> tensor<4x2xi32>
  %vf = gcomp.cast %vw : tensor<4x2xi32> -> tensor<4x2xf32>
  %w4 = gcomp.mul %vf, %sw : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %d = gcomp.matmul %x, %w4 : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %cw = gcomp.cast %cq {unsigned_input} : tensor<1x4x5x5xi8> -> tensor<1x4x5x5xi32>
  %cf = gcomp.cast %cw : tensor<1x4x5x5xi32> -> tensor<1x4x5x5xf32>
  %cx = gcomp.mul %cf, %sx : (tensor<1x4x5x5xf32>, tensor<f32>) -> tensor<1x4x5x5xf32>
  %gq = gcomp.constant dense<2> : tensor<4x1x3x3xi8>
  %gw = gcomp.cast %gq : tensor<4x1x3x3xi8> -> tensor<4x1x3x3xi32>
  %gf = gcomp.cast %gw : tensor<4x1x3x3xi32> -> tensor<4x1x3x3xf32>
  %g = gcomp.mul %gf, %sw : (tensor<4x1x3x3xf32>, tensor<f32>) -> tensor<4x1x3x3xf32>
  %e = gcomp.conv %cx, %g {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x5x5xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x5x5xf32>
  return %a, %b, %c, %d, %e : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<1x4x5x5xf32>
}

// -----

// A scalar weight zero point that is not zero but leaves the weights
// within int8 is exact too: the product takes `cast(wq) - zw`.
// CHECK-LABEL: func.func @scalar_weight_zero_point
// CHECK: %[[WC:.*]] = gcomp.sub %{{.*}}, %{{.*}} : (tensor<4x2xi32>, tensor<i32>) -> tensor<4x2xi32>
// CHECK: gcomp.matmul %{{.*}}, %[[WC]] : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
func.func @scalar_weight_zero_point(%xq: tensor<3x4xi8>) -> tensor<3x2xf32> {
  %sx = gcomp.constant dense<0.5> : tensor<f32>
  %xw = gcomp.cast %xq : tensor<3x4xi8> -> tensor<3x4xi32>
  %xf = gcomp.cast %xw : tensor<3x4xi32> -> tensor<3x4xf32>
  %x = gcomp.mul %xf, %sx : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %wq = gcomp.constant dense<[[1, -2], [3, 4], [-5, 6], [7, -8]]> : tensor<4x2xi8>
  %ww = gcomp.cast %wq : tensor<4x2xi8> -> tensor<4x2xi32>
  %z1 = gcomp.constant dense<1> : tensor<i32>
  %wc = gcomp.sub %ww, %z1 : (tensor<4x2xi32>, tensor<i32>) -> tensor<4x2xi32>
  %wf = gcomp.cast %wc : tensor<4x2xi32> -> tensor<4x2xf32>
  %sw = gcomp.constant dense<0.25> : tensor<f32>
  %w = gcomp.mul %wf, %sw : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %y = gcomp.matmul %x, %w : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A QDQ Gemm with a transposed weight ([N, K] = [2, 4], its scale per row
// of it: [2, 1]) and a bias: the weight is transposed now, as int8, the
// scale becomes [1, N], and C is added after the dequantization.
// CHECK-LABEL: func.func @qdq_gemm
// CHECK: %[[W:.*]] = gcomp.constant dense<{{\[\[}}1, 3], [-2, 4], [-5, 7], [6, -8]]> : tensor<4x2xi8>
// CHECK: %[[WW:.*]] = gcomp.cast %[[W]] : tensor<4x2xi8> -> tensor<4x2xi32>
// CHECK: %[[ACC:.*]] = gcomp.matmul %{{.*}}, %[[WW]] : (tensor<3x4xi32>, tensor<4x2xi32>) -> tensor<3x2xi32>
// CHECK: %[[F:.*]] = gcomp.cast %[[ACC]] : tensor<3x2xi32> -> tensor<3x2xf32>
// CHECK: %[[S:.*]] = gcomp.constant dense<{{\[\[}}1.250000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// CHECK: %[[Y:.*]] = gcomp.mul %[[F]], %[[S]]
// CHECK: %[[OUT:.*]] = gcomp.add %[[Y]], %{{.*}} : (tensor<3x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NOT: gcomp.gemm
// CHECK: return %[[OUT]]
func.func @qdq_gemm(%xq: tensor<3x4xi8>, %c: tensor<2xf32>) -> tensor<3x2xf32> {
  %sx = gcomp.constant dense<0.5> : tensor<f32>
  %xw = gcomp.cast %xq : tensor<3x4xi8> -> tensor<3x4xi32>
  %xf = gcomp.cast %xw : tensor<3x4xi32> -> tensor<3x4xf32>
  %x = gcomp.mul %xf, %sx : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
  %wq = gcomp.constant dense<[[1, -2, -5, 6], [3, 4, 7, -8]]> : tensor<2x4xi8>
  %sw = gcomp.constant dense<[[0.25], [0.5]]> : tensor<2x1xf32>
  %ww = gcomp.cast %wq : tensor<2x4xi8> -> tensor<2x4xi32>
  %wf = gcomp.cast %ww : tensor<2x4xi32> -> tensor<2x4xf32>
  %w = gcomp.mul %wf, %sw : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %y = gcomp.gemm %x, %w, %c {trans_b = true} : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A 1-D activation ([K] @ [K, N] = [N]) does not take the int8 kernels:
// the per-column scale ([1, N]) would give the result a row dim back. Its
// weights are weight-only quantized for gcomp.matmul_nbits, which takes a
// 1-D lhs.
// CHECK-LABEL: func.func @vector_lhs
// CHECK-NOT: tensor<2xi32>
// CHECK: gcomp.matmul_nbits {{.*}} -> tensor<2xf32>
func.func @vector_lhs(%xq: tensor<4xi8>) -> tensor<2xf32> {
  %sx = gcomp.constant dense<0.5> : tensor<f32>
  %xw = gcomp.cast %xq : tensor<4xi8> -> tensor<4xi32>
  %xf = gcomp.cast %xw : tensor<4xi32> -> tensor<4xf32>
  %x = gcomp.mul %xf, %sx : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %wq = gcomp.constant dense<[[1, -2], [3, 4], [-5, 6], [7, -8]]> : tensor<4x2xi8>
  %sw = gcomp.constant dense<[[0.25, 0.5]]> : tensor<1x2xf32>
  %ww = gcomp.cast %wq : tensor<4x2xi8> -> tensor<4x2xi32>
  %wf = gcomp.cast %ww : tensor<4x2xi32> -> tensor<4x2xf32>
  %w = gcomp.mul %wf, %sw : (tensor<4x2xf32>, tensor<1x2xf32>) -> tensor<4x2xf32>
  %y = gcomp.matmul %x, %w : (tensor<4xf32>, tensor<4x2xf32>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Weight-only block quantization (DequantizeLinear opset 21 with
// block_size 16 along K, as the importer writes it: the scales and zero
// points gathered by k / 16): the product becomes gcomp.matmul_nbits on the
// codes, repacked as onnxruntime's MatMulNBits: [N, blocks, 16 / 2] bytes of
// 4-bit codes, both per-block tables transposed to [N, blocks]. The codes
// less their zero points (-1 - 2 = -3, -1 - 3 = -4) are stored shifted by
// 8, two to a byte (5: 0x55 = 85, 4: 0x44 = 68), with 8 as zero point.
// CHECK-LABEL: func.func @block_quantized_matmul
// CHECK: %[[W:.*]] = gcomp.constant dense<{{\[\[\[}}85, 85, 85, 85, 85, 85, 85, 85], [68, 68, 68, 68, 68, 68, 68, 68]]]> : tensor<1x2x8xi8>
// CHECK: %[[S:.*]] = gcomp.constant dense<{{\[\[}}5.000000e-01, 2.500000e-01]]> : tensor<1x2xf32>
// CHECK: %[[Z:.*]] = gcomp.constant dense<8.000000e+00> : tensor<1x2xf32>
// CHECK: %[[Y:.*]] = gcomp.matmul_nbits %arg0, %[[W]], %[[S]] zero_points %[[Z]] {bits = 4 : i64, block_size = 16 : i64}
// CHECK-NOT: gcomp.matmul %
// CHECK: return %[[Y]]
func.func @block_quantized_matmul(%a: tensor<2x32xf32>) -> tensor<2x1xf32> {
  %codes = gcomp.constant dense<-1> : tensor<32x1xi32>
  %rows = gcomp.constant dense<[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]> : tensor<32xi64>
  %zp = gcomp.constant dense<[[2], [3]]> : tensor<2x1xi8>
  %zpRows = gcomp.gather %zp[%rows] {axis = 0 : i64} : (tensor<2x1xi8>, tensor<32xi64>) -> tensor<32x1xi8>
  %zpWide = gcomp.cast %zpRows : tensor<32x1xi8> -> tensor<32x1xi32>
  %centered = gcomp.sub %codes, %zpWide : (tensor<32x1xi32>, tensor<32x1xi32>) -> tensor<32x1xi32>
  %f = gcomp.cast %centered : tensor<32x1xi32> -> tensor<32x1xf32>
  %scales = gcomp.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %s = gcomp.gather %scales[%rows] {axis = 0 : i64} : (tensor<2x1xf32>, tensor<32xi64>) -> tensor<32x1xf32>
  %w = gcomp.mul %f, %s : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<32x1xf32>
  %y = gcomp.matmul %a, %w : (tensor<2x32xf32>, tensor<32x1xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Scales gathered by rows that are not k / block_size (here every k reads
// block 0 but the last, which reads block 1): not blocks, so the float
// product stays.
// CHECK-LABEL: func.func @not_blocks
// CHECK: gcomp.matmul %arg0
// CHECK-NOT: gcomp.matmul_nbits
func.func @not_blocks(%a: tensor<2x32xf32>) -> tensor<2x1xf32> {
  %codes = gcomp.constant dense<1> : tensor<32x1xi32>
  %rows = gcomp.constant dense<[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]> : tensor<32xi64>
  %f = gcomp.cast %codes : tensor<32x1xi32> -> tensor<32x1xf32>
  %scales = gcomp.constant dense<[[0.5], [0.25]]> : tensor<2x1xf32>
  %s = gcomp.gather %scales[%rows] {axis = 0 : i64} : (tensor<2x1xf32>, tensor<32xi64>) -> tensor<32x1xf32>
  %w = gcomp.mul %f, %s : (tensor<32x1xf32>, tensor<32x1xf32>) -> tensor<32x1xf32>
  %y = gcomp.matmul %a, %w : (tensor<2x32xf32>, tensor<32x1xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

// Weight-only int8 per column (DequantizeLinear axis 1 of [K, N] int8
// weights, as the importer folds it: the int32 `q - z` and a [1, N]
// scale): 8-bit codes, since the columns span more than 16 values. K = 64
// is one block of 64, so nothing is padded; the zero point is 128 for the
// column within -128..127, 0 for the one within 0..255.
// CHECK-LABEL: func.func @weight_only_per_column
// CHECK: %[[W:.*]] = gcomp.constant dense<{{.*}}> : tensor<2x1x64xi8>
// CHECK: %[[S:.*]] = gcomp.constant dense<{{\[\[}}2.500000e-01], [5.000000e-01]]> : tensor<2x1xf32>
// CHECK: %[[Z:.*]] = gcomp.constant dense<{{\[\[}}1.280000e+02], [0.000000e+00]]> : tensor<2x1xf32>
// CHECK: %[[Y:.*]] = gcomp.matmul_nbits %arg0, %[[W]], %[[S]] zero_points %[[Z]] {bits = 8 : i64, block_size = 64 : i64} : (tensor<1x3x64xf32>, tensor<2x1x64xi8>, tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<1x3x2xf32>
// CHECK: return %[[Y]]
func.func @weight_only_per_column(%a: tensor<1x3x64xf32>) -> tensor<1x3x2xf32> {
  %c = gcomp.constant dense<[[-100, 100]]> : tensor<1x2xi32>
  %centered = gcomp.constant dense<[[-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [-100, 100], [0, 1]]> : tensor<64x2xi32>
  %f = gcomp.cast %centered : tensor<64x2xi32> -> tensor<64x2xf32>
  %s = gcomp.constant dense<[[0.25, 0.5]]> : tensor<1x2xf32>
  %w = gcomp.mul %f, %s : (tensor<64x2xf32>, tensor<1x2xf32>) -> tensor<64x2xf32>
  %y = gcomp.matmul %a, %w : (tensor<1x3x64xf32>, tensor<64x2xf32>) -> tensor<1x3x2xf32>
  return %y : tensor<1x3x2xf32>
}

// -----

// Integer weights Cast to float (the importer folds the Cast: an f32
// constant of integers) times one scale, in a Gemm with a transposed
// weight, alpha and a bias per column: alpha goes into the scales
// (2 * 0.5), C becomes the kernel's bias, reshaped to [N]. K = 20 is not a
// multiple of 16: one block of 32, the rest padded with zero codes.
// CHECK-LABEL: func.func @weight_only_cast_gemm
// CHECK: %[[B:.*]] = gcomp.reshape %arg1 : tensor<1x2xf32> -> tensor<2xf32>
// CHECK: %[[S:.*]] = gcomp.constant dense<1.000000e+00> : tensor<2x1xf32>
// CHECK: %[[Z:.*]] = gcomp.constant dense<8.000000e+00> : tensor<2x1xf32>
// CHECK: %[[Y:.*]] = gcomp.matmul_nbits %arg0, %{{.*}}, %[[S]] zero_points %[[Z]] bias %[[B]] {bits = 4 : i64, block_size = 32 : i64} : (tensor<3x20xf32>, tensor<2x1x16xi8>, tensor<2x1xf32>, tensor<2x1xf32>, tensor<2xf32>) -> tensor<3x2xf32>
// CHECK-NOT: gcomp.gemm
// CHECK: return %[[Y]]
func.func @weight_only_cast_gemm(%a: tensor<3x20xf32>, %c: tensor<1x2xf32>) -> tensor<3x2xf32> {
  %wf = gcomp.constant dense<[[1.0, -2.0, 3.0, -4.0, 5.0, -6.0, 7.0, -8.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 0.0, 0.0, 0.0, 0.0, 1.0], [-1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, 2.0]]> : tensor<2x20xf32>
  %s = gcomp.constant dense<0.5> : tensor<f32>
  %w = gcomp.mul %wf, %s : (tensor<2x20xf32>, tensor<f32>) -> tensor<2x20xf32>
  %y = gcomp.gemm %a, %w, %c {alpha = 2.0 : f32, trans_b = true} : (tensor<3x20xf32>, tensor<2x20xf32>, tensor<1x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A Gemm's C that is not one value per column ([M, N]) is added after the
// weight-only product.
// CHECK-LABEL: func.func @weight_only_gemm_full_c
// CHECK: %[[P:.*]] = gcomp.matmul_nbits %arg0, {{.*}} {bits = 4 : i64, block_size = 16 : i64} : (tensor<3x4xf32>, tensor<2x1x8xi8>, tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<3x2xf32>
// CHECK: %[[Y:.*]] = gcomp.add %[[P]], %arg1
// CHECK: return %[[Y]]
func.func @weight_only_gemm_full_c(%a: tensor<3x4xf32>, %c: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %wf = gcomp.constant dense<[[1.0, -2.0], [3.0, 4.0], [-5.0, 6.0], [7.0, -8.0]]> : tensor<4x2xf32>
  %s = gcomp.constant dense<[0.25, 0.5]> : tensor<2xf32>
  %w = gcomp.mul %wf, %s : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  %y = gcomp.gemm %a, %w, %c : (tensor<3x4xf32>, tensor<4x2xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Float weights that are not integers, integers that span more than 8
// bits, a Gemm whose C is scaled (beta = 2), and a transposed A keep their
// float products.
// CHECK-LABEL: func.func @not_weight_only
// CHECK-NOT: gcomp.matmul_nbits
// CHECK: gcomp.matmul %arg0
// CHECK: gcomp.matmul %arg0
// CHECK: gcomp.gemm
// CHECK: gcomp.gemm
// CHECK-NOT: gcomp.matmul_nbits
func.func @not_weight_only(%a: tensor<3x4xf32>, %c: tensor<2xf32>, %at: tensor<4x3xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %s = gcomp.constant dense<0.5> : tensor<f32>
  %frac = gcomp.constant dense<[[1.5, -2.0], [3.0, 4.0], [-5.0, 6.0], [7.0, -8.0]]> : tensor<4x2xf32>
  %w1 = gcomp.mul %frac, %s : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %y1 = gcomp.matmul %a, %w1 : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %wide = gcomp.constant dense<[[-200.0, -2.0], [3.0, 4.0], [-5.0, 6.0], [100.0, -8.0]]> : tensor<4x2xf32>
  %w2 = gcomp.mul %wide, %s : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %y2 = gcomp.matmul %a, %w2 : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %ints = gcomp.constant dense<[[1.0, -2.0], [3.0, 4.0], [-5.0, 6.0], [7.0, -8.0]]> : tensor<4x2xf32>
  %w3 = gcomp.mul %ints, %s : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %y3 = gcomp.gemm %a, %w3, %c {beta = 2.0 : f32} : (tensor<3x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %y4 = gcomp.gemm %at, %w3 {trans_a = true} : (tensor<4x3xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  return %y1, %y2, %y3, %y4 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// More rows than the kernel multiplies in registers (8 > 7): the float
// product stays, faster on f32 weights folded at compile time.
// CHECK-LABEL: func.func @weight_only_many_rows
// CHECK-NOT: gcomp.matmul_nbits
// CHECK: gcomp.matmul %arg0
func.func @weight_only_many_rows(%a: tensor<8x4xf32>) -> tensor<8x2xf32> {
  %ints = gcomp.constant dense<[[1.0, -2.0], [3.0, 4.0], [-5.0, 6.0], [7.0, -8.0]]> : tensor<4x2xf32>
  %s = gcomp.constant dense<0.5> : tensor<f32>
  %w = gcomp.mul %ints, %s : (tensor<4x2xf32>, tensor<f32>) -> tensor<4x2xf32>
  %y = gcomp.matmul %a, %w : (tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<8x2xf32>
  return %y : tensor<8x2xf32>
}
