# RUN: %python %s | FileCheck %s
# ConvTranspose, Resize/Upsample, GatherND, the scatters, TopK, Einsum and
# NonZero, compiled by gcomp and compared with onnxruntime on the same
# inputs (fp32: rtol 1e-4, atol 1e-5; integer outputs exactly).
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(11)
I64 = TensorProto.INT64


def check(label, nodes, inputs, outputs, inits=None, opset=17, feeds=None):
    model = make_model(nodes, inputs, outputs, inits or {}, opset=opset)
    res.check(label, check_against_onnxruntime, model, label, feeds=feeds)


# ConvTranspose: strides, pads, output_padding, groups, dilations,
# output_shape, SAME_UPPER, 1-D; a bias.
x = rng.standard_normal((2, 4, 5, 6)).astype(np.float32)
for label, attrs, wshape, out in [
        ("ConvTranspose plain", {}, (4, 3, 3, 3), (2, 3, 7, 8)),
        ("ConvTranspose stride 2 pads", {"strides": [2, 2], "pads": [1, 0, 1, 2]},
         (4, 3, 3, 3), (2, 3, 9, 11)),
        ("ConvTranspose output_padding", {"strides": [2, 3], "output_padding": [1, 2]},
         (4, 3, 3, 2), (2, 3, 12, 19)),
        ("ConvTranspose groups dilations", {"group": 2, "dilations": [2, 1]},
         (4, 3, 3, 3), (2, 6, 9, 8)),
        ("ConvTranspose output_shape", {"strides": [2, 2], "output_shape": [10, 12]},
         (4, 3, 3, 3), (2, 3, 10, 12)),
        ("ConvTranspose SAME_UPPER", {"strides": [2, 2], "auto_pad": "SAME_UPPER"},
         (4, 3, 3, 3), (2, 3, 10, 12))]:
    w = (rng.standard_normal(wshape) * 0.3).astype(np.float32)
    mch = wshape[1] * attrs.get("group", 1)
    check(label, [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], **attrs)],
          [tensor_info("x", list(x.shape))], [tensor_info("y", list(out))],
          {"w": w, "b": rng.standard_normal(mch).astype(np.float32)}, feeds={"x": x})
check("ConvTranspose 1-D", [helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[3])],
      [tensor_info("x", [2, 4, 6])], [tensor_info("y", [2, 2, 20])],
      {"w": (rng.standard_normal((4, 2, 5)) * 0.3).astype(np.float32)},
      feeds={"x": x[:, :, 0, :].copy()})

# Resize: each mode with the common coordinate modes, by scales and sizes.
img = rng.standard_normal((1, 2, 5, 6)).astype(np.float32)
empty = np.array([], np.float32)
for mode, coord, extra in [
        ("nearest", "asymmetric", {"nearest_mode": "floor"}),
        ("nearest", "half_pixel", {"nearest_mode": "round_prefer_ceil"}),
        ("linear", "half_pixel", {}), ("linear", "align_corners", {}),
        ("linear", "pytorch_half_pixel", {}), ("linear", "asymmetric", {}),
        ("cubic", "half_pixel", {}), ("cubic", "align_corners", {"cubic_coeff_a": -0.5})]:
    for scales, out in [([1, 1, 2.0, 1.5], [1, 2, 10, 9]), ([1, 1, 0.6, 0.5], [1, 2, 3, 3])]:
        label = f"Resize {mode} {coord} x{scales[2]}"
        check(label, [helper.make_node("Resize", ["x", "roi", "s"], ["y"], mode=mode,
                                       coordinate_transformation_mode=coord, **extra)],
              [tensor_info("x", [1, 2, 5, 6])], [tensor_info("y", out)],
              {"roi": empty, "s": np.array(scales, np.float32)}, feeds={"x": img})
check("Resize linear sizes", [helper.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="linear")],
      [tensor_info("x", [1, 2, 5, 6])], [tensor_info("y", [1, 2, 8, 4])],
      {"sz": np.array([1, 2, 8, 4], np.int64)}, feeds={"x": img})
check("Resize tf_crop_and_resize",
      [helper.make_node("Resize", ["x", "roi", "", "sz"], ["y"], mode="linear",
                        coordinate_transformation_mode="tf_crop_and_resize",
                        extrapolation_value=-1.0)],
      [tensor_info("x", [1, 2, 5, 6])], [tensor_info("y", [1, 2, 4, 4])],
      {"roi": np.array([0, 0, -0.2, 0.1, 1, 1, 0.8, 1.3], np.float32),
       "sz": np.array([1, 2, 4, 4], np.int64)}, feeds={"x": img})
check("Upsample nearest (opset 9)",
      [helper.make_node("Upsample", ["x", "s"], ["y"], mode="nearest")],
      [tensor_info("x", [1, 2, 5, 6])], [tensor_info("y", [1, 2, 10, 18])],
      {"s": np.array([1, 1, 2, 3], np.float32)}, opset=9, feeds={"x": img})

