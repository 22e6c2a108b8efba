"""Compiles gcomp's GPU checks into a folder that a machine with an NVIDIA
GPU runs with run_bundle.py, which needs only Python, numpy and the GPU's
driver there (no compiler, no onnxruntime).

  make_bundle.py --out DIR [--ops all|none|FILTER] [--zoo tiny-transformer,...]
                 [--contractions] [--gpu-arch sm_80] [--flags "--gpu-simple-kernels"]
                 [--tag @untiled]

--ops: the ONNX backend node tests that the CPU build passes
(test/conformance/backend-node-tests.txt), compiled with --target=cuda, with
their inputs, expected outputs and tolerances. --zoo: zoo models
(test/zoo/zoo.py) with an input and onnxruntime's CPU output for it.
--contractions: MatMul, Gemm and Conv models of the shapes the GPU's tiled
products must get right (edges, batches, transposes, groups, long
reductions), with onnxruntime's CPU outputs. --flags: more gcomp options;
--tag: a suffix for the case names, so that variants share a bundle.
--tolerance RTOL,ATOL and --zoo-tolerance REL: looser checks for variants
that compute less exactly on purpose (--allow-tf32), instead of the fp32
ones (contractions rtol 1e-4, atol 1e-4; zoo 1e-3 of the largest output).
--precision fp16|bf16: the contraction cases in that type (their values
rounded to it, the references computed in fp32 from the rounded values),
and the zoo models (fp16 only) converted by onnxconverter-common with fp32
inputs and outputs, against the fp32 model's onnxruntime output.
--twins: the zoo models with each large weight tensor refilled by
repeating its first 4,096 values: the same computation, with references
from onnxruntime as always, in libraries that xz compresses to almost
nothing (the device machine takes 64 MiB per call).
Each case is a folder: model.so, data.npz (in<k>_<i>, out<k>_<j>), meta.json.
Cases that do not compile for CUDA are listed in DIR/compile-failures.json.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "conformance"))
sys.path.insert(0, os.path.join(HERE, "..", "zoo"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))  # gcomp
BIN = os.environ.get("GCOMP_BIN", os.path.join(HERE, "..", "..", "build", "bin"))


FLAGS = []


def compile_cuda(model_path, so, arch):
    r = subprocess.run([os.path.join(BIN, "gcomp"), model_path, "-o", so,
                        "--target=cuda", "--gpu-arch", arch] + FLAGS,
                       capture_output=True, text=True, timeout=600)
    return r.returncode == 0, r.stderr.strip()


def op_case(case, arch, out_dir):
    """Bundles one backend node test; returns None or an error line."""
    import onnx
    import run_backend_tests as rbt
    status = rbt.read_list().get(case.name, ("",))[0]
    model_bytes, data_sets = case.model.SerializeToString(), case.data_sets
    category = rbt.read_list()[case.name][1]
    if category == "bound":
        names = rbt.parameter_inputs(onnx.load_from_string(model_bytes))
        model_bytes, data_sets = rbt.bind_inputs(model_bytes, data_sets, names)
    d = os.path.join(out_dir, "ops", case.name + TAG)
    if os.path.exists(os.path.join(d, "meta.json")):
        return None  # bundled by an earlier run into the same folder
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        with open(path, "wb") as f:
            f.write(model_bytes)
        ok, err = compile_cuda(path, os.path.join(d, "model.so"), arch)
    if not ok:
        shutil.rmtree(d)
        return (err.splitlines() or ["?"])[-1]
    arrays = {}
    for k, (ins, outs) in enumerate(data_sets):
        for i, v in enumerate(ins):
            arrays[f"in{k}_{i}"] = rbt.as_array(v)
        for j, v in enumerate(outs):
            v = rbt.as_array(v)
            if v.dtype.kind == "V":  # bfloat16: compared as float32
                v = v.astype(np.float32)
            arrays[f"out{k}_{j}"] = v
    np.savez_compressed(os.path.join(d, "data.npz"), **arrays)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"kind": "op", "sets": len(data_sets), "rtol": case.rtol,
                   "atol": case.atol, "status": status}, f)
    return None


def zoo_case(name, arch, out_dir):
    import onnxruntime as ort
    import zoo
    d = os.path.join(out_dir, "zoo", name + TAG)
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path, example = zoo.export(name, tmp)
        (input_name, value), = example.items()
        if TWINS:
            make_twin(path)
        compiled = path
        if PRECISION == "fp16":
            import onnx
            from onnxconverter_common import float16
            compiled = os.path.join(tmp, "fp16.onnx")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # values rounded to fp16
                onnx.save(float16.convert_float_to_float16(
                    onnx.load(path), keep_io_types=True), compiled)
        ok, err = compile_cuda(compiled, os.path.join(d, "model.so"), arch)
        if not ok:
            shutil.rmtree(d)
            return (err.splitlines() or ["?"])[-1]
        feeds = zoo.make_feeds(input_name, value.shape, 1)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        ref = sess.run(None, feeds)[0]
        arrays = {"in0_0": feeds[input_name], "out0_0": ref}
        if PRECISION == "fp16":
            # The CPU build's output too: the GPU's should differ from it
            # only by the order of its f32 sums.
            import gcomp
            cpu_so = os.path.join(tmp, "cpu.so")
            r = subprocess.run([os.path.join(BIN, "gcomp"), compiled, "-o",
                                cpu_so], capture_output=True, text=True)
            if r.returncode == 0:
                with gcomp.load(cpu_so) as m:
                    arrays["cpu0_0"] = list(
                        m.run(feeds[input_name]).values())[0]
    np.savez_compressed(os.path.join(d, "data.npz"), **arrays)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"kind": "zoo", "sets": 1, "input": input_name,
                   "shape": list(value.shape), "rel_tol": ZOO_TOLERANCE,
                   "torch_dtype": "float16" if PRECISION == "fp16"
                   else "float32"}, f)
    return None


TAG = ""
PRECISION = "fp32"
TWINS = False
TOLERANCE = (1e-4, 1e-4)
ZOO_TOLERANCE = 1e-3


def make_twin(path):
    """Refills every large float initializer of the model at `path` with its
    first 4,096 values, repeated."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    for init in model.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype == np.float32 and a.size > 4096:
            twin = np.resize(a.reshape(-1)[:4096], a.shape)
            init.CopyFrom(numpy_helper.from_array(twin, init.name))
    onnx.save(model, path)


