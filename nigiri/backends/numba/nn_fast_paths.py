"""nn and composite fast paths (DESIGN section 3's table) on Numba kernels, and their
registration. Conv lives in ``conv`` and pooling in ``pool``; this file holds the row-wise
and per-channel kernels: softmax, logsumexp, softmax cross-entropy, batch norm, and
the fused SGD / Adam updates, plus ``chain5`` (a fused five-op elementwise chain used
by the benchmark to show fusion).

All take and return NumPy buffers of float32 or float64 (other dtypes raise
``NotImplementedError`` through the backend, and callers use the composite). Row
reductions accumulate in float64. Optimizer updates work in place on C-contiguous
buffers.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numba import njit, prange

from . import conv, pool
from .reductions import contiguous
from .vecmath import fexp, flog

__all__ = ["register_all", "softmax", "logsumexp", "softmax_xent_forward",
           "softmax_xent_backward", "batchnorm_forward", "batchnorm_backward",
           "sgd_update", "adam_update", "chain5"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# ------------------------------------------------------------- softmax family
@njit(cache=True, nogil=True, error_model="numpy")
def _row_max(r):  # pragma: no cover - compiled
    """Maximum of a row, NaN propagating; eight independent lanes so it vectorises."""
    n = r.shape[0]
    acc = np.full(8, r[0])
    i = 0
    while i + 8 <= n:
        for k in range(8):
            v = r[i + k]
            a = acc[k]
            acc[k] = v if ((v > a) | (v != v)) else a
        i += 8
    m = acc[0]
    for k in range(1, 8):
        a = acc[k]
        m = a if ((a > m) | (a != a)) else m
    while i < n:
        v = r[i]
        m = v if ((v > m) | (v != v)) else m
        i += 1
    return m


@njit(cache=True, nogil=True, error_model="numpy")
def _row_sum(r):  # pragma: no cover - compiled
    """float64 sum of a row in eight lanes (vectorises without reassociation)."""
    n = r.shape[0]
    acc = np.zeros(8, np.float64)
    i = 0
    while i + 8 <= n:
        for k in range(8):
            acc[k] += r[i + k]
        i += 8
    s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
    while i < n:
        s += r[i]
        i += 1
    return s


@njit(cache=True, nogil=True, error_model="numpy")
def _exp_shift(r, m, o):  # pragma: no cover - compiled
    for i in range(r.shape[0]):
        o[i] = fexp(r[i] - m)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _softmax_rows(x, out):  # pragma: no cover - compiled
    for p in prange(x.shape[0]):
        r = x[p]
        o = out[p]
        m = _row_max(r)  # NaN rows and all -inf rows give NaN, as the composite does
        _exp_shift(r, m, o)
        inv = 1.0 / _row_sum(o)
        for i in range(r.shape[0]):
            o[i] = o[i] * inv


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _lse_rows(x, out):  # pragma: no cover - compiled
    for p in prange(x.shape[0]):
        r = x[p]
        m = _row_max(r)
        if np.isinf(m) or m != m:
            out[p] = m
            continue
        tmp = np.empty(r.shape[0], r.dtype)
        _exp_shift(r, m, tmp)
        out[p] = m + np.log(_row_sum(tmp))


def _rows_of(x: np.ndarray, axis: int) -> tuple[np.ndarray, list[int]]:
    axis = axis % x.ndim
    order = [d for d in range(x.ndim) if d != axis] + [axis]
    xt = contiguous(x.transpose(order))
    return xt.reshape(-1, x.shape[axis]), order


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) along ``axis``."""
    if x.ndim == 0 or x.size == 0:
        return np.empty(x.shape, x.dtype) if x.size == 0 else np.ones((), x.dtype)
    x2, order = _rows_of(x, axis)
    out = np.empty(x2.shape, x.dtype)
    _softmax_rows(x2, out)
    inv = sorted(range(len(order)), key=order.__getitem__)
    shape = tuple(x.shape[d] for d in order)
    return contiguous(out.reshape(shape).transpose(inv))


def logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """log(sum(exp(x))) along ``axis``, stable (max-shifted)."""
    axis = axis % max(x.ndim, 1)
    x2, _ = _rows_of(x, axis)
    out = np.empty(x2.shape[0], x.dtype)
    if x2.shape[1] == 0:
        out[...] = -np.inf
    elif out.size:
        _lse_rows(x2, out)
    shape = tuple(1 if d == axis else x.shape[d] for d in range(x.ndim)) if keepdims else \
        tuple(x.shape[d] for d in range(x.ndim) if d != axis)
    return out.reshape(shape)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _xent_fwd(x, labels, ignore, loss, probs):  # pragma: no cover - compiled
    for p in prange(x.shape[0]):
        r = x[p]
        o = probs[p]
        m = _row_max(r)
        _exp_shift(r, m, o)
        s = _row_sum(o)
        inv = 1.0 / s
        for i in range(r.shape[0]):
            o[i] = o[i] * inv
        lab = labels[p]
        if lab == ignore:
            loss[p] = 0
        else:
            loss[p] = (m + np.log(s)) - r[lab]


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _xent_bwd(probs, labels, dloss, ignore, dx):  # pragma: no cover - compiled
    for p in prange(probs.shape[0]):
        lab = labels[p]
        if lab == ignore:
            for i in range(probs.shape[1]):
                dx[p, i] = 0
            continue
        g = dloss[p]
        for i in range(probs.shape[1]):
            dx[p, i] = probs[p, i] * g
        dx[p, lab] = (probs[p, lab] - 1) * g


_NO_LABEL = -(2 ** 63)  # ignore_index=None: no label is ignored


def _check_labels(labels: np.ndarray, n: int, k: int, ignore_index: int) -> np.ndarray:
    lab = contiguous(labels).astype(np.int64, copy=False).reshape(-1)
    if lab.shape[0] != n:
        raise ValueError(f"softmax cross-entropy: expected {n} labels, got {lab.shape[0]}")
    bad = (lab != ignore_index) & ((lab < 0) | (lab >= k))
    if bad.any():
        raise IndexError(f"softmax cross-entropy: label {int(lab[bad][0])} is out of "
                         f"range for {k} classes")
    return lab


def softmax_xent_forward(logits: np.ndarray, labels: np.ndarray,
                         ignore_index: int | None = -100) -> tuple[np.ndarray, np.ndarray]:
    """(loss[N], probs[N, K]); loss is 0 where ``labels == ignore_index`` (None:
    no label is ignored)."""
    ignore_index = _NO_LABEL if ignore_index is None else int(ignore_index)
    x = contiguous(logits)
    n, k = x.shape
    lab = _check_labels(labels, n, k, ignore_index)
    loss = np.empty(n, x.dtype)
    probs = np.empty(x.shape, x.dtype)
    if n and k:
        _xent_fwd(x, lab, ignore_index, loss, probs)
    return loss, probs


def softmax_xent_backward(probs: np.ndarray, labels: np.ndarray, dloss: np.ndarray,
                          ignore_index: int | None = -100) -> np.ndarray:
    """dlogits = (probs - onehot(labels)) * dloss[:, None]; 0 on ignored rows."""
    ignore_index = _NO_LABEL if ignore_index is None else int(ignore_index)
    p = contiguous(probs)
    n, k = p.shape
    lab = _check_labels(labels, n, k, ignore_index)
    dx = np.empty(p.shape, p.dtype)
    if n and k:
        _xent_bwd(p, lab, contiguous(dloss).reshape(-1), ignore_index, dx)
    return dx


# ------------------------------------------------------------------ batchnorm
@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _bn_stats(x, mean, var):  # pragma: no cover - compiled
    n, c, s = x.shape
    for ch in prange(c):
        acc = 0.0
        for i in range(n):
            for j in range(s):
                acc += x[i, ch, j]
        mu = acc / (n * s)
        sq = 0.0
        for i in range(n):
            for j in range(s):
                d = x[i, ch, j] - mu
                sq += d * d
        mean[ch] = mu
        var[ch] = sq / (n * s)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _bn_apply(x, mean, invstd, gamma, beta, y):  # pragma: no cover - compiled
    n, c, s = x.shape
    for t in prange(n * c):
        i = t // c
        ch = t - i * c
        a = invstd[ch] * gamma[ch]
        b = beta[ch] - mean[ch] * a
        for j in range(s):
            y[i, ch, j] = x[i, ch, j] * a + b


