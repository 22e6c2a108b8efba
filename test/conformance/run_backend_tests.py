"""Runs the ONNX backend node tests through gcomp.

The onnx package regenerates its 1,884 node test cases offline
(onnx.backend.test.case.node.collect_testcases). Each case is compiled with
gcomp, run with gcomp-run on every data set, and compared with the expected
outputs at the case's own tolerances. The results are checked against the
list file (backend-node-tests.txt): every test listed as `pass` must pass;
any other line explains why a test does not (its category and reason).

  run_backend_tests.py                 run, check against the list, report
  run_backend_tests.py --update        rewrite the list from this run
  run_backend_tests.py -k conv         only tests whose name contains 'conv'

Exit status: 1 when a listed `pass` test no longer passes, else 0.
"""
import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
LIST = os.path.join(HERE, "backend-node-tests.txt")
BIN = os.environ.get("GCOMP_BIN", "")

TRAINING_OPS = {"Gradient", "Adagrad", "Adam", "Momentum"}
RANDOM_OPS = {"RandomNormal", "RandomUniform", "RandomNormalLike",
              "RandomUniformLike", "Bernoulli", "Multinomial"}


def all_types(model):
    g = model.graph
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        yield vi.type


def skip_category(case):
    """(category, reason) for tests gcomp does not attempt, else None."""
    from onnx import TensorProto
    model = case.model
    ops = {n.op_type for n in model.graph.node}
    if ops & TRAINING_OPS or "training" in case.name:
        return "training", "training-mode op or gradient"
    if ops & RANDOM_OPS:
        return "random", "op output is random"
    for t in all_types(model):
        kind = t.WhichOneof("value")
        if kind == "sequence_type" or any(o.startswith(("Sequence", "SplitToSequence", "ConcatFromSequence")) for o in ops):
            return "sequence", "sequence values"
        if kind == "optional_type" or ops & {"Optional", "OptionalHasElement", "OptionalGetElement"}:
            return "optional", "optional values"
        if kind == "map_type":
            return "map", "map values"
        if kind == "tensor_type" and t.tensor_type.elem_type == TensorProto.STRING:
            return "string", "string tensors"
    return None


def classify_compile_error(stderr):
    line = next((l for l in stderr.splitlines() if "error:" in l), stderr.strip())
    # "gcomp: error: /tmp/.../model.onnx: message" -> "message"
    line = re.sub(r"^.*?model\.onnx: ", "", line)
    m = re.search(r"\((\w+), opset \d+\): unsupported operator", line)
    if m:
        return "unsupported-op", f"{m.group(1)} is not supported"
    m = re.search(r"\((\w+), opset \d+\): (.*)", line)
    if m:
        return "op-limit", f"{m.group(1)}: {m.group(2)}"[:160]
    if "element type" in line:
        return "dtype", line[:160]
    if "failed to legalize" in line or "dynamic" in line:
        return "lowering", line.split("error: ", 1)[-1][:160]
    return "compile-error", line.split("error: ", 1)[-1][:160]


def as_array(value):
    """Test data as numpy; some cases hold TensorProtos (fp16, bf16...)."""
    import onnx
    from onnx import numpy_helper
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


# Ops whose every input is a size (the output's shape depends on them).
SIZE_ONLY_OPS = {"HannWindow", "HammingWindow", "BlackmanWindow",
                 "MelWeightMatrix"}


def parameter_inputs(model):
    """Graph inputs that only feed parameter positions (input 1 and later:
    axes, shapes, K, scales...; any input of an op whose inputs are all
    sizes), the ones a static graph wants as constants."""
    inits = {i.name for i in model.graph.initializer}
    uses = collections.defaultdict(list)
    for node in model.graph.node:
        for k, name in enumerate(node.input):
            uses[name].append(k if node.op_type not in SIZE_ONLY_OPS else 1)
    return [i.name for i in model.graph.input
            if i.name not in inits and uses[i.name] and min(uses[i.name]) >= 1]


