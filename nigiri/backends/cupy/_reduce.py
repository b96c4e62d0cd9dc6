"""Reductions, argmax/argmin and scans on CuPy arrays.

sum/prod/max/min/any/all and cumsum/cumprod are CuPy's (CUB-backed, NaN-propagating
max/min, exact integer wrap). argmax/argmin are our own kernel (``kernels/argreduce.cu``)
because the contract fixes ties (first index) and NaN (the first NaN wins) on every
dtype, bool included.
"""

from __future__ import annotations

import math
from typing import Any

import cupy as cp
import numpy as np

from ._sources import ctype, kernel_source, with_defines

__all__ = ["reduce", "arg_reduce", "cumulative"]

_FUNCS = {"sum": cp.sum, "prod": cp.prod, "max": cp.max, "min": cp.min,
          "any": cp.any, "all": cp.all}
_THREADS = 256
_argk: dict[tuple[str, np.dtype], Any] = {}


def reduce(op: str, x: Any, axes: tuple[int, ...], keepdims: bool, dtype: np.dtype) -> Any:
    """The contract's ``reduce``."""
    if not axes:  # no reduction: a converted copy (NumPy's axis=())
        if op in ("any", "all"):
            return x.astype(np.bool_)
        return x.astype(dtype) if op in ("sum", "prod") else x.copy()
    fn = _FUNCS[op]
    if op in ("sum", "prod"):
        return fn(x, axis=axes, keepdims=keepdims, dtype=dtype)
    return fn(x, axis=axes, keepdims=keepdims)


def _arg_kernel(op: str, dtype: np.dtype) -> Any:
    key = (op, dtype)
    k = _argk.get(key)
    if k is None:
        src = with_defines(kernel_source("argreduce.cu"), {"T": ctype(dtype)},
                           IS_FLOAT=int(dtype.kind == "f"),
                           BETTER=">" if op == "argmax" else "<")
        k = _argk[key] = cp.RawKernel(src, "nigiri_argreduce")
    return k


def _rows_last(x: Any, axis: int | None) -> tuple[Any, tuple[int, ...]]:
    """``x`` as a C-contiguous (rows, length) array reducing along ``length``, and
    the shape of the result without keepdims."""
    if axis is None:
        return cp.ascontiguousarray(x).reshape(1, -1), ()
    moved = cp.moveaxis(x, axis, -1)
    rest = moved.shape[:-1]
    return cp.ascontiguousarray(moved).reshape(math.prod(rest), moved.shape[-1]), rest


def arg_reduce(op: str, x: Any, axis: int | None, keepdims: bool) -> Any:
    """The contract's ``arg_reduce``: int64 indices, first index on ties, NaN wins."""
    dtype = x.dtype
    if dtype.kind == "c":
        raise NotImplementedError(f"cupy backend: {op} of complex arrays is not defined")
    if dtype == np.float16:
        x = x.astype(np.float32)  # exact: order and NaN preserved
        dtype = x.dtype
    rows2d, rest = _rows_last(x, axis)
    rows, length = rows2d.shape
    out = _run(op, dtype, rows2d, None, rows, length)
    if keepdims:
        shape = (1,) * x.ndim if axis is None else rest[:axis] + (1,) + rest[axis:]
    else:
        shape = rest
    return out.reshape(shape)


def _run(op: str, dtype: np.dtype, vals: Any, idx: Any, rows: int, length: int) -> Any:
    if rows == 0 or length == 0:
        return cp.zeros(rows, np.int64)
    kern = _arg_kernel(op, dtype)
    nchunks = 1
    if rows < 1024 and length > 16384:  # few long rows: split them over more blocks
        nchunks = min(max(1, length // 8192), max(1, 4096 // rows))
    chunk = -(-length // nchunks)
    nchunks = -(-length // chunk)
    tasks = rows * nchunks
    val_out = cp.empty(tasks, dtype)
    idx_out = cp.empty(tasks, np.int64)
    kern((tasks,), (_THREADS,), (vals, idx if idx is not None else np.uint64(0),
                                 np.int64(rows), np.int64(length), np.int64(chunk),
                                 np.int64(nchunks), val_out, idx_out))
    if nchunks == 1:
        return idx_out
    return _run(op, dtype, val_out.reshape(rows, nchunks), idx_out, rows, nchunks)


def cumulative(op: str, x: Any, axis: int, dtype: np.dtype) -> Any:
    """The contract's ``cumulative`` (inclusive scan)."""
    fn = cp.cumsum if op == "cumsum" else cp.cumprod
    return fn(x, axis=axis, dtype=dtype)
