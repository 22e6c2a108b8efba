# RUN: %python %s | FileCheck %s
# The signal ops (DFT, STFT, the window functions, MelWeightMatrix), a
# log-mel spectrogram front end made of them, ReverseSequence and the
# Bitwise ops, against onnxruntime on the same inputs.
#
# Tolerances: the windows and the mel matrix are computed at compile time
# in double and rounded once: rtol 1e-6. ReverseSequence and the bitwise
# ops move or combine bits: exact.
#
# A DFT output of length n sums n products of f32 values; gcomp does it as
# a matrix product with twiddles computed in double, so its error against
# the exact transform (numpy's, in float64) stays within n * 2^-23 * 4 *
# max|x| (inputs are within [-1, 1]: atol 4.8e-7 * n). onnxruntime's DFT is
# less accurate than that (its twiddles are f32: 9e-5 off at n = 48, and
# the imaginary part of a 400-point STFT's Nyquist bin, exactly 0, comes
# out as 4e-4), so against onnxruntime the check allows onnxruntime's own
# distance from the exact transform on top of gcomp's bound.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import sys
import tempfile

import numpy as np
from gcomp_testing import *

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import gcomp  # noqa: E402

res = Results()
rng = np.random.default_rng(17)
F, I64 = TensorProto.FLOAT, TensorProto.INT64


def dft_atol(n):
    return 4.8e-7 * n


