//===- Passes.td - gcomp conversions -----------------------*- tablegen -*-===//

#ifndef GCOMP_CONVERSION_PASSES_TD
#define GCOMP_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertGcompToLinalg : Pass<"convert-gcomp-to-linalg"> {
  let summary = "Lower gcomp graph ops to linalg, tensor, arith and math";
  let description = [{
    Every gcomp op becomes destination-style upstream IR on tensors:
    elementwise ops and broadcasting become `linalg.generic` with broadcast
    indexing maps, MatMul and Gemm become contraction `linalg.generic`s
    (batch dims broadcast through their maps), Softmax becomes reductions,
    Transpose `linalg.transpose`, Reshape `tensor.reshape`, constants
    `arith.constant`; the ops with a sequential order (scatters, TopK)
    become `scf.for` loops over tensors. After this pass no gcomp op is left.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect",
    "mlir::math::MathDialect",
    "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect",
  ];
}

#endif // GCOMP_CONVERSION_PASSES_TD
