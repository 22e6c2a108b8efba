//===- DynamicEntry.cpp - pointers and a dims array for a generic entry ---===//
//
// The entry of a generic model (gcomp-symbolic-dims) takes memrefs with
// dynamic dims, which the bare-pointer calling convention of the entry
// cannot pass. Each becomes a plain pointer, and one more parameter points
// at the run's dims (model_abi.h, GCOMP_SYM_DYNAMIC_DIMS): the body builds
// the row-major descriptor the memref stands for from the two. The
// descriptor is cast to the memref type, and the memref lowering's own
// casts back to the descriptor cancel against it.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPDYNAMICENTRY
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

struct DynamicEntryPass
    : gcomp::impl::GcompDynamicEntryBase<DynamicEntryPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto entry = module.lookupSymbol<func::FuncOp>(entryName);
    if (!entry || !entry->hasAttr(kDynamicEntryAttr))
      return;
    auto numInputs = module->getAttrOfType<IntegerAttr>(kNumInputsAttr);
    auto numOutputs = module->getAttrOfType<IntegerAttr>(kNumOutputsAttr);
    int64_t nIn = numInputs ? numInputs.getInt() : -1;
    int64_t nOut = numOutputs ? numOutputs.getInt() : -1;
    if (nIn < 0 || nOut < 0 || entry.getNumResults() != 0 ||
        static_cast<int64_t>(entry.getNumArguments()) < nIn + nOut) {
      entry.emitError() << "expected a bufferized entry with " << nIn
                        << " inputs and " << nOut
                        << " outputs as out-parameters";
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    Block &body = entry.getBody().front();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto i64 = IntegerType::get(ctx, 64);
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    Location loc = entry.getLoc();
    if (failed(entry.insertArgument(
            entry.getNumArguments(), ptrType,
            b.getDictionaryAttr(b.getNamedAttr(kDimsArgAttr, b.getUnitAttr())),
            loc)))
      return signalPassFailure();
    BlockArgument dims = body.getArgument(body.getNumArguments() - 1);

    int64_t offset = 0;
    for (int64_t i = 0; i < nIn + nOut; ++i) {
      BlockArgument arg = body.getArgument(i);
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type) {
        entry.emitError() << "parameter " << i << " is not a memref";
        return signalPassFailure();
      }
      int64_t rank = type.getRank();
      int64_t first = offset;
      offset += rank;
      if (type.hasStaticShape())
        continue;
      if (!type.getLayout().isIdentity()) {
        entry.emitError() << "parameter " << i
                          << " has a dynamic shape and a layout: " << type;
        return signalPassFailure();
      }
      arg.setType(ptrType);
      // The sizes: constants where static, else read from the dims array;
      // row-major strides from them.
      SmallVector<Value> sizes;
      for (int64_t d = 0; d < rank; ++d) {
        if (!type.isDynamicDim(d)) {
          sizes.push_back(LLVM::ConstantOp::create(
              b, loc, i64, b.getI64IntegerAttr(type.getDimSize(d))));
          continue;
        }
        Value slot = LLVM::GEPOp::create(b, loc, ptrType, i64, dims,
                                         ArrayRef<LLVM::GEPArg>{first + d});
        sizes.push_back(LLVM::LoadOp::create(b, loc, i64, slot));
      }
      Type descriptorType = LLVM::LLVMStructType::getLiteral(
          ctx, {ptrType, ptrType, i64, LLVM::LLVMArrayType::get(i64, rank),
                LLVM::LLVMArrayType::get(i64, rank)});
      auto descriptor = MemRefDescriptor::poison(b, loc, descriptorType);
      descriptor.setAllocatedPtr(b, loc, arg);
      descriptor.setAlignedPtr(b, loc, arg);
      descriptor.setConstantOffset(b, loc, 0);
      Value stride =
          LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
      for (int64_t d = rank - 1; d >= 0; --d) {
        descriptor.setSize(b, loc, d, sizes[d]);
        descriptor.setStride(b, loc, d, stride);
        if (d > 0)
          stride = LLVM::MulOp::create(b, loc, stride, sizes[d]);
      }
      auto memref = UnrealizedConversionCastOp::create(
          b, loc, TypeRange{type}, ValueRange{Value(descriptor)});
      arg.replaceUsesWithIf(memref.getResult(0), [&](OpOperand &use) {
        return !isa<LLVM::InsertValueOp>(use.getOwner());
      });
    }
    SmallVector<Type> argTypes(body.getArgumentTypes());
    entry.setFunctionType(FunctionType::get(ctx, argTypes, {}));
  }
};

} // namespace
