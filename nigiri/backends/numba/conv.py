"""nn fast paths for conv2d (NCHW, float32/float64): one parallel loop of independent tasks.

A task takes a few samples (or, for large images, one sample in tiles of output
rows), writes their im2col columns into a buffer of about ``TASK_BYTES`` so that it
stays in the core's cache, multiplies it with BLAS (``np.dot`` inside the Numba kernel,
every BLAS held to one thread meanwhile) and writes its share of the result: y for
the forward pass; dX by col2im and a per-thread partial dW for the backward pass.
Tasks own whole samples, so no two write the same dX element.

Why not a layer at a time (parallel im2col kernel, then one multithreaded GEMM, as we
did first): Numba's OpenMP workers spin after each parallel region, and on a machine
whose cores are all in use each switch between them and BLAS's threads waited for a
scheduler tick (4 ms on the 2-core benchmark machine), so the LeNet conv2 forward
took 8.0 ms at two threads against 4.0 ms for NumPy. One pool doing everything
takes 2.8 ms.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import njit, prange

from ..nn_shapes import conv_out, pair
from .blas_threads import one_blas_thread
from .reductions import contiguous

__all__ = ["TASK_BYTES", "conv2d_forward", "conv2d_backward"]

#: target size of one task's column buffer (about a core's L2 cache)
TASK_BYTES = 512 << 10
#: aim for at least this many tasks per thread (load balance)
TASKS_PER_THREAD = 4


def _threads() -> int:
    return max(1, numba.get_num_threads())


def _tiling(n: int, k: int, ho: int, wo: int, itemsize: int) -> tuple[int, int]:
    """(samples per task, output rows per tile) for columns of height ``k``."""
    row = max(1, k * wo * itemsize)
    if row * ho > TASK_BYTES:  # one sample is too big: one sample per task, row tiles
        return 1, max(1, TASK_BYTES // row)
    per = min(TASK_BYTES // (row * ho), -(-n // (_threads() * TASKS_PER_THREAD)))
    return max(1, per), ho


# ----------------------------------------------------------------- kernels
@njit(cache=True, nogil=True)
def _span(wo, W, sw, off):  # pragma: no cover - compiled
    """Range [lo, hi) of output columns ow with 0 <= ow*sw + off < W."""
    lo = 0 if off >= 0 else (-off + sw - 1) // sw
    hi = 0 if W - 1 - off < 0 else min(wo, (W - 1 - off) // sw + 1)
    return min(lo, wo), max(hi, min(lo, wo))


@njit(cache=True, nogil=True)
def _im2col(x, n0, n1, r0, r1, c0, geo, cols):  # pragma: no cover - compiled
    """cols[(c, i, j), (n - n0, oh - r0, ow)] = x[n, c0 + c, h, w], zero outside x."""
    cg, kh, kw, sh, sw, ph, pw, dh, dw, wo = geo
    H, W = x.shape[2], x.shape[3]
    nr = r1 - r0
    for r in range(cg * kh * kw):
        c = r // (kh * kw)
        ij = r - c * kh * kw
        i = ij // kw
        j = ij - i * kw
        off = j * dw - pw
        lo, hi = _span(wo, W, sw, off)
        for n in range(n0, n1):
            for oh in range(r0, r1):
                h = oh * sh - ph + i * dh
                d = ((n - n0) * nr + oh - r0) * wo
                if h < 0 or h >= H:
                    for ow in range(wo):
                        cols[r, d + ow] = 0
                    continue
                for ow in range(lo):
                    cols[r, d + ow] = 0
                for ow in range(lo, hi):
                    cols[r, d + ow] = x[n, c0 + c, h, ow * sw + off]
                for ow in range(hi, wo):
                    cols[r, d + ow] = 0


@njit(cache=True, nogil=True)
def _col2im(dcols, n0, n1, r0, r1, c0, geo, dx):  # pragma: no cover - compiled
    """The adjoint of _im2col: dx[n, c0 + c, h, w] += dcols[(c, i, j), (n, oh, ow)]."""
    cg, kh, kw, sh, sw, ph, pw, dh, dw, wo = geo
    H, W = dx.shape[2], dx.shape[3]
    nr = r1 - r0
    for n in range(n0, n1):
        for c in range(cg):
            for i in range(kh):
                for j in range(kw):
                    r = (c * kh + i) * kw + j
                    off = j * dw - pw
                    lo, hi = _span(wo, W, sw, off)
                    for oh in range(r0, r1):
                        h = oh * sh - ph + i * dh
                        if h < 0 or h >= H:
                            continue
                        d = ((n - n0) * nr + oh - r0) * wo
                        for ow in range(lo, hi):
                            dx[n, c0 + c, h, ow * sw + off] += dcols[r, d + ow]


@njit(cache=True, nogil=True, parallel=True)
def _forward(x, wg, bias, has_bias, geo, ho, per, rows, y3):  # pragma: no cover - compiled
    groups, og, k = wg.shape
    cg, wo = geo[0], geo[9]
    n_all = x.shape[0]
    for t in prange((n_all + per - 1) // per):
        n0 = t * per
        n1 = min(n_all, n0 + per)
        for r0 in range(0, ho, rows):
            r1 = min(ho, r0 + rows)
            span = (r1 - r0) * wo
            cols = np.empty((k, (n1 - n0) * span), x.dtype)
            for g in range(groups):
                _im2col(x, n0, n1, r0, r1, g * cg, geo, cols)
                res = np.dot(wg[g], cols)  # (og, samples * rows * Wo)
                for o in range(og):
                    b = bias[g * og + o] if has_bias else bias[0] * 0
                    for nn in range(n1 - n0):
                        for q in range(span):
                            y3[n0 + nn, g * og + o, r0 * wo + q] = res[o, nn * span + q] + b


@njit(cache=True, nogil=True, parallel=True)
def _backward(x, wg, dy3, need_x, need_w, geo, ho, per, rows, dx, dw_parts):  # pragma: no cover
    groups, og, k = wg.shape
    cg, wo = geo[0], geo[9]
    n_all = x.shape[0]
    for t in prange((n_all + per - 1) // per):
        n0 = t * per
        n1 = min(n_all, n0 + per)
        part = dw_parts[numba.get_thread_id() if need_w else 0]
        for r0 in range(0, ho, rows):
            r1 = min(ho, r0 + rows)
            span = (r1 - r0) * wo
            cols = np.empty((k, (n1 - n0) * span), x.dtype)
            dyg = np.empty((og, (n1 - n0) * span), x.dtype)
            for g in range(groups):
                for o in range(og):
                    for nn in range(n1 - n0):
                        for q in range(span):
                            dyg[o, nn * span + q] = dy3[n0 + nn, g * og + o, r0 * wo + q]
                if need_w:
                    _im2col(x, n0, n1, r0, r1, g * cg, geo, cols)
                    part[g] += np.dot(dyg, cols.T)
                if need_x:
                    np.dot(wg[g].T, dyg, cols)  # reuse the buffer for the columns' gradient
                    _col2im(cols, n0, n1, r0, r1, g * cg, geo, dx)


@njit(cache=True, nogil=True, parallel=True)
def _bias_grad(dy, db):  # pragma: no cover - compiled
    for o in prange(dy.shape[1]):
        acc = 0.0
        for n in range(dy.shape[0]):
            for h in range(dy.shape[2]):
                for w in range(dy.shape[3]):
                    acc += dy[n, o, h, w]
        db[o] = acc


# ----------------------------------------------------------------- entry points
def _params(stride: Any, padding: Any, dilation: Any) -> tuple[int, ...]:
    """(sh, sw, ph, pw, dh, dw), validated."""
    return (*pair(stride, "conv2d stride"), *pair(padding, "conv2d padding"),
            *pair(dilation, "conv2d dilation"))


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """y[N, O, Ho, Wo] = conv(x[N, C, H, W], w[O, C/groups, kh, kw]) + b[O]."""
    x, w = contiguous(x), contiguous(w)
    n, _, h, wd = x.shape
    nout, cg, kh, kw = w.shape
    sh, sw, ph, pw, dh, dw = _params(stride, padding, dilation)
    ho, wo = conv_out(h, kh, sh, ph, dh), conv_out(wd, kw, sw, pw, dw)
    y = np.empty((n, nout, max(ho, 0), max(wo, 0)), x.dtype)
    if y.size == 0:
        return y
    geo = (cg, kh, kw, sh, sw, ph, pw, dh, dw, wo)
    k = cg * kh * kw
    per, rows = _tiling(n, k, ho, wo, x.itemsize)
    bias = contiguous(b) if b is not None else np.zeros(1, x.dtype)
    with one_blas_thread:
        _forward(x, w.reshape(groups, nout // groups, k), bias, b is not None, geo, ho, per,
                 rows, y.reshape(n, nout, ho * wo))
    return y


def conv2d_backward(x: np.ndarray, w: np.ndarray, dy: np.ndarray, stride: Any = 1,
                    padding: Any = 0, dilation: Any = 1, groups: int = 1,
                    need: tuple[bool, bool, bool] = (True, True, True)
                    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dx, dw, db) of ``conv2d_forward``; None where ``need`` says not needed."""
    x, w, dy = contiguous(x), contiguous(w), contiguous(dy)
    n = x.shape[0]
    nout, cg, kh, kw = w.shape
    ho, wo = dy.shape[2], dy.shape[3]
    k = cg * kh * kw
    need_x, need_w, need_b = need
    dx = np.zeros(x.shape, x.dtype) if need_x else None
    dwt = np.zeros((nout, k), w.dtype) if need_w else None
    db = None
    if need_b:
        db = np.zeros(nout, dy.dtype)
        if dy.size:
            _bias_grad(dy, db)
    if (need_x or need_w) and dy.size and x.size:
        per, rows = _tiling(n, k, ho, wo, x.itemsize)
        threads = numba.get_num_threads() if need_w else 1  # get_thread_id() < this
        og = nout // groups
        parts = np.zeros((threads, groups, og, k), w.dtype)
        geo = (cg, kh, kw, *_params(stride, padding, dilation), wo)
        with one_blas_thread:
            _backward(x, w.reshape(groups, og, k), dy.reshape(n, nout, ho * wo), need_x,
                      need_w, geo, ho, per, rows,
                      dx if need_x else np.zeros((1, 1, 1, 1), x.dtype), parts)
        if need_w:
            dwt = parts.sum(axis=0).reshape(nout, k)
    return dx, dwt.reshape(w.shape) if need_w else None, db
