# RUN: %python %s | FileCheck %s
# gcomp's CMake package from `cmake --install`: a consumer project
# (cmake_consumer/) compiles a static and a shared model with
# gcomp_add_model, links both into one program, and matches onnxruntime;
# touching the model or its external data rebuilds it, nothing else does.
# CHECK: PASS installed
# CHECK: PASS consumer configured and built in {{[0-9.]+}} s
# CHECK: PASS detector (static)
# CHECK: PASS classifier (shared)
# CHECK: PASS no-op rebuild
# CHECK: PASS external data change rebuilds classifier only
# CHECK: PASS gcomp change rebuilds both
import os
import time
import tempfile

from harness import *
from onnx import external_data_helper

BUILD = os.environ["GCOMP_OBJ_ROOT"]
HERE = os.path.dirname(os.path.abspath(__file__))

with tempfile.TemporaryDirectory() as d:
    prefix = f"{d}/install"
    check(["cmake", "--install", BUILD, "--prefix", prefix])
    assert os.path.exists(f"{prefix}/lib/cmake/gcomp/gcompConfig.cmake")
    assert os.path.exists(f"{prefix}/include/gcomp/runtime.h")
    print("PASS installed")

    models = f"{d}/models"
    os.makedirs(models)
    det = conv_model()
    # A dynamic batch in the file; SHAPE pins it.
    det_file = onnx.ModelProto()
    det_file.CopyFrom(det)
    det_file.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    det_file.graph.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.save(det_file, f"{models}/det.onnx")
    mlp = mlp_model()
    mlp_ext = onnx.ModelProto()
    mlp_ext.CopyFrom(mlp)
    external_data_helper.convert_model_to_external_data(
        mlp_ext, all_tensors_to_one_file=True, location="mlp.bin",
        size_threshold=0)
    onnx.save(mlp_ext, f"{models}/mlp.onnx")

    build = f"{d}/build"
    start = time.time()
    check(["cmake", "-G", "Ninja", "-S", f"{HERE}/cmake_consumer", "-B",
           build, f"-DCMAKE_PREFIX_PATH={prefix}", f"-DMODEL_DIR={models}",
           f"-DCMAKE_CXX_COMPILER={tool('clang++')}",
           f"-DCMAKE_C_COMPILER={tool('clang')}"])
    check(["ninja", "-C", build])
    print(f"PASS consumer configured and built in {time.time() - start:.1f} s")

    rng = np.random.default_rng(4)
    x_det = rng.standard_normal((1, 3, 10, 10)).astype(np.float32)
    x_mlp = rng.standard_normal((4, 8)).astype(np.float32)
    x_det.tofile(f"{d}/det.in")
    x_mlp.tofile(f"{d}/mlp.in")
    check([f"{build}/app", f"{d}/det.in", f"{d}/det.out", f"{d}/mlp.in",
           f"{d}/mlp.out"])
    (y_det,) = onnxruntime_outputs(det, {"x": x_det})
    (y_mlp,) = onnxruntime_outputs(mlp, {"x": x_mlp})
    compare("detector (static)", np.fromfile(f"{d}/det.out", np.float32),
            y_det)
    compare("classifier (shared)", np.fromfile(f"{d}/mlp.out", np.float32),
            y_mlp)

    def rebuilt():
        out = check(["ninja", "-C", build]).stdout
        return sorted(m for m in ("detector", "classifier")
                      if f"into {m}" in out)

    assert rebuilt() == [], "a no-op build recompiled a model"
    print("PASS no-op rebuild")
    time.sleep(1.1)
    with open(f"{models}/mlp.bin", "r+b") as f:  # same size, new bytes
        data = bytearray(f.read())
        data[0] ^= 1
        f.seek(0)
        f.write(data)
    assert rebuilt() == ["classifier"]
    print("PASS external data change rebuilds classifier only")
    time.sleep(1.1)
    os.utime(f"{prefix}/bin/gcomp")
    assert rebuilt() == ["classifier", "detector"]
    print("PASS gcomp change rebuilds both")
