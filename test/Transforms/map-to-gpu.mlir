// RUN: gcomp-opt %s -split-input-file -verify-diagnostics -pass-pipeline='builtin.module(func.func(gcomp-map-to-gpu))' | FileCheck %s

// A 4x8 parallel loop: 32 threads of one 256-thread block, each splitting
// its linear id into (i, j), j fastest; the threads past 32 do nothing.
// CHECK-LABEL: func.func @parallel
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C256]], %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK: %[[B:.*]] = arith.muli %[[BX]], %[[C256]] : index
// CHECK: %[[ID:.*]] = arith.addi %[[B]], %[[TX]] : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[C32]] : index
// CHECK: scf.if %[[IN]] {
// CHECK: %[[J0:.*]] = arith.remui %[[ID]], %[[C8]] : index
// CHECK: %[[I0:.*]] = arith.divui %[[ID]], %[[C8]] : index
// CHECK: %[[J:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK: %[[I:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK: memref.load %{{.*}}[%[[I]], %[[J]]]
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[I]], %[[J]]]
// CHECK: gpu.terminator
// CHECK-NOT: scf.parallel
func.func @parallel(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c8) step (%c1, %c1) {
    %v = memref.load %x[%i, %j] : memref<4x8xf32>
    %e = math.exp %v : f32
    memref.store %e, %y[%i, %j] : memref<4x8xf32>
    scf.reduce
  }
  return
}

// -----

// Loads, arithmetic and stores outside parallel loops (a 0-d linalg op)
// run in one one-thread kernel, where the last of them was; the host
// operations in between (the view) stay on the host.
// CHECK-LABEL: func.func @sequential
// CHECK: %[[V:.*]] = memref.view
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}})
// CHECK-NEXT: memref.load %{{.*}}[] : memref<f32>
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: memref.store %{{.*}}, %[[V]][] : memref<f32>
// CHECK-NEXT: gpu.terminator
// CHECK: return
func.func @sequential(%x: memref<f32>, %ws: memref<64xi8>) {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[] : memref<f32>
  %m = arith.mulf %v, %v : f32
  %view = memref.view %ws[%c0][] : memref<64xi8> to memref<f32>
  memref.store %m, %view[] : memref<f32>
  return
}

// -----

// A reshape to a static shape would read its shape operand (on the device)
// on the host: it becomes a cast, which reads nothing.
// CHECK-LABEL: func.func @reshape
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [2, 6], strides: [6, 1] : memref<3x4xf32> to memref<2x6xf32>
// CHECK-NOT: memref.reshape
func.func @reshape(%x: memref<3x4xf32>, %shape: memref<2xi64>) -> memref<2x6xf32> {
  %r = memref.reshape %x(%shape) : (memref<3x4xf32>, memref<2xi64>) -> memref<2x6xf32>
  return %r : memref<2x6xf32>
}

// -----

func.func @host_use(%x: memref<index>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %f = arith.constant 1.0 : f32
  %n = memref.load %x[] : memref<index>
  // expected-error @below {{gcomp-map-to-gpu: a value computed from device memory is used on the host}}
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %f, %y[%i] : memref<8xf32>
    scf.reduce
  }
  return
}

// -----

func.func @reduction(%y: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{gcomp-map-to-gpu: parallel loops with reductions are not supported}}
  %s = scf.parallel (%i) = (%c0) to (%c8) step (%c1) init (%zero) -> f32 {
    %v = memref.load %y[%i] : memref<8xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %r = arith.addf %a, %b : f32
      scf.reduce.return %r : f32
    }
  }
  return %s : f32
}

// -----

// Kernels are named after the ONNX nodes in their op's location (for
// profilers): PTX identifiers, not starting with a digit; a fused op's
// kernel after its first node and how many more. The outliner makes equal
// names unique.
// CHECK-LABEL: func.func @named
// CHECK: gpu.launch {{.*}} function(@layer1_layer1_0_conv1_Conv) {
// CHECK: gpu.launch {{.*}} function(@node_7_Add_and_2_more) {
// CHECK: gpu.launch {{.*}} function(@layer1_layer1_0_conv1_Conv) {
func.func @named(%x: memref<8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%i] : memref<8xf32>
    memref.store %v, %y[%i] : memref<8xf32>
    scf.reduce
  } loc("/layer1/layer1.0/conv1/Conv")
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%i] : memref<8xf32>
    memref.store %v, %y[%i] : memref<8xf32>
    scf.reduce
  } loc(fused["7/Add", "Mul_3", "Relu_4"])
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    %v = memref.load %x[%i] : memref<8xf32>
    memref.store %v, %y[%i] : memref<8xf32>
    scf.reduce
  } loc("/layer1/layer1.0/conv1/Conv")
  return
}
