"""conv2d forward and backward as im2col + cuBLAS GEMM (always available).

Layout: ``col`` is (C/g*kh*kw, N*Ho*Wo) so that each of the three products is one
GEMM per group: y = W @ col, dW = dy @ col^T, dcol = W^T @ dy (then col2im, a gather
without atomics, so results are deterministic). The GEMMs go through ``_blas.matmul``
and therefore honour the TF32 setting. float32 and float64.
"""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from .. import _blas
from .._sources import ctype, kernel_source, with_defines
from ...nn_shapes import conv_out

__all__ = ["forward", "backward", "SUPPORTED"]

SUPPORTED = (np.dtype(np.float32), np.dtype(np.float64))
_THREADS = 256
_mods: dict[np.dtype, Any] = {}
_ADD = cp.ElementwiseKernel("T a, T b", "T y", "y = a + b", "nigiri_conv_bias")


def _kernels(dtype: np.dtype) -> tuple[Any, Any]:
    mod = _mods.get(dtype)
    if mod is None:
        t = ctype(dtype)
        mod = _mods[dtype] = cp.RawModule(code=with_defines(kernel_source("im2col.cu"), {"T": t, "ACC": t}))
    return mod.get_function("nigiri_im2col"), mod.get_function("nigiri_col2im")


def _grid(total: int) -> tuple[int]:
    return (int(min(max(1, -(-total // _THREADS)), 65535 * 8)),)


def _geometry(x: Any, w: Any, stride, padding, dilation, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho = conv_out(h, kh, stride[0], padding[0], dilation[0])
    wo = conv_out(wd, kw, stride[1], padding[1], dilation[1])
    return n, c, h, wd, o, cg, kh, kw, ho, wo


def _args(n, c, c0, cg, h, wd, kh, kw, stride, padding, dilation, ho, wo):
    return tuple(np.int64(v) for v in (n, c, c0, cg, h, wd, kh, kw, stride[0], stride[1],
                                       padding[0], padding[1], dilation[0], dilation[1], ho, wo))


def _im2col(x, g, geo, stride, padding, dilation):
    n, c, h, wd, o, cg, kh, kw, ho, wo = geo
    col = cp.empty((cg * kh * kw, n * ho * wo), x.dtype)
    im2col, _ = _kernels(x.dtype)
    im2col(_grid(col.size), (_THREADS,),
           (x, col) + _args(n, c, g * cg, cg, h, wd, kh, kw, stride, padding, dilation, ho, wo))
    return col


def forward(x: Any, w: Any, b: Any, stride, padding, dilation, groups: int) -> Any:
    """y[N, O, Ho, Wo] of a grouped, strided, dilated, zero-padded convolution."""
    x = cp.ascontiguousarray(x)
    w = cp.ascontiguousarray(w)
    geo = _geometry(x, w, stride, padding, dilation, groups)
    n, c, h, wd, o, cg, kh, kw, ho, wo = geo
    og = o // groups
    w2 = w.reshape(o, cg * kh * kw)
    if groups == 1:
        y2 = _blas.matmul(w2, _im2col(x, 0, geo, stride, padding, dilation))
    else:
        y2 = cp.empty((o, n * ho * wo), x.dtype)
        for g in range(groups):
            col = _im2col(x, g, geo, stride, padding, dilation)
            y2[g * og:(g + 1) * og] = _blas.matmul(w2[g * og:(g + 1) * og], col)
    y2 = y2.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)
    if b is None:
        return cp.ascontiguousarray(y2)
    y = cp.empty((n, o, ho, wo), x.dtype)
    return _ADD(y2, b.reshape(1, o, 1, 1), y)  # transpose and bias in one pass


def backward(x: Any, w: Any, dy: Any, stride, padding, dilation, groups: int,
             need: tuple[bool, bool, bool]) -> tuple[Any, Any, Any]:
    """(dx, dw, db) of ``forward``; None for the ones not needed."""
    x = cp.ascontiguousarray(x)
    w = cp.ascontiguousarray(w)
    geo = _geometry(x, w, stride, padding, dilation, groups)
    n, c, h, wd, o, cg, kh, kw, ho, wo = geo
    og = o // groups
    dy2 = cp.ascontiguousarray(dy.transpose(1, 0, 2, 3)).reshape(o, n * ho * wo)
    w2 = w.reshape(o, cg * kh * kw)
    dx = cp.empty(x.shape, x.dtype) if need[0] else None
    dw = cp.empty(w.shape, w.dtype) if need[1] else None
    _, col2im = _kernels(x.dtype)
    for g in range(groups):
        dyg = dy2[g * og:(g + 1) * og]
        if need[1]:
            col = _im2col(x, g, geo, stride, padding, dilation)
            dwg = _blas.matmul(dyg, col.T)
            if groups == 1:
                dw = dwg.reshape(w.shape)
            else:
                dw.reshape(o, cg * kh * kw)[g * og:(g + 1) * og] = dwg
            del col
        if need[0]:
            dcol = _blas.matmul(w2[g * og:(g + 1) * og].T, dyg)
            col2im(_grid(n * cg * h * wd), (_THREADS,),
                   (dcol, dx) + _args(n, c, g * cg, cg, h, wd, kh, kw, stride, padding,
                                      dilation, ho, wo))
    db = _blas.bias_grad(dy) if need[2] else None
    return dx, dw, db
