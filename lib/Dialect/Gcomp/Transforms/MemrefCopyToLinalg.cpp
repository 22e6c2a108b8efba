//===- MemrefCopyToLinalg.cpp - keep copies out of the C runner utils -----===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPMEMREFCOPYTOLINALG
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {
struct MemrefCopyToLinalgPass
    : gcomp::impl::GcompMemrefCopyToLinalgBase<MemrefCopyToLinalgPass> {
  void runOnOperation() override {
    getOperation()->walk([](memref::CopyOp copy) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy.erase();
    });
  }
};
} // namespace
