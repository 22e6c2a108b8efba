//===- DepthwiseToRuntimeCall.cpp - depthwise convs via __gcomp_dwconv2d --===//

#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPDEPTHWISETORUNTIMECALL
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// A contiguous static f32 buffer of rank 5 (its shape), or nullopt.
std::optional<ArrayRef<int64_t>> contiguous5D(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() != 5 || !type.getElementType().isF32() ||
      !type.hasStaticShape() || !type.getLayout().isIdentity())
    return std::nullopt;
  return type.getShape();
}

struct DepthwiseToRuntimeCallPass
    : gcomp::impl::GcompDepthwiseToRuntimeCallBase<DepthwiseToRuntimeCallPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> marked;
    module.walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kDepthwiseConvAttr) && op.hasPureBufferSemantics() &&
          op.getNumDpsInputs() == 2 && op.getNumDpsInits() == 1)
        marked.push_back(op);
    });
    func::FuncOp callee;
    for (linalg::GenericOp op : marked) {
      auto window = dyn_cast<DenseI64ArrayAttr>(op->getAttr(kDepthwiseConvAttr));
      auto in = contiguous5D(op.getDpsInputs()[0]);
      auto w = contiguous5D(op.getDpsInputs()[1]);
      auto out = contiguous5D(op.getDpsInits()[0]);
      if (!window || window.size() != 4 || !in || !w || !out)
        continue;
      OpBuilder b(op);
      Location loc = op.getLoc();
      if (!callee) {
        callee = module.lookupSymbol<func::FuncOp>(GCOMP_SYM_DWCONV2D);
        if (!callee) {
          OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
          callee = func::FuncOp::create(
              mb, loc, GCOMP_SYM_DWCONV2D,
              mb.getFunctionType(SmallVector<Type>(15, mb.getI64Type()), {}));
          callee.setPrivate();
        }
      }
      auto i64 = [&](int64_t v) -> Value {
        return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
      };
      auto address = [&](Value buffer) -> Value {
        Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
        return arith::IndexCastOp::create(b, loc, b.getI64Type(), ptr);
      };
      ArrayRef<int64_t> s = window.asArrayRef();
      SmallVector<Value> args = {
          i64((*in)[0] * (*in)[1]), i64((*in)[1]), i64((*in)[3]), i64((*in)[4]),
          i64((*w)[3]), i64((*w)[4]), i64(s[0]), i64(s[1]), i64(s[2]), i64(s[3]),
          i64((*out)[3]), i64((*out)[4]), address(op.getDpsInputs()[0]),
          address(op.getDpsInputs()[1]), address(op.getDpsInits()[0])};
      func::CallOp::create(b, loc, callee, args);
      op.erase();
    }
  }
};

} // namespace
