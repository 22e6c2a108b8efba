# RUN: %python %s | FileCheck %s
# Ops whose output size depends on the input values (NonZero, Compress,
# Unique, NonMaxSuppression) against onnxruntime: the library returns each
# such output with the shape this run gives it (gcomp-run sizes its buffers
# from a first run_alloc, then runs into them), at -O2 and -O0; empty and
# full results; thresholds and max_output_boxes_per_class computed at run
# time; such values taken by later ops (masked select, a detector's box
# selection after NMS); what is refused, with the reason.
# CHECK: PASS NonZero float 3-D
# CHECK: PASS NonZero all zero
# CHECK: PASS Compress axis 1 short condition
# CHECK: PASS Compress without axis
# CHECK: PASS Unique unsorted
# CHECK: PASS Unique int64 sorted
# CHECK: PASS NonMaxSuppression 2x3 classes
# CHECK: PASS NonMaxSuppression run-time limits
# CHECK: PASS NonZero with other outputs
# CHECK: PASS the Python binding returns the run's shapes
# CHECK: PASS masked select (NonZero, Transpose, GatherND, Mul)
# CHECK: PASS detector post-processing (NMS, Gather, Concat)
# CHECK: PASS compute with a NonZero: {{.*}}has a size that depends on the input values
# CHECK: PASS --specialize: {{.*}}outputs whose size depends on the input values
# CHECK: PASS --target=cuda: {{.*}}output 'nz' has a size that depends on the input values
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import os
import sys
import tempfile

from gcomp_testing import *

rng = np.random.default_rng(11)
res = Results()
I64, B = TensorProto.INT64, TensorProto.BOOL


def both_levels(label, model, feeds):
    for flags in ((), ("-O0",)):
        res.check(f"{label}{' -O0' if flags else ''}", check_against_onnxruntime,
                  model, label, feeds=feeds, gcomp_flags=flags)


def sparse(shape, keep=0.4, dtype=np.float32):
    x = rng.standard_normal(shape).astype(dtype)
    x[rng.random(shape) > keep] = 0
    return x


nonzero = make_model([helper.make_node("NonZero", ["x"], ["nz"])],
                     [tensor_info("x", [2, 3, 4])], [tensor_info("nz", [3, None], I64)])
both_levels("NonZero float 3-D", nonzero, {"x": sparse((2, 3, 4))})
both_levels("NonZero all zero", nonzero, {"x": np.zeros((2, 3, 4), np.float32)})
both_levels("NonZero all non-zero", nonzero,
            {"x": np.full((2, 3, 4), -0.5, np.float32)})
for dtype, np_dtype in ((TensorProto.INT32, np.int32), (B, bool)):
    m = make_model([helper.make_node("NonZero", ["x"], ["nz"])],
                   [tensor_info("x", [17], dtype)], [tensor_info("nz", [1, None], I64)])
    both_levels(f"NonZero {np.dtype(np_dtype).name} 1-D", m,
                {"x": (rng.random(17) > 0.5).astype(np_dtype)})

compress = make_model([helper.make_node("Compress", ["x", "c"], ["y"], axis=1)],
                      [tensor_info("x", [3, 5, 2]), tensor_info("c", [4], B)],
                      [tensor_info("y", [3, None, 2])])
x = rng.standard_normal((3, 5, 2)).astype(np.float32)
both_levels("Compress axis 1 short condition", compress,
            {"x": x, "c": np.array([1, 0, 1, 1], bool)})
both_levels("Compress none kept", compress, {"x": x, "c": np.zeros(4, bool)})
flat = make_model([helper.make_node("Compress", ["x", "c"], ["y"])],
                  [tensor_info("x", [3, 4]), tensor_info("c", [12], B)],
                  [tensor_info("y", [None])])
both_levels("Compress without axis", flat,
            {"x": rng.standard_normal((3, 4)).astype(np.float32),
             "c": rng.random(12) > 0.5})

