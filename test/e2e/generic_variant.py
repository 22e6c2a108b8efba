# RUN: %python %s | FileCheck %s
# Symbolic dims compiled as they are (the generic variant): one library,
# compiled once with no flag for the dims, runs every size and matches
# onnxruntime at each; the runtime checks the dims the code reads as one
# size, names the input, the dim and the rule when they disagree, and sizes
# the outputs from the inputs (gcomp-run's run_alloc and the Python
# package's run into caller buffers both). Attention over a symbolic batch
# and sequence (with BERT's padding mask from an input too) runs as the
# runtime's fused attention kernel; a pooler head merges and splits the
# symbolic dims, gathers the last token and averages over the sequence;
# slices of parts of the sequence have ONNX's clamped bounds at every size;
# a KV cache's concatenation is an output of past + seq rows.
# Convolutions, pooling and the classifier of a small CNN over a symbolic
# batch stay in the runtime's kernels.
# CHECK: PASS mlp signature
# CHECK: PASS mlp 1x2
# CHECK: PASS mlp 3x7
# CHECK: PASS mlp 17x5
# CHECK: PASS mlp empty batch
# CHECK: PASS mlp python 4x3
# CHECK: PASS seq mismatch refused
# CHECK: PASS static dim refused
# CHECK: PASS attention 1x5
# CHECK: PASS attention 3x7
# CHECK: PASS attention 2x1
# CHECK: PASS attention kernels
# CHECK: PASS masked attention 1x5
# CHECK: PASS masked attention 3x7
# CHECK: PASS masked attention kernels
# CHECK: PASS pooler 1x1
# CHECK: PASS pooler 2x5
# CHECK: PASS pooler 3x17
# CHECK: PASS slices 2x0
# CHECK: PASS slices 1x1
# CHECK: PASS slices 2x2
# CHECK: PASS slices 3x9
# CHECK: PASS present 1x0+1
# CHECK: PASS present 2x5+3
# CHECK: PASS cnn kernels
# CHECK: PASS cnn batch 1
# CHECK: PASS cnn batch 2
# CHECK: PASS cnn batch 5
# CHECK: 28 of 28 checks passed
import json
import sys

import numpy as np
from gcomp_testing import *

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import gcomp  # noqa: E402

rng = np.random.default_rng(7)
mlp = make_model(
    [helper.make_node("Add", ["x", "bias"], ["a"]),
     helper.make_node("MatMul", ["a", "W"], ["m"]),
     helper.make_node("Relu", ["m"], ["r"]),
     helper.make_node("Softmax", ["r"], ["y"], axis=-1),
     helper.make_node("ReduceMax", ["r"], ["peak"], axes=[2], keepdims=1)],
    [tensor_info("x", ["batch", "seq", 8]), tensor_info("bias", ["seq", 8])],
    [tensor_info("y", ["batch", "seq", 5]), tensor_info("peak", ["batch", "seq", 1])],
    {"W": rng.standard_normal((8, 5)).astype(np.float32)})


def conv_bn_relu(name, x, c_in, c_out, nodes, inits, stride=1):
    inits[name + "_w"] = (rng.standard_normal((c_out, c_in, 3, 3)) /
                          np.sqrt(9 * c_in)).astype(np.float32)
    inits[name + "_b"] = rng.standard_normal(c_out).astype(np.float32)
    nodes += [helper.make_node("Conv", [x, name + "_w", name + "_b"],
                               [name + "_c"], pads=[1, 1, 1, 1],
                               strides=[stride, stride]),
              helper.make_node("Relu", [name + "_c"], [name])]
    return name


nodes, inits = [], {}
h = conv_bn_relu("c1", "image", 3, 16, nodes, inits)
nodes.append(helper.make_node("MaxPool", [h], ["p1"], kernel_shape=[2, 2],
                              strides=[2, 2]))
h = conv_bn_relu("c2", "p1", 16, 32, nodes, inits, stride=2)
nodes += [helper.make_node("Add", [h, "c2_c"], ["res"]),
          helper.make_node("GlobalAveragePool", ["res"], ["g"]),
          helper.make_node("Flatten", ["g"], ["f"]),
          helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["logits"], transB=1)]
inits["fc_w"] = rng.standard_normal((10, 32)).astype(np.float32)
inits["fc_b"] = rng.standard_normal(10).astype(np.float32)
cnn = make_model(nodes, [tensor_info("image", ["batch", 3, 16, 16])],
                 [tensor_info("logits", ["batch", 10])], inits)

