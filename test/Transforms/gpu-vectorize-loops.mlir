// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -pass-pipeline='builtin.module(func.func(gcomp-gpu-vectorize-loops))' | FileCheck %s
// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -pass-pipeline='builtin.module(func.func(gcomp-gpu-vectorize-loops),func.func(gcomp-map-to-gpu))' | FileCheck %s --check-prefix=GPU
// RUN: not gcomp-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(gcomp-gpu-vectorize-loops{max-bytes=3}))' 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: gcomp-gpu-vectorize-loops: max-bytes must be a power of two of at least 2, not 3

// An element-wise loop with a broadcast bias: four lanes of j per
// iteration, 16-byte aligned vector accesses, vector arithmetic; the
// bias element (uniform in j) stays a scalar load, broadcast.
// CHECK-LABEL: func.func @bias_exp
// CHECK: %c8 = arith.constant 8 : index
// CHECK-NEXT: %[[STEP:.*]] = arith.constant 4 : index
// CHECK-NEXT: scf.parallel (%[[I:.*]], %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}) step (%{{.*}}, %[[STEP]])
// CHECK: %[[X:.*]] = vector.load %{{.*}}[%[[I]], %[[J]]] {alignment = 16 : i64} : memref<4x8xf32>, vector<4xf32>
// CHECK: %[[B:.*]] = memref.load %{{.*}}[%[[I]]] : memref<4xf32>
// CHECK: %[[BV:.*]] = vector.broadcast %[[B]] : f32 to vector<4xf32>
// CHECK: %[[S:.*]] = arith.addf %[[X]], %[[BV]] : vector<4xf32>
// CHECK: %[[E:.*]] = math.exp %[[S]] : vector<4xf32>
// CHECK: vector.store %[[E]], %{{.*}}[%[[I]], %[[J]]] {alignment = 16 : i64} : memref<4x8xf32>, vector<4xf32>
// CHECK-NOT: memref.store
// The kernel has a quarter of the threads: 8 of them for 32 elements.
// GPU-LABEL: func.func @bias_exp
// GPU: gpu.launch
// GPU: arith.cmpi ult, %{{.*}}, %c8{{(_[0-9]+)?}} : index
// GPU: arith.remui %{{.*}}, %c2{{(_[0-9]+)?}} : index
// GPU: vector.load
// GPU: vector.store
func.func @bias_exp(%x: memref<4x8xf32>, %bias: memref<4xf32>, %y: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<4x8xf32>
    %b = memref.load %bias[%i] : memref<4xf32>
    %s = arith.addf %v, %b : f32
    %e = math.exp %s : f32
    memref.store %e, %y[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  return
}

// -----

// Elements of different sizes: the widest (f32) sets four lanes; the f16
// loads are 8 bytes, aligned to 8. The views are at constant byte shifts
// of the workspace that keep that alignment.
// CHECK-LABEL: func.func @widen
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<64xf16>, vector<4xf16>
// CHECK: arith.extf %{{.*}} : vector<4xf16> to vector<4xf32>
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<64xf32>, vector<4xf32>
func.func @widen(%ws: memref<1024xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %h = memref.view %ws[%c0][] : memref<1024xi8> to memref<64xf16>
  %f = memref.view %ws[%c256][] : memref<1024xi8> to memref<64xf32>
  scf.parallel (%j) = (%c0) to (%c64) step (%c1) {
    %v = memref.load %h[%j] : memref<64xf16>
    %w = arith.extf %v : f16 to f32
    memref.store %w, %f[%j] : memref<64xf32>
    scf.reduce
  }
  return
}

// -----

// Six elements per row: two lanes (8 bytes), since four do not divide 6.
// A uniform value stored to every lane is broadcast.
// CHECK-LABEL: func.func @two_lanes
// CHECK: %[[STEP:.*]] = arith.constant 2 : index
// CHECK-NEXT: scf.parallel {{.*}} step (%{{.*}}, %[[STEP]])
// CHECK: %[[V:.*]] = vector.broadcast %{{.*}} : f32 to vector<2xf32>
// CHECK: vector.store %[[V]], %{{.*}} {alignment = 8 : i64} : memref<3x6xf32>, vector<2xf32>
func.func @two_lanes(%y: memref<3x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c3, %c6) step (%c1, %c1) {
    memref.store %zero, %y[%i, %j] : memref<3x6xf32>
    scf.reduce
  }
  return
}

// -----

