"""Fixtures: models built with the onnx helper and compiled by the gcomp of
this build tree (GCOMP_BIN, as lit sets it; else build/bin)."""
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # the package, without installing
REPO = os.path.dirname(os.path.dirname(HERE))
GCOMP = os.path.join(os.environ.get("GCOMP_BIN")
                     or os.path.join(REPO, "build", "bin"), "gcomp")


def make_model(nodes, inputs, outputs, inits=()):
    graph = helper.make_graph(
        nodes, "g", inputs, outputs,
        [numpy_helper.from_array(v, k) for k, v in dict(inits).items()])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def mlp():
    rng = np.random.default_rng(1)
    return make_model(
        [helper.make_node("MatMul", ["x", "w"], ["m"]),
         helper.make_node("Add", ["m", "b"], ["s"]),
         helper.make_node("Tanh", ["s"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 5])],
        {"w": rng.standard_normal((8, 5)).astype(np.float32),
         "b": rng.standard_normal(5).astype(np.float32)})


def two_in_two_out():
    """a[2, 4] float, i[2, 4] int64 -> sum float, doubled int64."""
    return make_model(
        [helper.make_node("Cast", ["i"], ["f"], to=TensorProto.FLOAT),
         helper.make_node("Add", ["a", "f"], ["sum"]),
         helper.make_node("Add", ["i", "i"], ["doubled"])],
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 4]),
         helper.make_tensor_value_info("i", TensorProto.INT64, [2, 4])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [2, 4]),
         helper.make_tensor_value_info("doubled", TensorProto.INT64, [2, 4])])


@pytest.fixture(scope="session")
def compile_model(tmp_path_factory):
    """compile_model(model, name, *flags) -> path of the compiled .so."""
    d = tmp_path_factory.mktemp("models")

    def compile(model, name, *flags):
        src = d / f"{name}.onnx"
        onnx.save(model, src)
        out = d / f"lib{name}.so"
        subprocess.run([GCOMP, str(src), "-o", str(out), *flags], check=True)
        return str(out)
    return compile


@pytest.fixture(scope="session")
def mlp_so(compile_model):
    return compile_model(mlp(), "mlp")


def onnxruntime_run(model, feeds):
    import onnxruntime as ort
    sess = ort.InferenceSession(model.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))
