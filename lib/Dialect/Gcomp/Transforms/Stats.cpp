//===- Stats.cpp - what the optimizer did, counted ------------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/Stats.h"

#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

using namespace mlir;

namespace gcomp {

GraphOpCounts countGraphOps(func::FuncOp entry) {
  GraphOpCounts counts;
  entry.walk([&](Operation *op) {
    if (!isa<GcompDialect>(op->getDialect()))
      return;
    (isa<ConstantOp>(op) ? counts.constants : counts.others) += 1;
  });
  return counts;
}

int64_t intermediateTensorBytes(func::FuncOp entry) {
  llvm::DenseSet<Value> outputs;
  entry.walk([&](func::ReturnOp ret) {
    for (Value v : ret.getOperands())
      outputs.insert(v);
  });
  int64_t bytes = 0;
  entry.walk([&](Operation *op) {
    if (!isa<GcompDialect>(op->getDialect()) || isa<ConstantOp>(op))
      return;
    for (Value result : op->getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || !type.hasStaticShape() || outputs.contains(result) ||
          !type.getElementType().isIntOrFloat())
        continue;
      int64_t elementBytes =
          (type.getElementType().getIntOrFloatBitWidth() + 7) / 8;
      bytes += type.getNumElements() * elementBytes;
    }
  });
  return bytes;
}

/// "sgemm" for a call of "gcomp.k5.sgemm.conv1"; empty for other callees.
static StringRef outlinedKernelKind(StringRef callee) {
  if (!callee.consume_front("gcomp.k"))
    return {};
  callee = callee.drop_while(llvm::isDigit);
  if (!callee.consume_front("."))
    return {};
  return callee.take_until([](char c) { return c == '.'; });
}

std::map<std::string, int64_t> countKernels(func::FuncOp entry) {
  std::map<std::string, int64_t> kinds;
  for (Operation &op : entry.getBody().getOps()) {
    if (auto call = dyn_cast<func::CallOp>(op)) {
      StringRef kind = outlinedKernelKind(call.getCallee());
      if (!kind.empty()) {
        ++kinds[kind.str()];
        continue;
      }
    }
    if (isKernel(&op)) {
      std::string label = kernelLabel(0, &op);
      ++kinds[label.substr(label.find('.') + 1)];
    }
  }
  return kinds;
}

int64_t constantBytes(ModuleOp module) {
  int64_t bytes = 0;
  for (auto global : module.getOps<memref::GlobalOp>()) {
    if (!global.getConstant())
      continue;
    MemRefType type = global.getType();
    if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
      continue;
    bytes += type.getNumElements() *
             ((type.getElementType().getIntOrFloatBitWidth() + 7) / 8);
  }
  return bytes;
}

} // namespace gcomp
