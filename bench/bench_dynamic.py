"""One library for every size against a static one, on this machine, in one run.

  bench/bench_dynamic.py [--models resnet50,mobilenet_v2,...] [--batches 1,8]
                         [--seqs 128] [--runs 20] [--rounds 3] [--threads 1,2]

For each model (exported by test/zoo/zoo.py with its fixed seed and a
symbolic batch, and a symbolic sequence for the transformers: bert-base,
gpt2-small, tiny-transformer): compile it once with those dims left symbolic
(the generic variant) and once per size with `--dim batch=N` (and
`--dim seq=S` for --seqs) (static code), then
time both with gcomp-run --bench on the same input in alternating rounds
(generic, static, generic, ...), so that a slow spell of the shared machine
hits both alike. Reports the median of the rounds' medians and the ratio
generic/static (issue 9's targets: within 1.1x for a CNN at batch 1, within
1.15x for a transformer at sequence 128).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import BIN, combine_rounds, gcomp_timing  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(HERE), "test", "zoo"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models",
                        default="resnet50,mobilenet_v2,efficientnet_b0,resnet18")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--seqs", default="128",
                        help="sequence lengths of the transformers")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    import zoo
    work = args.out or tempfile.mkdtemp(prefix="gcomp-bench-dynamic-")
    os.makedirs(work, exist_ok=True)
    gcomp = os.path.join(BIN, "gcomp")
    print(f"{'model':<16} {'size':>7} {'thr':>3} {'generic ms':>10} "
          f"{'static ms':>9} {'generic/static':>14}")
    for name in args.models.split(","):
        path, feeds = zoo.export(name, work, dynamic=True)
        (input_name, example), = feeds.items()
        generic = os.path.join(work, f"{name}-generic.so")
        subprocess.run([gcomp, path, "-o", generic], check=True)
        sizes = [(b, None) for b in map(int, args.batches.split(","))]
        if input_name == "ids":
            sizes = [(b, q) for b in map(int, args.batches.split(","))
                     for q in map(int, args.seqs.split(","))]
        for batch, seq in sizes:
            tag = f"b{batch}" + (f"s{seq}" if seq else "")
            static = os.path.join(work, f"{name}-{tag}.so")
            dims = ["--dim", f"batch={batch}"]
            rng = np.random.default_rng(0)
            if seq:
                dims += ["--dim", f"seq={seq}"]
                inputs = {input_name: rng.integers(0, 1000, (batch, seq))}
            else:
                shape = (batch,) + example.shape[1:]
                inputs = {input_name: rng.random(shape, dtype=np.float32)}
            subprocess.run([gcomp, path, "-o", static] + dims, check=True)
            size = f"{batch}x{seq}" if seq else str(batch)
            for threads in map(int, args.threads.split(",")):
                rounds = {"generic": [], "static": []}
                for _ in range(args.rounds):
                    for kind, so in (("generic", generic), ("static", static)):
                        rounds[kind].append(gcomp_timing(
                            so, inputs, args.runs, args.warmup, work, threads))
                g = combine_rounds(rounds["generic"])["median_ms"]
                s = combine_rounds(rounds["static"])["median_ms"]
                print(f"{name:<16} {size:>7} {threads:>3} {g:>10.2f} {s:>9.2f} "
                      f"{g / s:>14.3f}", flush=True)


if __name__ == "__main__":
    main()
