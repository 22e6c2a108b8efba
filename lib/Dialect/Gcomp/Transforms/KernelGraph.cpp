//===- KernelGraph.cpp - the fused graph as Graphviz DOT ------------------===//

#include "gcomp/Dialect/Gcomp/Transforms/KernelGraph.h"

#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace {

/// Ops that give a tensor another type or view without computing: edges
/// pass through them to the op that computed their source.
bool isView(Operation *op) {
  return isa<tensor::ReshapeOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
             tensor::ExtractSliceOp, tensor::CastOp, gcomp::ReshapeOp>(op);
}

bool isConstant(Operation *op) {
  return isa<arith::ConstantOp, gcomp::ConstantOp, tensor::EmptyOp>(op);
}

/// A DOT double-quoted string's contents.
std::string escape(StringRef text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

std::string typeText(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto shaped = dyn_cast<ShapedType>(type)) {
    for (int64_t d : shaped.getShape()) {
      if (ShapedType::isDynamic(d))
        os << "?";
      else
        os << d;
      os << "x";
    }
    os << shaped.getElementType();
  } else {
    os << type;
  }
  return text;
}

/// "conv" for gcomp.fused_conv, "generic" for linalg.generic, ...
std::string kindOf(Operation *op) {
  if (auto conv = dyn_cast<gcomp::FusedConvOp>(op))
    return conv.getDepthwise() ? "dwconv" : "conv";
  StringRef name = op->getName().getStringRef();
  return name.substr(name.find('.') + 1).str();
}

} // namespace

void gcomp::writeKernelGraph(func::FuncOp entry, raw_ostream &os) {
  os << "digraph \"" << escape(entry.getName()) << "\" {\n"
     << "  rankdir=TB;\n"
     << "  node [fontname=\"Helvetica\", fontsize=10];\n";
  // Node ids: in0.. for inputs, k0.. for kernels, out0.. for outputs.
  DenseMap<Value, std::string> producer;
  for (BlockArgument arg : entry.getArguments()) {
    std::string id = "in" + std::to_string(arg.getArgNumber());
    auto name = entry.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                   "gcomp.name");
    os << "  " << id << " [shape=ellipse, label=\""
       << escape(name ? name.getValue() : StringRef(id)) << "\\n"
       << escape(typeText(arg.getType())) << "\"];\n";
    producer[arg] = id;
  }
  // The kernel (or input) a value comes from, through views.
  auto source = [&](Value v) -> std::optional<std::string> {
    while (Operation *def = v.getDefiningOp()) {
      if (!isView(def))
        break;
      v = def->getOperand(0);
    }
    auto it = producer.find(v);
    return it == producer.end() ? std::nullopt
                                : std::optional<std::string>(it->second);
  };
  // Constant operands reached through views (weights, tables).
  auto isConstantValue = [&](Value v) {
    while (Operation *def = v.getDefiningOp()) {
      if (isConstant(def))
        return !isa<tensor::EmptyOp>(def);
      if (!isView(def))
        return false;
      v = def->getOperand(0);
    }
    return false;
  };

  int64_t kernels = 0;
  for (Operation &op : entry.getBody().getOps()) {
    if (isView(&op) || isConstant(&op) || op.hasTrait<OpTrait::IsTerminator>())
      continue;
    std::string id = "k" + std::to_string(kernels++);
    SmallVector<StringRef> names = nodeNamesOf(op.getLoc());
    std::string label = id + " " + kindOf(&op);
    for (size_t i = 0; i < std::min<size_t>(names.size(), 3); ++i)
      label += "\n" + names[i].str();
    if (names.size() > 3)
      label += "\n(+" + std::to_string(names.size() - 3) + " more)";
    int64_t weights = 0;
    SmallVector<std::string> from; // each producer once, in operand order
    // Operands, and values the op's body reads from outside it (a gather's
    // table and indices).
    SetVector<Value> reads(op.getOperands().begin(), op.getOperands().end());
    for (Region &region : op.getRegions())
      getUsedValuesDefinedAbove(region, reads);
    for (Value operand : reads) {
      if (!isa<ShapedType>(operand.getType()))
        continue; // scalars (a fill's value, a padding value)
      if (isConstantValue(operand))
        ++weights;
      else if (std::optional<std::string> src = source(operand);
               src && !llvm::is_contained(from, *src))
        from.push_back(*src);
    }
    if (weights)
      label += "\n" + std::to_string(weights) + " constant operand" +
               (weights > 1 ? "s" : "");
    if (op.getNumResults() == 1)
      label += "\n" + typeText(op.getResult(0).getType());
    os << "  " << id << " [shape=box, label=\"" << escape(label) << "\"];\n";
    for (const std::string &src : from)
      os << "  " << src << " -> " << id << ";\n";
    for (Value result : op.getResults())
      producer[result] = id;
  }
  auto ret = cast<func::ReturnOp>(entry.getBody().front().getTerminator());
  for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
    std::string id = "out" + std::to_string(i);
    auto name = entry.getResultAttrOfType<StringAttr>(i, "gcomp.name");
    os << "  " << id << " [shape=doubleoctagon, label=\""
       << escape(name ? name.getValue() : StringRef(id)) << "\\n"
       << escape(typeText(value.getType())) << "\"];\n";
    if (std::optional<std::string> src = source(value))
      os << "  " << *src << " -> " << id << ";\n";
  }
  os << "}\n";
}
