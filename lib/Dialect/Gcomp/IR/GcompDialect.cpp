//===- GcompDialect.cpp - gcomp dialect -----------------------------------===//
#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

using namespace mlir;
using namespace gcomp;

#include "gcomp/Dialect/Gcomp/IR/GcompOpsDialect.cpp.inc"

void GcompDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "gcomp/Dialect/Gcomp/IR/GcompOps.cpp.inc"
      >();
}

Operation *GcompDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
}
