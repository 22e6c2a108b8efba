# RUN: %python %s | FileCheck %s
# Constant folding with a size cap (gcomp-fold-constants, --fold-limit) and
# merging of equal constants: a weight the graph transposes and scales
# before a MatMul is one constant by default and stays ops under a small
# cap; two initializers with the same bytes are stored once. Numbers match
# onnxruntime either way; --stats shows what was folded.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import tempfile

import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(31)


w = (rng.standard_normal((256, 128)) * 0.1).astype(np.float32)  # 128 KiB
model = make_model(
    [helper.make_node("Transpose", ["w"], ["wt"], perm=[1, 0]),
     helper.make_node("Mul", ["wt", "half"], ["ws"]),
     helper.make_node("MatMul", ["x", "ws"], ["h"]),
     helper.make_node("MatMul", ["x2", "w2"], ["h2"]),
     helper.make_node("MatMul", ["x2", "w3"], ["h3"]),
     helper.make_node("Add", ["h2", "h3"], ["h23"]),
     helper.make_node("Concat", ["h", "h23"], ["y"], axis=1)],
    [tensor_info("x", [4, 128]), tensor_info("x2", [4, 64])],
    [tensor_info("y", [4, 384])],
    {"w": w, "half": np.array(0.5, np.float32),
     "w2": (w[:64] * 2).copy(), "w3": (w[:64] * 2).copy()})
feeds = {"x": rng.standard_normal((4, 128)).astype(np.float32),
         "x2": rng.standard_normal((4, 64)).astype(np.float32)}


def graph(flags=()):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        r = run([GCOMP, path, "--emit=gcomp", "-o", "-", *flags])
        if r.returncode != 0:
            raise AssertionError(r.stderr)
        return r.stdout


def folded():
    # Transpose and Mul on the 128 KiB weight: folded by default (and the
    # product then packs the folded weight), not under a 1 KiB cap.
    default, capped = graph(), graph(["--fold-limit", "1K"])
    ops = ("gcomp.transpose", "gcomp.mul")
    if any(op in default for op in ops) or not all(op in capped for op in ops):
        raise AssertionError(f"folded:\n{default}\ncapped:\n{capped}")
    print("PASS transpose and mul of the weight folded, kept under a 1 KiB cap")


def merged():
    # w2 and w3 hold the same bytes: one copy of them (64 x 128 floats,
    # packed for the GEMM) in the library, so the constants are smaller
    # than with the second one made different.
    different = onnx.ModelProto()
    different.CopyFrom(model)
    for init in different.graph.initializer:
        if init.name == "w3":
            init.CopyFrom(numpy_helper.from_array((w[:64] * 3).copy(), "w3"))
    same, apart = (gcomp_stats(model)["constant_bytes"],
                   gcomp_stats(different)["constant_bytes"])
    if not apart - same >= 64 * 128 * 4:
        raise AssertionError(f"constant bytes {same} (equal weights) vs "
                             f"{apart} (different)")
    print(f"PASS constant bytes: {same} with equal weights, {apart} without")


res.check("folding under and over the cap", folded)
res.check("equal initializers merged", merged)
for flags in ((), ("--fold-limit", "1K"), ("-O0",)):
    res.check(f"numbers {' '.join(flags)}".strip(), check_against_onnxruntime,
              model, "fold", feeds=feeds, gcomp_flags=flags)
res.finish()
