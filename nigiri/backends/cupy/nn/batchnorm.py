"""Batch normalisation forward and backward as fused CuPy kernels.

Training: per-channel mean and biased variance over (N, H, W) (or N for 2-d input),
y = (x - mean) * invstd * gamma + beta; running statistics updated in place with the
unbiased variance (PyTorch's convention: running = (1 - momentum) * running +
momentum * batch). Inference: normalise with the running statistics, which are then
also returned as (saved_mean, saved_invstd). Backward uses the training formula.
"""

from __future__ import annotations

from typing import Any

import cupy as cp

__all__ = ["forward", "backward"]

_NORM = cp.ElementwiseKernel(
    "T x, T m, T s, T g, T b", "T y", "y = (x - m) * s * g + b", "nigiri_bn_norm")
_RUNNING = cp.ElementwiseKernel(
    "T mean, T var, T momentum, T unbias", "T rm, T rv",
    "rm = (T(1) - momentum) * rm + momentum * mean;"
    " rv = (T(1) - momentum) * rv + momentum * var * unbias;",
    "nigiri_bn_running")
_DGAMMA = cp.ReductionKernel(
    "T dy, T x, T m, T s", "T dg", "dy * (x - m) * s", "a + b", "dg = a", "0",
    "nigiri_bn_dgamma")
_DX = cp.ElementwiseKernel(
    "T dy, T x, T m, T s, T g, T dg, T db, T inv_count", "T dx",
    "T xhat = (x - m) * s;"
    " dx = g * s * (dy - inv_count * db - xhat * inv_count * dg);",
    "nigiri_bn_dx")


def _axes(x: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Reduced axes and the broadcast shape of per-channel vectors."""
    axes = (0,) + tuple(range(2, x.ndim))
    return axes, (1, x.shape[1]) + (1,) * (x.ndim - 2)


def forward(x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any,
            momentum: float, eps: float, training: bool) -> tuple[Any, Any, Any]:
    """(y, saved_mean, saved_invstd); running statistics updated in place."""
    axes, bshape = _axes(x)
    c = x.shape[1]
    one = cp.ones((), x.dtype)
    g = gamma.reshape(bshape) if gamma is not None else one
    b = beta.reshape(bshape) if beta is not None else cp.zeros((), x.dtype)
    if training:
        count = x.size // c
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        if running_mean is not None and running_var is not None:
            unbias = count / (count - 1) if count > 1 else 1.0
            _RUNNING(mean, var, x.dtype.type(momentum), x.dtype.type(unbias),
                     running_mean, running_var)
    else:
        mean = running_mean.copy()
        var = running_var
    invstd = 1.0 / cp.sqrt(var + x.dtype.type(eps))
    y = _NORM(x, mean.reshape(bshape), invstd.reshape(bshape), g, b)
    return y, mean, invstd.astype(x.dtype, copy=False)


def backward(dy: Any, x: Any, gamma: Any, saved_mean: Any, saved_invstd: Any
             ) -> tuple[Any, Any, Any]:
    """(dx, dgamma, dbeta) of the training-mode forward."""
    axes, bshape = _axes(x)
    c = x.shape[1]
    m = saved_mean.reshape(bshape)
    s = saved_invstd.reshape(bshape)
    dbeta = dy.sum(axis=axes)
    dgamma = _DGAMMA(dy, x, m, s, axis=axes)
    g = gamma.reshape(bshape) if gamma is not None else cp.ones((), x.dtype)
    inv_count = x.dtype.type(c / x.size) if x.size else x.dtype.type(0)
    dx = _DX(dy, x, m, s, g, dgamma.reshape(bshape), dbeta.reshape(bshape), inv_count)
    return dx, dgamma, dbeta
