"""Writes the fuzz targets' seed corpora (committed under test/fuzz/corpus/):

  import/    small valid models: ONNX's backend node tests of the ops gcomp
             imports (one per op and opset variant, under 4 KB), a few it
             does not, If/Loop/Scan, and external data in the fuzz target's
             scratch folder (weights.bin: 4096 bytes)
  runtime/   calls that reach the fake model's entry point, and near misses

The .onnxtext target starts from test/Import/*.onnxtext.

    .venv/bin/python test/fuzz/make_corpus.py
"""
import hashlib
import os
import struct
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from onnx.backend.test.case import node as node_cases

HERE = os.path.dirname(os.path.abspath(__file__))
GCOMP = os.path.join(os.environ.get("GCOMP_BIN", os.path.join(
    HERE, "..", "..", "build", "bin")), "gcomp")


def save(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(folder, f"{name}-{digest}"), "wb") as f:
        f.write(data)


def import_corpus(out):
    supported = set(subprocess.run([GCOMP, "--print-supported-ops"],
                                   capture_output=True, text=True,
                                   check=True).stdout.split())
    seen = {}
    for case in node_cases.collect_testcases(None):
        data = case.model.SerializeToString()
        ops = {n.op_type for n in case.model.graph.node}
        if len(data) > 4096 or not ops:
            continue
        key = tuple(sorted(ops)) + (case.model.opset_import[0].version,)
        known = ops <= supported
        # One seed per op set and opset; a few unsupported ops for the
        # error paths.
        if key in seen or (not known and len(seen) % 10):
            continue
        seen[key] = case.name
        save(out, case.name, data)

    # External data in the scratch folder.
    w = helper.make_tensor("W", TensorProto.FLOAT, [4, 3],
                           np.zeros(12, np.float32))
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "weights.bin"), ("offset", "64"),
                       ("length", "48")):
        e = w.external_data.add()
        e.key, e.value = key, value
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [w])
    save(out, "external-data", helper.make_model(
        g, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())


def runtime_corpus(out):
    def tensor(dtype_byte, rank, dims, cap):
        dims = (list(dims) + [1] * 8)[:8]
        return bytes([dtype_byte, rank, *dims, 1, cap & 0xFF, cap >> 8, 1, 7])

    a = tensor(0, 2, [2, 3], 24)              # float32 [2,3]
    n = tensor(128, 0, [], 8)                 # int64 scalar
    run = bytes([2, 2]) + a + a + a + n + bytes([0, 1, 1])
    save(out, "run", run)
    save(out, "run-alloc", bytes([2, 0]) + a + a + bytes([1]))
    save(out, "run-small-output", bytes([2, 2]) + a + a +
         tensor(0, 2, [2, 3], 20) + n + bytes([0, 1, 1]))
    save(out, "info", bytes([0, 0, 2]) + b"a\0\0\0\0\0\0" + bytes([1, 0, 1]))


if __name__ == "__main__":
    import_corpus(os.path.join(HERE, "corpus", "import"))
    runtime_corpus(os.path.join(HERE, "corpus", "runtime"))
    for kind in ("import", "runtime"):
        files = os.listdir(os.path.join(HERE, "corpus", kind))
        print(f"{kind}: {len(files)} seeds")
