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
