"""nn fast paths for pooling (NCHW, float32/float64) on Numba kernels.

Pooling follows PyTorch: max pooling pads with -inf and propagates NaN, average
pooling counts padding in the divisor (count_include_pad=True) but not the part of a
ceil_mode window that lies past the padded input. One parallel task per (sample,
channel) plane, so the backward passes have no write races.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from ..nn_shapes import pair as _pair
from ..nn_shapes import pool_out as pool_out_size
from .reductions import contiguous

__all__ = ["pool2d_forward", "pool2d_backward"]


@njit(cache=True, nogil=True, parallel=True)
def _maxpool(x, kh, kw, sh, sw, ph, pw, y, arg):  # pragma: no cover - compiled
    """Max pooling, one task per (sample, channel) plane, window offsets outermost: the
    inner loop runs along an output row without branches (a window-at-a-time loop,
    with two-iteration inner loops of runtime length, was 2.3x slower). Offsets go in
    the window's row-major order and only a strictly greater value (or the first NaN)
    replaces the best so far, so ties and NaNs resolve as a window scan would."""
    N, C, H, W = x.shape
    ho, wo = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = x[n, c]
        yp = y[n, c]
        ap = arg[n, c]
        for oh in range(ho):
            for ow in range(wo):
                yp[oh, ow] = -np.inf
                ap[oh, ow] = -1
        for i in range(kh):
            # the output rows (columns) whose window row i (column j) is inside x
            oh0 = max(0, (ph - i + sh - 1) // sh)
            oh1 = min(ho, (H - 1 + ph - i) // sh + 1)
            for j in range(kw):
                ow0 = max(0, (pw - j + sw - 1) // sw)
                ow1 = min(wo, (W - 1 + pw - j) // sw + 1)
                for oh in range(oh0, oh1):
                    h = oh * sh - ph + i
                    for ow in range(ow0, ow1):
                        w = ow * sw - pw + j
                        v = xp[h, w]
                        best = yp[oh, ow]
                        bi = ap[oh, ow]
                        take = (bi < 0) | (v > best) | ((v != v) & (best == best))
                        yp[oh, ow] = v if take else best
                        ap[oh, ow] = h * W + w if take else bi


@njit(cache=True, nogil=True, parallel=True)
def _maxpool2(x, y, arg):  # pragma: no cover - compiled
    """2x2 windows, stride 2, no padding, all inside x (LeNet's, VGG's): the four
    candidates in _maxpool's order, without loops over the window."""
    N, C, H, W = x.shape
    ho, wo = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        xp = x[n, c]
        yp = y[n, c]
        ap = arg[n, c]
        for oh in range(ho):
            h = 2 * oh
            for ow in range(wo):
                w = 2 * ow
                best = xp[h, w]
                bi = h * W + w
                v = xp[h, w + 1]
                take = (v > best) | ((v != v) & (best == best))
                best = v if take else best
                bi = bi + 1 if take else bi
                v = xp[h + 1, w]
                take = (v > best) | ((v != v) & (best == best))
                best = v if take else best
                bi = (h + 1) * W + w if take else bi
                v = xp[h + 1, w + 1]
                take = (v > best) | ((v != v) & (best == best))
                yp[oh, ow] = v if take else best
                ap[oh, ow] = (h + 1) * W + w + 1 if take else bi


@njit(cache=True, nogil=True)
def _avg_window(o, k, s, p, size):  # pragma: no cover - compiled
    """(first, end) of output position ``o``'s window inside the input, and its
    divisor: the window's length counting the padding (count_include_pad) but not
    the part of a ceil_mode window past the padded input."""
    start = o * s - p
    end = min(start + k, size + p)
    return max(start, 0), min(end, size), end - start


@njit(cache=True, nogil=True, parallel=True)
def _avgpool(x, kh, kw, sh, sw, ph, pw, y):  # pragma: no cover - compiled
    N, C, H, W = x.shape
    ho, wo = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        for oh in range(ho):
            i0, i1, dh = _avg_window(oh, kh, sh, ph, H)
            for ow in range(wo):
                j0, j1, dw = _avg_window(ow, kw, sw, pw, W)
                acc = 0.0
                for i in range(i0, i1):
                    for j in range(j0, j1):
                        acc += x[n, c, i, j]
                y[n, c, oh, ow] = acc / (dh * dw)


