"""Matrix product. float32/64 and complex: BLAS (as the issue allows). Mid-sized
products run as tasks of output rows in Numba's thread pool, each an ``np.dot`` with
BLAS held to one thread (switching between Numba's and BLAS's thread pools stalled the
LeNet training step for scheduler ticks); small and very large ones are one BLAS call
through NumPy's binding (see ``matmul``). Integers, bool and float16: Numba loop kernels (wrapping;
or of ands; accumulated in float32, rounded once). Batch axes broadcast by index
tables, never by materialising copies of the broadcast operand."""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import njit, prange

from ._half import f2h, h2f
from .blas_threads import one_blas_thread
from .elementwise import _bits, cast_into
from .reductions import contiguous

__all__ = ["matmul"]

_F16 = np.dtype(np.float16)
#: products of fewer multiply-adds than this run on the calling thread, and of more
#: than _LARGE on BLAS's threads; the ones between as row tasks in Numba's pool
_SMALL = 1 << 18
_LARGE = 1 << 28


@njit(cache=True, nogil=True, parallel=True)
def _blas(a, b, ia, ib, rows, out):  # pragma: no cover - compiled
    """Tasks of ``rows`` output rows of one batch entry, each one BLAS call (BLAS is
    held to one thread meanwhile: see ``blas_threads``)."""
    m = out.shape[1]
    blocks = (m + rows - 1) // rows
    for tb in prange(out.shape[0] * blocks):
        t = tb // blocks
        r0 = (tb - t * blocks) * rows
        r1 = min(m, r0 + rows)
        np.dot(a[ia[t], r0:r1], b[ib[t]], out[t, r0:r1])


@njit(cache=True, nogil=True, parallel=True)
def _loops(a, b, ia, ib, out):  # pragma: no cover - compiled
    m, n, k = out.shape[1], out.shape[2], a.shape[2]
    for tm in prange(out.shape[0] * m):
        t = tm // m
        i = tm - t * m
        at, bt = a[ia[t]], b[ib[t]]
        for j in range(n):
            out[t, i, j] = 0
        for kk in range(k):
            aik = at[i, kk]
            for j in range(n):
                out[t, i, j] += aik * bt[kk, j]


@njit(cache=True, nogil=True, parallel=True)
def _loops_bool(a, b, ia, ib, out):  # pragma: no cover - compiled
    m, n, k = out.shape[1], out.shape[2], a.shape[2]
    for tm in prange(out.shape[0] * m):
        t = tm // m
        i = tm - t * m
        at, bt = a[ia[t]], b[ib[t]]
        for j in range(n):
            out[t, i, j] = False
        for kk in range(k):
            if at[i, kk]:
                for j in range(n):
                    out[t, i, j] = out[t, i, j] or bt[kk, j]


@njit(cache=True, nogil=True, parallel=True)
def _loops_half(a, b, ia, ib, out):  # pragma: no cover - compiled
    m, n, k = out.shape[1], out.shape[2], a.shape[2]
    for tm in prange(out.shape[0] * m):
        t = tm // m
        i = tm - t * m
        at, bt = a[ia[t]], b[ib[t]]
        acc = np.zeros(n, np.float32)
        for kk in range(k):
            aik = h2f(at[i, kk])
            for j in range(n):
                acc[j] += aik * h2f(bt[kk, j])
        for j in range(n):
            out[t, i, j] = f2h(acc[j])


_HAVE_BLAS: bool | None = None


def have_blas() -> bool:
    """Numba's ``np.dot`` needs SciPy's BLAS bindings; without SciPy the float
    matmul runs on the loop kernel instead (correct, slower)."""
    global _HAVE_BLAS
    if _HAVE_BLAS is None:
        try:
            import scipy.linalg.cython_blas  # noqa: F401
            _HAVE_BLAS = True
        except ImportError:
            _HAVE_BLAS = False
    return _HAVE_BLAS


def matmul(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """NumPy ``matmul`` semantics for ndim >= 2 with broadcasting batch axes."""
    m, k = x1.shape[-2:]
    n = x2.shape[-1]
    batch = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    out = np.empty(batch + (m, n), x1.dtype)
    if out.size == 0:
        return out
    if k == 0:
        cast_into(out, np.zeros((), x1.dtype))
        return out
    nb = math.prod(batch)
    kind = x1.dtype.kind
    if kind in "fc" and x1.dtype != _F16 and not _SMALL <= nb * m * n * k < _LARGE:
        # small products: one BLAS call per matrix on the calling thread (OpenBLAS runs
        # these single-threaded too), through NumPy's binding, whose call costs ~1 us
        # against ~10 us for the index tables and a Numba dispatch. Large ones: BLAS's
        # own threads, which share the packed panels (20% faster at 1000^3 than
        # row tasks), where a pool switch is small beside the product
        np.matmul(x1, x2, out=out)
        return out
    a = contiguous(_bits(x1)).reshape(-1, m, k)
    b = contiguous(_bits(x2)).reshape(-1, k, n)
    ia = np.broadcast_to(np.arange(a.shape[0]).reshape(x1.shape[:-2]), batch).reshape(-1)
    ib = np.broadcast_to(np.arange(b.shape[0]).reshape(x2.shape[:-2]), batch).reshape(-1)
    o3 = _bits(out).reshape(nb, m, n)
    if kind in "fc" and x1.dtype != _F16 and have_blas():
        # tasks of 32 to 64 rows: measured best on the benchmark machine from LeNet's
        # 64x800x500 to 1000^3 (fewer rows starve BLAS's kernels, more starve threads)
        rows = min(64, max(32, -(-m * nb // (4 * numba.get_num_threads()))))
        with one_blas_thread:
            _blas(a, b, np.ascontiguousarray(ia), np.ascontiguousarray(ib), min(rows, m), o3)
    elif x1.dtype == _F16:
        _loops_half(a, b, np.ascontiguousarray(ia), np.ascontiguousarray(ib), o3)
    elif kind == "b":
        _loops_bool(a, b, np.ascontiguousarray(ia), np.ascontiguousarray(ib), o3)
    else:
        _loops(a, b, np.ascontiguousarray(ia), np.ascontiguousarray(ib), o3)
    return out
