"""CUDA source text: the ``kernels/*.cu`` files and the dtype -> C type table.

Pure Python (no CuPy): tests check the generated sources on machines without a GPU.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["CTYPES", "ctype", "kernel_source", "with_defines"]

#: NumPy dtype -> the C type a RawKernel uses for it (float16 is widened before use).
CTYPES: dict[np.dtype, str] = {
    np.dtype(np.bool_): "bool",
    np.dtype(np.int8): "signed char",
    np.dtype(np.uint8): "unsigned char",
    np.dtype(np.int16): "short",
    np.dtype(np.uint16): "unsigned short",
    np.dtype(np.int32): "int",
    np.dtype(np.uint32): "unsigned int",
    np.dtype(np.int64): "long long",
    np.dtype(np.uint64): "unsigned long long",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}


def ctype(dtype: np.dtype) -> str:
    """The C type of ``dtype`` for raw kernels (KeyError for float16/complex)."""
    return CTYPES[np.dtype(dtype)]


@lru_cache(maxsize=None)
def kernel_source(name: str) -> str:
    """The text of ``kernels/<name>`` shipped with this package."""
    return resources.files(__package__).joinpath("kernels").joinpath(name).read_text(encoding="utf-8")


def with_defines(source: str, types: dict[str, str] | None = None, **defines: object) -> str:
    """``source`` preceded by ``typedef C_TYPE NAME;`` per entry of ``types`` and one
    ``#define NAME value`` line per keyword."""
    head = "".join(f"typedef {ctype_} {name};\n" for name, ctype_ in (types or {}).items())
    head += "".join(f"#define {key} {value}\n" for key, value in defines.items())
    return head + source
