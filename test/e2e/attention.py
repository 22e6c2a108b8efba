# RUN: %python %s | FileCheck %s
# Scaled dot-product attention as PyTorch exports it (heads split from a
# fused QKV projection by Slice/Reshape/Transpose, 1/sqrt(d), optionally the
# causal mask as a Where, Softmax, the second MatMul, heads merged back)
# becomes one runtime attention kernel, and matches onnxruntime at -O2 and
# -O0. Sizes past one block of query rows (128, or 32 when causal).
# CHECK: PASS encoder: {'attention': 1}
# CHECK: PASS causal: {'attention': 1}
# CHECK: PASS padding mask: {'attention': 1, 'generic': 1}
# CHECK: 9 of 9 checks passed
import numpy as np
from gcomp_testing import *

S, H, D = 150, 3, 16


def attention_model(causal, padding=False):
    nodes, inits = [], {}
    for i, name in enumerate("qkv"):
        inits[f"{name}_start"] = np.array([i * H * D], np.int64)
        inits[f"{name}_end"] = np.array([(i + 1) * H * D], np.int64)
        nodes.append(helper.make_node("Slice", ["x", f"{name}_start", f"{name}_end", "axis2"],
                                      [f"{name}_flat"]))
        nodes.append(helper.make_node("Reshape", [f"{name}_flat", "heads"], [f"{name}_4d"]))
        perm = [0, 2, 3, 1] if name == "k" else [0, 2, 1, 3]
        nodes.append(helper.make_node("Transpose", [f"{name}_4d"], [f"{name}_t"], perm=perm))
    inits["axis2"] = np.array([2], np.int64)
    inits["heads"] = np.array([1, S, H, D], np.int64)
    inits["merged"] = np.array([1, S, H * D], np.int64)
    inits["sqrt_d"] = np.array(np.sqrt(D), np.float32)
    nodes += [helper.make_node("MatMul", ["q_t", "k_t"], ["scores"]),
              helper.make_node("Div", ["scores", "sqrt_d"], ["scaled"])]
    logits = "scaled"
    if causal:
        inits["mask"] = np.triu(np.ones((S, S), bool), 1)
        inits["ninf"] = np.array(-np.inf, np.float32)
        nodes.append(helper.make_node("Where", ["mask", "ninf", "scaled"], ["masked"]))
        logits = "masked"
    inputs = [tensor_info("x", [1, S, 3 * H * D])]
    if padding:
        # As BERT builds it from the attention mask input: (1 - m) * -10000
        # as [batch, 1, 1, t], added to the scaled scores.
        inputs.append(tensor_info("m", [1, S]))
        inits["one"] = np.array(1.0, np.float32)
        inits["big"] = np.array(-10000.0, np.float32)
        inits["mask_shape"] = np.array([1, 1, 1, S], np.int64)
        nodes += [helper.make_node("Sub", ["one", "m"], ["inv"]),
                  helper.make_node("Mul", ["inv", "big"], ["neg"]),
                  helper.make_node("Reshape", ["neg", "mask_shape"], ["mask4"]),
                  helper.make_node("Add", [logits, "mask4"], ["padded"])]
        logits = "padded"
    nodes += [helper.make_node("Softmax", [logits], ["p"], axis=-1),
              helper.make_node("MatMul", ["p", "v_t"], ["o"]),
              helper.make_node("Transpose", ["o"], ["o_t"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["o_t", "merged"], ["y"])]
    return make_model(nodes, inputs, [tensor_info("y", [1, S, H * D])], inits)


res = Results()
for label, causal in (("encoder", False), ("causal", True)):
    model = attention_model(causal)
    check_kernels_and_numbers(res, label, model, random_inputs(model),
                              {"attention": 1})
# The mask's own arithmetic is one elementwise kernel; a third of the keys
# are padding.
model = attention_model(False, padding=True)
feeds = random_inputs(model)
feeds["m"] = (np.arange(S) % 3 != 2).astype(np.float32)[None, :]
check_kernels_and_numbers(res, "padding mask", model, feeds,
                          {"attention": 1, "generic": 1})
res.finish()
