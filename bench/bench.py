"""gcomp against onnxruntime on the model zoo, on this machine, in one run.

  bench/bench.py [--models resnet50,bert-base,...] [--runs 20] [--rounds 3]
                 [--threads 1,2] [--out DIR]

For each model (exported by test/zoo/zoo.py with its fixed seed): compile
with gcomp, then time gcomp's model.so (gcomp-run --bench) and onnxruntime
(CPUExecutionProvider, intra-op threads as given, sequential execution) on
the same input, after warm-up, in alternating rounds (gcomp, ORT, gcomp,
ORT, ...), so that a slow spell of a shared machine (seconds to minutes
long, on the 2-vCPU VMs this runs on) hits both sides alike: the median of
the rounds' medians and p90s, the ratio gcomp/ORT of those and of the
fastest rounds (`best ratio`),
GFLOP/s (the model's multiply-adds counted from its MatMul/Gemm/Conv nodes)
and the peak resident memory of each (a separate process per measurement).
gcomp's thread count is set with GCOMP_NUM_THREADS, onnxruntime's with
intra_op_num_threads.

It also measures the machine's FP32 FMA peak on one core (a register-only
FMA loop compiled here for AVX2 or AVX-512, whichever the CPU has) and times
the runtime's GEMM through compiled MatMul models of the shapes that matter:
1024^3, a BERT projection and a ResNet-50 3x3 conv as im2col, each in
rounds alternating with the peak loop; the share of peak is the fastest
round of the GEMM against the fastest of the peak loop.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.environ.get("GCOMP_BIN", os.path.join(ROOT, "build", "bin"))
sys.path.insert(0, os.path.join(ROOT, "test", "zoo"))


def ort_timing(model_path, feeds_path, threads, runs, warmup):
    """onnxruntime in its own process, so that its memory is its own."""
    script = textwrap.dedent(f"""
        import json, time, resource, numpy as np, onnxruntime as ort
        feeds = dict(np.load({feeds_path!r}))
        so = ort.SessionOptions()
        so.intra_op_num_threads = {threads}
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession({model_path!r}, so, providers=["CPUExecutionProvider"])
        for _ in range({warmup}):
            sess.run(None, feeds)
        times = []
        for _ in range({runs}):
            t = time.perf_counter(); sess.run(None, feeds); times.append((time.perf_counter() - t) * 1e3)
        times.sort()
        print(json.dumps({{"median_ms": times[len(times) // 2],
                          "p90_ms": times[min(len(times) - 1, int(len(times) * 0.9))],
                          "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out)


def gcomp_timing(so, feeds, runs, warmup, work, threads=None):
    cmd = [os.path.join(BIN, "gcomp-run"), so, "--bench", str(runs), "--warmup",
           str(warmup), "--json"]
    for name, value in feeds.items():
        p = os.path.join(work, f"feed_{name}.npy")
        np.save(p, value)
        cmd += ["--input", f"{name}={p}"]
    # /usr/bin/time would need a package; a wrapper reads the child's peak RSS.
    wrapper = ("import resource, subprocess, sys, json; "
               "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "sys.stderr.write(r.stderr); "
               "d = json.loads(r.stdout.strip().splitlines()[-1]); "
               "d['rss_mib'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
               "print(json.dumps(d))")
    env = dict(os.environ)
    if threads:
        env["GCOMP_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", wrapper] + cmd, capture_output=True,
                         text=True, check=True, env=env).stdout
    return json.loads(out)


def combine_rounds(rounds):
    """The median of the rounds' medians and p90s, the fastest round's
    median, and the largest peak memory."""
    med = sorted(r["median_ms"] for r in rounds)
    p90 = sorted(r["p90_ms"] for r in rounds)
    return {"median_ms": med[len(med) // 2], "p90_ms": p90[len(p90) // 2],
            "best_ms": med[0], "rss_mib": max(r["rss_mib"] for r in rounds),
            "rounds": rounds}


def model_flops(path):
    """2 x multiply-adds of MatMul, Gemm and Conv nodes (shapes inferred)."""
    import onnx
    from onnx import shape_inference
    model = shape_inference.infer_shapes(onnx.load(path))
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    flops = 0
    for node in model.graph.node:
        if node.op_type in ("MatMul", "Gemm"):
            a, out = shapes.get(node.input[0]), shapes.get(node.output[0])
            if a and out:
                k = a[-1] if not (node.op_type == "Gemm" and any(
                    at.name == "transA" and at.i for at in node.attribute)) else a[0]
                flops += 2 * int(np.prod(out)) * k
        elif node.op_type == "Conv":
            w, out = shapes.get(node.input[1]), shapes.get(node.output[0])
            if w and out:
                flops += 2 * int(np.prod(out)) * int(np.prod(w[1:]))
    return flops


def fma_peak_gflops(work, iters=100000000):
    """One core's FP32 FMA peak: independent FMA chains on registers."""
    use512 = "avx512f" in open("/proc/cpuinfo").read()
    width, flags = (16, "-mavx512f -mfma") if use512 else (8, "-mavx2 -mfma")
    vec = "__m512" if use512 else "__m256"
    pre = "_mm512" if use512 else "_mm256"
    src = textwrap.dedent(f"""
        #include <immintrin.h>
        #include <stdio.h>
        #include <time.h>
        int main(void) {{
          {vec} acc[12];
          for (int i = 0; i < 12; ++i) acc[i] = {pre}_set1_ps(i * 0.001f);
          {vec} x = {pre}_set1_ps(0.999999f), y = {pre}_set1_ps(1e-7f);
          long iters = {iters};
          struct timespec t0, t1;
          clock_gettime(CLOCK_MONOTONIC, &t0);
          for (long n = 0; n < iters; ++n)
            for (int i = 0; i < 12; ++i) acc[i] = {pre}_fmadd_ps(acc[i], x, y);
          clock_gettime(CLOCK_MONOTONIC, &t1);
          float sink = 0; float tmp[{width}];
          for (int i = 0; i < 12; ++i) {{ {pre}_storeu_ps(tmp, acc[i]); sink += tmp[0]; }}
          double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
          printf("%f %f\\n", 12.0 * {width} * 2 * iters / s * 1e-9, sink);
          return 0;
        }}
    """)
    c = os.path.join(work, "peak.c")
    exe = os.path.join(work, "peak")
    open(c, "w").write(src)
    subprocess.run(["/usr/lib/llvm-22/bin/clang", "-O2", *flags.split(), c, "-o", exe],
                   check=True)
    out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    return float(out.split()[0]), ("AVX-512" if use512 else "AVX2")


def gemm_library(m, n, k, work):
    """A MatMul model with a constant [k, n] weight, compiled; its library
    and a random [m, k] input."""
    import onnx
    from onnx import helper, TensorProto
    rng = np.random.default_rng(0)
    b = rng.standard_normal((k, n)).astype(np.float32)
    model = helper.make_model(
        helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm",
                          [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
                          [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])],
                          [onnx.numpy_helper.from_array(b, "b")]),
        opset_imports=[helper.make_opsetid("", 17)])
    path = os.path.join(work, f"gemm_{m}x{n}x{k}.onnx")
    onnx.save(model, path)
    so = path[:-5] + ".so"
    subprocess.run([os.path.join(BIN, "gcomp"), path, "-o", so], check=True)
    return so, {"a": rng.standard_normal((m, k)).astype(np.float32)}


def gemm_gflops(m, n, k, so, feeds, work, runs, threads):
    g = gcomp_timing(so, feeds, runs, 3, work, threads)
    return 2.0 * m * n * k / (g["median_ms"] * 1e-3) * 1e-9


def export_model(zoo, name, work):
    """A zoo model, or with a suffix a quantized version of it made by
    onnxruntime.quantization: `+int8dyn` (quantize_dynamic, int8 weights)
    or `+int8qdq` (quantize_static in QDQ form, uint8 activations and
    per-channel int8 weights, calibrated on 8 random inputs). Returns the
    model's path, its feeds and the fp32 model's path (for its flops)."""
    base, _, quant = name.partition("+")
    path, feeds = zoo.export(base, work)
    if not quant:
        return path, feeds, path
    from onnxruntime import quantization as q
    out = os.path.join(work, f"{base}.{quant}.onnx")
    if quant == "int8dyn":
        q.quantize_dynamic(path, out, weight_type=q.QuantType.QInt8)
    elif quant == "int8qdq":
        rng = np.random.default_rng(0)

        class Reader(q.CalibrationDataReader):
            def __init__(self):
                self.batches = iter([
                    {k: (rng.random(v.shape).astype(v.dtype)
                         if v.dtype.kind == "f" else v) for k, v in feeds.items()}
                    for _ in range(8)])

            def get_next(self):
                return next(self.batches, None)

        q.quantize_static(path, out, Reader(),
                          quant_format=q.QuantFormat.QDQ,
                          activation_type=q.QuantType.QUInt8,
                          weight_type=q.QuantType.QInt8, per_channel=True)
    else:
        raise SystemExit(f"unknown quantization '{quant}' in {name}")
    return out, feeds, path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="resnet50,mobilenet_v2,efficientnet_b0,"
                        "bert-base,gpt2-small",
                        help="zoo models; NAME+int8dyn or NAME+int8qdq "
                             "quantizes one with onnxruntime.quantization")
    parser.add_argument("--runs", type=int, default=10,
                        help="timed runs per round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds of gcomp and onnxruntime")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--no-gemm", action="store_true")
    parser.add_argument("--gemm-shapes", default="",
                        help="square GEMM sizes to time instead of the defaults")
    parser.add_argument("--gcomp-flags", default="",
                        help="extra gcomp flags for the zoo models, e.g. "
                             "--gcomp-flags=--flush-denormals")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    import zoo

    threads = [int(t) for t in args.threads.split(",")]
    work = args.out or tempfile.mkdtemp(prefix="gcomp-bench-")
    os.makedirs(work, exist_ok=True)
    rows = []
    if not args.no_gemm:
        peaks = []
        def peak_round():
            p, isa = fma_peak_gflops(work, 30000000)
            peaks.append(p)
            return isa
        isa = peak_round()
        shapes = [(1024, 1024, 1024, "1024^3"),
                  (128, 768, 768, "BERT projection 128x768x768"),
                  (256, 196, 2304, "ResNet-50 layer3 3x3 conv as im2col 256x196x2304")]
        if args.gemm_shapes:
            shapes = [(s, s, s, f"{s}^3") for s in map(int, args.gemm_shapes.split(","))]
        results = []
        for m, n, k, what in shapes:
            so, feeds = gemm_library(m, n, k, work)
            best = 0.0
            for _ in range(args.rounds):
                best = max(best, gemm_gflops(m, n, k, so, feeds, work,
                                             max(args.runs, 5), 1))
                peak_round()
            results.append((what, best))
        peak = max(peaks)
        print(f"FP32 FMA peak, one core ({isa}): {peak:.1f} GFLOP/s "
              f"(fastest of {len(peaks)} rounds; slowest {min(peaks):.1f})")
        for what, g in results:
            print(f"GEMM {what}, one thread: {g:.1f} GFLOP/s = {100 * g / peak:.0f}% of peak")
    header = (f"{'model':<16} {'thr':>3} {'gcomp ms':>9} {'p90':>8} {'ORT ms':>8} "
              f"{'p90':>8} {'gcomp/ORT':>9} {'best':>6} {'gcomp GF/s':>10} {'ORT GF/s':>9} "
              f"{'gcomp MiB':>9} {'ORT MiB':>8} {'compile s':>9}")
    print(header)
    for name in args.models.split(","):
        path, feeds, fp32_path = export_model(zoo, name, work)
        feeds_path = os.path.join(work, f"{name}.feeds.npz")
        np.savez(feeds_path, **feeds)
        so = os.path.join(work, f"{name}.so")
        t = time.time()
        subprocess.run([os.path.join(BIN, "gcomp"), path, "-o", so,
                        *args.gcomp_flags.split()], check=True)
        compile_s = time.time() - t
        flops = model_flops(fp32_path)
        for th in threads:
            g_rounds, o_rounds = [], []
            for _ in range(args.rounds):
                g_rounds.append(gcomp_timing(so, feeds, args.runs, args.warmup, work, th))
                o_rounds.append(ort_timing(path, feeds_path, th, args.runs, args.warmup))
            g, o = combine_rounds(g_rounds), combine_rounds(o_rounds)
            row = {"model": name, "threads": th, "gcomp": g, "ort": o,
                   "ratio": g["median_ms"] / o["median_ms"],
                   "best_ratio": g["best_ms"] / o["best_ms"], "gflop": flops * 1e-9,
                   "compile_s": compile_s}
            rows.append(row)
            print(f"{name:<16} {th:>3} {g['median_ms']:>9.2f} {g['p90_ms']:>8.2f} "
                  f"{o['median_ms']:>8.2f} {o['p90_ms']:>8.2f} {row['ratio']:>9.2f} "
                  f"{row['best_ratio']:>6.2f} "
                  f"{flops / g['median_ms'] * 1e-6:>10.1f} {flops / o['median_ms'] * 1e-6:>9.1f} "
                  f"{g['rss_mib']:>9.0f} {o['rss_mib']:>8.0f} {compile_s:>9.1f}", flush=True)
    with open(os.path.join(work, "bench.json"), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
