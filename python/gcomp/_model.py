"""ctypes bindings of gcomp/runtime.h and the numpy-facing Model."""
import ctypes
import os
import threading
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np

# runtime.h: gcomp_status.
_STATUS_NAMES = {
    0: "GCOMP_OK",
    1: "GCOMP_ERR_INVALID_ARGUMENT",
    2: "GCOMP_ERR_DTYPE_MISMATCH",
    3: "GCOMP_ERR_SHAPE_MISMATCH",
    4: "GCOMP_ERR_BUFFER_TOO_SMALL",
    5: "GCOMP_ERR_OUT_OF_MEMORY",
    6: "GCOMP_ERR_UNSUPPORTED_CPU",
    7: "GCOMP_ERR_INTERNAL",
    8: "GCOMP_ERR_DEVICE",
    9: "GCOMP_ERR_BUSY",
}

# runtime.h: gcomp_dtype (ONNX TensorProto.DataType numbers) <-> numpy.
_DTYPES = {
    1: np.dtype(np.float32), 2: np.dtype(np.uint8), 3: np.dtype(np.int8),
    4: np.dtype(np.uint16), 5: np.dtype(np.int16), 6: np.dtype(np.int32),
    7: np.dtype(np.int64), 9: np.dtype(np.bool_), 10: np.dtype(np.float16),
    11: np.dtype(np.float64), 12: np.dtype(np.uint32),
    13: np.dtype(np.uint64),
}
try:  # bfloat16 arrays, where the ml_dtypes package is installed
    import ml_dtypes
    _DTYPES[16] = np.dtype(ml_dtypes.bfloat16)
except ImportError:
    pass
_CODES = {v: k for k, v in _DTYPES.items()}


