# RUN: %python %s | FileCheck %s
# onnxruntime's GroupQueryAttention (com.microsoft), the attention of
# onnxruntime-genai's decoders, against onnxruntime's CPU kernel at the
# fp32 tolerances, output and present caches: a prompt without a cache; a
# prompt and a decoding step into a larger shared cache buffer (the
# presents keep its size; rows past each entry's tokens are zeros); a
# decoding step whose cache is exactly the past (the presents grow by one);
# batch entries at different lengths; rotary embeddings (halves and
# interleaved); packed QKV; a custom scale and softcap; and the errors for
# what is not supported.
# CHECK: PASS prompt, no cache
# CHECK: PASS prompt into a shared buffer, rotary
# CHECK: PASS decode, shared buffer, entries at 5 and 9, rotary
# CHECK: PASS decode, exact past, interleaved rotary
# CHECK: PASS decode, packed QKV, scale and softcap
# CHECK: PASS error local_window_size
# CHECK: PASS error output_qk
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

MS = "com.microsoft"
I32 = TensorProto.INT32
rng = np.random.default_rng(5)
H, KV, D, MAXPOS = 4, 2, 16, 32


def gqa_model(batch, seq, past, rotary=False, interleaved=0, packed=False,
              outputs=("o", "present_k", "present_v"), **attrs):
    hidden = (H + 2 * KV) * D if packed else H * D
    inputs = [tensor_info("q", [batch, seq, hidden])]
    names = ["q"]
    if packed:
        names += ["", ""]
    else:
        inputs += [tensor_info("k", [batch, seq, KV * D]),
                   tensor_info("v", [batch, seq, KV * D])]
        names += ["k", "v"]
    if past:
        inputs += [tensor_info("past_k", [batch, KV, past, D]),
                   tensor_info("past_v", [batch, KV, past, D])]
        names += ["past_k", "past_v"]
    else:
        names += ["", ""]
    inputs += [tensor_info("seqlens", [batch], I32), tensor_info("total", [], I32)]
    names += ["seqlens", "total"]
    inits = {}
    if rotary:
        angles = rng.uniform(0, 6, (MAXPOS, D // 2)).astype(np.float32)
        inits = {"cos": np.cos(angles), "sin": np.sin(angles)}
        names += ["cos", "sin"]
    node = helper.make_node(
        "GroupQueryAttention", names, list(outputs), domain=MS, num_heads=H,
        kv_num_heads=KV, do_rotary=int(rotary), rotary_interleaved=interleaved,
        **attrs)
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None)
            for n in outputs if n]
    graph = helper.make_graph(
        [node], "g", inputs, outs,
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(MS, 1)])
    model.ir_version = 10
    return model


def feeds_for(model, seqlens, total):
    feeds = {}
    for vi in model.graph.input:
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            feeds[vi.name] = rng.standard_normal(shape).astype(np.float32)
    feeds["seqlens"] = np.array(seqlens, np.int32)
    feeds["total"] = np.array(total, np.int32)
    return feeds


cases = [
    ("prompt, no cache", gqa_model(2, 5, 0), [4, 4], 5),
    ("prompt into a shared buffer, rotary", gqa_model(1, 4, 16, rotary=True),
     [3], 4),
    ("decode, shared buffer, entries at 5 and 9, rotary",
     gqa_model(2, 1, 16, rotary=True), [5, 9], 10),
    ("decode, exact past, interleaved rotary",
     gqa_model(1, 1, 6, rotary=True, interleaved=1), [6], 7),
    ("decode, packed QKV, scale and softcap",
     gqa_model(2, 1, 12, packed=True, scale=0.2, softcap=3.0), [7, 11], 12),
]
res = Results()
for label, model, seqlens, total in cases:
    feeds = feeds_for(model, seqlens, total)
    for flags in ((), ("-O0",)):
        res.check(f"{label} {flags}", check_against_onnxruntime, model, label,
                  feeds=feeds, gcomp_flags=flags)


def check_error(label, model, needle):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        check_compile_error(label, path, needle)


res.check("error local_window_size", check_error, "error local_window_size",
          gqa_model(1, 1, 8, local_window_size=4),
          "local_window_size=4 is not supported")
res.check("error output_qk", check_error, "error output_qk",
          gqa_model(1, 1, 8, outputs=("o", "pk", "pv", "qk")),
          "output_qk is not supported")
res.finish()
