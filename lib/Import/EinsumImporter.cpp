//===- EinsumImporter.cpp - Einsum as transposes, matmuls and sums --------===//
//
// An Einsum becomes ops the optimizer and code generator already know:
//  1. a label repeated within one operand takes the diagonal (multiply by
//     an identity mask, sum one of the two dims);
//  2. labels that only one operand has and the output lacks are summed;
//  3. operands combine left to right as one batched matmul each: shared
//     labels still needed later are batch dims, shared labels no longer
//     needed are contracted, the rest stay free;
//  4. what remains is summed and transposed into the output's order.
// Ellipses expand to labels of their own, right-aligned across operands.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

/// A label: a letter, or 256 + i for the i-th dim an ellipsis covers.
using Label = int;
constexpr Label kEllipsisBase = 256;

struct Term {
  Value value;
  SmallVector<Label> labels;
  RankedTensorType type() const { return cast<RankedTensorType>(value.getType()); }
};

class EinsumBuilder {
public:
  explicit EinsumBuilder(NodeContext &nc) : nc(nc), b(nc.builder) {}

  LogicalResult run();

private:
  FailureOr<SmallVector<Label>> parseLabels(StringRef spec, int64_t rank,
                                            int64_t ellipsisRank);
  void takeDiagonals(Term &t);
  void sumAxes(Term &t, ArrayRef<int64_t> axes);
  void transposeTo(Term &t, ArrayRef<Label> order);
  FailureOr<Term> contract(Term a, Term bTerm, ArrayRef<Label> needed);

  NodeContext &nc;
  OpBuilder &b;
};

FailureOr<SmallVector<Label>>
EinsumBuilder::parseLabels(StringRef spec, int64_t rank, int64_t ellipsisRank) {
  SmallVector<Label> labels;
  size_t dots = spec.find("...");
  int64_t letters = static_cast<int64_t>(spec.size()) - (dots == StringRef::npos ? 0 : 3);
  for (size_t i = 0; i < spec.size(); ++i) {
    if (i == dots) {
      int64_t covered = rank < 0 ? ellipsisRank : rank - letters;
      if (covered < 0 || covered > ellipsisRank)
        break;
      for (int64_t j = ellipsisRank - covered; j < ellipsisRank; ++j)
        labels.push_back(kEllipsisBase + static_cast<Label>(j));
      i += 2;
      continue;
    }
    if (!isAlpha(spec[i])) {
      nc.error() << "bad character '" << spec[i] << "' in equation term '"
                 << spec << "'";
      return failure();
    }
    labels.push_back(spec[i]);
  }
  if (rank >= 0 && static_cast<int64_t>(labels.size()) != rank) {
    nc.error() << "term '" << spec << "' does not match an operand of rank "
               << rank;
    return failure();
  }
  return labels;
}

void EinsumBuilder::sumAxes(Term &t, ArrayRef<int64_t> axes) {
  if (axes.empty())
    return;
  SmallVector<int64_t> sorted(axes);
  llvm::sort(sorted);
  auto type = *inferReduceType(t.type(), sorted, false,
                               t.type().getElementType(), nullptr);
  t.value = ReduceSumOp::create(b, nc.loc, type, t.value,
                                b.getDenseI64ArrayAttr(sorted),
                                b.getBoolAttr(false));
  for (int64_t a : llvm::reverse(sorted))
    t.labels.erase(t.labels.begin() + a);
}

