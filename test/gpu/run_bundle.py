"""Runs a bundle made by make_bundle.py on a machine with an NVIDIA GPU:
every case's model.so through gcomp's Python package (python/), its outputs
compared with the expected ones; the zoo models also timed, with host
buffers (gcomp_model_run: copies in and out included) and with device
buffers (gcomp_model_run_device), and, where PyTorch with CUDA is present,
against the same architecture in PyTorch on the same GPU (fp32, TF32 off).

  run_bundle.py BUNDLE [--json OUT.json] [--runs 50] [--no-torch] [-k NAME]
                [--skip NAME] [--kinds ops,zoo] [--profile N]

--profile N: for each zoo model, the N kernels that take the most GPU time
per run (PyTorch's profiler, which sees every kernel of the process; the
kernels are named after the ONNX nodes they compute), and the GPU's busy
time per run against the run's wall time.

Exit status 1 if a case fails. Without a GPU every case is reported as
skipped (the libraries refuse to start without a CUDA driver).
"""
import argparse
import ctypes
import json
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "zoo"))

import gcomp  # noqa: E402
from gcomp import _model  # noqa: E402


def bfloat16(a):
    """numpy saves ml_dtypes.bfloat16 arrays as raw 2-byte records."""
    if a.dtype.kind == "V" and a.dtype.itemsize == 2:
        import ml_dtypes
        return a.view(ml_dtypes.bfloat16)
    return a


def load_case(d):
    with open(os.path.join(d, "meta.json")) as f:
        meta = json.load(f)
    raw = np.load(os.path.join(d, "data.npz"))
    data = {k: bfloat16(raw[k]) for k in raw.files}
    sets = []
    for k in range(meta["sets"]):
        ins = [data[f"in{k}_{i}"] for i in range(len(data))
               if f"in{k}_{i}" in data]
        outs = [data[f"out{k}_{j}"] for j in range(len(data))
                if f"out{k}_{j}" in data]
        sets.append((ins, outs))
    # A half-precision zoo model's output from gcomp's CPU build: the same
    # roundings, summed in another order.
    meta["_cpu_output"] = data.get("cpu0_0")
    return meta, sets


def check_op(model, meta, sets, errors=None):
    """None, or what is wrong; `errors` (a list) gets each float output's
    largest absolute error and largest |expected| value."""
    for ins, outs in sets:
        got = list(model.run(*ins).values())
        for g, e in zip(got, outs):
            if g.dtype.name == "bfloat16":  # expected outputs are float32
                g = g.astype(np.float32)
            if g.shape != e.shape:
                return f"shape {g.shape}, expected {e.shape}"
            if e.dtype.kind in "fc":
                ok = np.allclose(g, e, rtol=meta["rtol"], atol=meta["atol"],
                                 equal_nan=True)
                if errors is not None and e.size:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        diff = np.abs(g.astype(np.float64) - e.astype(np.float64))
                        errors.append([float(np.nanmax(diff)),
                                       float(np.nanmax(np.abs(e)))])
            else:
                ok = np.array_equal(g, e)
            if not ok:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    err = np.max(np.abs(g.astype(np.float64) -
                                        e.astype(np.float64)))
                return f"max abs error {err:.3g}"
    return None


def check_zoo(model, meta, sets):
    (ins, outs), = sets
    got = list(model.run(*ins).values())[0]
    ref = outs[0]
    err = float(np.max(np.abs(got.astype(np.float64) - ref)))
    scale = float(np.max(np.abs(ref)))
    rows_got = got.reshape(-1, got.shape[-1]).astype(np.float64)
    rows_ref = ref.reshape(-1, ref.shape[-1]).astype(np.float64)
    picked = rows_got.argmax(-1)
    agree = bool((picked == rows_ref.argmax(-1)).all())
    # A different class is only a tie when the reference's values for the
    # two are closer than twice the largest error: then the output's own
    # error can order them either way (a twin's top logits 5e-5 apart in
    # an fp16 model, whose spacing there is 2e-3).
    picked_ref = rows_ref[np.arange(len(picked)), picked]
    tie = bool((picked_ref >= rows_ref.max(-1) - 2 * err).all())
    result = {"max_abs_err": err, "max_abs_ref": scale,
              "rel_to_max": err / scale if scale else err,
              "argmax_agree": agree, "argmax_agree_or_tie": tie}
    result["ok"] = result["rel_to_max"] <= meta.get("rel_tol", 1e-3) and tie
    if meta.get("_cpu_output") is not None:
        cpu = meta["_cpu_output"].astype(np.float64)
        result["cpu_build_rel_to_max"] = float(np.max(np.abs(cpu - ref))) / scale
        result["gpu_vs_cpu_build_rel_to_max"] = (
            float(np.max(np.abs(got.astype(np.float64) - cpu))) / scale)
    return result


