"""Pure nn functions on nigiri Arrays: forward and backward of every layer.

Each function that has a backend fast path (DESIGN section 3 table) calls it when the
array's backend registers one and fast paths are enabled (``use_fast_paths``), and the
composite written with the array API otherwise; the composite is the reference the
fast paths are tested against. Fast paths take and return backend buffers.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

import nigiri as ng
from nigiri.arrays.array import Array

from . import _im2col

__all__ = [
    "use_fast_paths", "fast_path", "relu", "relu_backward", "sigmoid", "sigmoid_backward",
    "tanh", "tanh_backward", "softmax", "softmax_backward", "log_softmax", "linear",
    "linear_backward", "conv2d", "conv2d_backward", "pool2d", "pool2d_backward",
    "global_avg_pool", "global_avg_pool_backward", "softmax_cross_entropy",
    "softmax_cross_entropy_backward", "mse", "mse_backward", "batch_norm",
    "batch_norm_backward", "accuracy", "conv_out_size", "pool_out_size",
]

conv_out_size = _im2col.conv_out_size
pool_out_size = _im2col.pool_out_size
#: the ignore label handed to fast paths when none is set (labels are >= 0)
_NO_IGNORE = -100
_enabled: contextvars.ContextVar[bool] = contextvars.ContextVar("nigiri_nn_fast", default=True)


@contextlib.contextmanager
def use_fast_paths(enabled: bool) -> Iterator[None]:
    """Enable or disable backend fast paths inside a ``with`` block (tests, benchmarks)."""
    token = _enabled.set(bool(enabled))
    try:
        yield
    finally:
        _enabled.reset(token)


def fast_path(x: Array, name: str) -> Any:
    """The backend fast path ``name`` for ``x``'s backend, or None (absent / disabled)."""
    if not _enabled.get():
        return None
    return x._be.fast_path(name)


def _wrap(buf: Any, like: Array) -> Array | None:
    return None if buf is None else Array._new(buf, like._be)


def _buf(a: Array | None) -> Any:
    return None if a is None else a._buf


# ---------------------------------------------------------------- activations
def relu(x: Array) -> Array:
    """max(x, 0)."""
    return ng.maximum(x, 0.0)


def relu_backward(dy: Array, y: Array) -> Array:
    """Gradient of relu given its output ``y``."""
    return ng.where(y > 0, dy, 0.0)


def sigmoid(x: Array) -> Array:
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    e = ng.exp(-ng.abs(x))
    return ng.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_backward(dy: Array, y: Array) -> Array:
    """Gradient of sigmoid given its output ``y``."""
    return dy * y * (1.0 - y)


def tanh(x: Array) -> Array:
    """Hyperbolic tangent."""
    return ng.tanh(x)


def tanh_backward(dy: Array, y: Array) -> Array:
    """Gradient of tanh given its output ``y``."""
    return dy * (1.0 - y * y)


def log_softmax(x: Array, axis: int = 1) -> Array:
    """log(softmax(x)) along ``axis``, stable (max subtracted)."""
    z = x - ng.max(x, axis=axis, keepdims=True)
    return z - ng.log(ng.sum(ng.exp(z), axis=axis, keepdims=True))


def softmax(x: Array, axis: int = 1) -> Array:
    """Softmax along ``axis`` (stable); uses the ``softmax`` fast path on 2-d input."""
    fp = fast_path(x, "softmax") if x.ndim == 2 and axis in (1, -1) else None
    if fp is not None:
        return _wrap(fp(x._buf), x)
    e = ng.exp(x - ng.max(x, axis=axis, keepdims=True))
    return e / ng.sum(e, axis=axis, keepdims=True)


def softmax_backward(dy: Array, y: Array, axis: int = 1) -> Array:
    """Gradient of softmax given its output ``y``."""
    return y * (dy - ng.sum(dy * y, axis=axis, keepdims=True))


# ---------------------------------------------------------------- linear
def linear(x: Array, w: Array, b: Array | None) -> Array:
    """``x @ w.T + b`` for ``x`` of shape ``[N, in]`` and ``w`` of shape ``[out, in]``."""
    y = ng.matmul(x, ng.permute_dims(w, (1, 0)))
    return y if b is None else y + b