void EinsumBuilder::takeDiagonals(Term &t) {
  for (size_t q = 0; q < t.labels.size(); ++q) {
    auto p = llvm::find(ArrayRef(t.labels).take_front(q), t.labels[q]);
    if (p == t.labels.begin() + q)
      continue;
    int64_t first = p - t.labels.begin(), n = t.type().getDimSize(q);
    // x * eye over (first, q), then the sum over q keeps the diagonal.
    SmallVector<int64_t> maskShape(t.labels.size(), 1);
    maskShape[first] = maskShape[q] = n;
    SmallVector<Attribute> eye;
    Type et = t.type().getElementType();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        eye.push_back(isa<FloatType>(et) ? Attribute(b.getFloatAttr(et, i == j))
                                         : Attribute(b.getIntegerAttr(et, i == j)));
    Value mask = ConstantOp::create(
        b, nc.loc,
        DenseElementsAttr::get(RankedTensorType::get(maskShape, et), eye));
    t.value = MulOp::create(b, nc.loc, t.type(), t.value, mask);
    sumAxes(t, {static_cast<int64_t>(q)});
    --q;
  }
}

void EinsumBuilder::transposeTo(Term &t, ArrayRef<Label> order) {
  SmallVector<int64_t> perm;
  for (Label l : order)
    perm.push_back(llvm::find(t.labels, l) - t.labels.begin());
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return;
  auto type = *inferTransposeType(t.type(), perm, nullptr);
  t.value = TransposeOp::create(b, nc.loc, type, t.value, perm);
  t.labels.assign(order.begin(), order.end());
}

FailureOr<Term> EinsumBuilder::contract(Term x, Term y, ArrayRef<Label> needed) {
  SmallVector<Label> batch, reduced, xFree, yFree;
  for (Label l : x.labels) {
    if (!llvm::is_contained(y.labels, l))
      xFree.push_back(l);
    else if (llvm::is_contained(needed, l))
      batch.push_back(l);
    else
      reduced.push_back(l);
  }
  for (Label l : y.labels)
    if (!llvm::is_contained(x.labels, l))
      yFree.push_back(l);
  auto sizeOf = [](const Term &t, Label l) {
    return t.type().getDimSize(llvm::find(t.labels, l) - t.labels.begin());
  };
  for (Label l : llvm::concat<Label>(batch, reduced))
    if (sizeOf(x, l) != sizeOf(y, l)) {
      nc.error() << "operands disagree on the size of a shared label ("
                 << sizeOf(x, l) << " vs " << sizeOf(y, l) << ")";
      return failure();
    }
  auto product = [&](const Term &t, ArrayRef<Label> ls) {
    int64_t n = 1;
    for (Label l : ls)
      n *= sizeOf(t, l);
    return n;
  };
  int64_t bs = product(x, batch), m = product(x, xFree), k = product(x, reduced),
          n = product(y, yFree);
  SmallVector<int64_t> shape;
  for (Label l : batch)
    shape.push_back(sizeOf(x, l));
  for (Label l : xFree)
    shape.push_back(sizeOf(x, l));
  for (Label l : yFree)
    shape.push_back(sizeOf(y, l));
  transposeTo(x, llvm::to_vector(llvm::concat<Label>(batch, xFree, reduced)));
  transposeTo(y, llvm::to_vector(llvm::concat<Label>(batch, reduced, yFree)));
  Value lhs = nc.reshape(x.value, {bs, m, k}), rhs = nc.reshape(y.value, {bs, k, n});
  auto type = *inferMatMulType(cast<RankedTensorType>(lhs.getType()),
                               cast<RankedTensorType>(rhs.getType()), nullptr);
  Term result;
  result.value = nc.reshape(MatMulOp::create(b, nc.loc, type, lhs, rhs), shape);
  result.labels = llvm::to_vector(llvm::concat<Label>(batch, xFree, yFree));
  return result;
}

