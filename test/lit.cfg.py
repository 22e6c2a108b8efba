# -*- Python -*- lit configuration for gcomp.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "gcomp"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtext", ".test", ".py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.gcomp_obj_root, "test")
# Helpers imported by the end-to-end tests are not tests themselves.
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt",
                   "gcomp_testing.py", "run_backend_tests.py",
                   "gen_operators_md.py", "zoo.py", "genai_decoder_model.py",
                   "harness.py", "__pycache__",
                   "make_bundle.py", "run_bundle.py", "make_corpus.py",
                   "corpus", "regressions",
                   "Inputs", "cmake_consumer"]

config.environment["FILECHECK_OPTS"] = "-enable-var-scope"
config.environment["PYTHONPATH"] = os.path.join(config.test_source_root, "e2e")
config.environment["GCOMP_BIN"] = config.gcomp_tools_dir
config.environment["GCOMP_OBJ_ROOT"] = config.gcomp_obj_root
# onnxruntime and our models use several threads; keep runs comparable.
config.environment["OMP_NUM_THREADS"] = "1"

llvm_config.with_system_environment(["HOME", "TMPDIR"])

# The runtime's tests built with ASan and UBSan, where the toolchain has
# the sanitizer runtimes (runtime/CMakeLists.txt).
if os.path.exists(os.path.join(config.gcomp_tools_dir,
                               "gcomp-runtime-tests-sanitized")):
    config.available_features.add("sanitizers")
if os.path.exists(os.path.join(config.gcomp_tools_dir,
                               "gcomp-runtime-tests-tsan")):
    config.available_features.add("tsan")

# A GCOMP_SANITIZE build: the compiler and its tools run under ASan and
# UBSan (any report fails the test), and the fuzz targets exist.
if os.path.exists(os.path.join(config.gcomp_tools_dir, "gcomp-fuzz-import")):
    config.available_features.add("fuzzer")
    config.available_features.add("asan-build")
    config.environment["GCOMP_SANITIZED"] = "1"
    config.environment["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    config.environment["LSAN_OPTIONS"] = "suppressions=" + os.path.join(
        config.test_source_root, "fuzz", "lsan.supp")
# Seconds per fuzz target in test/fuzz (lit --param fuzz_seconds=N).
config.substitutions.append(
    ("%fuzz_seconds", lit_config.params.get("fuzz_seconds", "60")))

# test/integration/large_model.py compiles a 2.4 GB model: about 10 GB of
# memory and 8 GB of disk.
import shutil
try:
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    if (mem_kb >= 16 * 2**20 and
            shutil.disk_usage(os.environ.get("TMPDIR", "/tmp")).free >= 10**10):
        config.available_features.add("large-memory")
except (OSError, ValueError, IndexError):
    pass

# The model zoo needs Debian's PyTorch in the test Python.
import subprocess
if subprocess.run([config.python_executable, "-c", "import torch, torchvision"],
                  capture_output=True).returncode == 0:
    config.available_features.add("torch")
# The CUDA target: ptxas checks the PTX (CUDA toolkit, no GPU needed); a GPU
# with its driver runs the libraries (test/gpu). Without them those tests
# are reported UNSUPPORTED.
import shutil
ptxas = shutil.which("ptxas") or (
    "/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas")
    else None)
if ptxas:
    config.available_features.add("ptxas")
    config.environment["PTXAS"] = ptxas
    config.substitutions.append(("%ptxas", ptxas))
if os.path.exists("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"):
    config.available_features.add("libdevice")
import ctypes
try:
    ctypes.CDLL("libcuda.so.1")
    if subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0:
        config.available_features.add("cuda-gpu")
except OSError:
    pass
llvm_config.use_default_substitutions()
# Ahead of lit's own %python: the tests need the venv with onnxruntime.
config.substitutions.insert(0, ("%python", config.python_executable))
config.substitutions.append(("%gcomp_src", config.gcomp_src_root))
# The tools are found through PATH rather than word substitutions, which
# would also rewrite "gcomp" inside arguments such as --emit=gcomp.
llvm_config.with_environment("PATH", config.gcomp_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
