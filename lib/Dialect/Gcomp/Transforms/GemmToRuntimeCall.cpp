//===- GemmToRuntimeCall.cpp - f32 products through __gcomp_sgemm ---------===//

#include "Kernels.h"
#include "WeightPacking.h"
#include "gcomp/Dialect/Gcomp/Transforms/Passes.h"
#include "gcomp/model_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

#include <map>

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

/// The f32 elements of a constant global's initial value.
std::optional<ArrayRef<float>> constantFloats(memref::GlobalOp global) {
  if (!global.getConstant() || !global.getInitialValue())
    return std::nullopt;
  Attribute value = *global.getInitialValue();
  ArrayRef<char> raw;
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (dense.isSplat() || !dense.getElementType().isF32())
      return std::nullopt;
    raw = dense.getRawData();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || !resource.getElementType().isF32())
      return std::nullopt;
    raw = blob->getData();
  } else {
    return std::nullopt;
  }
  return ArrayRef(reinterpret_cast<const float *>(raw.data()),
                  raw.size() / sizeof(float));
}

/// What a packed copy of a weight matrix is keyed by: the same global read
/// the same way packs the same.
struct PackKey {
  StringRef global;
  int64_t offset, k, n, kStride, nStride, batch, batchStride;
  bool operator<(const PackKey &o) const {
    return std::tie(global, offset, k, n, kStride, nStride, batch, batchStride) <
           std::tie(o.global, o.offset, o.k, o.n, o.kStride, o.nStride, o.batch,
                    o.batchStride);
  }
};

