# RUN: %python %s | FileCheck %s
# Two inputs and two outputs (one of them an input passed through), batch 3.
# CHECK: PASS two-in-two-out
# CHECK: 1 of 1 checks passed
import numpy as np
from gcomp_testing import *

rng = np.random.default_rng(3)
W = rng.standard_normal((8, 5)).astype(np.float32)
model = make_model(
    [helper.make_node("MatMul", ["a", "W"], ["m"]),
     helper.make_node("Add", ["m", "b"], ["s"]),
     helper.make_node("Tanh", ["s"], ["sum"]),
     helper.make_node("Identity", ["b"], ["b_copy"])],
    [tensor_info("a", [3, 8]), tensor_info("b", [3, 5])],
    [tensor_info("sum", [3, 5]), tensor_info("b_copy", [3, 5])], {"W": W})
res = Results()
res.check("two-in-two-out", check_against_onnxruntime, model, "two-in-two-out")
res.finish()
