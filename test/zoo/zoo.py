"""The model zoo: real architectures exported from PyTorch definitions with
fixed seeds and random weights, compiled with gcomp and compared with
onnxruntime on the same inputs.

  zoo.py [--models resnet18,tiny-transformer] [--out DIR] [--json] [--gcomp-flags=-O0]
         [--dynamic]

Models: resnet18, resnet18-bn (BatchNormalization kept), resnet50, mobilenet_v2, efficientnet_b0 (torchvision),
bert-base (12 layers, d=768, seq 128, exact GELU), gpt2-small (12 layers,
d=768, seq 128 prefill with its LM head), tiny-transformer (2 layers, for
CI). Pass criterion (issue 3): max abs error <= 1e-3 * max |reference| and
the same argmax per row. Exit 1 if any model fails.

--cuda-ptx sm_80,sm_90 compiles each model with --target=cuda for each GPU
architecture instead and has ptxas (--ptxas, default from PATH) check the
PTX; no GPU is needed (test/gpu runs the libraries on one).

--dynamic exports each model with symbolic dims (batch for the CNNs, batch
and sequence for the transformers), compiles it once with gcomp
--specialize for the sizes in DYNAMIC_SIZES, and checks every combination
of them against onnxruntime with the same library. With --generic it is
compiled with its dims left symbolic instead (one code for every size) and
checked at the sizes in GENERIC_SIZES.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

BIN = os.environ.get("GCOMP_BIN", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))


def torch_models():
    import torch
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self, d, heads, causal):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
            self.heads, self.causal = heads, causal
            self.gelu = nn.GELU()  # exact: exports through Erf

        def attention(self, x):
            b, t, d = x.shape
            q, k, v = self.qkv(x).split(d, dim=2)
            shape = (b, t, self.heads, d // self.heads)
            q, k, v = (z.reshape(shape).transpose(1, 2) for z in (q, k, v))
            scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
            if self.causal:
                mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
                scores = scores.masked_fill(mask, float("-inf"))
            out = torch.softmax(scores, dim=-1) @ v
            return self.proj(out.transpose(1, 2).reshape(b, t, d))

        def forward(self, x):
            if self.causal:  # pre-norm, GPT-2 style
                x = x + self.attention(self.ln1(x))
                return x + self.fc2(self.gelu(self.fc1(self.ln2(x))))
            x = self.ln1(x + self.attention(x))  # post-norm, BERT style
            return self.ln2(x + self.fc2(self.gelu(self.fc1(x))))

    class Transformer(nn.Module):
        def __init__(self, layers, d, heads, vocab, seq, causal):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(seq, d)
            self.blocks = nn.ModuleList(Block(d, heads, causal) for _ in range(layers))
            self.ln = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab, bias=False) if causal else None

        def forward(self, ids):
            x = self.tok(ids) + self.pos(torch.arange(ids.shape[1]))
            for block in self.blocks:
                x = block(x)
            x = self.ln(x)
            return self.head(x) if self.head is not None else x

    class SpeechLSTM(torch.nn.Module):
        """A bidirectional LSTM of 512 units over 100 frames of 256
        features, the encoder shape of speech and OCR models."""

        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(256, 512, bidirectional=True)

        def forward(self, x):
            return self.lstm(x)[0]

    import torchvision.models as tv
    image = ("image", (1, 3, 224, 224))
    return {
        "resnet18": (lambda: tv.resnet18(), image),
        # The same with its BatchNormalization nodes kept, as TensorFlow,
        # Keras and older exporters write them (PyTorch folds them into the
        # convs unless told not to).
        "resnet18-bn": (lambda: tv.resnet18(), image),
        "resnet50": (lambda: tv.resnet50(), image),
        "mobilenet_v2": (lambda: tv.mobilenet_v2(), image),
        "efficientnet_b0": (lambda: tv.efficientnet_b0(), image),
        "bert-base": (lambda: Transformer(12, 768, 12, 30522, 128, False),
                      ("ids", (1, 128))),
        "gpt2-small": (lambda: Transformer(12, 768, 12, 50257, 128, True),
                       ("ids", (1, 128))),
        "tiny-transformer": (lambda: Transformer(2, 64, 4, 1000, 32, True),
                             ("ids", (1, 32))),
        "lstm-bi512": (lambda: SpeechLSTM(), ("frames", (100, 1, 256))),
    }


# The sizes --dynamic compiles and checks, per symbolic dim (positions stop
# at the models' sequence lengths: 32 for the tiny transformer, 128 else).
IMAGE_SIZES = {"batch": [1, 3]}
DYNAMIC_SIZES = {
    "tiny-transformer": {"batch": [1, 3], "seq": [7, 32]},
    "bert-base": {"batch": [1, 2], "seq": [7, 128]},
    "gpt2-small": {"batch": [1, 2], "seq": [7, 128]},
}


# --generic: the sizes one library compiled with the dims left symbolic
# must match onnxruntime at: any batch of the CNNs; batch and sequence of
# the transformers (positions stop at their sequence lengths).
GENERIC_SIZES = {"batch": [1, 3, 17]}
GENERIC_TRANSFORMER_SIZES = {
    "tiny-transformer": {"batch": [1, 3], "seq": [1, 7, 32]},
    "bert-base": {"batch": [1, 2], "seq": [7, 128]},
    "gpt2-small": {"batch": [1, 2], "seq": [7, 128]},
}


def dynamic_sizes(name):
    return DYNAMIC_SIZES.get(name, IMAGE_SIZES)


def calibrate_batchnorm(model, shape):
    """Freshly initialized BatchNorms (mean 0, variance 1) let activations
    shrink layer after layer: a random MobileNetV2 outputs values near 1e-10,
    which any wrong kernel would still match within 1e-3 of max |ref|. Set
    their statistics from a few random batches, as a trained network's are,
    so that every layer works at a realistic scale."""
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the batches
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.rand((4,) + tuple(shape[1:])))


def export(name, out_dir, dynamic=False):
    import torch
    torch.manual_seed(0)
    make, (input_name, shape) = torch_models()[name]
    dims = list(dynamic_sizes(name)) if dynamic else []
    model = make()
    if input_name == "image":
        calibrate_batchnorm(model, shape)
    model = model.eval()
    if input_name == "ids":
        example = torch.randint(0, 1000, shape)
    else:
        example = torch.rand(shape)
    path = os.path.join(out_dir, f"{name}{'-dynamic' if dynamic else ''}.onnx")
    keep_bn = name.endswith("-bn")
    axes = {input_name: dict(enumerate(dims)), "output": dict(enumerate(dims))}
    with torch.no_grad():
        torch.onnx.export(model, example, path, input_names=[input_name],
                          output_names=["output"], opset_version=17,
                          dynamic_axes=axes if dynamic else None,
                          do_constant_folding=not keep_bn,
                          training=(torch.onnx.TrainingMode.PRESERVE if keep_bn
                                    else torch.onnx.TrainingMode.EVAL))
    return path, {input_name: example.numpy()}


def make_feeds(input_name, shape, seed):
    rng = np.random.default_rng(seed)
    if input_name == "ids":
        return {input_name: rng.integers(0, 1000, shape).astype(np.int64)}
    return {input_name: rng.random(shape, dtype=np.float32)}


def compare(so, sess, feeds, out_dir, tag):
    """Runs the library and onnxruntime on `feeds`; the error figures."""
    ref = sess.run(None, feeds)[0]
    cmd = [os.path.join(BIN, "gcomp-run"), so, "--output-dir",
           os.path.join(out_dir, tag + ".out")]
    for k, v in feeds.items():
        p = os.path.join(out_dir, f"{tag}.{k}.npy")
        np.save(p, v)
        cmd += ["--input", f"{k}={p}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        return {"ok": False, "error": r.stderr.strip()}
    got = np.load(os.path.join(out_dir, tag + ".out", "output.npy"))
    if got.shape != ref.shape:
        return {"ok": False, "error": f"shape {got.shape}, expected {ref.shape}"}
    err = float(np.max(np.abs(got.astype(np.float64) - ref)))
    scale = float(np.max(np.abs(ref)))
    rows_ref = ref.reshape(-1, ref.shape[-1]).argmax(-1)
    rows_got = got.reshape(-1, got.shape[-1]).argmax(-1)
    result = dict(max_abs_err=err, max_abs_ref=scale,
                  rel_to_max=err / scale if scale else err,
                  argmax_agree=bool((rows_ref == rows_got).all()))
    result["ok"] = result["rel_to_max"] <= 1e-3 and result["argmax_agree"]
    return result


def run_model(name, out_dir, gcomp_flags=(), dynamic=False, generic=False):
    import itertools
    import onnxruntime as ort
    t0 = time.time()
    path, feeds = export(name, out_dir, dynamic)
    t1 = time.time()
    so = os.path.join(out_dir, f"{name}{'-dynamic' if dynamic else ''}"
                               f"{'-generic' if generic else ''}.so")
    flags = list(gcomp_flags)
    sizes = dynamic_sizes(name) if dynamic else {}
    if generic:
        # One compile with the dims symbolic, no flag for them.
        sizes = GENERIC_TRANSFORMER_SIZES.get(name, GENERIC_SIZES)
    else:
        for dim, values in sizes.items():
            flags += ["--specialize", f"{dim}={','.join(map(str, values))}"]
    r = subprocess.run([os.path.join(BIN, "gcomp"), path, "-o", so, *flags],
                       capture_output=True, text=True)
    t2 = time.time()
    result = {"model": name, "export_s": round(t1 - t0, 1),
              "compile_s": round(t2 - t1, 1)}
    if r.returncode != 0:
        result.update(ok=False, error=r.stderr.strip().splitlines()[-1])
        return result
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    if not dynamic:
        result.update(compare(so, sess, feeds, out_dir, name))
    else:
        # Every combination of the sizes, each dim in input order.
        (input_name, example), = feeds.items()
        result["sizes"] = []
        for combo in itertools.product(*sizes.values()):
            shape = list(example.shape)
            shape[:len(combo)] = combo
            tag = f"{name}-" + "x".join(map(str, shape))
            check = compare(so, sess, make_feeds(input_name, shape, len(result["sizes"])),
                            out_dir, tag)
            check["shape"] = shape
            result["sizes"].append(check)
        result["ok"] = all(c["ok"] for c in result["sizes"])
        worst = max(result["sizes"], key=lambda c: c.get("rel_to_max", 1e9))
        for key in ("max_abs_err", "max_abs_ref", "rel_to_max", "argmax_agree", "error"):
            if key in worst:
                result[key] = worst[key]
    result["run_s"] = round(time.time() - t2, 1)
    return result


def cuda_ptx(name, out_dir, archs, ptxas):
    """Compiles the model with --target=cuda for each architecture and has
    ptxas assemble the PTX (no GPU needed)."""
    t0 = time.time()
    path, _ = export(name, out_dir)
    result = {"model": name, "export_s": round(time.time() - t0, 1),
              "archs": {}, "ok": True}
    for arch in archs:
        ptx = os.path.join(out_dir, f"{name}.{arch}.ptx")
        t1 = time.time()
        r = subprocess.run([os.path.join(BIN, "gcomp"), path, "--target=cuda",
                            f"--gpu-arch={arch}", "--emit=ptx", "-o", ptx],
                           capture_output=True, text=True)
        check = {"compile_s": round(time.time() - t1, 1)}
        if r.returncode != 0:
            check.update(ok=False, error=(r.stderr.strip().splitlines() or ["?"])[-1])
        else:
            with open(ptx) as f:
                text = f.read()
            check["kernels"] = text.count(".entry ")
            check["ptx_bytes"] = len(text)
            a = subprocess.run([ptxas, f"-arch={arch}", ptx, "-o", ptx + ".cubin"],
                               capture_output=True, text=True)
            check["ok"] = a.returncode == 0
            if a.returncode != 0:
                check["error"] = "ptxas: " + (a.stderr.strip().splitlines() or ["?"])[0]
        result["archs"][arch] = check
        result["ok"] &= check["ok"]
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="resnet18,tiny-transformer")
    parser.add_argument("--out", default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dynamic", action="store_true",
                        help="symbolic dims, compiled with --specialize")
    parser.add_argument("--generic", action="store_true",
                        help="with --dynamic: compile once with the dims "
                        "left symbolic (one library for every size) and "
                        "check it at the sizes in GENERIC_SIZES")
    parser.add_argument("--gcomp-flags", default="",
                        help="extra gcomp flags, space-separated (e.g. -O0)")
    parser.add_argument("--cuda-ptx", default="",
                        help="instead of running: compile with --target=cuda "
                        "for these GPU architectures (sm_80,sm_90) and "
                        "check the PTX with ptxas")
    parser.add_argument("--ptxas", default=os.environ.get("PTXAS", "ptxas"))
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="gcomp-zoo-")
    os.makedirs(out, exist_ok=True)
    results = []
    if args.cuda_ptx:
        for name in args.models.split(","):
            res = cuda_ptx(name, out, args.cuda_ptx.split(","), args.ptxas)
            results.append(res)
            for arch, check in res["archs"].items():
                detail = (f"{check['kernels']} kernels, {check['ptx_bytes']} "
                          f"bytes of PTX" if check["ok"] and "kernels" in check
                          else check.get("error", ""))
                print(f"{'PASS' if check['ok'] else 'FAIL'} {name} {arch}: "
                      f"{detail} (compile {check['compile_s']} s)", flush=True)
        if args.json:
            print(json.dumps(results))
        return 0 if all(r["ok"] for r in results) else 1
    for name in args.models.split(","):
        res = run_model(name, out, args.gcomp_flags.split(), args.dynamic,
                        args.generic)
        results.append(res)
        status = "PASS" if res["ok"] else "FAIL"
        detail = (f"max abs err {res['max_abs_err']:.3g} "
                  f"({res['rel_to_max']:.2g} of max |ref| {res['max_abs_ref']:.3g}), "
                  f"argmax agrees: {res['argmax_agree']}" if "max_abs_err" in res
                  else res.get("error", ""))
        print(f"{status} {name}: {detail} (export {res['export_s']} s, "
              f"compile {res['compile_s']} s)", flush=True)
        for check in res.get("sizes", []):
            shape = "x".join(map(str, check["shape"]))
            print(f"  {'ok' if check['ok'] else 'FAIL'} {shape}: " +
                  (f"max abs err {check['max_abs_err']:.3g}" if "max_abs_err" in check
                   else check.get("error", "")), flush=True)
    if args.json:
        print(json.dumps(results))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
