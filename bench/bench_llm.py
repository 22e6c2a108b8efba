"""Weight-only quantized products (MatMulNBits) against onnxruntime, and the
machine's memory bandwidth, on this machine, in one run.

  bench/bench_llm.py [--threads 1,2] [--rounds 3] [--runs 20]
                     [--layers 6] [--hidden 2048] [--ffn 5632]
                     [--decoder [--dec-layers 4] [--prompt 64] [--steps 32]]
                     [--no-mlp] [--weight-only [--wo-layers 2] [--wo-rows 1,64]]

The model is the MLP stack of a 1B-parameter-class decoder: `layers` pairs
of MatMulNBits, hidden -> ffn and ffn -> hidden (block size 32, random
codes and scales, no zero points), 4- and 8-bit, on 1 row (one decoding
step: every weight read once, a memory-bound matrix-vector product) and on
64 rows (a prefill chunk: compute-bound). gcomp's model.so (gcomp-run
--bench) and onnxruntime (CPUExecutionProvider, accuracy_level 0: f32
arithmetic, as gcomp's) are timed in alternating rounds as in bench.py; the
table gives the median of the rounds' medians, the ratio ORT/gcomp (above 1:
gcomp is faster) and the weight bytes read per second.

With --decoder it also runs greedy decoding of an onnxruntime-genai-style
decoder (test/zoo/genai_decoder_model.py: MatMulNBits, GroupQueryAttention over a
shared cache, simplified norms) of LLaMA-1B-like layer sizes (--dec-layers
of them; every weight 4-bit, block 32, with zero points), gcomp (two libraries: the prompt and one token) against
onnxruntime, each in its own process per thread count: time to first token
(the prompt's run), decode tokens/s (the median step), the weight bytes a
step reads per second, and whether both chose the same tokens.

With --weight-only it times a stack of plain ONNX weight-only int8
products (`DequantizeLinear` of int8 [K, N] weights with one scale per
column, then `MatMul`, --wo-layers pairs of the same sizes): gcomp (which
reads the int8 codes, gcomp.matmul_nbits), gcomp on the same model with
the weights dequantized to f32 beforehand (what gcomp did before), and
onnxruntime on the int8 model.

The bandwidth is a STREAM-like triad (a[i] = b[i] + s * c[i] over 3 x 256
MiB, counted as STREAM counts it: 12 bytes per element) and a read-only sum
over 256 MiB, compiled here and run with 1 and 2 threads, best of 5.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (ort_timing, gcomp_timing, combine_rounds)

MS = "com.microsoft"


def bandwidth_gbs(work, threads):
    """(triad GB/s, read GB/s) with `threads` threads, best of 5."""
    src = textwrap.dedent("""
        #include <pthread.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        enum { N = 64 * 1024 * 1024 };
        static float *a, *b, *c;
        static int threads;
        static double sums[16];
        static double now(void) {
          struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
          return t.tv_sec + t.tv_nsec * 1e-9;
        }
        static void *triad(void *arg) {
          long t = (long)arg, lo = N / threads * t, hi = N / threads * (t + 1);
          for (long i = lo; i < hi; ++i) a[i] = b[i] + 3.0f * c[i];
          return 0;
        }
        static void *sum(void *arg) {
          long t = (long)arg, lo = N / threads * t, hi = N / threads * (t + 1);
          float s[16] = {0};
          for (long i = lo; i < hi; i += 16)
            for (int l = 0; l < 16; ++l) s[l] += b[i + l];
          double total = 0; for (int l = 0; l < 16; ++l) total += s[l];
          sums[t] = total;
          return 0;
        }
        static double best(void *(*fn)(void *)) {
          double best = 1e9;
          for (int r = 0; r < 5; ++r) {
            pthread_t ids[16]; double t0 = now();
            for (long t = 0; t < threads; ++t) pthread_create(&ids[t], 0, fn, (void *)t);
            for (int t = 0; t < threads; ++t) pthread_join(ids[t], 0);
            double dt = now() - t0; if (dt < best) best = dt;
          }
          return best;
        }
        int main(int argc, char **argv) {
          threads = atoi(argv[1]);
          a = malloc(sizeof(float) * N); b = malloc(sizeof(float) * N);
          c = malloc(sizeof(float) * N);
          for (long i = 0; i < N; ++i) { a[i] = 0; b[i] = 1; c[i] = 2; }
          double tt = best(triad), tr = best(sum);
          printf("%f %f %f\\n", 12.0 * N / tt * 1e-9, 4.0 * N / tr * 1e-9,
                 a[N / 2] + sums[0]);
          return 0;
        }
    """)
    c = os.path.join(work, "stream.c")
    exe = os.path.join(work, "stream")
    if not os.path.exists(exe):
        open(c, "w").write(src)
        flags = ["-march=native"] if "avx512f" in open("/proc/cpuinfo").read() else []
        subprocess.run(["/usr/lib/llvm-22/bin/clang", "-O3", *flags, c, "-o", exe,
                        "-lpthread"], check=True)
    out = subprocess.run([exe, str(threads)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1])


def mlp_model(rows, bits, layers, hidden, ffn, block=32):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    nodes, inits, x = [], [], "x"
    for i in range(layers):
        for k, n, name in ((hidden, ffn, f"up{i}"), (ffn, hidden, f"down{i}")):
            codes = rng.integers(0, 256, (n, k // block, block * bits // 8),
                                 dtype=np.uint8)
            scales = rng.uniform(0.001, 0.01, n * k // block).astype(np.float32)
            inits += [numpy_helper.from_array(codes, name + "_q"),
                      numpy_helper.from_array(scales, name + "_s")]
            nodes.append(helper.make_node(
                "MatMulNBits", [x, name + "_q", name + "_s"], [name], domain=MS,
                K=k, N=n, bits=bits, block_size=block))
            x = name
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, hidden])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [rows, hidden])], inits)
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(MS, 1)])
    model.ir_version = 10
    return model


def weight_only_model(rows, layers, hidden, ffn, dequantized=False):
    """MatMul(x, DequantizeLinear(w int8 [K, N], scale [N], axis 1)) pairs;
    with `dequantized`, the same products by the f32 weights."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    nodes, inits, x = [], [], "x"
    for i in range(layers):
        for k, n, name in ((hidden, ffn, f"up{i}"), (ffn, hidden, f"down{i}")):
            w = rng.integers(-128, 128, (k, n), dtype=np.int8)
            scale = rng.uniform(0.0002, 0.002, n).astype(np.float32)
            if dequantized:
                inits.append(numpy_helper.from_array(
                    w.astype(np.float32) * scale, name + "_w"))
                nodes.append(helper.make_node("MatMul", [x, name + "_w"], [name]))
            else:
                inits += [numpy_helper.from_array(w, name + "_q"),
                          numpy_helper.from_array(scale, name + "_s")]
                nodes += [helper.make_node("DequantizeLinear",
                                           [name + "_q", name + "_s"],
                                           [name + "_w"], axis=1),
                          helper.make_node("MatMul", [x, name + "_w"], [name])]
            x = name
    graph = helper.make_graph(
        nodes, "wo", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [rows, hidden])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [rows, hidden])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model


