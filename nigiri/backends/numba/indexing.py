"""Gather, scatter and nonzero on Numba kernels.

The indexed leading axes are folded into one row index (a free reshape of a
C-contiguous array), so a gather or scatter copies whole rows of the trailing axes.
A scatter into a non-contiguous view goes through a contiguous copy that is written
back with the copy kernel, so the write always lands in the view's base.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

from ._layout import par
from .elementwise import _bits, cast_into
from .reductions import contiguous

__all__ = ["gather", "scatter", "nonzero"]


@njit(cache=True, nogil=True)
def _rows(idx, mult):  # pragma: no cover - compiled
    """Row numbers from k index arrays (k, m) and row-major multipliers (k,)."""
    m = idx.shape[1]
    rows = np.zeros(m, np.int64)
    for j in range(idx.shape[0]):
        mj = mult[j]
        for i in range(m):
            rows[i] += idx[j, i] * mj
    return rows


@njit(cache=True, nogil=True)
def _gather(x, rows, out):  # pragma: no cover - compiled
    for i in range(rows.shape[0]):
        r = rows[i]
        for c in range(x.shape[1]):
            out[i, c] = x[r, c]


@njit(cache=True, nogil=True, parallel=True)
def _gather_p(x, rows, out):  # pragma: no cover - compiled
    for i in prange(rows.shape[0]):
        r = rows[i]
        for c in range(x.shape[1]):
            out[i, c] = x[r, c]


@njit(cache=True, nogil=True)
def _scatter(x, rows, values):  # pragma: no cover - compiled
    for i in range(rows.shape[0]):
        r = rows[i]
        for c in range(x.shape[1]):
            x[r, c] = values[i, c]


def _prepare(shape: tuple[int, ...], indices: tuple[Any, ...]) -> tuple[np.ndarray, tuple]:
    k = len(indices)
    ishape = indices[0].shape if k else ()
    idx = np.empty((k, math.prod(ishape)), np.int64)
    for j, ind in enumerate(indices):
        cast_into(idx[j].reshape(ishape), ind)
    mult = np.array([math.prod(shape[j + 1:k]) for j in range(k)], np.int64)
    return _rows(idx, mult), ishape


def gather(x: np.ndarray, indices: tuple[Any, ...]) -> np.ndarray:
    """``x[i0, ..., ik]`` on the leading axes; a new buffer."""
    k = len(indices)
    rows, ishape = _prepare(x.shape, indices)
    tail = x.shape[k:]
    out = np.empty(ishape + tail, x.dtype)
    if out.size == 0:
        return out
    xc = contiguous(_bits(x)).reshape(math.prod(x.shape[:k]), math.prod(tail))
    o2 = _bits(out).reshape(rows.shape[0], math.prod(tail))
    (_gather_p if par(out.size) else _gather)(xc, rows, o2)
    return out


def scatter(x: np.ndarray, indices: tuple[Any, ...], values: Any) -> None:
    """In place ``x[i0, ..., ik] = values`` (the write lands in ``x``'s base)."""
    k = len(indices)
    rows, ishape = _prepare(x.shape, indices)
    if rows.shape[0] == 0 or x.size == 0:
        return
    tail = x.shape[k:]
    vals = np.empty(ishape + tail, x.dtype)
    cast_into(vals, values)  # broadcasts scalars, materialises views
    direct = x.flags.c_contiguous
    target = x if direct else contiguous(x)
    t2 = _bits(target).reshape(math.prod(x.shape[:k]), math.prod(tail))
    _scatter(t2, rows, _bits(vals).reshape(rows.shape[0], -1))
    if not direct:
        cast_into(x, target)


@njit(cache=True, nogil=True)
def _nonzero(flat, shape):  # pragma: no cover - compiled
    n = 0
    for i in range(flat.shape[0]):
        if flat[i]:
            n += 1
    nd = shape.shape[0]
    out = np.empty((nd, n), np.int64)
    j = 0
    for i in range(flat.shape[0]):
        if flat[i]:
            rem = i
            for d in range(nd - 1, -1, -1):
                out[d, j] = rem % shape[d]
                rem //= shape[d]
            j += 1
    return out


def nonzero(x: np.ndarray) -> tuple[np.ndarray, ...]:
    """C-order coordinates of the non-zero elements, one int64 buffer per axis."""
    xb = np.empty(x.shape, np.dtype(bool))
    cast_into(xb, x)
    coords = _nonzero(xb.reshape(-1), np.array(x.shape, np.int64))
    return tuple(coords[d].copy() for d in range(x.ndim))
