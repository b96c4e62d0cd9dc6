"""Convolution and pooling composed from the array API (the reference for fast paths).

Both unfold the input into ``kh*kw`` strided views (one per kernel offset) stacked
along a new leading axis; a convolution is then one GEMM (``ng.matmul``) and a pooling
one reduction. Backward folds the pieces back by adding each into a strided view of
a zero buffer. Layout trick: the convolution works on ``(C, N, H, W)`` so that the
GEMM is a single ``(O, K) @ (K, N*Ho*Wo)`` product and its output is already
``(O, N, Ho, Wo)``; it returns an NCHW *view* of that (no copy).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nigiri as ng
from nigiri.arrays.array import Array

__all__ = ["conv_out_size", "pool_out_size", "conv2d_composite", "conv2d_backward_composite",
           "pool2d_composite", "pool2d_backward_composite"]

Pair = tuple[int, int]


def conv_out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution along one axis."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out_size(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """Output length of a pooling along one axis (PyTorch/Caffe ceil-mode rule: the
    last window must start inside the input or its left padding)."""
    span = size + 2 * p - k
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pad(x: Any, lo: Pair, hi: Pair, value: float) -> Any:
    """``x`` (4-d) padded on its last two axes: ``lo``/``hi`` = (rows, cols)."""
    if lo == (0, 0) and hi == (0, 0):
        return x
    a, b, h, w = x.shape
    be = x._be
    out = be.full((a, b, h + lo[0] + hi[0], w + lo[1] + hi[1]), x.dtype.type(value), x.dtype)
    key = (slice(0, a, 1), slice(0, b, 1), slice(lo[0], lo[0] + h, 1), slice(lo[1], lo[1] + w, 1))
    be.copy_into(be.slice_view(out, key), x._buf)
    return Array._new(out, be)


# The unfold / fold loops below run on backend buffers through the contract's
# primitives (slice_view, copy_into, binary, where): their arguments are valid by
# construction, and skipping the array layer's per-call checks removes most of the
# Python time of a convolution (25 views per 5x5 kernel).
def _view_keys(lead: tuple[int, int], k: Pair, s: Pair, d: Pair, out: Pair) -> list[tuple]:
    head = (slice(0, lead[0], 1), slice(0, lead[1], 1))
    keys = []
    for i in range(k[0]):
        r0 = i * d[0]
        rows = slice(r0, r0 + s[0] * (out[0] - 1) + 1, s[0])
        for j in range(k[1]):
            c0 = j * d[1]
            keys.append(head + (rows, slice(c0, c0 + s[1] * (out[1] - 1) + 1, s[1])))
    return keys


def _view_bufs(xp: Any, k: Pair, s: Pair, d: Pair, out: Pair) -> list[Any]:
    """The ``kh*kw`` strided views (buffers) of ``xp`` (A, B, Hp, Wp), each (A, B, Ho, Wo)."""
    be, buf = xp._be, xp._buf
    return [be.slice_view(buf, key) for key in _view_keys(xp.shape[:2], k, s, d, out)]


def _stack(xp: Any, k: Pair, s: Pair, d: Pair, out: Pair) -> Any:
    """The views of ``xp`` stacked on a new leading axis: (kh*kw, A, B, Ho, Wo)."""
    be = xp._be
    views = _view_bufs(xp, k, s, d, out)
    cols = be.empty((len(views),) + tuple(xp.shape[:2]) + tuple(out), xp.dtype)
    for i, v in enumerate(views):
        be.copy_into(be.slice_view(cols, (i,)), v)
    return Array._new(cols, be)


def _channel_major(x: Any) -> bool:
    """True when the NCHW Array ``x`` is a view of (C, N, H, W) memory (what the
    convolution composite returns), judged from the buffer's strides when it has them."""
    st = getattr(x._buf, "strides", None)
    return st is not None and len(st) == 4 and x.shape[0] > 1 and x.shape[1] > 1 and st[0] < st[1]


