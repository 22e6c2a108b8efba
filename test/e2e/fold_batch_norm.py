# RUN: %python %s | FileCheck %s
# BatchNormalization folded into the conv or product before it
# (gcomp-fold-batch-norm), as TensorFlow/Keras-style exports leave it: Conv
# + BN + Relu (one conv kernel), grouped Conv + BN, Gemm + BN, MatMul + BN
# over [N, C]; and BN after an op with non-constant weights (stays). Each
# at -O2 and -O0 against onnxruntime; --stats shows the kernels.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed

import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(43)


def bn_params(prefix, c):
    return {f"{prefix}_s": rng.uniform(0.5, 1.5, c).astype(np.float32),
            f"{prefix}_b": rng.standard_normal(c).astype(np.float32),
            f"{prefix}_m": rng.standard_normal(c).astype(np.float32),
            f"{prefix}_v": rng.uniform(0.5, 2.0, c).astype(np.float32)}


def bn(x, y, prefix):
    return helper.make_node("BatchNormalization",
                            [x, f"{prefix}_s", f"{prefix}_b", f"{prefix}_m",
                             f"{prefix}_v"], [y], epsilon=1e-3)


def check(label, model, feeds, expected):
    check_kernels_and_numbers(res, label, model, feeds, expected)

img = rng.standard_normal((1, 8, 12, 12)).astype(np.float32)
check("Conv + BN + Relu: one conv kernel",
      make_model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                  bn("c", "n", "bn"), helper.make_node("Relu", ["n"], ["y"])],
                 [tensor_info("x", [1, 8, 12, 12])],
                 [tensor_info("y", [1, 16, 12, 12])],
                 {"w": (rng.standard_normal((16, 8, 3, 3)) * 0.2).astype(np.float32),
                  **bn_params("bn", 16)}),
      # The stem reads the NCHW input directly; one transpose back.
      {"x": img}, {"conv": 1, "transpose": 1})
check("depthwise Conv with bias + BN",
      make_model([helper.make_node("Conv", ["x", "w", "b"], ["c"], group=8,
                                   pads=[1, 1, 1, 1]),
                  bn("c", "y", "bn")],
                 [tensor_info("x", [1, 8, 12, 12])],
                 [tensor_info("y", [1, 8, 12, 12])],
                 {"w": (rng.standard_normal((8, 1, 3, 3)) * 0.3).astype(np.float32),
                  "b": rng.standard_normal(8).astype(np.float32),
                  **bn_params("bn", 8)}),
      # Exactly the kernels of the depthwise conv with a bias alone (the
      # runtime's depthwise kernel, which pads implicitly and starts from
      # the bias, and the layout transposes): BN adds none.
      {"x": img}, {"dwconv": 1,
                   "transpose": 2})
check("Gemm (transB) + BN",
      make_model([helper.make_node("Gemm", ["x", "w", "b"], ["g"], transB=1),
                  bn("g", "y", "bn")],
                 [tensor_info("x", [4, 32])], [tensor_info("y", [4, 24])],
                 {"w": (rng.standard_normal((24, 32)) * 0.2).astype(np.float32),
                  "b": rng.standard_normal(24).astype(np.float32),
                  **bn_params("bn", 24)}),
      {"x": rng.standard_normal((4, 32)).astype(np.float32)}, {"conv": 1})
check("MatMul + BN",
      make_model([helper.make_node("MatMul", ["x", "w"], ["m"]),
                  bn("m", "y", "bn")],
                 [tensor_info("x", [4, 32])], [tensor_info("y", [4, 24])],
                 {"w": (rng.standard_normal((32, 24)) * 0.2).astype(np.float32),
                  **bn_params("bn", 24)}),
      {"x": rng.standard_normal((4, 32)).astype(np.float32)}, {"conv": 1})
check("BN after a product of two inputs stays",
      make_model([helper.make_node("MatMul", ["x", "w"], ["m"]),
                  bn("m", "y", "bn")],
                 [tensor_info("x", [4, 32]), tensor_info("w", [32, 24])],
                 [tensor_info("y", [4, 24])], bn_params("bn", 24)),
      {"x": rng.standard_normal((4, 32)).astype(np.float32),
       "w": rng.standard_normal((32, 24)).astype(np.float32)},
      {"fill": 1, "generic": 1, "sgemm": 1})
res.finish()