for sort in (0, 1):
    m = make_model([helper.make_node("Unique", ["x"], ["y", "idx", "inv", "cnt"],
                                     sorted=sort)],
                   [tensor_info("x", [4, 6])],
                   [tensor_info("y", [None]), tensor_info("idx", [None], I64),
                    tensor_info("inv", [24], I64), tensor_info("cnt", [None], I64)])
    both_levels(f"Unique {'sorted' if sort else 'unsorted'}", m,
                {"x": rng.integers(-3, 4, (4, 6)).astype(np.float32)})
m = make_model([helper.make_node("Unique", ["x"], ["y", "idx", "inv", "cnt"])],
               [tensor_info("x", [30], I64)],
               [tensor_info("y", [None], I64), tensor_info("idx", [None], I64),
                tensor_info("inv", [30], I64), tensor_info("cnt", [None], I64)])
both_levels("Unique int64 sorted", m, {"x": rng.integers(0, 9, 30)})
both_levels("Unique all equal", m, {"x": np.full(30, 5, np.int64)})


def boxes(b, n, center=False):
    corner = rng.random((b, n, 2)).astype(np.float32) * 10
    size = rng.random((b, n, 2)).astype(np.float32) * 4 + 0.5
    if center:
        return np.concatenate([corner, size], axis=2)
    # y1, x1, y2, x2, some with the corners swapped.
    out = np.concatenate([corner, corner + size], axis=2)
    flip = rng.random((b, n)) > 0.7
    out[flip] = out[flip][:, [2, 3, 0, 1]]
    return out


nms_inputs = [tensor_info("b", [2, 40, 4]), tensor_info("s", [2, 3, 40])]
for center in (0, 1):
    m = make_model([helper.make_node("NonMaxSuppression", ["b", "s", "mo", "iou", "st"],
                                     ["sel"], center_point_box=center)],
                   nms_inputs, [tensor_info("sel", [None, 3], I64)],
                   {"mo": np.array([5], np.int64), "iou": np.array([0.3], np.float32),
                    "st": np.array([0.2], np.float32)})
    both_levels(f"NonMaxSuppression 2x3 classes{' center' if center else ''}", m,
                {"b": boxes(2, 40, center), "s": rng.random((2, 3, 40)).astype(np.float32)})
m = make_model([helper.make_node("NonMaxSuppression", ["b", "s", "mo", "iou"], ["sel"])],
               nms_inputs + [tensor_info("mo", [1], I64), tensor_info("iou", [], TensorProto.FLOAT)],
               [tensor_info("sel", [None, 3], I64)])
feeds = {"b": boxes(2, 40), "s": rng.random((2, 3, 40)).astype(np.float32)}
both_levels("NonMaxSuppression run-time limits", m,
            {**feeds, "mo": np.array([7], np.int64), "iou": np.array(0.45, np.float32)})
both_levels("NonMaxSuppression run-time limit 0", m,
            {**feeds, "mo": np.array([0], np.int64), "iou": np.array(0.45, np.float32)})
both_levels("NonMaxSuppression run-time limit past N", m,
            {**feeds, "mo": np.array([1000], np.int64), "iou": np.array(0.9, np.float32)})

# A data-dependent output next to ordinary ones, one of them the same value
# twice, and an Identity of it.
mixed = make_model([helper.make_node("NonZero", ["x"], ["nz"]),
                    helper.make_node("Identity", ["nz"], ["nz2"]),
                    helper.make_node("Relu", ["x"], ["y"])],
                   [tensor_info("x", [3, 4])],
                   [tensor_info("y", [3, 4]), tensor_info("nz", [2, None], I64),
                    tensor_info("nz2", [2, None], I64)])
both_levels("NonZero with other outputs", mixed, {"x": sparse((3, 4))})


def python_binding():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
    import gcomp
    with tempfile.TemporaryDirectory() as d:
        _, so = compile_model(nonzero, d)
        model = gcomp.Model(so)
        assert model.outputs[0].shape == (3, -1), model.outputs[0].shape
        for keep in (0.0, 0.3, 1.0):
            x = sparse((2, 3, 4), keep)
            got = model.run(x=x)["nz"]
            want = np.array(np.nonzero(x), np.int64)
            assert got.shape == want.shape and (got == want).all(), (got, want)
    print("PASS the Python binding returns the run's shapes")


res.check("python binding", python_binding)