def stats(times):
    times = sorted(times)
    return {"median_ms": round(1e3 * times[len(times) // 2], 4),
            "p90_ms": round(1e3 * times[int(len(times) * 0.9)], 4)}


def time_host(model, ins, runs):
    for _ in range(5):
        model.run(*ins)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        model.run(*ins)
        times.append(time.perf_counter() - t)
    return stats(times)


def time_device(model, ins, runs):
    """gcomp_model_run_device on torch CUDA tensors."""
    import torch
    dev_in = [torch.from_numpy(np.ascontiguousarray(a)).cuda() for a in ins]
    dev_out = [torch.empty(tuple(o.shape), dtype=getattr(torch, str(np.dtype(o.dtype))),
                           device="cuda") for o in model.outputs]
    keep = []

    def tensors(arrays):
        ts = (_model._TensorC * len(arrays))()
        for k, t in enumerate(arrays):
            dims = (ctypes.c_int64 * max(1, t.dim()))(*t.shape)
            keep.append(dims)
            code = _model._CODES[np.dtype(str(t.dtype).replace("torch.", ""))]
            ts[k] = _model._TensorC(t.data_ptr(), t.numel() * t.element_size(),
                                    code, t.dim(), dims)
        return ts
    ins_c, outs_c = tensors(dev_in), tensors(dev_out)
    fn = model._lib.gcomp_model_run_device
    fn.restype = ctypes.c_int
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                   ctypes.c_void_p, ctypes.c_size_t]
    torch.cuda.synchronize()

    def run():
        status = fn(model._handle, ins_c, len(dev_in), outs_c, len(dev_out))
        if status:
            raise gcomp.GcompError(status, model._api["gcomp_model_last_error"](
                model._handle).decode())
    for _ in range(5):
        run()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    host = model.run(*ins)
    same = all(np.array_equal(dev_out[k].cpu().numpy(), v)
               for k, v in enumerate(host.values()))
    # Tensors 4 bytes past a 16-byte boundary: the runtime stages them (the
    # kernels may access 16 bytes at a time); the outputs must not change.
    def shifted(t):
        s = torch.empty(t.numel() + 1, dtype=t.dtype, device="cuda")[1:]
        s.copy_(t.reshape(-1))
        return s.view(t.shape)
    dev_in, dev_out = [shifted(t) for t in dev_in], [shifted(t).zero_() for t in dev_out]
    ins_c, outs_c = tensors(dev_in), tensors(dev_out)
    run()
    torch.cuda.synchronize()
    same_shifted = all(np.array_equal(dev_out[k].cpu().numpy(), v)
                       for k, v in enumerate(host.values()))
    return dict(stats(times), same_as_host_run=same,
                misaligned_same_as_host_run=same_shifted)


def profile_kernels(model, ins, top):
    """The kernels' GPU time per run, from PyTorch's profiler."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    runs = 20
    model.run(*ins)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        t = time.perf_counter()
        for _ in range(runs):
            model.run(*ins)
        torch.cuda.synchronize()
        wall = (time.perf_counter() - t) / runs
    kernels = [e for e in prof.key_averages()
               if getattr(e, "device_time_total", 0) > 0]
    busy = sum(e.device_time_total for e in kernels) / runs
    kernels.sort(key=lambda e: -e.device_time_total)
    return {"wall_us_per_run": round(wall * 1e6, 1),
            "gpu_busy_us_per_run": round(busy, 1),
            "kernels_per_run": round(sum(e.count for e in kernels) / runs, 1),
            "top": [[e.key[:60], round(e.count / runs, 1),
                     round(e.device_time_total / runs, 1)]
                    for e in kernels[:top]]}


def time_torch(name, meta, runs):
    import torch
    import zoo
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    # The transformers make their position ids inside forward().
    torch.set_default_device("cuda")
    make, _ = zoo.torch_models()[name.split("@")[0]]
    net = make().eval().cuda()
    shape = meta["shape"]
    x = (torch.randint(0, 1000, shape) if meta["input"] == "ids"
         else torch.rand(shape)).cuda()
    if meta.get("torch_dtype") == "float16":  # against gcomp's fp16 model
        net = net.half()
        if x.is_floating_point():
            x = x.half()
    with torch.no_grad():
        for _ in range(5):
            net(x)
        torch.cuda.synchronize()
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            net(x)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
    return dict(stats(times), torch=torch.__version__)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle")
    parser.add_argument("--json", default=None)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("-k", dest="filter", default="",
                        help="only the cases whose name contains this")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="list the N kernels that take the most time")
    parser.add_argument("--kinds", default="ops,zoo",
                        help="which cases: ops, zoo or both")
    parser.add_argument("--skip", default=None,
                        help="leave out the cases whose name contains this")
    args = parser.parse_args()
    results = {"ops": {}, "zoo": {}}
    failed = 0
    for kind in args.kinds.split(","):
        root = os.path.join(args.bundle, kind)
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            if args.filter not in name or (args.skip and args.skip in name):
                continue
            d = os.path.join(root, name)
            meta, sets = load_case(d)
            try:
                t0 = time.perf_counter()
                model = gcomp.load(os.path.join(d, "model.so"))
                create_s = time.perf_counter() - t0
            except gcomp.GcompError as e:
                if e.status == 8 and "no CUDA" in str(e):
                    print(f"SKIP {kind}/{name}: {e}")
                    results[kind][name] = {"ok": None, "skipped": str(e)}
                    continue
                results[kind][name] = {"ok": False, "error": str(e)}
                failed += 1
                print(f"FAIL {kind}/{name}: {e}")
                continue
            try:
                if kind == "ops":
                    errors = []
                    err = check_op(model, meta, sets, errors)
                    result = {"ok": err is None}
                    if name.startswith("contraction_"):
                        result["max_abs_err_and_ref"] = errors
                    if err:
                        result["error"] = err
                else:
                    result = check_zoo(model, meta, sets)
                    result["create_s"] = round(create_s, 3)
                    ins = sets[0][0]
                    result["gcomp_host_buffers"] = time_host(model, ins, args.runs)
                    try:
                        result["gcomp_device_buffers"] = time_device(model, ins, args.runs)
                    except Exception as e:  # torch missing or no CUDA torch
                        result["gcomp_device_buffers"] = {"error": repr(e)[:300]}
                    if args.profile:
                        try:
                            result["profile"] = profile_kernels(
                                model, ins, args.profile)
                        except Exception as e:
                            result["profile"] = {"error": repr(e)[:300]}
                    # Variants (NAME@TAG) are compared with each other.
                    if not args.no_torch and ("@" not in name or
                                              meta.get("torch_dtype") == "float16"):
                        try:
                            result["torch"] = time_torch(name, meta, args.runs)
                        except Exception as e:
                            result["torch"] = {"error": repr(e)[:300]}
            except gcomp.GcompError as e:
                result = {"ok": False, "error": str(e)}
            model.close()
            results[kind][name] = result
            if not result["ok"]:
                failed += 1
                print(f"FAIL {kind}/{name}: {result.get('error', result)}")
            elif kind == "zoo":
                print(f"PASS zoo/{name}: {json.dumps(result)}")
    for kind in ("ops", "zoo"):
        values = list(results[kind].values())
        print(f"{kind}: {sum(1 for v in values if v['ok'])} passed, "
              f"{sum(1 for v in values if v['ok'] is False)} failed, "
              f"{sum(1 for v in values if v['ok'] is None)} skipped")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
