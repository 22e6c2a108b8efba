//===- ShapeArithmetic.cpp - exporters' shape arithmetic, symbolically ----===//
//
// After a node is imported, the values of its integer outputs when its
// inputs hold sizes computed from symbolic dims (SymbolicShapes.h):
// `Shape -> Gather -> Unsqueeze -> Concat`, `Div(hidden, heads)`,
// `Where(Equal(shape, -1), 1, shape)` as exporters write them. The node's
// own ops stay in the graph (they are the value's meaning if the graph
// reads it as data) and die when only sizes read it.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"
#include "SymbolicShapes.h"

using namespace mlir;

namespace gcomp::detail {
namespace {

using Values = SmallVector<SymExpr>;

/// Elementwise `fn` over two value lists with numpy broadcasting of
/// 1-element lists.
std::optional<Values>
zipBroadcast(const Values &a, const Values &b,
             llvm::function_ref<std::optional<SymExpr>(const SymExpr &,
                                                       const SymExpr &)>
                 fn) {
  if (a.size() != b.size() && a.size() != 1 && b.size() != 1)
    return std::nullopt;
  Values r;
  for (size_t i = 0, n = std::max(a.size(), b.size()); i < n; ++i) {
    std::optional<SymExpr> e =
        fn(a[a.size() == 1 ? 0 : i], b[b.size() == 1 ? 0 : i]);
    if (!e)
      return std::nullopt;
    r.push_back(*e);
  }
  return r;
}

/// Equal on sizes: known when the difference is a constant, or when a size
/// (never negative) meets a negative constant (the `-1` of an exporter's
/// Where(Equal(shape, -1), ...) pattern).
std::optional<SymExpr> equalSizes(const SymExpr &a, const SymExpr &b) {
  std::optional<SymExpr> diff = SymExpr::sub(a, b);
  if (diff && diff->getConstant())
    return SymExpr::constant(*diff->getConstant() == 0);
  for (auto [x, y] : {std::pair(&a, &b), std::pair(&b, &a)})
    if (x->isNonNegative() && y->getConstant() && *y->getConstant() < 0)
      return SymExpr::constant(0);
  return std::nullopt;
}

std::optional<Values> evaluate(NodeContext &nc, SymbolicShapes &shapes) {
  StringRef op = nc.node.op_type();
  auto in = [&](unsigned i) -> std::optional<Values> {
    return i < nc.inputs.size() ? shapes.content(nc.inputs[i]) : std::nullopt;
  };
  auto outType = [&]() {
    return dyn_cast<RankedTensorType>(nc.outputs[0].getType());
  };
  if (op == "Identity" || op == "Unsqueeze" || op == "Squeeze" ||
      op == "Reshape" || op == "Flatten")
    return in(0);
  if (op == "Cast") {
    // Sizes keep their values in 32- and 64-bit integers (a bool or a
    // narrower type would change them).
    auto type = outType();
    if (!type || !isa<IntegerType>(type.getElementType()) ||
        type.getElementTypeBitWidth() < 32 ||
        !isa<IntegerType>(nc.inputType(0).getElementType()) ||
        nc.inputType(0).getElementTypeBitWidth() < 32)
      return std::nullopt;
    return in(0);
  }
  if (op == "Gather") {
    std::optional<Values> data = in(0), indices = in(1);
    if (!data || !indices || nc.intAttr("axis", 0) != 0 ||
        nc.inputType(0).getRank() != 1)
      return std::nullopt;
    Values r;
    for (const SymExpr &i : *indices) {
      std::optional<int64_t> k = i.getConstant();
      if (!k)
        return std::nullopt;
      int64_t n = data->size();
      int64_t at = *k < 0 ? *k + n : *k;
      if (at < 0 || at >= n)
        return std::nullopt;
      r.push_back((*data)[at]);
    }
    return r;
  }
  if (op == "Concat") {
    Values r;
    for (unsigned i = 0; i < nc.inputs.size(); ++i) {
      std::optional<Values> part = in(i);
      if (!part)
        return std::nullopt;
      r.append(part->begin(), part->end());
    }
    return r;
  }
  if (op == "Slice" && nc.opset >= 10) {
    std::optional<Values> data = in(0), starts = in(1), ends = in(2);
    std::optional<Values> steps =
        nc.optionalInput(4) ? in(4) : Values{SymExpr::constant(1)};
    if (!data || !starts || !ends || !steps || starts->size() != 1 ||
        ends->size() != 1 || steps->size() != 1)
      return std::nullopt;
    auto s = (*starts)[0].getConstant(), e = (*ends)[0].getConstant(),
         st = (*steps)[0].getConstant();
    if (!s || !e || !st || *st != 1)
      return std::nullopt;
    int64_t n = data->size();
    auto clampIndex = [&](int64_t i) {
      if (i < 0)
        i += n;
      return std::clamp<int64_t>(i, 0, n);
    };
    int64_t from = clampIndex(*s), to = clampIndex(*e);
    return Values(data->begin() + from, data->begin() + std::max(from, to));
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" ||
      op == "Max" || op == "Min" || op == "Equal") {
    auto type = outType();
    std::optional<Values> a = in(0), b = in(1);
    if (!type || !a || !b || nc.inputs.size() != 2 ||
        !isa<IntegerType>(nc.inputType(0).getElementType()))
      return std::nullopt;
    if (op == "Add")
      return zipBroadcast(*a, *b, SymExpr::add);
    if (op == "Sub")
      return zipBroadcast(*a, *b, SymExpr::sub);
    if (op == "Mul")
      return zipBroadcast(*a, *b, SymExpr::mul);
    if (op == "Equal")
      return zipBroadcast(*a, *b, equalSizes);
    if (op == "Div")
      return zipBroadcast(
          *a, *b,
          [&](const SymExpr &x, const SymExpr &y) -> std::optional<SymExpr> {
            // Integer Div truncates; on sizes (>= 0) by a positive
            // constant that is the floor.
            std::optional<int64_t> c = y.getConstant();
            if (!c || *c <= 0 || !x.isNonNegative())
              return std::nullopt;
            return shapes.floorDiv(x, *c);
          });
    bool isMax = op == "Max";
    return zipBroadcast(
        *a, *b,
        [&](const SymExpr &x, const SymExpr &y) -> std::optional<SymExpr> {
          std::optional<SymExpr> diff = SymExpr::sub(x, y);
          if (!diff)
            return std::nullopt;
          if (auto c = diff->getConstant())
            return (*c >= 0) == isMax ? x : y;
          // A size against 0 (or less).
          for (auto [s, k] : {std::pair(&x, &y), std::pair(&y, &x)})
            if (s->isNonNegative() && k->getConstant() && *k->getConstant() <= 0)
              return isMax ? *s : *k;
          return std::nullopt;
        });
  }
  if (op == "Where") {
    std::optional<Values> cond = in(0), a = in(1), b = in(2);
    if (!cond || !a || !b)
      return std::nullopt;
    size_t n = std::max({cond->size(), a->size(), b->size()});
    Values r;
    for (size_t i = 0; i < n; ++i) {
      auto pick = [&](const Values &v) -> std::optional<SymExpr> {
        if (v.size() == 1)
          return v[0];
        if (v.size() != n)
          return std::nullopt;
        return v[i];
      };
      std::optional<SymExpr> c = pick(*cond), x = pick(*a), y = pick(*b);
      if (!c || !x || !y || !c->getConstant())
        return std::nullopt;
      r.push_back(*c->getConstant() ? *x : *y);
    }
    return r;
  }
  return std::nullopt;
}

} // namespace

void propagateShapeContents(NodeContext &nc) {
  SymbolicShapes *shapes = nc.symbolic;
  if (!shapes || nc.outputs.size() != 1 || !nc.outputs[0] ||
      llvm::none_of(nc.inputs, [&](Value v) {
        return v && shapes->hasSymbolicContent(v);
      }))
    return;
  auto type = dyn_cast<RankedTensorType>(nc.outputs[0].getType());
  if (!type || type.getRank() > 1 || !type.hasStaticShape() ||
      !isa<IntegerType>(type.getElementType()))
    return;
  std::optional<Values> values = evaluate(nc, *shapes);
  if (!values || static_cast<int64_t>(values->size()) != type.getNumElements())
    return;
  // Sizes that turn out static (a static dim gathered from a shape) are a
  // constant from here on, as they are in a static model.
  SmallVector<APInt> constants;
  for (const SymExpr &e : *values)
    if (std::optional<int64_t> c = e.getConstant())
      constants.push_back(APInt(type.getElementTypeBitWidth(), *c,
                                /*isSigned=*/true, /*implicitTrunc=*/true));
  if (constants.size() == values->size()) {
    nc.outputs[0] = ConstantOp::create(
        nc.builder, nc.loc, DenseIntElementsAttr::get(type, constants));
    return;
  }
  shapes->setContent(nc.outputs[0], *values);
}

} // namespace gcomp::detail
