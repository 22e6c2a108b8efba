#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for gcomp and builds it; idempotent and
# quiet when there is nothing to do.
#   tools/bootstrap.sh example   set up, build, compile and run the example
#   tools/bootstrap.sh test      set up, build, run every test
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-example}
BUILD=${GCOMP_BUILD_DIR:-build}

log() { echo "[bootstrap] $*" >&2; }

# --- Debian packages -------------------------------------------------------
pkgs=(llvm-22-dev libmlir-22-dev mlir-22-tools clang-22 lld-22 liblld-22-dev
      libclang-rt-22-dev valgrind
      libonnx-dev libprotobuf-dev protobuf-compiler libcli11-dev libgtest-dev
      cmake ninja-build python3-venv python3-pip binutils
      python3-torch python3-torchvision
      qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Test-side Python (onnx, onnxruntime, numpy<2) --------------------------
# Debian's python3 with --system-site-packages, so Debian's torch is visible
# to tests that export real architectures.
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
if ! .venv/bin/python -c "import onnx, onnxruntime, numpy, pytest" 2>/dev/null; then
  log "installing Python test dependencies"
  .venv/bin/pip install -q --disable-pip-version-check -r tools/requirements.txt
fi

# --- Build -----------------------------------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
  log "configuring $BUILD"
  cmake -G Ninja -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
    -DLLVM_USE_LINKER=lld ${CI:+-DGCOMP_WERROR=ON} >/dev/null
fi
# Quiet unless something fails.
if ! out=$(ninja -C "$BUILD" all gcomp-runtime-tests 2>&1); then
  echo "$out" | grep -v '^\[' >&2
  log "build failed"
  exit 1
fi

case "$what" in
  example)
    ex="$BUILD/example"
    .venv/bin/python docs/examples/make_mlp.py "$ex"
    "$BUILD/bin/gcomp" "$ex/mlp.onnx" -o "$ex/mlp.so" --emit-header "$ex/mlp.h"
    "$BUILD/bin/gcomp-run" "$ex/mlp.so" --input "x=$ex/x.npy"
    "$BUILD/bin/gcomp-run" "$ex/mlp.so" --input "x=$ex/x.npy" --bench 200
    ;;
  test)
    # lit runs every suite: lit/FileCheck, runtime unit tests, end-to-end
    # numerics against onnxruntime. Then the compiler and its tools built
    # with ASan and UBSan (build-asan/) run the suites that exercise them,
    # and each fuzz target gets a short run (docs/reliability.md); set
    # GCOMP_SKIP_SANITIZED=1 to leave that part out. The last line is
    # "N passed, N failed" over both.
    set +e
    /usr/lib/llvm-22/bin/lit -sv -j "$(nproc)" "$BUILD/test" 2>&1 | tee "$BUILD/lit.log"
    rc=${PIPESTATUS[0]}
    logs=("$BUILD/lit.log")
    if [ -z "${GCOMP_SKIP_SANITIZED:-}" ]; then
      SAN=${GCOMP_SANITIZED_BUILD_DIR:-$BUILD-asan}
      log "building the sanitized compiler and fuzz targets in $SAN"
      if [ ! -f "$SAN/build.ninja" ]; then
        cmake -G Ninja -S . -B "$SAN" -DCMAKE_BUILD_TYPE=Release \
          -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
          -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
          -DLLVM_USE_LINKER=lld -DGCOMP_SANITIZE=ON >/dev/null
      fi
      if out=$(ninja -C "$SAN" gcomp gcomp-opt gcomp-run gcomp_runtime \
                 gcomp-fuzz-import gcomp-fuzz-onnxtext gcomp-fuzz-runtime 2>&1); then
        # The suites that drive the compiler and gcomp-run (the runtime's
        # own sanitized tests ran above): docs/reliability.md.
        suites=(Import Dialect Transforms Conversion tools fuzz
                integration/determinism.py integration/reproducible.py
                e2e/ops.py e2e/control_flow.py e2e/attention.py
                e2e/fused_conv.py e2e/multi_io.py e2e/fold_constants.py)
        /usr/lib/llvm-22/bin/lit -sv -j "$(nproc)" "${suites[@]/#/$SAN/test/}" 2>&1 | tee "$SAN/lit.log"
        [ "${PIPESTATUS[0]}" = 0 ] || rc=1
        logs+=("$SAN/lit.log")
      else
        echo "$out" | grep -v '^\[' >&2
        log "sanitized build failed"
        rc=1
      fi
    fi
    set -e
    passed=$(sed -n 's/^ *Passed *: *\([0-9]*\).*/\1/p' "${logs[@]}" | awk '{s+=$1} END {print s+0}')
    failed=$(sed -n 's/^ *\(Failed\|Unresolved\|Timed Out\) *: *\([0-9]*\).*/\2/p' "${logs[@]}" | awk '{s+=$1} END {print s+0}')
    echo "${passed:-0} passed, ${failed:-0} failed"
    exit "$rc"
    ;;
  *) echo "usage: $0 example|test" >&2; exit 2 ;;
esac
