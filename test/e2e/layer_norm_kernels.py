# RUN: %python %s | FileCheck %s
# Layer norm as one op (gcomp-recognize-ops) and the runtime's row kernel
# (gcomp-layer-norm-kernels): ONNX LayerNormalization over the last dim and
# over two dims, with and without bias, one whose Mean output is used (it
# stays written out), PyTorch's decomposition before opset 17 (Pow, Div), a
# residual add in front, rows with a large mean, and a scale that
# broadcasts (left to linalg). Each is checked at -O2 and -O0 against
# onnxruntime, and --stats shows how many layer norms the runtime computes.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed

import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(17)


def check(label, nodes, shape, inits, outputs=None, kernels=1, offset=0.0,
          opset=17, o0_atol=ATOL):
    x = (rng.standard_normal(shape) * 2 + offset).astype(np.float32)
    outputs = outputs or [tensor_info("y", list(shape))]
    model = make_model(nodes, [tensor_info("x", list(shape))], outputs, inits,
                       opset=opset)

    def count():
        got = gcomp_stats(model)["kernels_by_kind"].get("layer_norm", 0)
        if got != kernels:
            raise AssertionError(f"{got} runtime layer norms, expected {kernels}")
        print(f"PASS {label}: {got} runtime layer norms")
    res.check(f"{label} kernels", count)
    for flags, atol in (((), ATOL), (("-O0",), o0_atol)):
        res.check(f"{label} {' '.join(flags)}".strip(), check_against_onnxruntime,
                  model, label, feeds={"x": x}, gcomp_flags=flags, atol=atol)


g768 = rng.standard_normal(768).astype(np.float32)
b768 = rng.standard_normal(768).astype(np.float32)
check("LayerNormalization over the last dim",
      [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"],
                        axis=-1, epsilon=1e-12)],
      (2, 128, 768), {"g": g768, "b": b768})
check("over two dims, no bias",
      [helper.make_node("LayerNormalization", ["x", "g"], ["y"], axis=1)],
      (3, 5, 24), {"g": rng.standard_normal((5, 24)).astype(np.float32)})
check("residual add, then layer norm",
      [helper.make_node("Add", ["x", "r"], ["s"]),
       helper.make_node("LayerNormalization", ["s", "g", "b"], ["y"], axis=-1)],
      (16, 100), {"r": rng.standard_normal((16, 100)).astype(np.float32),
                  "g": rng.standard_normal(100).astype(np.float32),
                  "b": rng.standard_normal(100).astype(np.float32)})
check("rows with a large mean",
      [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)],
      (8, 64), {"g": np.ones(64, np.float32), "b": np.zeros(64, np.float32)},
      offset=300.0,
      # At -O0 the mean is a plain running f32 sum of n = 64 values near
      # 300 (sum S = 19200). The usual estimate of such a sum's rounding
      # error is sqrt(n) * 2^-24 * S = 9e-3, i.e. 1.4e-4 on the mean and
      # 7e-5 on each output after dividing by the deviation (2); centring
      # x near 300 in f32 adds up to ulp(300) / 2 / 2 = 8e-6. Hence 1e-4.
      # The runtime kernel sums differences from the row's first element
      # and keeps the project's 1e-5.
      o0_atol=1e-4)
check("the Mean output used: stays written out",
      [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y", "mean"],
                        axis=-1)],
      (4, 32), {"g": rng.standard_normal(32).astype(np.float32),
                "b": rng.standard_normal(32).astype(np.float32)},
      outputs=[tensor_info("y", [4, 32]), tensor_info("mean", [4, 1])],
      kernels=0)
check("a scale that broadcasts (linalg)",
      [helper.make_node("LayerNormalization", ["x", "g"], ["y"], axis=-1)],
      (4, 32), {"g": np.array([1.5], np.float32)}, kernels=0)
# PyTorch's LayerNorm exported at opset 13.
check("PyTorch's decomposition (opset 13)",
      [helper.make_node("ReduceMean", ["x"], ["m"], axes=[-1]),
       helper.make_node("Sub", ["x", "m"], ["c"]),
       helper.make_node("Pow", ["c", "two"], ["sq"]),
       helper.make_node("ReduceMean", ["sq"], ["v"], axes=[-1]),
       helper.make_node("Add", ["v", "eps"], ["ve"]),
       helper.make_node("Sqrt", ["ve"], ["s"]),
       helper.make_node("Div", ["c", "s"], ["n"]),
       helper.make_node("Mul", ["n", "g"], ["gn"]),
       helper.make_node("Add", ["gn", "b"], ["y"])],
      (2, 10, 48), {"two": np.array(2.0, np.float32),
                    "eps": np.array(1e-5, np.float32),
                    "g": rng.standard_normal(48).astype(np.float32),
                    "b": rng.standard_normal(48).astype(np.float32)},
      opset=13)
res.finish()
