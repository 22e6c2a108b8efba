# RUN: %python %s | FileCheck %s
# Identical numbers on every run: a compiled model reads no memory that it
# did not write. Each model runs twice on the same inputs with its
# workspace and outputs filled with different bytes before every run
# (GCOMP_POISON_WORKSPACE: zeros, then 0xff, which is a NaN pattern); the
# outputs must be bit-identical. Where valgrind is installed, the models
# also run under memcheck (AVX2 code: valgrind has no AVX-512), which
# reports any use of an uninitialized value and any invalid access.
# CHECK-NOT: FAIL
# CHECK: PASS poisoned workspaces agree: transformer block
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import shutil
import tempfile

import numpy as np
from harness import *

res = Results()
rng = np.random.default_rng(11)


def transformer_block():
    """LayerNorm -> self-attention (QK^T, softmax, V) -> residual -> GELU
    MLP -> residual: the runtime's GEMM, softmax and layer-norm kernels and
    fused elementwise code."""
    d, s, f = 32, 12, 64
    w = {name: rng.standard_normal(shape).astype(np.float32) * 0.2
         for name, shape in (("wq", (d, d)), ("wk", (d, d)), ("wv", (d, d)),
                             ("w1", (d, f)), ("w2", (f, d)))}
    w["g"] = np.ones(d, np.float32)
    w["b"] = np.zeros(d, np.float32)
    w["scale"] = np.array(1 / np.sqrt(d), np.float32)
    w["half"] = np.array(0.5, np.float32)
    w["one"] = np.array(1.0, np.float32)
    w["rsqrt2"] = np.array(1 / np.sqrt(2), np.float32)
    n = helper.make_node
    nodes = [
        n("LayerNormalization", ["x", "g", "b"], ["ln"], axis=-1),
        n("MatMul", ["ln", "wq"], ["q"]), n("MatMul", ["ln", "wk"], ["k"]),
        n("MatMul", ["ln", "wv"], ["v"]),
        n("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        n("MatMul", ["q", "kt"], ["qk"]), n("Mul", ["qk", "scale"], ["qks"]),
        n("Softmax", ["qks"], ["p"], axis=-1), n("MatMul", ["p", "v"], ["a"]),
        n("Add", ["x", "a"], ["r1"]), n("MatMul", ["r1", "w1"], ["h"]),
        n("Mul", ["h", "rsqrt2"], ["hs"]), n("Erf", ["hs"], ["e"]),
        n("Add", ["e", "one"], ["e1"]), n("Mul", ["h", "e1"], ["he"]),
        n("Mul", ["he", "half"], ["gelu"]), n("MatMul", ["gelu", "w2"], ["m"]),
        n("Add", ["r1", "m"], ["y"]),
    ]
    return make_model(nodes, [tensor_info("x", [2, s, d])],
                      [tensor_info("y", [2, s, d])], w)


def pooled_convs():
    """Conv -> BatchNorm -> Relu -> MaxPool -> depthwise Conv -> Relu6 ->
    GlobalAveragePool: the conv, depthwise and pool kernels."""
    c = 16
    w = {"w1": rng.standard_normal((c, 3, 3, 3)).astype(np.float32) * 0.3,
         "w2": rng.standard_normal((c, 1, 3, 3)).astype(np.float32) * 0.3,
         "s": rng.random(c).astype(np.float32) + 0.5,
         "bb": rng.standard_normal(c).astype(np.float32),
         "m": rng.standard_normal(c).astype(np.float32) * 0.1,
         "var": rng.random(c).astype(np.float32) + 0.5,
         "lo": np.array(0, np.float32), "hi": np.array(6, np.float32)}
    n = helper.make_node
    nodes = [
        n("Conv", ["x", "w1"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
        n("BatchNormalization", ["c1", "s", "bb", "m", "var"], ["bn"]),
        n("Relu", ["bn"], ["r"]),
        n("MaxPool", ["r"], ["mp"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
          strides=[1, 1]),
        n("Conv", ["mp", "w2"], ["dw"], pads=[1, 1, 1, 1], group=c),
        n("Clip", ["dw", "lo", "hi"], ["r6"]),
        n("GlobalAveragePool", ["r6"], ["y"]),
    ]
    return make_model(nodes, [tensor_info("x", [2, 3, 33, 33])],
                      [tensor_info("y", [2, c, 1, 1])], w)


MODELS = [("MLP", mlp_model()), ("convolutions", pooled_convs()),
          ("transformer block", transformer_block())]
VALGRIND = shutil.which("valgrind")


def outputs(so, out_dir, env):
    check([GCOMP_RUN, so, "--seed", "7", "--output-dir", out_dir],
          env={**os.environ, **env})
    return {f: open(os.path.join(out_dir, f), "rb").read()
            for f in sorted(os.listdir(out_dir))}


with tempfile.TemporaryDirectory() as d:
    for label, model in MODELS:
        work = os.path.join(d, label.replace(" ", "_"))
        os.makedirs(work)
        _, so = compile_model(model, work)

        def poisoned(label=label, so=so, work=work):
            runs = [outputs(so, os.path.join(work, f"out{byte}"),
                            {"GCOMP_POISON_WORKSPACE": byte,
                             "GCOMP_NUM_THREADS": "2"})
                    for byte in ("0x00", "0xff")]
            assert runs[0] and runs[0] == runs[1], \
                "outputs differ when the workspace holds other bytes"
            print(f"PASS poisoned workspaces agree: {label}")
        res.check(f"poison {label}", poisoned)

        if not VALGRIND:
            continue

        def memcheck(label=label, model=model, work=work):
            _, so = compile_model(model, work, name="avx2",
                                  extra=["--mcpu=haswell"])
            r = run([VALGRIND, "--error-exitcode=99", "--quiet",
                     GCOMP_RUN, so, "--seed", "7"],
                    env={**os.environ, "GCOMP_MAX_CPU_ISA": "avx2",
                         "GCOMP_NUM_THREADS": "2"})
            assert r.returncode == 0, f"valgrind: {r.returncode}\n{r.stderr}"
            print(f"PASS valgrind memcheck clean: {label}")
        res.check(f"valgrind {label}", memcheck)

res.finish()
