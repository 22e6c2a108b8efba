"""The gcomp Python package against onnxruntime."""
import subprocess
import sys
import threading

import numpy as np
import pytest

import gcomp
from conftest import (REPO, make_model, mlp, onnxruntime_run, two_in_two_out)
from onnx import TensorProto, helper

RTOL, ATOL = 1e-4, 1e-5


def test_signature(mlp_so):
    m = gcomp.load(mlp_so)
    assert m.inputs == [gcomp.TensorInfo("x", np.dtype(np.float32), (3, 8))]
    assert m.outputs == [gcomp.TensorInfo("y", np.dtype(np.float32), (3, 5))]
    assert '"name":"x"' in m.signature
    assert m.version.startswith("0.")


def test_run_matches_onnxruntime(mlp_so):
    x = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    expected = onnxruntime_run(mlp(), {"x": x})["y"]
    with gcomp.load(mlp_so) as m:
        for outs in (m.run(x=x), m.run(x), m.run({"x": x}), m(x=x)):
            assert list(outs) == ["y"]
            np.testing.assert_allclose(outs["y"], expected, rtol=RTOL,
                                       atol=ATOL)


def test_non_contiguous_input(mlp_so):
    x = np.random.default_rng(1).standard_normal((8, 3)).astype(np.float32).T
    assert not x.flags.c_contiguous
    expected = onnxruntime_run(mlp(), {"x": np.ascontiguousarray(x)})["y"]
    np.testing.assert_allclose(gcomp.load(mlp_so).run(x=x)["y"], expected,
                               rtol=RTOL, atol=ATOL)


def test_several_inputs_outputs_and_dtypes(compile_model):
    model = two_in_two_out()
    so = compile_model(model, "multi")
    rng = np.random.default_rng(2)
    feeds = {"a": rng.standard_normal((2, 4)).astype(np.float32),
             "i": rng.integers(-9, 9, (2, 4)).astype(np.int64)}
    expected = onnxruntime_run(model, feeds)
    outs = gcomp.load(so).run(**feeds)
    assert [o.dtype for o in outs.values()] == [np.float32, np.int64]
    for name in expected:
        np.testing.assert_allclose(outs[name], expected[name], rtol=RTOL,
                                   atol=ATOL)


def test_scalar_input(compile_model):
    """A 0-d input stays 0-d on its way to the runtime (numpy's
    ascontiguousarray would make it 1-d, which the model refuses)."""
    model = make_model(
        [helper.make_node("Mul", ["x", "s"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3]),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    so = compile_model(model, "scalar")
    x = np.arange(3, dtype=np.float32)
    out = gcomp.load(so).run(x, np.float32(2.5))["y"]
    np.testing.assert_allclose(out, x * 2.5, rtol=RTOL, atol=ATOL)
    out = gcomp.load(so).run(x, np.array(2.5, dtype=np.float32))["y"]
    np.testing.assert_allclose(out, x * 2.5, rtol=RTOL, atol=ATOL)


def test_cuda_model_without_a_driver(compile_model, monkeypatch):
    """A --target=cuda library loads anywhere; creating an instance where
    there is no CUDA driver fails with GCOMP_ERR_DEVICE and says why."""
    # No math function in the model: no CUDA toolkit (libdevice) needed.
    model = make_model(
        [helper.make_node("MatMul", ["x", "w"], ["m"]),
         helper.make_node("Relu", ["m"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 5])],
        {"w": np.ones((8, 5), dtype=np.float32)})
    so = compile_model(model, "matmul_relu_cuda", "--target=cuda")
    monkeypatch.setenv("GCOMP_CUDA_DRIVER", "/nonexistent/libcuda.so.1")
    with pytest.raises(gcomp.GcompError) as error:
        gcomp.load(so)
    assert error.value.status == 8
    assert error.value.status_name == "GCOMP_ERR_DEVICE"
    assert "no CUDA driver: cannot load /nonexistent/libcuda.so.1" in str(
        error.value)


def test_library_of_variants(compile_model):
    """A library compiled with --specialize: outputs whose shapes follow the
    inputs', and a size it was not compiled for refused by name."""
    rng = np.random.default_rng(4)
    w = rng.standard_normal((8, 5)).astype(np.float32)
    model = make_model(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])],
        {"w": w})
    m = gcomp.load(compile_model(model, "variants", "--specialize",
                                 "batch=1,3"))
    assert m.outputs[0].shape == (-1, 5)
    for batch in (1, 3):
        x = rng.standard_normal((batch, 8)).astype(np.float32)
        y = m.run(x=x)["y"]
        assert y.shape == (batch, 5)
        np.testing.assert_allclose(y, x @ w, rtol=RTOL, atol=ATOL)
    with pytest.raises(gcomp.GcompError, match=r"dim 0 \(batch\) is 2"):
        m.run(x=np.zeros((2, 8), np.float32))


