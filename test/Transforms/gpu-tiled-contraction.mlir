// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops,canonicalize,cse))' | FileCheck %s
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops{tile-contractions=0}))' | FileCheck %s --check-prefix=UNTILED
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops{allow-tf32=1},canonicalize,cse))' | FileCheck %s --check-prefix=TF32
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops{half-tensor-cores=0},canonicalize,cse))' | FileCheck %s --check-prefix=NOHALF

// Without tile-contractions, every op gets a thread per output element.
// UNTILED-NOT: gpu.launch
// UNTILED-NOT: gpu.barrier

// A 40x40 by 40x48 product: 32x32 tiles (the grid is 2x2 blocks of 256
// threads), each thread 2x2 outputs. The lhs is contiguous in k, so its
// tile is copied k fastest into rows of 33 elements; the rhs's rows are 32.
// Two whole 16-term tiles, then a rest of 8 terms.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<40x40xf32>, %[[B:.*]]: memref<40x48xf32>, %[[C:.*]]: memref<40x48xf32>)
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %[[BY:.*]], %{{.*}}) in (%{{.*}} = %[[C2]], %{{.*}} = %[[C2]], %{{.*}} = %c1{{.*}}) threads(%[[T:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[AT:.*]] : memref<528xf32, #gpu.address_space<workgroup>>, %[[BT:.*]] : memref<512xf32, #gpu.address_space<workgroup>>)
// The accumulators start from the output (clamped indices: always in bounds).
// CHECK-COUNT-4: memref.load %[[C]]
// CHECK: %[[ACC:.*]]:4 = scf.for %[[KT:.*]] = %c0{{.*}} to %c2{{.*}} step %c1{{.*}} iter_args
// CHECK-COUNT-2: memref.store %{{.*}}, %[[AT]]
// CHECK-COUNT-2: memref.store %{{.*}}, %[[BT]]
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c16{{.*}} step %c1{{.*}} iter_args
// CHECK-COUNT-2: memref.load %[[AT]]
// CHECK-COUNT-2: memref.load %[[BT]]
// CHECK-COUNT-4: arith.mulf
// CHECK: scf.yield
// CHECK: gpu.barrier
// CHECK: scf.yield
// The rest: its tiles, then 8 terms.
// CHECK-COUNT-2: memref.store %{{.*}}, %[[AT]]
// CHECK-COUNT-2: memref.store %{{.*}}, %[[BT]]
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c8{{.*}} step %c1{{.*}} iter_args(%{{.*}} = %[[ACC]]#0,
// Each output stored when it is inside the 40x48 shape.
// CHECK: %[[ROW_IN:.*]] = arith.cmpi ult, %{{.*}}, %c40{{.*}} : index
// CHECK: %[[COL_IN:.*]] = arith.cmpi ult, %{{.*}}, %c48{{.*}} : index
// CHECK: %[[IN:.*]] = arith.andi %[[ROW_IN]], %[[COL_IN]] : i1
// CHECK: scf.if %[[IN]] {
// CHECK: memref.store %{{.*}}, %[[C]]
// CHECK-COUNT-3: memref.store %{{.*}}, %[[C]]
// CHECK: gpu.terminator
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<40x40xf32>, %b: memref<40x48xf32>, %c: memref<40x48xf32>) {
  linalg.matmul ins(%a, %b : memref<40x40xf32>, memref<40x48xf32>) outs(%c : memref<40x48xf32>)
  return
}

// -----

// A convolution as gcomp lowers it, an im2col product: the weights (g, m,
// k) times the patches (b, g, k, n) into (b, g, m, n). 64 rows and 1024
// columns make 16 tiles of 64x64 per (b, g), 96 in all: too few to fill a
// GPU. 32x32 tiles make 384. The grid's z runs over b and g (2 x 3), the
// images sharing the weights.
// CHECK-LABEL: func.func @im2col_product
// CHECK-DAG: %[[C6:.*]] = arith.constant 6 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %[[BZ:.*]]) in (%{{.*}} = %[[C32]], %{{.*}} = %c2{{.*}}, %{{.*}} = %[[C6]])
// CHECK-SAME: workgroup(%[[AT:.*]] : memref<528xf32, #gpu.address_space<workgroup>>, %[[BT:.*]] : memref<512xf32, #gpu.address_space<workgroup>>)
// CHECK-DAG: %[[G:.*]] = arith.remui %[[BZ]], %c3{{.*}} : index
// CHECK-DAG: %[[N:.*]] = arith.divui %[[BZ]], %c3{{.*}} : index
// CHECK-COUNT-4: memref.load %{{.*}}[%[[N]], %[[G]], %{{.*}}, %{{.*}}] : memref<2x3x64x1024xf32>
// CHECK: scf.for
// CHECK: memref.load %{{.*}}[%[[G]], %{{.*}}, %{{.*}}] : memref<3x64x27xf32>
// CHECK: memref.load %{{.*}}[%[[N]], %[[G]], %{{.*}}, %{{.*}}] : memref<2x3x27x1024xf32>
#lhs = affine_map<(b, g, m, n, k) -> (g, m, k)>
#rhs = affine_map<(b, g, m, n, k) -> (b, g, k, n)>
#out = affine_map<(b, g, m, n, k) -> (b, g, m, n)>
func.func @im2col_product(%w: memref<3x64x27xf32>, %x: memref<2x3x27x1024xf32>, %y: memref<2x3x64x1024xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%w, %x : memref<3x64x27xf32>, memref<2x3x27x1024xf32>) outs(%y : memref<2x3x64x1024xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Any body folds the terms, in order: here a max-plus product. An rhs
// contiguous in k (a transposed matrix) is copied k fastest too. A 32x32
// output is one tile of any shape: the smallest, 32x32, pads least.
// A fill of the output, right before, is where the accumulators start.
// CHECK-LABEL: func.func @max_plus_transposed
// CHECK-SAME: (%[[A:.*]]: memref<32x16xf32>, %[[B:.*]]: memref<32x16xf32>, %[[C:.*]]: memref<32x32xf32>)
// CHECK-DAG: %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%{{.*}} : memref<528xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<528xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: memref.load %[[C]]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[NEG]], %{{.*}} = %[[NEG]], %{{.*}} = %[[NEG]], %{{.*}} = %[[NEG]])
// CHECK: %[[S:.*]] = arith.addf
// CHECK: arith.maximumf %{{.*}}, %[[S]] : f32
// CHECK-NOT: linalg.
func.func @max_plus_transposed(%a: memref<32x16xf32>, %b: memref<32x16xf32>, %c: memref<32x32xf32>) {
  %neg = arith.constant 0xFF800000 : f32
  linalg.fill ins(%neg : f32) outs(%c : memref<32x32xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x16xf32>, memref<32x16xf32>) outs(%c : memref<32x32xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %s = arith.addf %x, %y : f32
    %m = arith.maximumf %acc, %s : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Too small to tile (8 rows), a dynamic shape, two reduction dimensions:
// a thread per output element.
// CHECK-LABEL: func.func @not_tiled
// CHECK-NOT: gpu.launch
// CHECK-COUNT-3: scf.parallel
// CHECK-NOT: gpu.launch
func.func @not_tiled(%a: memref<8x64xf32>, %b: memref<64x64xf32>, %c: memref<8x64xf32>,
                     %d: memref<?x64xf32>, %e: memref<?x64xf32>,
                     %x: memref<32x4x8xf32>, %w: memref<32x4x8xf32>, %y: memref<32x32xf32>) {
  linalg.matmul ins(%a, %b : memref<8x64xf32>, memref<64x64xf32>) outs(%c : memref<8x64xf32>)
  linalg.matmul ins(%d, %b : memref<?x64xf32>, memref<64x64xf32>) outs(%e : memref<?x64xf32>)
  linalg.generic {indexing_maps = [affine_map<(m, n, k, l) -> (m, k, l)>,
                                   affine_map<(m, n, k, l) -> (n, k, l)>,
                                   affine_map<(m, n, k, l) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : memref<32x4x8xf32>, memref<32x4x8xf32>) outs(%y : memref<32x32xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// With allow-tf32, an f32 multiply-add product runs on tensor cores: the
// 8 warps (2 x 4) of a 32x32 tile each own one 16x8 piece; a lane holds
// rows g, g + 8 and columns 2t, 2t + 1 of it (g = lane / 4, t = lane % 4)
// and reads its A fragment (rows g, g + 8; terms t, t + 4) and B fragment
// from the shared tiles, rounded to TF32 to nearest as they were copied
// there. The rest of the terms (8 of 40 here) is copied
// with zeros past K, since an mma folds 8 terms.
// TF32-LABEL: func.func @matmul_tf32
// TF32: gpu.launch
// TF32-DAG: %[[WARP:.*]] = arith.divui %{{.*}}, %c32{{.*}} : index
// TF32-DAG: %[[LANE:.*]] = arith.remui %{{.*}}, %c32{{.*}} : index
// TF32-DAG: arith.divui %[[LANE]], %c4{{.*}} : index
// TF32-DAG: arith.remui %[[LANE]], %c4{{.*}} : index
// The tiles are rounded to TF32 (to nearest) as they are copied.
// TF32: scf.for
// TF32: %[[R:.*]] = nvvm.convert.float.to.tf32 %{{.*}} {rnd = #nvvm.fp_rnd_mode<rna>}
// TF32: %[[V:.*]] = arith.bitcast %[[R]] : i32 to f32
// TF32: memref.store %[[V]]
// TF32: scf.for
// TF32: %[[A:.*]] = vector.from_elements {{.*}} : vector<4x1xf32>
// TF32: %[[B:.*]] = vector.from_elements {{.*}} : vector<2x1xf32>
// TF32: %[[C:.*]] = vector.from_elements {{.*}} : vector<2x2xf32>
// TF32: nvgpu.mma.sync(%[[A]], %[[B]], %[[C]]) {mmaShape = [16, 8, 8], tf32Enabled}
// TF32: arith.cmpi ult, %{{.*}}, %c40{{.*}} : index
// TF32: arith.select
// TF32: nvgpu.mma.sync
// TF32-NOT: nvgpu.mma.sync
// TF32: gpu.terminator
// Without allow-tf32, the same product stays on the FP32 pipes.
// CHECK-LABEL: func.func @matmul_tf32
// CHECK-NOT: nvgpu.mma.sync
// CHECK: return
func.func @matmul_tf32(%a: memref<32x40xf32>, %b: memref<40x32xf32>, %c: memref<32x32xf32>) {
  linalg.matmul ins(%a, %b : memref<32x40xf32>, memref<40x32xf32>) outs(%c : memref<32x32xf32>)
  return
}

// -----

// Tensor cores only multiply and add: a max-plus product, or f16 inputs,
// keep the FP32 pipes even with allow-tf32.
// TF32-LABEL: func.func @not_tensor_cores
// TF32: gpu.launch
// TF32-NOT: nvgpu.mma.sync
// TF32: gpu.launch
// TF32-NOT: nvgpu.mma.sync
// TF32: return
func.func @not_tensor_cores(%a: memref<32x16xf32>, %b: memref<16x32xf32>, %c: memref<32x32xf32>,
                            %x: memref<32x16xf16>, %y: memref<16x32xf16>, %z: memref<32x32xf16>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x16xf32>, memref<16x32xf32>) outs(%c : memref<32x32xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %s = arith.addf %p, %q : f32
    %m = arith.maximumf %acc, %s : f32
    linalg.yield %m : f32
  }
  linalg.matmul ins(%x, %y : memref<32x16xf16>, memref<16x32xf16>) outs(%z : memref<32x32xf16>)
  return
}

// -----

// f16 inputs widened into an f32 accumulator (how the importer writes a
// half-precision MatMul or Conv) run on tensor cores by default, with the
// f16 mma of shape 16x8x16: a lane's A fragment is four pairs of halves
// (rows g, g + 8; terms 2t, 2t + 1 and 2t + 8, 2t + 9), its B fragment two.
// The tiles stay f16 in shared memory, unrounded; the 8 terms past the
// two whole tiles of 40 are copied as zeros, since an mma folds 16.
// CHECK-LABEL: func.func @matmul_f16
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: memref.store {{.*}} : memref<528xf16, #gpu.address_space<workgroup>>
// CHECK-NOT: nvvm.convert.float.to.tf32
// CHECK: %[[A0:.*]] = vector.from_elements {{.*}} : vector<2xf16>
// CHECK: nvvm.mma.sync A[%[[A0]], %{{.*}}, %{{.*}}, %{{.*}}]  B[%{{.*}}, %{{.*}}]  C[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: arith.cmpi ult, %{{.*}}, %c40 : index
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : f16
// CHECK: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: memref.store {{.*}} : memref<32x32xf32>
// NOHALF-LABEL: func.func @matmul_f16
// NOHALF-NOT: mma.sync
// NOHALF: return
func.func @matmul_f16(%a: memref<32x40xf16>, %b: memref<40x32xf16>, %c: memref<32x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x40xf16>, memref<40x32xf16>) outs(%c : memref<32x32xf32>) {
  ^bb0(%x: f16, %y: f16, %acc: f32):
    %wx = arith.extf %x : f16 to f32
    %wy = arith.extf %y : f16 to f32
    %p = arith.mulf %wx, %wy : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// bf16 likewise, with nvvm's op (nvgpu.mma.sync has no bf16 form), each
// pair of bf16 packed into an i32, the first in the low half.
// CHECK-LABEL: func.func @matmul_bf16
// CHECK: gpu.launch
// CHECK: %[[LO:.*]] = arith.bitcast %{{.*}} : bf16 to i16
// CHECK: %[[LO32:.*]] = arith.extui %[[LO]] : i16 to i32
// CHECK: %[[HI:.*]] = arith.bitcast %{{.*}} : bf16 to i16
// CHECK: %[[HI32:.*]] = arith.extui %[[HI]] : i16 to i32
// CHECK: %[[SHIFTED:.*]] = arith.shli %[[HI32]], %c16_i32 : i32
// CHECK: %[[PAIR:.*]] = arith.ori %[[LO32]], %[[SHIFTED]] : i32
// CHECK: nvvm.mma.sync A[%[[PAIR]], %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK-SAME: multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// NOHALF-LABEL: func.func @matmul_bf16
// NOHALF-NOT: mma.sync
// NOHALF: return
func.func @matmul_bf16(%a: memref<32x32xbf16>, %b: memref<32x32xbf16>, %c: memref<32x32xf32>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x32xbf16>, memref<32x32xbf16>) outs(%c : memref<32x32xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %wx = arith.extf %x : bf16 to f32
    %wy = arith.extf %y : bf16 to f32
    %p = arith.mulf %wy, %wx : f32
    %s = arith.addf %p, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not what a tensor core computes: mixed f16 and bf16 inputs, a body that
// scales each product, a half-precision accumulator. These keep the FP32
// pipes.
// CHECK-LABEL: func.func @half_not_tensor_cores
// CHECK-NOT: mma.sync
// CHECK: return
func.func @half_not_tensor_cores(%a: memref<32x32xf16>, %b: memref<32x32xbf16>,
                                 %h: memref<32x32xf16>, %c: memref<32x32xf32>,
                                 %d: memref<32x32xf16>) {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x32xf16>, memref<32x32xbf16>) outs(%c : memref<32x32xf32>) {
  ^bb0(%x: f16, %y: bf16, %acc: f32):
    %wx = arith.extf %x : f16 to f32
    %wy = arith.extf %y : bf16 to f32
    %p = arith.mulf %wx, %wy : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %h : memref<32x32xf16>, memref<32x32xf16>) outs(%c : memref<32x32xf32>) {
  ^bb0(%x: f16, %y: f16, %acc: f32):
    %wx = arith.extf %x : f16 to f32
    %wy = arith.extf %y : f16 to f32
    %p = arith.mulf %wx, %wy : f32
    %two = arith.constant 2.0 : f32
    %q = arith.mulf %p, %two : f32
    %s = arith.addf %acc, %q : f32
    linalg.yield %s : f32
  }
  linalg.matmul ins(%a, %h : memref<32x32xf16>, memref<32x32xf16>) outs(%d : memref<32x32xf16>)
  return
}
