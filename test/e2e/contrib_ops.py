# RUN: %python %s | FileCheck %s
# onnxruntime's contrib ops (domain com.microsoft) that ORT-optimized and
# exported models carry, against onnxruntime's own implementation of them,
# at -O2 and -O0 (BiasAdd, which onnxruntime implements only for CUDA,
# against numpy), at the fp32 tolerances. Attention is checked with each
# form of mask_index it takes, unidirectional, scale, mask_filter_value and
# an attention_bias; EmbedLayerNormalization with and without mask,
# segments and position_ids. The skip layer norm's small-variance input tells its
# default epsilon (1e-12) from LayerNormalization's (1e-5).
# CHECK: PASS FastGelu
# CHECK: PASS BiasGelu
# CHECK: PASS Gelu
# CHECK: PASS QuickGelu
# CHECK: PASS FusedMatMul
# CHECK: PASS SkipLayerNormalization
# CHECK: PASS BiasAdd
# CHECK: PASS FusedMatMul attention: {'attention': 1}
# CHECK: PASS SkipLayerNormalization default epsilon
# CHECK: PASS Attention no mask
# CHECK: PASS Attention unidirectional with raw mask
# CHECK: PASS Attention with mask: {'attention': 1,
# CHECK: PASS MultiHeadAttention self
# CHECK: PASS EmbedLayerNormalization with mask
# CHECK: PASS SimplifiedLayerNormalization
# CHECK: PASS SkipSimplifiedLayerNormalization
# CHECK: PASS contrib RotaryEmbedding interleaved=0 position_ids [2, 5]
# CHECK: PASS contrib RotaryEmbedding interleaved=0 position_ids [1]
# CHECK: PASS contrib RotaryEmbedding interleaved=1 position_ids [2, 5]
# CHECK: PASS contrib RotaryEmbedding interleaved=1 position_ids [1]
# CHECK: PASS contrib RotaryEmbedding without num_heads, scalar position
# CHECK: PASS SkipSimplifiedLayerNormalization default epsilon
# CHECK: PASS unsupported contrib op
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

MS = "com.microsoft"
rng = np.random.default_rng(7)
x_info = tensor_info("x", [2, 5, 16])