def signal(*shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def check_transform(label, model, feeds, exact, atol):
    """gcomp's output y within `atol` of `exact` (float64) and within that
    plus onnxruntime's own error of onnxruntime's output."""
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    theirs = sess.run(None, feeds)[0].astype(np.float64)
    with tempfile.TemporaryDirectory() as d:
        _, so = compile_model(model, d)
        with gcomp.load(so) as m:
            ours = m.run(**feeds)["y"].astype(np.float64)
    assert ours.shape == exact.shape, f"{ours.shape} vs {exact.shape}"
    err = np.abs(ours - exact).max()
    assert err <= atol, f"{err:.3g} from the exact transform"
    ort_err = np.abs(theirs - exact).max()
    diff = np.abs(ours - theirs).max()
    assert diff <= ort_err + atol, \
        f"{diff:.3g} from onnxruntime, whose own error is {ort_err:.3g}"
    print(f"PASS {label}: {err:.2g} from exact (onnxruntime {ort_err:.2g})")


def complex_of(x):
    return x[..., 0] + (1j * x[..., 1] if x.shape[-1] == 2 else 0)


def parts(z):
    return np.stack([z.real, z.imag], -1)


# --- DFT -------------------------------------------------------------------
def dft(label, shape, out_shape, opset=17, dft_length=None, axis=None,
        **attrs):
    inits = {}
    names = ["x"]
    if dft_length is not None:
        inits["len"] = np.array(dft_length, np.int64)
        names.append("len")
    if opset >= 20 and axis is not None:
        if dft_length is None:
            names.append("")
        inits["axis"] = np.array(axis, np.int64)
        names.append("axis")
    elif axis is not None:
        attrs["axis"] = axis
    model = make_model([helper.make_node("DFT", names, ["y"], **attrs)],
                       [tensor_info("x", shape)], [tensor_info("y", out_shape)],
                       inits, opset=opset)
    x = signal(*shape)
    ax = (axis if axis is not None else (1 if opset < 20 else -2)) % len(shape)
    z = complex_of(x.astype(np.float64))
    length = dft_length or shape[ax]
    if attrs.get("inverse"):
        exact = parts(np.fft.ifft(z, n=length, axis=ax))
    else:
        exact = np.fft.fft(z, n=length, axis=ax)
        if attrs.get("onesided"):
            exact = np.take(exact, np.arange(length // 2 + 1), axis=ax)
        exact = parts(exact)
    res.check(label, check_transform, label, model, {"x": x}, exact,
              dft_atol(max(length, shape[ax])))


dft("DFT real", [2, 64, 1], [2, 64, 2])
dft("DFT complex", [2, 48, 2], [2, 48, 2])
dft("DFT onesided", [3, 64, 1], [3, 33, 2], onesided=1)
dft("DFT inverse", [2, 32, 2], [2, 32, 2], inverse=1)
dft("DFT padded dft_length", [2, 24, 1], [2, 40, 2], dft_length=40)
dft("DFT truncated dft_length", [2, 40, 2], [2, 24, 2], dft_length=24)
dft("DFT axis 0 of rank 3", [16, 3, 1], [16, 3, 2], axis=0)
dft("DFT opset 20 axis input", [2, 5, 32, 2], [2, 5, 32, 2], opset=20,
    axis=-2)
dft("DFT opset 20 axis 1", [2, 20, 3, 1], [2, 11, 3, 2], opset=20, axis=1,
    onesided=1)

# --- STFT ------------------------------------------------------------------
hann = (np.sin(np.pi * np.arange(400) / 400) ** 2).astype(np.float32)


def stft(label, length, step, frame, window="constant", onesided=1, c=1):
    frames = 1 + (length - frame) // step
    bins = frame // 2 + 1 if onesided else frame
    inputs = [tensor_info("x", [2, length, c])]
    inits = {"step": np.array(step, np.int64)}
    names = ["x", "step"]
    feeds = {"x": signal(2, length, c)}
    if window == "constant":
        inits["w"] = hann[:frame] if frame == 400 else signal(frame)
        names.append("w")
    elif window == "input":
        inputs.append(tensor_info("w", [frame]))
        feeds["w"] = signal(frame)
        names.append("w")
    else:
        names += ["", "flen"]
        inits["flen"] = np.array(frame, np.int64)
    model = make_model(
        [helper.make_node("STFT", names, ["y"], onesided=onesided)], inputs,
        [tensor_info("y", [2, frames, bins, 2])], inits)
    w = (inits.get("w") if window == "constant" else feeds.get("w"))
    w = np.ones(frame) if w is None else w.astype(np.float64)
    z = complex_of(feeds["x"].astype(np.float64))
    framed = np.stack([z[:, f * step:f * step + frame] * w
                       for f in range(frames)], 1)
    exact = parts(np.fft.fft(framed, axis=-1)[..., :bins])
    res.check(label, check_transform, label, model, feeds, exact,
              dft_atol(frame))


stft("STFT hann window 400/160", 1600, 160, 400)
stft("STFT window input", 300, 50, 64, window="input")
stft("STFT frame_length, no window", 256, 64, 64, window=None)
stft("STFT complex two-sided", 200, 40, 32, window="input", onesided=0, c=2)

# --- Windows and MelWeightMatrix -----------------------------------------
for op in ["HannWindow", "HammingWindow", "BlackmanWindow"]:
    for periodic in [1, 0]:
        label = f"{op} {'periodic' if periodic else 'symmetric'}"
        model = make_model(
            [helper.make_node(op, ["size"], ["y"], periodic=periodic)],
            [tensor_info("x", [1])], [tensor_info("y", [50])],
            {"size": np.array(50, np.int64)})
        # A model needs an input: x is passed through.
        model.graph.output.append(tensor_info("x", [1]))
        res.check(label, check_against_onnxruntime, model, label,
                  feeds={"x": signal(1)}, rtol=1e-6, atol=1e-7)

mel_inits = {"bins": np.array(40, np.int64), "dft": np.array(400, np.int64),
             "rate": np.array(16000, np.int64),
             "lo": np.array(20.0, np.float32), "hi": np.array(8000.0, np.float32)}
model = make_model(
    [helper.make_node("MelWeightMatrix", ["bins", "dft", "rate", "lo", "hi"],
                      ["y"])],
    [tensor_info("x", [1])], [tensor_info("y", [201, 40])], mel_inits)
model.graph.output.append(tensor_info("x", [1]))
res.check("MelWeightMatrix", check_against_onnxruntime, model,
          "MelWeightMatrix", feeds={"x": signal(1)}, rtol=1e-6, atol=1e-7)

# A log-mel spectrogram: STFT with a Hann window, the power of each bin,
# the mel filters, log; against the same steps in float64 (the mel matrix
# as checked above). The power sums 400 squared products of values up to
# about 20: its f32 error is about 1e-4 of the largest bin, and log turns
# it into an error relative to each bin: atol 1e-4 on the logs of bins
# above 1e-2, which these are.
nodes = [
    helper.make_node("HannWindow", ["n"], ["w"]),
    helper.make_node("STFT", ["x", "step", "w"], ["s"]),
    helper.make_node("Mul", ["s", "s"], ["sq"]),
    helper.make_node("ReduceSum", ["sq", "last"], ["power"], keepdims=0),
    helper.make_node("MelWeightMatrix", ["bins", "dft", "rate", "lo", "hi"],
                     ["mel"]),
    helper.make_node("MatMul", ["power", "mel"], ["m"]),
    helper.make_node("Add", ["m", "eps"], ["me"]),
    helper.make_node("Log", ["me"], ["y"]),
]
model = make_model(
    nodes, [tensor_info("x", [1, 3200, 1])], [tensor_info("y", [1, 18, 40])],
    {"n": np.array(400, np.int64), "step": np.array(160, np.int64),
     "last": np.array([-1], np.int64), "eps": np.array(1e-6, np.float32),
     **mel_inits})
x = signal(1, 3200, 1)
mel = ort.InferenceSession(
    make_model([helper.make_node("MelWeightMatrix",
                                 ["bins", "dft", "rate", "lo", "hi"], ["y"])],
               [tensor_info("x", [1])], [tensor_info("y", [201, 40])],
               mel_inits).SerializeToString(),
    providers=["CPUExecutionProvider"]).run(None, {"x": x[0, 0]})[0]
frames = np.stack([x[0, f * 160:f * 160 + 400, 0] * hann.astype(np.float64)
                   for f in range(18)])
power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
exact = np.log(power @ mel.astype(np.float64) + 1e-6)[None]
assert exact.min() > np.log(1e-2)
res.check("log-mel spectrogram", check_transform, "log-mel spectrogram",
          model, {"x": x}, exact, 1e-4)

# --- ReverseSequence -------------------------------------------------------
for time_axis, batch_axis, shape in [(0, 1, [6, 4, 3]), (1, 0, [4, 6, 3])]:
    label = f"ReverseSequence time_axis {time_axis}"
    model = make_model(
        [helper.make_node("ReverseSequence", ["x", "lens"], ["y"],
                          time_axis=time_axis, batch_axis=batch_axis)],
        [tensor_info("x", shape), tensor_info("lens", [4], I64)],
        [tensor_info("y", shape)])
    res.check(label, check_against_onnxruntime, model, label,
              feeds={"x": signal(*shape),
                     "lens": np.array([6, 0, 1, 4], np.int64)},
              rtol=0, atol=0)

# --- Bitwise ops ------------------------------------------------------------
for op, dtype, np_type in [("BitwiseAnd", TensorProto.INT32, np.int32),
                           ("BitwiseOr", TensorProto.UINT8, np.uint8),
                           ("BitwiseXor", TensorProto.INT64, np.int64)]:
    model = make_model([helper.make_node(op, ["a", "b"], ["y"])],
                       [tensor_info("a", [3, 4], dtype),
                        tensor_info("b", [4], dtype)],
                       [tensor_info("y", [3, 4], dtype)], opset=18)
    info = np.iinfo(np_type)
    feeds = {k: rng.integers(info.min, info.max, s, dtype=np_type,
                             endpoint=True)
             for k, s in [("a", (3, 4)), ("b", (4,))]}
    res.check(op, check_against_onnxruntime, model, op, feeds=feeds,
              rtol=0, atol=0)
for dtype, np_type in [(TensorProto.INT16, np.int16),
                       (TensorProto.UINT64, np.uint64)]:
    label = f"BitwiseNot {np.dtype(np_type).name}"
    model = make_model([helper.make_node("BitwiseNot", ["a"], ["y"])],
                       [tensor_info("a", [2, 5], dtype)],
                       [tensor_info("y", [2, 5], dtype)], opset=18)
    info = np.iinfo(np_type)
    res.check(label, check_against_onnxruntime, model, label,
              feeds={"a": rng.integers(info.min, info.max, (2, 5),
                                       dtype=np_type, endpoint=True)},
              rtol=0, atol=0)

res.finish()