def _nc3(x: np.ndarray) -> np.ndarray:
    x = contiguous(x)
    return x.reshape(x.shape[0], x.shape[1], -1)


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      running_mean: np.ndarray, running_var: np.ndarray,
                      momentum: float = 0.1, eps: float = 1e-5, training: bool = True
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, saved_mean, saved_invstd) over channel axis 1 of (N, C, ...) ``x``.
    Training uses batch statistics and updates the running ones in place
    (PyTorch: running = (1 - momentum) * running + momentum * stat, the variance
    unbiased); evaluation uses the running statistics."""
    x3 = _nc3(x)
    n, c, s = x3.shape
    if training:
        mean = np.empty(c, np.float64)
        var = np.empty(c, np.float64)
        _bn_stats(x3, mean, var)
        cnt = n * s
        unbiased = var * (cnt / max(cnt - 1, 1))
        running_mean[...] = (1 - momentum) * running_mean + momentum * mean
        running_var[...] = (1 - momentum) * running_var + momentum * unbiased
    else:
        mean = running_mean.astype(np.float64)
        var = running_var.astype(np.float64)
    invstd = 1.0 / np.sqrt(var + eps)
    y = np.empty(x3.shape, x.dtype)
    _bn_apply(x3, mean, invstd, contiguous(gamma).astype(np.float64),
              contiguous(beta).astype(np.float64), y)
    return y.reshape(x.shape), mean.astype(x.dtype), invstd.astype(x.dtype)


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _bn_back(dy, x, gamma, mean, invstd, dx, dgamma, dbeta):  # pragma: no cover - compiled
    n, c, s = x.shape
    cnt = n * s
    for ch in prange(c):
        sdy = 0.0
        sdyx = 0.0
        mu = mean[ch]
        inv = invstd[ch]
        for i in range(n):
            for j in range(s):
                g = dy[i, ch, j]
                sdy += g
                sdyx += g * (x[i, ch, j] - mu) * inv
        dbeta[ch] = sdy
        dgamma[ch] = sdyx
        k = gamma[ch] * inv / cnt
        for i in range(n):
            for j in range(s):
                xh = (x[i, ch, j] - mu) * inv
                dx[i, ch, j] = k * (cnt * dy[i, ch, j] - sdy - xh * sdyx)


def batchnorm_backward(dy: np.ndarray, x: np.ndarray, gamma: np.ndarray,
                       saved_mean: np.ndarray, saved_invstd: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) of training-mode ``batchnorm_forward``."""
    x3, dy3 = _nc3(x), _nc3(dy)
    c = x3.shape[1]
    dx = np.empty(x3.shape, x.dtype)
    dgamma = np.empty(c, np.float64)
    dbeta = np.empty(c, np.float64)
    _bn_back(dy3, x3, contiguous(gamma).astype(np.float64), saved_mean.astype(np.float64),
             saved_invstd.astype(np.float64), dx, dgamma, dbeta)
    return dx.reshape(x.shape), dgamma.astype(gamma.dtype), dbeta.astype(gamma.dtype)


# ------------------------------------------------------------------ optimizers
@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _sgd(p, g, v, lr, mom, wd, nesterov, has_v):  # pragma: no cover - compiled
    for i in prange(p.shape[0]):
        d = g[i] + wd * p[i]
        if has_v:
            vi = mom * v[i] + d
            v[i] = vi
            d = d + mom * vi if nesterov else vi
        p[i] = p[i] - lr * d


@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _adam(p, g, m, v, lr, b1, b2, eps, wd, decoupled, c1, c2):  # pragma: no cover - compiled
    for i in prange(p.shape[0]):
        gi = g[i]
        pi = p[i]
        if decoupled:
            pi = pi * (1 - lr * wd)
        else:
            gi = gi + wd * pi
        mi = b1 * m[i] + (1 - b1) * gi
        vi = b2 * v[i] + (1 - b2) * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = pi - lr * (mi / c1) / (np.sqrt(vi / c2) + eps)


