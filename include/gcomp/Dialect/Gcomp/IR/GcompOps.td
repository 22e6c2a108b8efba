//===- GcompOps.td - gcomp dialect ops ---------------------*- tablegen -*-===//

#ifndef GCOMP_DIALECT_GCOMP_IR_GCOMPOPS_TD
#define GCOMP_DIALECT_GCOMP_IR_GCOMPOPS_TD

include "gcomp/Dialect/Gcomp/IR/GcompBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Constant
//===----------------------------------------------------------------------===//

def Gcomp_ConstantOp : Gcomp_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "A constant tensor (an ONNX initializer or Constant node)";
  let description = [{
    Holds a weight or a Constant node's value. The importer stores large
    values as `dense_resource` blobs so that the IR stays printable and the
    bytes are not uniqued in the context; small ones as `dense`.

    Example:
    ```mlir
    %w = gcomp.constant dense_resource<fc1.weight> : tensor<784x128xf32>
    %s = gcomp.constant dense<[1, 784]> : tensor<2xi64>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Gcomp_BinaryElementwiseOp<string mnemonic, string onnxName>
    : Gcomp_Op<mnemonic, [Pure, SameOperandsElementType,
                          InferTypeOpAdaptor]> {
  let summary = "Elementwise " # onnxName # " with numpy broadcasting";
  let description = [{
    ONNX `}] # onnxName # [{` (opset 7 and later): both operands are
    broadcast numpy-style to a common shape. Dims that are dynamic in one
    operand and static (not 1) in the other take the static size.

    Example:
    ```mlir
    %y = gcomp.}] # mnemonic # [{ %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Gcomp_NumericTensor:$lhs, Gcomp_NumericTensor:$rhs);
  let results = (outs Gcomp_NumericTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Gcomp_AddOp : Gcomp_BinaryElementwiseOp<"add", "Add">;
def Gcomp_SubOp : Gcomp_BinaryElementwiseOp<"sub", "Sub">;
def Gcomp_MulOp : Gcomp_BinaryElementwiseOp<"mul", "Mul">;
def Gcomp_DivOp : Gcomp_BinaryElementwiseOp<"div", "Div">;

class Gcomp_UnaryFloatOp<string mnemonic, string onnxName, string math>
    : Gcomp_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = "Elementwise " # onnxName # ": " # math;
  let description = [{
    ONNX `}] # onnxName # [{`: `}] # math # [{` for every element.

    Example:
    ```mlir
    %y = gcomp.}] # mnemonic # [{ %x : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins Gcomp_FloatTensor:$input);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Gcomp_ReluOp : Gcomp_UnaryFloatOp<"relu", "Relu", "y = max(x, 0)">;
def Gcomp_SigmoidOp
    : Gcomp_UnaryFloatOp<"sigmoid", "Sigmoid", "y = 1 / (1 + exp(-x))">;
def Gcomp_TanhOp : Gcomp_UnaryFloatOp<"tanh", "Tanh", "y = tanh(x)">;

def Gcomp_SoftmaxOp : Gcomp_Op<"softmax",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax along one axis";
  let description = [{
    `y = exp(x - max(x)) / sum(exp(x - max(x)))` along `axis` (ONNX opset 13
    semantics). The importer rewrites the opset < 13 form, which flattens
    the input to 2-D at `axis`, into reshapes around this op. `axis` is
    normalized to be non-negative.

    Example:
    ```mlir
    %y = gcomp.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
    ```
  }];
  let arguments = (ins Gcomp_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def Gcomp_MatMulOp : Gcomp_Op<"matmul",
    [Pure, SameOperandsElementType, InferTypeOpAdaptor]> {
  let summary = "numpy matmul (ONNX MatMul)";
  let description = [{
    Matrix product with numpy semantics: 1-D operands are promoted to
    matrices (and the added dim removed from the result), leading batch
    dims broadcast.

    Example:
    ```mlir
    %y = gcomp.matmul %a, %b : (tensor<8x4x16xf32>, tensor<16x32xf32>) -> tensor<8x4x32xf32>
    ```
  }];
  let arguments = (ins Gcomp_NumericTensor:$lhs, Gcomp_NumericTensor:$rhs);
  let results = (outs Gcomp_NumericTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
}

def Gcomp_GemmOp : Gcomp_Op<"gemm",
    [Pure, InferTypeOpAdaptor]> {
  let summary = "General matrix multiply: alpha * op(A) * op(B) + beta * C";
  let description = [{
    ONNX Gemm: `A` and `B` are 2-D, optionally transposed (`trans_a`,
    `trans_b`); the optional `C` broadcasts unidirectionally to `[M, N]`.

    Example:
    ```mlir
    %y = gcomp.gemm %x, %w, %b {trans_b = true}
        : (tensor<2x784xf32>, tensor<128x784xf32>, tensor<128xf32>) -> tensor<2x128xf32>
    ```
  }];
  let arguments = (ins Gcomp_FloatTensor:$a, Gcomp_FloatTensor:$b,
                   Optional<Gcomp_FloatTensor>:$c,
                   DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                   DefaultValuedAttr<F32Attr, "1.0">:$beta,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                   DefaultValuedAttr<BoolAttr, "false">:$trans_b);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Gcomp_ReshapeOp : Gcomp_Op<"reshape", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Reshape to the result type's shape";
  let description = [{
    Reinterprets the row-major elements of `input` with the shape of the
    result type. The importer resolves ONNX Reshape's shape tensor (with its
    0 and -1 entries) and Flatten's axis into that type.

    Example:
    ```mlir
    %y = gcomp.reshape %x : tensor<2x3x4xf32> -> tensor<2x12xf32>
    ```
  }];
  let arguments = (ins Gcomp_AnyTensor:$input);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Gcomp_TransposeOp : Gcomp_Op<"transpose",
    [Pure, SameOperandsAndResultElementType, InferTypeOpAdaptor]> {
  let summary = "Permute dims: result dim i is input dim perm[i]";
  let description = [{
    Example:
    ```mlir
    %y = gcomp.transpose %x {perm = array<i64: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
    ```
  }];
  let arguments = (ins Gcomp_AnyTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

#endif // GCOMP_DIALECT_GCOMP_IR_GCOMPOPS_TD