def linear_backward(dy: Array, x: Array, w: Array, need_dx: bool = True,
                    need_db: bool = True) -> tuple[Array | None, Array, Array | None]:
    """``(dx, dw, db)`` of ``linear``."""
    dx = ng.matmul(dy, w) if need_dx else None
    dw = ng.matmul(ng.permute_dims(dy, (1, 0)), x)
    db = ng.sum(dy, axis=0) if need_db else None
    return dx, dw, db


# ---------------------------------------------------------------- convolution
def conv2d(x: Array, w: Array, b: Array | None = None, stride: tuple[int, int] = (1, 1),
           padding: tuple[int, int] = (0, 0), dilation: tuple[int, int] = (1, 1),
           groups: int = 1) -> tuple[Array, Any]:
    """2-d convolution (cross-correlation), NCHW; returns ``(y, saved)`` where ``saved``
    is handed back to ``conv2d_backward`` (None when a fast path ran)."""
    fp = fast_path(x, "conv2d_forward")
    if fp is not None:
        y = fp(x._buf, w._buf, _buf(b), stride=stride, padding=padding, dilation=dilation,
               groups=groups)
        return _wrap(y, x), None
    return _im2col.conv2d_composite(x, w, b, stride, padding, dilation, groups)


def conv2d_backward(x: Array, w: Array, dy: Array, stride: tuple[int, int] = (1, 1),
                    padding: tuple[int, int] = (0, 0), dilation: tuple[int, int] = (1, 1),
                    groups: int = 1, need: tuple[bool, bool, bool] = (True, True, True),
                    saved: Any = None) -> tuple[Array | None, Array | None, Array | None]:
    """``(dx, dw, db)`` of ``conv2d``; entries not in ``need`` are None."""
    fp = fast_path(x, "conv2d_backward")
    if fp is not None:
        dx, dw, db = fp(x._buf, w._buf, dy._buf, stride=stride, padding=padding,
                        dilation=dilation, groups=groups, need=tuple(need))
        return _wrap(dx, x), _wrap(dw, x), _wrap(db, x)
    return _im2col.conv2d_backward_composite(x, w, dy, stride, padding, dilation, groups,
                                             tuple(need), saved)


# ---------------------------------------------------------------- pooling
def pool2d(x: Array, kind: str, ksize: tuple[int, int], stride: tuple[int, int],
           padding: tuple[int, int] = (0, 0), ceil_mode: bool = False,
           count_include_pad: bool = True, need_index: bool = True) -> tuple[Array, Any]:
    """Max (``kind='max'``) or average (``'avg'``) pooling, NCHW; returns ``(y, index)``
    where ``index`` (max only) is handed back to ``pool2d_backward`` (the composite
    skips it when ``need_index`` is False: inference)."""
    fp = fast_path(x, "pool2d_forward") if (kind == "max" or count_include_pad) else None
    if fp is not None:
        y, idx = fp(x._buf, kind, ksize, stride, padding, ceil_mode)
        return _wrap(y, x), idx
    return _im2col.pool2d_composite(x, kind, ksize, stride, padding, ceil_mode, count_include_pad,
                                    need_index)


def pool2d_backward(dy: Array, x: Array, index: Any, kind: str, ksize: tuple[int, int],
                    stride: tuple[int, int], padding: tuple[int, int] = (0, 0),
                    ceil_mode: bool = False, count_include_pad: bool = True) -> Array:
    """Gradient of ``pool2d`` with respect to ``x``."""
    if kind == "max" and index is None:  # forward ran without it (test phase): recompute
        _, index = _im2col.pool2d_composite(x, kind, ksize, stride, padding, ceil_mode)
    fp = fast_path(x, "pool2d_backward") if (kind == "max" or count_include_pad) else None
    if fp is not None and not isinstance(index, Array):
        return _wrap(fp(dy._buf, x._buf, index, kind, ksize, stride, padding, ceil_mode), x)
    return _im2col.pool2d_backward_composite(dy, x, index, kind, ksize, stride, padding,
                                             ceil_mode, count_include_pad)


