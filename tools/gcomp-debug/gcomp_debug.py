"""gcomp-debug: find the first ONNX node whose numbers go wrong.

  gcomp-debug compare model.onnx --input x=x.npy [--json] [-- GCOMP FLAGS]
  gcomp-debug bisect  model.onnx --input x=x.npy [--json] [-- GCOMP FLAGS]

compare builds a debug variant of the model in which every node output is
also a graph output (so no value is fused away), compiles it with gcomp
(with the flags after `--`), runs it with gcomp-run, runs onnxruntime on the
same variant and inputs, and compares every node output in topological
order. The culprit is the first node whose inputs agree with onnxruntime but
whose outputs do not. A value agrees when it is within atol + rtol *
max|ref| of onnxruntime's everywhere (atol 1e-5, rtol 1e-3; --elementwise
for numpy.allclose's per-element rule). Exit code: 0 when everything agrees,
1 otherwise, 2 on usage or tool errors.

bisect compiles the model as shipped (same flags) and compares its outputs
with onnxruntime; when they differ it recompiles with gcomp's optimization
passes disabled (gcomp --disable-pass), one at a time and then in larger
sets, and reports the smallest set whose removal makes the numbers right.
When that is the elementwise fusion pass, it then halves the number of
fusions applied (gcomp --debug-fusion-limit) to name the first fusion that
breaks the numbers, with the ONNX nodes it joins.
When even no optimization at all gives wrong numbers, the bug is in a
lowering, and compare finds its node.
"""
import itertools
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, shape_inference

BIN_DIR = os.environ.get("GCOMP_BIN") or os.path.dirname(os.path.abspath(
    sys.argv[0]))


class ToolError(Exception):
    pass


def tool(name):
    path = os.path.join(BIN_DIR, name)
    if not os.path.exists(path):
        raise ToolError(f"cannot find {name} in {BIN_DIR} (set GCOMP_BIN)")
    return path


def parse_inputs(specs):
    feeds = {}
    for spec in specs or []:
        name, sep, path = spec.partition("=")
        if not sep:
            raise ToolError(f"--input expects NAME=FILE.npy, got '{spec}'")
        try:
            feeds[name] = np.load(path)
        except OSError as e:
            raise ToolError(f"--input {name}: cannot read '{path}': {e}")
    return feeds


def random_feeds(model, feeds, seed):
    """Fills the graph inputs not given with seeded random data."""
    rng = np.random.default_rng(seed)
    inits = {i.name for i in model.graph.initializer}
    out = dict(feeds)
    for vi in model.graph.input:
        if vi.name in inits or vi.name in out:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else 1
                 for d in tt.shape.dim]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type)
        if np.issubdtype(dtype, np.floating):
            out[vi.name] = rng.uniform(-1, 1, shape).astype(dtype)
        elif dtype == np.bool_:
            out[vi.name] = rng.integers(0, 2, shape).astype(dtype)
        else:
            out[vi.name] = rng.integers(0, 10, shape).astype(dtype)
    return out


def debug_variant(model):
    """The model with every node output also a graph output, named
    __dbg_<i> through Identity nodes so the names are file-system safe.
    Returns (variant, [(node, [(output name, debug name)])])."""
    inferred = shape_inference.infer_shapes(model)
    types = {vi.name: vi for vi in list(inferred.graph.value_info) +
             list(inferred.graph.output) + list(inferred.graph.input)}
    variant = onnx.ModelProto()
    variant.CopyFrom(model)
    graph = variant.graph
    mapping = []
    count = 0
    for index, node in enumerate(model.graph.node):
        name = node.name or f"{node.op_type}_{node.output[0] if node.output else index}"
        outs = []
        for out in node.output:
            if not out:
                continue
            debug_name = f"__dbg_{count}"
            count += 1
            graph.node.append(helper.make_node("Identity", [out], [debug_name],
                                               name=f"__dbg_identity_{count}"))
            vi = onnx.ValueInfoProto()
            if out in types:
                vi.CopyFrom(types[out])
            vi.name = debug_name
            graph.output.append(vi)
            outs.append((out, debug_name))
        mapping.append((name, node, outs))
    return variant, mapping


