//===- SymbolicShapes.cpp - sizes in terms of symbolic dims ---------------===//

#include "SymbolicShapes.h"
#include "gcomp/Dialect/Gcomp/IR/GcompDialect.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace gcomp::detail {

//===----------------------------------------------------------------------===//
// SymExpr
//===----------------------------------------------------------------------===//

SymExpr SymExpr::constant(int64_t c) {
  SymExpr e;
  if (c)
    e.terms[{}] = c;
  return e;
}

SymExpr SymExpr::symbol(unsigned id) {
  SymExpr e;
  e.terms[{id}] = 1;
  return e;
}

std::optional<int64_t> SymExpr::getConstant() const {
  if (terms.empty())
    return 0;
  if (terms.size() == 1 && terms.begin()->first.empty())
    return terms.begin()->second;
  return std::nullopt;
}

std::optional<unsigned> SymExpr::getSymbol() const {
  if (terms.size() == 1 && terms.begin()->first.size() == 1 &&
      terms.begin()->second == 1)
    return terms.begin()->first.front();
  return std::nullopt;
}

bool SymExpr::isNonNegative() const {
  return llvm::all_of(terms, [](const auto &t) { return t.second > 0; });
}

std::optional<SymExpr> SymExpr::add(const SymExpr &a, const SymExpr &b) {
  SymExpr r = a;
  for (const auto &[m, c] : b.terms) {
    int64_t sum;
    if (llvm::AddOverflow(r.terms[m], c, sum))
      return std::nullopt;
    if (sum)
      r.terms[m] = sum;
    else
      r.terms.erase(m);
  }
  return r;
}

std::optional<SymExpr> SymExpr::sub(const SymExpr &a, const SymExpr &b) {
  std::optional<SymExpr> negB = mul(b, constant(-1));
  return negB ? add(a, *negB) : std::nullopt;
}

std::optional<SymExpr> SymExpr::mul(const SymExpr &a, const SymExpr &b) {
  SymExpr r;
  for (const auto &[ma, ca] : a.terms)
    for (const auto &[mb, cb] : b.terms) {
      Monomial m = ma;
      m.append(mb.begin(), mb.end());
      llvm::sort(m);
      int64_t product, sum;
      if (llvm::MulOverflow(ca, cb, product) ||
          llvm::AddOverflow(r.terms[m], product, sum))
        return std::nullopt;
      if (sum)
        r.terms[m] = sum;
      else
        r.terms.erase(m);
    }
  return r;
}

std::optional<SymExpr> SymExpr::divExact(const SymExpr &a, const SymExpr &b) {
  if (b.terms.size() != 1)
    return std::nullopt;
  const auto &[divisor, c] = *b.terms.begin();
  SymExpr r;
  for (const auto &[m, coefficient] : a.terms) {
    // (INT64_MIN / -1 overflows; a zero coefficient is never stored.)
    if (c == 0 || (c == -1 && coefficient == INT64_MIN) || coefficient % c)
      return std::nullopt;
    // m without the divisor's symbols (as a multiset).
    Monomial rest = m;
    for (unsigned s : divisor) {
      auto it = llvm::find(rest, s);
      if (it == rest.end())
        return std::nullopt;
      rest.erase(it);
    }
    r.terms[rest] = coefficient / c;
  }
  return r;
}

//===----------------------------------------------------------------------===//
// SymbolicShapes
//===----------------------------------------------------------------------===//

SymbolicShapes::Symbol SymbolicShapes::inputSymbol(std::string name,
                                                   int64_t arg, int64_t dim) {
  Symbol s;
  s.name = std::move(name);
  s.arg = arg;
  s.dim = dim;
  return s;
}