def global_avg_pool(x: Array) -> Array:
    """Mean over the spatial axes: ``[N, C, H, W] -> [N, C]``."""
    return ng.mean(x, axis=(2, 3))


def global_avg_pool_backward(dy: Array, x_shape: tuple[int, ...]) -> Array:
    """Gradient of ``global_avg_pool``."""
    n, c, h, w = x_shape
    g = ng.reshape(dy * (1.0 / (h * w)), (n, c, 1, 1))
    return ng.broadcast_to(g, (n, c, h, w))


# ---------------------------------------------------------------- losses and metrics
def _onehot_valid(labels: Array, k: int, ignore_index: int | None, dtype: Any) -> tuple[Array, Array]:
    """One-hot rows of ``labels`` (zero rows for ignored labels) and the float mask."""
    classes = ng.reshape(ng.arange(k, dtype=labels.dtype, device=labels.device), (1, k))
    onehot = ng.astype(ng.reshape(labels, (-1, 1)) == classes, dtype)
    if ignore_index is None:
        valid = ng.ones((labels.shape[0],), dtype=dtype, device=labels.device)
    else:
        valid = ng.astype(labels != ignore_index, dtype)
    return onehot, valid


def softmax_cross_entropy(logits: Array, labels: Array,
                          ignore_index: int | None = None) -> tuple[Array, Array]:
    """Per-sample cross-entropy of ``softmax(logits)`` (``[N, K]``) against integer
    ``labels`` (``[N]``), computed stably through log-softmax; ignored samples give 0.
    Returns ``(loss [N], probs [N, K])``."""
    fp = fast_path(logits, "softmax_xent_forward")
    if fp is not None:
        loss, probs = fp(logits._buf, labels._buf, _NO_IGNORE if ignore_index is None else ignore_index)
        return _wrap(loss, logits), _wrap(probs, logits)
    logp = log_softmax(logits, axis=1)
    onehot, valid = _onehot_valid(labels, logits.shape[1], ignore_index, logits.dtype)
    loss = -ng.sum(onehot * logp, axis=1) * valid
    return loss, ng.exp(logp)


def softmax_cross_entropy_backward(probs: Array, labels: Array, dloss: Array,
                                   ignore_index: int | None = None) -> Array:
    """Gradient of ``softmax_cross_entropy`` with respect to the logits, given the
    gradient ``dloss`` ``[N]`` of the per-sample losses."""
    fp = fast_path(probs, "softmax_xent_backward")
    if fp is not None:
        ignore = _NO_IGNORE if ignore_index is None else ignore_index
        return _wrap(fp(probs._buf, labels._buf, dloss._buf, ignore), probs)
    onehot, valid = _onehot_valid(labels, probs.shape[1], ignore_index, probs.dtype)
    return (probs - onehot) * ng.reshape(dloss * valid, (-1, 1))


def mse(x: Array, t: Array) -> Array:
    """Mean squared error over all elements (a 0-d array)."""
    d = x - t
    return ng.sum(d * d) * (1.0 / max(d.size, 1))


def mse_backward(dloss: Array, x: Array, t: Array) -> tuple[Array, Array]:
    """Gradients of ``mse`` with respect to ``x`` and ``t``."""
    g = (x - t) * (dloss * (2.0 / max(x.size, 1)))
    return g, -g


def accuracy(scores: Array, labels: Array, top_k: int = 1,
             ignore_index: int | None = None) -> tuple[Array, Array]:
    """``(correct, counted)`` as 0-d float arrays: how many of the counted samples have
    their label among the ``top_k`` highest scores (ties count against: a label is
    in the top k when fewer than k scores are strictly greater)."""
    n, k = scores.shape
    onehot, valid = _onehot_valid(labels, k, ignore_index, scores.dtype)
    if top_k == 1:
        hit = ng.astype(ng.argmax(scores, axis=1) == labels, scores.dtype)
    else:
        target = ng.sum(scores * onehot, axis=1, keepdims=True)
        greater = ng.sum(ng.astype(scores > target, scores.dtype), axis=1)
        hit = ng.astype(greater < top_k, scores.dtype)
    return ng.sum(hit * valid), ng.sum(valid)


