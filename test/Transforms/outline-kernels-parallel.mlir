// RUN: gcomp-opt %s -split-input-file -gcomp-outline-kernels=parallel=1 | FileCheck %s

// A large elementwise kernel over [1, 256, 256] splits its first loop
// longer than 1 (the 256 rows): it takes [lo, hi) and works on those rows
// of each operand; a broadcast operand ([256], no row dim) is read whole;
// an operand written in place is cut once. The call passes [0, 256).
// CHECK-LABEL: func.func private @gcomp.k0.generic(
// CHECK-SAME: %[[X:[^:]*]]: memref<1x256x256xf32>, %[[B:[^:]*]]: memref<256xf32>, %[[LO:[^:]*]]: index, %[[HI:[^:]*]]: index) attributes {gcomp.parallel, llvm.no_inline}
// CHECK: %[[N:.*]] = arith.subi %[[HI]], %[[LO]] : index
// CHECK: %[[XS:.*]] = memref.subview %[[X]][0, %[[LO]], 0] [1, %[[N]], 256] [1, 1, 1]
// CHECK-NOT: memref.subview
// CHECK: linalg.generic {{.*}} ins(%[[XS]], %[[B]] : {{.*}}) outs(%[[XS]] :
// CHECK-LABEL: func.func @main(
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: call @gcomp.k0.generic(%{{.*}}, %{{.*}}, %[[C0]], %[[C256]])
func.func @main(%x: memref<1x256x256xf32>, %b: memref<256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(n, i, j) -> (n, i, j)>, affine_map<(n, i, j) -> (j)>, affine_map<(n, i, j) -> (n, i, j)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<1x256x256xf32>, memref<256xf32>) outs(%x : memref<1x256x256xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %s = arith.addf %v, %w : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Not split: a kernel under 32768 iterations, one that reads its loop
// index, one whose outer loop reduces, and one reading a buffer along two
// different loops (x + x^T).
// CHECK-LABEL: func.func private @gcomp.k0.generic(
// CHECK-NOT: : index
// CHECK-LABEL: func.func private @gcomp.k1.generic(
// CHECK-SAME: memref<256x256xf32>, %{{[^:]*}}: memref<256x256xf32>) attributes {llvm.no_inline}
// CHECK-LABEL: func.func private @gcomp.k2.generic(
// CHECK-SAME: memref<256x256xf32>, %{{[^:]*}}: memref<256xf32>) attributes {llvm.no_inline}
// CHECK-LABEL: func.func private @gcomp.k3.generic(
// CHECK-SAME: memref<256x256xf32>, %{{[^:]*}}: memref<256x256xf32>) attributes {llvm.no_inline}
// CHECK-NOT: gcomp.parallel
func.func @main(%s: memref<16x16xf32>, %x: memref<256x256xf32>, %y: memref<256x256xf32>, %r: memref<256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]} outs(%s : memref<16x16xf32>) {
  ^bb0(%o: f32):
    %z = arith.constant 0.0 : f32
    linalg.yield %z : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<256x256xf32>) outs(%y : memref<256x256xf32>) {
  ^bb0(%v: f32, %o: f32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c = arith.cmpi ule, %j, %i : index
    %z = arith.constant 0.0 : f32
    %m = arith.select %c, %v, %z : f32
    linalg.yield %m : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<256x256xf32>) outs(%r : memref<256xf32>) {
  ^bb0(%v: f32, %o: f32):
    %a = arith.addf %v, %o : f32
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %x : memref<256x256xf32>, memref<256x256xf32>) outs(%y : memref<256x256xf32>) {
  ^bb0(%v: f32, %w: f32, %o: f32):
    %a = arith.addf %v, %w : f32
    linalg.yield %a : f32
  }
  return
}