def test_runtime_errors_raise(mlp_so):
    m = gcomp.load(mlp_so)
    with pytest.raises(gcomp.GcompError) as e:
        m.run(x=np.zeros((4, 8), np.float32))
    assert e.value.status_name == "GCOMP_ERR_SHAPE_MISMATCH"
    assert str(e.value) == "input 'x': expected shape [3,8], got [4,8]"
    with pytest.raises(gcomp.GcompError) as e:
        m.run(x=np.zeros((3, 8), np.float64))
    assert e.value.status_name == "GCOMP_ERR_DTYPE_MISMATCH"
    assert "'x'" in str(e.value)


def test_argument_errors(mlp_so):
    m = gcomp.load(mlp_so)
    x = np.zeros((3, 8), np.float32)
    with pytest.raises(TypeError, match="unknown input"):
        m.run(x=x, z=x)
    with pytest.raises(TypeError, match="missing input"):
        m.run()
    with pytest.raises(TypeError, match="given twice"):
        m.run(x, x=x)
    with pytest.raises(TypeError, match="no gcomp element type"):
        m.run(x=np.zeros((3, 8), np.complex64))


def test_closed_model(mlp_so):
    m = gcomp.load(mlp_so)
    m.close()
    m.close()  # idempotent
    with pytest.raises(gcomp.GcompError, match="closed"):
        m.run(x=np.zeros((3, 8), np.float32))


def test_symbol_prefix(compile_model):
    so = compile_model(mlp(), "prefixed", "--symbol-prefix", "det_")
    x = np.ones((3, 8), np.float32)
    expected = onnxruntime_run(mlp(), {"x": x})["y"]
    np.testing.assert_allclose(
        gcomp.load(so, symbol_prefix="det_").run(x=x)["y"], expected,
        rtol=RTOL, atol=ATOL)
    with pytest.raises(gcomp.GcompError, match="symbol_prefix"):
        gcomp.load(so)


def test_not_a_model():
    import ctypes.util
    with pytest.raises(gcomp.GcompError, match="not a gcomp model"):
        gcomp.load(ctypes.util.find_library("m") and "libm.so.6")


def test_two_models_in_one_process(mlp_so, compile_model):
    other = compile_model(two_in_two_out(), "other")
    a, b = gcomp.load(mlp_so), gcomp.load(other)
    assert a.inputs[0].name == "x" and b.inputs[0].name == "a"
    a.run(x=np.zeros((3, 8), np.float32))
    b.run(a=np.zeros((2, 4), np.float32), i=np.zeros((2, 4), np.int64))


def test_instances_in_parallel_threads(mlp_so):
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((3, 8)).astype(np.float32) for _ in range(8)]
    serial = [gcomp.load(mlp_so).run(x=x)["y"] for x in xs]
    results = [None] * len(xs)

    def work(k):
        m = gcomp.load(mlp_so)
        for _ in range(20):
            results[k] = m.run(x=xs[k])["y"]
    threads = [threading.Thread(target=work, args=(k,))
               for k in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, serial):
        np.testing.assert_array_equal(got, want)


def test_pip_installs_the_package(tmp_path):
    # From a copy: a setuptools build leaves build/ and *.egg-info behind
    # in the folder it builds.
    import shutil
    src = tmp_path / "src"
    shutil.copytree(f"{REPO}/python", src,
                    ignore=shutil.ignore_patterns("tests", "build", "*.egg-info",
                                                  "__pycache__"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "--target", str(target),
                    str(src)], check=True)
    r = subprocess.run([sys.executable, "-c",
                        "import gcomp, sys; print(gcomp.__file__)"],
                       cwd=target, capture_output=True, text=True,
                       check=True)
    assert r.stdout.startswith(str(target))
