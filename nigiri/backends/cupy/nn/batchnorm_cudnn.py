"""Batch normalisation training passes through cuDNN's graph API.

float32 with gamma, beta and running statistics given, 2-d or 4-d NCHW input: the
``batchnorm`` / ``batchnorm_backward`` graph nodes (cached and autotuned by
``_cudnn_graphs``; cuDNN updates the running statistics with the unbiased variance,
as PyTorch does). Everything else, inference included (one elementwise pass), uses our
own kernels in ``batchnorm``.
"""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from ....arrays.device import tf32_allowed
from . import batchnorm
from ._cudnn_graphs import GraphRunner, strides

__all__ = ["CudnnBatchNorm"]


class CudnnBatchNorm:
    """cuDNN batch normalisation for one device."""

    def __init__(self, runner: GraphRunner) -> None:
        self.runner = runner
        self.cudnn = runner.cudnn

    def _graph(self) -> Any:
        cudnn = self.cudnn
        f = cudnn.data_type.FLOAT
        return cudnn.pygraph(io_data_type=f, intermediate_data_type=f, compute_data_type=f,
                             handle=self.runner.handle)

    def _vec(self, g: Any, name: str, c: int) -> Any:
        shape = (1, c, 1, 1)
        return g.tensor(name=name, dim=list(shape), stride=strides(shape),
                        data_type=self.cudnn.data_type.FLOAT)

    def _build_fwd(self, key: tuple) -> tuple[Any, dict[str, Any]]:
        _, shape, momentum, eps, strict = key
        cudnn = self.cudnn
        g = self._graph()
        c = shape[1]
        t = {"x": g.tensor(name="X", dim=list(shape), stride=strides(shape),
                           data_type=cudnn.data_type.FLOAT)}
        for name in ("gamma", "beta", "rm", "rv"):
            t[name] = self._vec(g, name, c)
        e = g.tensor_scalar(float(eps), cudnn.scalar_type.COMPILE_TIME_CONST, name="eps")
        m = g.tensor_scalar(float(momentum), cudnn.scalar_type.COMPILE_TIME_CONST, name="mom")
        y, mean, inv, nrm, nrv = g.batchnorm(input=t["x"], scale=t["gamma"], bias=t["beta"],
                                             in_running_mean=t["rm"], in_running_var=t["rv"],
                                             epsilon=e, momentum=m)
        vec = (1, c, 1, 1)
        for name, tensor, dims in (("y", y, shape), ("mean", mean, vec), ("inv", inv, vec),
                                   ("nrm", nrm, vec), ("nrv", nrv, vec)):
            tensor.set_output(True).set_data_type(cudnn.data_type.FLOAT).set_dim(
                list(dims)).set_stride(strides(dims))
            t[name] = tensor
        self.runner.plan(g, strict_fp32=strict)
        return g, t

    def _build_bwd(self, key: tuple) -> tuple[Any, dict[str, Any]]:
        _, shape, strict = key
        cudnn = self.cudnn
        g = self._graph()
        c = shape[1]
        t = {name: g.tensor(name=name, dim=list(shape), stride=strides(shape),
                            data_type=cudnn.data_type.FLOAT) for name in ("dy", "x")}
        for name in ("gamma", "mean", "inv"):
            t[name] = self._vec(g, name, c)
        dx, dgamma, dbeta = g.batchnorm_backward(grad=t["dy"], input=t["x"], scale=t["gamma"],
                                                 mean=t["mean"], inv_variance=t["inv"])
        vec = (1, c, 1, 1)
        for name, tensor, dims in (("dx", dx, shape), ("dgamma", dgamma, vec),
                                   ("dbeta", dbeta, vec)):
            tensor.set_output(True).set_data_type(cudnn.data_type.FLOAT).set_dim(
                list(dims)).set_stride(strides(dims))
            t[name] = tensor
        self.runner.plan(g, strict_fp32=strict)
        return g, t

    @staticmethod
    def _usable(x: Any, *vecs: Any) -> bool:
        return (x.dtype == np.float32 and x.ndim in (2, 4) and x.size > 0
                and all(v is not None and v.dtype == np.float32 for v in vecs))

    def forward(self, x: Any, gamma: Any, beta: Any, running_mean: Any, running_var: Any,
                momentum: float, eps: float, training: bool) -> tuple[Any, Any, Any]:
        if not training or not self._usable(x, gamma, beta, running_mean, running_var):
            return batchnorm.forward(x, gamma, beta, running_mean, running_var, momentum,
                                     eps, training)
        x4 = cp.ascontiguousarray(x).reshape(x.shape + (1,) * (4 - x.ndim))
        c = x.shape[1]
        strict = not tf32_allowed()
        key = ("bn_fwd", x4.shape, float(momentum), float(eps), strict)
        out = {"y": cp.empty_like(x4), "mean": cp.empty(c, np.float32),
               "inv": cp.empty(c, np.float32), "nrm": cp.empty(c, np.float32),
               "nrv": cp.empty(c, np.float32)}
        buffers = {"x": x4, "gamma": cp.ascontiguousarray(gamma), "beta": cp.ascontiguousarray(beta),
                   "rm": cp.ascontiguousarray(running_mean), "rv": cp.ascontiguousarray(running_var),
                   **out}
        if not self.runner.run(key, lambda: self._build_fwd(key), buffers):
            return batchnorm.forward(x, gamma, beta, running_mean, running_var, momentum,
                                     eps, training)
        running_mean[...] = out["nrm"]
        running_var[...] = out["nrv"]
        return out["y"].reshape(x.shape), out["mean"], out["inv"]

    def backward(self, dy: Any, x: Any, gamma: Any, saved_mean: Any, saved_invstd: Any
                 ) -> tuple[Any, Any, Any]:
        if not self._usable(x, dy, gamma, saved_mean, saved_invstd):
            return batchnorm.backward(dy, x, gamma, saved_mean, saved_invstd)
        shape4 = x.shape + (1,) * (4 - x.ndim)
        c = x.shape[1]
        key = ("bn_bwd", shape4, not tf32_allowed())
        out = {"dx": cp.empty(shape4, np.float32), "dgamma": cp.empty(c, np.float32),
               "dbeta": cp.empty(c, np.float32)}
        buffers = {"dy": cp.ascontiguousarray(dy).reshape(shape4),
                   "x": cp.ascontiguousarray(x).reshape(shape4),
                   "gamma": cp.ascontiguousarray(gamma), "mean": cp.ascontiguousarray(saved_mean),
                   "inv": cp.ascontiguousarray(saved_invstd), **out}
        if not self.runner.run(key, lambda: self._build_bwd(key), buffers):
            return batchnorm.backward(dy, x, gamma, saved_mean, saved_invstd)
        return out["dx"].reshape(x.shape), out["dgamma"], out["dbeta"]