def errors(got, ref):
    """(max abs error, max abs error / max |ref|): the error relative to the
    tensor's scale, which is what the default tolerance checks (an error
    relative to each element is meaningless where the reference is ~0)."""
    if got.shape != ref.shape:
        return float("inf"), float("inf")
    if got.size == 0:
        return 0.0, 0.0
    g = got.astype(np.float64)
    r = ref.astype(np.float64)
    both_nan = np.isnan(g) & np.isnan(r)
    same_inf = np.isinf(r) & (g == r)
    diff = np.where(both_nan | same_inf, 0.0, np.abs(g - r))
    diff = np.where(np.isnan(diff), np.inf, diff)
    finite = np.abs(r[np.isfinite(r)])
    scale = finite.max() if finite.size else 0.0
    worst = float(diff.max())
    if worst == 0.0:
        return 0.0, 0.0
    return worst, worst / scale if scale > 0 else float("inf")


def agree(got, ref, args):
    """Whether gcomp's value matches onnxruntime's. Integers and booleans
    must be equal. Floats, by default, within atol + rtol * max|ref| of the
    reference everywhere (rtol 1e-3, the model zoo's criterion): a tolerance
    scaled to the tensor, because the two add a reduction's terms in
    different orders, which in fp32 moves a sum of K terms by up to about
    K * 6e-8 of the sum of their magnitudes, and a value that cancels to near
    zero has no meaningful relative error. In ResNet-50 a 1x1 conv over 512
    channels differs by 6e-4 on outputs of size 4 with correct kernels,
    while a wrong kernel is off by the order of its values. --elementwise
    asks for numpy.allclose's per-element rule instead."""
    if got.shape != ref.shape:
        return False
    if ref.dtype.kind not in "fc":
        return bool(np.array_equal(got, ref))
    g, r = got.astype(np.float64), ref.astype(np.float64)
    if args.elementwise:
        return bool(np.allclose(g, r, rtol=args.rtol, atol=args.atol,
                                equal_nan=True))
    nan_g, nan_r, inf_r = np.isnan(g), np.isnan(r), np.isinf(r)
    if not np.array_equal(nan_g, nan_r) or not np.array_equal(g[inf_r], r[inf_r]):
        return False
    keep = ~nan_r & ~inf_r
    if not keep.any():
        return True
    scale = np.abs(r[keep]).max()
    return bool(np.abs(g[keep] - r[keep]).max() <= args.atol + args.rtol * scale)


def attributes(node):
    return {a.name: onnx.helper.get_attribute_value(a) if a.type != a.TENSOR
            else f"tensor{list(a.t.dims)}" for a in node.attribute}


def jsonable(value):
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def compare(args):
    import onnxruntime as ort

    model = onnx.load(args.model)
    feeds = random_feeds(model, parse_inputs(args.input), args.seed)
    variant, mapping = debug_variant(model)

    with tempfile.TemporaryDirectory(prefix="gcomp-debug-") as work:
        # Keep the variant next to the original so external data resolves.
        variant_path = os.path.join(os.path.dirname(os.path.abspath(args.model)),
                                    f".gcomp-debug-{os.getpid()}.onnx")
        onnx.save(variant, variant_path)
        try:
            try:
                got = compile_and_run(variant_path, feeds, args.gcomp_flags, work)
            except ToolError as e:
                raise ToolError("on the debug build: " +
                                str(e).replace(variant_path, args.model))
            sess = ort.InferenceSession(variant_path,
                                        providers=["CPUExecutionProvider"])
        finally:
            os.unlink(variant_path)
        names = [o.name for o in sess.get_outputs()]
        ort_out = dict(zip(names, sess.run(None, feeds)))
        # The debug outputs are named __dbg_<i>, which gcomp-run keeps as is.
        gcomp_out = {n: got[n] for n in names if n.startswith("__dbg_")}

    ok_values = set(feeds) | {i.name for i in model.graph.initializer}
    rows, first_bad = [], None
    for name, node, outs in mapping:
        max_abs = max_rel = 0.0
        ok = True
        shapes = []
        for out, debug_name in outs:
            got, ref = gcomp_out[debug_name], ort_out[debug_name]
            shapes.append(list(ref.shape))
            a, rel = errors(got, ref)
            max_abs, max_rel = max(max_abs, a), max(max_rel, rel)
            close = agree(got, ref, args)
            ok = ok and close
            if close:
                ok_values.add(out)
        inputs_ok = all(i in ok_values or not i for i in node.input)
        row = {"name": name, "op": node.op_type, "max_abs_err": max_abs,
               "max_rel_err": max_rel, "ok": ok, "inputs_ok": inputs_ok,
               "output_shapes": shapes}
        rows.append(row)
        if not ok and inputs_ok and first_bad is None:
            first_bad = row
            row["attributes"] = {k: jsonable(v)
                                 for k, v in attributes(node).items()}
            row["inputs"] = list(node.input)
    return rows, first_bad