def contraction_models():
    """(name, model, inputs): products through the tiled GPU kernels."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    element = {"fp32": TensorProto.FLOAT, "fp16": TensorProto.FLOAT16,
               "bf16": TensorProto.BFLOAT16}[PRECISION]

    def rand(*shape):
        # Values the precision represents exactly, so that the fp32 model
        # onnxruntime runs for the reference holds the same numbers.
        return round_to_precision(
            rng.uniform(-1, 1, shape).astype(np.float32)).astype(np.float32)

    def model(name, nodes, inputs, out_shape, inits=()):
        def make(elem, cast):
            graph = helper.make_graph(
                nodes, name,
                [helper.make_tensor_value_info(f"x{i}", elem, a.shape)
                 for i, a in enumerate(inputs)],
                [helper.make_tensor_value_info("y", elem, out_shape)],
                initializer=[numpy_helper.from_array(cast(a), n)
                             for n, a in inits])
            return helper.make_model(
                graph, opset_imports=[helper.make_opsetid("", 17)])
        # (name, model gcomp compiles, its inputs, fp32 model for onnxruntime)
        return (name, make(element, round_to_precision),
                [round_to_precision(a) for a in inputs],
                make(TensorProto.FLOAT, lambda a: a))

    def matmul(name, a, b):
        out = list(np.matmul(a, b).shape)
        return model(name, [helper.make_node("MatMul", ["x0", "x1"], ["y"])],
                     [a, b], out)

    def conv(name, n, c, h, w, m, k, stride=1, pad=0, group=1):
        x = rand(n, c, h, w)
        weight = rand(m, c // group, k, k)
        bias = rand(m)
        oh = (h + 2 * pad - k) // stride + 1
        ow = (w + 2 * pad - k) // stride + 1
        node = helper.make_node("Conv", ["x0", "w", "b"], ["y"],
                                kernel_shape=[k, k], strides=[stride, stride],
                                pads=[pad] * 4, group=group)
        return model(name, [node], [x], [n, m, oh, ow],
                     [("w", weight), ("b", bias)])

    gemm_b = rand(100, 300)
    gemm_c = rand(100)
    return [
        matmul("matmul_40x20x48", rand(40, 20), rand(20, 48)),
        matmul("matmul_9_terms", rand(32, 9), rand(9, 33)),
        matmul("matmul_batched_3x33x70x65", rand(3, 33, 70), rand(3, 70, 65)),
        matmul("matmul_broadcast_2x64x130x96", rand(2, 64, 130), rand(130, 96)),
        matmul("matmul_256x1024x512", rand(256, 1024), rand(1024, 512)),
        model("gemm_transb_17x300x100",
              [helper.make_node("Gemm", ["x0", "b", "c"], ["y"], transB=1,
                                alpha=0.5, beta=2.0)],
              [rand(17, 300)], [17, 100], [("b", gemm_b), ("c", gemm_c)]),
        conv("conv_3x3_64_56", 1, 64, 56, 56, 64, 3, pad=1),
        conv("conv_3x3_256_7", 1, 256, 7, 7, 256, 3, pad=1),
        conv("conv_7x7_s2_3_224", 1, 3, 224, 224, 64, 7, stride=2, pad=3),
        conv("conv_5x5_s2_groups2_odd", 2, 6, 23, 21, 36, 5, stride=2, pad=1,
             group=2),
    ]


def round_to_precision(a):
    """`a` in the bundle's precision (ml_dtypes.bfloat16 for bf16)."""
    if PRECISION == "fp16":
        return a.astype(np.float16)
    if PRECISION == "bf16":
        import ml_dtypes
        return a.astype(ml_dtypes.bfloat16)
    return a


