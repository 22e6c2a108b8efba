# REQUIRES: large-memory
# RUN: %python %s | FileCheck %s
# A model over 2 GB, which protobuf cannot hold, as ONNX stores it: weights
# in one external data file beside the model (2.4 GB here). gcomp compiles
# it (its constants need x86-64's medium code model: past 2 GB, 32-bit
# offsets from the code cannot reach them) and the library computes
# x @ W0 @ W1 @ W2 as numpy does. Needs about 10 GB of memory and 8 GB of
# disk; lit runs it where the machine has them (test/lit.cfg.py).
# CHECK: PASS compiled a 2.4 GB model
# CHECK: PASS its numbers match numpy
import os
import tempfile
import time

import numpy as np
from harness import *
from onnx import TensorProto, helper

SHAPES = [(16384, 16384), (16384, 16384), (16384, 4096)]
rng = np.random.default_rng(3)

with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as d:
    data_path = os.path.join(d, "model.onnx_data")
    inits, nodes, weights, offset, x = [], [], [], 0, "x"
    with open(data_path, "wb") as data:
        for i, (k, n) in enumerate(SHAPES):
            # 256 random rows, repeated: cheap to write, still a real check.
            block = (rng.standard_normal((256, n), dtype=np.float32) /
                     np.float32(np.sqrt(k)))
            for _ in range(k // 256):
                block.tofile(data)
            weights.append(block)
            t = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT,
                            dims=[k, n])
            t.data_location = TensorProto.EXTERNAL
            for key, value in (("location", "model.onnx_data"),
                               ("offset", str(offset)),
                               ("length", str(k * n * 4))):
                e = t.external_data.add()
                e.key, e.value = key, value
            offset += k * n * 4
            inits.append(t)
            nodes.append(helper.make_node("MatMul", [x, f"w{i}"], [f"h{i}"]))
            x = f"h{i}"
    graph = helper.make_graph(nodes, "large", [tensor_info("x", [1, 16384])],
                              [tensor_info(x, [1, 4096])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = os.path.join(d, "model.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())

    so = os.path.join(d, "model.so")
    start = time.time()
    check([GCOMP, path, "-o", so])
    size = os.path.getsize(so)
    assert size > offset, (size, offset)
    print(f"PASS compiled a {offset / 1e9:.1f} GB model in "
          f"{time.time() - start:.0f} s ({size / 1e9:.2f} GB library)")

    xv = rng.standard_normal((1, 16384)).astype(np.float32)
    y = xv
    for w, (k, _) in zip(weights, SHAPES):
        # x @ tile(block): the block's rows weighted by x summed per tile.
        y = (y.reshape(k // 256, 256).sum(axis=0, dtype=np.float64)
             @ w.astype(np.float64)).astype(np.float32)[None, :]
    np.save(os.path.join(d, "x.npy"), xv)
    np.save(os.path.join(d, "y.npy"), y)
    check([GCOMP_RUN, so, "--input", f"x={d}/x.npy", "--expect",
           f"{x}={d}/y.npy", "--rtol", "1e-3", "--atol", "1e-4"])
    print("PASS its numbers match numpy")
