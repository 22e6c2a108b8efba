"""Helpers for gcomp's end-to-end tests: build a model with the onnx helper,
compile it with gcomp, run it with gcomp-run and compare with onnxruntime."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

BIN = os.environ.get("GCOMP_BIN", "")
GCOMP = os.path.join(BIN, "gcomp")
GCOMP_RUN = os.path.join(BIN, "gcomp-run")

# The project's fp32 tolerances (rtol 1e-4, atol 1e-5); a test whose op's
# math needs others passes its own.
RTOL, ATOL = 1e-4, 1e-5


def tensor_info(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def make_model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              [numpy_helper.from_array(v, k) for k, v in
                               dict(initializers).items()])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def compile_model(model, workdir, name="model", extra=()):
    path = os.path.join(workdir, name + ".onnx")
    onnx.save(model, path)
    so = os.path.join(workdir, name + ".so")
    r = run([GCOMP, path, "-o", so, *extra])
    if r.returncode != 0:
        raise AssertionError(f"gcomp failed ({r.returncode}): {r.stderr}")
    return path, so


def gcomp_stats(model, flags=()):
    """Compiles `model` (with `flags`) and returns what gcomp --stats
    printed, as a dict (kernels_by_kind, graph_ops, constant_bytes...)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        r = run([GCOMP, path, "-o", os.path.join(d, "m.so"), "--stats", *flags])
        if r.returncode != 0:
            raise AssertionError(f"gcomp failed ({r.returncode}): {r.stderr}")
        return json.loads(r.stdout)


def check_kernels_and_numbers(results, label, model, feeds, expected_kinds):
    """Checks that `model` compiles to exactly `expected_kinds` kernels (by
    kind, as --stats counts them) and that it matches onnxruntime at -O2
    and -O0, as three checks of `results`."""
    def count():
        got = gcomp_stats(model)["kernels_by_kind"]
        if got != expected_kinds:
            raise AssertionError(f"kernels {got}, expected {expected_kinds}")
        print(f"PASS {label}: {got}")
    results.check(f"{label} kernels", count)
    for flags in ((), ("-O0",)):
        results.check(f"{label} {' '.join(flags)}".strip(),
                      check_against_onnxruntime, model, label, feeds=feeds,
                      gcomp_flags=flags)


def random_inputs(model, seed=0):
    rng = np.random.default_rng(seed)
    feeds = {}
    inits = {i.name for i in model.graph.initializer}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        et = vi.type.tensor_type.elem_type
        if et == TensorProto.FLOAT:
            feeds[vi.name] = rng.uniform(-2, 2, shape).astype(np.float32)
        elif et == TensorProto.INT64:
            feeds[vi.name] = rng.integers(-5, 5, shape).astype(np.int64)
        elif et == TensorProto.INT32:
            feeds[vi.name] = rng.integers(1, 9, shape).astype(np.int32)
        elif et == TensorProto.BOOL:
            feeds[vi.name] = rng.integers(0, 2, shape).astype(bool)
        else:
            raise NotImplementedError(et)
    return feeds


def check_against_onnxruntime(model, label, feeds=None, rtol=RTOL, atol=ATOL,
                              gcomp_flags=()):
    """Compiles `model` (with `gcomp_flags`), runs it on `feeds` with
    gcomp-run --expect against onnxruntime's outputs. Returns the gcomp-run
    result; raises on mismatch."""
    feeds = feeds if feeds is not None else random_inputs(model)
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    expected = dict(zip(names, sess.run(None, feeds)))
    return check_expected(model, label, feeds, expected, rtol, atol,
                          gcomp_flags)


def check_expected(model, label, feeds, expected, rtol=RTOL, atol=ATOL,
                   gcomp_flags=()):
    """Compiles `model` (with `gcomp_flags`) and runs it on `feeds` with
    gcomp-run --expect against `expected` (output name -> array). Returns
    the gcomp-run result; raises on mismatch."""
    with tempfile.TemporaryDirectory() as d:
        _, so = compile_model(model, d, extra=gcomp_flags)
        args = [GCOMP_RUN, so, "--rtol", str(rtol), "--atol", str(atol)]
        for k, v in feeds.items():
            p = os.path.join(d, f"in_{len(args)}.npy")
            np.save(p, v)
            args += ["--input", f"{k}={p}"]
        for k, v in expected.items():
            p = os.path.join(d, f"out_{len(args)}.npy")
            np.save(p, v)
            args += ["--expect", f"{k}={p}"]
        r = run(args)
        if r.returncode != 0:
            raise AssertionError(f"{label}: gcomp-run --expect failed "
                                 f"({r.returncode}):\n{r.stdout}{r.stderr}")
        print(f"PASS {label}")
        return r


def check_weight_only_product(label, model, packed=True):
    """`model` (output y: a product by weight-only quantized weights)
    compiles to gcomp.matmul_nbits with no float product left (or, without
    `packed`, to no matmul_nbits), and matches onnxruntime's unoptimized
    graph: its optimizer fuses DequantizeLinear + MatMul into its own
    MatMulNBits, which may quantize A to int8, so the reference is the
    exact product."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        r = run([GCOMP, path, "--emit=gcomp", "-o", "-"])
        assert r.returncode == 0, r.stderr
        assert ("gcomp.matmul_nbits" in r.stdout) == packed, \
            "packed" if not packed else "not a packed product"
        if packed:
            for op in ("gcomp.matmul ", "gcomp.gemm "):
                assert op not in r.stdout, "a float product remains"
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])
    feeds = random_inputs(model)
    check_expected(model, label, feeds, {"y": sess.run(None, feeds)[0]})


def check_compile_error(label, model_path, needle, extra=()):
    """gcomp on `model_path` fails cleanly: exit status 1-127 (no signal),
    one "gcomp: error:" line that contains `needle`, and no file left in
    the model's folder. Raises AssertionError otherwise."""
    d = os.path.dirname(model_path)
    before = set(os.listdir(d))
    r = run([GCOMP, model_path, "-o", os.path.join(d, "out.so"), *extra])
    lines = r.stderr.strip().splitlines()
    assert 0 < r.returncode < 128, f"exit status {r.returncode}"
    assert len(lines) == 1, f"expected one line, got: {r.stderr!r}"
    assert lines[0].startswith("gcomp: error: "), lines[0]
    assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    assert set(os.listdir(d)) == before, "left files behind: %s" % (
        set(os.listdir(d)) - before)
    print(f"PASS {label}: {lines[0].split(': ', 2)[-1]}")


class Results:
    """Counts checks so a test file reports and fails as a whole."""

    def __init__(self):
        self.failures = []
        self.count = 0

    def check(self, label, fn, *args, **kw):
        self.count += 1
        try:
            fn(*args, **kw)
        except Exception as e:  # report every failing case, then fail
            self.failures.append(label)
            print(f"FAIL {label}: {e}")

    def finish(self):
        print(f"{self.count - len(self.failures)} of {self.count} checks passed")
        sys.exit(1 if self.failures else 0)
