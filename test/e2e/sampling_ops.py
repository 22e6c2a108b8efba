# RUN: %python %s | FileCheck %s
# The ops that sample at positions from the data, against onnxruntime.
# GridSample: every mode, padding mode and align_corners, on grids that
# reach past the borders (so that each padding rule is used), a grid
# coordinate exactly on a pixel and half-way between two (nearest rounds
# half to even), volumetric inputs, and at -O0. RoiAlign: avg and max,
# both coordinate modes, fixed and adaptive sampling, regions partly or
# wholly outside the map, a spatial scale. Col2Im (its positions follow
# from the attributes): strides, dilations and pads, overlapping blocks.
# CHECK: PASS GridSample nearest border align 0
# CHECK: PASS GridSample linear zeros align 0
# CHECK: PASS GridSample cubic reflection align 1
# CHECK: PASS GridSample on exact and half-way coordinates
# CHECK: PASS GridSample volumetric linear
# CHECK: PASS RoiAlign avg half_pixel sampling 0
# CHECK: PASS RoiAlign max output_half_pixel sampling 2
# CHECK: PASS Col2Im strides 2, 1 dilations 1, 2 pads 1, 0, 2, 1
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
from gcomp_testing import *

rng = np.random.default_rng(5)
res = Results()
x = rng.standard_normal((2, 3, 5, 7)).astype(np.float32)
grid = (rng.random((2, 4, 6, 2)).astype(np.float32) * 2.6 - 1.3)
for mode in ("nearest", "linear", "cubic"):
    for padding in ("zeros", "border", "reflection"):
        for align in (0, 1):
            model = make_model(
                [helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode,
                                  padding_mode=padding, align_corners=align)],
                [tensor_info("x", [2, 3, 5, 7]), tensor_info("g", [2, 4, 6, 2])],
                [tensor_info("y", [2, 3, 4, 6])], opset=20)
            label = f"GridSample {mode} {padding} align {align}"
            res.check(label, check_against_onnxruntime, model, label,
                      feeds={"x": x, "g": grid})

# Coordinates on pixel centers and half-way between them, for align 0:
# x = ((g + 1) * W - 1) / 2, so g = (2x + 1) / W - 1.
w = 7
xs = np.array([0, 0.5, 1.5, 2, 2.5, 6, 6.5], np.float32)
g = np.zeros((2, 4, 6, 2), np.float32)
g[..., 0] = ((2 * xs[rng.integers(0, 7, (2, 4, 6))] + 1) / w - 1)
g[..., 1] = ((2 * xs[rng.integers(0, 5, (2, 4, 6))] + 1) / 5 - 1)
model = make_model(
    [helper.make_node("GridSample", ["x", "g"], ["y"], mode="nearest")],
    [tensor_info("x", [2, 3, 5, 7]), tensor_info("g", [2, 4, 6, 2])],
    [tensor_info("y", [2, 3, 4, 6])], opset=20)
res.check("exact", check_against_onnxruntime, model,
          "GridSample on exact and half-way coordinates", feeds={"x": x, "g": g},
          gcomp_flags=("-O0",))
# Volumetric (5-D) input, linear and nearest, as onnxruntime supports them.
x5 = rng.standard_normal((1, 2, 3, 4, 5)).astype(np.float32)
g5 = rng.random((1, 2, 3, 4, 3)).astype(np.float32) * 2.4 - 1.2
for mode in ("linear", "nearest"):
    model = make_model(
        [helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode,
                          padding_mode="border")],
        [tensor_info("x", [1, 2, 3, 4, 5]), tensor_info("g", [1, 2, 3, 4, 3])],
        [tensor_info("y", [1, 2, 2, 3, 4])], opset=20)
    label = f"GridSample volumetric {mode}"
    res.check(label, check_against_onnxruntime, model, label,
              feeds={"x": x5, "g": g5})

fmap = rng.standard_normal((2, 3, 10, 12)).astype(np.float32)
corner = rng.random((6, 2)).astype(np.float32) * 40 - 4
rois = np.concatenate([corner, corner + rng.random((6, 2)).astype(np.float32) * 30],
                      axis=1)
rois[5] = [60, 50, 70, 65]  # wholly outside the map
batch = np.array([0, 1, 1, 0, 1, 0], np.int64)
for mode in ("avg", "max"):
    for transform in ("half_pixel", "output_half_pixel"):
        for ratio in (0, 2):
            model = make_model(
                [helper.make_node("RoiAlign", ["x", "rois", "b"], ["y"], mode=mode,
                                  coordinate_transformation_mode=transform,
                                  output_height=3, output_width=4,
                                  sampling_ratio=ratio, spatial_scale=0.25)],
                [tensor_info("x", [2, 3, 10, 12]), tensor_info("rois", [6, 4]),
                 tensor_info("b", [6], TensorProto.INT64)],
                [tensor_info("y", [6, 3, 3, 4])], opset=16)
            label = f"RoiAlign {mode} {transform} sampling {ratio}"
            res.check(label, check_against_onnxruntime, model, label,
                      feeds={"x": fmap, "rois": rois, "b": batch})

# Col2Im of 2 x 3 channels of 2 x 3 blocks over a 7 x 6 image.
for strides, dilations, pads in (((1, 1), (1, 1), (0, 0, 0, 0)),
                                 ((2, 1), (1, 2), (1, 0, 2, 1))):
    blocks = [(7 + pads[0] + pads[2] - dilations[0] * 1 - 1) // strides[0] + 1,
              (6 + pads[1] + pads[3] - dilations[1] * 2 - 1) // strides[1] + 1]
    cols = rng.standard_normal((2, 3 * 6, blocks[0] * blocks[1])).astype(np.float32)
    model = make_model(
        [helper.make_node("Col2Im", ["x", "image", "block"], ["y"],
                          strides=list(strides), dilations=list(dilations),
                          pads=list(pads))],
        [tensor_info("x", list(cols.shape))], [tensor_info("y", [2, 3, 7, 6])],
        {"image": np.array([7, 6], np.int64), "block": np.array([2, 3], np.int64)},
        opset=18)
    label = (f"Col2Im strides {', '.join(map(str, strides))} dilations "
             f"{', '.join(map(str, dilations))} pads {', '.join(map(str, pads))}")
    res.check(label, check_against_onnxruntime, model, label, feeds={"x": cols})
res.finish()
