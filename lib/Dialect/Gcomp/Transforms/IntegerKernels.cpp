//===- IntegerKernels.cpp - int8 operands of the runtime's kernels --------===//

#include "IntegerKernels.h"

using namespace mlir;

namespace gcomp {

std::optional<std::vector<int32_t>> constantInts(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  if (!type.hasStaticShape())
    return std::nullopt;
  if (auto constant = v.getDefiningOp<ConstantOp>()) {
    unsigned bits = type.getElementType().getIntOrFloatBitWidth();
    if (!type.getElementType().isSignlessInteger() || (bits != 8 && bits != 32))
      return std::nullopt;
    std::vector<char> storage;
    std::optional<ArrayRef<char>> raw = rawBytes(constant.getValue(), storage);
    if (!raw)
      return std::nullopt;
    std::vector<int32_t> values(type.getNumElements());
    for (size_t i = 0; i < values.size(); ++i) {
      if (bits == 8) {
        values[i] = static_cast<int8_t>((*raw)[i]);
      } else {
        std::memcpy(&values[i], raw->data() + i * sizeof(int32_t),
                    sizeof(int32_t));
      }
    }
    return values;
  }
  if (auto cast = v.getDefiningOp<CastOp>()) {
    Type from = cast.getInput().getType().getElementType();
    if (!from.isSignlessInteger(8) || !type.getElementType().isSignlessInteger(32))
      return std::nullopt;
    std::optional<std::vector<int32_t>> values = constantInts(cast.getInput());
    if (values && cast.getUnsignedInput())
      for (int32_t &x : *values)
        x &= 0xff;
    return values;
  }
  if (auto sub = v.getDefiningOp<SubOp>()) {
    if (sub.getLhs().getType() != type)
      return std::nullopt;
    std::optional<std::vector<int32_t>> values = constantInts(sub.getLhs()),
                                        zero = constantInts(sub.getRhs());
    if (!values || !zero || values->empty())
      return std::nullopt;
    // One zero point, or one per index of the last dim ([1, ..., 1, N]).
    auto zeroType = cast<RankedTensorType>(sub.getRhs().getType());
    int64_t last = type.getRank() ? type.getShape().back() : 1;
    bool perLast = static_cast<int64_t>(zero->size()) == last &&
                   zeroType.getRank() >= 1 &&
                   zeroType.getShape().back() == last &&
                   zeroType.getRank() <= type.getRank();
    if (zero->size() != 1 && !perLast)
      return std::nullopt;
    for (size_t i = 0; i < values->size(); ++i)
      (*values)[i] -= (*zero)[zero->size() == 1 ? 0 : i % last];
    return values;
  }
  return std::nullopt;
}

std::optional<std::vector<int8_t>> constantInt8s(Value v) {
  std::optional<std::vector<int32_t>> values = constantInts(v);
  if (!values)
    return std::nullopt;
  std::vector<int8_t> result(values->size());
  for (size_t i = 0; i < result.size(); ++i) {
    if ((*values)[i] < -128 || (*values)[i] > 127)
      return std::nullopt;
    result[i] = static_cast<int8_t>((*values)[i]);
  }
  return result;
}

PackedInt8Matrix packInt8Matrix(ArrayRef<int8_t> values, int64_t k, int64_t n,
                                int64_t kPacked) {
  const int64_t block = GCOMP_QGEMM_BLOCK, k4 = (kPacked + 3) / 4,
                blocks = (n + block - 1) / block;
  PackedInt8Matrix packed;
  packed.bytes.assign(blocks * k4 * 4 * block, 0);
  packed.sums.assign(blocks * block, 0);
  for (int64_t p = 0; p < k; ++p)
    for (int64_t j = 0; j < n; ++j) {
      int8_t w = values[p * n + j];
      packed.bytes[(j / block) * k4 * 4 * block + (p / 4) * 4 * block +
                   ((j % block) / 16) * 64 + (j % 16) * 4 + p % 4] = w;
      packed.sums[j] += w;
    }
  return packed;
}

std::pair<Value, Value> makePackedConstants(OpBuilder &b, Location loc,
                                            const PackedInt8Matrix &packed,
                                            StringRef name) {
  MLIRContext *ctx = b.getContext();
  Value bytes = makeConstant(
      b, loc,
      RankedTensorType::get({static_cast<int64_t>(packed.bytes.size())},
                            IntegerType::get(ctx, 8)),
      packed.bytes, (name + "_weights").str());
  Value sums = makeConstant(
      b, loc,
      RankedTensorType::get({static_cast<int64_t>(packed.sums.size())},
                            IntegerType::get(ctx, 32)),
      ArrayRef(reinterpret_cast<const char *>(packed.sums.data()),
               packed.sums.size() * sizeof(int32_t)),
      (name + "_sums").str());
  return {bytes, sums};
}

Value scalarZeroPoint(OpBuilder &b, Location loc, const Int8Activations &act) {
  auto scalar = RankedTensorType::get({}, b.getI32Type());
  if (act.zeroPoint)
    return b.createOrFold<ReshapeOp>(loc, scalar, act.zeroPoint);
  return ConstantOp::create(b, loc, DenseElementsAttr::get(scalar, int32_t(0)));
}

} // namespace gcomp
