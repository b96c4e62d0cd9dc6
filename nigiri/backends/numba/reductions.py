"""Reductions (sum, prod, max, min, any, all) and arg-reductions on Numba kernels.

The input is brought to a C-contiguous (pre, n, post) array whose middle axis is
reduced: a free reshape when the reduced axes are adjacent and the input is
contiguous, else a transposed copy (Numba copy kernel) with the reduced axes last.
post == 1 reduces rows (eight-lane blocked kernels, parallel over rows, or over
chunks of one long row); post > 1 reduces columns, vectorised along post.
"""

from __future__ import annotations

import math

import numpy as np
import numba

from ._codegen import kernel_module
from ._layout import par
from ._reduce_gen import arg_source, reduce_source
from .elementwise import _bits, cast_into

__all__ = ["reduce", "arg_reduce", "contiguous"]

_F16 = np.dtype(np.float16)
_BOOL = np.dtype(bool)
_IDENT = {"sum": 0, "prod": 1, "any": False, "all": True}


def contiguous(x: np.ndarray) -> np.ndarray:
    """``x`` itself when C-contiguous, else a C-contiguous copy (Numba kernel)."""
    if x.flags.c_contiguous:
        return x
    out = np.empty(x.shape, x.dtype)
    cast_into(out, x)
    return out


def _to_pnq(x: np.ndarray, axes: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """(pre, n, post) C-contiguous data and the kept shape."""
    nd = x.ndim
    keep = [d for d in range(nd) if d not in axes]
    kept_shape = tuple(x.shape[d] for d in keep)
    adjacent = axes == tuple(range(axes[0], axes[-1] + 1))
    if adjacent and x.flags.c_contiguous:
        pre = math.prod(x.shape[:axes[0]])
        n = math.prod(x.shape[axes[0]:axes[-1] + 1])
        post = math.prod(x.shape[axes[-1] + 1:])
        return x.reshape(pre, n, post), kept_shape
    xt = contiguous(x.transpose(keep + list(axes)))
    n = math.prod(x.shape[d] for d in axes)
    return xt.reshape(math.prod(kept_shape), n, 1), kept_shape


def _nchunks(n: int) -> int:
    return max(1, min(numba.get_num_threads() * 4, n // 65536))


def reduce(op: str, x: np.ndarray, axes: tuple[int, ...], keepdims: bool,
           dtype: np.dtype) -> np.ndarray:
    """The contract's ``reduce``."""
    if op in ("any", "all") and x.dtype != _BOOL:
        xb = np.empty(x.shape, _BOOL)
        cast_into(xb, x)
        x = xb
    elif x.dtype != dtype:
        xc = np.empty(x.shape, dtype)
        cast_into(xc, x)
        x = xc
    axes = tuple(sorted(axes))
    if not axes:
        out = np.empty(x.shape, dtype)
        cast_into(out, x)
        return out
    x3, kept = _to_pnq(x, axes)
    out_shape = tuple(1 if d in axes else x.shape[d] for d in range(x.ndim)) if keepdims else kept
    pre, n, post = x3.shape
    out = np.empty((pre, post), dtype)
    if out.size == 0:
        return out.reshape(out_shape)
    if n == 0:
        cast_into(out, np.asarray(_IDENT[op], dtype))  # empty sum/prod/any/all: identity
        return out.reshape(out_shape)
    half = dtype == _F16
    suffix = "_h" if half else ""
    if dtype.kind == "f" and not half:
        if op in ("max", "min"):
            suffix = "_f32" if dtype.itemsize == 4 else "_f64"
        elif op in ("sum", "prod"):
            suffix = "_r"
    elif dtype.kind == "c" and op in ("sum", "prod"):
        suffix = "_r"
    mod = kernel_module(op + suffix, reduce_source, prefix="red")
    ident = np.float32(_IDENT.get(op, 0)) if half else np.asarray(_IDENT.get(op, 0), dtype)[()]
    xb, ob = _bits(x3), _bits(out)
    big = par(x3.size)
    if post == 1:
        x2 = xb.reshape(pre, n)
        if pre == 1 and big:
            ob[0, 0] = mod.full_p(x2[0], ident, _nchunks(n))
        else:
            (mod.rows_p if big and pre > 1 else mod.rows)(x2, ob.reshape(pre), ident)
    else:
        (mod.cols_p if big else mod.cols)(xb, ob, ident)
    return out.reshape(out_shape)


def arg_reduce(op: str, x: np.ndarray, axis: int | None, keepdims: bool) -> np.ndarray:
    """The contract's ``arg_reduce`` (int64; first extreme; first NaN wins)."""
    mod = kernel_module(op + ("_h" if x.dtype == _F16 else ""), arg_source, prefix="arg")
    xb = _bits(x)
    if axis is None:
        flat = contiguous(xb).reshape(-1)
        n = flat.shape[0]
        idx = mod.full_p(flat, _nchunks(n)) if par(n) else mod.arg(flat, 0, n)
        out = np.asarray(idx, np.int64)
        return out.reshape((1,) * x.ndim) if keepdims else out
    nd = x.ndim
    order = [d for d in range(nd) if d != axis] + [axis]
    xt = contiguous(xb.transpose(order))
    kept = xt.shape[:-1]
    x2 = xt.reshape(-1, x.shape[axis])
    out = np.empty(x2.shape[0], np.int64)
    if out.size:
        (mod.rows_p if par(x2.size) and x2.shape[0] > 1 else mod.rows)(x2, out)
    if keepdims:
        return out.reshape(tuple(1 if d == axis else x.shape[d] for d in range(nd)))
    return out.reshape(kept)