def _fold(parts: Any, shape: tuple[int, ...], k: Pair, s: Pair, d: Pair, out: Pair,
          channel_major: bool = False) -> Any:
    """Inverse of the unfold: add ``parts[i*kw+j]`` (a stacked Array or a list of
    Arrays) into a zero buffer of ``shape`` at the strided positions of offset (i, j).
    ``channel_major`` lays the (N, C, ...) buffer out as (C, N, ...) in memory (an NCHW
    view of it), matching the layout of the arrays around it."""
    first = parts[0] if isinstance(parts, list) else parts
    be, dt = first._be, first.dtype
    if channel_major:
        buf = be.permute(be.full((shape[1], shape[0]) + tuple(shape[2:]), dt.type(0), dt), (1, 0, 2, 3))
    else:
        buf = be.full(tuple(shape), dt.type(0), dt)
    disjoint = s[0] >= d[0] * (k[0] - 1) + 1 and s[1] >= d[1] * (k[1] - 1) + 1
    for n, key in enumerate(_view_keys(tuple(shape[:2]), k, s, d, out)):
        part = parts[n]._buf if isinstance(parts, list) else be.slice_view(parts._buf, (n,))
        view = be.slice_view(buf, key)
        if disjoint:  # windows do not overlap: plain writes
            be.copy_into(view, part)
        else:
            be.copy_into(view, be.binary("add", view, part))
    return Array._new(buf, be)


def conv2d_composite(x: Any, w: Any, b: Any, stride: Pair, padding: Pair, dilation: Pair,
                     groups: int) -> tuple[Any, Any]:
    """Forward convolution; returns ``(y, cols)`` (``cols`` reused by backward)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = conv_out_size(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_out_size(wd, kw, stride[1], padding[1], dilation[1])
    xt = ng.permute_dims(x, (1, 0, 2, 3))
    xp = _pad(xt, padding, padding, 0.0)
    kk, nl = kh * kw, n * ho * wo
    cols = _stack(xp, (kh, kw), stride, dilation, (ho, wo))
    wmat = ng.permute_dims(w, (0, 2, 3, 1))  # (O, kh, kw, Cg): matches cols' K order
    if groups == 1:
        y = ng.matmul(ng.reshape(wmat, (o, kk * c)), ng.reshape(cols, (kk * c, nl)))
    else:
        colsg = ng.reshape(ng.permute_dims(ng.reshape(cols, (kk, groups, cg, nl)), (1, 0, 2, 3)),
                           (groups, kk * cg, nl))
        y = ng.matmul(ng.reshape(wmat, (groups, o // groups, kk * cg)), colsg)
    y = ng.reshape(y, (o, n, ho, wo))
    if b is not None:
        y = y + ng.reshape(b, (o, 1, 1, 1))
    return ng.permute_dims(y, (1, 0, 2, 3)), cols


def conv2d_backward_composite(x: Any, w: Any, dy: Any, stride: Pair, padding: Pair,
                              dilation: Pair, groups: int, need: tuple[bool, bool, bool],
                              cols: Any = None) -> tuple[Any, Any, Any]:
    """Gradients ``(dx, dw, db)`` of ``conv2d_composite`` (None where not needed)."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = dy.shape[2], dy.shape[3]
    kk, nl, og = kh * kw, n * ho * wo, o // groups
    dyt = ng.reshape(ng.permute_dims(dy, (1, 0, 2, 3)), (o, nl))
    dx = dw = db = None
    if need[2]:
        db = ng.sum(dyt, axis=1)
    wmat = ng.permute_dims(w, (0, 2, 3, 1))
    if need[1]:
        if cols is None:
            xp = _pad(ng.permute_dims(x, (1, 0, 2, 3)), padding, padding, 0.0)
            cols = _stack(xp, (kh, kw), stride, dilation, (ho, wo))
        if groups == 1:
            dwm = ng.matmul(dyt, ng.permute_dims(ng.reshape(cols, (kk * c, nl)), (1, 0)))
        else:
            colsg = ng.reshape(ng.permute_dims(ng.reshape(cols, (kk, groups, cg, nl)), (1, 0, 2, 3)),
                               (groups, kk * cg, nl))
            dwm = ng.matmul(ng.reshape(dyt, (groups, og, nl)), ng.permute_dims(colsg, (0, 2, 1)))
        dw = ng.permute_dims(ng.reshape(dwm, (o, kh, kw, cg)), (0, 3, 1, 2))
        dw = ng.asarray(dw, copy=True)
    if need[0]:
        if groups == 1:
            dcols = ng.matmul(ng.permute_dims(ng.reshape(wmat, (o, kk * c)), (1, 0)), dyt)
            dcols = ng.reshape(dcols, (kk, c, n, ho, wo))
        else:
            wg = ng.reshape(wmat, (groups, og, kk * cg))
            dcg = ng.matmul(ng.permute_dims(wg, (0, 2, 1)), ng.reshape(dyt, (groups, og, nl)))
            dcols = ng.reshape(ng.permute_dims(ng.reshape(dcg, (groups, kk, cg, nl)), (1, 0, 2, 3)),
                               (kk, c, n, ho, wo))
        hp, wp = h + 2 * padding[0], wd + 2 * padding[1]
        dxp = _fold(dcols, (c, n, hp, wp), (kh, kw), stride, dilation, (ho, wo))
        dxt = dxp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + wd]
        dx = ng.permute_dims(dxt, (1, 0, 2, 3))
    return dx, dw, db


