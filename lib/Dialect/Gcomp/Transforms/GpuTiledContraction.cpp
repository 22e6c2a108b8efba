//===- GpuTiledContraction.cpp - matrix products in shared-memory tiles ---===//
//
// With a thread per output element, a product of an M x K by a K x N
// matrix loads 2MNK input elements from global memory; the caches absorb
// part of it, and the GPU waits on the rest. Here a block of threads
// computes a BM x BN tile of the output: for each slice of BK reduction
// terms it copies the BM x BK and BK x BN input tiles it needs into shared
// memory once, with coalesced loads, and then each thread computes TM x TN
// outputs from them, accumulating in registers. That divides the global
// loads by about BM*BN/(BM+BN) (32 for 64 x 64 tiles).
//
// A thread's outputs are strided across the tile (rows tm, tm + BM/TM,
// ...; columns likewise): the threads of a warp then read neighbouring
// shared-memory words, and store neighbouring outputs, together.
//
// Each output's terms are still folded one at a time for k = 0, 1, ...,
// K-1, with the op's own body: the same order as the untiled lowering, and
// any body works (not only multiply-add). Indices past the edges of M, N
// and K are clamped for the loads, whose values then go unused, rather
// than guarded: no branches in the copy.
//
//===----------------------------------------------------------------------===//

#include "GpuLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace {

constexpr int64_t kThreads = 256;
/// Reduction terms per shared-memory tile.
constexpr int64_t kTileK = 16;
/// Smaller products keep a thread per output: the tiles would be mostly
/// padding.
constexpr int64_t kMinRows = gcomp::kMinTiledRows,
                  kMinColumns = gcomp::kMinTiledColumns, kMinTerms = 8;
/// A tile shape is used when the product has at least this many tiles (two
/// blocks for each multiprocessor of a large GPU); else the shape with the
/// most tiles, the smallest of those (the least padding).
constexpr int64_t kEnoughBlocks = 264;

/// A BM x BN output tile, each of the 256 threads computing TM x TN of it.
struct TileShape {
  int64_t rows, columns, threadRows, threadColumns;
};
/// Largest first: bigger tiles reuse each loaded element more.
constexpr TileShape kTileShapes[] = {
    {64, 64, 4, 4}, {32, 64, 2, 4}, {64, 32, 4, 2}, {32, 32, 2, 2}};

/// The op's body for one term: `acc` folded with the input elements `lhs`
/// and `rhs`.
Value foldTerm(OpBuilder &b, linalg::LinalgOp op, const gcomp::Contraction &c,
               Value lhs, Value rhs, Value acc) {
  Block *body = op.getBlock();
  IRMapping mapping;
  mapping.map(body->getArgument(c.lhs->getOperandNumber()), lhs);
  mapping.map(body->getArgument(c.rhs->getOperandNumber()), rhs);
  mapping.map(body->getArgument(c.out->getOperandNumber()), acc);
  for (Operation &inner : body->without_terminator())
    b.clone(inner, mapping);
  return mapping.lookupOrDefault(body->getTerminator()->getOperand(0));
}

TileShape chooseTileShape(int64_t rows, int64_t columns, int64_t batches) {
  auto tiles = [&](const TileShape &s) {
    return llvm::divideCeil(rows, s.rows) *
           llvm::divideCeil(columns, s.columns) * batches;
  };
  const TileShape *best = &kTileShapes[0];
  for (const TileShape &shape : kTileShapes) {
    if (tiles(shape) >= kEnoughBlocks)
      return shape;
    if (tiles(shape) >= tiles(*best))
      best = &shape;
  }
  return *best;
}

} // namespace

bool hasDim(AffineMap map, int64_t dim) {
  return map.isFunctionOfDim(static_cast<unsigned>(dim));
}