# GatherND, with batch dims.
data = rng.standard_normal((2, 3, 4)).astype(np.float32)
check("GatherND", [helper.make_node("GatherND", ["x", "i"], ["y"])],
      [tensor_info("x", [2, 3, 4]), tensor_info("i", [3, 2], I64)], [tensor_info("y", [3, 4])],
      feeds={"x": data, "i": np.array([[0, 1], [1, -1], [1, 0]], np.int64)})
check("GatherND batch_dims", [helper.make_node("GatherND", ["x", "i"], ["y"], batch_dims=1)],
      [tensor_info("x", [2, 3, 4]), tensor_info("i", [2, 2, 1], I64)],
      [tensor_info("y", [2, 2, 4])],
      feeds={"x": data, "i": np.array([[[2], [0]], [[1], [1]]], np.int64)})

# ScatterND (a KV-cache style slice update, and an add reduction) and
# ScatterElements.
for reduction in ["none", "add"]:
    check(f"ScatterND {reduction}",
          [helper.make_node("ScatterND", ["x", "i", "u"], ["y"], reduction=reduction)],
          [tensor_info("x", [2, 3, 4]), tensor_info("i", [2, 2], I64),
           tensor_info("u", [2, 4])], [tensor_info("y", [2, 3, 4])], opset=18,
          feeds={"x": data, "i": np.array([[0, 2], [1, 0]], np.int64),
                 "u": rng.standard_normal((2, 4)).astype(np.float32)})
for reduction in ["none", "add", "max"]:
    check(f"ScatterElements {reduction}",
          [helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=1,
                            reduction=reduction)],
          [tensor_info("x", [2, 3, 4]), tensor_info("i", [2, 2, 4], I64),
           tensor_info("u", [2, 2, 4])], [tensor_info("y", [2, 3, 4])], opset=18,
          feeds={"x": data, "i": rng.integers(-3, 3, (2, 2, 4)).astype(np.int64),
                 "u": rng.standard_normal((2, 2, 4)).astype(np.float32)})

# TopK: largest and smallest, along an inner axis, with ties.
scores = rng.standard_normal((3, 7, 2)).astype(np.float32)
scores[0, 1, 0] = scores[0, 4, 0]
for largest in [1, 0]:
    check(f"TopK largest={largest}",
          [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1, largest=largest)],
          [tensor_info("x", [3, 7, 2])],
          [tensor_info("v", [3, 3, 2]), tensor_info("i", [3, 3, 2], I64)],
          {"k": np.array([3], np.int64)}, feeds={"x": scores})
check("TopK int64 k=n", [helper.make_node("TopK", ["x", "k"], ["v", "i"])],
      [tensor_info("x", [2, 5], I64)],
      [tensor_info("v", [2, 5], I64), tensor_info("i", [2, 5], I64)],
      {"k": np.array([5], np.int64)},
      feeds={"x": np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]], np.int64)})

# Einsum: the forms exporters and users write.
a = rng.standard_normal((2, 3, 4)).astype(np.float32)
bm = rng.standard_normal((2, 4, 5)).astype(np.float32)
for eq, ins, out in [
        ("bij,bjk->bik", [a, bm], [2, 3, 5]),
        ("bhid,bhjd->bhij", [rng.standard_normal((2, 2, 3, 4)).astype(np.float32),
                             rng.standard_normal((2, 2, 5, 4)).astype(np.float32)], [2, 2, 3, 5]),
        ("ij->ji", [a[0]], [4, 3]),
        ("ii->i", [a[0, :3, :3].copy()], [3]),
        ("...ij,...jk", [a, bm], [2, 3, 5]),
        ("i,j->ij", [a[0, 0], a[1, 1]], [4, 4]),
        ("bij->", [a], []),
        ("abc,cd,de->abe", [a, bm[0], rng.standard_normal((5, 2)).astype(np.float32)],
         [2, 3, 2])]:
    names = [f"x{k}" for k in range(len(ins))]
    check(f"Einsum {eq}", [helper.make_node("Einsum", names, ["y"], equation=eq)],
          [tensor_info(n, list(v.shape)) for n, v in zip(names, ins)],
          [tensor_info("y", out)], opset=12, feeds=dict(zip(names, ins)))

# NonZero folds when its input is a constant.
check("NonZero constant",
      [helper.make_node("NonZero", ["c"], ["nz"]),
       helper.make_node("Cast", ["nz"], ["f"], to=TensorProto.FLOAT),
       helper.make_node("Add", ["x", "f"], ["y"])],
      [tensor_info("x", [2, 4])], [tensor_info("y", [2, 4])],
      {"c": np.array([[0, 1], [2, 0], [3, 4]], np.float32)})

res.finish()
