# RUN: %python %s | FileCheck %s
# gcomp-debug compare: all nodes agree on a correct build; with one node made
# wrong on purpose (gcomp --debug-perturb-node), it names exactly that node.
# CHECK-NOT: FAIL
# CHECK: PASS compare agrees
# CHECK: PASS compare names the perturbed node fc2
# CHECK: PASS compare names the perturbed node softmax
# CHECK: PASS text report
# CHECK: PASS bisect with nothing wrong
# CHECK: PASS bisect names gcomp-fuse-elementwise
# CHECK: PASS bisect names fusion #1
# CHECK: 7 of 7 checks passed
import json
import os
import tempfile

import numpy as np
from gcomp_testing import *

DEBUG = os.path.join(BIN, "gcomp-debug")
rng = np.random.default_rng(11)
model = make_model(
    [helper.make_node("Gemm", ["x", "W1", "b1"], ["h"], transB=1, name="fc1"),
     helper.make_node("Relu", ["h"], ["r"], name="relu1"),
     helper.make_node("MatMul", ["r", "W2"], ["m"], name="fc2"),
     helper.make_node("Add", ["m", "b2"], ["z"], name="bias2"),
     helper.make_node("Softmax", ["z"], ["y"], axis=1, name="softmax")],
    [tensor_info("x", [3, 16])], [tensor_info("y", [3, 5])],
    {"W1": rng.standard_normal((8, 16)).astype(np.float32),
     "b1": rng.standard_normal(8).astype(np.float32),
     "W2": rng.standard_normal((8, 5)).astype(np.float32),
     "b2": rng.standard_normal(5).astype(np.float32)})

res = Results()
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "mlp.onnx")
    onnx.save(model, path)
    np.save(os.path.join(d, "x.npy"),
            rng.standard_normal((3, 16)).astype(np.float32))
    # An elementwise chain (the MLP's products and their epilogues are
    # gcomp-fuse-conv's; this gives gcomp-fuse-elementwise three fusions).
    chain = make_model(
        [helper.make_node("Add", ["x", "c1"], ["a"], name="add"),
         helper.make_node("Mul", ["a", "c2"], ["b"], name="mul"),
         helper.make_node("Tanh", ["b"], ["t"], name="tanh"),
         helper.make_node("Add", ["t", "c3"], ["y"], name="add2")],
        [tensor_info("x", [3, 16])], [tensor_info("y", [3, 16])],
        {"c1": rng.standard_normal(16).astype(np.float32),
         "c2": rng.standard_normal(16).astype(np.float32),
         "c3": rng.standard_normal(16).astype(np.float32)})
    chain_path = os.path.join(d, "chain.onnx")
    onnx.save(chain, chain_path)
    base = [DEBUG, "compare", path, "--input", f"x={d}/x.npy"]

    def agrees():
        r = run(base + ["--json"])
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        report = json.loads(r.stdout)
        assert report["first_bad"] is None, report
        assert [n["name"] for n in report["nodes"]] == \
            ["fc1", "relu1", "fc2", "bias2", "softmax"], report
        assert all(n["ok"] and n["max_abs_err"] < 1e-4 for n in report["nodes"])
        assert set(report["nodes"][0]) >= {"name", "op", "max_abs_err",
                                           "max_rel_err", "ok"}
        print("PASS compare agrees")

    def perturbed(node):
        r = run(base + ["--json", "--", "--debug-perturb-node", node])
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        report = json.loads(r.stdout)
        assert report["first_bad"] == node, report["first_bad"]
        bad = [n["name"] for n in report["nodes"] if not n["ok"]]
        assert bad[0] == node, bad
        print(f"PASS compare names the perturbed node {node}")

    def text():
        r = run(base + ["--", "--debug-perturb-node", "fc2"])
        assert r.returncode == 1
        assert "First bad node: 'fc2' (MatMul)" in r.stdout, r.stdout
        assert "4 of 5 nodes agree" not in r.stdout  # later nodes fail too
        print("PASS text report")

    res.check("agrees", agrees)
    res.check("fc2", perturbed, "fc2")
    res.check("softmax", perturbed, "softmax")
    def bisect_clean():
        r = run([DEBUG, "bisect", path, "--input", f"x={d}/x.npy", "--json"])
        assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
        assert json.loads(r.stdout)["agrees"] is True
        print("PASS bisect with nothing wrong")

    def bisect_broken():
        r = run([DEBUG, "bisect", chain_path, "--input", f"x={d}/x.npy",
                 "--json", "--", "--debug-miscompile",
                 "gcomp-fuse-elementwise"])
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        result = json.loads(r.stdout)
        assert result["culprit"] == ["gcomp-fuse-elementwise"], result
        r = run([DEBUG, "bisect", chain_path, "--input", f"x={d}/x.npy",
                 "--", "--debug-miscompile", "gcomp-fuse-elementwise"])
        assert "Disabling 'gcomp-fuse-elementwise' makes the outputs agree" \
            in r.stdout, r.stdout
        print("PASS bisect names gcomp-fuse-elementwise")

    def bisect_fusion():
        # Fusion #1 of the chain's three is broken: bisect must name it and
        # its nodes.
        flags = ["--", "--debug-miscompile", "gcomp-fuse-elementwise:1"]
        fusions = run([os.path.join(BIN, "gcomp"), chain_path, "-o", f"{d}/f.so",
                       "--debug-print-fusions"]).stderr
        assert fusions.count("fusion #") == 3, fusions
        line = next(l for l in fusions.splitlines() if "fusion #1:" in l)
        described = line.split("fusion #1: ", 1)[1]
        r = run([DEBUG, "bisect", chain_path, "--input", f"x={d}/x.npy", "--json"] + flags)
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        result = json.loads(r.stdout)
        assert result["culprit"] == ["gcomp-fuse-elementwise"], result
        assert result["fusion"] == {"index": 1, "description": described}, result
        r = run([DEBUG, "bisect", chain_path, "--input", f"x={d}/x.npy"] + flags)
        assert f"The first fusion that breaks it is #1: {described}" in r.stdout, r.stdout
        print("PASS bisect names fusion #1")

    res.check("text", text)
    res.check("bisect clean", bisect_clean)
    res.check("bisect broken", bisect_broken)
    res.check("bisect fusion", bisect_fusion)
res.finish()
