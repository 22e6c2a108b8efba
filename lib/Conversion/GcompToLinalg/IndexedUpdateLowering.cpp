//===- IndexedUpdateLowering.cpp - scatters and TopK to scf loops ---------===//
//
// These ops have an order that a parallel linalg.generic cannot express:
// scatter updates apply one after the other (duplicates and reductions see
// earlier writes), and TopK keeps a sorted selection. They become scf.for
// loops that carry their result tensors; one-shot bufferization updates
// those in place.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "gcomp/Dialect/Gcomp/IR/GcompOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace gcomp;
using namespace gcomp::lowering;

namespace {

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Value indexConstant(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// One scf.for over [0, count) carrying `init`; `body` returns the next
/// value of the carried tensor.
Value loopOver(OpBuilder &b, Location loc, int64_t count, Value init,
               function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  auto loop = scf::ForOp::create(
      b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, count),
      indexConstant(b, loc, 1), ValueRange{init},
      [&](OpBuilder &nb, Location nl, Value iv, ValueRange carried) {
        scf::YieldOp::create(nb, nl, body(nb, nl, iv, carried[0]));
      });
  return loop.getResult(0);
}

/// `acc` with `update` written at `at`, combined with the element there by
/// the scatter `reduction`.
Value storeScatter(OpBuilder &b, Location loc, StringRef reduction, Value acc,
                   ArrayRef<Value> at, Value update) {
  if (reduction != "none")
    update = combineScatter(b, loc, reduction,
                            tensor::ExtractOp::create(b, loc, acc, at), update);
  return tensor::InsertOp::create(b, loc, update, acc, at).getResult();
}

/// ScatterND: one loop over (update tuple n, slice element m).
struct ScatterNDLowering : OpConversionPattern<ScatterNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value data = adaptor.getData(), indices = adaptor.getIndices(),
          updates = adaptor.getUpdates();
    ArrayRef<int64_t> dataShape =
        cast<RankedTensorType>(data.getType()).getShape();
    ArrayRef<int64_t> idxShape =
        cast<RankedTensorType>(indices.getType()).getShape();
    int64_t tuple = idxShape.back();
    ArrayRef<int64_t> tupleShape = idxShape.drop_back(),
                      sliceShape = dataShape.drop_front(tuple);
    int64_t sliceSize = product(sliceShape);
    StringRef reduction = op.getReduction();
    Value result = loopOver(
        rewriter, op.getLoc(), product(tupleShape) * sliceSize, data,
        [&](OpBuilder &b, Location loc, Value iv, Value acc) {
          Value size = indexConstant(b, loc, sliceSize);
          SmallVector<Value> n = delinearize(
              b, loc, arith::DivUIOp::create(b, loc, iv, size), tupleShape);
          SmallVector<Value> m = delinearize(
              b, loc, arith::RemUIOp::create(b, loc, iv, size), sliceShape);
          SmallVector<Value> at, idx(n);
          idx.push_back(Value());
          for (int64_t j = 0; j < tuple; ++j) {
            idx.back() = indexConstant(b, loc, j);
            at.push_back(normalizedIndex(
                b, loc, tensor::ExtractOp::create(b, loc, indices, idx),
                dataShape[j]));
          }
          at.append(m);
          SmallVector<Value> from(n);
          from.append(m);
          Value update = tensor::ExtractOp::create(b, loc, updates, from);
          return storeScatter(b, loc, reduction, acc, at, update);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// ScatterElements: one loop over the positions of `indices`.
struct ScatterElementsLowering : OpConversionPattern<ScatterElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScatterElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Value data = adaptor.getData(), indices = adaptor.getIndices(),
          updates = adaptor.getUpdates();
    ArrayRef<int64_t> idxShape =
        cast<RankedTensorType>(indices.getType()).getShape();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    int64_t axisSize = cast<RankedTensorType>(data.getType()).getDimSize(axis);
    StringRef reduction = op.getReduction();
    Value result = loopOver(
        rewriter, op.getLoc(), product(idxShape), data,
        [&](OpBuilder &b, Location loc, Value iv, Value acc) {
          SmallVector<Value> p = delinearize(b, loc, iv, idxShape);
          SmallVector<Value> at(p);
          at[axis] = normalizedIndex(
              b, loc, tensor::ExtractOp::create(b, loc, indices, p), axisSize);
          Value update = tensor::ExtractOp::create(b, loc, updates, p);
          return storeScatter(b, loc, reduction, acc, at, update);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// TopK keeps, per row along `axis`, a sorted selection of at most k
/// (value, index) pairs in the result tensors. Each element is rejected at
/// once unless it beats the current k-th; an accepted one is inserted
/// after the selected elements that are at least as good (so equal values
/// keep input order), shifting the rest down. That is O(n) per row for the
/// usual small k and O(n * k) at worst.
struct TopKLowering : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;

  /// `a` ranks strictly before `b` (or, with `orEqual`, not after it).
  static Value ranksBefore(OpBuilder &b, Location loc, Value x, Value y,
                           bool largest, bool orEqual) {
    if (isa<FloatType>(x.getType())) {
      auto pred = largest ? (orEqual ? arith::CmpFPredicate::OGE
                                     : arith::CmpFPredicate::OGT)
                          : (orEqual ? arith::CmpFPredicate::OLE
                                     : arith::CmpFPredicate::OLT);
      return arith::CmpFOp::create(b, loc, pred, x, y);
    }
    auto pred = largest ? (orEqual ? arith::CmpIPredicate::sge
                                   : arith::CmpIPredicate::sgt)
                        : (orEqual ? arith::CmpIPredicate::sle
                                   : arith::CmpIPredicate::slt);
    return arith::CmpIOp::create(b, loc, pred, x, y);
  }

  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    RankedTensorType valuesType = op.getValues().getType(),
                     indicesType = op.getIndices().getType();
    int64_t axis = static_cast<int64_t>(op.getAxis());
    int64_t n = inType.getDimSize(axis), k = valuesType.getDimSize(axis);
    bool largest = op.getLargest();
    Value values = emptyTensor(rewriter, loc, valuesType);
    Value indices = emptyTensor(rewriter, loc, indicesType);
    if (k == 0 || valuesType.getNumElements() == 0) {
      rewriter.replaceOp(op, {values, indices});
      return success();
    }
    SmallVector<int64_t> rowShape(inType.getShape());
    rowShape.erase(rowShape.begin() + axis);

    OpBuilder &b = rewriter;
    Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
    Value kValue = indexConstant(b, loc, k);
    auto rows = scf::ForOp::create(
        b, loc, c0, indexConstant(b, loc, product(rowShape)), c1,
        ValueRange{values, indices},
        [&](OpBuilder &b, Location loc, Value row, ValueRange rowCarried) {
          SmallVector<Value> rowAt = delinearize(b, loc, row, rowShape);
          auto at = [&](Value i) {
            SmallVector<Value> coords(rowAt);
            coords.insert(coords.begin() + axis, i);
            return coords;
          };
          Value kMinus1 = indexConstant(b, loc, k - 1);
          auto elems = scf::ForOp::create(
              b, loc, c0, indexConstant(b, loc, n), c1,
              ValueRange{rowCarried[0], rowCarried[1], c0},
              [&](OpBuilder &b, Location loc, Value j, ValueRange carried) {
                Value vals = carried[0], idxs = carried[1], filled = carried[2];
                Value v = tensor::ExtractOp::create(b, loc, input, at(j));
                // Accept when the selection is not full or v beats its last.
                Value full = arith::CmpIOp::create(
                    b, loc, arith::CmpIPredicate::eq, filled, kValue);
                Value last = tensor::ExtractOp::create(b, loc, vals, at(kMinus1));
                Value beats = ranksBefore(b, loc, v, last, largest, false);
                Value notFull = arith::XOrIOp::create(
                    b, loc, full, arith::ConstantIntOp::create(b, loc, 1, 1));
                Value accept = arith::OrIOp::create(b, loc, notFull, beats);
                auto insert = scf::IfOp::create(
                    b, loc, accept,
                    [&](OpBuilder &b, Location loc) {
                      // pos = number of selected elements at least as good.
                      auto count = scf::ForOp::create(
                          b, loc, c0, filled, c1, ValueRange{c0},
                          [&](OpBuilder &b, Location loc, Value e, ValueRange c) {
                            Value old = tensor::ExtractOp::create(b, loc, vals, at(e));
                            Value keep = ranksBefore(b, loc, old, v, largest, true);
                            Value next = arith::AddIOp::create(b, loc, c[0], c1);
                            scf::YieldOp::create(
                                b, loc,
                                ValueRange{arith::SelectOp::create(b, loc, keep, next,
                                                                   c[0])});
                          });
                      Value pos = count.getResult(0);
                      // Shift [pos, end) down one, dropping the k-th.
                      Value end = arith::MinUIOp::create(b, loc, filled, kMinus1);
                      Value moves = arith::SubIOp::create(b, loc, end, pos);
                      auto shift = scf::ForOp::create(
                          b, loc, c0, moves, c1, ValueRange{vals, idxs},
                          [&](OpBuilder &b, Location loc, Value t, ValueRange c) {
                            Value from = arith::SubIOp::create(
                                b, loc, arith::SubIOp::create(b, loc, end, t), c1);
                            Value to = arith::AddIOp::create(b, loc, from, c1);
                            Value fv = tensor::ExtractOp::create(b, loc, c[0], at(from));
                            Value fi = tensor::ExtractOp::create(b, loc, c[1], at(from));
                            scf::YieldOp::create(
                                b, loc,
                                ValueRange{
                                    tensor::InsertOp::create(b, loc, fv, c[0], at(to)),
                                    tensor::InsertOp::create(b, loc, fi, c[1], at(to))});
                          });
                      Value jI64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), j);
                      Value newVals = tensor::InsertOp::create(
                          b, loc, v, shift.getResult(0), at(pos));
                      Value newIdxs = tensor::InsertOp::create(
                          b, loc, jI64, shift.getResult(1), at(pos));
                      Value newFilled = arith::MinUIOp::create(
                          b, loc, arith::AddIOp::create(b, loc, filled, c1), kValue);
                      scf::YieldOp::create(b, loc,
                                           ValueRange{newVals, newIdxs, newFilled});
                    },
                    [&](OpBuilder &b, Location loc) {
                      scf::YieldOp::create(b, loc, ValueRange{vals, idxs, filled});
                    });
                scf::YieldOp::create(b, loc, insert.getResults());
              });
          scf::YieldOp::create(
              b, loc, ValueRange{elems.getResult(0), elems.getResult(1)});
        });
    rewriter.replaceOp(op, rows.getResults());
    return success();
  }
};

/// gcomp.nonzero_indices: one pass over the mask that writes each true
/// position at the next free place of a zero-filled result.
struct NonZeroIndicesLowering : OpConversionPattern<NonZeroIndicesOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(NonZeroIndicesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value mask = adaptor.getMask();
    RankedTensorType type = op.getIndices().getType();
    Type i64 = b.getI64Type();
    Value zeros = filledTensor(b, loc, type, zeroAttr(i64));
    Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
    auto loop = scf::ForOp::create(
        b, loc, c0, indexConstant(b, loc, type.getDimSize(0)), c1,
        ValueRange{zeros, c0},
        [&](OpBuilder &b, Location loc, Value i, ValueRange carried) {
          Value bit = tensor::ExtractOp::create(b, loc, mask, ValueRange{i});
          auto append = scf::IfOp::create(
              b, loc, bit,
              [&](OpBuilder &b, Location loc) {
                Value position = arith::IndexCastOp::create(b, loc, i64, i);
                Value out = tensor::InsertOp::create(b, loc, position,
                                                     carried[0],
                                                     ValueRange{carried[1]});
                Value next = arith::AddIOp::create(b, loc, carried[1], c1);
                scf::YieldOp::create(b, loc, ValueRange{out, next});
              },
              [&](OpBuilder &b, Location loc) {
                scf::YieldOp::create(b, loc, carried);
              });
          scf::YieldOp::create(b, loc, append.getResults());
        });
    Value count = arith::IndexCastOp::create(b, loc, i64, loop.getResult(1));
    Value countTensor = tensor::FromElementsOp::create(
        b, loc, op.getCount().getType(), ValueRange{count});
    rewriter.replaceOp(op, {loop.getResult(0), countTensor});
    return success();
  }
};