/// Whether `operand` is stored with the iterations of `dim` contiguous,
/// assuming a row-major layout (the copies are correct whatever it is).
bool isInnermost(linalg::LinalgOp op, OpOperand *operand, int64_t dim) {
  AffineMap map = op.getMatchingIndexingMap(operand);
  return map.getNumResults() > 0 &&
         cast<AffineDimExpr>(map.getResults().back()).getPosition() == dim;
}

FailureOr<gcomp::Contraction> gcomp::matchContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1 ||
      op->getNumRegions() != 1 || !op.getBlock())
    return failure();
  Block *body = op.getBlock();
  if (body->getTerminator()->getNumOperands() != 1 ||
      llvm::any_of(*body, [](Operation &inner) {
        return isa<linalg::IndexOp>(inner) || inner.getNumRegions() != 0;
      }))
    return failure();
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<ShapedType>(operand.get().getType());
    if (!type || !type.hasStaticShape() ||
        !op.getMatchingIndexingMap(&operand).isProjectedPermutation())
      return failure();
  }
  Contraction c;
  c.lhs = op.getDpsInputOperand(0);
  c.rhs = op.getDpsInputOperand(1);
  c.out = op.getDpsInitOperand(0);
  AffineMap lhsMap = op.getMatchingIndexingMap(c.lhs);
  AffineMap rhsMap = op.getMatchingIndexingMap(c.rhs);
  AffineMap outMap = op.getMatchingIndexingMap(c.out);
  if (static_cast<int64_t>(outMap.getNumResults()) != op.getNumParallelLoops())
    return failure();

  // m and n: the dimensions of one input only that the output is most
  // nearly contiguous in; the other parallel dimensions index whole tiles.
  int64_t m = -1, n = -1, mPos = -1, nPos = -1;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [d, iterator] : llvm::enumerate(iterators)) {
    int64_t dim = static_cast<int64_t>(d);
    if (iterator == utils::IteratorType::reduction) {
      c.k = dim;
      continue;
    }
    int64_t pos = *outMap.getResultPosition(getAffineDimExpr(d, op.getContext()));
    bool inLhs = hasDim(lhsMap, dim), inRhs = hasDim(rhsMap, dim);
    if (inLhs && !inRhs && pos > mPos) {
      m = dim;
      mPos = pos;
    }
    if (inRhs && !inLhs && pos > nPos) {
      n = dim;
      nPos = pos;
    }
  }
  if (m < 0 || n < 0)
    return failure();
  c.m = m;
  c.n = n;
  for (auto [d, iterator] : llvm::enumerate(iterators))
    if (iterator == utils::IteratorType::parallel &&
        static_cast<int64_t>(d) != m && static_cast<int64_t>(d) != n)
      c.batch.push_back(static_cast<int64_t>(d));
  return c;
}

int64_t gcomp::tiledContractionBlocks(int64_t rows, int64_t columns,
                                      int64_t batches) {
  TileShape shape = chooseTileShape(rows, columns, batches);
  return llvm::divideCeil(rows, shape.rows) *
         llvm::divideCeil(columns, shape.columns) * batches;
}