class GcompError(RuntimeError):
    """A call into the model library failed. `status` is the runtime's
    gcomp_status code and `status_name` its name; str() is the runtime's
    message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.status_name = _STATUS_NAMES.get(status, f"status {status}")


class TensorInfo(NamedTuple):
    """A declared input or output. -1 in `shape` marks a dynamic dim."""
    name: str
    dtype: np.dtype
    shape: Tuple[int, ...]


class _TensorInfoC(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32),
                ("rank", ctypes.c_int32),
                ("dims", ctypes.POINTER(ctypes.c_int64))]


class _TensorC(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("size_bytes", ctypes.c_size_t),
                ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("dims", ctypes.POINTER(ctypes.c_int64))]


def _bind(lib, prefix: str):
    """The runtime API of `lib`, each function typed, as a dict by the
    unprefixed name."""
    P, I64 = ctypes.c_void_p, ctypes.c_int64
    S, SZ = ctypes.c_int, ctypes.c_size_t
    signatures = {
        "gcomp_version": (ctypes.c_char_p, []),
        "gcomp_abi_version": (ctypes.c_uint32, []),
        "gcomp_last_error": (ctypes.c_char_p, []),
        "gcomp_model_create": (S, [ctypes.POINTER(P)]),
        "gcomp_model_destroy": (None, [P]),
        "gcomp_model_num_inputs": (SZ, [P]),
        "gcomp_model_num_outputs": (SZ, [P]),
        "gcomp_model_input_info": (S, [P, SZ, ctypes.POINTER(_TensorInfoC)]),
        "gcomp_model_output_info": (S, [P, SZ, ctypes.POINTER(_TensorInfoC)]),
        "gcomp_model_signature_json": (ctypes.c_char_p, [P]),
        "gcomp_model_run": (S, [P, ctypes.POINTER(_TensorC), SZ,
                                ctypes.POINTER(_TensorC), SZ]),
        "gcomp_model_run_alloc": (S, [P, ctypes.POINTER(_TensorC), SZ,
                                      ctypes.POINTER(ctypes.POINTER(_TensorC)),
                                      ctypes.POINTER(SZ)]),
        "gcomp_model_last_error": (ctypes.c_char_p, [P]),
        "gcomp_model_input_index": (I64, [P, ctypes.c_char_p]),
    }
    api = {}
    for name, (restype, argtypes) in signatures.items():
        try:
            fn = getattr(lib, prefix + name)
        except AttributeError:
            raise GcompError(
                1, f"the library does not export {prefix + name}: not a "
                "gcomp model" + (", or not built with --symbol-prefix "
                                 f"{prefix}" if prefix else
                                 " (or built with --symbol-prefix: pass "
                                 "symbol_prefix=)")) from None
        fn.restype, fn.argtypes = restype, argtypes
        api[name] = fn
    return api


class Model:
    """One instance of a compiled model (gcomp_model_create). Runs are
    serialized per instance; create several instances to run in parallel
    threads (ctypes releases the GIL during a run)."""

    def __init__(self, path: str, symbol_prefix: str = ""):
        self.path = os.fspath(path)
        # RTLD_LOCAL: two models loaded in one process never share symbols.
        # A file that exists is opened by its absolute path (dlopen would
        # not look in the working directory); a bare name goes through the
        # loader's search path.
        where = (os.path.abspath(self.path) if os.path.exists(self.path)
                 else self.path)
        self._lib = ctypes.CDLL(where, mode=ctypes.RTLD_LOCAL)
        self._api = _bind(self._lib, symbol_prefix)
        self._lock = threading.Lock()
        handle = ctypes.c_void_p()
        status = self._api["gcomp_model_create"](ctypes.byref(handle))
        if status != 0:
            raise GcompError(status,
                             self._api["gcomp_last_error"]().decode())
        self._handle = handle
        # "cpu", or "cuda" for a model compiled with --target=cuda (older
        # libraries lack the function: they are CPU models).
        target = getattr(self._lib, symbol_prefix + "gcomp_model_target",
                         None)
        self.target = "cpu"
        if target is not None:
            target.restype, target.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
            self.target = target(handle).decode()
        self.inputs = self._infos("gcomp_model_num_inputs",
                                  "gcomp_model_input_info")
        self.outputs = self._infos("gcomp_model_num_outputs",
                                   "gcomp_model_output_info")

    # -- signature -------------------------------------------------------
    def _infos(self, count_fn: str, info_fn: str) -> List[TensorInfo]:
        out = []
        for i in range(self._api[count_fn](self._handle)):
            info = _TensorInfoC()
            self._check(self._api[info_fn](self._handle, i,
                                           ctypes.byref(info)))
            if info.dtype not in _DTYPES:
                raise GcompError(2, f"'{info.name.decode()}' has element "
                                 f"type {info.dtype}, which numpy cannot "
                                 "hold")
            out.append(TensorInfo(info.name.decode(), _DTYPES[info.dtype],
                                  tuple(info.dims[d]
                                        for d in range(info.rank))))
        return out

    @property
    def signature(self) -> str:
        """The signature as the runtime's JSON string."""
        return self._api["gcomp_model_signature_json"](self._handle).decode()

    @property
    def version(self) -> str:
        """The gcomp version that compiled the library."""
        return self._api["gcomp_version"]().decode()

    # -- running ---------------------------------------------------------
    def run(self, *args: np.ndarray, **kwargs: np.ndarray
            ) -> Dict[str, np.ndarray]:
        """Runs the model. Inputs by position, by name (keyword or one
        dict), or both; returns {output name: array}. Arrays must have the
        model's dtype; they need not be contiguous (copied if not)."""
        feeds = {}
        if len(args) == 1 and isinstance(args[0], dict):
            feeds.update(args[0])
            args = ()
        if len(args) > len(self.inputs):
            raise TypeError(f"the model has {len(self.inputs)} inputs, got "
                            f"{len(args)} positional arrays")
        for info, value in zip(self.inputs, args):
            feeds[info.name] = value
        for name, value in kwargs.items():
            if name in feeds:
                raise TypeError(f"input '{name}' given twice")
            feeds[name] = value
        known = {i.name for i in self.inputs}
        unknown = sorted(set(feeds) - known)
        if unknown:
            raise TypeError(f"unknown input(s) {unknown}; the model's inputs "
                            f"are {[i.name for i in self.inputs]}")
        missing = [i.name for i in self.inputs if i.name not in feeds]
        if missing:
            raise TypeError(f"missing input(s) {missing}")

        keep = []  # arrays and dims that must outlive the call
        ins = (_TensorC * max(1, len(self.inputs)))()
        for k, info in enumerate(self.inputs):
            # Not ascontiguousarray: it makes a 0-d array 1-d.
            a = np.asarray(feeds[info.name], order="C")
            if a.dtype not in _CODES:
                raise TypeError(f"input '{info.name}': numpy dtype {a.dtype} "
                                "has no gcomp element type")
            ins[k] = self._tensor(a, keep)
        if any(d < 0 for info in self.outputs for d in info.shape):
            return self._run_alloc(ins)
        outs_np = [np.empty(info.shape, dtype=info.dtype)
                   for info in self.outputs]
        outs = (_TensorC * max(1, len(self.outputs)))()
        for k, a in enumerate(outs_np):
            outs[k] = self._tensor(a, keep)
        with self._lock:
            if self._handle is None:
                raise GcompError(1, "the model was closed")
            self._check(self._api["gcomp_model_run"](
                self._handle, ins, len(self.inputs), outs,
                len(self.outputs)))
        return {info.name: a for info, a in zip(self.outputs, outs_np)}

    __call__ = run

    def _run_alloc(self, ins) -> Dict[str, np.ndarray]:
        """A run whose output shapes depend on the input shapes (a library
        of variants, gcomp --specialize): the instance sizes its own output
        buffers, and the outputs are copied out of them."""
        owned = ctypes.POINTER(_TensorC)()
        count = ctypes.c_size_t()
        with self._lock:
            if self._handle is None:
                raise GcompError(1, "the model was closed")
            self._check(self._api["gcomp_model_run_alloc"](
                self._handle, ins, len(self.inputs), ctypes.byref(owned),
                ctypes.byref(count)))
            result = {}
            for k, info in enumerate(self.outputs):
                t = owned[k]
                shape = tuple(t.dims[d] for d in range(t.rank))
                data = (ctypes.c_char * t.size_bytes).from_address(t.data)
                result[info.name] = np.frombuffer(
                    data, dtype=info.dtype).reshape(shape).copy()
        return result

    @staticmethod
    def _tensor(a: np.ndarray, keep: list) -> _TensorC:
        dims = (ctypes.c_int64 * max(1, a.ndim))(*a.shape)
        keep += [a, dims]
        return _TensorC(a.ctypes.data, a.nbytes, _CODES[a.dtype], a.ndim,
                        dims)

    def _check(self, status: int):
        if status != 0:
            raise GcompError(status, self._api["gcomp_model_last_error"](
                self._handle).decode())

    # -- lifetime --------------------------------------------------------
    def close(self):
        """Destroys the instance (also done when it is garbage-collected)."""
        with self._lock:
            if getattr(self, "_handle", None) is not None:
                self._api["gcomp_model_destroy"](self._handle)
                self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self):
        return (f"gcomp.Model({self.path!r}, inputs={self.inputs}, "
                f"outputs={self.outputs})")


def load(path: str, symbol_prefix: str = "") -> Model:
    """Loads a model library (model.so) compiled by gcomp and creates one
    instance of it. Pass `symbol_prefix` for a library compiled with
    --symbol-prefix."""
    return Model(path, symbol_prefix)