SymbolicShapes::SymbolicShapes(func::FuncOp entry) : entry(entry) {
  for (unsigned arg = 0; arg < entry.getNumArguments(); ++arg) {
    auto type = dyn_cast<RankedTensorType>(entry.getArgument(arg).getType());
    if (!type)
      continue;
    auto names = entry.getArgAttrOfType<ArrayAttr>(arg, kDimNamesAttr);
    auto input = entry.getArgAttrOfType<StringAttr>(arg, kNameAttr);
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      StringRef name;
      if (names && d < static_cast<int64_t>(names.size()))
        if (auto s = dyn_cast<StringAttr>(names[d]))
          name = s.getValue();
      if (!name.empty()) {
        auto [it, inserted] = namedSymbols.try_emplace(name, symbols.size());
        if (inserted)
          addSymbol(inputSymbol(name.str(), arg, d));
        inputSymbols[{arg, d}] = it->second;
        continue;
      }
      std::string unnamed = (input ? input.getValue().str()
                                   : "#" + std::to_string(arg)) +
                            ".dim" + std::to_string(d);
      inputSymbols[{arg, d}] = addSymbol(inputSymbol(unnamed, arg, d));
    }
  }
}

unsigned SymbolicShapes::addSymbol(Symbol s) {
  symbols.push_back(std::move(s));
  return symbols.size() - 1;
}

void SymbolicShapes::setShape(Value v, ArrayRef<SymExpr> values) {
  for (auto [d, e] : llvm::enumerate(values))
    dims[{v, static_cast<int64_t>(d)}] = e;
}

void SymbolicShapes::setContent(Value v, ArrayRef<SymExpr> values) {
  contents[v] = llvm::to_vector(values);
}

std::optional<SmallVector<SymExpr>> SymbolicShapes::content(Value v) {
  if (!v)
    return std::nullopt;
  if (auto it = contents.find(v); it != contents.end())
    return it->second;
  auto constant = v.getDefiningOp<ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!constant || !type || type.getRank() > 1 ||
      !isa<IntegerType>(type.getElementType()) ||
      type.getNumElements() > 64)
    return std::nullopt;
  SmallVector<SymExpr> values;
  bool isBool = type.getElementType().isInteger(1);
  for (APInt i : constant.getValue().getValues<APInt>())
    values.push_back(
        SymExpr::constant(isBool ? i.getZExtValue() : i.getSExtValue()));
  return values;
}

std::optional<SymExpr> SymbolicShapes::floorDiv(const SymExpr &e, int64_t c) {
  if (c <= 0)
    return std::nullopt;
  if (std::optional<SymExpr> exact = SymExpr::divExact(e, SymExpr::constant(c)))
    return exact;
  if (std::optional<int64_t> k = e.getConstant())
    return SymExpr::constant(llvm::divideFloorSigned(*k, c));
  return derivedSymbol(Derived::FloorDiv, e, c,
                       "floor((" + str(e) + ") / " + std::to_string(c) + ")");
}

SymExpr SymbolicShapes::derivedSymbol(Derived kind, const SymExpr &e,
                                      int64_t c, std::string name) {
  auto [it, inserted] = derived.try_emplace({kind, e, c}, symbols.size());
  if (inserted) {
    Symbol s;
    s.name = std::move(name);
    s.kind = kind;
    s.of = e;
    s.c = c;
    addSymbol(std::move(s));
  }
  return SymExpr::symbol(it->second);
}

std::optional<SymExpr> SymbolicShapes::maxZero(const SymExpr &e) {
  if (std::optional<int64_t> k = e.getConstant())
    return SymExpr::constant(std::max<int64_t>(*k, 0));
  if (e.isNonNegative())
    return e;
  return derivedSymbol(Derived::MaxZero, e, 0, "max(" + str(e) + ", 0)");
}

std::optional<SymExpr> SymbolicShapes::minConstant(const SymExpr &e,
                                                   int64_t c) {
  if (std::optional<int64_t> k = e.getConstant())
    return SymExpr::constant(std::min(*k, c));
  // Sizes are >= 0: min(size, c) for c <= 0 is c.
  if (c <= 0 && e.isNonNegative())
    return SymExpr::constant(c);
  return derivedSymbol(Derived::MinConstant, e, c,
                       "min(" + str(e) + ", " + std::to_string(c) + ")");
}

std::optional<SymExpr> SymbolicShapes::dim(Value v, int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  if (d < 0 || d >= type.getRank())
    return std::nullopt;
  if (!type.isDynamicDim(d))
    return SymExpr::constant(type.getDimSize(d));
  if (auto it = dims.find({v, d}); it != dims.end())
    return it->second;
  std::optional<SymExpr> e;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto it = inputSymbols.find({arg.getArgNumber(), d});
    if (arg.getOwner() == &entry.getBody().front() && it != inputSymbols.end())
      e = SymExpr::symbol(it->second);
  } else {
    e = computeDim(v.getDefiningOp(), v, d);
  }
  if (e)
    dims[{v, d}] = *e;
  return e;
}