def weight_only_bench(args, threads, bw, work):
    import onnx
    print()
    print("| rows | threads | gcomp int8 ms | gcomp f32 weights ms | ORT ms | "
          "f32/int8 | ORT/gcomp | gcomp weight GB/s (% of triad) |")
    print("|---|---|---|---|---|---|---|---|")
    weights = args.wo_layers * 2 * args.hidden * args.ffn
    for rows in [int(r) for r in args.wo_rows.split(",")]:
        x = np.random.default_rng(1).standard_normal((rows, args.hidden)).astype(np.float32)
        feeds_path = os.path.join(work, "feeds.npz")
        np.savez(feeds_path, x=x)
        libs = {}
        for kind in ("int8", "f32"):
            path = os.path.join(work, f"wo_{kind}_{rows}.onnx")
            onnx.save(weight_only_model(rows, args.wo_layers, args.hidden,
                                        args.ffn, kind == "f32"), path)
            libs[kind] = (path, path[:-5] + ".so")
            subprocess.run([os.path.join(bench.BIN, "gcomp"), path, "-o",
                            libs[kind][1]], check=True)
        for t in threads:
            rounds = {"int8": [], "f32": [], "ort": []}
            for _ in range(args.rounds):
                for kind in ("int8", "f32"):
                    rounds[kind].append(bench.gcomp_timing(
                        libs[kind][1], {"x": x}, args.runs, 3, work, t))
                rounds["ort"].append(bench.ort_timing(
                    libs["int8"][0], feeds_path, t, args.runs, 3))
            ms = {k: bench.combine_rounds(v)["median_ms"] for k, v in rounds.items()}
            gbs = weights / ms["int8"] * 1e-6
            print(f"| {rows} | {t} | {ms['int8']:.2f} | {ms['f32']:.2f} | "
                  f"{ms['ort']:.2f} | {ms['f32'] / ms['int8']:.2f} | "
                  f"{ms['ort'] / ms['int8']:.2f} | {gbs:.1f} "
                  f"({100 * gbs / bw[t][0]:.0f}%) |", flush=True)


