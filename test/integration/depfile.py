# RUN: %python %s | FileCheck %s
# gcomp -MD -MF writes a make/ninja depfile naming the output, the model and
# every external data file it read; -MD alone writes OUTPUT.d; a failed
# compile writes none.
# CHECK: PASS depfile lists the model and its data
# CHECK: PASS -MD alone writes model.so.d
# CHECK: PASS no depfile after a failed compile
import os
import tempfile

from harness import *
from onnx import external_data_helper

with tempfile.TemporaryDirectory() as d:
    os.makedirs(f"{d}/m dir/data")
    model = mlp_model()
    external_data_helper.convert_model_to_external_data(
        model, all_tensors_to_one_file=False, size_threshold=0)
    for t in model.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = "data/" + t.name + ".bin"
    onnx.save(model, f"{d}/m dir/mlp.onnx")
    check([GCOMP, f"{d}/m dir/mlp.onnx", "-o", f"{d}/out.so", "-MD", "-MF",
           f"{d}/out.d"])
    text = open(f"{d}/out.d").read()
    # "target: deps" with spaces escaped, one data file per line.
    target, deps = text.replace("\\\n", " ").split(": ", 1)
    assert target == f"{d}/out.so", target
    deps = deps.replace("\\ ", "\0").split()
    deps = [p.replace("\0", " ") for p in deps]
    assert deps[0] == f"{d}/m dir/mlp.onnx", deps
    data = sorted(os.path.basename(p) for p in deps[1:])
    assert data == ["b1.bin", "w1.bin", "w2.bin"], data
    assert all(os.path.exists(p) for p in deps), deps
    print("PASS depfile lists the model and its data")

    check([GCOMP, f"{d}/m dir/mlp.onnx", "-o", f"{d}/model.so", "-MD"])
    assert open(f"{d}/model.so.d").read().startswith(f"{d}/model.so: ")
    print("PASS -MD alone writes model.so.d")

    os.remove(f"{d}/m dir/data/w2.bin")
    r = run([GCOMP, f"{d}/m dir/mlp.onnx", "-o", f"{d}/bad.so", "-MD", "-MF",
             f"{d}/bad.d"])
    assert r.returncode != 0 and "w2.bin" in r.stderr, r.stderr
    assert not os.path.exists(f"{d}/bad.d") and not os.path.exists(
        f"{d}/bad.so"), os.listdir(d)
    print("PASS no depfile after a failed compile")
