// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops{warp-reductions=1}))' | FileCheck %s
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops{warp-reductions=0}))' | FileCheck %s --check-prefix=NOWARP

// Without warp-reductions, the long reductions get a thread per output too.
// NOWARP-NOT: gpu.shuffle

// A matrix product: one parallel iteration per element of C, which is
// loaded once, carried through the k loop as a value and stored once.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<4x16xf32>, %[[B:.*]]: memref<16x8xf32>, %[[C:.*]]: memref<4x8xf32>)
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[C0:.*]] = memref.load %[[C]][%[[I]], %[[J]]]
// CHECK: %[[R:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[C0]]) -> (f32) {
// CHECK-NEXT: %[[X:.*]] = memref.load %[[A]][%[[I]], %[[K]]]
// CHECK-NEXT: %[[Y:.*]] = memref.load %[[B]][%[[K]], %[[J]]]
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: scf.yield %[[S]] : f32
// CHECK: memref.store %[[R]], %[[C]][%[[I]], %[[J]]]
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<4x16xf32>, %b: memref<16x8xf32>, %c: memref<4x8xf32>) {
  linalg.matmul ins(%a, %b : memref<4x16xf32>, memref<16x8xf32>) outs(%c : memref<4x8xf32>)
  return
}

// -----

// Elementwise with a broadcast operand, a scalar and linalg.index.
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]] : memref<3x5xf32>
// CHECK: %[[V:.*]] = memref.load %{{.*}}[%[[J]]] : memref<5xf32>
// CHECK: %[[F:.*]] = arith.index_cast %[[J]] : index to i64
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]] : memref<3x5xf32>
// CHECK-NOT: scf.for
#map = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @elementwise(%x: memref<3x5xf32>, %b: memref<5xf32>, %s: f32, %y: memref<3x5xf32>) {
  linalg.generic {indexing_maps = [#map, #row, affine_map<(d0, d1) -> ()>, #map],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %b, %s : memref<3x5xf32>, memref<5xf32>, f32) outs(%y : memref<3x5xf32>) {
  ^bb0(%in: f32, %bias: f32, %scale: f32, %out: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i64
    %jf = arith.sitofp %ji : i64 to f32
    %0 = arith.addf %in, %bias : f32
    %1 = arith.mulf %0, %scale : f32
    %2 = arith.addf %1, %jf : f32
    linalg.yield %2 : f32
  }
  return
}

// -----

// A reduction to a scalar has no parallel dimension: a loop nest carrying
// the sum, between one load and one store.
// CHECK-LABEL: func.func @sum_all
// CHECK-NOT: scf.parallel
// CHECK: %[[INIT:.*]] = memref.load %{{.*}}[] : memref<f32>
// CHECK: %[[R:.*]] = scf.for %{{.*}} iter_args(%[[A0:.*]] = %[[INIT]]) -> (f32) {
// CHECK: %[[R1:.*]] = scf.for %{{.*}} iter_args(%[[A1:.*]] = %[[A0]]) -> (f32) {
// CHECK: arith.addf
// CHECK: scf.yield
// CHECK: scf.yield %[[R1]] : f32
// CHECK: memref.store %[[R]], %{{.*}}[] : memref<f32>
func.func @sum_all(%x: memref<3x5xf32>, %y: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>],
                  iterator_types = ["reduction", "reduction"]}
      ins(%x : memref<3x5xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Ops on tensors are not this pass's business (it runs after bufferization).
// CHECK-LABEL: func.func @tensors
// CHECK: linalg.add
func.func @tensors(%x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.add ins(%x, %y : tensor<4xf32>, tensor<4xf32>) outs(%x : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Few outputs (4) and long reductions (128 terms): a warp per output. Lane
// l folds terms l, l + 32, ... from 0, the lanes' sums meet through five
// xor shuffles, and lane 0 adds the total to the output.
// CHECK-LABEL: func.func @row_sums
// CHECK-SAME: (%[[X:.*]]: memref<4x128xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK: scf.parallel (%[[I:.*]], %[[LANE:.*]]) = (%{{.*}}, %{{.*}}) to (%c4, %c32) step
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[SUM:.*]] = scf.for %[[R:[a-zA-Z0-9_]+]] = %[[LANE]] to %c128{{.*}} step %c32{{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32) {
// CHECK-NEXT: %[[V:.*]] = memref.load %[[X]][%[[I]], %[[R]]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[V]], %[[ACC]] : f32
// CHECK-NEXT: scf.yield %[[S]] : f32
// CHECK: %{{.*}}, %{{.*}} = gpu.shuffle  xor %[[SUM]], %c16_i32, %c32_i32 : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c8_i32, %c32_i32{{.*}} : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c4_i32, %c32_i32{{.*}} : f32
// CHECK: gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32{{.*}} : f32
// CHECK: %[[LAST:[a-zA-Z0-9_]+]], %{{.*}} = gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32{{.*}} : f32
// CHECK: %[[TOTAL:.*]] = arith.addf %[[LAST]], %{{.*}} : f32
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %{{.*}} : index
// CHECK: scf.if %[[FIRST]] {
// CHECK: %[[OLD:.*]] = memref.load %[[Y]][%[[I]]]
// CHECK: %[[NEW:.*]] = arith.addf %[[TOTAL]], %[[OLD]] : f32
// CHECK: memref.store %[[NEW]], %[[Y]][%[[I]]]
func.func @row_sums(%x: memref<4x128xf32>, %y: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x128xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A shuffle moves 32 bits: the partial maxima of bf16 rows travel as f32
// (a round trip that changes no value) and are rounded back to bf16.
// CHECK-LABEL: func.func @bf16_row_maxima
// CHECK: %[[WIDE:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[MOVED:.*]], %{{.*}} = gpu.shuffle  xor %[[WIDE]], %c16_i32, %c32_i32 : f32
// CHECK: %[[BACK:.*]] = arith.truncf %[[MOVED]] : f32 to bf16
// CHECK: arith.maximumf %[[BACK]], %{{.*}} : bf16
// CHECK-COUNT-4: gpu.shuffle  xor %{{.*}} : f32
// CHECK-NOT: gpu.shuffle
// CHECK: return
func.func @bf16_row_maxima(%x: memref<4x128xbf16>, %y: memref<4xbf16>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x128xbf16>) outs(%y : memref<4xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %0 = arith.maximumf %in, %out : bf16
    linalg.yield %0 : bf16
  }
  return
}

// -----

// A maximum starts each lane from -inf; the reduction dims (8 x 16) are
// split from the lane's term index, the innermost fastest.
// CHECK-LABEL: func.func @max_pool_all
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: scf.for %[[R:[a-zA-Z0-9_]+]] = %{{.*}} to %c128 step %c32{{.*}} iter_args(%{{.*}} = %[[NEGINF]])
// CHECK: %[[W:.*]] = arith.remui %[[R]], %c16{{.*}} : index
// CHECK: %[[H:.*]] = arith.divui %[[R]], %c16{{.*}} : index
// CHECK: memref.load %{{.*}}[%{{.*}}, %[[H]], %[[W]]]
// CHECK: arith.maximumf
// CHECK: gpu.shuffle  xor
// CHECK: arith.maximumf
func.func @max_pool_all(%x: memref<3x8x16xf32>, %y: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(c, h, w) -> (c, h, w)>, affine_map<(c, h, w) -> (c)>],
                  iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : memref<3x8x16xf32>) outs(%y : memref<3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A product has no warp lowering (mulf is not among the combiners): one
// thread per output, as for short reductions.
// CHECK-LABEL: func.func @row_products
// CHECK-NOT: gpu.shuffle
// CHECK: scf.parallel (%{{.*}}) =
// CHECK: scf.for
// CHECK-NOT: gpu.shuffle
func.func @row_products(%x: memref<4x128xf32>, %y: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x128xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.mulf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A fill that only initializes the next op's output goes: the reduction
// starts from the fill's value instead of loading it (one kernel less).
// CHECK-LABEL: func.func @fill_then_sum
// CHECK-SAME: (%[[X:.*]]: memref<4x8xf32>, %[[Y:.*]]: memref<4xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT: linalg.fill
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK-NOT: memref.load %[[Y]]
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[ZERO]]) -> (f32)
// CHECK: memref.store %{{.*}}, %[[Y]][%[[I]]]
// CHECK-NOT: scf.parallel
func.func @fill_then_sum(%x: memref<4x8xf32>, %y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x8xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %out : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// The fill stays when the next op reads the filled buffer through an input
// (here a reshaped view of it), or when something touches memory between.
// CHECK-LABEL: func.func @fill_read_as_input
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}} : memref<4xf32>
// CHECK: scf.parallel
// CHECK: memref.load
// CHECK-LABEL: func.func @fill_then_other_write
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}} : memref<4xf32>
// CHECK: memref.store
// CHECK: scf.parallel
func.func @fill_read_as_input(%y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4xf32>)
  %e = memref.expand_shape %y [[0, 1]] output_shape [4, 1] : memref<4xf32> into memref<4x1xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0, 0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%e : memref<4x1xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %in, %in : f32
    linalg.yield %0 : f32
  }
  return
}
func.func @fill_then_other_write(%x: memref<4xf32>, %y: memref<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  linalg.fill ins(%zero : f32) outs(%y : memref<4xf32>)
  memref.store %one, %x[%c0] : memref<4xf32>
  linalg.add ins(%x, %x : memref<4xf32>, memref<4xf32>) outs(%y : memref<4xf32>)
  return
}