// Subviews whose offset and row stride are multiples of the lanes
// vectorize; a comparison and a select work lane by lane.
// CHECK-LABEL: func.func @relu_subview
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<2x8xf32, strided<[16, 1], offset: 4>>, vector<4xf32>
// CHECK: arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : vector<4xi1>, vector<4xf32>
func.func @relu_subview(%x: memref<2x16xf32>, %y: memref<2x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  %sub = memref.subview %x[0, 4] [2, 8] [1, 1] : memref<2x16xf32> to memref<2x8xf32, strided<[16, 1], offset: 4>>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c2, %c8) step (%c1, %c1) {
    %v = memref.load %sub[%i, %j] : memref<2x8xf32, strided<[16, 1], offset: 4>>
    %p = arith.cmpf ogt, %v, %zero : f32
    %r = arith.select %p, %v, %zero : f32
    memref.store %r, %y[%i, %j] : memref<2x8xf32>
    scf.reduce
  }
  return
}

// -----

// Loops left as they are. Seven elements per row: no lane count divides it.
// CHECK-LABEL: func.func @odd_rows
// CHECK-NOT: vector.
// CHECK: memref.store
func.func @odd_rows(%x: memref<7xf32>, %y: memref<7xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c7 = arith.constant 7 : index
  scf.parallel (%j) = (%c0) to (%c7) step (%c1) {
    %v = memref.load %x[%j] : memref<7xf32>
    memref.store %v, %y[%j] : memref<7xf32>
    scf.reduce
  }
  return
}

// -----

// A view one float past an aligned byte: its rows cannot be proven
// aligned.
// CHECK-LABEL: func.func @misaligned_view
// CHECK-NOT: vector.
// CHECK: memref.store
func.func @misaligned_view(%ws: memref<1024xi8>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %x = memref.view %ws[%c4][] : memref<1024xi8> to memref<8xf32>
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%j] : memref<8xf32>
    memref.store %v, %y[%j] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A shifted index (a padded copy) reads across lanes' alignment.
