//===- SymbolicShapes.h - sizes in terms of symbolic dims -------*- C++ -*-===//
//
// A model whose dims stay symbolic (the generic variant,
// docs/dynamic-shapes.md) still computes sizes: an exporter writes
// `Shape -> Gather -> Concat -> Reshape` for every attention head split,
// `Range(0, seq)` for positions, `ConstantOfShape([seq, seq])` for a causal
// mask. The importer evaluates that arithmetic at compile time on
// expressions of the input dims (SymExpr), so the shape tensors never
// exist at run time: a Reshape gets a result type with its static dims,
// and an op whose result size is computed (a mask, a range) gets that size
// as an index value computed once from the input dims.
//
//===----------------------------------------------------------------------===//
#ifndef GCOMP_LIB_IMPORT_SYMBOLICSHAPES_H
#define GCOMP_LIB_IMPORT_SYMBOLICSHAPES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace gcomp::detail {

/// A size as a polynomial with integer coefficients in symbols (the
/// model's symbolic dims, and quotients that do not simplify), kept in a
/// canonical form so that equal sizes compare equal: `seq * 4` from a
/// Shape -> Mul chain is the same expression as the reshape it meets.
class SymExpr {
public:
  /// Symbol ids, sorted, repeated for powers.
  using Monomial = llvm::SmallVector<unsigned, 2>;

  SymExpr() = default; // 0
  static SymExpr constant(int64_t c);
  static SymExpr symbol(unsigned id);

  std::optional<int64_t> getConstant() const;
  /// The symbol, when the expression is exactly one symbol.
  std::optional<unsigned> getSymbol() const;
  /// Whether no value of the symbols (sizes, so >= 0) makes it negative.
  bool isNonNegative() const;
  const std::map<Monomial, int64_t> &getTerms() const { return terms; }

  bool operator==(const SymExpr &o) const { return terms == o.terms; }
  bool operator!=(const SymExpr &o) const { return terms != o.terms; }
  bool operator<(const SymExpr &o) const { return terms < o.terms; }

  /// The arithmetic; std::nullopt where a coefficient overflows int64.
  static std::optional<SymExpr> add(const SymExpr &a, const SymExpr &b);
  static std::optional<SymExpr> sub(const SymExpr &a, const SymExpr &b);
  static std::optional<SymExpr> mul(const SymExpr &a, const SymExpr &b);
  /// `a / b` when it is exact term by term (b one term: `c * monomial`).
  static std::optional<SymExpr> divExact(const SymExpr &a, const SymExpr &b);

private:
  std::map<Monomial, int64_t> terms; // no zero coefficients
};

/// The symbolic sizes of one model being imported.
class SymbolicShapes {
public:
  explicit SymbolicShapes(mlir::func::FuncOp entry);

  /// Dim `d` of `v`: its static size, or what it is in terms of the
  /// symbols, found through the ops that made `v`; std::nullopt where the
  /// importer cannot tell.
  std::optional<SymExpr> dim(mlir::Value v, int64_t d);
  /// Every dim of `v`, or std::nullopt if one is unknown.
  std::optional<llvm::SmallVector<SymExpr>> shape(mlir::Value v);
  /// Says what the dims of `v` are, for ops whose sizes come from a shape
  /// tensor (Reshape, Expand, Range, ...).
  void setShape(mlir::Value v, llvm::ArrayRef<SymExpr> dims);

  /// The values of an integer tensor of at most one dim that shape
  /// arithmetic computes (or a small constant's), or std::nullopt.
  std::optional<llvm::SmallVector<SymExpr>> content(mlir::Value v);
  /// Whether `v` holds values computed from symbolic dims (not constant).
  bool hasSymbolicContent(mlir::Value v) const { return contents.count(v); }
  void setContent(mlir::Value v, llvm::ArrayRef<SymExpr> values);

  /// `floor(e / c)` for c > 0: exact division where it is, else a new
  /// symbol standing for the quotient (the same one for the same e and c).
  std::optional<SymExpr> floorDiv(const SymExpr &e, int64_t c);

  /// `max(e, 0)` and `min(e, c)`, the clamps of ONNX Slice: `e` itself or a
  /// constant where that is what they are, else a new symbol standing for
  /// them (the same one for the same arguments).
  std::optional<SymExpr> maxZero(const SymExpr &e);
  std::optional<SymExpr> minConstant(const SymExpr &e, int64_t c);

  /// An index value computing `e` from the entry's arguments (tensor.dim
  /// and arith), built at `b`'s insertion point.
  mlir::Value materialize(mlir::OpBuilder &b, mlir::Location loc,
                          const SymExpr &e);
  /// Every dynamic dim of `type` whose size `dims` gives, materialized.
  llvm::SmallVector<mlir::Value>
  materializeDynamicDims(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::RankedTensorType type,
                         llvm::ArrayRef<SymExpr> dims);
  /// A 1-D (or rank-0) integer tensor holding `values`, for a shape tensor
  /// that the graph uses as data.
  mlir::Value materializeTensor(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::RankedTensorType type,
                                llvm::ArrayRef<SymExpr> values);

  /// "seq", "batch * seq", "2 * seq + 1".
  std::string str(const SymExpr &e) const;
  std::string str(llvm::ArrayRef<SymExpr> dims) const;

private:
  /// What a symbol stands for: an input's dim (arg >= 0), or a function
  /// of an expression: floor(of / c), max(of, 0) or min(of, c).
  enum class Derived { None, FloorDiv, MaxZero, MinConstant };
  struct Symbol {
    std::string name;
    int64_t arg = -1, dim = -1;
    Derived kind = Derived::None;
    std::optional<SymExpr> of;
    int64_t c = 1;
  };
  /// The symbol for `kind` of (e, c), made on first use.
  SymExpr derivedSymbol(Derived kind, const SymExpr &e, int64_t c,
                        std::string name);

  static Symbol inputSymbol(std::string name, int64_t arg, int64_t dim);
  unsigned addSymbol(Symbol s);
  std::optional<SymExpr> computeDim(mlir::Operation *op, mlir::Value v,
                                    int64_t d);

  mlir::func::FuncOp entry;
  std::vector<Symbol> symbols;
  /// The symbol of each dynamic input dim (an input dim the model names
  /// like another, `seq` and `seq`, is the same symbol).
  std::map<std::pair<int64_t, int64_t>, unsigned> inputSymbols;
  llvm::StringMap<unsigned> namedSymbols;
  std::map<std::tuple<Derived, SymExpr, int64_t>, unsigned> derived;
  llvm::DenseMap<std::pair<mlir::Value, int64_t>, SymExpr> dims;
  llvm::DenseMap<mlir::Value, llvm::SmallVector<SymExpr>> contents;
};

} // namespace gcomp::detail

#endif // GCOMP_LIB_IMPORT_SYMBOLICSHAPES_H
