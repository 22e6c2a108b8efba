# RUN: %python %s | FileCheck %s
# Softmax as the runtime's row kernel (gcomp-softmax-kernels): attention
# scores scaled by 1/sqrt(d) with a causal -inf mask, a Mul scale, rows of
# odd lengths, a large tensor (the thread pool), and axes the kernel does
# not take (left to linalg), each at -O2 and -O0, against onnxruntime.
# CHECK-NOT: FAIL
# CHECK: [[N:[0-9]+]] of [[N]] checks passed
import numpy as np
from gcomp_testing import *

res = Results()
rng = np.random.default_rng(9)


def check(label, nodes, shape, inits=None, axis_out=None, feeds=None):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    model = make_model(nodes, [tensor_info("x", list(shape))],
                       [tensor_info("y", list(shape))], inits or {})
    for flags in ((), ("-O0",)):
        res.check(f"{label} {' '.join(flags)}".strip(), check_against_onnxruntime,
                  model, label, feeds={"x": x}, gcomp_flags=flags)


mask = np.triu(np.full((16, 16), -np.inf, np.float32), 1)
check("scaled masked attention scores",
      [helper.make_node("Div", ["x", "d"], ["s"]),
       helper.make_node("Add", ["s", "mask"], ["m"]),
       helper.make_node("Softmax", ["m"], ["y"], axis=-1)],
      (2, 4, 16, 16), {"d": np.array(8.0, np.float32), "mask": mask})
check("mul scale then softmax",
      [helper.make_node("Mul", ["k", "x"], ["s"]),
       helper.make_node("Softmax", ["s"], ["y"], axis=1)],
      (5, 37), {"k": np.array([0.3], np.float32)})
check("divide right before the softmax",
      [helper.make_node("Div", ["x", "d"], ["s"]),
       helper.make_node("Softmax", ["s"], ["y"], axis=-1)],
      (3, 4, 128, 128), {"d": np.array(8.0, np.float32)})
check("odd row length", [helper.make_node("Softmax", ["x"], ["y"], axis=-1)],
      (7, 3, 1001))
check("inner axis (linalg)", [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
      (2, 6, 5))
res.finish()