// CHECK-LABEL: func.func @shifted
// CHECK-NOT: vector.
// CHECK: memref.store
func.func @shifted(%x: memref<9xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %k = affine.apply affine_map<(d0) -> (d0 + 1)>(%j)
    %v = memref.load %x[%k] : memref<9xf32>
    memref.store %v, %y[%j] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A sequential loop inside (the sum of split partial products): its bound
// stays scalar, the value it carries becomes a vector.
// CHECK-LABEL: func.func @partial_sums
// CHECK: %[[INIT:.*]] = vector.load %{{.*}} {alignment = 16 : i64} : memref<8xf32>, vector<4xf32>
// CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<4xf32>)
// CHECK: %[[V:.*]] = vector.load %{{.*}}[%[[K]], %{{.*}}] {alignment = 16 : i64} : memref<3x8xf32>, vector<4xf32>
// CHECK: %[[A:.*]] = arith.addf %[[ACC]], %[[V]] : vector<4xf32>
// CHECK: scf.yield %[[A]] : vector<4xf32>
// CHECK: vector.store %[[SUM]], %{{.*}} {alignment = 16 : i64} : memref<8xf32>, vector<4xf32>
func.func @partial_sums(%x: memref<3x8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %init = memref.load %y[%j] : memref<8xf32>
    %sum = scf.for %k = %c0 to %c3 step %c1 iter_args(%acc = %init) -> f32 {
      %v = memref.load %x[%k, %j] : memref<3x8xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    memref.store %sum, %y[%j] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// A sum along j (every lane would read what another folds in), and memory
// of unknown alignment (a global).
// CHECK-LABEL: func.func @not_elementwise
// CHECK-NOT: vector.
// CHECK: scf.for
// CHECK: memref.store
// CHECK-NOT: vector.
// CHECK: return
memref.global "private" @tmp : memref<8xf32>
func.func @not_elementwise(%x: memref<8x8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %init = memref.load %y[%i] : memref<8xf32>
    %sum = scf.for %k = %c0 to %c8 step %c1 iter_args(%acc = %init) -> f32 {
      %v = memref.load %x[%i, %k] : memref<8x8xf32>
      %a = arith.addf %acc, %v : f32
      scf.yield %a : f32
    }
    memref.store %sum, %y[%i] : memref<8xf32>
    scf.reduce
  }
  %tmp = memref.get_global @tmp : memref<8xf32>
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %y[%j] : memref<8xf32>
    memref.store %v, %tmp[%j] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

// An epilogue's store at the same linear index of a buffer of another
// shape (the index split by the buffer's dims): the remainders by 4 and
// the quotients stay within one row across four lanes, so the store is
// contiguous; the bias, indexed by a value the same in every lane, is one
// scalar load, broadcast.
// CHECK-LABEL: func.func @linear_epilogue
// CHECK: %[[B:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<8xf32>
// CHECK: %[[BV:.*]] = vector.broadcast %[[B]] : f32 to vector<4xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[BV]]) -> (vector<4xf32>)
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<2x8x12xf32>, vector<4xf32>
// CHECK: arith.remui
// CHECK: arith.divui
// CHECK: arith.maximumf %{{.*}} : vector<4xf32>
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<8x3x4xf32>, vector<4xf32>
func.func @linear_epilogue(%p: memref<2x8x12xf32>, %bias: memref<8xf32>, %y: memref<8x3x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c12 = arith.constant 12 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%a, %j) = (%c0, %c0) to (%c8, %c12) step (%c1, %c1) {
    %b = memref.load %bias[%a] : memref<8xf32>
    %s = scf.for %k = %c0 to %c2 step %c1 iter_args(%acc = %b) -> f32 {
      %v = memref.load %p[%k, %a, %j] : memref<2x8x12xf32>
      %t = arith.addf %acc, %v : f32
      scf.yield %t : f32
    }
    %l0 = arith.muli %a, %c12 : index
    %l = arith.addi %l0, %j : index
    %w = arith.remui %l, %c4 : index
    %q = arith.divui %l, %c4 : index
    %h = arith.remui %q, %c3 : index
    %c = arith.divui %q, %c3 : index
    %r = arith.maximumf %s, %zero : f32
    memref.store %r, %y[%c, %h, %w] : memref<8x3x4xf32>
    scf.reduce
  }
  return
}

// -----

// Rows of 6 in the output: four lanes could cross one, two cannot.
// CHECK-LABEL: func.func @crossing_rows
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<4x12xf32>, vector<2xf32>
// CHECK: vector.store %{{.*}} {alignment = 8 : i64} : memref<8x6xf32>, vector<2xf32>
func.func @crossing_rows(%x: memref<4x12xf32>, %y: memref<8x6xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c6 = arith.constant 6 : index
  %c12 = arith.constant 12 : index
  scf.parallel (%a, %j) = (%c0, %c0) to (%c4, %c12) step (%c1, %c1) {
    %v = memref.load %x[%a, %j] : memref<4x12xf32>
    %l0 = arith.muli %a, %c12 : index
    %l = arith.addi %l0, %j : index
    %w = arith.remui %l, %c6 : index
    %h = arith.divui %l, %c6 : index
    memref.store %v, %y[%h, %w] : memref<8x6xf32>
    scf.reduce
  }
  return
}

// -----

// j used as a number (an iota): the lanes' values would differ.
// CHECK-LABEL: func.func @iota
// CHECK-NOT: vector.
// CHECK: memref.store
func.func @iota(%y: memref<8xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %v = arith.index_cast %j : index to i64
    memref.store %v, %y[%j] : memref<8xi64>
    scf.reduce
  }
  return
}

// -----

// Left alone: j indexes a dimension of stride 1 that is not the last (a
// transposed view; vector accesses run along the last dimension), an
// index carried by an inner loop, elements of type index, and a private
// function's argument (only the entry's are known to be aligned).
// CHECK-LABEL: func.func @transposed
// CHECK-NOT: vector.
// CHECK: return
func.func @transposed(%x: memref<8x4xf32, strided<[1, 8]>>, %y: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %x[%j, %i] : memref<8x4xf32, strided<[1, 8]>>
    memref.store %v, %y[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @carried_index
// CHECK-NOT: vector.
// CHECK: return
func.func @carried_index(%x: memref<3x8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %r:2 = scf.for %k = %c0 to %c3 step %c1 iter_args(%a = %zero, %n = %c0) -> (f32, index) {
      %v = memref.load %x[%n, %j] : memref<3x8xf32>
      %s = arith.addf %a, %v : f32
      %m = arith.addi %n, %c1 : index
      scf.yield %s, %m : f32, index
    }
    memref.store %r#0, %y[%j] : memref<8xf32>
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func @index_elements
// CHECK-NOT: vector.
// CHECK: return
func.func @index_elements(%x: memref<8xindex>, %y: memref<8xindex>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%j] : memref<8xindex>
    memref.store %v, %y[%j] : memref<8xindex>
    scf.reduce
  }
  return
}

// CHECK-LABEL: func.func private @helper
// CHECK-NOT: vector.
// CHECK: return
func.func private @helper(%x: memref<8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%j] : memref<8xf32>
    memref.store %v, %y[%j] : memref<8xf32>
    scf.reduce
  }
  return
}
