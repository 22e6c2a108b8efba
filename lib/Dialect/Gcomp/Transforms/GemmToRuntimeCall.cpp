//===- GemmToRuntimeCall.cpp - f32 products through __gcomp_sgemm ---------===//

#include "Kernels.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace gcomp {
#define GEN_PASS_DEF_GCOMPGEMMTORUNTIMECALL
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h.inc"
} // namespace gcomp

using namespace mlir;
using namespace gcomp;

namespace {

/// The body is `yield out + in0 * in1` (either order of either op).
bool isMultiplyAdd(linalg::GenericOp op) {
  Block &body = *op.getBody();
  if (body.getOperations().size() != 3)
    return false;
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  if ((add.getLhs() == acc) == (add.getRhs() == acc))
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  Value x = body.getArgument(0), y = body.getArgument(1);
  return (mul.getLhs() == x && mul.getRhs() == y) ||
         (mul.getLhs() == y && mul.getRhs() == x);
}

/// One operand as the GEMM sees it: its buffer and, per loop dim, the
/// element stride (0 where the operand does not depend on the dim).
struct Operand {
  Value buffer;
  int64_t offset = 0;
  SmallVector<int64_t> strideOf; // per loop dim
};

std::optional<Operand> analyze(Value buffer, AffineMap map, unsigned loops) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      ShapedType::isDynamic(offset) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return std::nullopt;
  Operand o{buffer, offset, SmallVector<int64_t>(loops, 0)};
  for (auto [r, expr] : llvm::enumerate(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(expr)) {
      if (o.strideOf[d.getPosition()] != 0)
        return std::nullopt; // a dim used twice (a diagonal)
      o.strideOf[d.getPosition()] = type.getDimSize(r) == 1 ? 0 : strides[r];
      continue;
    }
    auto c = dyn_cast<AffineConstantExpr>(expr);
    if (!c || c.getValue() != 0)
      return std::nullopt;
  }
  return o;
}