def decoder_config(layers):
    import genai_decoder_model as genai_decoder
    return genai_decoder.Config(vocab=8192, hidden=2048, heads=32, kv_heads=8,
                                ffn=5632, layers=layers, max_length=192,
                                bits=4, down_bits=4)


def decoder_worker(system, threads, work, layers, prompt, steps):
    """One system's greedy run in this process; prints JSON."""
    import json
    import time
    import genai_decoder_model as genai_decoder
    config = decoder_config(layers)
    paths = {w: os.path.join(work, f"decoder_{w}.onnx") for w in ("prompt", "step")}
    if system == "gcomp":
        os.environ["GCOMP_NUM_THREADS"] = str(threads)
        sys.path.insert(0, os.path.join(bench.ROOT, "python"))
        import gcomp
        models = {w: gcomp.load(p[:-5] + ".so") for w, p in paths.items()}

        def run(which, feeds):
            return models[which].run(feeds)
    else:
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        sessions = {w: ort.InferenceSession(p, so, providers=["CPUExecutionProvider"])
                    for w, p in paths.items()}

        def run(which, feeds):
            sess = sessions[which]
            return dict(zip([o.name for o in sess.get_outputs()],
                            sess.run(None, feeds)))
    ids = np.random.default_rng(9).integers(0, config.vocab, (1, prompt)).astype(np.int64)
    genai_decoder.greedy(run, ids, 2, config)  # warm-up
    marks = []
    tokens, _ = genai_decoder.greedy(run, ids, steps, config,
                                     on_step=lambda s: marks.append(time.perf_counter()))
    marks.append(time.perf_counter())
    step_ms = sorted((marks[i + 1] - marks[i]) * 1e3 for i in range(1, len(marks) - 1))
    print(json.dumps({"ttft_ms": (marks[1] - marks[0]) * 1e3,
                      "step_ms": step_ms[len(step_ms) // 2], "tokens": tokens}))


def decoder_bench(args, threads, bw, work):
    import json
    import onnx
    sys.path.insert(0, os.path.join(bench.ROOT, "test", "zoo"))
    import genai_decoder_model as genai_decoder
    config = decoder_config(args.dec_layers)
    step_model = None
    for which, seq in (("prompt", args.prompt), ("step", 1)):
        model = genai_decoder.build(seq, config)
        path = os.path.join(work, f"decoder_{which}.onnx")
        onnx.save(model, path)
        subprocess.run([os.path.join(bench.BIN, "gcomp"), path, "-o", path[:-5] + ".so"],
                       check=True)
        if which == "step":
            step_model = model
    step_bytes = genai_decoder.weight_bytes(step_model)
    print()
    print(f"decoder: {args.dec_layers} layers of hidden 2048, 32 heads (8 kv), ffn "
          f"5632, vocab 8192; {step_bytes / 1e6:.0f} MB of weights per step; "
          f"prompt {args.prompt}, {args.steps} greedy steps")
    print("| threads | gcomp TTFT ms | ORT TTFT ms | gcomp tok/s | ORT tok/s | "
          "gcomp/ORT tok/s | gcomp weight GB/s (% of triad) | same tokens |")
    print("|---|---|---|---|---|---|---|---|")
    for t in threads:
        result = {}
        for system in ("gcomp", "ort"):
            out = subprocess.run(
                [sys.executable, __file__, "--decoder-worker", system, str(t), work,
                 str(args.dec_layers), str(args.prompt), str(args.steps)],
                capture_output=True, text=True, check=True).stdout
            result[system] = json.loads(out.strip().splitlines()[-1])
        g, o = result["gcomp"], result["ort"]
        gbs = step_bytes / g["step_ms"] * 1e-6
        print(f"| {t} | {g['ttft_ms']:.1f} | {o['ttft_ms']:.1f} | "
              f"{1e3 / g['step_ms']:.1f} | {1e3 / o['step_ms']:.1f} | "
              f"{o['step_ms'] / g['step_ms']:.2f} | {gbs:.1f} "
              f"({100 * gbs / bw[t][0]:.0f}%) | {g['tokens'] == o['tokens']} |",
              flush=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--decoder-worker":
        sys.path.insert(0, os.path.join(bench.ROOT, "test", "zoo"))
        system, threads, work, layers, prompt, steps = sys.argv[2:8]
        decoder_worker(system, int(threads), work, int(layers), int(prompt),
                       int(steps))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--hidden", type=int, default=2048)
    parser.add_argument("--ffn", type=int, default=5632)
    parser.add_argument("--decoder", action="store_true",
                        help="also time greedy decoding of a genai-style decoder")
    parser.add_argument("--no-mlp", action="store_true",
                        help="skip the MatMulNBits stack")
    parser.add_argument("--weight-only", action="store_true",
                        help="also time weight-only int8 DequantizeLinear + MatMul")
    parser.add_argument("--wo-layers", type=int, default=2)
    parser.add_argument("--wo-rows", default="1,64")
    parser.add_argument("--dec-layers", type=int, default=4)
    parser.add_argument("--prompt", type=int, default=64)
    parser.add_argument("--steps", type=int, default=32)
    args = parser.parse_args()
    import onnx
    threads = [int(t) for t in args.threads.split(",")]
    work = tempfile.mkdtemp(prefix="gcomp-bench-llm-")
    bw = {}
    for t in threads:
        bw[t] = bandwidth_gbs(work, t)
        print(f"bandwidth, {t} thread(s): triad {bw[t][0]:.1f} GB/s, "
              f"read {bw[t][1]:.1f} GB/s", flush=True)
    if args.decoder:
        decoder_bench(args, threads, bw, work)
    if args.weight_only:
        weight_only_bench(args, threads, bw, work)
    if args.no_mlp:
        return
    print()
    print("| bits | rows | threads | gcomp ms | ORT ms | ORT/gcomp | gcomp weight GB/s "
          "(% of triad) | ORT weight GB/s |")
    print("|---|---|---|---|---|---|---|---|")
    weights = args.layers * 2 * args.hidden * args.ffn
    for bits in (4, 8):
        for rows in (1, 64):
            path = os.path.join(work, f"mlp{bits}_{rows}.onnx")
            onnx.save(mlp_model(rows, bits, args.layers, args.hidden, args.ffn), path)
            so = path[:-5] + ".so"
            subprocess.run([os.path.join(bench.BIN, "gcomp"), path, "-o", so], check=True)
            x = np.random.default_rng(1).standard_normal((rows, args.hidden)).astype(np.float32)
            feeds_path = os.path.join(work, "feeds.npz")
            np.savez(feeds_path, x=x)
            for t in threads:
                g_rounds, o_rounds = [], []
                for _ in range(args.rounds):
                    g_rounds.append(bench.gcomp_timing(so, {"x": x}, args.runs, 3, work, t))
                    o_rounds.append(bench.ort_timing(path, feeds_path, t, args.runs, 3))
                g = bench.combine_rounds(g_rounds)["median_ms"]
                o = bench.combine_rounds(o_rounds)["median_ms"]
                wbytes = weights * bits / 8
                g_gbs, o_gbs = wbytes / g * 1e-6, wbytes / o * 1e-6
                print(f"| {bits} | {rows} | {t} | {g:.2f} | {o:.2f} | {o / g:.2f} | "
                      f"{g_gbs:.1f} ({100 * g_gbs / bw[t][0]:.0f}%) | {o_gbs:.1f} |",
                      flush=True)


if __name__ == "__main__":
    main()
