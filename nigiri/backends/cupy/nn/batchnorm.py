"""Batch normalisation forward and backward with our own kernels.

Per-channel statistics come from one pass of ``kernels/batchnorm.cu`` (partial sums
per channel and sample range, accumulated in float64, combined on the GPU); the
normalisation and the input gradient are flat elementwise kernels with per-channel
coefficients. Training: mean and biased variance over (N, H, W) (N for 2-d input),
y = (x - mean) * invstd * gamma + beta; running statistics updated in place with the
unbiased variance (PyTorch's convention: running = (1 - momentum) * running +
momentum * batch). Inference: normalise with the running statistics, which are then
also returned as (saved_mean, saved_invstd). Backward uses the training formula.
"""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from .._sources import ctype, kernel_source, with_defines

__all__ = ["forward", "backward"]

_THREADS = 256
_mods: dict[np.dtype, Any] = {}
_NULL = np.uint64(0)

_NORM = cp.ElementwiseKernel(
    "T x, raw T m, raw T a, raw T b, uint32 inner, uint32 channels", "T y",
    "unsigned int c = ((unsigned int)i / inner) % channels; y = (x - m[c]) * a[c] + b[c];",
    "nigiri_bn_norm")
_DX = cp.ElementwiseKernel(
    "T dy, T x, raw T m, raw T a, raw T b, raw T k, uint32 inner, uint32 channels", "T dx",
    "unsigned int c = ((unsigned int)i / inner) % channels;"
    " dx = a[c] * dy + b[c] * (x - m[c]) + k[c];",
    "nigiri_bn_dx")


def _fn(dtype: np.dtype, name: str) -> Any:
    mod = _mods.get(dtype)
    if mod is None:
        src = with_defines(kernel_source("batchnorm.cu"), {"T": ctype(dtype), "ACC": "double"})
        mod = _mods[dtype] = cp.RawModule(code=src)
    return mod.get_function(name)


def _partials(x: Any, dy: Any, mean: Any) -> tuple[Any, Any, int]:
    """Per (channel, sample range) partial sums of ``kernels/batchnorm.cu``."""
    n, c = x.shape[:2]
    hw = x.size // max(n * c, 1)
    nsplit = max(1, min(n, -(-4 * 132 // max(c, 1))))
    out1 = cp.empty(c * nsplit, np.float64)
    out2 = cp.empty(c * nsplit, np.float64)
    _fn(x.dtype, "nigiri_bn_partial")(
        (c * nsplit,), (_THREADS,),
        (x, dy if dy is not None else _NULL, mean if mean is not None else _NULL,
         np.int64(n), np.int64(c), np.int64(hw), np.int64(nsplit), out1, out2))
    return out1, out2, nsplit


def _opt(v: Any) -> Any:
    return cp.ascontiguousarray(v) if v is not None else _NULL


def _flat(x: Any) -> tuple[np.uint32, np.uint32]:
    n, c = x.shape[:2]
    return np.uint32(x.size // max(n * c, 1)), np.uint32(c)


def forward(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any,
            momentum: float, eps: float, training: bool) -> tuple[Any, Any, Any]:
    """(y, saved_mean, saved_invstd); running statistics updated in place."""
    x = cp.ascontiguousarray(x)
    n, c = x.shape[:2]
    hw = x.size // max(n * c, 1)
    dt = x.dtype
    if training and x.size == 0:
        return cp.empty_like(x), cp.zeros(c, dt), cp.zeros(c, dt)
    if training:
        p1, p2, nsplit = _partials(x, None, None)
    else:
        p1 = p2 = _NULL
        nsplit = 1
    vec = cp.empty((4, c), dt)
    mean, invstd, a, b = vec[0], vec[1], vec[2], vec[3]
    rm, rv = _opt(running_mean), _opt(running_var)
    _fn(dt, "nigiri_bn_finalize_fwd")(
        (-(-c // _THREADS),), (_THREADS,),
        (p1, p2, x, _opt(gamma), _opt(beta), rm, rv,
         np.int64(c), np.int64(hw), np.int64(nsplit), np.float64(max(x.size // max(c, 1), 1)),
         np.float64(momentum), np.float64(eps), np.int32(bool(training)),
         mean, invstd, a, b))
    for dst, src in ((running_mean, rm), (running_var, rv)):
        if dst is not None and src is not dst:  # a non-contiguous running buffer
            dst[...] = src
    y = cp.empty_like(x)
    if y.size:
        _NORM(x, mean, a, b, *_flat(x), y)
    return y, mean, invstd


def backward(dy: Any, x: Any, gamma: Any, saved_mean: Any, saved_invstd: Any
             ) -> tuple[Any, Any, Any]:
    """(dx, dgamma, dbeta) of the training-mode forward."""
    x = cp.ascontiguousarray(x)
    dy = cp.ascontiguousarray(dy)
    c = x.shape[1]
    dt = x.dtype
    mean = cp.ascontiguousarray(saved_mean.astype(dt, copy=False))
    invstd = cp.ascontiguousarray(saved_invstd.astype(dt, copy=False))
    vec = cp.zeros((5, c), dt)
    if x.size:
        p1, p2, nsplit = _partials(x, dy, mean)
        _fn(dt, "nigiri_bn_finalize_bwd")(
            (-(-c // _THREADS),), (_THREADS,),
            (p1, p2, invstd, _opt(gamma), np.int64(c), np.int64(nsplit),
             np.float64(x.size // max(c, 1)), vec[0], vec[1], vec[2], vec[3], vec[4]))
    dx = cp.empty_like(x)
    if dx.size:
        _DX(dy, x, mean, vec[2], vec[3], vec[4], *_flat(x), dx)
    return dx, vec[0], vec[1]