// -----

// A broadcast that widens an f16 bias into an f32 accumulator (a
// half-precision convolution's) is absorbed too: the sum starts from the
// bias element, widened.
// CHECK-LABEL: func.func @widening_bias_then_sum
// CHECK-SAME: (%[[BIAS:.*]]: memref<4x1xf16>, %[[Q:.*]]: memref<3x4x8xf32>, %[[Y:.*]]: memref<4x8xf32>)
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[B:.*]] = memref.load %[[BIAS]][%[[I]], %c0{{.*}}] : memref<4x1xf16>
// CHECK: %[[W:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[W]]) -> (f32)
// CHECK: memref.store %{{.*}}, %[[Y]][%[[I]], %[[J]]]
// CHECK-NOT: scf.parallel
func.func @widening_bias_then_sum(%bias: memref<4x1xf16>, %q: memref<3x4x8xf32>, %y: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<4x1xf16>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f16, %out: f32):
    %w = arith.extf %in : f16 to f32
    linalg.yield %w : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1, s) -> (s, d0, d1)>, affine_map<(d0, d1, s) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q : memref<3x4x8xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A broadcast of a bias into the output goes too, even with a split
// product's partial sums between it and the op that adds them to it: that
// op starts each output from the bias element (through the broadcast's map,
// constants included) instead of loading the output.
// CHECK-LABEL: func.func @bias_then_partial_sums
// CHECK-SAME: (%[[BIAS:.*]]: memref<4x1xf32>, %[[P:.*]]: memref<3x4x8xf32>, %[[Q:.*]]: memref<3x4x8xf32>, %[[Y:.*]]: memref<4x8xf32>)
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[B:.*]] = memref.load %[[BIAS]][%[[I]], %c0{{.*}}] : memref<4x1xf32>
// CHECK: scf.for %{{.*}} iter_args(%{{.*}} = %[[B]]) -> (f32)
// CHECK: memref.store %{{.*}}, %[[Y]][%[[I]], %[[J]]]
// CHECK-NOT: scf.parallel
func.func @bias_then_partial_sums(%bias: memref<4x1xf32>, %p: memref<3x4x8xf32>, %q: memref<3x4x8xf32>, %y: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<4x1xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  // The partial sums (here made from q), on another buffer.
  linalg.generic {indexing_maps = [affine_map<(s, d0, d1) -> (s, d0, d1)>, affine_map<(s, d0, d1) -> (s, d0, d1)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%q : memref<3x4x8xf32>) outs(%p : memref<3x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.mulf %in, %in : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1, s) -> (s, d0, d1)>, affine_map<(d0, d1, s) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p : memref<3x4x8xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// The broadcast stays when what lies between writes its input (the bias
// would have changed) or reads the output.
// CHECK-LABEL: func.func @bias_overwritten
// CHECK-COUNT-3: scf.parallel
// CHECK-LABEL: func.func @output_read_between
// CHECK-COUNT-3: scf.parallel
func.func @bias_overwritten(%bias: memref<4xf32>, %x: memref<4xf32>, %y: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%bias : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.add ins(%bias, %bias : memref<4xf32>, memref<4xf32>) outs(%bias : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  }
  return
}
func.func @output_read_between(%bias: memref<4xf32>, %x: memref<4xf32>, %y: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%bias : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  linalg.add ins(%y, %y : memref<4xf32>, memref<4xf32>) outs(%x : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%x : memref<4xf32>) outs(%y : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  }
  return
}
