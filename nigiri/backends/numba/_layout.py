"""Strided-layout helpers: broadcast several arrays to one shape and fold their axes
into at most three strided dimensions, so one 3-d kernel serves every view,
transpose, negative stride and broadcast without copying (NumPy-style dimension
coalescing; pure stride arithmetic, no data movement)."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

import numba

__all__ = ["fold3", "PAR_MIN", "is_c", "par"]

#: arrays with at least this many elements use the parallel (prange) kernels
PAR_MIN = 1 << 16


def par(n: int) -> bool:
    """Use the parallel kernel for ``n`` elements: large enough, and Numba allowed
    more than one thread (``NUMBA_NUM_THREADS`` / ``numba.set_num_threads``)."""
    return n >= PAR_MIN and numba.get_num_threads() > 1


def is_c(a: Any) -> bool:
    """True for a C-contiguous ndarray."""
    return a.flags.c_contiguous


def _bstrides(a: np.ndarray, shape: tuple[int, ...]) -> list[int]:
    """Byte strides of ``a`` broadcast to ``shape`` (0 on broadcast axes)."""
    off = len(shape) - a.ndim
    out = [0] * len(shape)
    for d in range(a.ndim):
        if a.shape[d] != 1:
            out[off + d] = a.strides[d]
    return out


def fold3(arrays: list[np.ndarray], shape: tuple[int, ...]) -> Iterator[list[np.ndarray]]:
    """Yield lists of 3-d strided views (one per array, all of one 3-d shape) that
    together cover ``shape``; ``arrays`` broadcast to ``shape`` (the last one is
    usually the output). Usually yields once; more than three non-foldable axes
    yield one group per index of the leading axes."""
    strides = [_bstrides(a, shape) for a in arrays]
    dims: list[tuple[int, list[int]]] = []
    for d, n in enumerate(shape):
        if n == 1:
            continue
        st = [s[d] for s in strides]
        if dims:
            pn, pst = dims[-1]
            if all(pst[k] == st[k] * n for k in range(len(arrays))):
                dims[-1] = (pn * n, st)
                continue
        dims.append((n, st))
    while len(dims) < 3:
        dims.insert(0, (1, [0] * len(arrays)))
    fshape = tuple(n for n, _ in dims)
    views = [as_strided(a, shape=fshape, strides=tuple(st[k] for _, st in dims))
             for k, a in enumerate(arrays)]
    if len(dims) == 3:
        yield views
        return
    for idx in np.ndindex(fshape[:-3]):
        yield [v[idx] for v in views]
