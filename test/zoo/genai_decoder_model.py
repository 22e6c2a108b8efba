"""A decoder-only language model written as onnxruntime-genai's model
builder writes one (token embeddings; per layer SimplifiedLayerNormalization,
a packed QKV MatMulNBits, GroupQueryAttention with rotary embeddings over a
shared cache buffer, the output projection, SkipSimplifiedLayerNormalization
and a SiLU-gated MLP of MatMulNBits; the final norm and the LM head), with
random weights from a seeded generator, and a greedy decoding loop over it.
Used by test/e2e/genai_decoder.py and bench/bench_llm.py.
"""
from typing import NamedTuple

import numpy as np
from onnx import TensorProto, helper, numpy_helper

MS = "com.microsoft"


class Config(NamedTuple):
    vocab: int = 64
    hidden: int = 64
    heads: int = 4
    kv_heads: int = 2
    ffn: int = 128
    layers: int = 2
    max_length: int = 48  # the shared cache buffer's rows
    bits: int = 4  # of every MatMulNBits but the MLP's down projection
    down_bits: int = 8

    @property
    def head(self):
        return self.hidden // self.heads


def _info(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def build(seq, config=Config(), seed=3):
    """The decoder for `seq` new tokens per run (the same weights for every
    `seq` with one seed). Inputs: input_ids [1, seq], past_key_values.{i}.
    key/value [1, kv_heads, max_length, head], seqlens_k [1],
    total_sequence_length; outputs: logits [1, seq, vocab], present.{i}.*."""
    c, rng = config, np.random.default_rng(seed)
    inits, nodes = {}, []

    def nbits(x, name, k, n, bits, out):
        blocks = k // 32
        inits[name + "_q"] = rng.integers(0, 256, (n, blocks, 32 * bits // 8),
                                          dtype=np.uint8)
        inits[name + "_s"] = rng.uniform(0.004, 0.012, n * blocks).astype(np.float32)
        # Zero points near the middle of the codes' range: centred weights,
        # so that the model does not say one token forever.
        mid = 1 << (bits - 1)
        z = mid + rng.integers(-1, 2, (n, blocks + blocks % 2))
        if bits == 4:
            z = z[:, 0::2] | (z[:, 1::2] << 4)
        else:
            z = z[:, :blocks]
        inits[name + "_z"] = z.astype(np.uint8).reshape(-1)
        nodes.append(helper.make_node(
            "MatMulNBits", [x, name + "_q", name + "_s", name + "_z"], [out],
            domain=MS, K=k, N=n, bits=bits, block_size=32))
        return out

    inits["embed"] = rng.standard_normal((c.vocab, c.hidden)).astype(np.float32)
    angles = np.outer(np.arange(c.max_length),
                      1.0 / 10000 ** (np.arange(c.head // 2) * 2 / c.head))
    inits["cos"] = np.cos(angles).astype(np.float32)
    inits["sin"] = np.sin(angles).astype(np.float32)
    inputs = [_info("input_ids", [1, seq], TensorProto.INT64)]
    outputs = [_info("logits", [1, seq, c.vocab])]
    nodes.append(helper.make_node("Gather", ["embed", "input_ids"], ["x0"]))
    x = "x0"
    cache = [1, c.kv_heads, c.max_length, c.head]
    for i in range(c.layers):
        inputs += [_info(f"past_key_values.{i}.{kv}", cache) for kv in ("key", "value")]
        outputs += [_info(f"present.{i}.{kv}", cache) for kv in ("key", "value")]
        inits[f"g1_{i}"] = rng.uniform(0.8, 1.2, c.hidden).astype(np.float32)
        inits[f"g2_{i}"] = rng.uniform(0.8, 1.2, c.hidden).astype(np.float32)
        nodes.append(helper.make_node("SimplifiedLayerNormalization",
                                      [x, f"g1_{i}"], [f"n1_{i}"], epsilon=1e-5))
        qkv = nbits(f"n1_{i}", f"qkv{i}", c.hidden,
                    (c.heads + 2 * c.kv_heads) * c.head, c.bits, f"qkv_{i}")
        nodes.append(helper.make_node(
            "GroupQueryAttention",
            [qkv, "", "", f"past_key_values.{i}.key", f"past_key_values.{i}.value",
             "seqlens_k", "total_sequence_length", "cos", "sin"],
            [f"attn_{i}", f"present.{i}.key", f"present.{i}.value"],
            domain=MS, num_heads=c.heads, kv_num_heads=c.kv_heads, do_rotary=1))
        o = nbits(f"attn_{i}", f"o{i}", c.hidden, c.hidden, c.bits, f"o_{i}")
        nodes.append(helper.make_node(
            "SkipSimplifiedLayerNormalization", [x, o, f"g2_{i}"],
            [f"n2_{i}", "", "", f"r_{i}"], domain=MS, epsilon=1e-5))
        gate = nbits(f"n2_{i}", f"gate{i}", c.hidden, c.ffn, c.bits, f"gate_{i}")
        up = nbits(f"n2_{i}", f"up{i}", c.hidden, c.ffn, c.bits, f"up_{i}")
        nodes += [helper.make_node("Sigmoid", [gate], [f"sg_{i}"]),
                  helper.make_node("Mul", [gate, f"sg_{i}"], [f"silu_{i}"]),
                  helper.make_node("Mul", [f"silu_{i}", up], [f"act_{i}"])]
        down = nbits(f"act_{i}", f"down{i}", c.ffn, c.hidden, c.down_bits,
                     f"down_{i}")
        nodes.append(helper.make_node("Add", [f"r_{i}", down], [f"x{i + 1}"]))
        x = f"x{i + 1}"
    inits["gf"] = rng.uniform(0.8, 1.2, c.hidden).astype(np.float32)
    nodes.append(helper.make_node("SimplifiedLayerNormalization", [x, "gf"],
                                  ["nf"], epsilon=1e-5))
    nbits("nf", "lm", c.hidden, c.vocab, c.bits, "logits")
    inputs += [_info("seqlens_k", [1], TensorProto.INT32),
               _info("total_sequence_length", [], TensorProto.INT32)]
    graph = helper.make_graph(
        nodes, "decoder", inputs, outputs,
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(MS, 1)])
    model.ir_version = 10
    return model


def weight_bytes(model):
    """Bytes of the weights a decoding step reads (every initializer but the
    embedding table, of which it reads one row)."""
    return sum(init.ByteSize() for init in model.graph.initializer
               if init.name != "embed")


def greedy(run, prompt_ids, steps, config=Config(), on_step=None):
    """Greedy decoding: `run(which, feeds)` runs the "prompt" or "step"
    model and returns {output name: array}. The prompt fills the cache, then
    each step feeds the last token and the presents back. Returns the
    tokens and each run's last logits; `on_step(step)` is called before
    each run (for timing)."""
    c = config
    names = [f"{i}.{kv}" for i in range(c.layers) for kv in ("key", "value")]
    past = {n: np.zeros((1, c.kv_heads, c.max_length, c.head), np.float32)
            for n in names}
    tokens, logits, length = [], [], 0
    for step in range(steps + 1):
        new = prompt_ids if step == 0 else np.array([[tokens[-1]]], np.int64)
        length += new.shape[1]
        feeds = {"input_ids": new,
                 "seqlens_k": np.array([length - 1], np.int32),
                 "total_sequence_length": np.array(length, np.int32)}
        feeds.update({f"past_key_values.{n}": past[n] for n in names})
        if on_step:
            on_step(step)
        out = run("prompt" if step == 0 else "step", feeds)
        past = {n: out[f"present.{n}"] for n in names}
        logits.append(out["logits"][0, -1])
        tokens.append(int(np.argmax(out["logits"][0, -1])))
    return tokens, logits
