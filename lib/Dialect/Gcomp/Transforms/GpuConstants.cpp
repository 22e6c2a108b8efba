//===- GpuConstants.cpp - the weights in the device workspace -------------===//
//
// A CUDA model's kernels read only device memory. Its weights are known at
// compile time, so, like the intermediate buffers, each gets a fixed offset
// in the one device allocation that the runtime makes per model instance;
// the runtime fills those bytes once, from the library's own copy, when the
// instance is created.
//
//===----------------------------------------------------------------------===//

#include "AbiGlobals.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPGPUCONSTANTS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// Device buffers start on 256 bytes, what cudaMalloc guarantees, so that
/// vector loads of any width are aligned.
constexpr int64_t kDeviceAlignment = 256;

int64_t alignTo(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

struct GpuConstantsPass
    : gcomp::impl::GcompGpuConstantsBase<GpuConstantsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || entry.isExternal()) {
      module.emitError() << "gcomp-gpu-constants: no entry function '"
                         << entryName << "' with a body";
      return signalPassFailure();
    }
    std::optional<unsigned> workspaceIndex;
    for (BlockArgument arg : entry.getArguments())
      if (entry.getArgAttr(arg.getArgNumber(), kWorkspaceArgAttr))
        workspaceIndex = arg.getArgNumber();
    if (!workspaceIndex) {
      entry.emitError() << "the CUDA target needs the entry's buffers planned "
                           "into one workspace (gcomp-plan-buffers)";
      return signalPassFailure();
    }

    // Everything the kernels touch must live in device memory.
    bool ok = true;
    module.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp>(op) &&
          op->getParentOfType<func::FuncOp>() == entry) {
        op->emitError() << "the CUDA target needs every buffer planned into "
                           "the device workspace; this one is not (dynamic "
                           "shape, or escapes the entry)";
        ok = false;
      } else if (isa<func::CallOp>(op)) {
        op->emitError() << "the CUDA target cannot call host functions from "
                           "the model ("
                        << cast<func::CallOp>(op).getCallee() << ")";
        ok = false;
      } else if (auto get = dyn_cast<memref::GetGlobalOp>(op);
                 get && op->getParentOfType<func::FuncOp>() != entry) {
        op->emitError() << "the CUDA target reads globals in the entry only";
        ok = false;
      }
    });
    if (!ok)
      return signalPassFailure();

    SymbolTable symbols(module);
    auto workspaceType =
        cast<MemRefType>(entry.getArgument(*workspaceIndex).getType());
    int64_t total = workspaceType.getDimSize(0);
    struct Placement {
      int64_t offset, bytes;
    };
    llvm::MapVector<memref::GlobalOp, Placement> placements;
    SmallVector<memref::GetGlobalOp> reads;
    entry.walk([&](memref::GetGlobalOp get) { reads.push_back(get); });
    for (memref::GetGlobalOp get : reads) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      if (!global || !global.getConstant() ||
          !global.getType().hasStaticShape() ||
          !global.getType().getLayout().isIdentity() ||
          !global.getType().getElementType().isIntOrFloat()) {
        get.emitError() << "the CUDA target supports constant globals of "
                           "static shape and identity layout only";
        return signalPassFailure();
      }
      if (placements.count(global))
        continue;
      MemRefType type = global.getType();
      int64_t bytes = type.getNumElements() *
                      ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
      int64_t offset = alignTo(total, kDeviceAlignment);
      placements[global] = {offset, bytes};
      total = offset + bytes;
    }
    total = alignTo(total, kDeviceAlignment);

    // The workspace grows to hold them.
    OpBuilder b(module.getContext());
    auto newWorkspaceType =
        MemRefType::get({total}, workspaceType.getElementType());
    BlockArgument workspace = entry.getArgument(*workspaceIndex);
    workspace.setType(newWorkspaceType);
    SmallVector<Type> inputs(entry.getBody().getArgumentTypes());
    entry.setType(b.getFunctionType(inputs, entry.getResultTypes()));
    for (memref::GetGlobalOp get : reads) {
      auto global = symbols.lookup<memref::GlobalOp>(get.getName());
      b.setInsertionPoint(get);
      Value shift =
          arith::ConstantIndexOp::create(b, get.getLoc(), placements[global].offset);
      Value view = memref::ViewOp::create(b, get.getLoc(), get.getType(),
                                          workspace, shift, ValueRange{});
      get.replaceAllUsesWith(view);
      get.erase();
    }

    auto i64 = [&](int64_t v) { return b.getI64IntegerAttr(v); };
    SmallVector<Attribute> table;
    for (auto [global, placement] : placements)
      table.push_back(b.getArrayAttr(
          {FlatSymbolRefAttr::get(global.getSymNameAttr()),
           i64(placement.offset), i64(placement.bytes)}));
    module->setAttr(kCudaConstantsAttr, b.getArrayAttr(table));
    if (auto bytes = module.lookupSymbol<LLVM::GlobalOp>(
            GCOMP_SYM_WORKSPACE_BYTES)) {
      auto tensorType = RankedTensorType::get({1}, b.getI64Type());
      bytes.setValueAttr(DenseIntElementsAttr::get(tensorType, {total}));
    } else {
      b.setInsertionPointToEnd(module.getBody());
      addAbiTable(b, module.getLoc(), GCOMP_SYM_WORKSPACE_BYTES, {total});
    }
  }
};

} // namespace