struct GemmToRuntimeCallPass
    : gcomp::impl::GcompGemmToRuntimeCallBase<GemmToRuntimeCallPass> {
  /// Packed copies of constant B operands, and the globals they came from.
  std::map<PackKey, memref::GlobalOp> packed;
  llvm::SetVector<StringRef> packedSources;

  void runOnOperation() override {
    packed.clear();
    packedSources.clear();
    ModuleOp module = getOperation();
    SmallVector<linalg::GenericOp> candidates;
    module.walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics() && op.getNumDpsInputs() == 2 &&
          op.getNumDpsInits() == 1 && isMultiplyAdd(op))
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates)
      (void)rewrite(op);
    // Weights now read only in their packed form need not be kept.
    SymbolTable symbols(module);
    for (StringRef name : packedSources)
      if (auto global = symbols.lookup<memref::GlobalOp>(name))
        if (SymbolTable::symbolKnownUseEmpty(global, module))
          global.erase();
  }

  /// If B is read from a constant global, a global holding it packed in
  /// the runtime's panel layout (GCOMP_SYM_SGEMM_PACKED_B), one matrix per
  /// batch index; null otherwise. Packing constant weights once at compile
  /// time saves the GEMM from doing it on every call, which dominates
  /// products with few rows (small images, one decoder token).
  memref::GlobalOp packedWeights(const Operand &b, int64_t k, int64_t n,
                                 int64_t kStride, int64_t nStride,
                                 int64_t batch, int64_t batchStride,
                                 Location loc) {
    auto get = rootOf(b.buffer).getDefiningOp<memref::GetGlobalOp>();
    if (!get)
      return {};
    ModuleOp module = getOperation();
    auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
    std::optional<ArrayRef<float>> data =
        global ? constantFloats(global) : std::nullopt;
    if (!data)
      return {};
    PackKey key{global.getSymName(), b.offset, k, n, kStride, nStride, batch,
                batchStride};
    if (auto it = packed.find(key); it != packed.end())
      return it->second;
    int64_t size = packedGemmSize(k, n);
    // Every element read must lie inside the global.
    int64_t last = b.offset + (k - 1) * kStride + (n - 1) * nStride +
                   (batch - 1) * batchStride;
    if (b.offset < 0 || kStride < 0 || nStride < 0 || batchStride < 0 ||
        last >= static_cast<int64_t>(data->size()))
      return {};
    std::vector<float> out;
    out.reserve(batch * size);
    for (int64_t i = 0; i < batch; ++i) {
      std::vector<float> matrix =
          packGemmB(data->data() + b.offset + i * batchStride, k, n, kStride,
                    nStride);
      out.insert(out.end(), matrix.begin(), matrix.end());
    }
    auto type = RankedTensorType::get({batch * size}, Float32Type::get(&getContext()));
    std::string name = (global.getSymName() + ".packed").str();
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef(reinterpret_cast<const char *>(out.data()),
                 out.size() * sizeof(float)),
        64);
    OpBuilder mb(global);
    auto result = memref::GlobalOp::create(
        mb, loc, name, mb.getStringAttr("private"),
        MemRefType::get({batch * size}, type.getElementType()),
        DenseResourceElementsAttr::get(type, name, std::move(blob)),
        /*constant=*/true, mb.getI64IntegerAttr(64));
    SymbolTable(module).insert(result);
    packed[key] = result;
    packedSources.insert(global.getSymName());
    return result;
  }

  LogicalResult rewrite(linalg::GenericOp op) {
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
      Value asInt = addressAsI64(builder, loc, o.buffer);
      return o.offset ? arith::AddIOp::create(builder, loc, asInt,
                                              i64(o.offset * 4))
                      : asInt;
    };
    unsigned inner = batch.empty() ? ~0u : batch.back();
    ArrayRef<unsigned> outer = ArrayRef(batch).drop_back(batch.empty() ? 0 : 1);
    ArrayRef<unsigned> innerDims =
        batch.empty() ? ArrayRef<unsigned>() : ArrayRef<unsigned>(inner);
    // Constant B (weights) that only the inner batch dim moves: packed now.
    memref::GlobalOp packedB;
    if (llvm::all_of(outer, [&](unsigned d) { return b.strideOf[d] == 0; })) {
      int64_t batchStride = strideAlong(b, innerDims);
      packedB = packedWeights(b, ranges[kDims[0]], dimSize(nDims),
                              b.strideOf[kDims[0]], strideAlong(b, nDims),
                              batchStride ? dimSize(innerDims) : 1, batchStride,
                              loc);
    }
    Value aPtr = base(a);
    Value bPtr;
    if (packedB) {
      Value packedView = memref::GetGlobalOp::create(
          builder, loc, packedB.getType(), packedB.getSymName());
      bPtr = addressAsI64(builder, loc, packedView);
    } else {
      bPtr = base(b);
    }
    Value cPtr = base(*c);
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
    SmallVector<Value> args;
    if (packedB) {
      int64_t n = dimSize(nDims), k = ranges[kDims[0]];
      int64_t packedSize =
          (n + GCOMP_SGEMM_PANEL - 1) / GCOMP_SGEMM_PANEL * GCOMP_SGEMM_PANEL * k;
      (void)packedSize;
      args = {i64(dimSize(mDims)), i64(n), i64(k),
              aPtr, i64(strideAlong(a, mDims)), i64(a.strideOf[kDims[0]]),
              bPtr,
              cPtr, i64(strideAlong(*c, mDims)), i64(strideAlong(*c, nDims)),
              i64(dimSize(innerDims)), i64(strideAlong(a, innerDims)),
              i64(strideAlong(b, innerDims) ? packedSize : 0),
              i64(strideAlong(*c, innerDims))};
      func::CallOp::create(builder, loc,
                           declareRuntimeFunction(getOperation(), GCOMP_SYM_SGEMM_PACKED_B, 14, loc), args);
    } else {
      args = {i64(dimSize(mDims)), i64(dimSize(nDims)), i64(ranges[kDims[0]]),
              aPtr, i64(strideAlong(a, mDims)), i64(a.strideOf[kDims[0]]),
              bPtr, i64(b.strideOf[kDims[0]]), i64(strideAlong(b, nDims)),
              cPtr, i64(strideAlong(*c, mDims)), i64(strideAlong(*c, nDims)),
              i64(dimSize(innerDims)), i64(strideAlong(a, innerDims)),
              i64(strideAlong(b, innerDims)), i64(strideAlong(*c, innerDims))};
      func::CallOp::create(builder, loc, declareRuntimeFunction(getOperation(), GCOMP_SYM_SGEMM, 16, loc),
                           args);
    }
    op.erase();
    return success();
  }
};

} // namespace
