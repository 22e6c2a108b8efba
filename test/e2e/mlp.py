# RUN: %python %s | FileCheck %s
# An MLP (Gemm + Relu + Gemm + Softmax, batch 4) against onnxruntime; the
# library depends on nothing but libc/libm; gcomp-run's --expect catches a
# wrong answer, --output-dir writes outputs and --bench --json reports times.
# CHECK: PASS mlp
# CHECK: PASS deps
# CHECK: PASS mismatch
# CHECK: PASS output-dir
# CHECK: PASS bench
# CHECK: 5 of 5 checks passed
import json
import os
import tempfile

import numpy as np
from gcomp_testing import *

rng = np.random.default_rng(1)
W1 = rng.standard_normal((64, 32)).astype(np.float32) * 0.3
b1 = rng.standard_normal(64).astype(np.float32)
W2 = rng.standard_normal((10, 64)).astype(np.float32) * 0.3
b2 = rng.standard_normal(10).astype(np.float32)
model = make_model(
    [helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1, name="fc1"),
     helper.make_node("Relu", ["h"], ["r"], name="relu1"),
     helper.make_node("Gemm", ["r", "W2", "b2"], ["z"], transB=1, name="fc2"),
     helper.make_node("Softmax", ["z"], ["y"], axis=1, name="softmax")],
    [tensor_info("x", [4, 32])], [tensor_info("y", [4, 10])],
    {"W1": W1, "b1": b1, "W2": W2, "b2": b2})

res = Results()
res.check("mlp", check_against_onnxruntime, model, "mlp")

with tempfile.TemporaryDirectory() as d:
    _, so = compile_model(model, d)

    def deps():
        out = run(["readelf", "-d", so]).stdout
        needed = sorted(l.split("[")[1].rstrip("]") for l in out.splitlines()
                        if "(NEEDED)" in l)
        assert needed == ["libc.so.6", "libm.so.6"], needed
        exported = run(["nm", "-D", "--defined-only", so]).stdout.split()[2::3]
        assert exported and all(s.startswith("gcomp_") for s in exported), exported
        print("PASS deps")

    def mismatch():
        x = rng.standard_normal((4, 32)).astype(np.float32)
        wrong = np.full((4, 10), 0.1, np.float32)
        np.save(os.path.join(d, "x.npy"), x)
        np.save(os.path.join(d, "wrong.npy"), wrong)
        r = run([GCOMP_RUN, so, "--input", f"x={d}/x.npy",
                 "--expect", f"y={d}/wrong.npy"])
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "y" in r.stdout + r.stderr
        print("PASS mismatch")

    def output_dir():
        r = run([GCOMP_RUN, so, "--input", f"x={d}/x.npy",
                 "--output-dir", f"{d}/out"])
        assert r.returncode == 0, r.stderr
        y = np.load(f"{d}/out/y.npy")
        assert y.shape == (4, 10) and np.allclose(y.sum(axis=1), 1, atol=1e-5)
        print("PASS output-dir")

    def bench():
        r = run([GCOMP_RUN, so, "--bench", "20", "--json"])
        assert r.returncode == 0, r.stderr
        stats = json.loads(r.stdout)
        assert {"median_ms", "min_ms", "p90_ms"} <= set(stats), stats
        assert 0 <= stats["min_ms"] <= stats["median_ms"] <= stats["p90_ms"]
        print("PASS bench")

    res.check("deps", deps)
    res.check("mismatch", mismatch)
    res.check("output-dir", output_dir)
    res.check("bench", bench)
res.finish()