/// The allocation or argument a buffer views.
Value rootOf(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

struct GemmToRuntimeCallPass
    : gcomp::impl::GcompGemmToRuntimeCallBase<GemmToRuntimeCallPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> candidates;
    module.walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics() && op.getNumDpsInputs() == 2 &&
          op.getNumDpsInits() == 1 && isMultiplyAdd(op))
        candidates.push_back(op);
    });
    func::FuncOp callee;
    for (linalg::GenericOp op : candidates) {
      if (failed(rewrite(op, callee)))
        continue;
    }
  }

  LogicalResult rewrite(linalg::GenericOp op, func::FuncOp &callee) {
    unsigned loops = op.getNumLoops();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    std::optional<Operand> x = analyze(op.getDpsInputs()[0], maps[0], loops),
                           y = analyze(op.getDpsInputs()[1], maps[1], loops),
                           c = analyze(op.getDpsInits()[0], maps[2], loops);
    if (!x || !y || !c)
      return failure();
    // The GEMM reads A and B while it writes C: they must not share memory.
    Value cRoot = rootOf(c->buffer);
    if (rootOf(x->buffer) == cRoot || rootOf(y->buffer) == cRoot)
      return failure();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    // Classify loop dims; a dim of size 1 or that nothing reads is ignored.
    SmallVector<unsigned> batch, mDims, nDims, kDims;
    for (unsigned d = 0; d < loops; ++d) {
      bool inC = c->strideOf[d] != 0, inX = x->strideOf[d] != 0,
           inY = y->strideOf[d] != 0;
      bool reduction = op.getIteratorTypesArray()[d] ==
                       utils::IteratorType::reduction;
      if (ranges[d] == 1)
        continue;
      if (reduction) {
        if (inC)
          return failure();
        kDims.push_back(d);
      } else if (!inC) {
        return failure(); // a parallel dim the result does not have
      } else if (inX && inY) {
        batch.push_back(d);
      } else if (inX) {
        mDims.push_back(d);
      } else if (inY) {
        nDims.push_back(d);
      } else {
        batch.push_back(d); // both inputs broadcast along it
      }
    }
    if (kDims.size() != 1 || mDims.size() > 1 || nDims.size() > 1)
      return failure();
    // A is the input with the m dim (or, for a vector-matrix product, the
    // one without n).
    bool xIsA = !mDims.empty() ? x->strideOf[mDims[0]] != 0
                               : (nDims.empty() || x->strideOf[nDims[0]] == 0);
    Operand &a = xIsA ? *x : *y, &b = xIsA ? *y : *x;

    OpBuilder builder(op);
    Location loc = op.getLoc();
    if (!callee) {
      ModuleOp module = getOperation();
      callee = module.lookupSymbol<func::FuncOp>(GCOMP_SYM_SGEMM);
      if (!callee) {
        OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
        SmallVector<Type> args(16, mb.getI64Type());
        callee = func::FuncOp::create(mb, loc, GCOMP_SYM_SGEMM,
                                      mb.getFunctionType(args, {}));
        callee.setPrivate();
      }
    }
    auto i64 = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(builder, loc, builder.getI64Type(), v);
    };
    auto dimSize = [&](ArrayRef<unsigned> dims) {
      return dims.empty() ? int64_t(1) : ranges[dims[0]];
    };
    auto strideAlong = [&](const Operand &o, ArrayRef<unsigned> dims) {
      return dims.empty() ? int64_t(0) : o.strideOf[dims[0]];
    };
    // Base addresses (the aligned pointer plus the static offset), in bytes.
    auto base = [&](const Operand &o) -> Value {
      Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(builder, loc,
                                                                 o.buffer);
      Value asInt = arith::IndexCastOp::create(builder, loc,
                                               builder.getI64Type(), ptr);
      return o.offset ? arith::AddIOp::create(builder, loc, asInt,
                                              i64(o.offset * 4))
                      : asInt;
    };
    Value aPtr = base(a), bPtr = base(b), cPtr = base(*c);
    unsigned inner = batch.empty() ? ~0u : batch.back();
    ArrayRef<unsigned> outer = ArrayRef(batch).drop_back(batch.empty() ? 0 : 1);
    // Loops over the outer batch dims move the three pointers.
    for (unsigned d : outer) {
      auto loop = scf::ForOp::create(
          builder, loc, i64(0), i64(ranges[d]), i64(1));
      builder.setInsertionPointToStart(loop.getBody());
      Value iv = loop.getInductionVar();
      auto advance = [&](Value ptr, const Operand &o) -> Value {
        if (!o.strideOf[d])
          return ptr;
        return arith::AddIOp::create(
            builder, loc, ptr,
            arith::MulIOp::create(builder, loc, iv, i64(o.strideOf[d] * 4)));
      };
      aPtr = advance(aPtr, a);
      bPtr = advance(bPtr, b);
      cPtr = advance(cPtr, *c);
    }
    ArrayRef<unsigned> innerDims =
        batch.empty() ? ArrayRef<unsigned>() : ArrayRef<unsigned>(inner);
    SmallVector<Value> args = {
        i64(dimSize(mDims)), i64(dimSize(nDims)), i64(ranges[kDims[0]]),
        aPtr, i64(strideAlong(a, mDims)), i64(a.strideOf[kDims[0]]),
        bPtr, i64(b.strideOf[kDims[0]]), i64(strideAlong(b, nDims)),
        cPtr, i64(strideAlong(*c, mDims)), i64(strideAlong(*c, nDims)),
        i64(dimSize(innerDims)), i64(strideAlong(a, innerDims)),
        i64(strideAlong(b, innerDims)), i64(strideAlong(*c, innerDims))};
    func::CallOp::create(builder, loc, callee, args);
    op.erase();
    return success();
  }
};

} // namespace
