"""nigiri: one backend-neutral N-d array API on numpy, numba, OpenCL and CUDA.

``import nigiri as ng`` gives the Python Array API standard (2023.12) namespace.
"""

from __future__ import annotations

from ._errors import BackendUnavailableError
from .arrays.array import Array
from .arrays.creation import *  # noqa: F403
from .arrays.creation import __all__ as _creation_all
from .arrays.device import Device, use
from .arrays.dtypes import (bool_ as bool, complex64, complex128, float16, float32,  # noqa: A004
                            float64, int8, int16, int32, int64, uint8, uint16, uint32,
                            uint64, isdtype)
from .arrays.elementwise import *  # noqa: F403
from .arrays.elementwise import __all__ as _elementwise_all

__version__ = "0.1.0"
__array_api_version__ = "2023.12"

e = 2.718281828459045
pi = 3.141592653589793
inf = float("inf")
nan = float("nan")
newaxis = None

__all__ = sorted(
    set(_creation_all) | set(_elementwise_all) | {
        "Array", "Device", "use", "BackendUnavailableError", "bool", "complex64",
        "complex128", "float16", "float32", "float64", "int8", "int16", "int32", "int64",
        "uint8", "uint16", "uint32", "uint64", "isdtype", "e", "pi", "inf", "nan",
        "newaxis", "__array_api_version__",
    }
)
