# RUN: %python %s | FileCheck %s
# Two models as static libraries and one as an object, each with its own
# --symbol-prefix, linked into one C program with the system's compiler:
# no clashes, and each matches onnxruntime.
# CHECK: PASS exported symbols
# CHECK: PASS libmlp.a (det_)
# CHECK: PASS libconv.a (cls_)
# CHECK: PASS mlp.o (obj_)
import os
import tempfile

from harness import *

with tempfile.TemporaryDirectory() as d:
    mlp, conv = mlp_model(), conv_model()
    rng = np.random.default_rng(0)
    x_mlp = rng.standard_normal((4, 8)).astype(np.float32)
    x_conv = rng.standard_normal((1, 3, 10, 10)).astype(np.float32)
    onnx.save(mlp, f"{d}/mlp.onnx")
    onnx.save(conv, f"{d}/conv.onnx")
    check([GCOMP, f"{d}/mlp.onnx", "--emit=static-lib", "-o", f"{d}/libmlp.a",
           "--symbol-prefix", "det_", "--emit-header", f"{d}/det.h"])
    check([GCOMP, f"{d}/conv.onnx", "--emit=static-lib", "-o",
           f"{d}/libconv.a", "--symbol-prefix", "cls_", "--emit-header",
           f"{d}/cls.h"])
    check([GCOMP, f"{d}/mlp.onnx", "--emit=obj", "-o", f"{d}/mlp.o",
           "--symbol-prefix", "obj_", "--emit-header", f"{d}/objm.h"])

    # Only the prefixed API is global in each; everything else is local.
    for lib, prefix in [("libmlp.a", "det_"), ("libconv.a", "cls_"),
                        ("mlp.o", "obj_")]:
        out = check([tool("llvm-nm"), "--defined-only", "--extern-only",
                     f"{d}/{lib}"]).stdout
        names = [l.split()[-1] for l in out.splitlines()
                 if len(l.split()) == 3]
        bad = [n for n in names if not n.startswith(prefix + "gcomp_")]
        assert not bad, f"{lib} exports {bad}"
        assert f"{prefix}gcomp_model_run" in names, names
    print("PASS exported symbols")

    with open(f"{d}/main.c", "w") as f:
        f.write(c_program(["det.h", "cls.h", "objm.h"],
                          [("det_", "DET"), ("cls_", "CLS"),
                           ("obj_", "OBJM")]))
    check([tool("clang"), "-std=c99", "-Wall", "-Werror", "-O1",
           f"{d}/main.c", f"{d}/libmlp.a", f"{d}/libconv.a", f"{d}/mlp.o",
           "-o", f"{d}/app", "-lm", "-lpthread"])
    for name, x in [("mlp", x_mlp), ("conv", x_conv), ("obj", x_mlp)]:
        x.tofile(f"{d}/{name}.in")
    r = check([f"{d}/app", f"{d}/mlp.in", f"{d}/mlp.out", f"{d}/conv.in",
               f"{d}/conv.out", f"{d}/obj.in", f"{d}/obj.out"])
    (y_mlp,) = onnxruntime_outputs(mlp, {"x": x_mlp})
    (y_conv,) = onnxruntime_outputs(conv, {"x": x_conv})
    compare("libmlp.a (det_)", np.fromfile(f"{d}/mlp.out", np.float32), y_mlp)
    compare("libconv.a (cls_)", np.fromfile(f"{d}/conv.out", np.float32),
            y_conv)
    compare("mlp.o (obj_)", np.fromfile(f"{d}/obj.out", np.float32), y_mlp)