_DIVISORS: dict[tuple, np.ndarray] = {}


def _avg_divisor(h: int, w: int, k: Pair, s: Pair, p: Pair, out: Pair,
                 include_pad: bool) -> np.ndarray:
    """``1 / window size`` per output position (host, cached)."""
    key = (h, w, k, s, p, out, include_pad)
    inv = _DIVISORS.get(key)
    if inv is None:
        axes = []
        for size, kk, ss, pp, oo in ((h, k[0], s[0], p[0], out[0]), (w, k[1], s[1], p[1], out[1])):
            start = np.arange(oo) * ss - pp
            stop = np.minimum(start + kk, size + pp)
            if not include_pad:
                start, stop = np.maximum(start, 0), np.minimum(stop, size)
            axes.append(stop - start)
        inv = (1.0 / np.outer(axes[0], axes[1])).astype(np.float32)
        if len(_DIVISORS) > 256:
            _DIVISORS.clear()
        _DIVISORS[key] = inv
    return inv


def _pool_geometry(x: Any, k: Pair, s: Pair, p: Pair, ceil_mode: bool) -> tuple[Pair, Pair]:
    h, w = x.shape[2], x.shape[3]
    out = (pool_out_size(h, k[0], s[0], p[0], ceil_mode), pool_out_size(w, k[1], s[1], p[1], ceil_mode))
    extra = (max(0, (out[0] - 1) * s[0] + k[0] - (h + 2 * p[0])),
             max(0, (out[1] - 1) * s[1] + k[1] - (w + 2 * p[1])))
    return out, extra


def pool2d_composite(x: Any, kind: str, k: Pair, s: Pair, p: Pair, ceil_mode: bool,
                     count_include_pad: bool = True, need_index: bool = True) -> tuple[Any, Any]:
    """Max or average pooling; returns ``(y, index)``: the window offset of each
    maximum (int32; None for average pooling or when not ``need_index``)."""
    out, extra = _pool_geometry(x, k, s, p, ceil_mode)
    fill = -math.inf if kind == "max" else 0.0
    xp = _pad(x, p, (p[0] + extra[0], p[1] + extra[1]), fill)
    be, dt = x._be, x.dtype
    views = _view_bufs(xp, k, s, (1, 1), out)
    if kind == "max":
        # running maximum over the window offsets, no stacked copy: ``maximum``
        # propagates NaN; the index keeps the first maximum on ties
        best = views[0]
        idx = be.full(tuple(best.shape), np.int32(0), np.dtype(np.int32)) if need_index else None
        for i, v in enumerate(views[1:], start=1):
            if need_index:
                idx = be.where(be.binary("greater", v, best), np.int32(i), idx)
            best = be.binary("maximum", best, v)
        if len(views) == 1:
            best = be.copy(best)
        return Array._new(best, be), (None if idx is None else Array._new(idx, be))
    total = views[0]
    for v in views[1:]:
        total = be.binary("add", total, v)
    if len(views) == 1:
        total = be.copy(total)
    inv = _avg_divisor(x.shape[2], x.shape[3], k, s, p, out, count_include_pad)
    return Array._new(total, be) * ng.asarray(inv, dtype=dt, device=x.device), None


def pool2d_backward_composite(dy: Any, x: Any, index: Any, kind: str, k: Pair, s: Pair,
                              p: Pair, ceil_mode: bool, count_include_pad: bool = True) -> Any:
    """Gradient of ``pool2d_composite`` with respect to ``x``."""
    n, c, h, w = x.shape
    out, extra = _pool_geometry(x, k, s, p, ceil_mode)
    kk = k[0] * k[1]
    if kind == "max":
        be, ib, zero = dy._be, index._buf, dy.dtype.type(0)
        parts = [Array._new(be.where(be.binary("equal", ib, ib.dtype.type(i)), dy._buf, zero), be)
                 for i in range(kk)]
    else:
        inv = _avg_divisor(h, w, k, s, p, out, count_include_pad)
        parts = [dy * ng.asarray(inv, dtype=dy.dtype, device=dy.device)] * kk
    shape = (n, c, h + 2 * p[0] + extra[0], w + 2 * p[1] + extra[1])
    dxp = _fold(parts, shape, k, s, (1, 1), out, channel_major=_channel_major(x))
    return dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + w]