def _flat(name: str, *bufs: np.ndarray) -> list[np.ndarray]:
    shape = bufs[0].shape
    out = []
    for b in bufs:
        if b.shape != shape:
            raise ValueError(f"{name}: buffers must share the shape {shape}, got {b.shape}")
        if not b.flags.c_contiguous or not b.flags.writeable:
            raise ValueError(f"{name}: in-place buffers must be C-contiguous and writeable")
        out.append(b.reshape(-1))
    return out


def sgd_update(param: np.ndarray, grad: np.ndarray, velocity: np.ndarray | None,
               lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
               nesterov: bool = False) -> None:
    """In place: v = m*v + (g + wd*p); p -= lr*v (Nesterov: p -= lr*(g + wd*p + m*v));
    without ``velocity`` plain SGD p -= lr*(g + wd*p)."""
    has_v = velocity is not None
    p, g, v = _flat("sgd_update", param, grad, velocity if has_v else param)
    if p.size:
        _sgd(p, contiguous(g), v, lr, momentum, weight_decay, bool(nesterov), has_v)


def adam_update(param: np.ndarray, grad: np.ndarray, m: np.ndarray, v: np.ndarray,
                lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
                weight_decay: float = 0.0, decoupled: bool = False, step: int = 1) -> None:
    """In place Adam (AdamW when ``decoupled``) with bias correction for ``step``
    (1-based), following PyTorch's update order."""
    if step < 1:
        raise ValueError(f"adam_update: step must be >= 1, got {step}")
    p, g, mm, vv = _flat("adam_update", param, grad, m, v)
    if p.size:
        _adam(p, g, mm, vv, lr, beta1, beta2, eps, weight_decay, bool(decoupled),
              1 - beta1 ** step, 1 - beta2 ** step)


# --------------------------------------------------------------- fused chain
@njit(cache=True, nogil=True, error_model="numpy", parallel=True)
def _chain5(x, y, a, b, out):  # pragma: no cover - compiled
    for i in prange(x.shape[0]):
        t = x[i] * a + y[i]
        t = t - b
        t = t * t
        out[i] = flog(fexp(-t) + a)


def chain5(x: np.ndarray, y: np.ndarray, a: float, b: float) -> np.ndarray:
    """The benchmark's fused chain log(exp(-((x*a + y) - b)**2) + a) in one pass."""
    x, y = contiguous(x), contiguous(y)
    out = np.empty(x.shape, x.dtype)
    if out.size:
        t = x.dtype.type
        _chain5(x.reshape(-1), y.reshape(-1), t(a), t(b), out.reshape(-1))
    return out


def _float_only(be: Any, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        d = args[0].dtype
        if d not in _FLOATS:
            raise be.unsupported(name, d)
        return fn(*args, **kwargs)
    wrapped.__name__ = name
    wrapped.__doc__ = fn.__doc__
    return wrapped


_PATHS: dict[str, Callable[..., Any]] = {
    "conv2d_forward": conv.conv2d_forward,
    "conv2d_backward": conv.conv2d_backward,
    "pool2d_forward": pool.pool2d_forward,
    "pool2d_backward": pool.pool2d_backward,
    "softmax_xent_forward": softmax_xent_forward,
    "softmax_xent_backward": softmax_xent_backward,
    "batchnorm_forward": batchnorm_forward,
    "batchnorm_backward": batchnorm_backward,
    "sgd_update": sgd_update,
    "adam_update": adam_update,
    "softmax": softmax,
    "logsumexp": logsumexp,
}


def register_all(be: Any) -> list[str]:
    """Register every fast path on backend ``be``; return their names. The convolutions
    call BLAS from Numba code, which needs SciPy: without it the composites serve."""
    from .matmul import have_blas

    paths = {k: v for k, v in _PATHS.items() if have_blas() or not k.startswith("conv2d")}
    for name, fn in paths.items():
        be.register_fast_path(name, _float_only(be, name, fn))
    be.register_fast_path("chain5", _float_only(be, "chain5", chain5))
    return list(paths) + ["chain5"]
