"""Compiles gcomp's GPU checks into a folder that a machine with an NVIDIA
GPU runs with run_bundle.py, which needs only Python, numpy and the GPU's
driver there (no compiler, no onnxruntime).

  make_bundle.py --out DIR [--ops all|none|FILTER] [--zoo tiny-transformer,...]
                 [--gpu-arch sm_80]

--ops: the ONNX backend node tests that the CPU build passes
(test/conformance/backend-node-tests.txt), compiled with --target=cuda, with
their inputs, expected outputs and tolerances. --zoo: zoo models
(test/zoo/zoo.py) with an input and onnxruntime's CPU output for it.
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
BIN = os.environ.get("GCOMP_BIN", os.path.join(HERE, "..", "..", "build", "bin"))


def compile_cuda(model_path, so, arch):
    r = subprocess.run([os.path.join(BIN, "gcomp"), model_path, "-o", so,
                        "--target=cuda", "--gpu-arch", arch],
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
    d = os.path.join(out_dir, "ops", case.name)
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
    d = os.path.join(out_dir, "zoo", name)
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        path, example = zoo.export(name, tmp)
        (input_name, value), = example.items()
        ok, err = compile_cuda(path, os.path.join(d, "model.so"), arch)
        if not ok:
            shutil.rmtree(d)
            return (err.splitlines() or ["?"])[-1]
        feeds = zoo.make_feeds(input_name, value.shape, 1)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        ref = sess.run(None, feeds)[0]
    np.savez_compressed(os.path.join(d, "data.npz"), in0_0=feeds[input_name],
                        out0_0=ref)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"kind": "zoo", "sets": 1, "input": input_name,
                   "shape": list(value.shape)}, f)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--ops", default="all",
                        help="all, none, or a substring of the test names")
    parser.add_argument("--zoo", default="tiny-transformer")
    parser.add_argument("--gpu-arch", default="sm_80")
    parser.add_argument("-j", dest="jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
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