std::optional<SmallVector<SymExpr>> SymbolicShapes::shape(Value v) {
  SmallVector<SymExpr> result;
  for (int64_t d = 0; d < cast<RankedTensorType>(v.getType()).getRank(); ++d) {
    std::optional<SymExpr> e = dim(v, d);
    if (!e)
      return std::nullopt;
    result.push_back(*e);
  }
  return result;
}

/// The dims of results the importer does not describe itself follow from
/// the op's operands, the way its type inference does.
std::optional<SymExpr> SymbolicShapes::computeDim(Operation *op, Value v,
                                                  int64_t d) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  auto tensorType = [](Value x) {
    return dyn_cast<RankedTensorType>(x.getType());
  };
  // Numpy broadcasting: the dim lines up with a dynamic operand dim.
  auto broadcast = [&](ValueRange operands) -> std::optional<SymExpr> {
    for (Value operand : operands) {
      auto t = tensorType(operand);
      if (!t)
        continue;
      int64_t j = d - (rank - t.getRank());
      if (j >= 0 && t.isDynamicDim(j))
        return dim(operand, j);
    }
    return std::nullopt;
  };
  if (op->hasTrait<Elementwise>() ||
      isa<SoftmaxOp, LogSoftmaxOp, LayerNormOp, BroadcastToOp>(op))
    return broadcast(op->getOperands());
  if (auto transpose = dyn_cast<TransposeOp>(op))
    return dim(transpose.getInput(), transpose.getPerm()[d]);
  if (auto matmul = dyn_cast<MatMulOp>(op)) {
    RankedTensorType lhs = matmul.getLhs().getType(),
                     rhs = matmul.getRhs().getType();
    if (lhs.getRank() < 2 || rhs.getRank() < 2)
      return std::nullopt;
    if (d == rank - 1)
      return dim(matmul.getRhs(), rhs.getRank() - 1);
    if (d == rank - 2)
      return dim(matmul.getLhs(), lhs.getRank() - 2);
    for (Value operand : {matmul.getLhs(), matmul.getRhs()}) {
      auto t = tensorType(operand);
      int64_t j = d - (rank - t.getRank());
      if (j >= 0 && t.isDynamicDim(j))
        return dim(operand, j);
    }
    return std::nullopt;
  }
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    if (d == 0)
      return dim(gemm.getA(), gemm.getTransA() ? 1 : 0);
    return dim(gemm.getB(), gemm.getTransB() ? 0 : 1);
  }
  if (auto gather = dyn_cast<GatherOp>(op)) {
    int64_t axis = gather.getAxis();
    int64_t indicesRank = tensorType(gather.getIndices()).getRank();
    if (d < axis)
      return dim(gather.getData(), d);
    if (d < axis + indicesRank)
      return dim(gather.getIndices(), d - axis);
    return dim(gather.getData(), d - indicesRank + 1);
  }
  if (auto concat = dyn_cast<ConcatOp>(op)) {
    if (d != static_cast<int64_t>(concat.getAxis()))
      return broadcast(op->getOperands());
    SymExpr sum;
    for (Value operand : op->getOperands()) {
      std::optional<SymExpr> e = dim(operand, d);
      if (!e || !(e = SymExpr::add(sum, *e)))
        return std::nullopt;
      sum = *e;
    }
    return sum;
  }
  if (auto slice = dyn_cast<SliceOp>(op)) {
    // A dynamic dim of a slice is a whole dim (the importer describes the
    // others).
    return dim(slice.getInput(), d);
  }
  if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    // A reshape the importer did not describe keeps each symbolic dim
    // whole and in order (the rule its lowering checks): the k-th dynamic
    // dim of the result is the k-th of the input.
    RankedTensorType in = reshape.getInput().getType();
    int64_t k = llvm::count_if(type.getShape().take_front(d),
                               ShapedType::isDynamic);
    for (int64_t j = 0; j < in.getRank(); ++j)
      if (in.isDynamicDim(j) && k-- == 0)
        return dim(reshape.getInput(), j);
    return std::nullopt;
  }
  // Reductions keep the dims they do not reduce (or 1 in their place).
  auto axes = op->getAttrOfType<DenseI64ArrayAttr>("axes");
  auto keepdims = op->getAttrOfType<BoolAttr>("keepdims");
  if (axes && keepdims && op->getNumOperands() >= 1) {
    Value input = op->getOperand(0);
    int64_t j = 0, kept = 0;
    for (; j < tensorType(input).getRank(); ++j) {
      bool reduced = llvm::is_contained(axes.asArrayRef(), j);
      if (reduced && !keepdims.getValue())
        continue;
      if (kept++ == d)
        return reduced ? std::optional<SymExpr>(SymExpr::constant(1))
                       : dim(input, j);
    }
  }
  return std::nullopt;
}

