# RUN: %python %s | FileCheck %s
# Transposes folded into the products that read or write them
# (gcomp-fold-transposes), and head splits of a fused projection read as
# strided views: multi-head attention at batch 1 and 2 (two batch dims),
# a product with a transposed activation operand, and a transpose that is
# also an output (kept). Each at -O2 and -O0 against onnxruntime; --stats
# shows which transposes are left.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed

import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(23)


def check(label, model, feeds, transposes=0, copies=0):
    def count():
        kinds = gcomp_stats(model)["kernels_by_kind"]
        got = (kinds.get("transpose", 0), kinds.get("copy", 0))
        if got != (transposes, copies):
            raise AssertionError(f"(transposes, copies) = {got}, expected "
                                 f"{(transposes, copies)}: {kinds}")
        print(f"PASS {label}: {kinds}")
    res.check(f"{label} kernels", count)
    for flags in ((), ("-O0",)):
        res.check(f"{label} {' '.join(flags)}".strip(), check_against_onnxruntime,
                  model, label, feeds=feeds, gcomp_flags=flags)


def attention(batch, seq=16, heads=4, dim=8):
    hidden = heads * dim
    w = (rng.standard_normal((hidden, 3 * hidden)) * 0.2).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["qkv"]),
        helper.make_node("Split", ["qkv", "split"], ["q", "k", "v"], axis=2),
        helper.make_node("Reshape", ["q", "heads"], ["qh"]),
        helper.make_node("Reshape", ["k", "heads"], ["kh"]),
        helper.make_node("Reshape", ["v", "heads"], ["vh"]),
        helper.make_node("Transpose", ["qh"], ["qt"], perm=[0, 2, 1, 3]),
        helper.make_node("Transpose", ["kh"], ["kt"], perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["vh"], ["vt"], perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["qt", "kt"], ["s"]),
        helper.make_node("Div", ["s", "scale"], ["ss"]),
        helper.make_node("Softmax", ["ss"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "vt"], ["o"]),
        helper.make_node("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["ot", "merged"], ["y"]),
    ]
    model = make_model(
        nodes, [tensor_info("x", [batch, seq, hidden])],
        [tensor_info("y", [batch, seq, hidden])],
        {"w": w, "split": np.array([hidden] * 3, np.int64),
         "heads": np.array([batch, seq, heads, dim], np.int64),
         "merged": np.array([batch, seq, hidden], np.int64),
         "scale": np.array(np.sqrt(dim), np.float32)})
    x = rng.standard_normal((batch, seq, hidden)).astype(np.float32)
    return model, {"x": x}


check("attention, batch 1", *attention(1))
check("attention, batch 2", *attention(2))
a = rng.standard_normal((6, 5)).astype(np.float32)
check("transposed activation operand",
      make_model([helper.make_node("Relu", ["x"], ["r"]),
                  helper.make_node("Transpose", ["r"], ["rt"], perm=[1, 0]),
                  helper.make_node("MatMul", ["rt", "a"], ["y"])],
                 [tensor_info("x", [6, 7])], [tensor_info("y", [7, 5])],
                 {"a": a}),
      {"x": rng.standard_normal((6, 7)).astype(np.float32)})
check("a transpose that is also an output stays",
      make_model([helper.make_node("Transpose", ["x"], ["t"], perm=[1, 0]),
                  helper.make_node("MatMul", ["t", "a"], ["y"])],
                 [tensor_info("x", [6, 7])],
                 [tensor_info("t", [7, 6]), tensor_info("y", [7, 5])],
                 {"a": a}),
      {"x": rng.standard_normal((6, 7)).astype(np.float32)}, transposes=1)
res.finish()
