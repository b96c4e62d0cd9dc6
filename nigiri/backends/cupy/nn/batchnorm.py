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
_partial: dict[np.dtype, Any] = {}

_RUNNING = cp.ElementwiseKernel(
    "T mean, T var, T momentum, T unbias", "T rm, T rv",
    "rm = (T(1) - momentum) * rm + momentum * mean;"
    " rv = (T(1) - momentum) * rv + momentum * var * unbias;",
    "nigiri_bn_running")
_NORM = cp.ElementwiseKernel(
    "T x, raw T m, raw T a, raw T b, uint32 inner, uint32 channels", "T y",
    "unsigned int c = ((unsigned int)i / inner) % channels; y = (x - m[c]) * a[c] + b[c];",
    "nigiri_bn_norm")
_DX = cp.ElementwiseKernel(
    "T dy, T x, raw T m, raw T a, raw T b, raw T k, uint32 inner, uint32 channels", "T dx",
    "unsigned int c = ((unsigned int)i / inner) % channels;"
    " dx = a[c] * dy + b[c] * (x - m[c]) + k[c];",
    "nigiri_bn_dx")


def _sums(x: Any, dy: Any, mean: Any) -> tuple[Any, Any]:
    """Per-channel (s1, s2) of ``kernels/batchnorm.cu`` as float64 vectors."""
    n, c = x.shape[:2]
    hw = x.size // max(n * c, 1)
    kern = _partial.get(x.dtype)
    if kern is None:
        src = with_defines(kernel_source("batchnorm.cu"), {"T": ctype(x.dtype), "ACC": "double"})
        kern = _partial[x.dtype] = cp.RawKernel(src, "nigiri_bn_partial")
    nsplit = max(1, min(n, -(-4 * 132 // max(c, 1))))
    out1 = cp.empty(c * nsplit, np.float64)
    out2 = cp.empty(c * nsplit, np.float64)
    null = np.uint64(0)
    kern((c * nsplit,), (_THREADS,), (x, dy if dy is not None else null,
                                      mean if mean is not None else null, np.int64(n),
                                      np.int64(c), np.int64(hw), np.int64(nsplit), out1, out2))
    return out1.reshape(c, nsplit).sum(axis=1), out2.reshape(c, nsplit).sum(axis=1)


def _flat(x: Any) -> tuple[np.uint32, np.uint32]:
    n, c = x.shape[:2]
    return np.uint32(x.size // max(n * c, 1)), np.uint32(c)


def forward(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any,
            momentum: float, eps: float, training: bool) -> tuple[Any, Any, Any]:
    """(y, saved_mean, saved_invstd); running statistics updated in place."""
    x = cp.ascontiguousarray(x)
    n, c = x.shape[:2]
    count = x.size // max(c, 1)
    dt = x.dtype
    if training:
        s1, s2 = _sums(x, None, None)
        shift = x.reshape(n, c, -1)[0, :, 0].astype(np.float64)
        m1 = s1 / max(count, 1)
        mean = (shift + m1).astype(dt)
        var = cp.maximum(s2 / max(count, 1) - m1 * m1, 0.0).astype(dt)
        if running_mean is not None and running_var is not None:
            unbias = count / (count - 1) if count > 1 else 1.0
            _RUNNING(mean, var, dt.type(momentum), dt.type(unbias), running_mean, running_var)
    else:
        mean = running_mean.astype(dt, copy=True)
        var = running_var.astype(dt, copy=False)
    invstd = (1.0 / cp.sqrt(var.astype(np.float64) + eps)).astype(dt)
    a = invstd * gamma if gamma is not None else invstd
    b = beta if beta is not None else cp.zeros(c, dt)
    y = cp.empty_like(x)
    if y.size:
        _NORM(x, mean, cp.ascontiguousarray(a), cp.ascontiguousarray(b), *_flat(x), y)
    return y, mean, invstd


def backward(dy: Any, x: Any, gamma: Any, saved_mean: Any, saved_invstd: Any
             ) -> tuple[Any, Any, Any]:
    """(dx, dgamma, dbeta) of the training-mode forward."""
    x = cp.ascontiguousarray(x)
    dy = cp.ascontiguousarray(dy)
    c = x.shape[1]
    count = max(x.size // max(c, 1), 1)
    dt = x.dtype
    mean = cp.ascontiguousarray(saved_mean.astype(dt, copy=False))
    s1, s2 = _sums(x, dy, mean)
    s = saved_invstd.astype(np.float64)
    dbeta = s1
    dgamma = s * s2
    g = gamma.astype(np.float64) if gamma is not None else cp.ones(c, np.float64)
    ca = g * s
    cb = -ca * s * dgamma / count
    ck = -ca * dbeta / count
    dx = cp.empty_like(x)
    if dx.size:
        _DX(dy, x, mean, ca.astype(dt), cb.astype(dt), ck.astype(dt), *_flat(x), dx)
    return dx, dgamma.astype(dt), dbeta.astype(dt)
