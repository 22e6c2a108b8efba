// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops,canonicalize,cse))' | FileCheck %s
// RUN: gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-linalg-to-gpu-loops{epilogues=0},canonicalize,cse))' | FileCheck %s --check-prefix=OFF

// The ReLU after a tiled product runs in the product's kernel: each
// output goes through the ReLU's body and is stored to the ReLU's output
// (through a reshape of the product's workspace buffer, at the same
// linear index); the product's own buffer is never written.
// CHECK-LABEL: func.func @product_then_relu
// CHECK-SAME: (%[[A:.*]]: memref<32x64xf32>, %[[B:.*]]: memref<64x48xf32>, %[[Y:.*]]: memref<2x16x48xf32>, %[[WS:.*]]: memref<8192xi8>)
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: %[[R:.*]] = arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK: memref.store %[[R]], %[[Y]][%{{.*}}, %{{.*}}, %{{.*}}] : memref<2x16x48xf32>
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
// CHECK: return
// OFF-LABEL: func.func @product_then_relu
// OFF: gpu.launch
// OFF: scf.parallel
// OFF: arith.maximumf
func.func @product_then_relu(%a: memref<32x64xf32>, %b: memref<64x48xf32>,
                             %y: memref<2x16x48xf32>, %ws: memref<8192xi8>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = memref.view %ws[%c0][] : memref<8192xi8> to memref<32x48xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<32x48xf32>)
  linalg.matmul ins(%a, %b : memref<32x64xf32>, memref<64x48xf32>) outs(%t : memref<32x48xf32>)
  %r = memref.expand_shape %t [[0, 1], [2]] output_shape [2, 16, 48] : memref<32x48xf32> into memref<2x16x48xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i, j, k)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r : memref<2x16x48xf32>) outs(%y : memref<2x16x48xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// The sum of a split product's partial sums (a thread per output) takes the
// residual add after it, which reads a second input at the same element.
// CHECK-LABEL: func.func @partial_sums_then_residual
// CHECK-SAME: (%[[P:.*]]: memref<4x64xf32>, %[[X:.*]]: memref<64xf32>, %[[Y:.*]]: memref<64xf32>, %[[WS:.*]]: memref<1024xi8>)
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: %[[RES:.*]] = memref.load %[[X]][%[[I]]]
// CHECK: %[[ADD:.*]] = arith.addf %[[SUM]], %[[RES]] : f32
// CHECK: memref.store %[[ADD]], %[[Y]][%[[I]]]
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @partial_sums_then_residual(%p: memref<4x64xf32>, %x: memref<64xf32>,
                                      %y: memref<64xf32>, %ws: memref<1024xi8>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = memref.view %ws[%c0][] : memref<1024xi8> to memref<64xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, s) -> (s, i)>, affine_map<(i, s) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%p : memref<4x64xf32>) outs(%t : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%t, %x : memref<64xf32>, memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%in: f32, %r: f32, %out: f32):
    %s = arith.addf %in, %r : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not fused: the product's output is read again after the consumer (a
// residual connection), so it must be stored.
// CHECK-LABEL: func.func @output_read_again
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[T:.*]][%{{.*}}] : memref<64xf32>
// CHECK: scf.parallel
// CHECK: arith.maximumf
// CHECK: scf.parallel
// CHECK: arith.addf
func.func @output_read_again(%p: memref<4x64xf32>, %y: memref<64xf32>,
                             %z: memref<64xf32>, %ws: memref<1024xi8>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = memref.view %ws[%c0][] : memref<1024xi8> to memref<64xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, s) -> (s, i)>, affine_map<(i, s) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%p : memref<4x64xf32>) outs(%t : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%t : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%t, %y : memref<64xf32>, memref<64xf32>) outs(%z : memref<64xf32>) {
  ^bb0(%in: f32, %r: f32, %out: f32):
    %s = arith.addf %in, %r : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not fused: the consumer's output shares workspace bytes with the
// product's input (the planner may give a dead input's bytes to a later
// value), which other threads of the fused kernel would still read.
// CHECK-LABEL: func.func @output_overlaps_input
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: memref.store
// CHECK: scf.parallel
// CHECK: arith.maximumf
func.func @output_overlaps_input(%ws: memref<4096xi8>) {
  %c0 = arith.constant 0 : index
  %c1024 = arith.constant 1024 : index
  %c2048 = arith.constant 2048 : index
  %zero = arith.constant 0.0 : f32
  %p = memref.view %ws[%c0][] : memref<4096xi8> to memref<4x64xf32>
  %t = memref.view %ws[%c1024][] : memref<4096xi8> to memref<64xf32>
  %y = memref.view %ws[%c0][] : memref<4096xi8> to memref<64xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, s) -> (s, i)>, affine_map<(i, s) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%p : memref<4x64xf32>) outs(%t : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%t : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Not fused either: the sum loads its input in its body (a padded input
// read in place by gcomp-gpu-fold-pads), not as an operand, and the
// consumer's output shares those bytes.
// CHECK-LABEL: func.func @output_overlaps_body_read
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: memref.store
// CHECK: scf.parallel
// CHECK: arith.maximumf
func.func @output_overlaps_body_read(%ws: memref<4096xi8>) {
  %c0 = arith.constant 0 : index
  %c1024 = arith.constant 1024 : index
  %c2048 = arith.constant 2048 : index
  %zero = arith.constant 0.0 : f32
  %p = memref.view %ws[%c0][] : memref<4096xi8> to memref<4x64xf32>
  %t = memref.view %ws[%c1024][] : memref<4096xi8> to memref<64xf32>
  %y = memref.view %ws[%c0][] : memref<4096xi8> to memref<64xf32>
  %w = memref.view %ws[%c2048][] : memref<4096xi8> to memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<64xf32>)
  linalg.generic {indexing_maps = [affine_map<(i, s) -> (s)>, affine_map<(i, s) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%w : memref<4xf32>) outs(%t : memref<64xf32>) {
  ^bb0(%unused: f32, %out: f32):
    %i = linalg.index 0 : index
    %s = linalg.index 1 : index
    %in = memref.load %p[%s, %i] : memref<4x64xf32>
    %a = arith.addf %out, %in : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%t : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Not fused: the product writes a model output (a function argument),
// whose values must land.
// CHECK-LABEL: func.func @model_output
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[T:.*]][%{{.*}}] : memref<64xf32>
// CHECK: scf.parallel
// CHECK: arith.maximumf
func.func @model_output(%p: memref<4x64xf32>, %t: memref<64xf32>, %y: memref<64xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(i, s) -> (s, i)>, affine_map<(i, s) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%p : memref<4x64xf32>) outs(%t : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%t : memref<64xf32>) outs(%y : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  }
  return
}
