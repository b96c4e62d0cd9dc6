"""NumPy dtype -> OpenCL C type tables, loads, stores and conversions.

Every kernel generator uses these helpers so that each dtype is spelt one way:
``storage`` is the element type in global memory (``half`` is only touched through
``vload_half``/``vstore_half``), ``compute`` the type arithmetic happens in (half
computes in float, as NumPy does), ``wide`` the unsigned type integer arithmetic
wraps in (C's signed overflow is undefined behaviour, so integer +, -, * and shifts
are done in unsigned and reinterpreted).
"""

from __future__ import annotations

import numpy as np

__all__ = ["STORAGE", "COMPUTE", "UNSIGNED", "WIDE", "BITS", "kind", "load", "store",
           "convert", "pragmas", "scalar_dtype", "key"]

STORAGE = {
    "bool": "uchar", "int8": "char", "int16": "short", "int32": "int", "int64": "long",
    "uint8": "uchar", "uint16": "ushort", "uint32": "uint", "uint64": "ulong",
    "float16": "half", "float32": "float", "float64": "double",
}
COMPUTE = dict(STORAGE, float16="float")
UNSIGNED = {
    "int8": "uchar", "int16": "ushort", "int32": "uint", "int64": "ulong",
    "uint8": "uchar", "uint16": "ushort", "uint32": "uint", "uint64": "ulong", "bool": "uchar",
}
#: unsigned type wide enough that C's integer promotion cannot turn it signed
WIDE = {
    "int8": "uint", "int16": "uint", "int32": "uint", "int64": "ulong",
    "uint8": "uint", "uint16": "uint", "uint32": "uint", "uint64": "ulong", "bool": "uint",
}
BITS = {name: np.dtype(name).itemsize * 8 for name in STORAGE}
#: NumPy dtype of a scalar kernel argument of this dtype (half travels as float)
_SCALAR = {"float16": np.float32, "bool": np.uint8}


def key(dtype: np.dtype) -> str:
    """The table key of a NumPy dtype (its name)."""
    return np.dtype(dtype).name


def kind(dtype: np.dtype) -> str:
    """'b' bool, 'i' signed, 'u' unsigned, 'f' floating."""
    return np.dtype(dtype).kind


def scalar_dtype(dtype: np.dtype) -> type:
    """NumPy type used to pass a scalar of ``dtype`` as a kernel argument."""
    name = key(dtype)
    return _SCALAR.get(name, np.dtype(dtype).type)


def load(dtype: np.dtype, ptr: str, idx: str) -> str:
    """C expression loading element ``idx`` of ``ptr`` as the compute type."""
    if key(dtype) == "float16":
        return f"vload_half({idx}, {ptr})"
    return f"{ptr}[{idx}]"


def store(dtype: np.dtype, ptr: str, idx: str, value: str) -> str:
    """C statement storing the compute-type ``value`` into element ``idx``."""
    if key(dtype) == "float16":
        return f"vstore_half_rte({value}, {idx}, {ptr});"
    return f"{ptr}[{idx}] = {value};"


def convert(src: np.dtype, dst: np.dtype, expr: str) -> str:
    """C expression converting compute-type ``expr`` of ``src`` to the compute type of
    ``dst`` with NumPy's casting results on x86 (float to int truncates, then wraps;
    int to narrower int wraps; to bool is ``!= 0``)."""
    s, d = key(src), key(dst)
    sk, dk = kind(src), kind(dst)
    if s == d or (COMPUTE[s] == COMPUTE[d] and dk != "b"):
        return f"({COMPUTE[d]})({expr})"
    if dk == "b":
        return f"(uchar)(({expr}) != 0)"
    if dk == "f":
        if d == "float16" and s == "float64":
            return f"({expr})"  # vstore_half_rte(double) rounds once, as NumPy does
        return f"({COMPUTE[d]})({expr})"
    # integer destination
    if sk == "f":
        if d == "uint64":
            return (f"(({expr}) >= 9223372036854775808.0 ? "
                    f"(ulong)(long)(({expr}) - 9223372036854775808.0) ^ 0x8000000000000000UL"
                    f" : (ulong)(long)({expr}))")
        inner = f"(long)({expr})"
    else:
        inner = f"({expr})"
    if d in ("int64", "uint64"):
        return f"as_{STORAGE[d]}(({UNSIGNED[d]}){inner})"
    return f"as_{STORAGE[d]}(({UNSIGNED[d]})({inner}))"


def pragmas(*dtypes: np.dtype) -> str:
    """Extension pragmas needed by kernels touching these dtypes."""
    names = {key(d) for d in dtypes}
    out = ""
    if "float64" in names:
        out += "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n"
    if "float16" in names:
        out += "#pragma OPENCL EXTENSION cl_khr_fp16 : enable\n"
    return out