def contraction_case(name, model, inputs, ref_model, arch, out_dir):
    import onnxruntime as ort
    d = os.path.join(out_dir, "ops", "contraction_" + name + TAG)
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        ok, err = compile_cuda(path, os.path.join(d, "model.so"), arch)
        if not ok:
            shutil.rmtree(d)
            return (err.splitlines() or ["?"])[-1]
        sess = ort.InferenceSession(ref_model.SerializeToString(),
                                    providers=["CPUExecutionProvider"])
        ref = sess.run(None, {f"x{i}": a.astype(np.float32)
                              for i, a in enumerate(inputs)})[0]
    arrays = {f"in0_{i}": a for i, a in enumerate(inputs)}
    arrays["out0_0"] = ref
    np.savez_compressed(os.path.join(d, "data.npz"), **arrays)
    # fp32 sums of up to 2,304 terms of about 0.25 in another order than
    # onnxruntime's: each order's rounding error is about
    # 6e-8 x sqrt(2304) x (partial sums up to ~20) = 6e-5, whatever the
    # output's own size, hence atol 1e-4 next to rtol 1e-4.
    rtol, atol = TOLERANCE
    if PRECISION != "fp32":
        # The fp16 or bf16 output is rounded once (relative error u =
        # 2^-11 or 2^-8), and a bias or scale applied after the product
        # may round once more, by at most u of the largest value: rtol 2u,
        # atol 2u x max |ref|. The fp32 sums' own error is far below.
        u = 2.0 ** (-11 if PRECISION == "fp16" else -8)
        rtol, atol = 2 * u, 2 * u * float(np.max(np.abs(ref)))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"kind": "op", "sets": 1, "rtol": rtol,
                   "atol": atol, "status": "pass"}, f)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--ops", default="all",
                        help="all, none, or a substring of the test names")
    parser.add_argument("--zoo", default="tiny-transformer")
    parser.add_argument("--gpu-arch", default="sm_80")
    parser.add_argument("--contractions", action="store_true")
    parser.add_argument("--flags", default="",
                        help="more gcomp options, space-separated")
    parser.add_argument("--tag", default="",
                        help="a suffix for the case names")
    parser.add_argument("--tolerance", default="1e-4,1e-4",
                        help="RTOL,ATOL for the contraction cases")
    parser.add_argument("--zoo-tolerance", type=float, default=1e-3,
                        help="largest error of a zoo model, of max |ref|")
    parser.add_argument("--precision", default="fp32",
                        choices=["fp32", "fp16", "bf16"],
                        help="the contractions' and zoo models' type")
    parser.add_argument("--twins", action="store_true",
                        help="zoo models with repetitive weights")
    parser.add_argument("-j", dest="jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    global TAG, TWINS, TOLERANCE, ZOO_TOLERANCE, PRECISION
    TAG = args.tag
    PRECISION = args.precision
    if PRECISION == "bf16" and args.zoo:
        parser.error("--precision bf16 makes contraction cases only: "
                     "pass --zoo ''")
    TWINS = args.twins
    TOLERANCE = tuple(float(v) for v in args.tolerance.split(","))
    ZOO_TOLERANCE = args.zoo_tolerance
    FLAGS.extend(args.flags.split())
    os.makedirs(args.out, exist_ok=True)
    failures = {}
    if args.ops != "none":
        import run_backend_tests as rbt
        from onnx.backend.test.case.node import collect_testcases
        listed = rbt.read_list()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cases = [c for c in collect_testcases(None)
                     if listed.get(c.name, ("",))[0] == "pass"
                     and (args.ops == "all" or args.ops in c.name)]
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            jobs = {pool.submit(op_case, c, args.gpu_arch, args.out): c.name
                    for c in cases}
            for job in concurrent.futures.as_completed(jobs):
                err = job.result()
                if err:
                    failures[jobs[job]] = err
        print(f"ops: {len(cases) - len(failures)} of {len(cases)} compiled "
              f"for CUDA")
    if args.contractions:
        for name, model, inputs, ref_model in contraction_models():
            err = contraction_case(name, model, inputs, ref_model,
                                   args.gpu_arch, args.out)
            print(f"contraction {name}: {'compiled' if not err else err}")
            if err:
                failures[name] = err
    for name in filter(None, args.zoo.split(",")):
        err = zoo_case(name, args.gpu_arch, args.out)
        print(f"zoo {name}: {'compiled' if not err else err}")
        if err:
            failures[name] = err
    with open(os.path.join(args.out, "compile-failures.json"), "w") as f:
        json.dump(failures, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
