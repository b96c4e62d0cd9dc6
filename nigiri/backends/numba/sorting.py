"""Stable sort, argsort and searchsorted on Numba kernels.

A hand-written stable merge sort (insertion-sorted runs of 16, then bottom-up
merges) on row indices, because the contract needs one comparator NumPy's and
Numba's sorts do not offer together: stable, NaN last ascending, and for descending
the exact reverse of the ascending order with equal keys kept in their original
order (NaN first). Rows sort in parallel. float16 keys are decoded to float32 first.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

from ._layout import par
from .elementwise import _bits, cast_into
from .reductions import contiguous

__all__ = ["sort", "argsort", "searchsorted"]

_F16 = np.dtype(np.float16)
_RUN = 16


@njit(cache=True, nogil=True)
def _before(a, b, desc):  # pragma: no cover - compiled
    """True when key a sorts strictly before key b."""
    if desc:
        return a > b or (a != a and b == b)
    return a < b or (b != b and a == a)


@njit(cache=True, nogil=True)
def _argsort_row(keys, idx, tmp, desc):  # pragma: no cover - compiled
    n = keys.shape[0]
    for i in range(n):
        idx[i] = i
    for s in range(0, n, 16):
        e = min(s + 16, n)
        for i in range(s + 1, e):
            v = idx[i]
            kv = keys[v]
            j = i - 1
            while j >= s and _before(kv, keys[idx[j]], desc):
                idx[j + 1] = idx[j]
                j -= 1
            idx[j + 1] = v
    width = 16
    flip = False
    while width < n:
        src = tmp if flip else idx
        dst = idx if flip else tmp
        for s in range(0, n, 2 * width):
            m = min(s + width, n)
            e = min(s + 2 * width, n)
            i, j, o = s, m, s
            while i < m and j < e:
                if _before(keys[src[j]], keys[src[i]], desc):
                    dst[o] = src[j]
                    j += 1
                else:
                    dst[o] = src[i]
                    i += 1
                o += 1
            while i < m:
                dst[o] = src[i]
                i += 1
                o += 1
            while j < e:
                dst[o] = src[j]
                j += 1
                o += 1
        flip = not flip
        width *= 2
    if flip:
        for i in range(n):
            idx[i] = tmp[i]


@njit(cache=True, nogil=True)
def _argsort_rows(keys, idx, desc):  # pragma: no cover - compiled
    tmp = np.empty(keys.shape[1], np.int64)
    for r in range(keys.shape[0]):
        _argsort_row(keys[r], idx[r], tmp, desc)


@njit(cache=True, nogil=True, parallel=True)
def _argsort_rows_p(keys, idx, desc):  # pragma: no cover - compiled
    for r in prange(keys.shape[0]):
        tmp = np.empty(keys.shape[1], np.int64)
        _argsort_row(keys[r], idx[r], tmp, desc)


@njit(cache=True, nogil=True)
def _take_rows(x, idx, out):  # pragma: no cover - compiled
    for r in range(x.shape[0]):
        for i in range(x.shape[1]):
            out[r, i] = x[r, idx[r, i]]


def _unsupported(be: Any, name: str, dtype: np.dtype) -> None:
    if dtype.kind == "c":
        raise be.unsupported(name, dtype)


def _rows(x: np.ndarray, axis: int) -> tuple[np.ndarray, list[int]]:
    order = [d for d in range(x.ndim) if d != axis] + [axis]
    return contiguous(x.transpose(order)), order


def _back(res: np.ndarray, order: list[int]) -> np.ndarray:
    inv = sorted(range(len(order)), key=order.__getitem__)
    return contiguous(res.transpose(inv))


def _argsort2(x2: np.ndarray, descending: bool) -> np.ndarray:
    keys = x2
    if x2.dtype == _F16:
        keys = np.empty(x2.shape, np.float32)
        cast_into(keys, x2)
    idx = np.empty(x2.shape, np.int64)
    if idx.size:
        big = par(idx.size) and x2.shape[0] > 1
        (_argsort_rows_p if big else _argsort_rows)(keys, idx, descending)
    return idx


def argsort(be: Any, x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort along ``axis`` (int64)."""
    _unsupported(be, "argsort", x.dtype)
    if x.ndim == 0:
        return np.zeros((), np.int64)
    xt, order = _rows(x, axis)
    idx = _argsort2(xt.reshape(math.prod(xt.shape[:-1]), x.shape[axis]), descending)
    return _back(idx.reshape(xt.shape), order)


def sort(be: Any, x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sort along ``axis`` (a new buffer)."""
    _unsupported(be, "sort", x.dtype)
    if x.ndim == 0:
        out = np.empty((), x.dtype)
        cast_into(out, x)
        return out
    xt, order = _rows(x, axis)
    x2 = xt.reshape(math.prod(xt.shape[:-1]), x.shape[axis])
    idx = _argsort2(x2, descending)
    out = np.empty(x2.shape, x.dtype)
    if out.size:
        _take_rows(_bits(x2), idx, _bits(out))
    return _back(out.reshape(xt.shape), order)


@njit(cache=True, nogil=True)
def _search(a, v, right, out):  # pragma: no cover - compiled
    n = a.shape[0]
    for t in range(v.shape[0]):
        x = v[t]
        lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) // 2
            if right:
                go = not _before(x, a[mid], False)
            else:
                go = _before(a[mid], x, False)
            if go:
                lo = mid + 1
            else:
                hi = mid
        out[t] = lo


def searchsorted(be: Any, x1: np.ndarray, x2: np.ndarray, side: str) -> np.ndarray:
    """Insertion points (int64) of ``x2`` into the sorted 1-d ``x1``; NaN sorts last."""
    _unsupported(be, "searchsorted", x1.dtype)
    x2 = np.asarray(x2)
    a, v = contiguous(x1), contiguous(x2)
    if x1.dtype == _F16:
        a32 = np.empty(a.shape, np.float32)
        v32 = np.empty(v.shape, np.float32)
        cast_into(a32, a)
        cast_into(v32, v)
        a, v = a32, v32
    out = np.empty(x2.shape, np.int64)
    if out.size:
        _search(a, v.reshape(-1), side == "right", out.reshape(-1))
    return out
