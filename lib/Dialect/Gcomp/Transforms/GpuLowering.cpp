//===- GpuLowering.cpp - helpers shared by the CUDA target's lowerings ----===//

#include "GpuLowering.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace gcomp {

SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<Value> counts) {
  SmallVector<Value> indices(counts.size());
  Value rest = linear;
  for (int64_t d = static_cast<int64_t>(counts.size()) - 1; d >= 0; --d) {
    if (d == 0) {
      indices[d] = rest;
      break;
    }
    indices[d] = arith::RemUIOp::create(b, loc, rest, counts[d]);
    rest = arith::DivUIOp::create(b, loc, rest, counts[d]);
  }
  return indices;
}

SmallVector<Value> applyIndexingMap(OpBuilder &b, Location loc, AffineMap map,
                                    ArrayRef<Value> ivs) {
  SmallVector<Value> indices;
  for (AffineExpr expr : map.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      indices.push_back(ivs[dim.getPosition()]);
      continue;
    }
    if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
      indices.push_back(
          arith::ConstantIndexOp::create(b, loc, constant.getValue()));
      continue;
    }
    indices.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, expr), ivs));
  }
  return indices;
}

Value OutputStart::at(OpBuilder &b, Location loc,
                      ArrayRef<Value> indices) const {
  if (scalar)
    return scalar;
  Value element = memref::LoadOp::create(
      b, loc, source, applyIndexingMap(b, loc, sourceMap, indices));
  if (widenTo)
    element = arith::ExtFOp::create(b, loc, widenTo, element);
  return element;
}

void nameKernel(gpu::LaunchOp launch, Location loc) {
  SmallVector<StringRef> nodes;
  loc->walk([&](Location inner) {
    if (auto name = dyn_cast<NameLoc>(inner))
      if (!name.getName().getValue().empty() &&
          !llvm::is_contained(nodes, name.getName().getValue()))
        nodes.push_back(name.getName().getValue());
    return WalkResult::advance();
  });
  if (nodes.empty())
    return;
  // A PTX identifier: letters, digits and '_', not starting with a digit.
  std::string name;
  for (char ch : nodes.front()) {
    bool keep = llvm::isAlnum(ch);
    if (keep)
      name += ch;
    else if (!name.empty() && name.back() != '_')
      name += '_';
  }
  while (!name.empty() && name.back() == '_')
    name.pop_back();
  if (name.empty())
    return;
  if (llvm::isDigit(name.front()))
    name = "node_" + name;
  constexpr size_t kMaxLength = 64;
  if (name.size() > kMaxLength)
    name.resize(kMaxLength);
  if (nodes.size() > 1)
    name += "_and_" + std::to_string(nodes.size() - 1) + "_more";
  launch.setFunctionAttr(
      FlatSymbolRefAttr::get(launch.getContext(), name));
}

} // namespace gcomp
