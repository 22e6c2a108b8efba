# RUN: %python %s | FileCheck %s
# onnxruntime's contrib ops (domain com.microsoft) that ORT-optimized and
# exported models carry, against onnxruntime's own implementation of them,
# at -O2 and -O0 (BiasAdd, which onnxruntime implements only for CUDA,
# against numpy). The skip layer norm's small-variance input tells its
# default epsilon (1e-12) from LayerNormalization's (1e-5).
# CHECK: PASS FastGelu
# CHECK: PASS BiasGelu
# CHECK: PASS Gelu
# CHECK: PASS QuickGelu
# CHECK: PASS FusedMatMul
# CHECK: PASS SkipLayerNormalization
# CHECK: PASS BiasAdd
# CHECK: PASS FusedMatMul attention: {'attention': 1}
# CHECK: PASS SkipLayerNormalization default epsilon
# CHECK: PASS unsupported contrib op
# CHECK: 19 of 19 checks passed
import numpy as np
from gcomp_testing import *

MS = "com.microsoft"
rng = np.random.default_rng(7)
x_info = tensor_info("x", [2, 5, 16])


def contrib_model(nodes, inputs, outputs, inits=()):
    # (onnx's checker knows no contrib op, so make_model's check is skipped.)
    graph = helper.make_graph(nodes, "g", inputs, outputs,
                              [numpy_helper.from_array(v, k)
                               for k, v in dict(inits).items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    return model


bias = rng.standard_normal(16).astype(np.float32)
cases = {
    "FastGelu": contrib_model(
        [helper.make_node("FastGelu", ["x", "b"], ["y"], domain=MS)],
        [x_info], [tensor_info("y", [2, 5, 16])], {"b": bias}),
    "BiasGelu": contrib_model(
        [helper.make_node("BiasGelu", ["x", "b"], ["y"], domain=MS)],
        [x_info], [tensor_info("y", [2, 5, 16])], {"b": bias}),
    "Gelu": contrib_model(
        [helper.make_node("Gelu", ["x"], ["y"], domain=MS)],
        [x_info], [tensor_info("y", [2, 5, 16])]),
    "QuickGelu": contrib_model(
        [helper.make_node("QuickGelu", ["x"], ["y"], domain=MS, alpha=1.5)],
        [x_info], [tensor_info("y", [2, 5, 16])]),
    "FusedMatMul": contrib_model(
        [helper.make_node("FusedMatMul", ["x", "w"], ["y"], domain=MS,
                          alpha=0.25, transB=1)],
        [x_info], [tensor_info("y", [2, 5, 7])],
        {"w": rng.standard_normal((7, 16)).astype(np.float32)}),
    "SkipLayerNormalization": contrib_model(
        [helper.make_node("SkipLayerNormalization",
                          ["x", "s", "gamma", "beta", "b"],
                          ["y", "", "", "sum"], domain=MS, epsilon=1e-5)],
        [x_info, tensor_info("s", [2, 5, 16])],
        [tensor_info("y", [2, 5, 16]), tensor_info("sum", [2, 5, 16])],
        {"gamma": rng.standard_normal(16).astype(np.float32),
         "beta": rng.standard_normal(16).astype(np.float32), "b": bias}),
}
res = Results()
for label, model in cases.items():
    for flags in ((), ("-O0",)):
        res.check(f"{label} {flags}", check_against_onnxruntime, model, label,
                  gcomp_flags=flags)

bias_add = contrib_model(
    [helper.make_node("BiasAdd", ["x", "b", "s"], ["y"], domain=MS)],
    [x_info, tensor_info("s", [2, 5, 16])], [tensor_info("y", [2, 5, 16])],
    {"b": bias})


def check_bias_add(flags):
    feeds = {"x": rng.standard_normal((2, 5, 16)).astype(np.float32),
             "s": rng.standard_normal((2, 5, 16)).astype(np.float32)}
    with tempfile.TemporaryDirectory() as d:
        _, so = compile_model(bias_add, d, extra=flags)
        args = [GCOMP_RUN, so, "--rtol", str(RTOL), "--atol", str(ATOL)]
        for k, v in feeds.items():
            np.save(os.path.join(d, k + ".npy"), v)
            args += ["--input", f"{k}={d}/{k}.npy"]
        np.save(os.path.join(d, "y.npy"), feeds["x"] + bias + feeds["s"])
        r = run(args + ["--expect", f"y={d}/y.npy"])
        if r.returncode != 0:
            raise AssertionError(r.stdout + r.stderr)
    print("PASS BiasAdd")


for flags in ((), ("-O0",)):
    res.check(f"BiasAdd {flags}", check_bias_add, flags)

# Attention as onnxruntime's optimizer leaves it: Q Kt / sqrt(d) as one
# FusedMatMul; it still becomes one attention kernel.
q_info, k_info, v_info = (tensor_info(n, [2, 3, 10, 8]) for n in "qkv")
attention = contrib_model(
    [helper.make_node("FusedMatMul", ["q", "k"], ["scores"], domain=MS,
                      alpha=float(1 / np.sqrt(8)), transB=1),
     helper.make_node("Softmax", ["scores"], ["p"], axis=-1),
     helper.make_node("MatMul", ["p", "v"], ["o"])],
    [q_info, k_info, v_info], [tensor_info("o", [2, 3, 10, 8])])
check_kernels_and_numbers(res, "FusedMatMul attention", attention,
                          random_inputs(attention), {"attention": 1})

# Values near 1e-3 apart: a variance of about 1e-6, where an epsilon of
# 1e-5 instead of 1e-12 would shrink the normalized outputs (about 1 in
# size) by a factor of about 3, far outside the project's tolerance, which
# they are held to.
skip_default = contrib_model(
    [helper.make_node("SkipLayerNormalization", ["x", "s", "gamma"], ["y"],
                      domain=MS)],
    [x_info, tensor_info("s", [2, 5, 16])], [tensor_info("y", [2, 5, 16])],
    {"gamma": np.ones(16, np.float32)})
small = {"x": (rng.standard_normal((2, 5, 16)) * 1e-3).astype(np.float32),
         "s": np.zeros((2, 5, 16), np.float32)}
res.check("SkipLayerNormalization default epsilon", check_against_onnxruntime,
          skip_default, "SkipLayerNormalization default epsilon", feeds=small)


def unsupported():
    model = contrib_model(
        [helper.make_node("Attention", ["x"], ["y"], domain=MS, num_heads=2)],
        [x_info], [tensor_info("y", [2, 5, 16])])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        r = run([GCOMP, path, "-o", os.path.join(d, "m.so")])
        want = ("(Attention, opset 1): unsupported onnxruntime contrib "
                "operator; gcomp supports from com.microsoft: BiasAdd, "
                "BiasGelu, DynamicQuantizeMatMul, FastGelu, FusedMatMul, "
                "Gelu, MatMulIntegerToFloat, QuickGelu, "
                "SkipLayerNormalization")
        if r.returncode == 0 or want not in r.stderr:
            raise AssertionError(r.stderr)
        print("PASS unsupported contrib op")


res.check("unsupported contrib op", unsupported)
res.finish()
