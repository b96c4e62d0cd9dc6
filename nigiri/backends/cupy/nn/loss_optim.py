"""Softmax cross-entropy and the fused optimizer updates, as our own CUDA kernels."""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from .._sources import ctype, kernel_source, with_defines

__all__ = ["xent_forward", "xent_backward", "sgd_update", "adam_update"]

_THREADS = 256
_xent: dict[tuple[np.dtype, np.dtype], Any] = {}

_XENT_BWD = cp.ElementwiseKernel(
    "T p, raw L labels, raw T dloss, int64 K, int64 ignore_index", "T g",
    "long long r = i / K, j = i % K; long long lab = (long long)labels[r];"
    " g = (lab == ignore_index || lab < 0 || lab >= K) ? T(0)"
    " : dloss[r] * (p - (j == lab ? T(1) : T(0)));",
    "nigiri_softmax_xent_bwd")

_SGD = cp.ElementwiseKernel(
    "T g, T lr, T momentum, T wd, bool nesterov", "T p, T v",
    "T gg = g + wd * p; v = momentum * v + gg;"
    " p = p - lr * (nesterov ? gg + momentum * v : v);",
    "nigiri_sgd_update")

_ADAM = cp.ElementwiseKernel(
    "T g, T lr, T b1, T b2, T eps, T wd, T bc1, T bc2, bool decoupled", "T p, T m, T v",
    "T gg = g; if (decoupled) { p = p - lr * wd * p; } else { gg = g + wd * p; }"
    " m = b1 * m + (T(1) - b1) * gg; v = b2 * v + (T(1) - b2) * gg * gg;"
    " p = p - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps);",
    "nigiri_adam_update")


def xent_forward(logits: Any, labels: Any, ignore_index: int) -> tuple[Any, Any]:
    """(loss per sample, probs) of softmax cross-entropy on logits[N, K]."""
    logits = cp.ascontiguousarray(logits)
    labels = cp.ascontiguousarray(labels)
    n, k = logits.shape
    probs = cp.empty_like(logits)
    loss = cp.empty(n, logits.dtype)
    if n == 0:
        return loss, probs
    key = (logits.dtype, labels.dtype)
    kern = _xent.get(key)
    if kern is None:
        src = with_defines(kernel_source("softmax_xent.cu"),
                           {"T": ctype(logits.dtype), "L": ctype(labels.dtype)})
        kern = _xent[key] = cp.RawKernel(src, "nigiri_softmax_xent_fwd")
    kern((n,), (_THREADS,), (logits, labels, probs, loss, np.int64(n), np.int64(k),
                             np.int64(ignore_index)))
    return loss, probs


def xent_backward(probs: Any, labels: Any, dloss: Any, ignore_index: int) -> Any:
    """dlogits = dloss[:, None] * (probs - onehot(labels)), 0 on ignored rows."""
    probs = cp.ascontiguousarray(probs)
    n, k = probs.shape
    out = cp.empty_like(probs)
    if out.size:
        _XENT_BWD(probs, cp.ascontiguousarray(labels), cp.ascontiguousarray(dloss),
                  np.int64(k), np.int64(ignore_index), out)
    return out


def sgd_update(param: Any, grad: Any, velocity: Any, lr: float, momentum: float,
               weight_decay: float, nesterov: bool) -> None:
    """In place: v = m*v + (g + wd*p); p -= lr*v (Nesterov: p -= lr*(g + wd*p + m*v))."""
    t = param.dtype.type
    _SGD(grad, t(lr), t(momentum), t(weight_decay), bool(nesterov), param, velocity)


def adam_update(param: Any, grad: Any, m: Any, v: Any, lr: float, beta1: float,
                beta2: float, eps: float, weight_decay: float, decoupled: bool,
                step: int) -> None:
    """In place Adam (AdamW when ``decoupled``) at 1-based ``step``."""
    t = param.dtype.type
    bc1 = 1.0 - beta1 ** step
    bc2 = 1.0 - beta2 ** step
    _ADAM(grad, t(lr), t(beta1), t(beta2), t(eps), t(weight_decay), t(bc1), t(bc2),
          bool(decoupled), param, m, v)
