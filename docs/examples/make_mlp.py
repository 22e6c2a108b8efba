"""Writes the bundled example: a small MNIST-shaped MLP (784-128-10, batch 2)
with fixed random weights, plus one input, as mlp.onnx and x.npy in the
folder given on the command line."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(2026)
w1 = (rng.standard_normal((128, 784)) * 0.05).astype(np.float32)
b1 = (rng.standard_normal(128) * 0.1).astype(np.float32)
w2 = (rng.standard_normal((10, 128)) * 0.1).astype(np.float32)
b2 = (rng.standard_normal(10) * 0.1).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Gemm", ["x", "fc1.weight", "fc1.bias"], ["h"],
                      transB=1, name="fc1"),
     helper.make_node("Relu", ["h"], ["r"], name="relu"),
     helper.make_node("Gemm", ["r", "fc2.weight", "fc2.bias"], ["logits"],
                      transB=1, name="fc2"),
     helper.make_node("Softmax", ["logits"], ["probs"], axis=1,
                      name="softmax")],
    "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 784])],
    [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [2, 10])],
    [numpy_helper.from_array(w1, "fc1.weight"),
     numpy_helper.from_array(b1, "fc1.bias"),
     numpy_helper.from_array(w2, "fc2.weight"),
     numpy_helper.from_array(b2, "fc2.bias")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "mlp.onnx"))
np.save(os.path.join(out, "x.npy"),
        rng.uniform(0, 1, (2, 784)).astype(np.float32))