def _pool_params(ksize: Any, stride: Any, padding: Any) -> tuple[int, ...]:
    kh, kw = _pair(ksize, "pool2d ksize")
    sh, sw = _pair(stride if stride is not None else (kh, kw), "pool2d stride")
    ph, pw = _pair(padding, "pool2d padding")
    return kh, kw, sh, sw, ph, pw


def pool2d_forward(x: np.ndarray, kind: str, ksize: Any, stride: Any = None,
                   padding: Any = 0, ceil_mode: bool = False
                   ) -> tuple[np.ndarray, np.ndarray | None]:
    """(y, argmax) for ``kind`` 'max' (argmax: int64 flat h*W+w index into each
    input plane) or 'avg' (argmax None)."""
    if kind not in ("max", "avg"):
        raise ValueError(f"pool2d_forward: kind must be 'max' or 'avg', got {kind!r}")
    kh, kw, sh, sw, ph, pw = _pool_params(ksize, stride, padding)
    x = contiguous(x)
    N, C, H, W = x.shape
    ho = pool_out_size(H, kh, sh, ph, ceil_mode)
    wo = pool_out_size(W, kw, sw, pw, ceil_mode)
    y = np.empty((N, C, max(ho, 0), max(wo, 0)), x.dtype)
    if kind == "max":
        arg = np.empty(y.shape, np.int64)
        if y.size and (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0) and 2 * ho <= H and 2 * wo <= W:
            _maxpool2(x, y, arg)
        elif y.size:
            _maxpool(x, kh, kw, sh, sw, ph, pw, y, arg)
        return y, arg
    if y.size:
        _avgpool(x, kh, kw, sh, sw, ph, pw, y)
    return y, None


@njit(cache=True, nogil=True, parallel=True)
def _maxpool_back(dy, arg, dx):  # pragma: no cover - compiled
    N, C, ho, wo = dy.shape
    W = dx.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        for oh in range(ho):
            for ow in range(wo):
                a = arg[n, c, oh, ow]
                if a >= 0:
                    dx[n, c, a // W, a % W] += dy[n, c, oh, ow]


@njit(cache=True, nogil=True, parallel=True)
def _avgpool_back(dy, kh, kw, sh, sw, ph, pw, dx):  # pragma: no cover - compiled
    N, C, H, W = dx.shape
    ho, wo = dy.shape[2], dy.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        for oh in range(ho):
            i0, i1, dh = _avg_window(oh, kh, sh, ph, H)
            for ow in range(wo):
                j0, j1, dw = _avg_window(ow, kw, sw, pw, W)
                g = dy[n, c, oh, ow] / (dh * dw)
                for i in range(i0, i1):
                    for j in range(j0, j1):
                        dx[n, c, i, j] += g


def pool2d_backward(dy: np.ndarray, x: np.ndarray, argmax: np.ndarray | None, kind: str,
                    ksize: Any, stride: Any = None, padding: Any = 0,
                    ceil_mode: bool = False) -> np.ndarray:
    """dx of ``pool2d_forward`` (same parameters; ``argmax`` from the forward pass)."""
    kh, kw, sh, sw, ph, pw = _pool_params(ksize, stride, padding)
    dy = contiguous(dy)
    dx = np.zeros(x.shape, dy.dtype)
    if dy.size == 0:
        return dx
    if kind == "max":
        if argmax is None:
            raise ValueError("pool2d_backward: max pooling needs the argmax of the forward pass")
        _maxpool_back(dy, contiguous(argmax), dx)
    elif kind == "avg":
        _avgpool_back(dy, kh, kw, sh, sw, ph, pw, dx)
    else:
        raise ValueError(f"pool2d_backward: kind must be 'max' or 'avg', got {kind!r}")
    return dx
