# RUN: %python %s | FileCheck %s
# onnxruntime's MatMulNBits (com.microsoft), the weight-only quantized
# product of large language models, against onnxruntime's own kernel at the
# fp32 tolerances: 4 and 8 bits; block sizes 16 to 128; K a multiple of the
# block size or not (the last block padded, its padding holding codes that
# must not count); no zero points (2^(bits-1)), packed uint8 ones, float
# ones; a bias; one row (decoding's matrix-vector product), a few rows (the
# register kernel, several rows per pass), and many (the dequantized-tile
# GEMM path), at 1 and 2 threads, at -O0, and with the runtime's portable
# kernels instead of its AVX-512 ones. accuracy_level=4 lets onnxruntime
# quantize A to int8; gcomp computes in f32 at every level, so that case is
# checked against onnxruntime's f32 result (accuracy_level=0). The errors:
# unsupported bits, a g_idx that reorders K, float16 A. Then opset 21's
# block-quantized DequantizeLinear of INT4, UINT4, INT8 and UINT8 weights
# feeding a MatMul: gcomp-quantized-products reads the codes as they are
# (the product must become gcomp.matmul_nbits, never a dequantized f32
# weight), checked against onnxruntime.
# CHECK: PASS 4-bit bs32 decode
# CHECK: PASS 4-bit bs16 odd blocks packed zp
# CHECK: PASS 4-bit bs64 padded K float zp bias
# CHECK: PASS 8-bit bs32 packed zp
# CHECK: PASS 8-bit bs128 many rows bias
# CHECK: PASS 4-bit bs32 prefill
# CHECK: PASS 4-bit bs128 prefill zp
# CHECK: PASS 4-bit bs16 prefill odd blocks
# CHECK: PASS 4-bit bs64 prefill padded K
# CHECK: PASS kernels: {'nbits': 1}
# CHECK: PASS accuracy_level 4 in f32
# CHECK: PASS identity g_idx
# CHECK: PASS DequantizeLinear int4 blocks, no zero point
# CHECK: PASS DequantizeLinear uint4 blocks, zero points
# CHECK: PASS DequantizeLinear int8 blocks, zero points
# CHECK: PASS DequantizeLinear uint8 blocks of 16, K not a multiple
# CHECK: PASS error bits=2
# CHECK: PASS error g_idx
# CHECK: PASS error float16 A
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

MS = "com.microsoft"
rng = np.random.default_rng(11)


