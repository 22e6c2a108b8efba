"""Helpers for the integration tests: small models, a C program that runs
compiled models through their generated headers, and tool lookup."""
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from gcomp_testing import *  # noqa: E402,F401,F403

LLVM_BIN = "/usr/lib/llvm-22/bin"


def tool(name):
    """A compiler or binutil: LLVM 22's if present, else the PATH's."""
    p = os.path.join(LLVM_BIN, name)
    return p if os.path.exists(p) else shutil.which(name)


def check(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed "
                             f"({r.returncode}):\n{r.stdout}{r.stderr}")
    return r


def mlp_model(seed=1, hidden=16):
    """x[4, 8] -> Gemm -> Relu -> Gemm -> y[4, 3]."""
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((8, hidden)).astype(np.float32)
    b1 = rng.standard_normal(hidden).astype(np.float32)
    w2 = rng.standard_normal((hidden, 3)).astype(np.float32)
    return make_model(
        [helper.make_node("MatMul", ["x", "w1"], ["h0"]),
         helper.make_node("Add", ["h0", "b1"], ["h1"]),
         helper.make_node("Relu", ["h1"], ["h"]),
         helper.make_node("MatMul", ["h", "w2"], ["y"])],
        [tensor_info("x", [4, 8])], [tensor_info("y", [4, 3])],
        {"w1": w1, "b1": b1, "w2": w2})


def conv_model(seed=2):
    """x[1, 3, 10, 10] -> Conv 3x3 pad 1 -> Relu -> GlobalAveragePool."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    return make_model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"]),
         helper.make_node("GlobalAveragePool", ["r"], ["y"])],
        [tensor_info("x", [1, 3, 10, 10])], [tensor_info("y", [1, 6, 1, 1])],
        {"w": w, "b": b})


def onnxruntime_outputs(model, feeds):
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def run_function_c(prefix, macro):
    """C source of `int run_<prefix>(in_path, out_path)`: runs the model
    whose header defines `macro`_* (one float input, one float output) on the
    raw floats of in_path and writes the raw output floats to out_path."""
    p, m = prefix, macro
    return f"""
static int run_{p or 'model'}(const char *in_path, const char *out_path) {{
  static const int64_t in_dims[] = {m}_INPUT_0_DIMS;
  static const int64_t out_dims[] = {m}_OUTPUT_0_DIMS;
  static float x[{m}_INPUT_0_NUM_ELEMENTS], y[{m}_OUTPUT_0_NUM_ELEMENTS];
  gcomp_model *model;
  if ({p}gcomp_model_create(&model) != GCOMP_OK) {{
    fprintf(stderr, "create: %s\\n", {p}gcomp_last_error());
    return 1;
  }}
  FILE *f = fopen(in_path, "rb");
  if (!f || fread(x, sizeof x, 1, f) != 1) {{
    fprintf(stderr, "cannot read %s\\n", in_path);
    return 1;
  }}
  fclose(f);
  gcomp_tensor in = {{x, sizeof x, GCOMP_DTYPE_FLOAT32, {m}_INPUT_0_RANK,
                      in_dims}};
  gcomp_tensor out = {{y, sizeof y, GCOMP_DTYPE_FLOAT32, {m}_OUTPUT_0_RANK,
                       out_dims}};
  if ({p}gcomp_model_run(model, &in, 1, &out, 1) != GCOMP_OK) {{
    fprintf(stderr, "run: %s\\n", {p}gcomp_model_last_error(model));
    return 1;
  }}
  f = fopen(out_path, "wb");
  if (!f || fwrite(y, sizeof y, 1, f) != 1) {{
    fprintf(stderr, "cannot write %s\\n", out_path);
    return 1;
  }}
  fclose(f);
  printf("%s: %s, ran %s\\n", "{p or 'model'}", {p}gcomp_version(),
         {m}_INPUT_0_NAME);
  {p}gcomp_model_destroy(model);
  return 0;
}}
"""


def c_program(headers, models):
    """A C main that includes `headers` and runs each (prefix, macro) of
    `models` on argv[1 + 2i] -> argv[2 + 2i]."""
    src = "#include <stdio.h>\n"
    src += "".join(f'#include "{h}"\n' for h in headers)
    src += "".join(run_function_c(p, m) for p, m in models)
    src += "int main(int argc, char **argv) {\n"
    src += f"  if (argc != {1 + 2 * len(models)}) return 2;\n"
    for i, (p, _) in enumerate(models):
        src += (f"  if (run_{p or 'model'}(argv[{1 + 2 * i}], "
                f"argv[{2 + 2 * i}])) return 1;\n")
    src += "  return 0;\n}\n"
    return src


def compare(label, got, expected, rtol=RTOL, atol=ATOL):
    got = np.asarray(got, dtype=np.float32).reshape(expected.shape)
    err = np.max(np.abs(got - expected)) if expected.size else 0.0
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        raise AssertionError(f"{label}: max abs error {err}")
    print(f"PASS {label} (max abs error {err:.2e})")
