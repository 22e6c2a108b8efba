//===- ParallelCalls.cpp - kernels split across the thread pool -----------===//
//
// gcomp-outline-kernels gives a kernel that can split its outer loop two
// more parameters, the range it computes. Here, on the LLVM dialect, each
// such kernel gets a task with the signature the runtime's parallel-for
// calls, and its calls go through the runtime, which hands each thread a
// part of the range.
//
//===----------------------------------------------------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPPARALLELCALLS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

struct ParallelCallsPass
    : gcomp::impl::GcompParallelCallsBase<ParallelCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    auto ptr = LLVM::LLVMPointerType::get(context);
    auto i64 = IntegerType::get(context, 64);
    auto voidType = LLVM::LLVMVoidType::get(context);
    auto taskType = LLVM::LLVMFunctionType::get(voidType, {ptr, i64, i64});

    // The task of each parallel kernel.
    DenseMap<StringAttr, LLVM::LLVMFuncOp> tasks;
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto fn : module.getOps<LLVM::LLVMFuncOp>())
      if (fn->hasAttr(kParallelKernelAttr))
        kernels.push_back(fn);
    // The calls to rewrite, found before the tasks add their own.
    DenseSet<StringAttr> kernelNames;
    for (LLVM::LLVMFuncOp kernel : kernels)
      kernelNames.insert(kernel.getSymNameAttr());
    SmallVector<LLVM::CallOp> calls;
    module.walk([&](LLVM::CallOp call) {
      if (auto callee = call.getCalleeAttr())
        if (kernelNames.contains(callee.getAttr()))
          calls.push_back(call);
    });
    SymbolTable symbols(module);
    for (LLVM::LLVMFuncOp kernel : kernels) {
      ArrayRef<Type> params = kernel.getFunctionType().getParams();
      if (params.size() < 2 || params.take_back(2) != ArrayRef<Type>{i64, i64} ||
          !llvm::all_of(params.drop_back(2),
                        [&](Type t) { return t == ptr; })) {
        kernel.emitError() << "a gcomp.parallel kernel takes pointers and "
                              "then the i64 bounds of its range, not "
                           << kernel.getFunctionType();
        return signalPassFailure();
      }
      OpBuilder b(kernel);
      b.setInsertionPointAfter(kernel);
      Location loc = kernel.getLoc();
      auto task = LLVM::LLVMFuncOp::create(
          b, loc, (kernel.getSymName() + ".task").str(), taskType,
          LLVM::Linkage::Internal);
      symbols.insert(task);
      Block *body = task.addEntryBlock(b);
      b.setInsertionPointToStart(body);
      SmallVector<Value> args;
      for (size_t i = 0; i + 2 < params.size(); ++i) {
        Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, body->getArgument(0),
                                         ArrayRef<LLVM::GEPArg>{
                                             static_cast<int32_t>(i)});
        args.push_back(LLVM::LoadOp::create(b, loc, ptr, slot));
      }
      args.push_back(body->getArgument(1));
      args.push_back(body->getArgument(2));
      LLVM::CallOp::create(b, loc, kernel, args);
      LLVM::ReturnOp::create(b, loc, ValueRange{});
      tasks[kernel.getSymNameAttr()] = task;
    }
    if (tasks.empty())
      return;

    auto parallelFor = module.lookupSymbol<LLVM::LLVMFuncOp>(
        GCOMP_SYM_PARALLEL_FOR);
    if (!parallelFor) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      parallelFor = LLVM::LLVMFuncOp::create(
          b, module.getLoc(), GCOMP_SYM_PARALLEL_FOR,
          LLVM::LLVMFunctionType::get(voidType, {ptr, ptr, i64, i64}));
    }

    for (LLVM::CallOp call : calls) {
      LLVM::LLVMFuncOp task = tasks.lookup(call.getCalleeAttr().getAttr());
      OpBuilder b(call);
      Location loc = call.getLoc();
      ValueRange operands = call.getArgOperands();
      size_t numPointers = operands.size() - 2;
      // The pointers, in a stack array that lives across the call.
      Value count = LLVM::ConstantOp::create(
          b, loc, i64, b.getI64IntegerAttr(std::max<size_t>(numPointers, 1)));
      Value ctx = LLVM::AllocaOp::create(b, loc, ptr, ptr, count);
      for (size_t i = 0; i < numPointers; ++i) {
        Value slot = LLVM::GEPOp::create(
            b, loc, ptr, ptr, ctx,
            ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
        LLVM::StoreOp::create(b, loc, operands[i], slot);
      }
      Value taskAddress = LLVM::AddressOfOp::create(b, loc, task);
      LLVM::CallOp::create(b, loc, parallelFor,
                           ValueRange{taskAddress, ctx,
                                      operands[numPointers],
                                      operands[numPointers + 1]});
      call.erase();
    }
  }
};

} // namespace