# Self-attention over [batch, seq, 8] with two heads, the heads split and
# merged by constant-shape reshapes: products whose rows, columns and inner
# dim are all symbolic, and transposes folded into them.
n = helper.make_node
attn_nodes = []
for x in ("q", "k", "v"):
    attn_nodes += [n("MatMul", ["x", "w" + x], [x + "p"]),
                   n("Reshape", [x + "p", "split"], [x + "s"])]
attn_nodes += [n("Transpose", ["qs"], ["qt"], perm=[0, 2, 1, 3]),
               n("Transpose", ["ks"], ["kt"], perm=[0, 2, 3, 1]),
               n("Transpose", ["vs"], ["vt"], perm=[0, 2, 1, 3]),
               n("MatMul", ["qt", "kt"], ["sc"]),
               n("Softmax", ["sc"], ["p"], axis=-1),
               n("MatMul", ["p", "vt"], ["o"]),
               n("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
               n("Reshape", ["ot", "merge"], ["y"])]
attn_inits = {w: (rng.standard_normal((8, 8)) / 3).astype(np.float32)
              for w in ("wq", "wk", "wv")}
attn_inits.update(split=np.array([0, 0, 2, 4], np.int64),
                  merge=np.array([0, 0, 8], np.int64))
attention = make_model(attn_nodes, [tensor_info("x", ["batch", "seq", 8])],
                       [tensor_info("y", ["batch", "seq", 8])], attn_inits)

# The same with BERT's padding mask from a second input [batch, seq]:
# (1 - mask) * -10000 over the keys, added to the scores.
softmax_at = next(i for i, x in enumerate(attn_nodes) if x.op_type == "Softmax")
masked_nodes = (attn_nodes[:softmax_at] +
                [n("Cast", ["mask"], ["mf"], to=TensorProto.FLOAT),
                 n("Sub", ["one", "mf"], ["inv"]),
                 n("Mul", ["inv", "big"], ["neg"]),
                 n("Unsqueeze", ["neg", "mask_axes"], ["ext"]),
                 n("Add", ["sc", "ext"], ["scm"]),
                 n("Softmax", ["scm"], ["p"], axis=-1)] +
                attn_nodes[softmax_at + 1:])
masked_inits = dict(attn_inits, one=np.array(1, np.float32),
                    big=np.array(-10000, np.float32),
                    mask_axes=np.array([1, 2], np.int64))
masked = make_model(masked_nodes, [tensor_info("x", ["batch", "seq", 8]),
                                   tensor_info("mask", ["batch", "seq"],
                                               TensorProto.INT64)],
                    [tensor_info("y", ["batch", "seq", 8])], masked_inits)

# A sentence encoder's head: the rows merged for a product
# (view(-1, hidden)) and split back by the input's shape, then the last
# token (x[:, -1], a gather along the sequence) and the mean over the
# sequence (a reduction over it) pooled.
pooler = make_model(
    [n("MatMul", ["x", "w"], ["h"]),
     n("Reshape", ["h", "rows"], ["flat"]),
     n("Relu", ["flat"], ["act"]),
     n("Shape", ["x"], ["shape"]),
     n("Reshape", ["act", "shape"], ["back"]),
     n("Gather", ["back", "last"], ["tail"], axis=1),
     n("ReduceMean", ["back"], ["mean"], axes=[1], keepdims=0),
     n("Add", ["tail", "mean"], ["y"])],
    [tensor_info("x", ["batch", "seq", 8])], [tensor_info("y", ["batch", 8])],
    {"w": (rng.standard_normal((8, 8)) / 3).astype(np.float32),
     "rows": np.array([-1, 8], np.int64), "last": np.array(-1, np.int64)})

# Parts of a symbolic dim (x[:, 1:], x[:, -1:], x[:, :-1], x[:, :3],
# x[:, -3:-1]), their bounds clamped to the run's size as ONNX Slice does
# (empty at sequence 0 and 1), reduced over it.
big = np.iinfo(np.int64).max
slices = make_model(
    [n("Slice", ["x", "one", "big", "axis"], ["tail"]),
     n("Slice", ["x", "minus_one", "big", "axis"], ["last"]),
     n("Slice", ["x", "zero", "minus_one", "axis"], ["head"]),
     n("Slice", ["x", "zero", "three", "axis"], ["first3"]),
     n("Slice", ["x", "minus_three", "minus_one", "axis"], ["mid"]),
     n("Sub", ["tail", "head"], ["diff"]),
     n("ReduceSum", ["diff", "axis"], ["a"], keepdims=0),
     n("ReduceSum", ["last", "axis"], ["b"], keepdims=0),
     n("ReduceSum", ["first3", "axis"], ["c"], keepdims=0),
     n("Add", ["a", "b"], ["ab"]),
     n("Add", ["ab", "c"], ["y"]),
     n("ReduceMean", ["mid"], ["mean"], axes=[1], keepdims=0)],
    [tensor_info("x", ["batch", "seq", 4])],
    [tensor_info("y", ["batch", 4]), tensor_info("mean", ["batch", 4])],
    {k: np.array([v], np.int64) for k, v in
     dict(one=1, big=big, axis=1, minus_one=-1, zero=0, three=3,
          minus_three=-3).items()})

# A decoder step's KV cache: the present keys are the past ones and the
# step's concatenated, an output of past + seq rows that the runtime sizes
# from a formula of the input dims.
present = make_model(
    [n("MatMul", ["x", "w"], ["k"]),
     n("Concat", ["past", "k"], ["present"], axis=1)],
    [tensor_info("past", ["batch", "past_seq", 4]),
     tensor_info("x", ["batch", "seq", 4])],
    [tensor_info("present", ["batch", "total", 4])],
    {"w": (rng.standard_normal((4, 4)) / 2).astype(np.float32)})

res = Results()
with tempfile.TemporaryDirectory() as d:
    _, so = compile_model(mlp, d, "mlp")
    sess = ort.InferenceSession(mlp.SerializeToString(),
                                providers=["CPUExecutionProvider"])

    def run_mlp(batch, seq, bias_seq=None):
        feeds = {"x": rng.standard_normal((batch, seq, 8)).astype(np.float32),
                 "bias": rng.standard_normal((bias_seq or seq, 8)).astype(np.float32)}
        args = [GCOMP_RUN, so, "--rtol", str(RTOL), "--atol", str(ATOL)]
        for k, v in feeds.items():
            np.save(os.path.join(d, k + ".npy"), v)
            args += ["--input", f"{k}={os.path.join(d, k + '.npy')}"]
        if bias_seq is None:
            for name, value in zip(["y", "peak"], sess.run(None, feeds)):
                np.save(os.path.join(d, name + ".npy"), value)
                args += ["--expect", f"{name}={os.path.join(d, name + '.npy')}"]
        return run(args)

    def check_signature():
        r = run([GCOMP_RUN, so, "--signature"])
        sig = json.loads(r.stdout)
        x, y = sig["inputs"][0], sig["outputs"][0]
        assert x["shape"] == [-1, -1, 8] and x["dim_names"] == ["batch", "seq", ""], x
        assert y["shape"] == [-1, -1, 5], y
        print("PASS mlp signature")

    def check_size(batch, seq, label=None):
        r = run_mlp(batch, seq)
        if r.returncode != 0:
            raise AssertionError(r.stdout + r.stderr)
        print(f"PASS mlp {label or f'{batch}x{seq}'}")

    def check_python(batch, seq):
        feeds = {"x": rng.standard_normal((batch, seq, 8)).astype(np.float32),
                 "bias": rng.standard_normal((seq, 8)).astype(np.float32)}
        want = sess.run(None, feeds)
        with gcomp.Model(so) as m:
            got = m.run(**feeds)
        for w, (name, g) in zip(want, got.items()):
            assert g.shape == w.shape, (name, g.shape, w.shape)
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
        print(f"PASS mlp python {batch}x{seq}")

    def check_refused(label, expected, *size):
        r = run_mlp(*size)
        if r.returncode == 0 or expected not in r.stderr:
            raise AssertionError(f"expected '{expected}', got: {r.stderr}")
        print(f"PASS {label} refused")

    def check_static_dim():
        # Through the C API (gcomp-run would refuse the file itself).
        expected = "input 'x': expected shape [?,?,8], got [2,3,9]"
        with gcomp.Model(so) as m:
            try:
                m.run(x=np.zeros((2, 3, 9), np.float32),
                      bias=np.zeros((3, 9), np.float32))
            except gcomp.GcompError as e:
                if expected not in str(e):
                    raise AssertionError(f"expected '{expected}', got: {e}")
            else:
                raise AssertionError("the run succeeded")
        print("PASS static dim refused")

    res.check("signature", check_signature)
    for batch, seq in [(1, 2), (3, 7), (17, 5)]:
        res.check(f"{batch}x{seq}", check_size, batch, seq)
    res.check("empty", check_size, 0, 4, "empty batch")
    res.check("python", check_python, 4, 3)
    res.check("seq mismatch", check_refused, "seq mismatch",
              "input 'x': dim 1 (seq) is 7, but dim 0 (seq) of input 'bias' "
              "is 5; the model computes them as one size", 2, 7, 5)
    res.check("static dim", check_static_dim)

    def check_cnn_kernels():
        # The kernels of the static model: both convs and the classifier in
        # the runtime's conv kernel (the stem reading the NCHW input), the
        # pools in its pool kernel, no transposes or copies around them.
        kinds = gcomp_stats(cnn)["kernels_by_kind"]
        static = gcomp_stats(cnn, ["--dim", "batch=2"])["kernels_by_kind"]
        if kinds != static or kinds.get("conv") != 3 or kinds.get("pool") != 2:
            raise AssertionError(f"kernels {kinds}, static {static}")
        print("PASS cnn kernels")

    def compiled(model, name):
        """The generic library of `model` and an onnxruntime session of it."""
        _, so = compile_model(model, d, name)
        return so, ort.InferenceSession(model.SerializeToString(),
                                        providers=["CPUExecutionProvider"])

    def check_matches(compiled_model, feeds, label):
        so, sess = compiled_model
        want = sess.run(None, feeds)
        with gcomp.Model(so) as m:
            got = m.run(**feeds)
        for w, (name, g) in zip(want, got.items()):
            assert g.shape == w.shape, (name, g.shape, w.shape)
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
        print(f"PASS {label}")

    def check_fused_attention(model, label):
        # The runtime's fused attention, as in the static model.
        kinds = gcomp_stats(model)["kernels_by_kind"]
        if kinds.get("attention") != 1:
            raise AssertionError(f"kernels {kinds}")
        print(f"PASS {label} kernels")

    def features(batch, seq, width=8):
        return rng.standard_normal((batch, seq, width)).astype(np.float32)

    cnn_lib = compiled(cnn, "cnn")
    attn_lib = compiled(attention, "attention")
    for batch, seq in [(1, 5), (3, 7), (2, 1)]:
        res.check(f"attention {batch}x{seq}", lambda b, s: check_matches(
            attn_lib, {"x": features(b, s)}, f"attention {b}x{s}"), batch, seq)
    res.check("attention kernels", check_fused_attention, attention, "attention")

    masked_lib = compiled(masked, "masked")

    def check_masked(batch, seq):
        x = features(batch, seq)
        mask = np.ones((batch, seq), np.int64)
        for i in range(batch):  # padding after a random length
            mask[i, rng.integers(1, seq + 1):] = 0
        check_matches(masked_lib, {"x": x, "mask": mask},
                      f"masked attention {batch}x{seq}")

    for batch, seq in [(1, 5), (3, 7)]:
        res.check(f"masked attention {batch}x{seq}", check_masked, batch, seq)
    res.check("masked attention kernels", check_fused_attention, masked,
              "masked attention")

    pooler_lib = compiled(pooler, "pooler")
    for batch, seq in [(1, 1), (2, 5), (3, 17)]:
        res.check(f"pooler {batch}x{seq}", lambda b, s: check_matches(
            pooler_lib, {"x": features(b, s)}, f"pooler {b}x{s}"), batch, seq)

    slices_lib = compiled(slices, "slices")
    for batch, seq in [(2, 0), (1, 1), (2, 2), (3, 9)]:
        res.check(f"slices {batch}x{seq}", lambda b, s: check_matches(
            slices_lib, {"x": features(b, s, 4)}, f"slices {b}x{s}"),
            batch, seq)

    present_lib = compiled(present, "present")
    for batch, past, seq in [(1, 0, 1), (2, 5, 3)]:
        res.check(f"present {batch}x{past}+{seq}",
                  lambda b, p, s: check_matches(
                      present_lib, {"past": features(b, p, 4),
                                    "x": features(b, s, 4)},
                      f"present {b}x{p}+{s}"), batch, past, seq)

    res.check("cnn kernels", check_cnn_kernels)
    for batch in [1, 2, 5]:
        res.check(f"cnn {batch}", lambda b: check_matches(
            cnn_lib, {"image": rng.standard_normal((b, 3, 16, 16)).astype(
                np.float32)}, f"cnn batch {b}"), batch)
res.finish()
