"""nn fast paths for convolution and pooling (NCHW, float32/float64) on Numba kernels.

conv2d: parallel im2col into a (K, samples*Ho*Wo) column buffer (K = C/groups*kh*kw),
one BLAS GEMM per group (``_gemm``), and a parallel scatter of the
result (plus bias) into NCHW; samples are processed in chunks so the column buffer
stays under ``COL_BYTES``. The backward pass reuses the columns for dW and a
parallel col2im (one task per (sample, channel), so no write races) for dX.
Pooling follows PyTorch: max pooling pads with -inf and propagates NaN, average
pooling counts padding in the divisor (count_include_pad=True) but not the part of a
ceil_mode window that lies past the padded input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from .reductions import contiguous
from ..nn_shapes import conv_out, pair, pool_out

__all__ = ["conv2d_forward", "conv2d_backward", "pool2d_forward", "pool2d_backward",
           "conv_out_size", "pool_out_size"]

#: upper bound for one im2col buffer; larger batches are processed in chunks
COL_BYTES = 64 << 20


# shape arithmetic shared with the other backends' fast paths
_pair = pair
conv_out_size = conv_out
pool_out_size = pool_out


@njit(cache=True, nogil=True)
def _valid(wo, W, sw, off):  # pragma: no cover - compiled
    """Range [lo, hi) of output columns ow with 0 <= ow*sw + off < W."""
    lo = 0 if off >= 0 else (-off + sw - 1) // sw
    hi = 0 if W - 1 - off < 0 else min(wo, (W - 1 - off) // sw + 1)
    return min(lo, wo), max(hi, min(lo, wo))


@njit(cache=True, nogil=True, parallel=True)
def _im2col(x, n0, n1, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols):  # pragma: no cover
    H, W = x.shape[2], x.shape[3]
    howo = ho * wo
    for r in prange(cg * kh * kw):
        c = r // (kh * kw)
        ij = r - c * kh * kw
        i = ij // kw
        j = ij - i * kw
        off = j * dw - pw
        lo, hi = _valid(wo, W, sw, off)
        cc = c0 + c
        for n in range(n0, n1):
            base = (n - n0) * howo
            for oh in range(ho):
                h = oh * sh - ph + i * dh
                d = base + oh * wo
                if h < 0 or h >= H:
                    for ow in range(wo):
                        cols[r, d + ow] = 0
                    continue
                for ow in range(lo):
                    cols[r, d + ow] = 0
                for ow in range(lo, hi):
                    cols[r, d + ow] = x[n, cc, h, ow * sw + off]
                for ow in range(hi, wo):
                    cols[r, d + ow] = 0


def _gemm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One BLAS sgemm/dgemm. Through NumPy's bundled OpenBLAS rather than Numba's
    ``np.dot`` (which binds SciPy's OpenBLAS): measured on the benchmark machine
    (AMD EPYC, one thread) the LeNet GEMM 50x500 @ 500x4096 takes 3.0 ms there
    against 6.4 ms through Numba, and GEMM dominates convolution."""
    return np.dot(a, b)


