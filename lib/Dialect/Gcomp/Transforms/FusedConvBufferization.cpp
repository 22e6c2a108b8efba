//===- FusedConvBufferization.cpp - gcomp.fused_conv on buffers -----------===//
//
// gcomp.fused_conv survives the linalg conversion as it is and bufferizes
// straight into a call of the runtime kernel that computes it
// (__gcomp_conv2d_nhwc): its buffer form is that call. `init` is its
// destination: the result lives in init's buffer (one-shot bufferization
// copies it first where the value is still needed), and the kernel reads
// that buffer only when accumulating a residual.
//
//===----------------------------------------------------------------------===//

#include "RuntimeCallBufferization.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace gcomp;

namespace {

struct FusedConvBufferization
    : BufferizableOpInterface::ExternalModel<FusedConvBufferization,
                                             FusedConvOp> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    auto conv = cast<FusedConvOp>(op);
    return &operand != &conv.getInitMutable() || conv.getAccumulate();
  }

  bool bufferizesToMemoryWrite(Operation *op, OpOperand &operand,
                               const AnalysisState &) const {
    return &operand == &cast<FusedConvOp>(op).getInitMutable();
  }

  AliasingValueList getAliasingValues(Operation *op, OpOperand &operand,
                                      const AnalysisState &) const {
    auto conv = cast<FusedConvOp>(op);
    if (&operand == &conv.getInitMutable())
      return {{conv.getResult(), BufferRelation::Equivalent}};
    return {};
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto conv = cast<FusedConvOp>(op);
    Location loc = conv.getLoc();
    auto dense = [&](Value tensor) {
      return denseBuffer(rewriter, loc, tensor, options, state);
    };
    FailureOr<Value> input = dense(conv.getInput());
    FailureOr<Value> weight = dense(conv.getWeight());
    FailureOr<Value> out = getBuffer(rewriter, conv.getInit(), options, state);
    if (failed(input) || failed(weight) || failed(out))
      return failure();
    // The kernel writes dense rows. A strided destination (the product
    // lands in a slice of a bigger tensor, as a recurrent layer's steps
    // do) gets a dense buffer of its own, copied back after the call (and
    // filled from it first when the kernel adds to what is there).
    Value strided;
    if (!cast<MemRefType>(out->getType()).getLayout().isIdentity()) {
      strided = *out;
      *out = allocLike(rewriter, loc, strided);
      if (conv.getAccumulate())
        memref::CopyOp::create(rewriter, loc, strided, *out);
    }
    Value bias;
    if (conv.getBias()) {
      FailureOr<Value> biasBuffer = dense(conv.getBias());
      if (failed(biasBuffer))
        return failure();
      bias = *biasBuffer;
    }

    auto i64 = [&](int64_t v) { return i64Constant(rewriter, loc, v); };
    // The kernel takes the input's dims in [N, H, W, C] order.
    SmallVector<int64_t> inShape(conv.getInput().getType().getShape());
    if (conv.getInputNchw())
      inShape = {inShape[0], inShape[2], inShape[3], inShape[1]};
    ArrayRef<int64_t> outShape = conv.getType().getShape();
    int64_t flags = (conv.getAccumulate() ? GCOMP_CONV_ACCUMULATE : 0) |
                    (conv.getRelu() ? GCOMP_CONV_RELU : 0) |
                    (conv.getInputNchw() ? GCOMP_CONV_INPUT_NCHW : 0) |
                    (conv.getGelu() ? GCOMP_CONV_GELU : 0) |
                    (conv.getSilu() ? GCOMP_CONV_SILU : 0);
    // The clamp's bounds travel as the bit patterns of two f32s.
    uint64_t clampBits = 0;
    if (std::optional<ArrayRef<float>> clamp = conv.getClamp()) {
      flags |= GCOMP_CONV_CLAMP;
      clampBits = llvm::bit_cast<uint32_t>((*clamp)[0]) |
                  static_cast<uint64_t>(llvm::bit_cast<uint32_t>((*clamp)[1]))
                      << 32;
    }
    // A dynamic batch is read from the input's buffer.
    Value batch = ShapedType::isDynamic(inShape[0])
                      ? arith::IndexCastOp::create(
                            rewriter, loc, rewriter.getI64Type(),
                            memref::DimOp::create(rewriter, loc, *input, 0))
                            .getResult()
                      : i64(inShape[0]);
    SmallVector<Value> args = {
        batch,                     i64(inShape[1]),
        i64(inShape[2]),           i64(inShape[3]),
        i64(conv.getKernel()[0]),  i64(conv.getKernel()[1]),
        i64(conv.getStrides()[0]), i64(conv.getStrides()[1]),
        i64(conv.getDilations()[0]), i64(conv.getDilations()[1]),
        i64(conv.getPads()[0]),    i64(conv.getPads()[1]),
        i64(outShape[1]),          i64(outShape[2]),
        i64(outShape[3]),          addressAsI64(rewriter, loc, *input),
        addressAsI64(rewriter, loc, *weight),
        bias ? addressAsI64(rewriter, loc, bias) : i64(0),
        addressAsI64(rewriter, loc, *out), i64(flags),
        i64(static_cast<int64_t>(clampBits))};
    // A depthwise conv's kernel takes the same arguments (m = c).
    StringRef symbol = conv.getDepthwise() ? GCOMP_SYM_DWCONV2D_NHWC_FUSED
                                           : GCOMP_SYM_CONV2D_NHWC;
    if (!strided) {
      callRuntimeAndReplace(rewriter, op, symbol, args, *out);
      return success();
    }
    func::CallOp::create(rewriter, loc,
                         declareRuntimeFunction(op->getParentOfType<ModuleOp>(),
                                                symbol, args.size(), loc),
                         args);
    memref::CopyOp::create(rewriter, loc, *out, strided);
    replaceOpWithBufferizedValues(rewriter, op, strided);
    return success();
  }
};

} // namespace

void gcomp::registerFusedConvBufferization(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, GcompDialect *) {
    FusedConvOp::attachInterface<FusedConvBufferization>(*context);
  });
}