def bind_inputs(model_bytes, data_sets, names):
    """The model with the graph inputs `names` turned into initializers
    holding the first data set's values (they must agree across data sets),
    and the data sets without them; None if they differ."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load_from_string(model_bytes)
    inits = {i.name for i in model.graph.initializer}
    order = [i.name for i in model.graph.input if i.name not in inits]
    positions = [order.index(n) for n in names]
    for p in positions:
        first = as_array(data_sets[0][0][p])
        if any(not np.array_equal(as_array(ins[p]), first) for ins, _ in data_sets):
            return None
    for name, p in zip(names, positions):
        model.graph.initializer.append(
            numpy_helper.from_array(as_array(data_sets[0][0][p]), name))
    kept = [i for i in model.graph.input if i.name not in names]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    new_sets = [([v for k, v in enumerate(ins) if k not in positions], outs)
                for ins, outs in data_sets]
    return model.SerializeToString(), new_sets


def run_case(case_name, model_bytes, data_sets, rtol, atol, workdir):
    """Returns (status, category, reason) with status pass|fail.

    gcomp compiles static graphs: a test that feeds axes, shapes, K or
    scales as graph inputs fails with "must be a constant" and is retried
    with those inputs bound to their test values at compile time. A pass
    that needed this is recorded with category 'bound'."""
    result = run_once(model_bytes, data_sets, rtol, atol, workdir)
    if result[0] == "pass" or "must be a constant" not in result[2]:
        return result
    import onnx
    names = parameter_inputs(onnx.load_from_string(model_bytes))
    bound = bind_inputs(model_bytes, data_sets, names) if names else None
    if not bound:
        return result
    retry = run_once(bound[0], bound[1], rtol, atol, workdir)
    if retry[0] == "pass":
        return "pass", "bound", "inputs bound at compile time: " + ", ".join(names)
    return retry


def run_once(model_bytes, data_sets, rtol, atol, workdir):
    import onnx
    d = tempfile.mkdtemp(dir=workdir)
    model_path = os.path.join(d, "model.onnx")
    with open(model_path, "wb") as f:
        f.write(model_bytes)
    model = onnx.load_from_string(model_bytes)
    so = os.path.join(d, "model.so")
    try:
        r = subprocess.run([os.path.join(BIN, "gcomp"), model_path, "-o", so],
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "fail", "timeout", "gcomp took over 120 s"
    if r.returncode != 0:
        if r.returncode < 0 or r.returncode >= 128:
            return "fail", "crash", f"gcomp crashed (status {r.returncode})"
        return ("fail",) + classify_compile_error(r.stderr)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    outputs = [o.name for o in model.graph.output]
    for k, (ins, outs) in enumerate(data_sets):
        cmd = [os.path.join(BIN, "gcomp-run"), so, "--output-dir",
               os.path.join(d, f"out{k}")]
        for name, value in zip(inputs, ins):
            p = os.path.join(d, f"in{k}_{len(cmd)}.npy")
            np.save(p, as_array(value))
            cmd += ["--input", f"{name}={p}"]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            return "fail", "timeout", "the run took over 60 s"
        if r.returncode != 0:
            if r.returncode < 0 or r.returncode >= 128:
                return "fail", "crash", f"the model crashed (status {r.returncode})"
            return "fail", "run-error", (r.stderr.strip().splitlines() or ["?"])[-1][:160]
        for name, expected in zip(outputs, outs):
            expected = as_array(expected)
            if expected.dtype.kind == "V":  # ml_dtypes.bfloat16: compare as float32
                expected = expected.astype(np.float32)
            safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
            path = os.path.join(d, f"out{k}", safe + ".npy")
            if not os.path.exists(path):
                return "fail", "run-error", f"no output '{name}'"
            got = np.load(path)
            if got.shape != expected.shape:
                return "fail", "wrong-shape", f"output '{name}': {got.shape} vs {expected.shape}"
            if expected.dtype.kind in "fc":
                ok = np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
            else:
                ok = np.array_equal(got, expected)
            if not ok:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    err = np.max(np.abs(got.astype(np.float64) - expected.astype(np.float64)))
                return "fail", "wrong-numbers", f"output '{name}': max abs error {err:.3g}"
    return "pass", "", ""


def read_list():
    entries = {}
    if os.path.exists(LIST):
        for line in open(LIST):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            entries[parts[1]] = (parts[0], parts[2] if len(parts) > 2 else "",
                                 parts[3] if len(parts) > 3 else "")
    return entries


def write_list(results):
    with open(LIST, "w") as f:
        f.write("# ONNX backend node tests through gcomp (test/conformance/"
                "run_backend_tests.py --update writes this file).\n"
                "# status<TAB>test<TAB>category<TAB>reason. CI fails when a "
                "'pass' test fails.\n"
                "# Categories: skip = not attempted (training, random, sequence,"
                " optional, map, string);\n# fail = attempted and known to fail "
                "(unsupported-op, op-limit, lowering, wrong-numbers, ...);\n"
                "# pass with category 'bound' = passes once its parameter inputs "
                "(axes, shapes, K, scales) are bound\n# to the test's values at "
                "compile time, as a static graph has them.\n")
        for name in sorted(results):
            status, category, reason = results[name]
            f.write("\t".join([status, name, category, reason]).rstrip("\t") + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true")
    parser.add_argument("-k", dest="filter", default="")
    parser.add_argument("-j", dest="jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()

    from onnx.backend.test.case.node import collect_testcases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [c for c in collect_testcases(None) if args.filter in c.name]
    start = time.time()
    results = {}
    jobs = {}
    with tempfile.TemporaryDirectory(prefix="gcomp-backend-") as work, \
            concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for case in cases:
            skip = skip_category(case)
            if skip:
                results[case.name] = ("skip",) + skip
                continue
            jobs[pool.submit(run_case, case.name, case.model.SerializeToString(),
                             case.data_sets, case.rtol, case.atol, work)] = case.name
        for future in concurrent.futures.as_completed(jobs):
            results[jobs[future]] = future.result()

    listed = read_list()
    regressions = [n for n, (s, _, _) in listed.items()
                   if s == "pass" and n in results and results[n][0] != "pass"]
    new = [n for n, r in results.items()
           if r[0] == "pass" and listed.get(n, ("",))[0] != "pass"]

    counts = collections.Counter(r[0] for r in results.values())
    bound = sum(1 for r in results.values() if r[0] == "pass" and r[1] == "bound")
    by_category = collections.Counter(r[1] for r in results.values() if r[0] != "pass")
    unsupported = collections.Counter(r[2].split()[0] for r in results.values()
                                      if r[1] == "unsupported-op")
    print(f"ONNX backend node tests: {len(results)} run in {time.time() - start:.0f} s")
    print(f"  passed: {counts['pass']} ({bound} with parameter inputs bound at compile time)")
    print(f"  failed: {counts['fail']}")
    for category in ("unsupported-op", "op-limit", "dtype", "lowering", "compile-error",
                     "crash", "timeout", "run-error", "wrong-shape", "wrong-numbers"):
        if by_category[category]:
            print(f"    {category}: {by_category[category]}")
    print(f"  skipped: {counts['skip']}")
    for category in ("training", "random", "sequence", "optional", "map", "string"):
        if by_category[category]:
            print(f"    {category}: {by_category[category]}")
    if unsupported:
        print("  most common unsupported ops: " + ", ".join(
            f"{op} ({n})" for op, n in unsupported.most_common(15)))
    for name in sorted(regressions):
        print(f"REGRESSION {name}: {results[name][1]}: {results[name][2]}")
    if new and not args.update:
        print(f"{len(new)} tests pass that the list does not record as passing "
              f"(run with --update): {', '.join(sorted(new)[:10])}"
              + (" ..." if len(new) > 10 else ""))
    if args.update:
        if args.filter:
            merged = dict(listed)
            merged.update(results)
            results = merged
        write_list(results)
        print(f"wrote {LIST}")
    return 1 if regressions and not args.update else 0


if __name__ == "__main__":
    sys.exit(main())