def _gemm_acc(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    out += _gemm(a, b)


@njit(cache=True, nogil=True, parallel=True)
def _scatter_y(res, b, has_bias, n0, n1, o0, y):  # pragma: no cover - compiled
    og = res.shape[1]
    howo = y.shape[2] * y.shape[3]
    wo = y.shape[3]
    for t in prange((n1 - n0) * og):
        nn = t // og
        o = t - nn * og
        bias = b[o0 + o] if has_bias else 0
        for q in range(howo):
            y[n0 + nn, o0 + o, q // wo, q % wo] = res[nn * howo + q, o] + bias


def _chunk(n: int, k: int, howo: int, itemsize: int) -> int:
    per = max(1, k * howo * itemsize)
    return max(1, min(n, COL_BYTES // per))


def conv2d_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: Any = 1,
                   padding: Any = 0, dilation: Any = 1, groups: int = 1) -> np.ndarray:
    """y[N, O, Ho, Wo] = conv(x[N, C, H, W], w[O, C/groups, kh, kw]) + b[O]."""
    sh, sw = _pair(stride, "conv2d stride")
    ph, pw = _pair(padding, "conv2d padding")
    dh, dw = _pair(dilation, "conv2d dilation")
    x, w = contiguous(x), contiguous(w)
    N, C, H, W = x.shape
    nout, cg, kh, kw = w.shape
    ho, wo = conv_out_size(H, kh, sh, ph, dh), conv_out_size(W, kw, sw, pw, dw)
    y = np.empty((N, nout, max(ho, 0), max(wo, 0)), x.dtype)
    if y.size == 0:
        return y
    og = nout // groups
    k = cg * kh * kw
    bias = contiguous(b) if b is not None else np.zeros(1, x.dtype)
    step = _chunk(N, k, ho * wo, x.itemsize)
    for n0 in range(0, N, step):
        n1 = min(N, n0 + step)
        cols = np.empty((k, (n1 - n0) * ho * wo), x.dtype)
        for g in range(groups):
            _im2col(x, n0, n1, g * cg, cg, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols)
            wg = w[g * og:(g + 1) * og].reshape(og, k)
            res = _gemm(cols.T, wg.T)  # (samples*Ho*Wo, O/g): the tall GEMM BLAS threads best
            _scatter_y(res, bias, b is not None, n0, n1, g * og, y)
    return y


@njit(cache=True, nogil=True, parallel=True)
def _gather_dy(dy, n0, n1, o0, og, out):  # pragma: no cover - compiled
    howo = dy.shape[2] * dy.shape[3]
    wo = dy.shape[3]
    for t in prange((n1 - n0) * og):
        nn = t // og
        o = t - nn * og
        for q in range(howo):
            out[o, nn * howo + q] = dy[n0 + nn, o0 + o, q // wo, q % wo]


@njit(cache=True, nogil=True, parallel=True)
def _col2im(dcols, n0, n1, c0, cg, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, dx):  # pragma: no cover
    H, W = dx.shape[2], dx.shape[3]
    howo = ho * wo
    for t in prange((n1 - n0) * cg):
        nn = t // cg
        c = t - nn * cg
        n = n0 + nn
        for i in range(kh):
            for j in range(kw):
                r = (c * kh + i) * kw + j
                off = j * dw - pw
                lo, hi = _valid(wo, W, sw, off)
                for oh in range(ho):
                    h = oh * sh - ph + i * dh
                    if h < 0 or h >= H:
                        continue
                    src = dcols[r, nn * howo + oh * wo: nn * howo + (oh + 1) * wo]
                    xrow = dx[n, c0 + c, h]
                    for ow in range(lo, hi):
                        xrow[ow * sw + off] += src[ow]


@njit(cache=True, nogil=True, parallel=True)
def _bias_grad(dy, db):  # pragma: no cover - compiled
    for o in prange(dy.shape[1]):
        acc = 0.0
        for n in range(dy.shape[0]):
            for h in range(dy.shape[2]):
                for w in range(dy.shape[3]):
                    acc += dy[n, o, h, w]
        db[o] = acc


def conv2d_backward(x: np.ndarray, w: np.ndarray, dy: np.ndarray, stride: Any = 1,
                    padding: Any = 0, dilation: Any = 1, groups: int = 1,
                    need: tuple[bool, bool, bool] = (True, True, True)
                    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dx, dw, db) of ``conv2d_forward``; None where ``need`` says not needed."""
    sh, sw = _pair(stride, "conv2d stride")
    ph, pw = _pair(padding, "conv2d padding")
    dh, dw = _pair(dilation, "conv2d dilation")
    x, w, dy = contiguous(x), contiguous(w), contiguous(dy)
    N, C, H, W = x.shape
    nout, cg, kh, kw = w.shape
    ho, wo = dy.shape[2], dy.shape[3]
    og = nout // groups
    k = cg * kh * kw
    need_x, need_w, need_b = need
    dx = np.zeros(x.shape, x.dtype) if need_x else None
    dwt = np.zeros((nout, k), w.dtype) if need_w else None
    db = None
    if need_b:
        db = np.empty(nout, dy.dtype)
        if dy.size:
            _bias_grad(dy, db)
        else:
            db = np.zeros(nout, dy.dtype)
    if (need_x or need_w) and dy.size and x.size:
        step = _chunk(N, k, ho * wo, x.itemsize)
        for n0 in range(0, N, step):
            n1 = min(N, n0 + step)
            cols = np.empty((k, (n1 - n0) * ho * wo), x.dtype)
            dyg = np.empty((og, (n1 - n0) * ho * wo), dy.dtype)
            for g in range(groups):
                _gather_dy(dy, n0, n1, g * og, og, dyg)
                if need_w:
                    _im2col(x, n0, n1, g * cg, cg, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols)
                    _gemm_acc(dyg, cols.T, dwt[g * og:(g + 1) * og])
                if need_x:
                    wg = w[g * og:(g + 1) * og].reshape(og, k)
                    dcols = _gemm(wg.T, dyg)
                    _col2im(dcols, n0, n1, g * cg, cg, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, dx)
    dwo = dwt.reshape(w.shape) if need_w else None
    return dx, dwo, db


@njit(cache=True, nogil=True, parallel=True)
def _maxpool(x, kh, kw, sh, sw, ph, pw, y, arg):  # pragma: no cover - compiled
    N, C, H, W = x.shape
    ho, wo = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        for oh in range(ho):
            h0 = oh * sh - ph
            for ow in range(wo):
                w0 = ow * sw - pw
                best = -np.inf
                bi = -1
                for i in range(max(h0, 0), min(h0 + kh, H)):
                    for j in range(max(w0, 0), min(w0 + kw, W)):
                        v = x[n, c, i, j]
                        if bi < 0 or v > best or (v != v and best == best):
                            best = v
                            bi = i * W + j
                y[n, c, oh, ow] = best
                arg[n, c, oh, ow] = bi


@njit(cache=True, nogil=True, parallel=True)
def _avgpool(x, kh, kw, sh, sw, ph, pw, y):  # pragma: no cover - compiled
    N, C, H, W = x.shape
    ho, wo = y.shape[2], y.shape[3]
    for t in prange(N * C):
        n = t // C
        c = t - n * C
        for oh in range(ho):
            h0 = oh * sh - ph
            he = min(h0 + kh, H + ph)
            for ow in range(wo):
                w0 = ow * sw - pw
                we = min(w0 + kw, W + pw)
                div = (he - h0) * (we - w0)
                acc = 0.0
                for i in range(max(h0, 0), min(he, H)):
                    for j in range(max(w0, 0), min(we, W)):
                        acc += x[n, c, i, j]
                y[n, c, oh, ow] = acc / div


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
        if y.size:
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
            h0 = oh * sh - ph
            he = min(h0 + kh, H + ph)
            for ow in range(wo):
                w0 = ow * sw - pw
                we = min(w0 + kw, W + pw)
                g = dy[n, c, oh, ow] / ((he - h0) * (we - w0))
                for i in range(max(h0, 0), min(he, H)):
                    for j in range(max(w0, 0), min(we, W)):
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
