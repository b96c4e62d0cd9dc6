"""nigiri: one backend-neutral N-d array API on numpy, numba, OpenCL and CUDA.

``import nigiri as ng`` gives the Python Array API standard (2023.12) namespace, plus
``ng.random``, ``ng.save``/``ng.load``, ``ng.to_numpy``, ``ng.use`` and ``ng.stats``.
Backends are imported only when first used.
"""

from __future__ import annotations

from . import linalg, random
from ._errors import BackendUnavailableError
from .arrays.array import Array
from .arrays.control import stats, synchronize
from .arrays.creation import (arange, asarray, empty, empty_like, eye, from_dlpack, full,
                              full_like, linspace, meshgrid, ones, ones_like, to_device,
                              to_numpy, tril, triu, zeros, zeros_like)
from .arrays.datatypes import astype, can_cast, finfo, iinfo, isdtype, result_type
from .arrays.device import Device, use
from .arrays.dtypes import (bool_ as bool, complex64, complex128, float16, float32,  # noqa: A004
                            float64, int8, int16, int32, int64, uint8, uint16, uint32,
                            uint64)
from .arrays.elementwise import *  # noqa: F403
from .arrays.elementwise import __all__ as _elementwise_all
from .arrays.indexing import take
from .arrays.info import __array_namespace_info__
from .arrays.io import load, save, savez
from .arrays.linalg import matmul, matrix_transpose, tensordot, vecdot
from .arrays.manipulation import (broadcast_arrays, broadcast_to, concat, expand_dims, flip,
                                  moveaxis, permute_dims, repeat, reshape, roll, squeeze,
                                  stack, tile, unstack)
from .arrays.searching import argmax, argmin, argsort, nonzero, searchsorted, sort, where
from .arrays.sets import unique_all, unique_counts, unique_inverse, unique_values
from .arrays.statistical import (all, any, count_nonzero, cumulative_prod,  # noqa: A004
                                 cumulative_sum, diff, max, mean, min, prod, std, sum, var)

__version__ = "0.1.0"
__array_api_version__ = "2023.12"

e = 2.718281828459045
pi = 3.141592653589793
inf = float("inf")
nan = float("nan")
newaxis = None

__all__ = sorted(set(_elementwise_all) | {
    "Array", "Device", "BackendUnavailableError", "use", "stats", "synchronize",
    "linalg", "random", "load", "save", "savez", "to_numpy", "to_device",
    "__array_namespace_info__", "__array_api_version__",
    # dtypes and constants
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128", "e", "pi", "inf", "nan",
    "newaxis",
    # creation
    "arange", "asarray", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like",
    "linspace", "meshgrid", "ones", "ones_like", "tril", "triu", "zeros", "zeros_like",
    # data types
    "astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type",
    # indexing, manipulation
    "take", "broadcast_arrays", "broadcast_to", "concat", "expand_dims", "flip", "moveaxis",
    "permute_dims", "repeat", "reshape", "roll", "squeeze", "stack", "tile", "unstack",
    # linear algebra (main namespace)
    "matmul", "matrix_transpose", "tensordot", "vecdot",
    # searching, sorting, sets
    "argmax", "argmin", "argsort", "nonzero", "searchsorted", "sort", "where",
    "unique_all", "unique_counts", "unique_inverse", "unique_values",
    # statistical and utility
    "all", "any", "count_nonzero", "cumulative_prod", "cumulative_sum", "diff", "max",
    "mean", "min", "prod", "std", "sum", "var",
})
