# RUN: %python %s | FileCheck %s
# RNN, GRU and LSTM against onnxruntime at the fp32 tolerances (rtol 1e-4,
# atol 1e-5): every direction, with and without sequence lengths (which
# end some batch entries early: their state stops, their outputs are 0,
# and their reverse pass starts at their last step), initial states,
# biases, peepholes, clip, linear_before_reset, input_forget, activations
# other than the defaults (with their alpha and beta, which the activations
# that take one consume in order, as onnxruntime reads them), batch-major
# layout (against onnxruntime's seq-major run, which has no other);
# and networks exported by torch (stacked bidirectional LSTM, batch-first
# GRU) with all three outputs.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import io

import numpy as np
from gcomp_testing import *

rng = np.random.default_rng(5)
res = Results()
T, B, I, H = 6, 3, 5, 4
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def recurrent(op, direction="forward", layout=0, lengths=False,
              initial=False, bias=True, peepholes=False, **attrs):
    dirs = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    inits = {"W": rng.uniform(-0.5, 0.5, (dirs, g * H, I)).astype(np.float32),
             "R": rng.uniform(-0.5, 0.5, (dirs, g * H, H)).astype(np.float32)}
    names = ["x", "W", "R", "", "", ""]
    inputs = [tensor_info("x", [B, T, I] if layout else [T, B, I])]
    feeds = {"x": rng.uniform(-1, 1, (B, T, I) if layout else (T, B, I))
             .astype(np.float32)}
    if bias:
        inits["B"] = rng.uniform(-0.5, 0.5, (dirs, 2 * g * H)).astype(np.float32)
        names[3] = "B"
    if lengths:
        names[4] = "lens"
        inputs.append(tensor_info("lens", [B], TensorProto.INT32))
        feeds["lens"] = np.array([T, 2, 4], np.int32)
    state = [B, dirs, H] if layout else [dirs, B, H]
    if initial:
        names[5] = "h0"
        inputs.append(tensor_info("h0", state))
        feeds["h0"] = rng.uniform(-1, 1, state).astype(np.float32)
        if op == "LSTM":
            names.append("c0")
            inputs.append(tensor_info("c0", state))
            feeds["c0"] = rng.uniform(-1, 1, state).astype(np.float32)
    if peepholes:
        while len(names) < 7:
            names.append("")
        names.append("P")
        inits["P"] = rng.uniform(-0.5, 0.5, (dirs, 3 * H)).astype(np.float32)
    while names and names[-1] == "":
        names.pop()
    y_shape = [B, T, dirs, H] if layout else [T, dirs, B, H]
    outs = ["y", "yh"] + (["yc"] if op == "LSTM" else [])
    outputs = [tensor_info("y", y_shape), tensor_info("yh", state)]
    if op == "LSTM":
        outputs.append(tensor_info("yc", state))
    node = helper.make_node(op, names, outs, hidden_size=H,
                            direction=direction, layout=layout, **attrs)
    return make_model([node], inputs, outputs, inits, opset=14), feeds


cases = {
    "RNN forward": recurrent("RNN"),
    "RNN bidirectional lengths": recurrent("RNN", "bidirectional", lengths=True),
    "RNN reverse relu clip": recurrent("RNN", "reverse", activations=["Relu"],
                                       clip=0.7),
    "RNN batch-major initial": recurrent("RNN", "bidirectional", layout=1,
                                         initial=True),
    "GRU forward": recurrent("GRU"),
    "GRU linear_before_reset": recurrent("GRU", "bidirectional",
                                         linear_before_reset=1, initial=True),
    "GRU reverse lengths": recurrent("GRU", "reverse", lengths=True,
                                     initial=True),
    "GRU no bias batch-major": recurrent("GRU", layout=1, bias=False),
    "GRU activations": recurrent(
        "GRU", activations=["HardSigmoid", "Softsign"],
        activation_alpha=[0.3], activation_beta=[0.4]),
    "LSTM forward": recurrent("LSTM"),
    "LSTM bidirectional lengths initial": recurrent(
        "LSTM", "bidirectional", lengths=True, initial=True),
    "LSTM peepholes reverse": recurrent("LSTM", "reverse", peepholes=True,
                                        initial=True),
    "LSTM input_forget clip": recurrent("LSTM", input_forget=1, clip=0.5),
    "LSTM batch-major lengths": recurrent("LSTM", "bidirectional", layout=1,
                                          lengths=True, initial=True,
                                          peepholes=True),
    "LSTM activations": recurrent(
        "LSTM", activations=["Sigmoid", "ScaledTanh", "Affine"],
        activation_alpha=[0.8, 0.5], activation_beta=[1.2, 0.1]),
}


def check_batch_major(label, model, feeds):
    """onnxruntime has no layout = 1: the same node with layout 0, on the
    transposed inputs, gives the reference, transposed back."""
    seq_major = onnx.ModelProto()
    seq_major.CopyFrom(model)
    node = seq_major.graph.node[0]
    for a in node.attribute:
        if a.name == "layout":
            a.i = 0
    for vi in list(seq_major.graph.input) + list(seq_major.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if len(dims) == 4:  # y: [B, T, D, H] -> [T, D, B, H]
            order = [1, 2, 0, 3]
        elif len(dims) == 3:  # x [B, T, I] -> [T, B, I]; states [B, D, H]
            order = [1, 0, 2]
        else:
            continue
        sizes = [dims[i].dim_value for i in order]
        for d, v in zip(dims, sizes):
            d.dim_value = v
    t_feeds = {k: (v.transpose(1, 0, 2) if v.ndim == 3 else v)
               for k, v in feeds.items()}
    sess = ort.InferenceSession(seq_major.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    expected = {k: np.ascontiguousarray(v.transpose(2, 0, 1, 3) if v.ndim == 4
                                        else v.transpose(1, 0, 2))
                for k, v in zip(names, sess.run(None, t_feeds))}
    check_expected(model, label, feeds, expected)


for label, (model, feeds) in cases.items():
    if "batch-major" in label:
        res.check(label, check_batch_major, label, model, feeds)
    else:
        res.check(label, check_against_onnxruntime, model, label, feeds=feeds)


def torch_model(module, example, names):
    import torch
    f = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module.eval(), example, f, opset_version=17,
                          input_names=["x"], output_names=names)
    return onnx.load_from_string(f.getvalue())


def torch_cases():
    import torch
    torch.manual_seed(0)

    class Stacked(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(8, 16, num_layers=2, bidirectional=True)
            self.head = torch.nn.Linear(32, 5)

        def forward(self, x):
            y, (h, c) = self.lstm(x)
            return self.head(y), h, c

    class BatchFirst(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(8, 12, batch_first=True)

        def forward(self, x):
            return self.gru(x)

    x = torch.rand(10, 2, 8)
    yield "torch stacked bidirectional LSTM", torch_model(
        Stacked(), x, ["y", "h", "c"]), {"x": x.numpy()}
    xb = torch.rand(2, 10, 8)
    yield "torch batch-first GRU", torch_model(
        BatchFirst(), xb, ["y", "h"]), {"x": xb.numpy()}


try:
    import torch  # noqa: F401
    for label, model, feeds in torch_cases():
        res.check(label, check_against_onnxruntime, model, label, feeds=feeds)
except ImportError:
    print("(torch is not installed: the exported networks are skipped)")

res.finish()
