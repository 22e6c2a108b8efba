//===- FlattenGlobals.cpp - 1-D constant globals for fast codegen ---------===//

#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPFLATTENGLOBALS
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;

namespace {

/// `value` with the 1-D type `type`, without copying its bytes.
Attribute flatten(Attribute value, RankedTensorType type) {
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return dense.reshape(type);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(type, resource.getRawHandle());
  return {};
}

struct FlattenGlobalsPass
    : gcomp::impl::GcompFlattenGlobalsBase<FlattenGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    DenseMap<StringAttr, memref::GlobalOp> flattened;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      MemRefType type = global.getType();
      auto initial = global.getInitialValue();
      if (!global.getConstant() || !initial || type.getRank() < 2 ||
          !type.hasStaticShape() || !type.getLayout().isIdentity())
        continue;
      auto flatType = RankedTensorType::get({type.getNumElements()},
                                            type.getElementType());
      Attribute flat = flatten(*initial, flatType);
      if (!flat)
        continue;
      global.setInitialValueAttr(flat);
      global.setType(MemRefType::get({type.getNumElements()},
                                     type.getElementType(), nullptr,
                                     type.getMemorySpace()));
      flattened[global.getSymNameAttr()] = global;
    }
    if (flattened.empty())
      return;
    module.walk([&](memref::GetGlobalOp get) {
      auto it = flattened.find(get.getNameAttr().getAttr());
      if (it == flattened.end())
        return;
      MemRefType shaped = get.getType();
      OpBuilder b(get);
      auto flatGet = memref::GetGlobalOp::create(b, get.getLoc(),
                                                 it->second.getType(),
                                                 get.getName());
      SmallVector<ReassociationIndices> all(1);
      for (int64_t d = 0; d < shaped.getRank(); ++d)
        all[0].push_back(d);
      Value view = memref::ExpandShapeOp::create(b, get.getLoc(), shaped,
                                                 flatGet, all);
      get.replaceAllUsesWith(view);
      get.erase();
    });
  }
};

} // namespace
