"""nn fast paths of the cupy backend (DESIGN section 3 table).

conv2d forward/backward run through cuDNN's graph API when the
``nvidia-cudnn-frontend`` package and a cuDNN library load (``pip install
"nigiri[cudnn]"``), else through im2col + cuBLAS. Batch norm has both a cuDNN graph
path and our own kernels; ours are the default because they measured faster (see
``BATCHNORM_VIA_CUDNN``). Pooling (the graph API has no pooling node), softmax
cross-entropy and the optimizer updates are always our own kernels. float32 and float64 natively; float16 inputs are computed in float32
and rounded back once.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import _cudnn_loader
from ...nn_shapes import pair

__all__ = ["register", "BATCHNORM_VIA_CUDNN"]

#: Batch norm through cuDNN's graph API instead of our kernels. Off: on an H100
#: (cuDNN 9.19, 64x256x56x56 fp32, train forward + backward) our three-launch kernels
#: measured 1.04 ms against cuDNN's graph 1.24 ms (bench/results/cupy_backend.md).
BATCHNORM_VIA_CUDNN = False

_F16 = np.dtype(np.float16)
_F32 = np.dtype(np.float32)


def _up(*bufs: Any) -> list[Any]:
    return [b.astype(_F32) if b is not None and b.dtype == _F16 else b for b in bufs]


def _down(value: Any, dtype: np.dtype) -> Any:
    if dtype != _F16 or value is None:
        return value
    if isinstance(value, tuple):
        return tuple(_down(v, dtype) for v in value)
    return value.astype(_F16) if value.dtype == _F32 else value


def register(backend: Any) -> list[str]:
    """Register every fast path on ``backend``; return their names."""
    from . import batchnorm, conv_gemm, loss_optim, pool  # need CuPy: imported here

    cudnn = _cudnn_loader.load()
    conv: Any = conv_gemm
    bn: Any = batchnorm
    backend.cudnn_conv = backend.cudnn_bn = None
    if cudnn is not None:
        from ._cudnn_graphs import GraphRunner
        from .batchnorm_cudnn import CudnnBatchNorm
        from .conv_cudnn import CudnnConv

        try:
            runner = GraphRunner(cudnn)
        except Exception as exc:  # no handle (e.g. cuDNN built for another CUDA)
            _cudnn_loader._state["reason"] = f"cuDNN handle creation failed: {exc}"
        else:
            conv = backend.cudnn_conv = CudnnConv(runner)
            backend.cudnn_bn = CudnnBatchNorm(runner)
            if BATCHNORM_VIA_CUDNN:
                bn = backend.cudnn_bn

    def conv2d_forward(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
        dt = x.dtype
        x, w, b = _up(x, w, b)
        return _down(conv.forward(x, w, b, pair(stride, "stride"), pair(padding, "padding"),
                                  pair(dilation, "dilation"), int(groups)), dt)

    def conv2d_backward(x, w, dy, stride=1, padding=0, dilation=1, groups=1,
                        need=(True, True, True)):
        dt = x.dtype
        x, w, dy = _up(x, w, dy)
        return _down(conv.backward(x, w, dy, pair(stride, "stride"), pair(padding, "padding"),
                                   pair(dilation, "dilation"), int(groups),
                                   tuple(bool(v) for v in need)), dt)

    def pool2d_forward(x, kind, ksize, stride=None, padding=0, ceil_mode=False):
        dt = x.dtype
        (x,) = _up(x)
        k = pair(ksize, "ksize")
        s = pair(stride if stride is not None else ksize, "stride")
        return _down(pool.forward(x, _kind(kind), k, s, pair(padding, "padding"),
                                  bool(ceil_mode)), dt)

    def pool2d_backward(dy, x, argmax, kind, ksize, stride=None, padding=0, ceil_mode=False):
        dt = dy.dtype
        dy, x = _up(dy, x)
        k = pair(ksize, "ksize")
        s = pair(stride if stride is not None else ksize, "stride")
        return _down(pool.backward(dy, x, argmax, _kind(kind), k, s, pair(padding, "padding"),
                                   bool(ceil_mode)), dt)

    def _ignore(value):
        # None means no label is ignored: a sentinel no int64 label equals
        return -(2**63) if value is None else int(value)

    def softmax_xent_forward(logits, labels, ignore_index=-100):
        dt = logits.dtype
        (logits,) = _up(logits)
        return _down(loss_optim.xent_forward(logits, labels, _ignore(ignore_index)), dt)

    def softmax_xent_backward(probs, labels, dloss, ignore_index=-100):
        dt = probs.dtype
        probs, dloss = _up(probs, dloss)
        return _down(loss_optim.xent_backward(probs, labels, dloss, _ignore(ignore_index)), dt)

    def batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.1,
                          eps=1e-5, training=True):
        if x.dtype != _F16:
            return bn.forward(x, gamma, beta, running_mean, running_var,
                              float(momentum), float(eps), bool(training))
        # float16: statistics and arithmetic in float32, running stats written back
        xs, gs, bs, rm, rv = _up(x, gamma, beta, running_mean, running_var)
        out = bn.forward(xs, gs, bs, rm, rv, float(momentum), float(eps), bool(training))
        for dst, src in ((running_mean, rm), (running_var, rv)):
            if dst is not None and src is not dst:
                dst[...] = src
        return _down(out, x.dtype)

    def batchnorm_backward(dy, x, gamma, saved_mean, saved_invstd):
        dt = x.dtype
        return _down(bn.backward(*_up(dy, x, gamma, saved_mean, saved_invstd)), dt)

    def sgd_update(param, grad, velocity, lr, momentum=0.0, weight_decay=0.0, nesterov=False):
        loss_optim.sgd_update(param, grad, velocity, float(lr), float(momentum),
                              float(weight_decay), bool(nesterov))

    def adam_update(param, grad, m, v, lr, beta1=0.9, beta2=0.999, eps=1e-8,
                    weight_decay=0.0, decoupled=False, step=1):
        loss_optim.adam_update(param, grad, m, v, float(lr), float(beta1), float(beta2),
                               float(eps), float(weight_decay), bool(decoupled), int(step))

    paths: dict[str, Callable[..., Any]] = {
        "conv2d_forward": conv2d_forward, "conv2d_backward": conv2d_backward,
        "pool2d_forward": pool2d_forward, "pool2d_backward": pool2d_backward,
        "softmax_xent_forward": softmax_xent_forward,
        "softmax_xent_backward": softmax_xent_backward,
        "batchnorm_forward": batchnorm_forward, "batchnorm_backward": batchnorm_backward,
        "sgd_update": sgd_update, "adam_update": adam_update,
    }
    for name, fn in paths.items():
        backend.register_fast_path(name, _guarded(backend, fn))
    return list(paths)


def _kind(kind: str) -> str:
    if kind not in ("max", "avg"):
        raise ValueError(f"pool2d: kind must be 'max' or 'avg', got {kind!r}")
    return kind


def _guarded(backend: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run on the backend's device; CuPy's out-of-memory becomes a clear MemoryError."""
    from .._memory import OOM, oom_error

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        backend._use()
        try:
            return fn(*args, **kwargs)
        except OOM as exc:
            raise oom_error(backend.device_name, exc) from exc
    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