/// gcomp.unique_runs: one pass over the sorted values; a value unlike
/// the one before starts a run.
struct UniqueRunsLowering : OpConversionPattern<UniqueRunsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(UniqueRunsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic(op, rewriter)))
      return failure();
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    Value sorted = adaptor.getSorted(), positions = adaptor.getPositions();
    auto type = cast<RankedTensorType>(sorted.getType());
    RankedTensorType i64Type = op.getFirst().getType();
    Type element = type.getElementType(), i64 = b.getI64Type();
    Value values = filledTensor(b, loc, type, zeroAttr(element));
    Value first = filledTensor(b, loc, i64Type, zeroAttr(i64));
    Value counts = filledTensor(b, loc, i64Type, zeroAttr(i64));
    Value inverse = emptyTensor(b, loc, i64Type);
    Value c0 = indexConstant(b, loc, 0), c1 = indexConstant(b, loc, 1);
    Value one = arith::ConstantIntOp::create(b, loc, i64, 1);
    auto loop = scf::ForOp::create(
        b, loc, c0, indexConstant(b, loc, type.getDimSize(0)), c1,
        ValueRange{values, first, inverse, counts, c0},
        [&](OpBuilder &b, Location loc, Value i, ValueRange carried) {
          Value v = tensor::ExtractOp::create(b, loc, sorted, ValueRange{i});
          Value from = tensor::ExtractOp::create(b, loc, positions, ValueRange{i});
          // A new run at i = 0 or where the value differs from the last.
          Value atStart = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                                i, c0);
          Value previous = tensor::ExtractOp::create(
              b, loc, sorted,
              ValueRange{arith::SelectOp::create(
                  b, loc, atStart, c0, arith::SubIOp::create(b, loc, i, c1))});
          Value same =
              isa<FloatType>(element)
                  ? Value(arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                                v, previous))
                  : Value(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                                v, previous));
          Value differs = arith::XOrIOp::create(
              b, loc, same, arith::ConstantIntOp::create(b, loc, 1, 1));
          Value starts = arith::OrIOp::create(b, loc, atStart, differs);
          auto start = scf::IfOp::create(
              b, loc, starts,
              [&](OpBuilder &b, Location loc) {
                Value run = carried[4];
                Value vals = tensor::InsertOp::create(b, loc, v, carried[0],
                                                      ValueRange{run});
                Value firsts = tensor::InsertOp::create(b, loc, from, carried[1],
                                                        ValueRange{run});
                scf::YieldOp::create(
                    b, loc,
                    ValueRange{vals, firsts,
                               arith::AddIOp::create(b, loc, run, c1)});
              },
              [&](OpBuilder &b, Location loc) {
                scf::YieldOp::create(
                    b, loc, ValueRange{carried[0], carried[1], carried[4]});
              });
          Value runs = start.getResult(2);
          Value run = arith::SubIOp::create(b, loc, runs, c1);
          Value fromIndex =
              arith::IndexCastOp::create(b, loc, b.getIndexType(), from);
          Value inv = tensor::InsertOp::create(
              b, loc, arith::IndexCastOp::create(b, loc, i64, run), carried[2],
              ValueRange{fromIndex});
          Value count =
              tensor::ExtractOp::create(b, loc, carried[3], ValueRange{run});
          Value cnts = tensor::InsertOp::create(
              b, loc, arith::AddIOp::create(b, loc, count, one), carried[3],
              ValueRange{run});
          scf::YieldOp::create(b, loc,
                               ValueRange{start.getResult(0), start.getResult(1),
                                          inv, cnts, runs});
        });
    Value count = arith::IndexCastOp::create(b, loc, i64, loop.getResult(4));
    Value countTensor = tensor::FromElementsOp::create(
        b, loc, op.getCount().getType(), ValueRange{count});
    rewriter.replaceOp(op, {loop.getResult(0), loop.getResult(1),
                            loop.getResult(2), loop.getResult(3), countTensor});
    return success();
  }
};

} // namespace

void gcomp::lowering::populateIndexedUpdateLowering(RewritePatternSet &patterns) {
  patterns.add<ScatterNDLowering, ScatterElementsLowering, TopKLowering,
               NonZeroIndicesLowering, UniqueRunsLowering>(
      patterns.getContext());
}
