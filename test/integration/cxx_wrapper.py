# RUN: %python %s | FileCheck %s
# The generated header's C++ wrapper (RAII, typed run, spans in C++20)
# against a model.so, with and without --symbol-prefix; and what a model.so
# exports (nm -D): the runtime API and nothing else.
# CHECK: PASS model.so exports only the API
# CHECK: PASS prefixed model.so exports only the prefixed API
# CHECK: PASS C++17 typed run
# CHECK: PASS C++20 span run
# CHECK: PASS C++20 span run, prefixed
import tempfile

from harness import *

CXX_MAIN = r"""
#include "%(header)s"
#include <cstdio>
#include <fstream>
#include <vector>

int main(int, char **argv) {
  %(ns)s::Model model;  // throws on failure
  std::vector<float> x(%(macro)s_INPUT_0_NUM_ELEMENTS);
  std::vector<float> y(%(macro)s_OUTPUT_0_NUM_ELEMENTS);
  std::ifstream(argv[1], std::ios::binary)
      .read(reinterpret_cast<char *>(x.data()), x.size() * sizeof(float));
#if __cplusplus >= 202002L
  if (model.run(std::span<const float>(x), std::span<float>(y)) != GCOMP_OK)
    return std::printf("run: %%s\n", model.last_error()), 1;
  // A span one element short is refused, with a message.
  std::span<float> shorter(y.data(), y.size() - 1);
  if (model.run(std::span<const float>(x), shorter) !=
          GCOMP_ERR_BUFFER_TOO_SMALL ||
      !*model.last_error())
    return std::printf("short span accepted\n"), 1;
  std::printf("refused: %%s\n", model.last_error());
#else
  if (model.run(x.data(), y.data()) != GCOMP_OK)
    return std::printf("run: %%s\n", model.last_error()), 1;
#endif
  %(ns)s::Model moved = std::move(model);
  if (model || !moved)
    return std::printf("move\n"), 1;
  std::printf("%%s\n", moved.signature_json());
  std::ofstream(argv[2], std::ios::binary)
      .write(reinterpret_cast<const char *>(y.data()), y.size() * sizeof(float));
  return 0;
}
"""

with tempfile.TemporaryDirectory() as d:
    model = mlp_model()
    onnx.save(model, f"{d}/mlp.onnx")
    x = np.random.default_rng(5).standard_normal((4, 8)).astype(np.float32)
    x.tofile(f"{d}/x.bin")
    (expected,) = onnxruntime_outputs(model, {"x": x})

    for name, prefix in [("mlp", ""), ("det", "det_")]:
        argv = [GCOMP, f"{d}/mlp.onnx", "-o", f"{d}/lib{name}.so",
                "--emit-header", f"{d}/{name}.h"]
        if prefix:
            argv += ["--symbol-prefix", prefix]
        check(argv)
        out = check([tool("llvm-nm"), "-D", "--defined-only",
                     f"{d}/lib{name}.so"]).stdout
        names = [l.split()[-1] for l in out.splitlines()]
        bad = [n for n in names if not n.startswith(prefix + "gcomp_")]
        assert not bad and f"{prefix}gcomp_model_run" in names, names
        print(f"PASS {'prefixed ' if prefix else ''}model.so exports only "
              f"the {'prefixed ' if prefix else ''}API")

    for std, name, label in [("c++17", "mlp", "C++17 typed run"),
                             ("c++20", "mlp", "C++20 span run"),
                             ("c++20", "det", "C++20 span run, prefixed")]:
        src = f"{d}/main_{std}_{name}.cpp"
        with open(src, "w") as f:
            f.write(CXX_MAIN % {"header": f"{name}.h", "ns": name,
                                "macro": name.upper()})
        exe = f"{d}/app_{std}_{name}"
        check([tool("clang++"), f"-std={std}", "-Wall", "-Wextra", "-Werror",
               src, f"-L{d}", f"-l{name}", f"-Wl,-rpath,{d}", "-o", exe])
        r = check([exe, f"{d}/x.bin", f"{d}/y.bin"])
        assert '"inputs":[{"name":"x"' in r.stdout, r.stdout
        if std == "c++20":
            assert "refused:" in r.stdout, r.stdout
        compare(label, np.fromfile(f"{d}/y.bin", np.float32), expected)
