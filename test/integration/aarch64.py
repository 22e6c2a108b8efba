# RUN: %python %s | FileCheck %s
# Cross-compilation: models compiled with --mtriple=aarch64-linux-gnu (a
# shared library and a static one), linked with an AArch64 C harness and run
# under qemu-user, match the x86-64 build of the same models and
# onnxruntime.
# CHECK: PASS AArch64 ELF
# CHECK: PASS mlp: aarch64 .so vs x86-64 .so
# CHECK: PASS mlp: aarch64 .so vs onnxruntime
# CHECK: PASS conv: aarch64 static vs x86-64 .so
# CHECK: PASS conv: aarch64 static vs onnxruntime
import os
import shutil
import tempfile

from harness import *

TRIPLE = "aarch64-linux-gnu"
SYSROOT = f"/usr/{TRIPLE}"
QEMU = shutil.which("qemu-aarch64")
if not QEMU or not os.path.isdir(SYSROOT):
    raise SystemExit("qemu-aarch64 or the AArch64 C library is missing "
                     "(Debian: qemu-user libc6-dev-arm64-cross "
                     "gcc-aarch64-linux-gnu; tools/bootstrap.sh installs them)")

with tempfile.TemporaryDirectory() as d:
    mlp, conv = mlp_model(), conv_model()
    onnx.save(mlp, f"{d}/mlp.onnx")
    onnx.save(conv, f"{d}/conv.onnx")
    cross = ["--mtriple", TRIPLE, "--mcpu", "neoverse-n1"]
    check([GCOMP, f"{d}/mlp.onnx", "-o", f"{d}/libmlp.so", "--emit-header",
           f"{d}/mlp.h", *cross])
    check([GCOMP, f"{d}/conv.onnx", "-o", f"{d}/libconv.a",
           "--emit=static-lib", "--symbol-prefix", "conv_", "--emit-header",
           f"{d}/conv.h", *cross])
    header = check([tool("llvm-readelf"), "-h", f"{d}/libmlp.so"]).stdout
    assert "AArch64" in header, header
    print("PASS AArch64 ELF")

    with open(f"{d}/main.c", "w") as f:
        f.write(c_program(["mlp.h", "conv.h"],
                          [("", "MLP"), ("conv_", "CONV")]))
    check([tool("clang"), f"--target={TRIPLE}", "-fuse-ld=lld", "-O1",
           "-Wall", "-Werror", f"{d}/main.c", f"-L{d}", "-lmlp",
           f"{d}/libconv.a", "-lm", "-lpthread", "-Wl,-rpath,$ORIGIN",
           "-o", f"{d}/app"])
    rng = np.random.default_rng(7)
    x_mlp = rng.standard_normal((4, 8)).astype(np.float32)
    x_conv = rng.standard_normal((1, 3, 10, 10)).astype(np.float32)
    x_mlp.tofile(f"{d}/mlp.in")
    x_conv.tofile(f"{d}/conv.in")
    check([QEMU, "-L", SYSROOT, f"{d}/app", f"{d}/mlp.in", f"{d}/mlp.out",
           f"{d}/conv.in", f"{d}/conv.out"])

    # The same models for this machine, run through the Python package.
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                    "python"))
    import gcomp
    for name, model, x in [("mlp", mlp, x_mlp), ("conv", conv, x_conv)]:
        check([GCOMP, f"{d}/{name}.onnx", "-o", f"{d}/{name}-host.so"])
        host = gcomp.load(f"{d}/{name}-host.so").run(x=x)["y"]
        (ref,) = onnxruntime_outputs(model, {"x": x})
        got = np.fromfile(f"{d}/{name}.out", np.float32)
        kind = "aarch64 .so" if name == "mlp" else "aarch64 static"
        compare(f"{name}: {kind} vs x86-64 .so", got, host)
        compare(f"{name}: {kind} vs onnxruntime", got, ref)
