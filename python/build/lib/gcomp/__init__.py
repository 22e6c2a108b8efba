"""Load and run models compiled by gcomp.

    import gcomp
    m = gcomp.load("model.so")
    print(m.inputs, m.outputs)
    outs = m.run(x=x)          # {output name: numpy array}

Pure Python over the C ABI of gcomp/runtime.h (ctypes); needs only numpy.
"""
from ._model import GcompError, Model, TensorInfo, load

__all__ = ["GcompError", "Model", "TensorInfo", "load"]
__version__ = "0.1.0"
