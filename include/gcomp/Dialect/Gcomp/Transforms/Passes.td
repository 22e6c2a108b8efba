//===- Passes.td - gcomp transforms ------------------------*- tablegen -*-===//

#ifndef GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_TD
#define GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def GcompEmitModelAbi : Pass<"gcomp-emit-model-abi", "mlir::ModuleOp"> {
  let summary = "Emit the signature tables the runtime reads (model_abi.h)";
  let description = [{
    Reads the entry function's graph inputs and outputs (their `gcomp.name`
    attributes and tensor types) and emits the constant LLVM globals that
    `runtime/include/gcomp/model_abi.h` defines: the signature table, the
    NUL-separated names, the CPU features the code needs, the producer
    string, the default thread count and (with `flush-denormals`) the FP
    flags. Records the input and output counts as module attributes for
    `gcomp-emit-entry`. Runs at graph level, while the tensor types are
    still those of the ONNX model.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the graph's entry function">,
    ListOption<"cpuFeatures", "cpu-features", "std::string",
               "CPU features (e.g. avx2,avx512f) the runtime must check">,
    Option<"producer", "producer", "std::string", /*default=*/"\"gcomp\"",
           "Version string of the compiler">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Default number of threads (0: every CPU)">,
    Option<"flushDenormals", "flush-denormals", "bool", /*default=*/"false",
           "Emit the FP flags table that makes the model's runs flush "
           "denormals to zero">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def GcompEmitEntry : Pass<"gcomp-emit-entry", "mlir::ModuleOp"> {
  let summary = "Wrap the lowered entry function in the runtime's C entry";
  let description = [{
    Runs on the LLVM dialect after the entry function was lowered with the
    bare-pointer calling convention (inputs first, then one out-parameter
    per output, then optionally the `gcomp.workspace` of
    gcomp-plan-buffers). Emits `int32_t __gcomp_entry(void *const *inputs,
    void *const *outputs, void *workspace)` that unpacks the pointer arrays
    and calls it, and
    gives every other function internal linkage so that LLVM may inline and
    the linker need not export them.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the lowered entry function">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def GcompChannelsLast : Pass<"gcomp-channels-last", "mlir::func::FuncOp"> {
  let summary = "Run convolutions and their neighbours with channels innermost";
  let description = [{
    Rewrites every static 2-D f32 `gcomp.conv` with one group, or depthwise,
    into its `channels_last` form (input [N, H, W, C], weight
    [KH, KW, C/G, M], result [N, OH, OW, M]), the layout in which the CPU
    lowering's matrix products read contiguous rows and vectorize over
    output channels. The layout then flows forward through elementwise ops
    (the `Gcomp_Elementwise` trait), pooling, reductions that keep their
    dims and concat: such an op is rewritten when one of its full-size
    operands is already channels-last, and its other operands are permuted
    (constants at compile time). Each rewritten op's NCHW result remains
    available as a transpose for users that need it; unused ones are
    erased, and transposes that move only size-1 dims become reshapes. A
    ResNet thus converts its input once and its pooled features once.
  }];
}

def GcompDuplicateFills
    : Pass<"gcomp-duplicate-fills", "mlir::func::FuncOp"> {
  let summary = "A fill of its own for each use of a shared linalg.fill";
  let description = [{
    A `linalg.fill` of a `tensor.empty` with several uses (CSE merges the
    zero initializations of equal-shaped products) is cloned, with its empty
    tensor, right before each use but the first. Bufferization would
    otherwise keep one filled buffer and copy it for every other use: a
    read and a write of the whole tensor instead of a write.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def GcompFoldTransposes
    : Pass<"gcomp-fold-transposes", "mlir::func::FuncOp"> {
  let summary = "Transposes folded into the indexing maps of the linalg ops "
                "that read or write them";
  let description = [{
    On linalg-on-tensors: a `linalg.transpose` all of whose users read it
    as inputs of `linalg.generic` ops is removed, each of them reading the
    transpose's input through the permuted indexing map instead. Otherwise,
    a transpose whose input is the only result of a `linalg.generic` used
    only by it, with an init that is a `tensor.empty` (or a `linalg.fill`
    of one, used only there), becomes that generic writing the transposed
    layout through its output map. A transpose used by anything else stays.
    Attention's head split and merge become strides of the batched
    products (gcomp-gemm-to-runtime-call) instead of copies.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def GcompFuseElementwise : Pass<"gcomp-fuse-elementwise"> {
  let summary = "Fuse elementwise linalg producers into their consumers";
  let description = [{
    gcomp's elementwise fusion on linalg-on-tensors: a producer whose only
    user is another linalg op is merged into it (upstream's elementwise
    fusion patterns with that policy), so a chain of elementwise ops and
    the epilogue of a contraction become single loop nests.

    Fusions are numbered in the order they happen, which is deterministic
    for a given input. `max-fusions` applies only the first N (what
    `gcomp-debug bisect` halves to find the fusion that breaks a model);
    `print-fusions` reports each as a remark naming the ONNX nodes of the
    producer and the consumer. `test-miscompile` (test only) turns the
    first `arith.addf` of the fused ops into `arith.subf`: of every fused op,
    or with `test-miscompile-fusion` = K only of those that contain fusion
    K, so that bisect can be shown to find a broken pass and fusion.
  }];
  let options = [
    Option<"maxFusions", "max-fusions", "int64_t", /*default=*/"-1",
           "Apply only the first N fusions (-1: all)">,
    Option<"printFusions", "print-fusions", "bool", /*default=*/"false",
           "Report every fusion as a remark">,
    Option<"testMiscompile", "test-miscompile", "bool", /*default=*/"false",
           "Test only: make fused ops compute the wrong result">,
    Option<"testMiscompileFusion", "test-miscompile-fusion", "int64_t",
           /*default=*/"-1",
           "Test only: with test-miscompile, break only the ops containing "
           "this fusion">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::arith::ArithDialect"];
}

def GcompDistinctResults : Pass<"gcomp-distinct-results", "mlir::func::FuncOp"> {
  let summary = "Give every returned tensor its own value";
  let description = [{
    A graph may list the same value as two outputs (an output and an
    Identity of it). Each output becomes its own out-parameter buffer, so
    every repeated return operand is copied (`linalg.copy` into a new
    tensor) before bufferization.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def GcompMemrefCopyToLinalg : Pass<"gcomp-memref-copy-to-linalg"> {
  let summary = "Turn memref.copy into linalg.copy";
  let description = [{
    Upstream lowers a `memref.copy` between non-contiguous buffers to a call
    to `memrefCopy` from MLIR's C runner utils, which a model library does
    not link. As `linalg.copy` it becomes loops like every other kernel (and
    LLVM turns contiguous ones back into memcpy).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def GcompSymbolicDims : Pass<"gcomp-symbolic-dims", "mlir::ModuleOp"> {
  let summary = "Relate an entry's symbolic dims to its inputs' dims";
  let description = [{
    For an entry with symbolic (dynamic) dims, on linalg on tensors: finds,
    by resolving `tensor.dim` through the ops' reified result shapes, which
    input dim gives each dynamic output dim, and which dynamic input dims
    the code reads as one loop (and so must be equal at run time). Emits
    them as the `__gcomp_dynamic_dims` table (model_abi.h) that the runtime
    checks every run against, and marks the entry `gcomp.dynamic_entry`
    for gcomp-dynamic-entry. A dynamic output dim that no input dim gives
    (sizes computed from the data or from shape arithmetic) is an error
    naming the output. A static entry is left alone.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the graph's entry function">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::tensor::TensorDialect"];
}

def GcompDynamicEntry : Pass<"gcomp-dynamic-entry", "mlir::ModuleOp"> {
  let summary = "Give an entry with dynamic memrefs pointer parameters";
  let description = [{
    The bare-pointer calling convention has no room for sizes. On the
    bufferized entry marked `gcomp.dynamic_entry`, replaces each memref
    parameter with a dynamic dim by an `!llvm.ptr` and adds a last
    parameter `gcomp.dims`, a pointer to every input's and then every
    output's dims (int64); the body sees a row-major memref descriptor built
    from the pointer and those dims. gcomp-emit-entry then passes the
    runtime's dims array through (model_abi.h, GCOMP_SYM_DYNAMIC_DIMS).
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the entry function">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def GcompFlattenEmptyArguments
    : Pass<"gcomp-flatten-empty-arguments", "mlir::func::FuncOp"> {
  let summary = "Give zero-element memref arguments a 1-D type";
  let description = [{
    The bare-pointer calling convention cannot describe a memref such as
    memref<3x0x5xf32> (a zero dim leaves its strides undefined), so
    convert-func-to-llvm would leave such a function unconverted. Models do
    have empty inputs and outputs (an empty slice, a reduction over an empty
    set). Each such argument becomes memref<0xT>, seen through a
    `memref.expand_shape` view by the body; nothing reads or writes it.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def GcompFlattenGlobals : Pass<"gcomp-flatten-globals", "mlir::ModuleOp"> {
  let summary = "Store constant memref globals as 1-D arrays";
  let description = [{
    A global of memref<64x3x7x7xf32> becomes a nested LLVM array whose
    innermost rows of 7 floats are separate LLVM constants: hundreds of
    thousands of them for a CNN's weights, which dominate compile time. As
    1-D globals each weight is one constant; users see the original shape
    through a `memref.expand_shape` view.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def GcompInstrumentKernels
    : Pass<"gcomp-instrument-kernels", "mlir::ModuleOp"> {
  let summary = "Time every kernel of the entry function (gcomp --profile)";
  let description = [{
    Runs on bufferized IR, where each kernel of the entry function (a linalg
    op, memref.copy or scf loop) becomes one loop nest: brackets each with
    calls to the
    runtime's `__gcomp_prof_begin(i32)` / `__gcomp_prof_end(i32)` and emits
    the profile tables of model_abi.h: per kernel its estimated flops per
    call, a label (`k3.generic`) and the ONNX nodes its location names.
    Without this pass a model has no profiling code at all.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the entry function">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect"];
}

def GcompGemmToRuntimeCall : Pass<"gcomp-gemm-to-runtime-call", "mlir::ModuleOp"> {
  let summary = "Run f32 matrix products through the runtime's packed GEMM";
  let description = [{
    On bufferized IR, every linalg op that is C += A * B on f32 buffers
    (a body of one multiply and one add; one reduction dim k; dims only C
    and A index are m, only C and B n, all three batch; broadcasts read with
    a constant 0) becomes a call to the runtime's `__gcomp_sgemm` with each
    operand's pointer and element strides, the innermost batch dim as its
    batch count and scf.for loops over any other. MatMul, Gemm, batched
    attention products and convolutions (as im2col products) all take this
    path; loop nests reach a few GFLOP/s where the packed, register-blocked
    GEMM runs near the FMA peak.
  }];
  let dependentDialects = ["mlir::func::FuncDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def GcompDepthwiseToRuntimeCall
    : Pass<"gcomp-depthwise-to-runtime-call", "mlir::ModuleOp"> {
  let summary = "Run 2-D depthwise f32 convolutions in the runtime's kernel";
  let description = [{
    On bufferized IR, a linalg op that the conv lowering marked
    `gcomp.depthwise` (strides and dilations; operands [N, C, 1, H, W]
    padded input, [C, 1, 1, KH, KW] weight, [N, C, 1, OH, OW] output, all
    contiguous f32) becomes a call to the runtime's `__gcomp_dwconv2d`,
    which walks output rows with vector code and splits channels across
    threads. One marked `gcomp.depthwise_nhwc` (channels-last: [N, H, W, C]
    padded input, [KH, KW, 1, C] weight, [N, OH, OW, C] output) becomes a
    call to `__gcomp_dwconv2d_nhwc`, which accumulates blocks of channels
    over the window in registers and splits output rows across threads;
    where the padded input is an allocation filled with zeros and a copy of
    an input that is still intact when the conv runs, the kernel reads that
    input and pads implicitly, and the padded copy is removed. Anything
    else, or a marked op whose operands are not contiguous, stays a loop
    nest.
  }];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def GcompApproximateMath : Pass<"gcomp-approximate-math"> {
  let summary = "Polynomial f32 exp, log, tanh, erf... instead of libm calls";
  let description = [{
    Rewrites f32 math ops (exp, expm1, log, log1p, log2, tanh, erf, ...)
    into upstream MLIR's polynomial approximations in arith ops (accurate to
    a few ulp), so that the loops of softmax, GELU, SiLU and sigmoid inline
    them and LLVM vectorizes them, where a libm call per element stops both.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def GcompOutlineKernels : Pass<"gcomp-outline-kernels", "mlir::ModuleOp"> {
  let summary = "Give every kernel its own function, named after its ONNX nodes";
  let description = [{
    Moves each kernel of the bufferized entry function (a linalg op,
    memref.copy or scf loop; numbered as gcomp-instrument-kernels numbers
    them) into a private, never-inlined function such as
    `gcomp.k12.generic.resnet.layer1.0.conv1` that the entry calls. The
    symbols stay in the library's symbol table, so `perf report`, gdb and a
    crash backtrace name the kernel and the ONNX nodes it computes. Buffers
    are passed as arguments; constants, globals and views of them are
    rebuilt inside the kernel. A call per kernel costs nanoseconds against
    kernels of microseconds and more.

    With `parallel`, a linalg kernel of at least 32768 iterations on
    buffers alone, whose leading loops are parallel and whose operands
    index the first of them longer than 1 directly (an elementwise op, a
    softmax or layer norm over rows, a transpose), takes that loop's range
    [lo, hi) as two more index arguments and works on the slices of its
    operands; the kernel is marked `gcomp.parallel` and the call passes
    the whole range, for gcomp-parallel-calls to split across threads.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the entry function">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "Let large kernels with a parallel outer loop split it">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def GcompFoldConstants : Pass<"gcomp-fold-constants", "mlir::func::FuncOp"> {
  let summary = "Evaluate ops on constants at compile time, up to a size cap, "
                "and merge equal constants";
  let description = [{
    Replaces every op whose operands are all `gcomp.constant`s (dense or
    resource blobs) and that the pass can evaluate with a constant of its
    result: f32 elementwise arithmetic with broadcasting (add, sub, mul,
    div, pow, min, max; neg, abs, sqrt, reciprocal, exp, log, relu,
    sigmoid, tanh, erf) and, for any element type, reshapes and transposes.
    A result larger than `limit` bytes is not computed: the op stays and
    runs with the model. The ops' own folders (canonicalize) already
    evaluate small tensors as attributes; this pass is for weight-sized
    data, which it evaluates on the raw bytes. Then constants of the same
    type and bytes (64 bytes or more; smaller ones are uniqued attributes
    that CSE merges) are merged into the first.
  }];
  let options = [
    Option<"limit", "limit", "int64_t", /*default=*/"64 << 20",
           "The largest result, in bytes, that is evaluated">,
  ];
  let statistics = [
    Statistic<"numFolded", "folded", "Ops evaluated into constants">,
    Statistic<"numMerged", "merged", "Constants merged into an equal one">,
  ];
}

def GcompFoldBatchNorm : Pass<"gcomp-fold-batch-norm", "mlir::func::FuncOp"> {
  let summary = "BatchNormalization (per-channel sub, mul, add of constants) "
                "folded into the conv or product before it";
  let description = [{
    The importer writes an inference BatchNormalization as `(x - mean) *
    factor + bias` with per-channel constants. Where such a chain (any
    order of subtractions, additions and multiplications by constants that
    vary only along the channel dim, each the sole user of the one before)
    follows a channels-first f32 `gcomp.conv` with a constant weight (and
    constant bias, if any), it becomes that conv with its weight scaled per
    output channel and a new bias. After a `gcomp.gemm` (A not transposed)
    with a constant B and a C that is absent or per column, B's columns and
    C absorb it. After a `gcomp.matmul` with a constant 2-D right operand,
    the scale goes into its columns and the shift stays one addition of a
    bias, which gcomp-fuse-conv makes part of the kernel.
  }];
}

def GcompRecognizeOps : Pass<"gcomp-recognize-ops", "mlir::func::FuncOp"> {
  let summary = "Exporters' decompositions of activations and layer norms "
                "as single ops";
  let description = [{
    Replaces `0.5 * x * (1 + erf(x / sqrt(2)))` (PyTorch's GELU as exported:
    Div or Mul, Erf, Add, Mul, Mul, in any association order) with
    `gcomp.gelu`, which gcomp-fuse-conv can then make a GEMM's epilogue,
    and its tanh form `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 *
    x^3)))` (x^3 as Pow or products) with `gcomp.gelu {tanh_approximation}`.
    Replaces `x * sigmoid(x)` (SiLU, Swish) with `gcomp.silu` and `x * hard_sigmoid(x)` with alpha 1/6 and beta 1/2 with
    `gcomp.hard_swish`. Replaces a layer norm written out over trailing dims (`c = x - mean(x)`,
    `c / sqrt(mean(c * c) + eps)` with `c ^ 2` or a reciprocal as
    variants, then an optional `* scale` and `+ bias`) with
    `gcomp.layer_norm`. Every intermediate op must have the pattern's next
    op as its only user; constants must match within 1e-6.
  }];
}

def GcompFuseConv : Pass<"gcomp-fuse-conv", "mlir::func::FuncOp"> {
  let summary = "Channels-last convolutions with their bias, residual add and "
                "ReLU as one implicit-GEMM kernel";
  let description = [{
    Rewrites a channels-last 2-D f32 `gcomp.conv` with one group, a
    constant weight and at least `min-channels` input channels into a
    `gcomp.fused_conv`, packing the weight at compile time, and absorbs
    what follows it: an `add` of a tensor of the result's type (a residual
    connection; it becomes the destination the conv accumulates into) and
    then a `relu`. Each absorbed op must be the conv chain's only user;
    otherwise its value is needed on its own and it stays. The fused op
    reads its input with implicit zero padding and no im2col matrix, so a
    ResNet block's conv, batch norm (folded into the conv by the
    importer), residual add and ReLU are one kernel. Convs with fewer
    channels (a network's first conv, 3 channels) keep the im2col GEMM,
    which uses the machine better on so short a reduction.

    A channels-last depthwise conv (a group per channel, one output channel
    each) becomes a `gcomp.fused_conv` with `depthwise` (its weight
    flattened, not packed) with the same epilogue, run by the runtime's
    depthwise kernel: its input is read with implicit padding, and its
    bias, ReLU, Clip (ReLU6), GELU or SiLU are applied as its rows are
    written.

    Products with a constant weight are the same kernel as a 1x1 conv over
    their rows: a `gcomp.matmul` x[..., K] * W[K, N] (an add of a constant
    [N] after it is its bias), and a `gcomp.gemm` with a constant B (either
    orientation), no transposed A, and C absent or a constant [N] / [1, N]
    (alpha is folded into the packed weight, beta * C is the bias).
  }];
  let options = [
    Option<"minChannels", "min-channels", "int64_t", /*default=*/"1",
           "Fewest input channels for which a conv is fused">,
  ];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def GcompPoolKernels : Pass<"gcomp-pool-kernels", "mlir::func::FuncOp"> {
  let summary = "Channels-last 2-D pools, and means or maxima over the "
                "spatial dims, as one runtime kernel each";
  let description = [{
    Marks channels-last 2-D f32 `gcomp.max_pool` and `gcomp.average_pool`
    ops with static shapes `runtime_kernel`: they become one call of the
    runtime's __gcomp_pool2d_nhwc, which reads the unpadded input and
    clips each window, where the linalg lowering needs a padded copy of the
    input, an initialization and (for averages) a division: four kernels
    and a buffer the size of the input. A `gcomp.reduce_mean` or
    `gcomp.reduce_max` over dims 1 and 2 of a static 4-D f32 tensor (a
    global pool in channels-last form) becomes such a pool with a window of
    the whole image.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def GcompFuseAttention
    : Pass<"gcomp-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Softmax attention as one gcomp.attention op";
  let description = [{
    Replaces `matmul(softmax(mask(scale(matmul(Q, Kt)))), V)`, the way
    exporters write scaled dot-product attention, with one `gcomp.attention`
    (one runtime kernel: the score matrix is never written out, and a causal
    mask skips the products it would hide). It matches, on static f32
    tensors of rank 3 or 4 with the same head dims everywhere:
      - the scale: a multiplication or division by a positive constant
        (optional);
      - the causal mask: a `gcomp.where` with a constant condition that is
        exactly true above the diagonal and -inf where it is true
        (optional; any other condition leaves the pattern unfused);
      - an additive mask added last (optional; any f32 tensor that
        broadcasts to the scores, e.g. BERT's padding mask [batch, 1, 1,
        t] computed from an input);
      - a softmax over the last axis whose only user is the second matmul.
    Transposes of Q, Kt and V, and one of the result (its only user), are
    taken into the op's perms. Intermediates used elsewhere keep the
    pattern unfused.
  }];
}

def GcompSoftmaxKernels
    : Pass<"gcomp-softmax-kernels", "mlir::func::FuncOp"> {
  let summary = "Softmax along the last axis as one runtime kernel, with "
                "the scale before it absorbed";
  let description = [{
    Marks f32 `gcomp.softmax` ops over the last axis of a static tensor
    `runtime_kernel`: one call of the runtime's __gcomp_softmax_rows, which
    reads each row while it is in cache, where the linalg lowering makes
    eight kernels (two reductions with their initializations, the
    exponentials, the division). A multiplication or division by a
    positive constant whose only user is the softmax (attention's
    1/sqrt(d)) becomes the softmax's `scale`.
  }];
}

def GcompLayerNormKernels
    : Pass<"gcomp-layer-norm-kernels", "mlir::func::FuncOp"> {
  let summary = "Layer norms as one runtime kernel each";
  let description = [{
    Marks f32 `gcomp.layer_norm` ops of static shape whose scale and bias
    (if any) hold one value per normalized element `runtime_kernel`: one
    call of the runtime's __gcomp_layer_norm_rows, which reads each row
    three times while it is in cache, where the linalg lowering makes about
    nine kernels (two mean reductions with their initializations, the
    centring, the deviation, the scale and the shift).
  }];
}

def GcompIntegerMatMulKernels
    : Pass<"gcomp-integer-matmul-kernels", "mlir::func::FuncOp"> {
  let summary = "int8 products with constant weights as runtime VNNI kernels";
  let description = [{
    The importer writes MatMulInteger, QLinearMatMul, MatMulIntegerToFloat
    and DynamicQuantizeMatMul as a `gcomp.matmul` of int32 operands: the
    activations widened from uint8 or int8 minus their zero point, the
    constant weights widened (and folded). Lowered through linalg that is a
    loop nest of int32 multiply-adds, slower than the f32 product it
    replaces. Where the weights are a constant [k, n] matrix whose values
    fit int8 and the activations are `cast(x) - z` (or `cast(x)`) of an
    i8 tensor x with a scalar zero point z, this pass packs the weights for
    the runtime's __gcomp_qgemm_u8s8 (AVX512-VNNI where the CPU has it) and
    replaces the product by `gcomp.qmatmul`; the result is the same int32
    values. Other products (per-row zero points, weights computed at run
    time or outside int8) keep the linalg form.
  }];
  let options = [
    Option<"minK", "min-k", "int64_t", "4",
           "Products over fewer terms keep the linalg form">,
  ];
}

def GcompQuantizedProducts
    : Pass<"gcomp-quantized-products", "mlir::func::FuncOp"> {
  let summary = "QDQ convolutions and matmuls as integer products";
  let description = [{
    `conv(DequantizeLinear(xq), DequantizeLinear(wq)) + bias`, as the
    importer writes a QDQ model's products (`cast(q - z) * s` on each
    side), becomes `cast(conv(xq - zx, wq)) * (sx * sw) + bias`: the
    product on the int32 values, dequantized after, as onnxruntime's QDQ
    fusion into QLinearConv computes it. Likewise for `gcomp.matmul` by a
    2-D weight and `gcomp.gemm` (alpha and beta 1, A not transposed; a
    transposed weight is transposed at compile time, then C is added). Only what gcomp-integer-conv-kernels and
    gcomp-integer-matmul-kernels can then run on int8 kernels is rewritten:
    2-D convolutions with one group and matmuls by a [K, N] weight, int8 or
    uint8 activations with one scale and zero point, constant int8 weights
    with zero zero points and a scale per tensor or per output channel.
    Any other matmul or gemm (A not transposed, beta 1) of f32 activations
    by weight-only quantized constants becomes `gcomp.matmul_nbits` on the
    codes, repacked as onnxruntime's MatMulNBits lays them out: blocks
    along K (DequantizeLinear with `block_size`: scales and zero points
    gathered by k / block_size), or, for products of at most 7 rows
    (GCOMP_NBITS_GEMV_MAX_ROWS: more are faster on f32 weights), one scale
    per tensor or per column of the product (`cast(w) * scale` with w
    integers known now). Each block
    of a column gets the zero point that makes its codes exact; 4 bits
    where every block spans at most 16 values, else 8, else no rewrite.
    A gemm's alpha goes into the scales, its C becomes the bias or is
    added after. Runs before gcomp-fold-constants, which would fold the
    dequantized weights into floats.
  }];
}

def GcompIntegerConvKernels
    : Pass<"gcomp-integer-conv-kernels", "mlir::func::FuncOp"> {
  let summary = "int8 convolutions with their epilogues as runtime VNNI/AMX "
                "kernels";
  let description = [{
    A channels-last 2-D integer `gcomp.conv` with one group, of activations
    `cast(x) - z` (x i8, z a scalar) by constant weights within int8,
    becomes a `gcomp.qconv`: the weights packed for the runtime's int8
    product, and the float steps after the conv, as far as each is the only
    user of the one before, taken into the kernel's epilogue:
    `cast to f32 * scale` (a constant per channel or scalar), `+ bias`
    (likewise), a ReLU, and the next QuantizeLinear (`/ s`, round, `+ zy`,
    clamp to a byte's range, cast to i8). The kernel computes the same
    values: the integer sums exactly, the float steps one at a time in the
    same order. Convolutions the runtime cannot take (groups, weights
    computed at run time or outside int8, a conv bias, per-channel input
    zero points) keep the linalg form.
  }];
}

def GcompWriteOutputsInPlace
    : Pass<"gcomp-write-outputs-in-place", "mlir::ModuleOp"> {
  let summary = "Kernels write the entry's outputs directly instead of a "
                "buffer copied into them at the end";
  let description = [{
    After bufferization an output whose value is a reshape of a computed
    buffer (a Flatten or Reshape before the graph's output) is computed
    into a new buffer and copied into the caller's output buffer at the
    end: a whole extra pass over the output, and a buffer. When the buffer
    is an allocation of the entry whose bytes the output holds unchanged
    (reshapes and casts of a dense row-major buffer), and nothing uses it
    after the copy, this pass makes the allocation a view of the output
    argument and drops the copy.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the entry function">,
  ];
}

def GcompPlanBuffers : Pass<"gcomp-plan-buffers", "mlir::ModuleOp"> {
  let summary = "Place every intermediate buffer in one workspace, by liveness";
  let description = [{
    Runs on the bufferized entry function, a straight-line sequence of
    kernels. Each static allocation in its body lives from the first to the
    last operation that touches it or anything derived from it (views,
    pointers extracted for runtime calls); buffers whose lifetimes do not
    overlap share bytes. Offsets are assigned greedily, largest buffer
    first, each at the lowest 64-byte-aligned offset that is free for its
    whole lifetime. The allocations become `memref.view`s of one workspace,
    a new last argument of the entry (`memref<Bxi8>`, marked
    `gcomp.workspace`), which the runtime allocates once per model instance,
    so a run allocates nothing; their deallocations go. The size is
    exported as `__gcomp_workspace_bytes`; the module records
    `gcomp.workspace_bytes`, `gcomp.buffer_bytes_naive` (the sum of all
    planned buffers) and `gcomp.buffer_bytes_lower_bound` (the most bytes
    live at one operation) for `gcomp --stats`. Dynamic shapes, non-default
    memory spaces and buffers that escape the entry stay allocations.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the entry function">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::LLVM::LLVMDialect"];
}

def GcompParallelCalls : Pass<"gcomp-parallel-calls", "mlir::ModuleOp"> {
  let summary = "Run the calls of gcomp.parallel kernels on the thread pool";
  let description = [{
    Runs on the LLVM dialect. For every function marked `gcomp.parallel`
    (pointer parameters, then the i64 bounds lo and hi of its split loop),
    emits a task `NAME.task(ptr ctx, i64 lo, i64 hi)` that loads the
    pointers from the array `ctx` and calls it on [lo, hi); and rewrites
    every call of it into a call of the runtime's
    `__gcomp_parallel_for(task, ctx, lo, hi)` with the pointers stored in a
    stack array, which splits the range across the pool's threads (each
    part runs the task once; one thread runs it whole).
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

def GcompTestPerturbNode : Pass<"gcomp-test-perturb-node", "mlir::ModuleOp"> {
  let summary = "Test only: add 1 to the outputs of one named ONNX node";
  let description = [{
    Makes a deliberately wrong model so that `gcomp-debug compare` can be
    tested: every floating-point result of the ops whose location names the
    ONNX node `node` gets 1.0 added to it. Not for production use.
  }];
  let options = [
    Option<"nodeName", "node", "std::string", /*default=*/"\"\"",
           "The ONNX node name to perturb">,
  ];
}

//===----------------------------------------------------------------------===//
// CUDA target (gcomp --target=cuda)
//===----------------------------------------------------------------------===//

def GcompGpuConstants : Pass<"gcomp-gpu-constants", "mlir::ModuleOp"> {
  let summary = "Give the entry's constants a place in the device workspace";
  let description = [{
    Runs after gcomp-plan-buffers, for the CUDA target, where kernels cannot
    read the host's globals. Every constant `memref.global` that the entry
    reads is given an offset after the planned intermediate buffers; its
    `memref.get_global`s become `memref.view`s of the workspace, which grows
    by the constants' bytes (`__gcomp_workspace_bytes` too). The module
    records `gcomp.cuda_constants`, a list of `[@global, offset, bytes]`, for
    gcomp-emit-cuda-tables: the runtime copies each global to its offset
    once, when a model instance is created. Fails, naming the operation,
    on what cannot run with every buffer on the device: an allocation that
    was not planned, a call, or a mutable global.
  }];
  let options = [
    Option<"entryName", "entry", "std::string", /*default=*/"\"main\"",
           "Name of the entry function">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::memref::MemRefDialect"];
}

def GcompGpuSplitReductions : Pass<"gcomp-gpu-split-reductions", "mlir::func::FuncOp"> {
  let summary = "Split the long sums of small matrix products across GPU blocks";
  let description = [{
    For the CUDA target, on linalg ops on tensors. A matrix product whose
    output is small but whose terms are many (the last convolutions of a
    CNN at batch 1: 512 x 49 outputs of 4,608 terms each) gets only a few
    blocks of gcomp-linalg-to-gpu-loops' tiles, each running through every
    term while most of the GPU idles. Here such a product's reduction
    dimension k is split in two, (s, kk): the product becomes S products
    over K/S terms each into partial sums (s is one more batch dimension,
    so S times as many blocks), and a second op adds the S partial sums
    to the output's initial value.

    Applies to contractions (see gcomp-linalg-to-gpu-loops) of floats whose
    body yields `acc + term`, with at least 512 terms, whose tiles would be
    fewer than `min-blocks`. S is the smallest divisor of K (up to 32)
    that gives `min-blocks` tiles with at least 128 terms per split, or
    the largest that keeps 128 terms. The sum is reassociated: each output
    adds S partial sums, in order.

    A sum over one input with few outputs and long rows (at least 2,048
    terms, fewer outputs than `min-blocks` x 8 warps: a global pooling at
    high resolution, which gcomp-linalg-to-gpu-loops gives a warp per
    output) is split the same way on its outermost reduction loop, into at
    most 64 partial sums of at least 256 terms each.
  }];
  let options = [
    Option<"minBlocks", "min-blocks", "int64_t", /*default=*/"264",
           "Split products with fewer tiles than this">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

def GcompLinalgToGpuLoops : Pass<"gcomp-linalg-to-gpu-loops", "mlir::func::FuncOp"> {
  let summary = "Lower linalg ops on buffers to parallel loops that reduce in registers";
  let description = [{
    The loops a CUDA kernel is made of (gcomp-map-to-gpu maps each
    `scf.parallel` to threads). Each linalg op on memrefs whose outputs are
    indexed by its parallel dimensions alone becomes an `scf.parallel` over
    those dimensions whose body loads each output element once, reduces over
    the reduction dimensions in `scf.for` loops that carry the partial
    results as values (registers), and stores each output once. Upstream's
    convert-linalg-to-parallel-loops loads and stores the output at every
    step of the reduction instead: for a matrix product, three memory
    accesses per multiply-add rather than two loads, which the GPU's caches
    serve. Ops whose outputs depend on a reduction dimension are left for
    the upstream lowering.

    A `linalg.fill`, or a broadcast of a buffer (a bias), that initializes
    an op's only output, which the op then overwrites entirely without
    reading it through an input, is absorbed: the op starts each output
    element from the fill's value or the broadcast's element. Up to four
    linalg ops on other buffers may lie between (a split product's partial
    sums), provided none writes the broadcast's input.

    An op with one output, at most 65536 output elements and at least 64
    reduction terms per element whose body folds the terms with `addf`,
    `maximumf`, `maxnumf`, `minimumf` or `minnumf` (a convolution near the
    end of a CNN, a classifier, a global pooling) gets a warp per output
    element instead: an extra innermost parallel dimension of 32 lanes,
    each folding every 32nd term from the combiner's identity, the lanes'
    partial results combined with `gpu.shuffle xor`, and lane 0 folding the
    result into the output. gcomp-map-to-gpu puts the 32 lanes of an
    element in one warp (`warp-reductions`, on by default).

    A contraction (`tile-contractions`, on by default) with one reduction
    dimension, two inputs each indexed by one parallel dimension the other
    lacks (m and n, at least 16 each, at least 8 terms) and static shapes
    (a matrix product, a batched one, a convolution as an im2col product)
    becomes a `gpu.launch` of its own: 256 threads per block compute a 64 x
    64 (or smaller, to give the grid enough blocks) tile of the output,
    each 4 x 4 (or 2 x 2) outputs in registers, from 16-term tiles of the
    inputs copied to shared memory (workgroup attributions) between
    `gpu.barrier`s. Each output still folds its terms in order, with the
    op's body. gcomp-map-to-gpu leaves these launches as they are.

    With `allow-tf32`, a tiled product of f32 whose body is `acc + a * b`
    runs on tensor cores instead: each of the block's 8 warps computes a
    (BM/2) x (BN/4) part of the tile with `nvgpu.mma.sync` of shape 16x8x8
    in TF32 (inputs rounded to nearest with a 10-bit mantissa as they are
    copied to shared memory, sums in fp32), reading its fragments from the
    same shared-memory tiles. Terms past K are
    copied as zeros, since each mma folds 8 terms.

    With `half-tensor-cores` (on by default; sm_80 or newer), a tiled
    product of f16 or bf16 inputs widened to an f32 accumulator (the form
    the importer gives half-precision MatMul, Gemm and Conv) runs on tensor
    cores with `nvvm.mma.sync` of shape 16x8x16, f32 sums: each product of
    two halves is exact in f32, so only the order of the sums changes.

    With `epilogues` (on by default), the element-wise op right after a
    product or a reduction (an activation, a residual add, a rounding to
    f16) runs in the producer's kernel: where the producer would store an
    element of its output, it computes the consumer's element at the same
    linear index and stores that. It applies when the producer's output is
    a workspace buffer that only the consumer reads, through one identity-
    indexed input that views it row-major, and the consumer's output shares
    no bytes with what the producer still reads.
  }];
  let options = [
    Option<"warpReductions", "warp-reductions", "bool", /*default=*/"true",
           "Give ops with few outputs and long reductions a warp per output">,
    Option<"tileContractions", "tile-contractions", "bool", /*default=*/"true",
           "Compute large contractions in shared-memory tiles">,
    Option<"allowTf32", "allow-tf32", "bool", /*default=*/"false",
           "Tiled fp32 multiply-add products on tensor cores, in TF32">,
    Option<"halfTensorCores", "half-tensor-cores", "bool", /*default=*/"true",
           "Tiled f16 and bf16 products (f32 sums) on tensor cores (sm_80+)">,
    Option<"epilogues", "epilogues", "bool", /*default=*/"true",
           "Run the element-wise op after a product or reduction in its "
           "kernel">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::affine::AffineDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::gpu::GPUDialect", "mlir::nvgpu::NVGPUDialect",
                           "mlir::NVVM::NVVMDialect",
                           "mlir::vector::VectorDialect"];
}

def GcompMapToGpu : Pass<"gcomp-map-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Run each loop nest of the entry as one GPU kernel";
  let description = [{
    Runs on the entry after convert-linalg-to-parallel-loops, when every
    operation of its body either computes views and indices or is a loop
    nest that touches memory. Each top-level `scf.parallel` becomes a
    `gpu.launch` over a 1-D grid, one thread per iteration: the thread's
    linear id is split into the loop's induction variables, innermost
    fastest, so that neighbouring threads touch neighbouring elements (the
    loads coalesce). The reduction loops inside stay sequential per thread.
    Any other top-level operation that touches memory (a loop nest with no
    parallel dimension, a load or store) runs in a one-thread kernel. The
    kernels stay in the host function, for gpu-kernel-outlining.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def GcompGpuFoldPads : Pass<"gcomp-gpu-fold-pads", "mlir::func::FuncOp"> {
  let summary = "Let the ops that read a padded tensor read its source";
  let description = [{
    For the CUDA target, on linalg tensors. A `tensor.pad` with static
    sizes and a constant padding value, every reader of which (directly or
    through a `tensor.expand_shape`) is an input of a `linalg.generic` that
    is not a product (an im2col copy, a depthwise convolution, a pooling
    window), disappears: each reader computes the element it read, from
    `linalg.index`: the pad's source at the index minus the low padding
    where that lies inside the source (`tensor.extract` at clamped
    indices), the padding value elsewhere (`arith.select`). The fill and
    the copy that the padded tensor would bufferize into, two kernels and
    two passes over memory on the GPU, are gone. Products keep their
    padded input: their tiled kernels read plain tensors.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::linalg::LinalgDialect"];
}

def GcompGpuVectorizeLoops : Pass<"gcomp-gpu-vectorize-loops",
                                   "mlir::func::FuncOp"> {
  let summary = "Let each GPU thread of an element-wise loop move 16 bytes";
  let description = [{
    Runs on the entry between convert-linalg-to-parallel-loops and
    gcomp-map-to-gpu. A top-level `scf.parallel` whose body only loads,
    computes element-wise (arith and math ops) and stores, every access
    that varies with the innermost induction variable `j` indexing its
    last dimension by `j` itself, steps V at a time on its innermost
    dimension instead of 1: its accesses become `vector.load` and
    `vector.store` of V elements (V times the widest element is
    `max-bytes`, or the largest power of two below that divides the
    dimension), with an alignment attribute of their size, and its
    arithmetic works on vectors. Values that do not vary with `j` (a
    broadcast bias) stay scalar loads, broadcast where used.

    The alignment is proven from the types and views: each memref must be
    a view, at a static offset with static strides that are multiples of V,
    of a function argument (16-byte aligned on this target) or of a
    `memref.view` at a constant byte shift of one. Any other loop is left
    as it is.
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"16",
           "Bytes per thread and access (a power of two)">,
  ];
  let dependentDialects = ["mlir::vector::VectorDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::arith::ArithDialect"];
}

def GcompMergeGpuModules : Pass<"gcomp-merge-gpu-modules", "mlir::ModuleOp"> {
  let summary = "Put every outlined kernel into one gpu.module";
  let description = [{
    gpu-kernel-outlining makes one `gpu.module` per kernel; the driver would
    load (and JIT-compile) each separately. Moves every kernel into the first
    module, renaming each after the module it came from (which is unique),
    and retargets the `gpu.launch_func`s.
  }];
}

def GcompEmitCudaTables : Pass<"gcomp-emit-cuda-tables", "mlir::ModuleOp"> {
  let summary = "Emit the tables that make the library a CUDA model";
  let description = [{
    Runs on the LLVM dialect. Emits `__gcomp_cuda` (the format version, the
    number of constants, the SM version the kernels were compiled for) and
    `__gcomp_cuda_constants`, one `{ptr host, i64 offset, i64 bytes}` per
    entry of the module's `gcomp.cuda_constants` (see model_abi.h).
  }];
  let options = [
    Option<"smVersion", "sm", "int64_t", /*default=*/"80",
           "The SM version of the kernels (80 for sm_80)">,
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect"];
}

#endif // GCOMP_DIALECT_GCOMP_TRANSFORMS_PASSES_TD
