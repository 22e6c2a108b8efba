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

// Each result element depends only on the operand elements at the same
// (numpy-broadcast) position: permuting the dims of every operand permutes
// the result's dims the same way. gcomp-channels-last relies on it.
def Gcomp_Elementwise : NativeOpTrait<"Elementwise"> {
  let cppNamespace = "::gcomp";
}

class Gcomp_BroadcastOp<string mnemonic, string onnxName,
                        Type operandT = Gcomp_NumericTensor,
                        Type resultT = Gcomp_NumericTensor>
    : Gcomp_Op<mnemonic, [Pure, SameOperandsElementType, Gcomp_Elementwise,
                          InferTypeOpAdaptor]> {
  let summary = "Elementwise " # onnxName # " with numpy broadcasting";
  let description = [{
    ONNX `}] # onnxName # [{`: both operands are broadcast numpy-style to a
    common shape. Dims that are dynamic in one operand and static (not 1) in
    the other take the static size.

    Example:
    ```mlir
    %y = gcomp.}] # mnemonic # [{ %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins operandT:$lhs, operandT:$rhs);
  let results = (outs resultT:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Gcomp_AddOp : Gcomp_BroadcastOp<"add", "Add">;
def Gcomp_SubOp : Gcomp_BroadcastOp<"sub", "Sub">;
def Gcomp_MulOp : Gcomp_BroadcastOp<"mul", "Mul">;
def Gcomp_DivOp : Gcomp_BroadcastOp<"div", "Div (integers: truncating)">;
def Gcomp_PowOp : Gcomp_BroadcastOp<"pow", "Pow">;
def Gcomp_MinOp : Gcomp_BroadcastOp<"min", "Min (of two; NaN propagates)">;
def Gcomp_MaxOp : Gcomp_BroadcastOp<"max", "Max (of two; NaN propagates)">;
def Gcomp_ModOp : Gcomp_BroadcastOp<"mod", "Mod with fmod=0 (integers: sign of the divisor)">;
def Gcomp_FModOp : Gcomp_BroadcastOp<"fmod", "Mod with fmod=1 (sign of the dividend)">;
def Gcomp_PReluOp : Gcomp_BroadcastOp<"prelu", "PRelu: x < 0 ? slope * x : x">;
// Shifts by an amount outside [0, width) give 0 (and -1 for a negative
// value shifted right arithmetically), as ONNX's reference does.
def Gcomp_BitShiftLeftOp : Gcomp_BroadcastOp<"shift_left", "BitShift LEFT",
    RankedTensorOf<[AnySignlessInteger]>, RankedTensorOf<[AnySignlessInteger]>>;
def Gcomp_BitShiftRightOp : Gcomp_BroadcastOp<"shift_right", "BitShift RIGHT (logical: unsigned values)",
    RankedTensorOf<[AnySignlessInteger]>, RankedTensorOf<[AnySignlessInteger]>>;
def Gcomp_BitShiftRightArithOp : Gcomp_BroadcastOp<"shift_right_arith", "BitShift RIGHT of signed values (arithmetic)",
    RankedTensorOf<[AnySignlessInteger]>, RankedTensorOf<[AnySignlessInteger]>>;

// Comparisons produce i1.
def Gcomp_EqualOp : Gcomp_BroadcastOp<"equal", "Equal", Gcomp_NumericTensor, RankedTensorOf<[I1]>>;
def Gcomp_LessOp : Gcomp_BroadcastOp<"less", "Less", Gcomp_NumericTensor, RankedTensorOf<[I1]>>;
def Gcomp_LessEqualOp : Gcomp_BroadcastOp<"less_equal", "LessOrEqual", Gcomp_NumericTensor, RankedTensorOf<[I1]>>;
def Gcomp_GreaterOp : Gcomp_BroadcastOp<"greater", "Greater", Gcomp_NumericTensor, RankedTensorOf<[I1]>>;
def Gcomp_GreaterEqualOp : Gcomp_BroadcastOp<"greater_equal", "GreaterOrEqual", Gcomp_NumericTensor, RankedTensorOf<[I1]>>;
def Gcomp_AndOp : Gcomp_BroadcastOp<"and", "And, BitwiseAnd (bools or the bits of integers)", RankedTensorOf<[AnySignlessInteger]>, RankedTensorOf<[AnySignlessInteger]>>;
def Gcomp_OrOp : Gcomp_BroadcastOp<"or", "Or, BitwiseOr (bools or the bits of integers)", RankedTensorOf<[AnySignlessInteger]>, RankedTensorOf<[AnySignlessInteger]>>;
def Gcomp_XorOp : Gcomp_BroadcastOp<"xor", "Xor, BitwiseXor (bools or the bits of integers)", RankedTensorOf<[AnySignlessInteger]>, RankedTensorOf<[AnySignlessInteger]>>;

def Gcomp_WhereOp : Gcomp_Op<"where", [Pure, Gcomp_Elementwise, InferTypeOpAdaptor]> {
  let summary = "Select with numpy broadcasting of all three operands";
  let description = [{
    ONNX `Where`: `cond ? x : y` elementwise.

    Example:
    ```mlir
    %y = gcomp.where %c, %a, %b : (tensor<2x1xi1>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$condition, Gcomp_AnyTensor:$x,
                   Gcomp_AnyTensor:$y);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $condition `,` $x `,` $y attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Gcomp_CastOp : Gcomp_Op<"cast", [Pure, Gcomp_Elementwise, SameOperandsAndResultShape]> {
  let summary = "Convert elements to the result's element type";
  let description = [{
    ONNX `Cast`/`CastLike`: float to int truncates toward zero, int to bool
    is `!= 0`, bool to number is 0 or 1.

    Integers are signless in the graph, so the importer marks a cast whose
    input holds an unsigned ONNX type (`uint8` activations of a quantized
    model) with `unsigned_input`: it is zero-extended or converted as
    unsigned. `unsigned_result` converts floats to an unsigned ONNX type.

    Example:
    ```mlir
    %y = gcomp.cast %x : tensor<4xf32> -> tensor<4xi64>
    %z = gcomp.cast %q {unsigned_input} : tensor<4xi8> -> tensor<4xi32>
    ```
  }];
  let arguments = (ins Gcomp_AnyTensor:$input, UnitAttr:$unsigned_input,
                   UnitAttr:$unsigned_result);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

class Gcomp_UnaryOp<string mnemonic, string onnxName, string math,
                    Type tensorT = Gcomp_FloatTensor>
    : Gcomp_Op<mnemonic, [Pure, Gcomp_Elementwise, SameOperandsAndResultType]> {
  let summary = "Elementwise " # onnxName # ": " # math;
  let description = [{
    ONNX `}] # onnxName # [{`: `}] # math # [{` for every element.

    Example:
    ```mlir
    %y = gcomp.}] # mnemonic # [{ %x : tensor<2x3xf32>
    ```
  }];
  let arguments = (ins tensorT:$input);
  let results = (outs tensorT:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Gcomp_ReluOp : Gcomp_UnaryOp<"relu", "Relu", "y = max(x, 0)">;
def Gcomp_SigmoidOp : Gcomp_UnaryOp<"sigmoid", "Sigmoid", "y = 1 / (1 + exp(-x))">;
def Gcomp_TanhOp : Gcomp_UnaryOp<"tanh", "Tanh", "y = tanh(x)">;
def Gcomp_ExpOp : Gcomp_UnaryOp<"exp", "Exp", "y = exp(x)">;
def Gcomp_LogOp : Gcomp_UnaryOp<"log", "Log", "y = log(x)">;
def Gcomp_SqrtOp : Gcomp_UnaryOp<"sqrt", "Sqrt", "y = sqrt(x)">;
def Gcomp_ReciprocalOp : Gcomp_UnaryOp<"reciprocal", "Reciprocal", "y = 1 / x">;
def Gcomp_SinOp : Gcomp_UnaryOp<"sin", "Sin", "y = sin(x)">;
def Gcomp_CosOp : Gcomp_UnaryOp<"cos", "Cos", "y = cos(x)">;
def Gcomp_TanOp : Gcomp_UnaryOp<"tan", "Tan", "y = tan(x)">;
def Gcomp_AsinOp : Gcomp_UnaryOp<"asin", "Asin", "y = asin(x)">;
def Gcomp_AcosOp : Gcomp_UnaryOp<"acos", "Acos", "y = acos(x)">;
def Gcomp_AtanOp : Gcomp_UnaryOp<"atan", "Atan", "y = atan(x)">;
def Gcomp_SinhOp : Gcomp_UnaryOp<"sinh", "Sinh", "y = sinh(x)">;
def Gcomp_CoshOp : Gcomp_UnaryOp<"cosh", "Cosh", "y = cosh(x)">;
def Gcomp_AsinhOp : Gcomp_UnaryOp<"asinh", "Asinh", "y = asinh(x)">;
def Gcomp_AcoshOp : Gcomp_UnaryOp<"acosh", "Acosh", "y = acosh(x)">;
def Gcomp_AtanhOp : Gcomp_UnaryOp<"atanh", "Atanh", "y = atanh(x)">;
def Gcomp_FloorOp : Gcomp_UnaryOp<"floor", "Floor", "y = floor(x)">;
def Gcomp_CeilOp : Gcomp_UnaryOp<"ceil", "Ceil", "y = ceil(x)">;
def Gcomp_RoundOp : Gcomp_UnaryOp<"round", "Round", "y = x rounded half to even">;
def Gcomp_ErfOp : Gcomp_UnaryOp<"erf", "Erf", "y = erf(x)">;
def Gcomp_SoftplusOp : Gcomp_UnaryOp<"softplus", "Softplus", "y = log(1 + exp(x))">;
def Gcomp_SoftsignOp : Gcomp_UnaryOp<"softsign", "Softsign", "y = x / (1 + |x|)">;
def Gcomp_MishOp : Gcomp_UnaryOp<"mish", "Mish", "y = x * tanh(softplus(x))">;
def Gcomp_HardSwishOp : Gcomp_UnaryOp<"hard_swish", "HardSwish", "y = x * max(0, min(1, x / 6 + 1 / 2))">;
def Gcomp_SiluOp : Gcomp_UnaryOp<"silu", "Swish (alpha 1), or x * Sigmoid(x) as exported", "y = x * sigmoid(x) = x / (1 + exp(-x))">;
def Gcomp_NegOp : Gcomp_UnaryOp<"neg", "Neg", "y = -x", Gcomp_NumericTensor> {
  let hasFolder = 1;
}
def Gcomp_AbsOp : Gcomp_UnaryOp<"abs", "Abs", "y = |x|", Gcomp_NumericTensor>;
def Gcomp_SignOp : Gcomp_UnaryOp<"sign", "Sign", "y = -1, 0 or 1", Gcomp_NumericTensor>;
def Gcomp_NotOp : Gcomp_UnaryOp<"not", "Not, BitwiseNot", "y = !x (every bit flipped)", RankedTensorOf<[AnySignlessInteger]>>;

class Gcomp_UnaryPredicateOp<string mnemonic, string onnxName, string math>
    : Gcomp_Op<mnemonic, [Pure, Gcomp_Elementwise, SameOperandsAndResultShape]> {
  let summary = "Elementwise " # onnxName # ": " # math;
  let description = "ONNX `" # onnxName # "`, producing i1.";
  let arguments = (ins Gcomp_FloatTensor:$input);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}
def Gcomp_IsNaNOp : Gcomp_UnaryPredicateOp<"is_nan", "IsNaN", "x != x">;
def Gcomp_IsInfOp : Gcomp_UnaryPredicateOp<"is_inf", "IsInf", "x is +inf (detect_positive) or -inf (detect_negative)"> {
  let arguments = (ins Gcomp_FloatTensor:$input,
                   DefaultValuedAttr<BoolAttr, "true">:$detect_positive,
                   DefaultValuedAttr<BoolAttr, "true">:$detect_negative);
}

// Parameterized activations: the attributes are ONNX's, with its defaults.
class Gcomp_ActivationOp<string mnemonic, string onnxName, string math,
                         dag attrs>
    : Gcomp_Op<mnemonic, [Pure, Gcomp_Elementwise, SameOperandsAndResultType]> {
  let summary = "Elementwise " # onnxName # ": " # math;
  let description = [{
    ONNX `}] # onnxName # [{`: `}] # math # [{` for every element.
  }];
  let arguments = !con((ins Gcomp_FloatTensor:$input), attrs);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}
def Gcomp_EluOp : Gcomp_ActivationOp<"elu", "Elu", "x < 0 ? alpha * (exp(x) - 1) : x",
    (ins DefaultValuedAttr<F32Attr, "1.0">:$alpha)>;
def Gcomp_CeluOp : Gcomp_ActivationOp<"celu", "Celu", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
    (ins DefaultValuedAttr<F32Attr, "1.0">:$alpha)>;
def Gcomp_SeluOp : Gcomp_ActivationOp<"selu", "Selu", "gamma * (x <= 0 ? alpha * (exp(x) - 1) : x)",
    (ins DefaultValuedAttr<F32Attr, "1.67326319217681884765625">:$alpha,
         DefaultValuedAttr<F32Attr, "1.05070102214813232421875">:$gamma)>;
def Gcomp_LeakyReluOp : Gcomp_ActivationOp<"leaky_relu", "LeakyRelu", "x < 0 ? alpha * x : x",
    (ins DefaultValuedAttr<F32Attr, "0.01">:$alpha)>;
def Gcomp_ThresholdedReluOp : Gcomp_ActivationOp<"thresholded_relu", "ThresholdedRelu", "x > alpha ? x : 0",
    (ins DefaultValuedAttr<F32Attr, "1.0">:$alpha)>;
def Gcomp_HardSigmoidOp : Gcomp_ActivationOp<"hard_sigmoid", "HardSigmoid", "max(0, min(1, alpha * x + beta))",
    (ins DefaultValuedAttr<F32Attr, "0.2">:$alpha, DefaultValuedAttr<F32Attr, "0.5">:$beta)>;
def Gcomp_GeluOp : Gcomp_ActivationOp<"gelu", "Gelu", "0.5 * x * (1 + erf(x / sqrt(2))), or the tanh form with approximate",
    (ins DefaultValuedAttr<BoolAttr, "false">:$tanh_approximation)>;
def Gcomp_ShrinkOp : Gcomp_ActivationOp<"shrink", "Shrink", "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)",
    (ins DefaultValuedAttr<F32Attr, "0.0">:$bias, DefaultValuedAttr<F32Attr, "0.5">:$lambd)>;

def Gcomp_SoftmaxOp : Gcomp_Op<"softmax",
    [Pure, SameOperandsAndResultType,
     DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                               ["reifyResultShapes"]>]> {
  let summary = "Softmax along one axis";
  let description = [{
    `y = exp(x - max(x)) / sum(exp(x - max(x)))` along `axis` (ONNX opset 13
    semantics). The importer rewrites the opset < 13 form, which flattens
    the input to 2-D at `axis`, into reshapes around this op. `axis` is
    normalized to be non-negative.

    `scale` (positive; 1 by default) makes it the softmax of `scale * x`,
    which is how gcomp-softmax-kernels absorbs an attention score's
    1/sqrt(d). With `runtime_kernel` (set by that pass; needs the last axis,
    f32 and a static shape) the op bufferizes into one call of the
    runtime's __gcomp_softmax_rows instead of being lowered to linalg.

    Example:
    ```mlir
    %y = gcomp.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
    ```
  }];
  let arguments = (ins Gcomp_FloatTensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<F32Attr, "1.0">:$scale,
                   UnitAttr:$runtime_kernel);
  let results = (outs Gcomp_FloatTensor:$result);
  let builders = [
    // The plain ONNX softmax: scale 1, lowered to linalg.
    OpBuilder<(ins "::mlir::Value":$input, "::mlir::IntegerAttr":$axis), [{
      build($_builder, $_state, input.getType(), input, axis,
            $_builder.getF32FloatAttr(1.0f), /*runtime_kernel=*/nullptr);
    }]>
  ];
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Gcomp_LogSoftmaxOp : Gcomp_Op<"log_softmax",
    [Pure, SameOperandsAndResultType]> {
  let summary = "Log of softmax along one axis";
  let description = [{
    `y = x - max(x) - log(sum(exp(x - max(x))))` along `axis` (ONNX opset 13
    semantics; the importer rewrites the older flattening form).
  }];
  let arguments = (ins Gcomp_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Gcomp_LayerNormOp : Gcomp_Op<"layer_norm",
    [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                               ["reifyResultShapes"]>]> {
  let summary = "Layer normalization over the trailing dims, one op";
  let description = [{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * scale + bias`, with the
    mean and (biased) variance over dims `axis` to rank - 1. `scale` and
    `bias` are optional and broadcast to the input. The importer writes ONNX
    LayerNormalization out as its reductions and elementwise ops (so that
    its optional mean and inverse-deviation outputs exist); gcomp-recognize-ops
    puts this op back in place of that decomposition, and of the ones
    exporters write, where nothing else uses the intermediates.

    With `runtime_kernel` (set by gcomp-layer-norm-kernels; needs f32,
    static shapes and a scale and bias that hold exactly the normalized
    elements) the op bufferizes into one call of the runtime's
    __gcomp_layer_norm_rows; otherwise the linalg conversion writes it out
    again.

    Example:
    ```mlir
    %y = gcomp.layer_norm %x, %gamma, %beta {axis = 2 : i64, epsilon = 1.0e-05 : f32}
        : (tensor<1x128x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x128x768xf32>
    ```
  }];
  let arguments = (ins Gcomp_FloatTensor:$input,
                   Optional<Gcomp_FloatTensor>:$scale,
                   Optional<Gcomp_FloatTensor>:$bias, I64Attr:$axis,
                   F32Attr:$epsilon, UnitAttr:$runtime_kernel);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`bias` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_AttentionOp : Gcomp_Op<"attention", [Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "Scaled dot-product attention, one op";
  let description = [{
    `softmax(scale * Q Kt) V` over the last two dims of each head, where the
    logical Q [..., s, d], Kt [..., d, t] and V [..., t, dv] are the
    operands transposed by `query_perm`, `key_t_perm` and `value_perm`
    (`transpose(x, perm)`; an empty perm is the identity), and the result
    is the logical output [..., s, dv] transposed by `result_perm`. The
    leading (head) dims, one or two, are the same in all four. The optional
    `mask` is added to the scaled scores before the softmax (broadcast to
    the logical [..., s, t]: a padding mask [batch, 1, 1, t] as BERT builds
    it). With `causal`, query row r sees only keys c <= r + t - s.

    gcomp-fuse-attention puts it in place of the matmul, scale, causal
    mask, softmax and matmul that exporters write, taking the transposes
    around them into the perms, so that the heads are read and written where
    the projections leave them. It bufferizes into one call of the runtime's
    __gcomp_attention, which takes the sizes and strides as arguments: the
    batch, s and t may be symbolic (the generic variant, where the causal
    flag also means s == t, which gcomp-symbolic-dims checks at run time).

    Example (BERT: q, k, v as [batch, seq, heads, 64] views of the fused
    projection, the result as [batch, seq, heads, 64]):
    ```mlir
    %o = gcomp.attention %q, %k, %v {scale = 0.125 : f32,
        query_perm = array<i64: 0, 2, 1, 3>, key_t_perm = array<i64: 0, 2, 3, 1>,
        value_perm = array<i64: 0, 2, 1, 3>, result_perm = array<i64: 0, 2, 1, 3>}
        : (tensor<1x128x12x64xf32>, tensor<1x128x12x64xf32>,
           tensor<1x128x12x64xf32>) -> tensor<1x128x12x64xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$query, RankedTensorOf<[F32]>:$key_t,
                   RankedTensorOf<[F32]>:$value,
                   Optional<RankedTensorOf<[F32]>>:$mask,
                   F32Attr:$scale, UnitAttr:$causal,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$query_perm,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$key_t_perm,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$value_perm,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{}">:$result_perm);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $query `,` $key_t `,` $value (`mask` $mask^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Gcomp_ReduceOp<string mnemonic, string onnxName, string math>
    : Gcomp_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX " # onnxName # ": " # math # " over `axes`";
  let description = [{
    Reduces `axes` (sorted, non-negative, non-empty: the importer resolves
    ONNX's defaults and `noop_with_empty_axes`); `keepdims` keeps them as
    size-1 dims.

    Example:
    ```mlir
    %y = gcomp.}] # mnemonic # [{ %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x3xf32>) -> tensor<2x1xf32>
    ```
  }];
  let arguments = (ins Gcomp_NumericTensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Gcomp_NumericTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Gcomp_ReduceSumOp : Gcomp_ReduceOp<"reduce_sum", "ReduceSum", "sum">;
def Gcomp_ReduceMeanOp : Gcomp_ReduceOp<"reduce_mean", "ReduceMean", "mean">;
def Gcomp_ReduceMaxOp : Gcomp_ReduceOp<"reduce_max", "ReduceMax", "max">;
def Gcomp_ReduceMinOp : Gcomp_ReduceOp<"reduce_min", "ReduceMin", "min">;
def Gcomp_ReduceProdOp : Gcomp_ReduceOp<"reduce_prod", "ReduceProd", "product">;
def Gcomp_ReduceL1Op : Gcomp_ReduceOp<"reduce_l1", "ReduceL1", "sum of |x|">;
def Gcomp_ReduceL2Op : Gcomp_ReduceOp<"reduce_l2", "ReduceL2", "sqrt of the sum of x^2">;
def Gcomp_ReduceSumSquareOp : Gcomp_ReduceOp<"reduce_sum_square", "ReduceSumSquare", "sum of x^2">;
def Gcomp_ReduceLogSumOp : Gcomp_ReduceOp<"reduce_log_sum", "ReduceLogSum", "log of the sum">;
def Gcomp_ReduceLogSumExpOp : Gcomp_ReduceOp<"reduce_log_sum_exp", "ReduceLogSumExp", "log of the sum of exp(x)">;

class Gcomp_ArgReduceOp<string mnemonic, string onnxName>
    : Gcomp_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = "ONNX " # onnxName # ": the index of the extreme along `axis`";
  let description = [{
    Returns int64 indices; ties take the first index, or the last with
    `select_last_index`.
  }];
  let arguments = (ins Gcomp_NumericTensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims,
                   DefaultValuedAttr<BoolAttr, "false">:$select_last_index);
  let results = (outs RankedTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}
def Gcomp_ArgMaxOp : Gcomp_ArgReduceOp<"argmax", "ArgMax">;
def Gcomp_ArgMinOp : Gcomp_ArgReduceOp<"argmin", "ArgMin">;

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

def Gcomp_QMatMulOp : Gcomp_Op<"qmatmul", [Pure]> {
  let summary = "int8 matrix product with packed constant weights";
  let description = [{
    `result[..., m, n] = sum_k (lhs[..., m, k] - lhs_zero_point) * B[k, n]`
    in i32, with `lhs` read as uint8 (as int8 with `lhs_signed`) and B the
    int8 [k, n] weight matrix, held packed for the runtime's
    __gcomp_qgemm_u8s8 in `rhs_packed` (the layout of GCOMP_SYM_QGEMM in
    model_abi.h) with its column sums in `rhs_sums`. Made by
    gcomp-integer-matmul-kernels from a `gcomp.matmul` of widened int8
    operands; it bufferizes into one call of that runtime function.

    Example:
    ```mlir
    %y = gcomp.qmatmul %a, %zp, %packed, %sums {k = 64 : i64, n = 32 : i64}
        : (tensor<8x64xi8>, tensor<i32>, tensor<2048xi8>, tensor<32xi32>) -> tensor<8x32xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$lhs,
                   0DTensorOf<[I32]>:$lhs_zero_point,
                   1DTensorOf<[I8]>:$rhs_packed, 1DTensorOf<[I32]>:$rhs_sums,
                   I64Attr:$k, I64Attr:$n, UnitAttr:$lhs_signed);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $lhs_zero_point `,` $rhs_packed `,` $rhs_sums attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_MatMulNBitsOp : Gcomp_Op<"matmul_nbits",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "product with block-quantized 4- or 8-bit weights";
  let description = [{
    onnxruntime's MatMulNBits: `result[..., n] = sum_k lhs[..., k] *
    (q[n, k] - zp[n, k / block_size]) * scales[n, k / block_size]
    (+ bias[n])`. `weights` is [N, blocks, block_size * bits / 8] bytes
    holding the codes q of each column, `bits` per code, low bits first;
    `zero_points` (absent: 2^(bits-1)) and `scales` are [N, blocks], with
    blocks = ceil(K / block_size). It bufferizes into one call of the
    runtime's __gcomp_matmul_nbits, which reads the codes packed.

    Example:
    ```mlir
    %y = gcomp.matmul_nbits %x, %w, %s {bits = 4 : i64, block_size = 32 : i64}
        : (tensor<1x64xf32>, tensor<8x2x16xi8>, tensor<8x2xf32>) -> tensor<1x8xf32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$lhs,
                   RankedTensorOf<[I8]>:$weights,
                   RankedTensorOf<[F32]>:$scales,
                   Optional<RankedTensorOf<[F32]>>:$zero_points,
                   Optional<RankedTensorOf<[F32]>>:$bias,
                   I64Attr:$bits, I64Attr:$block_size);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $lhs `,` $weights `,` $scales (`zero_points` $zero_points^)?
    (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
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

def Gcomp_ConvOp : Gcomp_Op<"conv", [Pure]> {
  let summary = "N-D grouped convolution (ONNX Conv), NCHW or channels-last";
  let description = [{
    `input` is [N, C, spatial...], `weight` [M, C / group, kernel...], the
    optional `bias` [M]. `pads` holds the begin pads of every spatial dim
    then the end pads (the importer resolves `auto_pad`); the result type
    gives the output size.

    With `channels_last` (set by gcomp-channels-last, never by the
    importer) the channels are the innermost dim instead: `input` is
    [N, spatial..., C], `weight` [kernel..., C / group, M] and the result
    [N, out..., M], the layouts in which the CPU lowering's matrix products
    read contiguous rows.

    Integer convolutions (ONNX ConvInteger, QLinearConv after the zero
    points are subtracted) have i32 operands and result.

    Example:
    ```mlir
    %y = gcomp.conv %x, %w, %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
                                pads = array<i64: 1, 1, 1, 1>, group = 1 : i64}
        : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins Gcomp_NumericTensor:$input, Gcomp_NumericTensor:$weight,
                   Optional<Gcomp_NumericTensor>:$bias,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads, I64Attr:$group,
                   UnitAttr:$channels_last);
  let results = (outs Gcomp_NumericTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_FusedConvOp : Gcomp_Op<"fused_conv", [Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "A channels-last 2-D convolution with its epilogue, one kernel";
  let description = [{
    What gcomp-fuse-conv makes of a channels-last 2-D `gcomp.conv` with one
    group and the ops after it: `relu(conv(input) + bias + init)`, computed
    by the runtime's implicit-GEMM kernel (`__gcomp_conv2d_nhwc`) without a
    padded copy or an im2col matrix of the input. `input` is [N, H, W, C]
    (read with implicit zero padding), `weight` the [KH * KW * C, M] matrix
    of the [KH, KW, C, M] weight, packed at compile time in the runtime
    GEMM's panel layout (model_abi.h), `kernel` is [KH, KW], the result
    [N, OH, OW, M]. `init` is the result's destination: its values are
    added (a residual connection) when `accumulate` is set and ignored
    otherwise; bufferization reuses its buffer for the result where it can.
    `relu` applies max(x, 0) last; `clamp = [lo, hi]` (instead of `relu`)
    applies min(max(x, lo), hi), as ONNX Clip does (MobileNet's ReLU6).
    `gelu` (instead of `relu` or `clamp`) applies ONNX Gelu's exact form,
    0.5 x (1 + erf(x / sqrt(2))), last; `silu` (also instead) applies
    x * sigmoid(x) (EfficientNet's Swish) last. The activation runs on each
    finished tile while it is in cache, so the activated tensor is written
    once instead of written, read and written again.
    With `input_nchw` the input is [N, C, H, W] instead (the model's
    channels-first input, which the kernel transposes to channels-last into
    a scratch buffer of its own); the result stays channels-last.
    With `depthwise` the conv is depthwise (a group per channel, M = C):
    `weight` is the [KH, KW, 1, C] weight flattened, not packed, and the
    runtime's depthwise kernel (`__gcomp_dwconv2d_nhwc_fused`) computes it
    with the same epilogue; MobileNet's and EfficientNet's depthwise convs
    then need no padded copy of their input, no bias broadcast and no
    separate activation pass.
    The batch dim N may be dynamic (a model compiled for every batch size);
    the result's is `init`'s.

    Example:
    ```mlir
    %y = gcomp.fused_conv %x, %w, %res, %b {kernel = array<i64: 3, 3>,
           strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
           pads = array<i64: 1, 1, 1, 1>, accumulate, relu}
        : (tensor<1x56x56x64xf32>, tensor<36864xf32>, tensor<1x56x56x64xf32>,
           tensor<64xf32>) -> tensor<1x56x56x64xf32>
    ```
  }];
  let arguments = (ins Gcomp_FloatTensor:$input, Gcomp_FloatTensor:$weight,
                   Gcomp_FloatTensor:$init,
                   Optional<Gcomp_FloatTensor>:$bias,
                   DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
                   UnitAttr:$accumulate, UnitAttr:$relu,
                   OptionalAttr<DenseF32ArrayAttr>:$clamp,
                   UnitAttr:$input_nchw, UnitAttr:$gelu, UnitAttr:$silu,
                   UnitAttr:$depthwise);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $init (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_QConvOp : Gcomp_Op<"qconv", [Pure, AttrSizedOperandSegments]> {
  let summary = "A quantized channels-last 2-D convolution with its epilogue";
  let description = [{
    What gcomp-integer-conv-kernels makes of a channels-last 2-D integer
    `gcomp.conv` with one group, `(cast(x) - z) conv W` with W constant
    within int8, and the float steps after it:

      acc = sum over the window of (input - input_zero_point) * W   (i32)

    `input` is [N, H, W, C] of uint8 held in i8 (int8 with `input_signed`),
    read with implicit padding by the zero point (which adds nothing);
    `input_zero_point` a rank-0 i32. `weight_packed` is the
    [KH * KW * C, M] int8 weight matrix, zero-padded to `k_packed` rows and
    packed for the runtime's int8 product (GCOMP_SYM_QGEMM in model_abi.h),
    `weight_sums` its column sums. The result is [N, OH, OW, M] of:

    - i32: acc;
    - f32: `acc * scale + bias` (`scale` and the optional `bias` are [M];
      two roundings), then `max(., 0)` with `relu`;
    - i8: that f32 value requantized as ONNX QuantizeLinear does, to
      `clamp(round_half_even(y / out_scale) + out_zero_point)` within
      uint8 (int8 with `result_signed`).

    It bufferizes into one call of the runtime's __gcomp_qconv2d_nhwc.

    Example:
    ```mlir
    %y = gcomp.qconv %x, %zp, %w, %sums, %scale, %bias {kernel = array<i64: 3, 3>,
           strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
           pads = array<i64: 1, 1, 1, 1>, k_packed = 576 : i64,
           out_scale = 0.02 : f32, out_zero_point = 0.0 : f32}
        : (tensor<1x56x56x64xi8>, tensor<i32>, tensor<36864xi8>, tensor<64xi32>,
           tensor<64xf32>, tensor<64xf32>) -> tensor<1x56x56x64xi8>
    ```
  }];
  let arguments = (ins 4DTensorOf<[I8]>:$input, 0DTensorOf<[I32]>:$input_zero_point,
                   1DTensorOf<[I8]>:$weight_packed, 1DTensorOf<[I32]>:$weight_sums,
                   Optional<1DTensorOf<[F32]>>:$scale,
                   Optional<1DTensorOf<[F32]>>:$bias,
                   DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                   DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
                   I64Attr:$k_packed, UnitAttr:$input_signed, UnitAttr:$relu,
                   OptionalAttr<F32Attr>:$out_scale,
                   OptionalAttr<F32Attr>:$out_zero_point,
                   UnitAttr:$result_signed);
  let results = (outs 4DTensorOf<[I8, I32, F32]>:$result);
  let assemblyFormat = [{
    $input `,` $input_zero_point `,` $weight_packed `,` $weight_sums
    (`,` $scale^)? (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class Gcomp_PoolOp<string mnemonic, string onnxName> : Gcomp_Op<mnemonic, [Pure,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                              ["reifyResultShapes"]>]> {
  let summary = "ONNX " # onnxName # " over NC + spatial dims";
  let description = [{
    Windows of `kernel` (with `strides`, `dilations` and begin-then-end
    `pads`) over the spatial dims; the result type gives the output size
    (the importer applies `ceil_mode` and `auto_pad`). Windows that run
    past the padded input (ceil mode) are clipped. With `channels_last` the
    input and result are [N, spatial..., C] (see gcomp.conv).

    With `runtime_kernel` (set by gcomp-pool-kernels; needs
    `channels_last`, two spatial dims, f32 and static shapes) the op is not
    lowered to linalg: it bufferizes into one call of the runtime's
    __gcomp_pool2d_nhwc, which clips windows at the padding instead of
    padding a copy of the input.
  }];
  let arguments = (ins Gcomp_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                   DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                   DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<BoolAttr, "false">:$count_include_pad,
                   UnitAttr:$channels_last, UnitAttr:$runtime_kernel);
  let results = (outs Gcomp_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}
def Gcomp_MaxPoolOp : Gcomp_PoolOp<"max_pool", "MaxPool">;
def Gcomp_AveragePoolOp : Gcomp_PoolOp<"average_pool", "AveragePool">;

def Gcomp_PadOp : Gcomp_Op<"pad", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Pad with a constant, by reflection or by the edge value";
  let description = [{
    ONNX `Pad` with non-negative `pads` (all begin pads, then all end pads)
    and `mode` "constant" (with `value`), "reflect", "edge" or "wrap".
  }];
  let arguments = (ins Gcomp_AnyTensor:$input, DenseI64ArrayAttr:$pads,
                   StrAttr:$mode, DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Gcomp_ReshapeOp : Gcomp_Op<"reshape",
    [Pure, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Reshape to the result type's shape";
  let description = [{
    Reinterprets the row-major elements of `input` with the shape of the
    result type. The importer resolves ONNX Reshape's shape tensor (with its
    0 and -1 entries) and Flatten's axis into that type.

    `sizes`, one per dynamic dim of the result, give the sizes of a reshape
    that splits a symbolic dim (rows of a product back into batch and
    sequence); without them each dynamic dim of the result is a whole
    dynamic dim of the input, or the only dynamic dim of the result (the
    element count divided by the static dims).

    Example:
    ```mlir
    %y = gcomp.reshape %x : tensor<2x3x4xf32> -> tensor<2x12xf32>
    %z = gcomp.reshape %rows [%b, %s] : tensor<?x1x1x64xf32> -> tensor<?x?x64xf32>
    ```
  }];
  let arguments = (ins Gcomp_AnyTensor:$input, Variadic<Index>:$sizes);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $input (`[` $sizes^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$type, "::mlir::Value":$input), [{
      build($_builder, $_state, type, input, ::mlir::ValueRange{});
    }]>
  ];
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

def Gcomp_ConcatOp : Gcomp_Op<"concat", [Pure, InferTypeOpAdaptor]> {
  let summary = "Concatenate along `axis`";
  let description = [{
    ONNX `Concat` (axis normalized to be non-negative).

    Example:
    ```mlir
    %y = gcomp.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
    ```
  }];
  let arguments = (ins Variadic<Gcomp_AnyTensor>:$inputs, I64Attr:$axis);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Gcomp_GatherOp : Gcomp_Op<"gather", [Pure, InferTypeOpAdaptor]> {
  let summary = "Gather slices of `data` along `axis` at `indices`";
  let description = [{
    ONNX `Gather`: result shape is data.shape[:axis] + indices.shape +
    data.shape[axis+1:]; negative indices count from the end.
  }];
  let arguments = (ins Gcomp_AnyTensor:$data,
                   RankedTensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Gcomp_GatherElementsOp : Gcomp_Op<"gather_elements", [Pure]> {
  let summary = "Elementwise gather along `axis` (ONNX GatherElements)";
  let description = [{
    `result[i...] = data[i...]` with the `axis` coordinate replaced by
    `indices[i...]` (negative counts from the end); the result has the
    indices' shape.
  }];
  let arguments = (ins Gcomp_AnyTensor:$data,
                   RankedTensorOf<[I32, I64]>:$indices, I64Attr:$axis);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_SliceOp : Gcomp_Op<"slice", [Pure, SameOperandsAndResultElementType]> {
  let summary = "A strided slice with static, normalized parameters";
  let description = [{
    Result element i of dim d is `input[start[d] + i * step[d]]`; the result
    type gives the count. The importer resolves ONNX Slice's clamping,
    negative indices, axes and defaults. Steps may be negative.
  }];
  let arguments = (ins Gcomp_AnyTensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$steps);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Gcomp_BroadcastToOp : Gcomp_Op<"broadcast_to",
    [Pure, AllElementTypesMatch<["input", "result"]>]> {
  let summary = "Broadcast numpy-style to the result shape (ONNX Expand)";
  let description = [{
    `sizes` are the result's dynamic dims, one per `?` of its type, in order
    (none for a static result): an exporter's `Expand` or `ConstantOfShape`
    to sizes computed from symbolic dims. A dynamic result dim that lines up
    with a dynamic input dim takes that dim's size.

    Example:
    ```mlir
    %y = gcomp.broadcast_to %zero [%n, %n] : tensor<f32> -> tensor<?x?xf32>
    ```
  }];
  let arguments = (ins Gcomp_AnyTensor:$input, Variadic<Index>:$sizes);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $input (`[` $sizes^ `]`)? attr-dict `:` type($input) `->` type($result)
  }];
  let builders = [
    OpBuilder<(ins "::mlir::Type":$type, "::mlir::Value":$input), [{
      build($_builder, $_state, type, input, ::mlir::ValueRange{});
    }]>
  ];
  let hasVerifier = 1;
}

def Gcomp_IotaOp : Gcomp_Op<"iota", [Pure]> {
  let summary = "0, 1, ..., n-1 (the core of ONNX Range over symbolic sizes)";
  let description = [{
    A 1-D tensor whose element i is i, converted to its element type. `size`
    is given when the result's dim is dynamic (ONNX `Range` whose limit is
    computed from a symbolic dim, a causal mask's rows and columns).

    Example:
    ```mlir
    %i = gcomp.iota [%n] : tensor<?xi64>
    ```
  }];
  let arguments = (ins Optional<Index>:$size);
  let results = (outs TensorRankOf<[AnySignlessInteger, AnyFloat], [1]>:$result);
  let assemblyFormat = "(`[` $size^ `]`)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Gcomp_TileOp : Gcomp_Op<"tile", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Repeat the input along each dim (ONNX Tile)";
  let description = [{
    The result dim d is `repeats[d]` times the input dim d, given by the
    result type.
  }];
  let arguments = (ins Gcomp_AnyTensor:$input);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Gcomp_GatherNDOp : Gcomp_Op<"gather_nd", [Pure]> {
  let summary = "Gather slices of `data` at index tuples (ONNX GatherND)";
  let description = [{
    The last dim of `indices` (k) holds tuples indexing the first k dims of
    `data` after its leading `batch_dims` (which `indices` shares). The
    result shape is indices.shape[:-1] + data.shape[batch_dims + k:];
    negative indices count from the end.
  }];
  let arguments = (ins Gcomp_AnyTensor:$data,
                   RankedTensorOf<[I32, I64]>:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_ScatterNDOp : Gcomp_Op<"scatter_nd",
    [Pure, AllTypesMatch<["data", "result"]>]> {
  let summary = "A copy of `data` with slices replaced at index tuples (ONNX ScatterND)";
  let description = [{
    For every index tuple `indices[i..., :]` (k values, indexing the first k
    dims of `data`), the slice of the copy at that tuple becomes
    `updates[i...]`, combined with the old value by `reduction` ("none",
    "add", "mul", "max", "min"). Updates apply in row-major order of i, so
    duplicate tuples are well defined (the last one wins for "none").
  }];
  let arguments = (ins Gcomp_AnyTensor:$data,
                   RankedTensorOf<[I32, I64]>:$indices,
                   Gcomp_AnyTensor:$updates,
                   DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` `,` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_ScatterElementsOp : Gcomp_Op<"scatter_elements",
    [Pure, AllTypesMatch<["data", "result"]>]> {
  let summary = "A copy of `data` with elements replaced along `axis` (ONNX ScatterElements)";
  let description = [{
    For every position p of `indices` (same rank as `data`), the element of
    the copy at p with its `axis` coordinate replaced by `indices[p]`
    becomes `updates[p]`, combined by `reduction` ("none", "add", "mul",
    "max", "min"), in row-major order of p.
  }];
  let arguments = (ins Gcomp_AnyTensor:$data,
                   RankedTensorOf<[I32, I64]>:$indices,
                   Gcomp_AnyTensor:$updates, I64Attr:$axis,
                   DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` `,` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_TopKOp : Gcomp_Op<"topk", [Pure]> {
  let summary = "The k largest (or smallest) elements along `axis`, sorted (ONNX TopK)";
  let description = [{
    `k` is the result's size along `axis`. Values come in descending order
    (ascending when `largest` is false); equal values keep their input
    order, so the lower index comes first. `indices` are int64.
  }];
  let arguments = (ins Gcomp_NumericTensor:$input, I64Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "true">:$largest);
  let results = (outs Gcomp_NumericTensor:$values, RankedTensorOf<[I64]>:$indices);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Gcomp_NonZeroIndicesOp : Gcomp_Op<"nonzero_indices", [Pure]> {
  let summary = "Positions of a 1-D mask's true entries, and how many there are";
  let description = [{
    `indices[j]` is the position of the j-th true entry of `mask`, in
    increasing order, for j < `count`; the entries past `count` are 0, so
    that an op reading all of `indices` (a gather by them) stays in bounds.
    `indices` has the mask's length, the most there can be: a value whose
    size depends on the data is kept at its bound, with its actual size in
    a value of its own (what NonZero, Compress and Unique import to).

    Example:
    ```mlir
    %idx, %n = gcomp.nonzero_indices %mask : tensor<12xi1> -> tensor<12xi64>, tensor<i64>
    ```
  }];
  let arguments = (ins 1DTensorOf<[I1]>:$mask);
  let results = (outs 1DTensorOf<[I64]>:$indices, 0DTensorOf<[I64]>:$count);
  let assemblyFormat = "$mask attr-dict `:` type($mask) `->` type($indices) `,` type($count)";
  let hasVerifier = 1;
}

def Gcomp_UniqueRunsOp : Gcomp_Op<"unique_runs", [Pure]> {
  let summary = "The runs of equal values in a sorted 1-D tensor (ONNX Unique)";
  let description = [{
    `sorted` is 1-D in ascending order and `positions[i]` the place its
    element i had before sorting (a permutation). For the r-th run of equal
    values, r < `count`: `values[r]` is its value, `first[r]` the position of
    its first element, `counts[r]` its length; `inverse[positions[i]]` is
    the run of element i. The entries of `values`, `first` and `counts` past
    `count` are 0. With a stable sort, `first` is where each value first
    occurs.
  }];
  let arguments = (ins 1DTensorOf<[AnyFloat, AnySignlessInteger]>:$sorted,
                   1DTensorOf<[I64]>:$positions);
  let results = (outs 1DTensorOf<[AnyFloat, AnySignlessInteger]>:$values,
                 1DTensorOf<[I64]>:$first, 1DTensorOf<[I64]>:$inverse,
                 1DTensorOf<[I64]>:$counts, 0DTensorOf<[I64]>:$count);
  let assemblyFormat = "$sorted `,` $positions attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Gcomp_GridSampleOp : Gcomp_Op<"grid_sample", [Pure]> {
  let summary = "ONNX GridSample: the input read at the grid's coordinates";
  let description = [{
    `input` is [N, C, D1, ...] (1 to 3 spatial dims), `grid` [N, O1, ...,
    rank] of normalized coordinates (the innermost dim's first), the result
    [N, C, O1, ...]. `mode` is "nearest", "linear" or "cubic";
    `padding_mode` "zeros", "border" or "reflection"; `align_corners` as in
    ONNX. It bufferizes into one call of the runtime's __gcomp_grid_sample.
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input, RankedTensorOf<[F32]>:$grid,
                   StrAttr:$mode, StrAttr:$padding_mode, BoolAttr:$align_corners);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = "$input `,` $grid attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Gcomp_RoiAlignOp : Gcomp_Op<"roi_align", [Pure]> {
  let summary = "ONNX RoiAlign: pooled bilinear samples of regions from the data";
  let description = [{
    `input` is [N, C, H, W], `rois` [R, 4] (x1, y1, x2, y2, scaled by
    `spatial_scale`), `batch_indices` [R], the result [R, C, OH, OW]. `mode`
    is "avg" or "max" (onnxruntime's: the max over samples of each sample's
    largest weighted corner); `half_pixel` is coordinate_transformation_mode
    "half_pixel" (else "output_half_pixel"); `sampling_ratio` 0 means
    ceil(bin size) samples per bin. It bufferizes into one call of the
    runtime's __gcomp_roi_align.
  }];
  let arguments = (ins 4DTensorOf<[F32]>:$input, 2DTensorOf<[F32]>:$rois,
                   1DTensorOf<[I64]>:$batch_indices, StrAttr:$mode,
                   I64Attr:$sampling_ratio, F32Attr:$spatial_scale,
                   BoolAttr:$half_pixel);
  let results = (outs 4DTensorOf<[F32]>:$result);
  let assemblyFormat = "$input `,` $rois `,` $batch_indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Gcomp_DetOp : Gcomp_Op<"det", [Pure]> {
  let summary = "The determinants of square matrices (ONNX Det)";
  let description = [{
    `input` is [..., N, N], the result [...]. It bufferizes into one call of
    the runtime's __gcomp_det (LU with partial pivoting, in double).
  }];
  let arguments = (ins RankedTensorOf<[F32]>:$input);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Gcomp_NonMaxSuppressionOp : Gcomp_Op<"non_max_suppression",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "ONNX NonMaxSuppression, with the number of boxes it selects";
  let description = [{
    For each batch b and class c, the boxes whose score is above
    `score_threshold` (all of them without it), best score first (the lower
    box index first among equal scores), each kept unless its IoU with a box
    already kept exceeds `iou_threshold` (0 without it), until
    `max_output_boxes_per_class` are kept (0 without it; a negative one
    counts as 0). `boxes` is [B, N, 4] (y1, x1, y2, x2 corners in any order,
    or with `center_point_box` x_center, y_center, width, height), `scores`
    [B, C, N]; the optional thresholds are read when the op runs, as ONNX
    allows them to be computed.

    `selected` lists [b, c, box] rows in batch, class, then selection order
    for its first `count` rows; the rows past `count` are 0. Its first dim
    is the most there can be: B * C * min(N, the maximum per class where
    that is a constant).

    It bufferizes into one call of the runtime's __gcomp_nms.
  }];
  let arguments = (ins 3DTensorOf<[F32]>:$boxes, 3DTensorOf<[F32]>:$scores,
                   Optional<RankedTensorOf<[I64]>>:$max_output_boxes_per_class,
                   Optional<RankedTensorOf<[F32]>>:$iou_threshold,
                   Optional<RankedTensorOf<[F32]>>:$score_threshold,
                   UnitAttr:$center_point_box);
  let results = (outs 2DTensorOf<[I64]>:$selected, 0DTensorOf<[I64]>:$count);
  let assemblyFormat = [{
    $boxes `,` $scores (`max_output` $max_output_boxes_per_class^)?
    (`iou` $iou_threshold^)? (`score` $score_threshold^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Gcomp_ResizeOp : Gcomp_Op<"resize", [Pure, SameOperandsAndResultElementType]> {
  let summary = "Resample to the result's shape (ONNX Resize and Upsample)";
  let description = [{
    Every result dim d reads input coordinates given by
    `coordinate_mode` and `scales[d]` (the importer resolves `sizes`, axes
    and aspect-ratio policies into the result type and `scales`): "nearest"
    (rounded by `nearest_mode`), "linear" or "cubic" (`cubic_coeff_a`,
    `exclude_outside`) interpolation, separably over the dims that change;
    with `antialias`, linear and cubic filters widen by 1 / scale when
    downsampling.
    `roi` (all starts, then all ends) and `extrapolation_value` serve
    "tf_crop_and_resize". Tap positions and weights depend only on the
    static shapes, so the lowering computes them at compile time.
  }];
  let arguments = (ins Gcomp_AnyTensor:$input, StrAttr:$mode,
                   StrAttr:$coordinate_mode,
                   DefaultValuedStrAttr<StrAttr, "round_prefer_floor">:$nearest_mode,
                   DenseF64ArrayAttr:$scales,
                   DefaultValuedAttr<DenseF64ArrayAttr, "{}">:$roi,
                   DefaultValuedAttr<F64Attr, "-0.75">:$cubic_coeff_a,
                   DefaultValuedAttr<BoolAttr, "false">:$exclude_outside,
                   DefaultValuedAttr<F64Attr, "0.0">:$extrapolation_value,
                   DefaultValuedAttr<BoolAttr, "false">:$antialias);
  let results = (outs Gcomp_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

#endif // GCOMP_DIALECT_GCOMP_IR_GCOMPOPS_TD