def nbits_model(a_shape, k, n, bits, block, zp=None, bias=False, g_idx=None,
                accuracy_level=None, a_type=TensorProto.FLOAT):
    """A MatMulNBits model with random codes and scales; `zp` is None,
    "packed" or "float"."""
    blocks = (k + block - 1) // block
    codes = rng.integers(0, 1 << bits, (n, blocks * block))
    if bits == 4:
        b = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)
    else:
        b = codes.astype(np.uint8)
    inits = {"B": b.reshape(n, blocks, block * bits // 8),
             # Weights of about 0.05, as in a language model.
             "scales": rng.uniform(0.002, 0.02, n * blocks).astype(np.float32)}
    inputs = ["a", "B", "scales"]
    if zp == "packed":
        zcodes = rng.integers(0, 1 << bits, (n, blocks))
        if bits == 4:
            if blocks % 2:
                zcodes = np.concatenate(
                    [zcodes, np.zeros((n, 1), zcodes.dtype)], axis=1)
            zcodes = zcodes[:, 0::2] | (zcodes[:, 1::2] << 4)
        inits["zp"] = zcodes.astype(np.uint8).reshape(-1)
        inputs.append("zp")
    elif zp == "float":
        inits["zp"] = rng.uniform(0, (1 << bits) - 1,
                                  n * blocks).astype(np.float32)
        inputs.append("zp")
    if g_idx is not None or bias:
        inputs += [""] * (4 - len(inputs))
    if g_idx is not None:
        inits["g_idx"] = g_idx.astype(np.int32)
        inputs.append("g_idx")
    if bias:
        inputs += [""] * (5 - len(inputs))
        inits["bias"] = rng.standard_normal(n).astype(np.float32)
        inputs.append("bias")
    attrs = dict(K=k, N=n, bits=bits, block_size=block)
    if accuracy_level is not None:
        attrs["accuracy_level"] = accuracy_level
    node = helper.make_node("MatMulNBits", inputs, ["y"], domain=MS, **attrs)
    graph = helper.make_graph(
        [node], "g", [tensor_info("a", a_shape, a_type)],
        [tensor_info("y", list(a_shape[:-1]) + [n], a_type)],
        [numpy_helper.from_array(v, name) for name, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[
        helper.make_opsetid("", 21), helper.make_opsetid(MS, 1)])
    model.ir_version = 10
    return model


cases = {
    "4-bit bs32 decode": nbits_model([1, 1, 1024], 1024, 520, 4, 32),
    "4-bit bs16 odd blocks packed zp": nbits_model([3, 80], 80, 40, 4, 16,
                                                   zp="packed"),
    "4-bit bs64 padded K float zp bias": nbits_model(
        [1, 5, 200], 200, 72, 4, 64, zp="float", bias=True),
    "8-bit bs32 packed zp": nbits_model([1, 128], 128, 48, 8, 32,
                                        zp="packed"),
    "8-bit bs128 many rows bias": nbits_model([17, 300], 300, 70, 8, 128,
                                              bias=True),
    "4-bit bs32 prefill": nbits_model([2, 32, 192], 192, 200, 4, 32),
    "4-bit bs128 prefill zp": nbits_model([64, 512], 512, 130, 4, 128,
                                          zp="packed"),
    "4-bit bs16 prefill odd blocks": nbits_model([9, 80], 80, 33, 4, 16,
                                                 zp="float"),
    "4-bit bs64 prefill padded K": nbits_model([9, 200], 200, 18, 4, 64),
}


def check_portable(model, label):
    """The kernels without vector code (GCOMP_MAX_CPU_ISA=portable)."""
    os.environ["GCOMP_MAX_CPU_ISA"] = "portable"
    try:
        check_against_onnxruntime(model, label)
    finally:
        del os.environ["GCOMP_MAX_CPU_ISA"]


res = Results()
for label, model in cases.items():
    for flags in ((), ("--threads=2",), ("-O0",)):
        res.check(f"{label} {flags}", check_against_onnxruntime, model,
                  label, gcomp_flags=flags)
    res.check(f"{label} portable", check_portable, model, label)


def check_accuracy_level():
    model = nbits_model([4, 256], 256, 64, 4, 32, accuracy_level=4)
    reference = onnx.ModelProto()
    reference.CopyFrom(model)
    for a in reference.graph.node[0].attribute:
        if a.name == "accuracy_level":
            a.i = 0
    feeds = random_inputs(model)
    sess = ort.InferenceSession(reference.SerializeToString(),
                                providers=["CPUExecutionProvider"])
    check_expected(model, "accuracy_level 4 in f32", feeds,
                   {"y": sess.run(None, feeds)[0]})


# One runtime kernel per product (profiled and counted by --stats as
# "nbits"), nothing else.
bias_model = cases["8-bit bs128 many rows bias"]
check_kernels_and_numbers(res, "kernels", bias_model, random_inputs(bias_model),
                          {"nbits": 1})
res.check("accuracy_level 4", check_accuracy_level)
res.check("identity g_idx", check_against_onnxruntime,
          nbits_model([2, 64], 64, 16, 4, 32,
                      g_idx=np.arange(64) // 32), "identity g_idx")


def dq_matmul_model(rows, k, n, block, wtype, with_zp):
    """MatMul(a, DequantizeLinear(w [k, n], scale [k / block, n], zp?),
    blocked along K (axis 0)."""
    np_type = helper.tensor_dtype_to_np_dtype(wtype)
    lo, hi = {TensorProto.INT4: (-8, 7), TensorProto.UINT4: (0, 15),
              TensorProto.INT8: (-128, 127), TensorProto.UINT8: (0, 255)}[wtype]
    blocks = (k + block - 1) // block
    w = rng.integers(lo, hi + 1, (k, n)).astype(np_type)
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(
                 rng.uniform(0.002, 0.02, (blocks, n)).astype(np.float32), "s")]
    inputs = ["w", "s"]
    if with_zp:
        inits.append(numpy_helper.from_array(
            rng.integers(lo, hi + 1, (blocks, n)).astype(np_type), "z"))
        inputs.append("z")
    nodes = [helper.make_node("DequantizeLinear", inputs, ["wf"], axis=0,
                              block_size=block),
             helper.make_node("MatMul", ["a", "wf"], ["y"])]
    graph = helper.make_graph(nodes, "g", [tensor_info("a", [rows, k])],
                              [tensor_info("y", [rows, n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


for label, args in {
        "DequantizeLinear int4 blocks, no zero point":
            (3, 128, 40, 32, TensorProto.INT4, False),
        "DequantizeLinear uint4 blocks, zero points":
            (1, 256, 64, 64, TensorProto.UINT4, True),
        "DequantizeLinear int8 blocks, zero points":
            (9, 128, 24, 32, TensorProto.INT8, True),
        "DequantizeLinear uint8 blocks of 16, K not a multiple":
            (2, 72, 20, 16, TensorProto.UINT8, False)}.items():
    res.check(label, check_weight_only_product, label, dq_matmul_model(*args))


def check_error(label, model, needle):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        check_compile_error(label, path, needle)


bad_bits = nbits_model([1, 64], 64, 16, 4, 32)
for a in bad_bits.graph.node[0].attribute:
    if a.name == "bits":
        a.i = 2
res.check("error bits=2", check_error, "error bits=2", bad_bits,
          "bits=2 is not supported (4 and 8 are)")
res.check("error g_idx", check_error, "error g_idx",
          nbits_model([1, 64], 64, 16, 4, 32,
                      g_idx=np.arange(64)[::-1] // 32),
          "g_idx (a reordering of K) is not supported")
res.check("error float16 A", check_error, "error float16 A",
          nbits_model([1, 64], 64, 16, 4, 32, a_type=TensorProto.FLOAT16),
          "float16 and bfloat16 are not supported yet")
res.finish()