def compile_and_run(model_path, feeds, flags, work):
    """Compiles with gcomp `flags` and runs once; returns {output: array}."""
    so = os.path.join(work, f"m{len(os.listdir(work))}.so")
    r = subprocess.run([tool("gcomp"), model_path, "-o", so, *flags],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise ToolError("gcomp failed:\n" + r.stderr)
    out_dir = so + ".out"
    cmd = [tool("gcomp-run"), so, "--output-dir", out_dir]
    for name, value in feeds.items():
        path = os.path.join(work, f"in_{name.replace('/', '_')}.npy")
        np.save(path, value)
        cmd += ["--input", f"{name}={path}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise ToolError("gcomp-run failed:\n" + r.stderr)
    return {f[:-4]: np.load(os.path.join(out_dir, f))
            for f in os.listdir(out_dir)}


def bisect(args):
    import onnxruntime as ort

    model = onnx.load(args.model)
    feeds = random_feeds(model, parse_inputs(args.input), args.seed)
    sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    reference = dict(zip([o.name for o in sess.get_outputs()],
                         sess.run(None, feeds)))
    passes = subprocess.run([tool("gcomp"), "--print-optimization-passes"],
                            capture_output=True, text=True,
                            check=True).stdout.split()
    trials = []

    with tempfile.TemporaryDirectory(prefix="gcomp-bisect-") as work:
        def agrees(disabled, extra_flags=()):
            flags = list(args.gcomp_flags) + list(extra_flags)
            for p in disabled:
                flags += ["--disable-pass", p]
            got = compile_and_run(args.model, feeds, flags, work)
            worst = 0.0
            ok = True
            for name, ref in reference.items():
                # gcomp-run names files after outputs, '/' and the like as '_'.
                g = got.get(name, got.get("".join(
                    c if c.isalnum() or c in "._-" else "_" for c in name)))
                if g is None or g.shape != ref.shape:
                    return False, float("inf")
                worst = max(worst, errors(g, ref)[0])
                ok = ok and agree(g, ref, args)
            trial = {"disabled": list(disabled), "ok": bool(ok),
                     "max_abs_err": worst}
            if extra_flags:
                trial["flags"] = list(extra_flags)
            trials.append(trial)
            return bool(ok), worst

        if agrees([])[0]:
            return {"agrees": True, "culprit": None, "trials": trials}
        if not agrees(passes)[0]:
            return {"agrees": False, "culprit": None, "in_lowering": True,
                    "trials": trials}
        # Smallest set first: one pass at a time, then pairs, ...
        for size in range(1, len(passes) + 1):
            for subset in itertools.combinations(passes, size):
                if agrees(list(subset))[0]:
                    result = {"agrees": False, "culprit": list(subset),
                              "in_lowering": False, "fusion": None,
                              "trials": trials}
                    if list(subset) == ["gcomp-fuse-elementwise"]:
                        result["fusion"] = bisect_fusions(args, agrees, work)
                    return result
    raise ToolError("no set of passes explains the mismatch")


def bisect_fusions(args, agrees, work):
    """The first fusion of gcomp-fuse-elementwise that breaks the numbers:
    fusions are numbered in a deterministic order, and --debug-fusion-limit N
    applies the first N, so the culprit is found by halving N."""
    r = subprocess.run([tool("gcomp"), args.model, "-o",
                        os.path.join(work, "fusions.so"), "--debug-print-fusions",
                        *args.gcomp_flags], capture_output=True, text=True)
    fusions = [line.split("fusion #", 1)[1] for line in r.stderr.splitlines()
               if "remark:" in line and "fusion #" in line]
    good, bad = 0, len(fusions)  # limit 0 agrees (the pass does nothing)
    while bad - good > 1:
        mid = (good + bad) // 2
        if agrees([], ["--debug-fusion-limit", str(mid)])[0]:
            good = mid
        else:
            bad = mid
    if not fusions or agrees([], ["--debug-fusion-limit", str(bad)])[0]:
        return None  # not one fusion's fault (an interaction, or no fusion)
    index, _, description = fusions[bad - 1].partition(": ")
    return {"index": int(index), "description": description}


def print_table(rows, first_bad, tolerance):
    width = max([len(r["name"]) for r in rows] + [4])
    print(f"{'node':<{width}}  {'op':<14} {'max abs err':>12} {'/ max |ref|':>12}  result")
    for r in rows:
        verdict = "ok" if r["ok"] else ("FAIL" if r["inputs_ok"] else "fail (bad inputs)")
        print(f"{r['name']:<{width}}  {r['op']:<14} {r['max_abs_err']:>12.4g} "
              f"{r['max_rel_err']:>12.4g}  {verdict}")
    bad = sum(not r["ok"] for r in rows)
    print(f"\n{len(rows) - bad} of {len(rows)} nodes agree with onnxruntime "
          f"({tolerance}).")
    if first_bad:
        print(f"First bad node: '{first_bad['name']}' ({first_bad['op']}), "
              f"inputs {first_bad['inputs']} agree but its output does not; "
              f"attributes {first_bad['attributes']}, output shapes "
              f"{first_bad['output_shapes']}, max abs error "
              f"{first_bad['max_abs_err']:.4g}.")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    gcomp_flags = []
    if "--" in argv:
        cut = argv.index("--")
        argv, gcomp_flags = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(prog="gcomp-debug",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    commands = [
        sub.add_parser("compare", help="compare every node with onnxruntime"),
        sub.add_parser("bisect", help="find the optimization pass that "
                       "breaks the numbers")]
    for p in commands:
        p.add_argument("model")
        p.add_argument("--input", action="append", metavar="NAME=FILE.npy")
        p.add_argument("--json", action="store_true",
                       help="print one JSON object")
        p.add_argument("--rtol", type=float, default=None,
                       help="relative tolerance: 1e-3 of the tensor's max "
                       "|ref| by default, 1e-4 with --elementwise")
        p.add_argument("--atol", type=float, default=1e-5)
        p.add_argument("--elementwise", action="store_true",
                       help="compare each element with atol + rtol * |ref| "
                       "(numpy.allclose) instead of the tensor-scaled "
                       "atol + rtol * max|ref|")
        p.add_argument("--seed", type=int, default=0,
                       help="seed for inputs not given with --input")
    args = parser.parse_args(argv)
    if args.rtol is None:
        args.rtol = 1e-4 if args.elementwise else 1e-3
    args.gcomp_flags = gcomp_flags
    try:
        if args.command == "bisect":
            result = bisect(args)
        else:
            rows, first_bad = compare(args)
    except ToolError as e:
        print(f"gcomp-debug: error: {e}", file=sys.stderr)
        return 2
    if args.command == "bisect":
        if args.json:
            print(json.dumps(result))
        elif result["agrees"]:
            print("The outputs agree with onnxruntime with every pass on; "
                  "nothing to bisect.")
        elif result["in_lowering"]:
            print("The outputs are wrong even with every optimization pass "
                  "disabled: the bug is in a lowering, not an optimization. "
                  "Run `gcomp-debug compare` to find its node.")
        else:
            print("Disabling " + " + ".join(f"'{p}'" for p in result["culprit"])
                  + " makes the outputs agree with onnxruntime: that pass "
                  "breaks this model.")
            if result.get("fusion"):
                f = result["fusion"]
                print(f"The first fusion that breaks it is #{f['index']}: "
                      f"{f['description']} (gcomp --debug-fusion-limit "
                      f"{f['index']} keeps the fusions before it).")
        return 0 if result["agrees"] else 1
    if args.json:
        def finite(x):  # JSON has no infinity: a shape mismatch reads null
            return x if x == x and abs(x) != float("inf") else None
        for r in rows:
            r["max_abs_err"] = finite(r["max_abs_err"])
            r["max_rel_err"] = finite(r["max_rel_err"])
        print(json.dumps({
            "nodes": [{k: r[k] for k in ("name", "op", "max_abs_err",
                                         "max_rel_err", "ok")} for r in rows],
            "first_bad": first_bad["name"] if first_bad else None,
            "culprit": first_bad,
        }))
    else:
        tolerance = (f"per element: atol {args.atol:g} + rtol {args.rtol:g} x |ref|"
                     if args.elementwise else
                     f"atol {args.atol:g} + rtol {args.rtol:g} x max |ref| per tensor")
        print_table(rows, first_bad, tolerance)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
