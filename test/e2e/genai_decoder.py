# RUN: %python %s | FileCheck %s
# A small decoder written as onnxruntime-genai's model builder writes one:
# token embeddings, then per layer SimplifiedLayerNormalization, a packed
# QKV MatMulNBits (4 bits), GroupQueryAttention with rotary embeddings over a
# shared cache buffer, the output projection, SkipSimplifiedLayerNormalization
# and a SiLU-gated MLP of MatMulNBits (8-bit down projection), then the final
# norm and the 4-bit LM head. Compiled twice, for the prompt (8 tokens) and
# for one token; a greedy loop of 32 steps feeds each step's presents back as
# the next past, in gcomp and in onnxruntime alike: every step must choose
# the same token, with the logits within the fp32 tolerances.
# CHECK: PASS prompt logits
# CHECK: PASS 32 greedy steps: same tokens as onnxruntime
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
import gcomp  # noqa: E402

MS = "com.microsoft"
I64, I32 = TensorProto.INT64, TensorProto.INT32
VOCAB, HID, HEADS, KV, HEAD, FFN, LAYERS, MAX, PROMPT, STEPS = (
    64, 64, 4, 2, 16, 128, 2, 48, 8, 32)
rng = np.random.default_rng(3)


def nbits(name, k, n, bits, inits):
    """MatMulNBits weights of random codes, block 32, with packed zero
    points (blocks is even here); returns the node's extra inputs."""
    blocks = k // 32
    codes = rng.integers(0, 256, (n, blocks, 32 * bits // 8), dtype=np.uint8)
    inits[name + "_q"] = codes
    inits[name + "_s"] = rng.uniform(0.004, 0.012, n * blocks).astype(np.float32)
    # Zero points near the middle of the codes' range, so that the
    # weights are centred and the model does not say one token forever.
    mid = 1 << (bits - 1)
    z = mid + rng.integers(-1, 2, (n, blocks + blocks % 2))
    if bits == 4:
        z = z[:, 0::2] | (z[:, 1::2] << 4)
    inits[name + "_z"] = z.astype(np.uint8).reshape(-1)
    return [name + "_q", name + "_s", name + "_z"]


def decoder(seq):
    inits, nodes = {}, []
    inits["embed"] = rng.standard_normal((VOCAB, HID)).astype(np.float32)
    angles = np.outer(np.arange(MAX), 1.0 / 10000 ** (np.arange(HEAD // 2) * 2 / HEAD))
    inits["cos"] = np.cos(angles).astype(np.float32)
    inits["sin"] = np.sin(angles).astype(np.float32)
    inputs = [tensor_info("input_ids", [1, seq], I64)]
    outputs = [tensor_info("logits", [1, seq, VOCAB])]

    def mm(x, name, k, n, bits, out):
        nodes.append(helper.make_node(
            "MatMulNBits", [x] + nbits(name, k, n, bits, inits), [out],
            domain=MS, K=k, N=n, bits=bits, block_size=32))
        return out

    nodes.append(helper.make_node("Gather", ["embed", "input_ids"], ["x0"]))
    x = "x0"
    for i in range(LAYERS):
        inputs += [tensor_info(f"past_key_values.{i}.{kv}", [1, KV, MAX, HEAD])
                   for kv in ("key", "value")]
        outputs += [tensor_info(f"present.{i}.{kv}", [1, KV, MAX, HEAD])
                    for kv in ("key", "value")]
        inits[f"g1_{i}"] = rng.uniform(0.8, 1.2, HID).astype(np.float32)
        inits[f"g2_{i}"] = rng.uniform(0.8, 1.2, HID).astype(np.float32)
        nodes.append(helper.make_node("SimplifiedLayerNormalization",
                                      [x, f"g1_{i}"], [f"n1_{i}"], epsilon=1e-5))
        qkv = mm(f"n1_{i}", f"qkv{i}", HID, (HEADS + 2 * KV) * HEAD, 4,
                 f"qkv_{i}")
        nodes.append(helper.make_node(
            "GroupQueryAttention",
            [qkv, "", "", f"past_key_values.{i}.key",
             f"past_key_values.{i}.value", "seqlens_k",
             "total_sequence_length", "cos", "sin"],
            [f"attn_{i}", f"present.{i}.key", f"present.{i}.value"],
            domain=MS, num_heads=HEADS, kv_num_heads=KV, do_rotary=1))
        o = mm(f"attn_{i}", f"o{i}", HEADS * HEAD, HID, 4, f"o_{i}")
        nodes.append(helper.make_node(
            "SkipSimplifiedLayerNormalization", [x, o, f"g2_{i}"],
            [f"n2_{i}", "", "", f"r_{i}"], domain=MS, epsilon=1e-5))
        gate = mm(f"n2_{i}", f"gate{i}", HID, FFN, 4, f"gate_{i}")
        up = mm(f"n2_{i}", f"up{i}", HID, FFN, 4, f"up_{i}")
        nodes += [helper.make_node("Sigmoid", [gate], [f"sg_{i}"]),
                  helper.make_node("Mul", [gate, f"sg_{i}"], [f"silu_{i}"]),
                  helper.make_node("Mul", [f"silu_{i}", up], [f"act_{i}"])]
        down = mm(f"act_{i}", f"down{i}", FFN, HID, 8, f"down_{i}")
        nodes.append(helper.make_node("Add", [f"r_{i}", down], [f"x{i + 1}"]))
        x = f"x{i + 1}"
    inits["gf"] = rng.uniform(0.8, 1.2, HID).astype(np.float32)
    nodes.append(helper.make_node("SimplifiedLayerNormalization", [x, "gf"],
                                  ["nf"], epsilon=1e-5))
    mm("nf", "lm", HID, VOCAB, 4, "logits")
    inputs += [tensor_info("seqlens_k", [1], I32),
               tensor_info("total_sequence_length", [], I32)]
    graph = helper.make_graph(
        nodes, "decoder", inputs, outputs,
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(MS, 1)])
    model.ir_version = 10
    return model


# The same weights for both: draw them once, with the same generator state.
state = rng.bit_generator.state
prompt_model = decoder(PROMPT)
rng.bit_generator.state = state
step_model = decoder(1)

res = Results()
work = tempfile.mkdtemp()
paths = {}
for name, model in (("prompt", prompt_model), ("step", step_model)):
    _, paths[name] = compile_model(model, work, name=name)
ort_sessions = {name: ort.InferenceSession(m.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
                for name, m in (("prompt", prompt_model), ("step", step_model))}
gcomp_models = {name: gcomp.load(path) for name, path in paths.items()}
cache_names = [f"{i}.{kv}" for i in range(LAYERS) for kv in ("key", "value")]


def generate(run):
    """Greedy decoding with `run(which, feeds) -> {name: array}`: the
    tokens and each step's last logits."""
    ids = rng_prompt.integers(0, VOCAB, (1, PROMPT)).astype(np.int64)
    past = {n: np.zeros((1, KV, MAX, HEAD), np.float32) for n in cache_names}
    tokens, logits = [], []
    length = 0
    for step in range(STEPS + 1):
        which = "prompt" if step == 0 else "step"
        new = ids if step == 0 else np.array([[tokens[-1]]], np.int64)
        length += new.shape[1]
        feeds = {"input_ids": new,
                 "seqlens_k": np.array([length - 1], np.int32),
                 "total_sequence_length": np.array(length, np.int32)}
        feeds.update({f"past_key_values.{n}": past[n] for n in cache_names})
        out = run(which, feeds)
        past = {n: out[f"present.{n}"] for n in cache_names}
        logits.append(out["logits"][0, -1])
        tokens.append(int(np.argmax(out["logits"][0, -1])))
    return tokens, logits


def run_ort(which, feeds):
    sess = ort_sessions[which]
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


def run_gcomp(which, feeds):
    return gcomp_models[which].run(feeds)


rng_prompt = np.random.default_rng(9)
expected_tokens, expected_logits = generate(run_ort)
rng_prompt = np.random.default_rng(9)
tokens, logits = generate(run_gcomp)


def check_prompt():
    np.testing.assert_allclose(logits[0], expected_logits[0], rtol=RTOL,
                               atol=ATOL)
    print("PASS prompt logits")


def check_steps():
    for step, (got, want) in enumerate(zip(logits, expected_logits)):
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"step {step}")
    assert tokens == expected_tokens, (tokens, expected_tokens)
    assert len(set(tokens)) > 4, f"a degenerate loop: {tokens}"
    print(f"PASS {STEPS} greedy steps: same tokens as onnxruntime "
          f"({tokens[:8]}...)")


res.check("prompt logits", check_prompt)
res.check("greedy steps", check_steps)
res.finish()
