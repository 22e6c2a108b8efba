# RUN: %python %s | FileCheck %s
# Activations that exporters write out as formulas, recognized as single
# ops (gcomp-recognize-ops): EfficientNet's Conv + Sigmoid + Mul,
# GPT-2's tanh GELU after a MatMul, HardSwish as x * HardSigmoid(x), and
# a Sigmoid gate of another tensor (not a SiLU). Each at -O2 and -O0
# against onnxruntime; --stats shows what became of the activation.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed

import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(41)


def check(label, model, feeds, expected):
    check_kernels_and_numbers(res, label, model, feeds, expected)

x = rng.standard_normal((1, 16, 10, 10)).astype(np.float32) * 2
w = (rng.standard_normal((24, 16, 3, 3)) * 0.2).astype(np.float32)
b = rng.standard_normal(24).astype(np.float32)
check("Conv + Sigmoid + Mul: one conv kernel with the SiLU as its epilogue",
      make_model([helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
                  helper.make_node("Sigmoid", ["c"], ["s"]),
                  helper.make_node("Mul", ["c", "s"], ["y"])],
                 [tensor_info("x", [1, 16, 10, 10])],
                 [tensor_info("y", [1, 24, 10, 10])], {"w": w, "b": b}),
      # The conv applies the SiLU to its tiles (GCOMP_CONV_SILU); the
      # channels-first output is a transpose of its result.
      {"x": x}, {"conv": 1, "transpose": 1})

wm = (rng.standard_normal((64, 96)) * 0.2).astype(np.float32)
bm = rng.standard_normal(96).astype(np.float32)
check("MatMul + tanh GELU",
      make_model([helper.make_node("MatMul", ["x", "w"], ["m"]),
                  helper.make_node("Add", ["m", "b"], ["a"]),
                  helper.make_node("Pow", ["a", "three"], ["p"]),
                  helper.make_node("Mul", ["p", "k"], ["kp"]),
                  helper.make_node("Add", ["a", "kp"], ["s"]),
                  helper.make_node("Mul", ["s", "c"], ["cs"]),
                  helper.make_node("Tanh", ["cs"], ["t"]),
                  helper.make_node("Add", ["t", "one"], ["t1"]),
                  helper.make_node("Mul", ["a", "half"], ["ha"]),
                  helper.make_node("Mul", ["ha", "t1"], ["y"])],
                 [tensor_info("x", [8, 64])], [tensor_info("y", [8, 96])],
                 {"w": wm, "b": bm, "three": np.array(3.0, np.float32),
                  "k": np.array(0.044715, np.float32),
                  "c": np.array(np.sqrt(2 / np.pi), np.float32),
                  "one": np.array(1.0, np.float32),
                  "half": np.array(0.5, np.float32)}),
      {"x": rng.standard_normal((8, 64)).astype(np.float32)},
      {"conv": 1, "generic": 1})
check("x * HardSigmoid(x): one HardSwish",
      make_model([helper.make_node("HardSigmoid", ["x"], ["h"], alpha=1 / 6, beta=0.5),
                  helper.make_node("Mul", ["x", "h"], ["y"])],
                 [tensor_info("x", [4, 50])], [tensor_info("y", [4, 50])]),
      {"x": rng.uniform(-5, 5, (4, 50)).astype(np.float32)}, {"generic": 1})
check("a sigmoid gate of another tensor stays a product",
      make_model([helper.make_node("Sigmoid", ["g"], ["s"]),
                  helper.make_node("Mul", ["x", "s"], ["y"])],
                 [tensor_info("x", [4, 50]), tensor_info("g", [4, 50])],
                 [tensor_info("y", [4, 50])]),
      {"x": rng.standard_normal((4, 50)).astype(np.float32),
       "g": rng.standard_normal((4, 50)).astype(np.float32)}, {"generic": 1})
res.finish()
