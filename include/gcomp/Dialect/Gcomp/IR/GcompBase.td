//===- GcompBase.td - gcomp dialect definition -------------*- tablegen -*-===//
//
// The gcomp graph dialect: one op per ONNX semantic (not per opset version)
// on builtin ranked tensors. The ONNX importer maps every opset's spelling
// onto these ops; graph passes fold, fuse and plan on them; GcompToLinalg
// lowers them to upstream dialects.
//
//===----------------------------------------------------------------------===//

#ifndef GCOMP_DIALECT_GCOMP_IR_GCOMPBASE_TD
#define GCOMP_DIALECT_GCOMP_IR_GCOMPBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"

def Gcomp_Dialect : Dialect {
  let name = "gcomp";
  let cppNamespace = "::gcomp";
  let summary = "The gcomp graph dialect: ONNX semantics on builtin tensors";
  let description = [{
    Ops of this dialect stand for ONNX operator semantics on ranked tensors
    of builtin types. Each op verifies its operands, infers its result type
    and folds when its inputs are constant. The importer normalizes opset
    differences (for instance Softmax's pre-13 "coerce to 2-D" rule or
    Flatten, which both become reshapes around simpler ops), so passes see
    one spelling per semantic.

    Graph inputs and outputs carry their ONNX names as the `gcomp.name`
    argument and result attribute of the entry function; they become the
    names of the compiled library's ABI.
  }];
  let useDefaultAttributePrinterParser = 0;
  let hasConstantMaterializer = 1;
}

class Gcomp_Op<string mnemonic, list<Trait> traits = []>
    : Op<Gcomp_Dialect, mnemonic, traits>;

// Element types the graph level accepts for numeric ops.
def Gcomp_Numeric : AnyTypeOf<[AnyFloat, AnySignlessInteger]>;
def Gcomp_NumericTensor : RankedTensorOf<[AnyFloat, AnySignlessInteger]>;
def Gcomp_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Gcomp_AnyTensor : RankedTensorOf<[AnyType]>;

#endif // GCOMP_DIALECT_GCOMP_IR_GCOMPBASE_TD
