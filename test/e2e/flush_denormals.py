# RUN: %python %s | FileCheck %s
# gcomp --flush-denormals: the model's runs flush denormal results to zero
# (FTZ) and read denormal operands as zero (DAZ), on the calling thread and
# on the pool's threads (the product is large enough to be split across
# two), and leave every other value as it was; without the flag denormals
# are kept, as onnxruntime keeps them.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import subprocess
import tempfile

import numpy as np
from gcomp_testing import *

res = Results()
n = 1 << 16  # elements: past the 32768 at which loops go parallel
model = make_model([helper.make_node("Mul", ["x", "c"], ["p"]),
                    helper.make_node("Mul", ["d", "two"], ["q"])],
                   [tensor_info("x", [n]), tensor_info("d", [n])],
                   [tensor_info("p", [n]), tensor_info("q", [n])],
                   {"c": np.array(1e-20, np.float32),
                    "two": np.array(2, np.float32)})
rng = np.random.default_rng(3)
x = np.where(rng.random(n) < 0.5, np.float32(1e-20),
             rng.standard_normal(n).astype(np.float32)).astype(np.float32)
d = np.where(rng.random(n) < 0.5, np.float32(1e-39),
             rng.standard_normal(n).astype(np.float32)).astype(np.float32)
tiny = np.finfo(np.float32).tiny


def outputs(flags):
    with tempfile.TemporaryDirectory() as t:
        _, so = compile_model(model, t, extra=flags)
        np.save(os.path.join(t, "x.npy"), x)
        np.save(os.path.join(t, "d.npy"), d)
        out = os.path.join(t, "out")
        env = dict(os.environ, GCOMP_NUM_THREADS="2")
        r = subprocess.run([GCOMP_RUN, so, "--input", f"x={t}/x.npy",
                            "--input", f"d={t}/d.npy", "--output-dir", out],
                           capture_output=True, text=True, env=env)
        if r.returncode != 0:
            raise AssertionError(r.stdout + r.stderr)
        return np.load(os.path.join(out, "p.npy")), np.load(os.path.join(out, "q.npy"))


def kept():
    p, q = outputs(())
    ref_p, ref_q = x * np.float32(1e-20), d * np.float32(2)
    assert np.count_nonzero((ref_p != 0) & (np.abs(ref_p) < tiny)) > n // 4
    np.testing.assert_array_equal(p, ref_p)
    np.testing.assert_array_equal(q, ref_q)


def flushed():
    p, q = outputs(("--flush-denormals",))
    ref_p = x * np.float32(1e-20)
    ref_p[np.abs(ref_p) < tiny] = 0  # FTZ: denormal results
    ref_q = np.where(np.abs(d) < tiny, np.float32(0), d * np.float32(2))  # DAZ
    np.testing.assert_array_equal(p, ref_p)
    np.testing.assert_array_equal(q, ref_q)


res.check("denormals kept by default, on two threads", kept)
res.check("--flush-denormals flushes results and operands, on two threads", flushed)
res.finish()
