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
// With TF32 allowed, an fp32 multiply-add product runs on tensor cores
// instead, from the same shared-memory tiles: the block's 8 warps, 2 x 4,
// each compute a (BM/2) x (BN/4) part of the tile as 16x8 pieces, 8 terms
// at a time (mma.sync m16n8k8, PTX ISA "Matrix Fragments for mma.m16n8k8"
// gives which elements each lane holds). There the terms past K are copied
// as zeros, since an mma folds 8 terms whether they exist or not.
//
//===----------------------------------------------------------------------===//

#include "GpuLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

/// Which tensor-core instruction computes `op`, a product whose body is
/// `acc + lhs * rhs` (in either order) with an f32 accumulator: on f32
/// inputs, TF32 (when allowed: it rounds the inputs); on f16 or bf16 inputs
/// widened to f32 by `arith.extf`, the f16 or bf16 mma with f32 sums, which
/// is exact for each product.
gcomp::TensorCoreKind tensorCoreKind(linalg::LinalgOp op,
                                     const gcomp::Contraction &c,
                                     const gcomp::TensorCoreOptions &options) {
  using Kind = gcomp::TensorCoreKind;
  if (!getElementTypeOrSelf(c.out->get().getType()).isF32())
    return Kind::None;
  Block *body = op.getBlock();
  Value acc = body->getArgument(c.out->getOperandNumber());
  Value lhs = body->getArgument(c.lhs->getOperandNumber());
  Value rhs = body->getArgument(c.rhs->getOperandNumber());
  auto add = body->getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add || (add.getLhs() != acc && add.getRhs() != acc))
    return Kind::None;
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return Kind::None;
  // The multiplicands, seen through a widening.
  auto source = [](Value v) {
    auto ext = v.getDefiningOp<arith::ExtFOp>();
    return ext ? ext.getIn() : v;
  };
  Value x = source(mul.getLhs()), y = source(mul.getRhs());
  if (!((x == lhs && y == rhs) || (x == rhs && y == lhs)))
    return Kind::None;
  // Nothing else in the body (a second use of an input, say).
  int64_t widenings = (x != mul.getLhs()) + (y != mul.getRhs());
  if (std::distance(body->begin(), body->end()) != 3 + widenings)
    return Kind::None;
  Type lhsType = lhs.getType(), rhsType = rhs.getType();
  if (lhsType != rhsType)
    return Kind::None;
  if (lhsType.isF32() && options.tf32)
    return Kind::TF32;
  if (lhsType.isF16() && options.half)
    return Kind::F16;
  if (lhsType.isBF16() && options.half)
    return Kind::BF16;
  return Kind::None;
}

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
                                             const gcomp::OutputStart &start,
                                             const TensorCoreOptions &options,
                                             const Epilogue &epilogue) {
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
  TensorCoreKind mmaKind = tensorCoreKind(op, c, options);
  bool tensorCores = mmaKind != TensorCoreKind::None;
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

  // With tensor cores: the warp's part of the tile (its first row and
  // column in the tile), and the lane's group and place in it.
  constexpr int64_t kWarpRows = 2, kWarpColumns = 4;
  constexpr int64_t kMmaRows = 16, kMmaColumns = 8;
  const int64_t kMmaTerms = mmaKind == TensorCoreKind::TF32 ? 8 : 16;
  int64_t warpTile[2] = {shape.rows / kWarpRows, shape.columns / kWarpColumns};
  int64_t mmaCount[2] = {warpTile[0] / kMmaRows, warpTile[1] / kMmaColumns};
  Value warpStart[2], group, inGroup;
  if (tensorCores) {
    Value warp = arith::DivUIOp::create(b, loc, thread, index(32));
    Value lane = arith::RemUIOp::create(b, loc, thread, index(32));
    warpStart[0] = mul(arith::DivUIOp::create(b, loc, warp, index(kWarpColumns)),
                       warpTile[0]);
    warpStart[1] = mul(arith::RemUIOp::create(b, loc, warp, index(kWarpColumns)),
                       warpTile[1]);
    group = arith::DivUIOp::create(b, loc, lane, index(4));
    inGroup = arith::RemUIOp::create(b, loc, lane, index(4));
  }

  // The thread's rows and columns of the output (in the tile), and their
  // clamped copies (in the op). On tensor cores, a lane holds rows g and
  // g + 8 of each 16x8 piece, and columns 2t and 2t + 1.
  SmallVector<Value> tilePos[2], outPos[2], clampedPos[2];
  for (int side = 0; side < 2; ++side) {
    const Operand &o = operands[side];
    if (tensorCores) {
      for (int64_t i = 0; i < mmaCount[side]; ++i)
        for (int64_t r = 0; r < 2; ++r) {
          Value piece = add(warpStart[side],
                            index(i * (side == 0 ? kMmaRows : kMmaColumns)));
          tilePos[side].push_back(
              side == 0 ? add(add(piece, group), index(8 * r))
                        : add(add(piece, mul(inGroup, 2)), index(r)));
        }
    } else {
      int64_t spacing = o.tile / o.threadTile;
      for (int64_t i = 0; i < o.threadTile; ++i)
        tilePos[side].push_back(add(threadPos[side], index(i * spacing)));
    }
    for (Value pos : tilePos[side]) {
      outPos[side].push_back(add(tileStart[side], pos));
      clampedPos[side].push_back(clamp(outPos[side].back(), o.extent));
    }
  }

  // Accumulators, in registers: the output's values, or their start.
  AffineMap outMap = op.getMatchingIndexingMap(c.out);
  Value out = c.out->get();
  SmallVector<Value> accumulators;
  for (Value row : clampedPos[0])
    for (Value column : clampedPos[1]) {
      ivs[c.m] = row;
      ivs[c.n] = column;
      SmallVector<Value> indices =
          gcomp::applyIndexingMap(b, loc, outMap, ivs);
      accumulators.push_back(
          start ? start.at(b, loc, indices)
                : memref::LoadOp::create(b, loc, out, indices).getResult());
    }

  // Copies the tiles of terms k0 .. k0 + kTileK - 1 to shared memory. On
  // tensor cores, terms past K as zeros (an mma folds 8 or 16 terms), and
  // in TF32 the values rounded to nearest (cvt.rna.tf32.f32, as cuBLAS
  // does; the mma would truncate them, with twice the error).
  auto copyTiles = [&](Value k0, bool pastEnd) {
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
        if (mmaKind == TensorCoreKind::TF32) {
          auto rounded = NVVM::ConvertFloatToTF32Op::create(
              b, loc, b.getI32Type(), value, NVVM::FPRoundingMode::RNA,
              NVVM::SaturationMode::NONE, /*relu=*/false);
          value = arith::BitcastOp::create(b, loc, value.getType(), rounded);
        }
        if (tensorCores && pastEnd) {
          Value inside = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ult, add(k0, kk), index(terms));
          Value zero = arith::ConstantOp::create(
              b, loc, b.getZeroAttr(value.getType()));
          value = arith::SelectOp::create(b, loc, inside, value, zero);
        }
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

  // Folds `steps` terms (rounded up to 8, or 16 for halves) from the tiles
  // into the accumulators on tensor cores.
  auto multiplyTiles = [&](int64_t steps, ValueRange accs) {
    auto loop = scf::ForOp::create(b, loc, index(0),
                                   index(llvm::divideCeil(steps, kMmaTerms)),
                                   index(1), accs);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value kFirst = mul(loop.getInductionVar(), kMmaTerms);
    Value tiles[2] = {launch.getWorkgroupAttributions()[0],
                      launch.getWorkgroupAttributions()[1]};
    auto element = [&](int side, Value k, Value pos) -> Value {
      return memref::LoadOp::create(
          b, loc, tiles[side],
          ValueRange{add(mul(k, operands[side].stride), pos)});
    };
    Type f32 = b.getF32Type();
    SmallVector<SmallVector<Value>> aFragments, bFragments;
    if (mmaKind == TensorCoreKind::TF32) {
      // A (16 x 8) holds rows g, g + 8 and terms t, t + 4; B (8 x 8) terms
      // t, t + 4 and column g.
      Value kLow = add(kFirst, inGroup), kHigh = add(kLow, index(4));
      for (int64_t i = 0; i < mmaCount[0]; ++i) {
        Value row = add(add(warpStart[0], index(i * kMmaRows)), group);
        Value row8 = add(row, index(8));
        aFragments.push_back({vector::FromElementsOp::create(
            b, loc, VectorType::get({4, 1}, f32),
            ValueRange{element(0, kLow, row), element(0, kLow, row8),
                       element(0, kHigh, row), element(0, kHigh, row8)})});
      }
      for (int64_t j = 0; j < mmaCount[1]; ++j) {
        Value column = add(add(warpStart[1], index(j * kMmaColumns)), group);
        bFragments.push_back({vector::FromElementsOp::create(
            b, loc, VectorType::get({2, 1}, f32),
            ValueRange{element(1, kLow, column), element(1, kHigh, column)})});
      }
    } else {
      // Halves, two to a 32-bit register: A (16 x 16) holds rows g, g + 8
      // and terms (2t, 2t + 1), (2t + 8, 2t + 9), in the order (g, low
      // terms), (g + 8, low), (g, high), (g + 8, high); B (16 x 8) terms
      // (2t, 2t + 1) then (2t + 8, 2t + 9) of column g. The nvvm op takes
      // f16 pairs as vector<2xf16> and bf16 pairs as i32, low half first.
      auto pair = [&](int side, Value k, Value pos) -> Value {
        Value first = element(side, k, pos);
        Value second = element(side, add(k, index(1)), pos);
        if (mmaKind == TensorCoreKind::F16)
          return vector::FromElementsOp::create(
              b, loc, VectorType::get({2}, first.getType()),
              ValueRange{first, second});
        auto bits = [&](Value half) -> Value {
          return arith::ExtUIOp::create(
              b, loc, b.getI32Type(),
              arith::BitcastOp::create(b, loc, b.getI16Type(), half));
        };
        return arith::OrIOp::create(
            b, loc, bits(first),
            arith::ShLIOp::create(
                b, loc, bits(second),
                arith::ConstantIntOp::create(b, loc, b.getI32Type(), 16)));
      };
      Value kLow = add(kFirst, mul(inGroup, 2)), kHigh = add(kLow, index(8));
      for (int64_t i = 0; i < mmaCount[0]; ++i) {
        Value row = add(add(warpStart[0], index(i * kMmaRows)), group);
        Value row8 = add(row, index(8));
        aFragments.push_back({pair(0, kLow, row), pair(0, kLow, row8),
                              pair(0, kHigh, row), pair(0, kHigh, row8)});
      }
      for (int64_t j = 0; j < mmaCount[1]; ++j) {
        Value column = add(add(warpStart[1], index(j * kMmaColumns)), group);
        bFragments.push_back({pair(1, kLow, column), pair(1, kHigh, column)});
      }
    }
    // Each piece's accumulators: rows (g, g + 8) x columns (2t, 2t + 1).
    SmallVector<Value> folded(loop.getRegionIterArgs());
    int64_t columnsHeld = 2 * mmaCount[1];
    for (int64_t i = 0; i < mmaCount[0]; ++i)
      for (int64_t j = 0; j < mmaCount[1]; ++j) {
        auto at = [&](int64_t r, int64_t cc) {
          return (2 * i + r) * columnsHeld + 2 * j + cc;
        };
        if (mmaKind == TensorCoreKind::TF32) {
          Value piece = vector::FromElementsOp::create(
              b, loc, VectorType::get({2, 2}, f32),
              ValueRange{folded[at(0, 0)], folded[at(0, 1)], folded[at(1, 0)],
                         folded[at(1, 1)]});
          Value product = nvgpu::MmaSyncOp::create(
              b, loc, aFragments[i][0], bFragments[j][0], piece,
              ArrayRef<int64_t>{kMmaRows, kMmaColumns, kMmaTerms},
              /*tf32Enabled=*/true);
          for (int64_t r = 0; r < 2; ++r)
            for (int64_t cc = 0; cc < 2; ++cc)
              folded[at(r, cc)] = vector::ExtractOp::create(
                  b, loc, product, ArrayRef<int64_t>{r, cc});
          continue;
        }
        // nvgpu.mma.sync has no bf16 form: nvvm's op, for both halves.
        NVVM::MMATypes type = mmaKind == TensorCoreKind::F16
                                  ? NVVM::MMATypes::f16
                                  : NVVM::MMATypes::bf16;
        auto resultType = LLVM::LLVMStructType::getLiteral(
            ctx, SmallVector<Type>(4, f32));
        Value product = NVVM::MmaOp::create(
            b, loc, resultType, aFragments[i], bFragments[j],
            ValueRange{folded[at(0, 0)], folded[at(0, 1)], folded[at(1, 0)],
                       folded[at(1, 1)]},
            ArrayRef<int64_t>{kMmaRows, kMmaColumns, kMmaTerms},
            /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
            std::array<NVVM::MMATypes, 2>{type, type},
            std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                           NVVM::MMALayout::col});
        for (int64_t r = 0; r < 2; ++r)
          for (int64_t cc = 0; cc < 2; ++cc)
            folded[at(r, cc)] = LLVM::ExtractValueOp::create(
                b, loc, product, ArrayRef<int64_t>{2 * r + cc});
      }
    scf::YieldOp::create(b, loc, folded);
    return SmallVector<Value>(loop.getResults());
  };
  auto fold = [&](int64_t steps, ValueRange accs) {
    return tensorCores ? multiplyTiles(steps, accs) : foldTiles(steps, accs);
  };

  // Whole tiles, then the rest of the terms (both counts are static).
  int64_t wholeTiles = terms / kTileK, rest = terms % kTileK;
  if (wholeTiles > 0) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(wholeTiles),
                                   index(1), accumulators);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    copyTiles(mul(loop.getInductionVar(), kTileK), /*pastEnd=*/false);
    SmallVector<Value> folded = fold(kTileK, loop.getRegionIterArgs());
    // Every thread is done with the tiles before they are overwritten.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, folded);
    accumulators.assign(loop.getResults().begin(), loop.getResults().end());
  }
  if (rest > 0) {
    copyTiles(index(wholeTiles * kTileK), /*pastEnd=*/true);
    accumulators = fold(rest, accumulators);
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
      Value result = accumulators[i * outPos[1].size() + j];
      SmallVector<Value> indices = gcomp::applyIndexingMap(b, loc, outMap, ivs);
      if (epilogue)
        epilogue.store(b, loc, result, indices);
      else
        memref::StoreOp::create(b, loc, result, out, indices);
    }
  op->erase();
  return success();
}