def contrib_model(nodes, inputs, outputs, inits=()):
    # (onnx's checker knows no contrib op, so make_model's check is skipped.)
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              [numpy_helper.from_array(v, k)
                               for k, v in dict(inits).items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    return model


bias = rng.standard_normal(16).astype(np.float32)
cases = {
    "FastGelu": contrib_model(
        [helper.make_node("FastGelu", ["x", "b"], ["y"], domain=MS)],
        [x_info], [tensor_info("y", [2, 5, 16])], {"b": bias}),
    "BiasGelu": contrib_model(
        [helper.make_node("BiasGelu", ["x", "b"], ["y"], domain=MS)],
        [x_info], [tensor_info("y", [2, 5, 16])], {"b": bias}),
    "Gelu": contrib_model(
        [helper.make_node("Gelu", ["x"], ["y"], domain=MS)],
        [x_info], [tensor_info("y", [2, 5, 16])]),
    "QuickGelu": contrib_model(
        [helper.make_node("QuickGelu", ["x"], ["y"], domain=MS, alpha=1.5)],
        [x_info], [tensor_info("y", [2, 5, 16])]),
    "FusedMatMul": contrib_model(
        [helper.make_node("FusedMatMul", ["x", "w"], ["y"], domain=MS,
                          alpha=0.25, transB=1)],
        [x_info], [tensor_info("y", [2, 5, 7])],
        {"w": rng.standard_normal((7, 16)).astype(np.float32)}),
    "SkipLayerNormalization": contrib_model(
        [helper.make_node("SkipLayerNormalization",
                          ["x", "s", "gamma", "beta", "b"],
                          ["y", "", "", "sum"], domain=MS, epsilon=1e-5)],
        [x_info, tensor_info("s", [2, 5, 16])],
        [tensor_info("y", [2, 5, 16]), tensor_info("sum", [2, 5, 16])],
        {"gamma": rng.standard_normal(16).astype(np.float32),
         "beta": rng.standard_normal(16).astype(np.float32), "b": bias}),
}
res = Results()
for label, model in cases.items():
    for flags in ((), ("-O0",)):
        res.check(f"{label} {flags}", check_against_onnxruntime, model, label,
                  gcomp_flags=flags)

bias_add = contrib_model(
    [helper.make_node("BiasAdd", ["x", "b", "s"], ["y"], domain=MS)],
    [x_info, tensor_info("s", [2, 5, 16])], [tensor_info("y", [2, 5, 16])],
    {"b": bias})


def check_bias_add(flags):
    feeds = {"x": rng.standard_normal((2, 5, 16)).astype(np.float32),
             "s": rng.standard_normal((2, 5, 16)).astype(np.float32)}
    with tempfile.TemporaryDirectory() as d:
        _, so = compile_model(bias_add, d, extra=flags)
        args = [GCOMP_RUN, so, "--rtol", str(RTOL), "--atol", str(ATOL)]
        for k, v in feeds.items():
            np.save(os.path.join(d, k + ".npy"), v)
            args += ["--input", f"{k}={d}/{k}.npy"]
        np.save(os.path.join(d, "y.npy"), feeds["x"] + bias + feeds["s"])
        r = run(args + ["--expect", f"y={d}/y.npy"])
        if r.returncode != 0:
            raise AssertionError(r.stdout + r.stderr)
    print("PASS BiasAdd")


for flags in ((), ("-O0",)):
    res.check(f"BiasAdd {flags}", check_bias_add, flags)

# Attention as onnxruntime's optimizer leaves it: Q Kt / sqrt(d) as one
# FusedMatMul; it still becomes one attention kernel.
q_info, k_info, v_info = (tensor_info(n, [2, 3, 10, 8]) for n in "qkv")
attention = contrib_model(
    [helper.make_node("FusedMatMul", ["q", "k"], ["scores"], domain=MS,
                      alpha=float(1 / np.sqrt(8)), transB=1),
     helper.make_node("Softmax", ["scores"], ["p"], axis=-1),
     helper.make_node("MatMul", ["p", "v"], ["o"])],
    [q_info, k_info, v_info], [tensor_info("o", [2, 3, 10, 8])])
check_kernels_and_numbers(res, "FusedMatMul attention", attention,
                          random_inputs(attention), {"attention": 1})

# Values near 1e-3 apart: a variance of about 1e-6, where an epsilon of
# 1e-5 instead of 1e-12 would shrink the normalized outputs (about 1 in
# size) by a factor of about 3, far outside the project's tolerance, which
# they are held to.
skip_default = contrib_model(
    [helper.make_node("SkipLayerNormalization", ["x", "s", "gamma"], ["y"],
                      domain=MS)],
    [x_info, tensor_info("s", [2, 5, 16])], [tensor_info("y", [2, 5, 16])],
    {"gamma": np.ones(16, np.float32)})
small = {"x": (rng.standard_normal((2, 5, 16)) * 1e-3).astype(np.float32),
         "s": np.zeros((2, 5, 16), np.float32)}
res.check("SkipLayerNormalization default epsilon", check_against_onnxruntime,
          skip_default, "SkipLayerNormalization default epsilon", feeds=small)


# onnxruntime's Attention (packed QKV projection, heads, masks set to
# mask_filter_value) and EmbedLayerNormalization, as its transformer
# optimizer leaves a BERT: against onnxruntime's CPU kernels.
B, S, HID, HEADS = 2, 10, 32, 4
I32 = TensorProto.INT32
att_inits = {"w": (rng.standard_normal((HID, 3 * HID)) * 0.2).astype(np.float32),
             "b": (rng.standard_normal(3 * HID) * 0.1).astype(np.float32)}
hidden = rng.standard_normal((B, S, HID)).astype(np.float32)
raw = np.ones((B, S), np.int32)
raw[1, 6:] = 0
raw3 = np.tril(np.ones((S, S), np.int32))[None].repeat(B, 0)
attention_cases = [
    ("no mask", [], {}, {}),
    ("mask_index end positions", [tensor_info("m", [B], I32)],
     {"m": np.array([S, 6], np.int32)}, {}),
    ("raw 2-D mask", [tensor_info("m", [B, S], I32)], {"m": raw}, {}),
    ("raw 3-D mask", [tensor_info("m", [B, S, S], I32)], {"m": raw3}, {}),
    ("unidirectional with raw mask", [tensor_info("m", [B, S], I32)],
     {"m": raw}, {"unidirectional": 1}),
    ("scale and mask_filter_value", [tensor_info("m", [B, S], I32)],
     {"m": raw}, {"scale": 0.3, "mask_filter_value": -1e4}),
]
for label, mask_info, mask_feed, attrs in attention_cases:
    names = ["x", "w", "b"] + (["m"] if mask_info else [])
    model = contrib_model(
        [helper.make_node("Attention", names, ["y"], domain=MS,
                          num_heads=HEADS, **attrs)],
        [tensor_info("x", [B, S, HID])] + mask_info,
        [tensor_info("y", [B, S, HID])], att_inits)
    feeds = {"x": hidden, **mask_feed}
    for flags in ((), ("-O0",)):
        res.check(f"Attention {label} {flags}", check_against_onnxruntime,
                  model, f"Attention {label}", feeds=feeds, gcomp_flags=flags)
bias_model = contrib_model(
    [helper.make_node("Attention", ["x", "w", "b", "", "", "rel"], ["y"],
                      domain=MS, num_heads=HEADS)],
    [tensor_info("x", [B, S, HID]), tensor_info("rel", [1, HEADS, S, S])],
    [tensor_info("y", [B, S, HID])], att_inits)
res.check("Attention attention_bias", check_against_onnxruntime, bias_model,
          "Attention attention_bias",
          feeds={"x": hidden,
                 "rel": rng.standard_normal((1, HEADS, S, S)).astype(np.float32)})
# It runs as the runtime's attention kernel.
check_kernels_and_numbers(
    res, "Attention with mask", contrib_model(
        [helper.make_node("Attention", ["x", "w", "b", "m"], ["y"],
                          domain=MS, num_heads=HEADS)],
        [tensor_info("x", [B, S, HID]), tensor_info("m", [B, S], I32)],
        [tensor_info("y", [B, S, HID])], att_inits),
    {"x": hidden, "m": raw},
    # The QKV projection, the attention, the output's transpose, and the
    # mask and the Q/K/V slices in elementwise kernels.
    {"attention": 1, "conv": 1, "generic": 5, "transpose": 1})

# MultiHeadAttention: Q, K and V already projected; cross-attention
# (keys of another length), the packed bias, key padding masks, an
# attention bias, present_key / present_value, unidirectional.
L = 7
mha_cases = [
    ("self", S, [], {}, {}),
    ("cross with bias and 2-D key padding mask", L,
     [tensor_info("m", [B, L], I32)], {"m": raw[:, :L]}, {"bias": True}),
    ("cross with 1-D key padding mask", L, [tensor_info("m", [B], I32)],
     {"m": np.array([L, 3], np.int32)}, {}),
    ("self unidirectional with attention_bias", S,
     [tensor_info("rel", [1, HEADS, S, S])],
     {"rel": rng.standard_normal((1, HEADS, S, S)).astype(np.float32)},
     {"unidirectional": 1}),
]
for label, kv_len, extra_info, extra_feed, attrs in mha_cases:
    use_bias = attrs.pop("bias", False)
    names = ["q", "k", "v", "b" if use_bias else ""]
    if extra_info and extra_info[0].name == "m":
        names.append("m")
    elif extra_info:
        names += ["", "rel"]
    inits = ({"b": (rng.standard_normal(3 * HID) * 0.1).astype(np.float32)}
             if use_bias else {})
    model = contrib_model(
        [helper.make_node("MultiHeadAttention", names,
                          ["y", "present_k", "present_v"], domain=MS,
                          num_heads=HEADS, **attrs)],
        [tensor_info("q", [B, S, HID]), tensor_info("k", [B, kv_len, HID]),
         tensor_info("v", [B, kv_len, HID])] + extra_info,
        [tensor_info("y", [B, S, HID]),
         tensor_info("present_k", [B, HEADS, kv_len, HID // HEADS]),
         tensor_info("present_v", [B, HEADS, kv_len, HID // HEADS])], inits)
    feeds = {"q": hidden,
             "k": rng.standard_normal((B, kv_len, HID)).astype(np.float32),
             "v": rng.standard_normal((B, kv_len, HID)).astype(np.float32),
             **extra_feed}
    res.check(f"MultiHeadAttention {label}", check_against_onnxruntime, model,
              f"MultiHeadAttention {label}", feeds=feeds)

VOCAB, POS, SEG = 50, 16, 2
embed_inits = {
    "word": rng.standard_normal((VOCAB, HID)).astype(np.float32),
    "pos": rng.standard_normal((POS, HID)).astype(np.float32),
    "seg": rng.standard_normal((SEG, HID)).astype(np.float32),
    "gamma": rng.standard_normal(HID).astype(np.float32),
    "beta": rng.standard_normal(HID).astype(np.float32)}
ids = rng.integers(0, VOCAB, (B, S)).astype(np.int32)
segs = rng.integers(0, SEG, (B, S)).astype(np.int32)
for label, names, outputs, extra_info, extra_feed in [
        ("with mask", ["ids", "segs", "word", "pos", "seg", "gamma", "beta",
                       "m"], ["y", "mask_index", "sum"],
         [tensor_info("m", [B, S], I32)], {"m": raw}),
        ("no mask or segments", ["ids", "", "word", "pos", "", "gamma",
                                 "beta"], ["y", "mask_index"], [], {}),
        ("position_ids", ["ids", "segs", "word", "pos", "seg", "gamma",
                          "beta", "", "pids"], ["y", "mask_index"],
         [tensor_info("pids", [B, S], I32)],
         {"pids": rng.integers(0, POS, (B, S)).astype(np.int32)})]:
    out_infos = [tensor_info("y", [B, S, HID]),
                 tensor_info("mask_index", [B], I32),
                 tensor_info("sum", [B, S, HID])][:len(outputs)]
    model = contrib_model(
        [helper.make_node("EmbedLayerNormalization", names, outputs,
                          domain=MS, epsilon=1e-5)],
        [tensor_info("ids", [B, S], I32), tensor_info("segs", [B, S], I32)]
        + extra_info, out_infos, embed_inits)
    feeds = {"ids": ids, "segs": segs, **extra_feed}
    res.check(f"EmbedLayerNormalization {label}", check_against_onnxruntime,
              model, f"EmbedLayerNormalization {label}", feeds=feeds)


def unsupported():
    model = contrib_model(
        [helper.make_node("SparseAttention", ["x"], ["y"], domain=MS)],
        [x_info], [tensor_info("y", [2, 5, 16])])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        r = run([GCOMP, path, "-o", os.path.join(d, "m.so")])
        want = ("(SparseAttention, opset 1): unsupported onnxruntime "
                "contrib operator; gcomp supports from com.microsoft: "
                "Attention, BiasAdd, BiasGelu, DynamicQuantizeMatMul, "
                "EmbedLayerNormalization, FastGelu, FusedMatMul, Gelu, "
                "GroupQueryAttention, MatMulIntegerToFloat, MatMulNBits, "
                "MultiHeadAttention, QGemm, QLinearAdd, QLinearAveragePool, "
                "QLinearConcat, QLinearGlobalAveragePool, QLinearLeakyRelu, "
                "QLinearMul, QLinearSigmoid, QLinearSoftmax, "
                "QuickGelu, RotaryEmbedding, SkipLayerNormalization, "
                "SkipSimplifiedLayerNormalization")
        if r.returncode == 0 or want not in r.stderr:
            raise AssertionError(r.stderr)
        print("PASS unsupported contrib op")



# The norms and rotary embedding of onnxruntime-genai's decoder graphs:
# SimplifiedLayerNormalization (default domain, with inv_std_var),
# SkipSimplifiedLayerNormalization (with a bias and the sum; and on a
# small-variance input, where only its default epsilon of 1e-12 matches),
# and the contrib RotaryEmbedding with per-token position_ids or the first
# token's position ([1]), halves or interleaved pairs.
HID, HEADS, SEQ = 16, 2, 5
gamma = rng.standard_normal(HID).astype(np.float32)
genai_cases = {
    "SimplifiedLayerNormalization": contrib_model(
        [helper.make_node("SimplifiedLayerNormalization", ["x", "gamma"],
                          ["y", "inv"], epsilon=1e-6)],
        [x_info], [tensor_info("y", [2, 5, 16]), tensor_info("inv", [2, 5, 1])],
        {"gamma": gamma}),
    "SkipSimplifiedLayerNormalization": contrib_model(
        [helper.make_node("SkipSimplifiedLayerNormalization",
                          ["x", "s", "gamma", "b"], ["y", "", "inv", "sum"],
                          domain=MS, epsilon=1e-6)],
        [x_info, tensor_info("s", [2, 5, 16])],
        [tensor_info("y", [2, 5, 16]), tensor_info("inv", [2, 5, 1]),
         tensor_info("sum", [2, 5, 16])], {"gamma": gamma, "b": bias}),
}
for interleaved in (0, 1):
    for ids_shape in ([2, SEQ], [1]):
        label = (f"contrib RotaryEmbedding interleaved={interleaved} "
                 f"position_ids {ids_shape}")
        cache = rng.standard_normal((32, 4)).astype(np.float32)
        model = contrib_model(
            [helper.make_node("RotaryEmbedding", ["x", "pos", "cos", "sin"],
                              ["y"], domain=MS, num_heads=HEADS,
                              interleaved=interleaved)],
            [x_info, tensor_info("pos", ids_shape, TensorProto.INT64)],
            [tensor_info("y", [2, 5, 16])],
            {"cos": np.cos(cache), "sin": np.sin(cache)})
        genai_cases[label] = model
# A 3-D input without num_heads: heads of twice the caches' width (4 of
# 4 here), and the first position as a scalar.
cache = rng.standard_normal((32, 2)).astype(np.float32)
genai_cases["contrib RotaryEmbedding without num_heads, scalar position"] = (
    contrib_model(
        [helper.make_node("RotaryEmbedding", ["x", "pos", "cos", "sin"], ["y"],
                          domain=MS)],
        [x_info, tensor_info("pos", [], TensorProto.INT64)],
        [tensor_info("y", [2, 5, 16])],
        {"cos": np.cos(cache), "sin": np.sin(cache)}))
for label, model in genai_cases.items():
    feeds = random_inputs(model)
    if "pos" in feeds:
        feeds["pos"] = (rng.integers(0, 32 - SEQ, feeds["pos"].shape)
                        .astype(np.int64))
    res.check(label, check_against_onnxruntime, model, label, feeds=feeds)
small_skip = contrib_model(
    [helper.make_node("SkipSimplifiedLayerNormalization", ["x", "s", "gamma"],
                      ["y"], domain=MS)],
    [x_info, tensor_info("s", [2, 5, 16])], [tensor_info("y", [2, 5, 16])],
    {"gamma": np.ones(16, np.float32)})
res.check("SkipSimplifiedLayerNormalization default epsilon",
          check_against_onnxruntime, small_skip,
          "SkipSimplifiedLayerNormalization default epsilon", feeds=small)

res.check("unsupported contrib op", unsupported)
res.finish()