Value SymbolicShapes::materialize(OpBuilder &b, Location loc,
                                  const SymExpr &e) {
  auto index = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, loc, c);
  };
  std::function<Value(unsigned)> symbolValue = [&](unsigned id) -> Value {
    const Symbol &s = symbols[id];
    if (s.arg >= 0)
      return tensor::DimOp::create(b, loc, entry.getArgument(s.arg), s.dim);
    Value of = materialize(b, loc, *s.of);
    switch (s.kind) {
    case Derived::FloorDiv:
      return arith::FloorDivSIOp::create(b, loc, of, index(s.c));
    case Derived::MaxZero:
      return arith::MaxSIOp::create(b, loc, of, index(0));
    case Derived::MinConstant:
      return arith::MinSIOp::create(b, loc, of, index(s.c));
    case Derived::None:
      break;
    }
    llvm_unreachable("a symbol is an input's dim or derived");
  };
  Value sum;
  for (const auto &[monomial, coefficient] : e.getTerms()) {
    Value term;
    for (unsigned id : monomial) {
      Value s = symbolValue(id);
      term = term ? Value(arith::MulIOp::create(b, loc, term, s)) : s;
    }
    if (!term)
      term = index(coefficient);
    else if (coefficient != 1)
      term = arith::MulIOp::create(b, loc, term, index(coefficient));
    sum = sum ? Value(arith::AddIOp::create(b, loc, sum, term)) : term;
  }
  return sum ? sum : index(0);
}

SmallVector<Value>
SymbolicShapes::materializeDynamicDims(OpBuilder &b, Location loc,
                                       RankedTensorType type,
                                       ArrayRef<SymExpr> values) {
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(materialize(b, loc, values[d]));
  return sizes;
}

Value SymbolicShapes::materializeTensor(OpBuilder &b, Location loc,
                                        RankedTensorType type,
                                        ArrayRef<SymExpr> values) {
  SmallVector<Value> elements;
  for (const SymExpr &e : values)
    elements.push_back(arith::IndexCastOp::create(
        b, loc, type.getElementType(), materialize(b, loc, e)));
  return tensor::FromElementsOp::create(b, loc, type, elements);
}

std::string SymbolicShapes::str(const SymExpr &e) const {
  if (e.getTerms().empty())
    return "0";
  std::string text;
  // Highest degree first: "batch * seq + 2 * seq + 1".
  for (auto it = e.getTerms().rbegin(); it != e.getTerms().rend(); ++it) {
    const auto &[monomial, coefficient] = *it;
    int64_t c = coefficient;
    if (!text.empty()) {
      text += c < 0 ? " - " : " + ";
      c = c < 0 ? -c : c;
    }
    std::string term;
    for (unsigned id : monomial)
      term += (term.empty() ? "" : " * ") + symbols[id].name;
    if (term.empty())
      text += std::to_string(c);
    else if (c == 1)
      text += term;
    else if (c == -1)
      text += "-" + term;
    else
      text += std::to_string(c) + " * " + term;
  }
  return text;
}

std::string SymbolicShapes::str(ArrayRef<SymExpr> values) const {
  std::string text = "[";
  for (auto [i, e] : llvm::enumerate(values))
    text += (i ? ", " : "") + str(e);
  return text + "]";
}

} // namespace gcomp::detail