# ---------------------------------------------------------------- batch normalization
def batch_norm(x: Array, gamma: Array, beta: Array, running_mean: Array, running_var: Array,
               momentum: float, eps: float, training: bool) -> tuple[Array, Array, Array]:
    """Batch normalisation over all axes but 1 (``[N, C]`` or ``[N, C, H, W]``).

    Training uses the batch statistics and updates ``running_mean``/``running_var``
    in place (``r = (1 - momentum) * r + momentum * batch``, unbiased variance);
    inference uses the running statistics. Returns ``(y, mean, invstd)``.
    """
    x4 = x if x.ndim == 4 else ng.reshape(x, (x.shape[0], x.shape[1], 1, 1))
    fp = fast_path(x, "batchnorm_forward")
    if fp is not None:
        y, mean, invstd = fp(x4._buf, gamma._buf, beta._buf, running_mean._buf,
                             running_var._buf, momentum=momentum, eps=eps, training=training)
        y = _wrap(y, x)
        return (y if x.ndim == 4 else ng.reshape(y, x.shape)), _wrap(mean, x), _wrap(invstd, x)
    c = x4.shape[1]
    axes = (0, 2, 3)
    if training:
        m = x4.shape[0] * x4.shape[2] * x4.shape[3]
        mean = ng.mean(x4, axis=axes)
        xc = x4 - ng.reshape(mean, (1, c, 1, 1))
        var = ng.mean(xc * xc, axis=axes)
        invstd = 1.0 / ng.sqrt(var + eps)
        unbiased = var * (m / max(m - 1, 1))
        running_mean *= 1.0 - momentum
        running_mean += momentum * mean
        running_var *= 1.0 - momentum
        running_var += momentum * unbiased
    else:
        mean = ng.asarray(running_mean, copy=True)
        invstd = 1.0 / ng.sqrt(running_var + eps)
        xc = x4 - ng.reshape(mean, (1, c, 1, 1))
    scale = ng.reshape(gamma * invstd, (1, c, 1, 1))
    y = xc * scale + ng.reshape(beta, (1, c, 1, 1))
    return (y if x.ndim == 4 else ng.reshape(y, x.shape)), mean, invstd


def batch_norm_backward(dy: Array, x: Array, gamma: Array, mean: Array, invstd: Array,
                        training: bool = True) -> tuple[Array, Array, Array]:
    """``(dx, dgamma, dbeta)`` of ``batch_norm`` given its saved mean and invstd."""
    x4 = x if x.ndim == 4 else ng.reshape(x, (x.shape[0], x.shape[1], 1, 1))
    dy4 = dy if dy.ndim == 4 else ng.reshape(dy, x4.shape)
    fp = fast_path(x, "batchnorm_backward") if training else None
    if fp is not None:
        dx, dgamma, dbeta = fp(dy4._buf, x4._buf, gamma._buf, mean._buf, invstd._buf)
        dx = _wrap(dx, x)
        return (dx if x.ndim == 4 else ng.reshape(dx, x.shape)), _wrap(dgamma, x), _wrap(dbeta, x)
    c = x4.shape[1]
    axes = (0, 2, 3)
    shp = (1, c, 1, 1)
    xhat = (x4 - ng.reshape(mean, shp)) * ng.reshape(invstd, shp)
    dbeta = ng.sum(dy4, axis=axes)
    dgamma = ng.sum(dy4 * xhat, axis=axes)
    if training:
        m = x4.shape[0] * x4.shape[2] * x4.shape[3]
        dx = ng.reshape(gamma * invstd * (1.0 / m), shp) * (
            m * dy4 - ng.reshape(dbeta, shp) - xhat * ng.reshape(dgamma, shp))
    else:
        dx = dy4 * ng.reshape(gamma * invstd, shp)
    return (dx if x.ndim == 4 else ng.reshape(dx, x.shape)), dgamma, dbeta
