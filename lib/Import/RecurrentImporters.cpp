//===- RecurrentImporters.cpp - RNN, GRU and LSTM as unrolled steps -------===//
//
// ONNX's recurrent layers over a sequence of static length T, written out
// as T steps of gcomp ops (as Scan is): first the input projection of all
// steps at once, one [T * batch, input] x [input, gates * hidden] product
// with the input biases (and the recurrent ones that add to it) folded
// in; then per step the recurrent product of the hidden state, the gates
// and the new state. Reverse runs the steps backwards; bidirectional both
// directions. With sequence_lens, a batch entry's state stops changing
// past its length and its outputs there are 0; its reverse direction
// starts at its last valid step (the state carried unchanged through the
// steps past its length gives exactly that).
//
// Gate order, activations and equations are ONNX's:
//   RNN   H = f(X Wi + H Ri + b)
//   GRU   z = f(X Wz + H Rz + b), r = f(X Wr + H Rr + b),
//         h = g(X Wh + (r . H) Rh + b) or, linear_before_reset,
//         h = g(X Wh + Wbh + r . (H Rh + Rbh)); H = (1 - z) . h + z . H
//   LSTM  i = f(X Wi + H Ri + P_i . C + b), f = f(... + P_f . C)
//         (or 1 - i with input_forget), c = g(X Wc + H Rc + b),
//         C = f . C + i . c, o = f(X Wo + H Ro + P_o . C + b), H = o . h(C)
//
//===----------------------------------------------------------------------===//

#include "ImporterInternal.h"

#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace llvm;

namespace gcomp::detail {
namespace {

/// The longest sequence unrolled (as for Scan and Loop).
constexpr int64_t kMaxSteps = 1024;

enum class Cell { RNN, GRU, LSTM };

struct Activation {
  std::string name;
  std::optional<float> alpha, beta;
};

/// An elementwise op of `x` by its ONNX name, with float attributes.
Value activationOp(NodeContext &nc, StringRef opName, Value x,
                   ArrayRef<std::pair<StringRef, float>> attrs) {
  OperationState state(nc.loc, opName);
  state.addOperands(x);
  state.addTypes(x.getType());
  for (auto [name, value] : attrs)
    state.addAttribute(name, nc.builder.getF32FloatAttr(value));
  return nc.builder.create(state)->getResult(0);
}

FailureOr<Value> activate(NodeContext &nc, const Activation &a, Value x) {
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  auto alpha = [&](float def) { return a.alpha.value_or(def); };
  auto beta = [&](float def) { return a.beta.value_or(def); };
  std::string name = StringRef(a.name).lower();
  if (name == "sigmoid")
    return Value(SigmoidOp::create(nc.builder, nc.loc, x));
  if (name == "tanh")
    return Value(TanhOp::create(nc.builder, nc.loc, x));
  if (name == "relu")
    return Value(ReluOp::create(nc.builder, nc.loc, x));
  if (name == "softsign")
    return Value(SoftsignOp::create(nc.builder, nc.loc, x));
  if (name == "softplus")
    return Value(SoftplusOp::create(nc.builder, nc.loc, x));
  if (name == "hardsigmoid")
    return activationOp(nc, HardSigmoidOp::getOperationName(), x,
                        {{"alpha", alpha(0.2f)}, {"beta", beta(0.5f)}});
  if (name == "leakyrelu")
    return activationOp(nc, LeakyReluOp::getOperationName(), x,
                        {{"alpha", alpha(0.01f)}});
  if (name == "thresholdedrelu")
    return activationOp(nc, ThresholdedReluOp::getOperationName(), x,
                        {{"alpha", alpha(1.0f)}});
  if (name == "elu")
    return activationOp(nc, EluOp::getOperationName(), x,
                        {{"alpha", alpha(1.0f)}});
  if (name == "affine")
    return bin<AddOp>(nc, bin<MulOp>(nc, x, scalar(nc, element, alpha(1.0f))),
                      scalar(nc, element, beta(0.0f)));
  if (name == "scaledtanh") {
    Value inner = bin<MulOp>(nc, x, scalar(nc, element, beta(1.0f)));
    return bin<MulOp>(nc, TanhOp::create(nc.builder, nc.loc, inner),
                      scalar(nc, element, alpha(1.0f)));
  }
  nc.error() << "activation '" << a.name
             << "' is not supported (Sigmoid, Tanh, Relu, HardSigmoid, "
                "LeakyRelu, ThresholdedRelu, Elu, Affine, ScaledTanh, "
                "Softsign, Softplus are)";
  return failure();
}

/// `v` sliced to [start, start + size) along `axis` (static shapes).
Value sliceAlong(NodeContext &nc, Value v, int64_t axis, int64_t start,
                 int64_t size) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> starts(type.getRank(), 0), steps(type.getRank(), 1),
      shape(type.getShape());
  starts[axis] = start;
  shape[axis] = size;
  if (start == 0 && size == type.getDimSize(axis))
    return v;
  return nc.builder.createOrFold<SliceOp>(
      nc.loc, type.clone(shape), v, nc.builder.getDenseI64ArrayAttr(starts),
      nc.builder.getDenseI64ArrayAttr(steps));
}

FailureOr<Value> concat(NodeContext &nc, ArrayRef<Value> pieces,
                        int64_t axis) {
  if (pieces.size() == 1)
    return pieces.front();
  FailureOr<RankedTensorType> type = inferConcatType(
      TypeRange(ValueRange(pieces)), axis, nc.errorFn());
  if (failed(type))
    return failure();
  return nc.builder.createOrFold<ConcatOp>(nc.loc, *type, pieces,
                                           nc.builder.getI64IntegerAttr(axis));
}

Value matmul(NodeContext &nc, Value a, Value b) {
  FailureOr<RankedTensorType> type =
      inferMatMulType(cast<RankedTensorType>(a.getType()),
                      cast<RankedTensorType>(b.getType()), nullptr);
  if (failed(type))
    return nc.mismatch(a, "a recurrent product", {a, b});
  return MatMulOp::create(nc.builder, nc.loc, *type, a, b);
}

LogicalResult importRecurrent(NodeContext &nc, Cell cell) {
  if (failed(nc.requireInputs(3)) || failed(nc.requireFloatInput(0)))
    return failure();
  const int64_t gates = cell == Cell::RNN ? 1 : cell == Cell::GRU ? 3 : 4;
  const unsigned numActivations =
      cell == Cell::RNN ? 1 : cell == Cell::GRU ? 2 : 3;
  const onnx::AttributeProto *dirAttr = nc.attr("direction");
  std::string direction = dirAttr ? dirAttr->s() : "forward";
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional") {
    nc.error() << "direction '" << direction
               << "' is not forward, reverse or bidirectional";
    return failure();
  }
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  const bool batchMajor = nc.intAttr("layout", 0) != 0;

