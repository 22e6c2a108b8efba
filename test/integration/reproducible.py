# RUN: %python %s | FileCheck %s
# The same model and flags, compiled in two different folders (different
# absolute paths, working directories and temporary files), give
# byte-identical outputs of every kind.
# CHECK: PASS identical model.so
# CHECK: PASS identical libmodel.a
# CHECK: PASS identical model.o
# CHECK: PASS identical model.h
# CHECK: PASS identical libmodel.a with --symbol-prefix
# CHECK: PASS identical model.so with external data
import filecmp
import os
import tempfile

from harness import *
from onnx import external_data_helper

with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
    model = conv_model()
    for root in (a, b):
        os.makedirs(f"{root}/some/where", exist_ok=True)
        onnx.save(model, f"{root}/some/where/model.onnx")
        ext = onnx.load(f"{root}/some/where/model.onnx")
        external_data_helper.convert_model_to_external_data(
            ext, all_tensors_to_one_file=True, location="weights.bin",
            size_threshold=0)
        onnx.save(ext, f"{root}/some/where/ext.onnx")

    cases = [("model.so", []), ("libmodel.a", ["--emit=static-lib"]),
             ("model.o", ["--emit=obj"]),
             ("model.h", ["--emit-header", "{root}/model.h"]),
             ("libmodel.a with --symbol-prefix",
              ["--emit=static-lib", "--symbol-prefix", "m_"]),
             ("model.so with external data", [])]
    for label, flags in cases:
        outputs = []
        for root in (a, b):
            src = "ext.onnx" if "external" in label else "model.onnx"
            out = f"{root}/out"
            argv = [GCOMP, f"{root}/some/where/{src}", "-o", out]
            argv += [f.format(root=root) for f in flags]
            # Each compile runs from its own folder.
            check(argv, cwd=root)
            outputs.append(f"{root}/model.h" if label == "model.h" else out)
        assert os.path.getsize(outputs[0]) > 0
        if not filecmp.cmp(outputs[0], outputs[1], shallow=False):
            raise AssertionError(f"{label}: {outputs[0]} and {outputs[1]} "
                                 "differ")
        print(f"PASS identical {label}")
