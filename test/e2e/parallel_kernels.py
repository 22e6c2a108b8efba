# RUN: %python %s | FileCheck %s
# Kernels large enough (>= 32768 iterations) that gcomp-outline-kernels
# splits their outer parallel loop across the thread pool, run on 2 and 3
# threads (uneven parts): elementwise ops, a buffer updated in place,
# softmax and layer norm over rows, transposes, reductions, and ops that must
# stay whole because their bodies use the iteration index (a causal mask
# from Trilu, ArgMax, CumSum, Range). Compared with onnxruntime on the same
# inputs (fp32: rtol 1e-4, atol 1e-5).
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os

import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(3)
X = (2, 96, 200)


def check(label, nodes, out_shape, inits=None, x_shape=X, out_type=TensorProto.FLOAT):
    x = rng.standard_normal(x_shape).astype(np.float32)
    model = make_model(nodes, [tensor_info("x", list(x_shape))],
                       [helper.make_tensor_value_info("y", out_type, list(out_shape))],
                       inits or {}, opset=17)
    for threads in ("2", "3"):
        os.environ["GCOMP_NUM_THREADS"] = threads
        res.check(f"{label} ({threads} threads)", check_against_onnxruntime, model,
                  label, feeds={"x": x})


check("relu, mul, add (in place)",
      [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Mul", ["r", "x"], ["m"]),
       helper.make_node("Add", ["m", "b"], ["y"])],
      X, {"b": rng.standard_normal(X[-1:]).astype(np.float32)})
check("softmax over rows", [helper.make_node("Softmax", ["x"], ["y"], axis=-1)], X)
check("layer norm",
      [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1)], X,
      {"g": rng.standard_normal(X[-1:]).astype(np.float32),
       "b": rng.standard_normal(X[-1:]).astype(np.float32)})
check("transpose", [helper.make_node("Transpose", ["x"], ["y"], perm=[2, 0, 1])],
      (X[2], X[0], X[1]))
check("reduce mean keepdims",
      [helper.make_node("ReduceMean", ["x"], ["y"], axes=[1], keepdims=1)], (2, 1, 200))
check("causal mask (Trilu) then softmax",
      [helper.make_node("Trilu", ["x"], ["t"], upper=0),
       helper.make_node("Softmax", ["t"], ["y"], axis=-1)], X)
check("argmax", [helper.make_node("ArgMax", ["x"], ["y"], axis=2, keepdims=0)], (2, 96),
      out_type=TensorProto.INT64)
check("cumsum", [helper.make_node("CumSum", ["x", "ax"], ["y"])], X,
      {"ax": np.array(2, np.int64)})

res.finish()