LogicalResult EinsumBuilder::run() {
  const onnx::AttributeProto *eq = nc.attr("equation");
  if (!eq) {
    nc.error() << "needs an equation";
    return failure();
  }
  std::string equation;
  for (char c : eq->s())
    if (!isSpace(c))
      equation += c;
  StringRef lhs = equation, rhs;
  bool explicitOutput = false;
  if (size_t arrow = StringRef(equation).find("->"); arrow != StringRef::npos) {
    lhs = StringRef(equation).take_front(arrow);
    rhs = StringRef(equation).drop_front(arrow + 2);
    explicitOutput = true;
  }
  SmallVector<StringRef> specs;
  lhs.split(specs, ',');
  if (specs.size() != nc.inputs.size() || llvm::is_contained(nc.inputs, Value())) {
    nc.error() << "equation '" << eq->s() << "' has " << specs.size()
               << " operand terms for " << nc.inputs.size() << " inputs";
    return failure();
  }
  // The ellipsis covers the most dims any operand gives it.
  int64_t ellipsisRank = 0;
  for (auto [i, spec] : llvm::enumerate(specs))
    if (spec.contains("..."))
      ellipsisRank = std::max<int64_t>(
          ellipsisRank, nc.inputType(i).getRank() - (spec.size() - 3));
  SmallVector<Term> terms;
  for (auto [i, spec] : llvm::enumerate(specs)) {
    if (!nc.inputType(i).hasStaticShape()) {
      nc.error() << "input " << i << " needs a static shape";
      return failure();
    }
    if (nc.inputType(i).getElementType() != nc.inputType(0).getElementType()) {
      nc.error() << "inputs have different element types: "
                 << nc.inputType(0) << " and " << nc.inputType(i);
      return failure();
    }
    auto labels = parseLabels(spec, nc.inputType(i).getRank(), ellipsisRank);
    if (failed(labels))
      return failure();
    terms.push_back({nc.inputs[i], *labels});
  }
  SmallVector<Label> output;
  if (explicitOutput) {
    auto labels = parseLabels(rhs, -1, ellipsisRank);
    if (failed(labels))
      return failure();
    output = *labels;
  } else {
    // Implicit output: the ellipsis, then labels used once, alphabetically.
    for (int64_t j = 0; j < ellipsisRank; ++j)
      output.push_back(kEllipsisBase + static_cast<Label>(j));
    for (Label l = 'A'; l <= 'z'; ++l) {
      int count = 0;
      for (const Term &t : terms)
        count += llvm::count(t.labels, l);
      if (count == 1)
        output.push_back(l);
    }
  }
  for (auto [i, l] : llvm::enumerate(output))
    if (llvm::is_contained(ArrayRef(output).take_front(i), l)) {
      nc.error() << "output label '" << static_cast<char>(l)
                 << "' appears twice";
      return failure();
    }
  for (Label l : output)
    if (llvm::none_of(terms, [&](const Term &t) { return llvm::is_contained(t.labels, l); })) {
      nc.error() << "output label '" << static_cast<char>(l)
                 << "' appears in no operand";
      return failure();
    }

  auto neededAfter = [&](size_t i) {
    SmallVector<Label> needed(output);
    for (size_t j = i + 1; j < terms.size(); ++j)
      needed.append(terms[j].labels);
    return needed;
  };
  for (auto [i, t] : llvm::enumerate(terms)) {
    takeDiagonals(t);
    SmallVector<Label> others(output);
    for (auto [j, u] : llvm::enumerate(terms))
      if (j != i)
        others.append(u.labels);
    SmallVector<int64_t> lonely;
    for (auto [d, l] : llvm::enumerate(t.labels))
      if (!llvm::is_contained(others, l))
        lonely.push_back(d);
    sumAxes(t, lonely);
  }
  Term acc = terms[0];
  for (size_t i = 1; i < terms.size(); ++i) {
    FailureOr<Term> next = contract(acc, terms[i], neededAfter(i));
    if (failed(next))
      return failure();
    acc = *next;
  }
  SmallVector<int64_t> extra;
  for (auto [d, l] : llvm::enumerate(acc.labels))
    if (!llvm::is_contained(output, l))
      extra.push_back(d);
  sumAxes(acc, extra);
  transposeTo(acc, output);
  nc.outputs.push_back(acc.value);
  return success();
}

LogicalResult importEinsum(NodeContext &nc) { return EinsumBuilder(nc).run(); }

} // namespace

void addEinsumImporter(StringMap<OpImporterFn> &table) {
  table["Einsum"] = importEinsum;
}

} // namespace gcomp::detail
