"""2-d max and average pooling (``kernels/pool.cu``), float32 and float64.

Semantics (matching PyTorch's defaults): max pooling ignores padding and propagates
NaN; the argmax is the int64 flat index ``h * W + w`` inside each input plane; average
pooling divides by the window size inside the padded input (count_include_pad).
Backward passes gather per input pixel (deterministic, no atomics).
"""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from .._sources import ctype, kernel_source, with_defines
from ...nn_shapes import pool_out

__all__ = ["forward", "backward", "SUPPORTED"]

SUPPORTED = (np.dtype(np.float32), np.dtype(np.float64))
_THREADS = 256
_mods: dict[np.dtype, Any] = {}


def _fn(dtype: np.dtype, name: str) -> Any:
    mod = _mods.get(dtype)
    if mod is None:
        mod = _mods[dtype] = cp.RawModule(
            code=with_defines(kernel_source("pool.cu"), {"T": ctype(dtype)}))
    return mod.get_function(name)


def _grid(total: int) -> tuple[int]:
    return (int(min(max(1, -(-total // _THREADS)), 65535 * 8)),)


def _geometry(shape, ksize, stride, padding, ceil_mode):
    n, c, h, w = shape
    ho = pool_out(h, ksize[0], stride[0], padding[0], ceil_mode)
    wo = pool_out(w, ksize[1], stride[1], padding[1], ceil_mode)
    args = tuple(np.int64(v) for v in (n * c, h, w, ho, wo, ksize[0], ksize[1], stride[0],
                                       stride[1], padding[0], padding[1]))
    return (n, c, ho, wo), args


def forward(x: Any, kind: str, ksize, stride, padding, ceil_mode: bool) -> tuple[Any, Any]:
    """(y, argmax or None) of max or average pooling."""
    x = cp.ascontiguousarray(x)
    shape, args = _geometry(x.shape, ksize, stride, padding, ceil_mode)
    y = cp.empty(shape, x.dtype)
    total = y.size
    if kind == "max":
        arg = cp.empty(shape, np.int64)
        if total:
            _fn(x.dtype, "nigiri_maxpool_fwd")(_grid(total), (_THREADS,), (x, y, arg) + args)
        return y, arg
    if total:
        _fn(x.dtype, "nigiri_avgpool_fwd")(_grid(total), (_THREADS,), (x, y) + args)
    return y, None


def backward(dy: Any, x: Any, argmax: Any, kind: str, ksize, stride, padding,
             ceil_mode: bool) -> Any:
    """dx of ``forward``."""
    dy = cp.ascontiguousarray(dy)
    _, args = _geometry(x.shape, ksize, stride, padding, ceil_mode)
    dx = cp.empty(x.shape, dy.dtype)
    if dx.size == 0:
        return dx
    if kind == "max":
        _fn(dy.dtype, "nigiri_maxpool_bwd")(_grid(dx.size), (_THREADS,),
                                            (dy, cp.ascontiguousarray(argmax), dx) + args)
    else:
        _fn(dy.dtype, "nigiri_avgpool_bwd")(_grid(dx.size), (_THREADS,), (dy, dx) + args)
    return dx