LogicalResult gcomp::lowerToTiledContraction(linalg::LinalgOp op,
                                             Value initValue) {
  if (!op.hasPureBufferSemantics())
    return failure();
  FailureOr<gcomp::Contraction> matched = gcomp::matchContraction(op);
  if (failed(matched))
    return failure();
  const gcomp::Contraction &c = *matched;
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t rows = sizes[c.m], columns = sizes[c.n], terms = sizes[c.k];
  int64_t batches = 1;
  for (int64_t d : c.batch)
    batches *= sizes[d];
  if (rows < kMinRows || columns < kMinColumns || terms < kMinTerms)
    return failure();
  TileShape shape = chooseTileShape(rows, columns, batches);
  int64_t gridX = llvm::divideCeil(columns, shape.columns);
  int64_t gridY = llvm::divideCeil(rows, shape.rows);
  // CUDA's limits on the grid's y and z sizes.
  if (gridY > 65535 || batches > 65535)
    return failure();

  OpBuilder b(op);
  Location loc = op.getLoc();
  MLIRContext *ctx = op.getContext();
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, loc, x, y);
  };
  auto mul = [&](Value x, int64_t y) -> Value {
    return arith::MulIOp::create(b, loc, x, index(y));
  };
  auto clamp = [&](Value x, int64_t size) -> Value {
    return arith::MinUIOp::create(b, loc, x, index(size - 1));
  };

  // Shared memory: the tiles of both inputs, k-major. A tile copied with
  // k fastest (an input contiguous in k, like a weight matrix) has a row
  // one element longer: consecutive threads then store to different banks.
  struct Operand {
    OpOperand *operand;
    int64_t dim, extent, tile, threadTile, stride;
    bool kFastest;
  };
  Operand operands[2] = {
      {c.lhs, c.m, rows, shape.rows, shape.threadRows, 0,
       isInnermost(op, c.lhs, c.k)},
      {c.rhs, c.n, columns, shape.columns, shape.threadColumns, 0,
       isInnermost(op, c.rhs, c.k)}};
  auto workgroup = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  SmallVector<Type> tileTypes;
  for (Operand &o : operands) {
    o.stride = o.tile + (o.kFastest ? 1 : 0);
    tileTypes.push_back(MemRefType::get(
        {kTileK * o.stride}, getElementTypeOrSelf(o.operand->get().getType()),
        MemRefLayoutAttrInterface{}, workgroup));
  }

  auto launch = gpu::LaunchOp::create(
      b, loc, index(gridX), index(gridY), index(batches), index(kThreads),
      index(1), index(1), /*dynamicSharedMemorySize=*/nullptr,
      /*asyncTokenType=*/nullptr, /*asyncDependencies=*/{}, tileTypes);
  gcomp::nameKernel(launch, loc);
  b.setInsertionPointToEnd(&launch.getBody().front());
  b.setInsertionPoint(gpu::TerminatorOp::create(b, loc));
  Value thread = launch.getThreadIds().x;

  // The loop indices every access shares: the batch dims from the grid's z.
  int64_t numLoops = static_cast<int64_t>(sizes.size());
  SmallVector<Value> ivs(numLoops, index(0));
  SmallVector<Value> batchCounts;
  for (int64_t d : c.batch)
    batchCounts.push_back(index(sizes[d]));
  if (!c.batch.empty())
    for (auto [d, iv] : llvm::zip(c.batch, gcomp::delinearize(
                                               b, loc, launch.getBlockIds().z,
                                               batchCounts)))
      ivs[d] = iv;
  Value tileStart[2] = {mul(launch.getBlockIds().y, shape.rows),
                        mul(launch.getBlockIds().x, shape.columns)};
  int64_t threadsPerRow = shape.columns / shape.threadColumns;
  Value threadPos[2] = {
      arith::DivUIOp::create(b, loc, thread, index(threadsPerRow)),
      arith::RemUIOp::create(b, loc, thread, index(threadsPerRow))};

  // The thread's rows and columns of the output, and their clamped copies.
  SmallVector<Value> outPos[2], clampedPos[2];
  for (int side = 0; side < 2; ++side) {
    const Operand &o = operands[side];
    int64_t spacing = o.tile / o.threadTile;
    for (int64_t i = 0; i < o.threadTile; ++i) {
      outPos[side].push_back(
          add(add(tileStart[side], threadPos[side]), index(i * spacing)));
      clampedPos[side].push_back(clamp(outPos[side].back(), o.extent));
    }
  }

  // Accumulators, in registers: the output's values, or the fill's.
  AffineMap outMap = op.getMatchingIndexingMap(c.out);
  Value out = c.out->get();
  SmallVector<Value> accumulators;
  for (Value row : clampedPos[0])
    for (Value column : clampedPos[1]) {
      if (initValue) {
        accumulators.push_back(initValue);
        continue;
      }
      ivs[c.m] = row;
      ivs[c.n] = column;
      accumulators.push_back(memref::LoadOp::create(
          b, loc, out, gcomp::applyIndexingMap(b, loc, outMap, ivs)));
    }

  // Copies the tiles of terms k0 .. k0 + kTileK - 1 to shared memory.
  auto copyTiles = [&](Value k0) {
    for (int side = 0; side < 2; ++side) {
      const Operand &o = operands[side];
      Value tile = launch.getWorkgroupAttributions()[side];
      AffineMap map = op.getMatchingIndexingMap(o.operand);
      for (int64_t r = 0; r < o.tile * kTileK / kThreads; ++r) {
        Value element = add(thread, index(r * kThreads));
        int64_t fastest = o.kFastest ? kTileK : o.tile;
        Value inner = arith::RemUIOp::create(b, loc, element, index(fastest));
        Value outer = arith::DivUIOp::create(b, loc, element, index(fastest));
        Value kk = o.kFastest ? inner : outer;
        Value pos = o.kFastest ? outer : inner;
        SmallVector<Value> at = ivs;
        at[o.dim] = clamp(add(tileStart[side], pos), o.extent);
        at[c.k] = clamp(add(k0, kk), terms);
        Value value = memref::LoadOp::create(
            b, loc, o.operand->get(), gcomp::applyIndexingMap(b, loc, map, at));
        memref::StoreOp::create(b, loc, value, tile,
                                ValueRange{add(mul(kk, o.stride), pos)});
      }
    }
    gpu::BarrierOp::create(b, loc);
  };

  // Folds `steps` terms from the tiles into the accumulators.
  auto foldTiles = [&](int64_t steps, ValueRange accs) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(steps), index(1),
                                   accs);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kk = loop.getInductionVar();
    SmallVector<Value> elements[2];
    for (int side = 0; side < 2; ++side) {
      const Operand &o = operands[side];
      Value tile = launch.getWorkgroupAttributions()[side];
      Value rowStart = add(mul(kk, o.stride), threadPos[side]);
      int64_t spacing = o.tile / o.threadTile;
      for (int64_t i = 0; i < o.threadTile; ++i)
        elements[side].push_back(memref::LoadOp::create(
            b, loc, tile, ValueRange{add(rowStart, index(i * spacing))}));
    }
    SmallVector<Value> folded;
    for (auto [i, lhs] : llvm::enumerate(elements[0]))
      for (auto [j, rhs] : llvm::enumerate(elements[1]))
        folded.push_back(foldTerm(
            b, op, c, lhs, rhs,
            loop.getRegionIterArgs()[i * elements[1].size() + j]));
    scf::YieldOp::create(b, loc, folded);
    return SmallVector<Value>(loop.getResults());
  };

  // Whole tiles, then the rest of the terms (both counts are static).
  int64_t wholeTiles = terms / kTileK, rest = terms % kTileK;
  if (wholeTiles > 0) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(wholeTiles),
                                   index(1), accumulators);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    copyTiles(mul(loop.getInductionVar(), kTileK));
    SmallVector<Value> folded = foldTiles(kTileK, loop.getRegionIterArgs());
    // Every thread is done with the tiles before they are overwritten.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, folded);
    accumulators.assign(loop.getResults().begin(), loop.getResults().end());
  }
  if (rest > 0) {
    copyTiles(index(wholeTiles * kTileK));
    accumulators = foldTiles(rest, accumulators);
  }

  // The outputs inside the op's shape.
  for (auto [i, row] : llvm::enumerate(outPos[0]))
    for (auto [j, column] : llvm::enumerate(outPos[1])) {
      Value inside = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                index(rows)),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, column,
                                index(columns)));
      auto guard = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard insertion(b);
      b.setInsertionPointToStart(guard.thenBlock());
      ivs[c.m] = row;
      ivs[c.n] = column;
      memref::StoreOp::create(b, loc,
                              accumulators[i * outPos[1].size() + j], out,
                              gcomp::applyIndexingMap(b, loc, outMap, ivs));
    }
  op->erase();
  return success();
}
