# RUN: %python %s | FileCheck %s
# Bad input never crashes gcomp: each case exits non-zero with one
# "gcomp: error:" line that says what is wrong, and leaves no output file.
# CHECK-NOT: FAIL
# CHECK: PASS external data inside the folder
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import tempfile

import numpy as np
from gcomp_testing import *
from onnx import external_data_helper

res = Results()
rng = np.random.default_rng(5)
W = rng.standard_normal((4, 3)).astype(np.float32)


def mlp():
    return make_model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                      [tensor_info("x", [2, 4])], [tensor_info("y", [2, 3])],
                      {"W": W})


def expect_error(label, model_path, needle, extra=()):
    res.check(label, check_compile_error, label, model_path, needle, extra)


with tempfile.TemporaryDirectory() as d:
    good = os.path.join(d, "good.onnx")
    onnx.save(mlp(), good)
    data = open(good, "rb").read()

    def write(name, payload):
        sub = os.path.join(d, name)
        os.makedirs(sub)
        path = os.path.join(sub, "model.onnx")
        open(path, "wb").write(payload)
        return path

    expect_error("missing file", os.path.join(d, "none.onnx"),
                 "cannot read the model")
    expect_error("not ONNX", write("text", b"hello, this is not a model\n" * 8),
                 "not a valid ONNX model")
    expect_error("empty file", write("empty", b""), "not a valid ONNX model")
    expect_error("truncated", write("trunc", data[: len(data) // 2]),
                 "not a valid ONNX model")

    # An op no opset defines (the checker would refuse it; gcomp must not
    # crash on it either).
    custom = onnx.helper.make_model(onnx.helper.make_graph(
        [helper.make_node("Frobnicate", ["x"], ["y"], name="frob_3")], "g",
        [tensor_info("x", [2])], [tensor_info("y", [2])]),
        opset_imports=[helper.make_opsetid("", 17)])
    expect_error("unsupported op", write("custom", custom.SerializeToString()),
                 "node 'frob_3' (Frobnicate, opset 17): unsupported operator; "
                 "gcomp supports: Abs, Acos,")
    expect_error("unknown input name", write("shape", data),
                 "--shape names 'z', which is not a graph input (inputs: 'x')",
                 extra=["--shape", "z=1x4"])
    expect_error("bad cpu", write("cpu", data), "unknown CPU 'pentium99'",
                 extra=["--mcpu", "pentium99"])

    # External data: good, missing, and escaping the folder.
    ext_dir = os.path.join(d, "ext")
    os.makedirs(ext_dir)
    ext = os.path.join(ext_dir, "model.onnx")
    m = mlp()
    onnx.save_model(m, ext, save_as_external_data=True,
                    all_tensors_to_one_file=True, location="weights.bin",
                    size_threshold=0)

    # Compile in place so the weights resolve next to the model.
    def external_in_place():
        so = os.path.join(d, "ext.so")
        r = run([GCOMP, ext, "-o", so])
        assert r.returncode == 0, r.stderr
        x = rng.standard_normal((2, 4)).astype(np.float32)
        np.save(os.path.join(d, "x.npy"), x)
        np.save(os.path.join(d, "y.npy"), x @ W)
        r = run([GCOMP_RUN, so, "--input", f"x={d}/x.npy",
                 "--expect", f"y={d}/y.npy"])
        assert r.returncode == 0, r.stdout + r.stderr
        print("PASS external data inside the folder")
    res.check("external data inside the folder", external_in_place)

    missing = write("missing-ext", open(ext, "rb").read())
    expect_error("missing external data", missing,
                 "external data file 'weights.bin' not found")

    def with_location(location):
        m = onnx.load(ext, load_external_data=False)
        for t in m.graph.initializer:
            for e in t.external_data:
                if e.key == "location":
                    e.value = location
        return m.SerializeToString()

    expect_error("location with ../",
                 write("escape", with_location("../ext/weights.bin")),
                 "external data location '../ext/weights.bin' escapes the model's folder")
    expect_error("absolute location",
                 write("absolute", with_location("/etc/passwd")),
                 "external data location '/etc/passwd' escapes the model's folder")

    # gcomp-run: an input name the model does not have.
    def run_unknown_input():
        so = os.path.join(d, "good.so")
        assert run([GCOMP, good, "-o", so]).returncode == 0
        np.save(os.path.join(d, "z.npy"), np.zeros((2, 4), np.float32))
        r = run([GCOMP_RUN, so, "--input", f"nope={d}/z.npy"])
        assert r.returncode == 2, r.returncode
        assert "no input named 'nope' (inputs: x)" in r.stderr, r.stderr
        np.save(os.path.join(d, "bad.npy"), np.zeros((3, 4), np.float32))
        r = run([GCOMP_RUN, so, "--input", f"x={d}/bad.npy"])
        assert r.returncode == 2 and "x" in r.stderr, r.stderr
        print("PASS gcomp-run input checks: " + r.stderr.strip())
    res.check("gcomp-run input checks", run_unknown_input)

res.finish()