  Value x = nc.inputs[0];
  RankedTensorType xType = nc.inputType(0);
  if (xType.getRank() != 3 || !xType.hasStaticShape()) {
    nc.error() << "expects a static 3-D input, got " << xType;
    return failure();
  }
  if (batchMajor)
    x = transposed(nc, x, {1, 0, 2});
  auto seqType = cast<RankedTensorType>(x.getType());
  const int64_t steps = seqType.getDimSize(0), batch = seqType.getDimSize(1),
                inputSize = seqType.getDimSize(2);
  Type element = seqType.getElementType();
  RankedTensorType wType = nc.inputType(1);
  int64_t hidden = nc.intAttr("hidden_size", wType.getRank() == 3
                                                  ? wType.getDimSize(1) / gates
                                                  : 0);
  auto expect = [&](Value v, ArrayRef<int64_t> shape,
                    StringRef what) -> LogicalResult {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getShape() == shape && type.getElementType() == element)
      return success();
    std::string want;
    for (auto [i, d] : llvm::enumerate(shape))
      want += (i ? "x" : "") + std::to_string(d);
    nc.error() << what << " should be " << want << "x" << element << ", got "
               << type;
    return failure();
  };
  // Bounded first so that the shapes below cannot overflow.
  if (hidden < 1 || hidden > (int64_t{1} << 32)) {
    nc.error() << "hidden_size " << hidden << " is out of range";
    return failure();
  }
  if (failed(expect(nc.inputs[1], {dirs, gates * hidden, inputSize}, "W")) ||
      failed(expect(nc.inputs[2], {dirs, gates * hidden, hidden}, "R")))
    return failure();
  if (steps < 1 || steps > kMaxSteps) {
    nc.error() << "sequences of " << steps
               << " steps are not supported: gcomp unrolls the steps, from 1 "
                  "to "
               << kMaxSteps;
    return failure();
  }
  auto input = [&](unsigned i) { return nc.optionalInput(i); };
  Value bias = input(3), lengths = input(4), initialH = input(5),
        initialC = cell == Cell::LSTM ? input(6) : Value(),
        peepholes = cell == Cell::LSTM ? input(7) : Value();
  if (bias && failed(expect(bias, {dirs, 2 * gates * hidden}, "B")))
    return failure();
  if (peepholes && failed(expect(peepholes, {dirs, 3 * hidden}, "P")))
    return failure();
  auto stateInput = [&](Value &v, StringRef what) -> LogicalResult {
    if (!v)
      return success();
    if (batchMajor)
      v = transposed(nc, v, {1, 0, 2});
    return expect(v, {dirs, batch, hidden}, what);
  };
  if (failed(stateInput(initialH, "initial_h")) ||
      failed(stateInput(initialC, "initial_c")))
    return failure();
  if (lengths) {
    auto type = nc.inputType(4);
    if (type.getShape() != ArrayRef<int64_t>{batch} ||
        !isa<IntegerType>(type.getElementType())) {
      nc.error() << "sequence_lens should be " << batch
                 << " integers, got " << type;
      return failure();
    }
  }

  // Activations: per direction, numActivations names.
  SmallVector<Activation> activations;
  if (const onnx::AttributeProto *names = nc.attr("activations")) {
    // activation_alpha and activation_beta are consumed in order by the
    // activations that take an alpha (a beta), as onnxruntime reads them;
    // the others keep their op's defaults.
    auto alphas = nc.attr("activation_alpha"), betas = nc.attr("activation_beta");
    int nextAlpha = 0, nextBeta = 0;
    for (int i = 0; i < names->strings_size(); ++i) {
      Activation a{names->strings(i), std::nullopt, std::nullopt};
      std::string name = StringRef(a.name).lower();
      bool takesAlpha = name == "leakyrelu" || name == "thresholdedrelu" ||
                        name == "scaledtanh" || name == "hardsigmoid" ||
                        name == "elu" || name == "affine";
      bool takesBeta =
          name == "scaledtanh" || name == "hardsigmoid" || name == "affine";
      if (takesAlpha && alphas && nextAlpha < alphas->floats_size())
        a.alpha = alphas->floats(nextAlpha++);
      if (takesBeta && betas && nextBeta < betas->floats_size())
        a.beta = betas->floats(nextBeta++);
      activations.push_back(a);
    }
  } else {
    for (int64_t d = 0; d < dirs; ++d) {
      if (cell == Cell::RNN) {
        activations.push_back({"Tanh", {}, {}});
        continue;
      }
      activations.push_back({"Sigmoid", {}, {}});
      activations.push_back({"Tanh", {}, {}});
      if (cell == Cell::LSTM)
        activations.push_back({"Tanh", {}, {}});
    }
  }
  if (static_cast<int64_t>(activations.size()) != numActivations * dirs) {
    nc.error() << "expects " << numActivations * dirs
               << " activations, got " << activations.size();
    return failure();
  }
  std::optional<float> clip;
  if (nc.attr("clip"))
    clip = nc.floatAttr("clip", 0.0f);
  const bool linearBeforeReset =
      cell == Cell::GRU && nc.intAttr("linear_before_reset", 0) != 0;
  const bool inputForget =
      cell == Cell::LSTM && nc.intAttr("input_forget", 0) != 0;

  auto clipped = [&](Value v) -> Value {
    if (!clip)
      return v;
    v = bin<MaxOp>(nc, v, scalar(nc, element, -*clip));
    return bin<MinOp>(nc, v, scalar(nc, element, *clip));
  };
  auto stateShape = [&](Value v, int64_t d) {
    return nc.reshape(sliceAlong(nc, v, 0, d, 1), {batch, hidden});
  };
  Value zeros = ConstantOp::create(
      nc.builder, nc.loc,
      DenseElementsAttr::get(RankedTensorType::get({batch, hidden}, element),
                             nc.builder.getFloatAttr(element, 0.0)));
  Value one = scalar(nc, element, 1.0);
  Value xRows = nc.reshape(x, {steps * batch, inputSize});

  SmallVector<Value> dirOutputs, lastH, lastC;
  for (int64_t d = 0; d < dirs; ++d) {
    bool reverse = direction == "reverse" || d == 1;
    ArrayRef<Activation> acts =
        ArrayRef(activations).slice(d * numActivations, numActivations);
    Value w = nc.reshape(sliceAlong(nc, nc.inputs[1], 0, d, 1),
                         {gates * hidden, inputSize});
    Value r = nc.reshape(sliceAlong(nc, nc.inputs[2], 0, d, 1),
                         {gates * hidden, hidden});
    // All steps' input projections, one product; the biases that add to
    // them (all but GRU's recurrent h bias with linear_before_reset).
    Value projected = matmul(nc, xRows, transposed(nc, w, {1, 0}));
    Value recurrentHBias;
    if (bias) {
      Value b = nc.reshape(sliceAlong(nc, bias, 0, d, 1), {2 * gates * hidden});
      Value wb = sliceAlong(nc, b, 0, 0, gates * hidden);
      Value rb = sliceAlong(nc, b, 0, gates * hidden, gates * hidden);
      if (linearBeforeReset) {
        recurrentHBias = sliceAlong(nc, rb, 0, 2 * hidden, hidden);
        Value zeroH = ConstantOp::create(
            nc.builder, nc.loc,
            DenseElementsAttr::get(RankedTensorType::get({hidden}, element),
                                   nc.builder.getFloatAttr(element, 0.0)));
        FailureOr<Value> rbZr =
            concat(nc, {sliceAlong(nc, rb, 0, 0, 2 * hidden), zeroH}, 0);
        if (failed(rbZr))
          return failure();
        rb = *rbZr;
      }
      projected = bin<AddOp>(nc, projected, bin<AddOp>(nc, wb, rb));
    }
    projected = nc.reshape(projected, {steps, batch, gates * hidden});
    Value rT = transposed(nc, r, {1, 0}); // [hidden, gates * hidden]
    // GRU without linear_before_reset multiplies r . H by Rh on its own.
    Value rZrT = rT, rHT;
    if (cell == Cell::GRU && !linearBeforeReset) {
      rZrT = sliceAlong(nc, rT, 1, 0, 2 * hidden);
      rHT = sliceAlong(nc, rT, 1, 2 * hidden, hidden);
    }
    Value pI, pO, pF;
    if (peepholes) {
      Value p = nc.reshape(sliceAlong(nc, peepholes, 0, d, 1), {3 * hidden});
      pI = sliceAlong(nc, p, 0, 0, hidden);
      pO = sliceAlong(nc, p, 0, hidden, hidden);
      pF = sliceAlong(nc, p, 0, 2 * hidden, hidden);
    }
    Value h = initialH ? stateShape(initialH, d) : zeros;
    Value c = initialC ? stateShape(initialC, d) : zeros;
    SmallVector<Value> outputs(steps);
    for (int64_t i = 0; i < steps; ++i) {
      int64_t t = reverse ? steps - 1 - i : i;
      Value xt = nc.reshape(sliceAlong(nc, projected, 0, t, 1),
                            {batch, gates * hidden});
      auto gate = [&](Value v, int64_t g) {
        return sliceAlong(nc, v, 1, g * hidden, hidden);
      };
      Value hNew, cNew;
      if (cell == Cell::RNN) {
        FailureOr<Value> y =
            activate(nc, acts[0], clipped(bin<AddOp>(nc, xt, matmul(nc, h, rT))));
        if (failed(y))
          return failure();
        hNew = *y;
      } else if (cell == Cell::LSTM) {
        Value pre = bin<AddOp>(nc, xt, matmul(nc, h, rT));
        Value preI = gate(pre, 0), preO = gate(pre, 1), preF = gate(pre, 2),
              preC = gate(pre, 3);
        if (pI) {
          preI = bin<AddOp>(nc, preI, bin<MulOp>(nc, pI, c));
          preF = bin<AddOp>(nc, preF, bin<MulOp>(nc, pF, c));
        }
        FailureOr<Value> in = activate(nc, acts[0], clipped(preI));
        if (failed(in))
          return failure();
        Value forget;
        if (inputForget) {
          forget = bin<SubOp>(nc, one, *in);
        } else {
          FailureOr<Value> f = activate(nc, acts[0], clipped(preF));
          if (failed(f))
            return failure();
          forget = *f;
        }
        FailureOr<Value> candidate = activate(nc, acts[1], clipped(preC));
        if (failed(candidate))
          return failure();
        cNew = bin<AddOp>(nc, bin<MulOp>(nc, forget, c),
                          bin<MulOp>(nc, *in, *candidate));
        if (pO)
          preO = bin<AddOp>(nc, preO, bin<MulOp>(nc, pO, cNew));
        FailureOr<Value> out = activate(nc, acts[0], clipped(preO));
        FailureOr<Value> cellOut = activate(nc, acts[2], cNew);
        if (failed(out) || failed(cellOut))
          return failure();
        hNew = bin<MulOp>(nc, *out, *cellOut);
      } else {
        Value hr = matmul(nc, h, rZrT);
        FailureOr<Value> z =
            activate(nc, acts[0], clipped(bin<AddOp>(nc, gate(xt, 0), gate(hr, 0))));
        FailureOr<Value> rg =
            activate(nc, acts[0], clipped(bin<AddOp>(nc, gate(xt, 1), gate(hr, 1))));
        if (failed(z) || failed(rg))
          return failure();
        Value preH;
        if (linearBeforeReset) {
          Value hh = gate(hr, 2);
          if (recurrentHBias)
            hh = bin<AddOp>(nc, hh, recurrentHBias);
          preH = bin<AddOp>(nc, gate(xt, 2), bin<MulOp>(nc, *rg, hh));
        } else {
          preH = bin<AddOp>(nc, gate(xt, 2),
                            matmul(nc, bin<MulOp>(nc, *rg, h), rHT));
        }
        FailureOr<Value> candidate = activate(nc, acts[1], clipped(preH));
        if (failed(candidate))
          return failure();
        hNew = bin<AddOp>(nc, bin<MulOp>(nc, bin<SubOp>(nc, one, *z), *candidate),
                          bin<MulOp>(nc, *z, h));
      }
      Value y = hNew;
      if (lengths) {
        // Entries whose sequence ended keep their state; their output is 0.
        Value step = ConstantOp::create(
            nc.builder, nc.loc,
            DenseElementsAttr::get(
                RankedTensorType::get({}, nc.inputType(4).getElementType()),
                nc.builder.getIntegerAttr(nc.inputType(4).getElementType(), t)));
        Value valid = nc.reshape(
            LessOp::create(nc.builder, nc.loc,
                           RankedTensorType::get({batch},
                                                 nc.builder.getI1Type()),
                           step, lengths),
            {batch, 1});
        auto select = [&](Value a, Value b) {
          return nc.builder.createOrFold<WhereOp>(nc.loc, a.getType(), valid,
                                                   a, b);
        };
        hNew = select(hNew, h);
        if (cNew)
          cNew = select(cNew, c);
        y = select(y, zeros);
      }
      h = hNew;
      if (cNew)
        c = cNew;
      outputs[t] = nc.reshape(y, {1, 1, batch, hidden});
    }
    FailureOr<Value> all = concat(nc, outputs, 0); // [T, 1, B, H]
    if (failed(all))
      return failure();
    dirOutputs.push_back(*all);
    lastH.push_back(nc.reshape(h, {1, batch, hidden}));
    lastC.push_back(nc.reshape(c, {1, batch, hidden}));
  }
  FailureOr<Value> y = concat(nc, dirOutputs, 1), yh = concat(nc, lastH, 0),
                   yc = concat(nc, lastC, 0);
  if (failed(y) || failed(yh) || failed(yc))
    return failure();
  Value outY = *y, outH = *yh, outC = *yc;
  if (batchMajor) {
    outY = transposed(nc, outY, {2, 0, 1, 3});
    outH = transposed(nc, outH, {1, 0, 2});
    outC = transposed(nc, outC, {1, 0, 2});
  }
  nc.outputs.append({outY, outH});
  if (cell == Cell::LSTM)
    nc.outputs.push_back(outC);
  return success();
}

LogicalResult importRNN(NodeContext &nc) {
  return importRecurrent(nc, Cell::RNN);
}
LogicalResult importGRU(NodeContext &nc) {
  return importRecurrent(nc, Cell::GRU);
}
LogicalResult importLSTM(NodeContext &nc) {
  return importRecurrent(nc, Cell::LSTM);
}

} // namespace

void addRecurrentImporters(StringMap<OpImporterFn> &table) {
  table["GRU"] = importGRU;
  table["LSTM"] = importLSTM;
  table["RNN"] = importRNN;
}

} // namespace gcomp::detail