# Computing with such values: the ops that keep the padding apart.
# masked_select: the coordinates of the non-zeros, transposed, gather the
# values (GatherND), which are then scaled.
masked = make_model([helper.make_node("NonZero", ["x"], ["nz"]),
                     helper.make_node("Transpose", ["nz"], ["coords"], perm=[1, 0]),
                     helper.make_node("GatherND", ["x", "coords"], ["v"]),
                     helper.make_node("Mul", ["v", "two"], ["y"])],
                    [tensor_info("x", [3, 4])],
                    [tensor_info("coords", [None, 2], I64), tensor_info("y", [None])],
                    {"two": np.array([2.0], np.float32)})
both_levels("masked select (NonZero, Transpose, GatherND, Mul)", masked,
            {"x": sparse((3, 4))})
both_levels("masked select of nothing", masked, {"x": np.zeros((3, 4), np.float32)})

# A detector's end: NMS picks boxes; their batch, class and box indices
# gather the boxes and scores, which are put side by side with the class.
post = make_model(
    [helper.make_node("NonMaxSuppression", ["b", "s", "mo", "iou", "st"], ["sel"]),
     helper.make_node("Gather", ["sel", "col2"], ["box"], axis=1),
     helper.make_node("Gather", ["sel", "col1"], ["cls"], axis=1),
     helper.make_node("Squeeze", ["b", "ax0"], ["b0"]),
     helper.make_node("Gather", ["b0", "box"], ["picked"], axis=0),
     helper.make_node("Transpose", ["s"], ["st_"], perm=[0, 2, 1]),
     helper.make_node("Squeeze", ["st_", "ax0"], ["s0"]),
     helper.make_node("Gather", ["s0", "box"], ["scores"], axis=0),
     helper.make_node("Cast", ["cls"], ["clsf"], to=TensorProto.FLOAT),
     helper.make_node("Unsqueeze", ["clsf", "ax1"], ["cls2"]),
     helper.make_node("Slice", ["scores", "z", "one", "ax1"], ["first_score"]),
     helper.make_node("Concat", ["picked", "first_score", "cls2"], ["dets"], axis=1)],
    [tensor_info("b", [1, 40, 4]), tensor_info("s", [1, 3, 40])],
    [tensor_info("dets", [None, 6]), tensor_info("sel", [None, 3], I64)],
    {"mo": np.array([4], np.int64), "iou": np.array([0.4], np.float32),
     "st": np.array([0.3], np.float32), "col2": np.array(2, np.int64),
     "col1": np.array(1, np.int64), "ax0": np.array([0], np.int64),
     "ax1": np.array([1], np.int64), "z": np.array([0], np.int64),
     "one": np.array([1], np.int64)})
both_levels("detector post-processing (NMS, Gather, Concat)", post,
            {"b": boxes(1, 40), "s": rng.random((1, 3, 40)).astype(np.float32)})
both_levels("detector post-processing, no box above the threshold", post,
            {"b": boxes(1, 40), "s": rng.random((1, 3, 40)).astype(np.float32) * 0.3})

reduced = make_model([helper.make_node("NonZero", ["x"], ["nz"]),
                      helper.make_node("ReduceSum", ["nz", "ax"], ["t"], keepdims=0)],
                     [tensor_info("x", [3, 4])], [tensor_info("t", [2], I64)],
                     {"ax": np.array([1], np.int64)})
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "t.onnx")
    onnx.save(reduced, path)
    res.check("compute with a NonZero", check_compile_error, "compute with a NonZero",
              path, "has a size that depends on the input values")
    path = os.path.join(d, "nz.onnx")
    dyn = make_model([helper.make_node("NonZero", ["x"], ["nz"])],
                     [tensor_info("x", ["n", 4])], [tensor_info("nz", [2, None], I64)])
    onnx.save(dyn, path)
    res.check("--specialize", check_compile_error, "--specialize", path,
              "outputs whose size depends on the input values",
              extra=("--specialize", "n=2,3"))
    res.check("--target=cuda", check_compile_error, "--target=cuda", path,
              "output 'nz' has a size that depends on the input values",
              extra=("--dim", "n=2", "--target=cuda"))
res.finish()
