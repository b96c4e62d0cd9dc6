"""conv2d forward and backward through cuDNN's graph API (``nvidia-cudnn-frontend``).

Graphs are built, autotuned and cached per configuration by ``_cudnn_graphs``. The
forward pass first tries a graph with the bias fused into the convolution's epilogue,
else adds the bias in a separate pass; the weight gradient runs on a side stream,
concurrently with the data gradient. Configurations cuDNN cannot plan, and groups
other than 1, take the im2col + cuBLAS path.
"""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from ....arrays.device import tf32_allowed
from .. import _blas
from . import conv_gemm
from ._cudnn_graphs import GraphRunner, strides

__all__ = ["CudnnConv", "CONCURRENT_BACKWARD"]

#: run the weight gradient on a side stream, concurrently with the data gradient
CONCURRENT_BACKWARD = True


class CudnnConv:
    """cuDNN convolutions for one device."""

    def __init__(self, runner: GraphRunner) -> None:
        self.runner = runner
        self.cudnn = runner.cudnn
        self._dtypes = {np.dtype(np.float32): runner.cudnn.data_type.FLOAT,
                        np.dtype(np.float64): runner.cudnn.data_type.DOUBLE}
        self._side: Any = None

    @property
    def fallbacks(self) -> dict[tuple, str]:
        return self.runner.fallbacks

    def _build(self, key: tuple) -> tuple[Any, dict[str, Any]]:
        kind, xs, ws, ys, stride, pad, dil, dtype, tf32 = key
        cudnn = self.cudnn
        dt = self._dtypes[dtype]
        acc = cudnn.data_type.FLOAT if dtype == np.float32 else cudnn.data_type.DOUBLE
        g = cudnn.pygraph(io_data_type=dt, intermediate_data_type=acc,
                          compute_data_type=acc, handle=self.runner.handle)
        conv = {"padding": list(pad), "stride": list(stride), "dilation": list(dil),
                "compute_data_type": acc}
        t: dict[str, Any] = {}
        if kind in ("fprop", "fprop_bias"):
            t["a"] = g.tensor(name="X", dim=list(xs), stride=strides(xs), data_type=dt)
            t["b"] = g.tensor(name="W", dim=list(ws), stride=strides(ws), data_type=dt)
            out, shape = g.conv_fprop(image=t["a"], weight=t["b"], **conv), ys
            if kind == "fprop_bias":  # bias fused into the convolution's epilogue
                bshape = (1, ys[1], 1, 1)
                t["c"] = g.tensor(name="B", dim=list(bshape), stride=strides(bshape), data_type=dt)
                out = g.bias(input=out, bias=t["c"])
        elif kind == "dgrad":
            t["a"] = g.tensor(name="DY", dim=list(ys), stride=strides(ys), data_type=dt)
            t["b"] = g.tensor(name="W", dim=list(ws), stride=strides(ws), data_type=dt)
            out, shape = g.conv_dgrad(loss=t["a"], filter=t["b"], **conv), xs
        else:
            t["a"] = g.tensor(name="X", dim=list(xs), stride=strides(xs), data_type=dt)
            t["b"] = g.tensor(name="DY", dim=list(ys), stride=strides(ys), data_type=dt)
            out, shape = g.conv_wgrad(image=t["a"], loss=t["b"], **conv), ws
        out.set_output(True).set_data_type(dt).set_dim(list(shape)).set_stride(strides(shape))
        t["out"] = out
        self.runner.plan(g, strict_fp32=not tf32 and dtype == np.float32)
        return g, t

    def _run(self, kind: str, inputs: tuple[Any, ...], out: Any, xs, ws, ys,
             stride, pad, dil) -> bool:
        key = (kind, xs, ws, ys, stride, pad, dil, out.dtype,
               bool(tf32_allowed()) and out.dtype == np.float32)
        buffers = dict(zip("abc", inputs))
        buffers["out"] = out
        return self.runner.run(key, lambda: self._build(key), buffers)

    def forward(self, x: Any, w: Any, b: Any, stride, padding, dilation, groups: int) -> Any:
        if groups != 1 or x.dtype not in self._dtypes:
            return conv_gemm.forward(x, w, b, stride, padding, dilation, groups)
        x = cp.ascontiguousarray(x)
        w = cp.ascontiguousarray(w)
        n, _, h, wd = x.shape
        o, _, kh, kw = w.shape
        ho = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (wd + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        y = cp.empty((n, o, ho, wo), x.dtype)
        geo = (x.shape, w.shape, y.shape, stride, padding, dilation)
        if b is not None and self._run("fprop_bias", (x, w, cp.ascontiguousarray(b)), y, *geo):
            return y
        if not self._run("fprop", (x, w), y, *geo):
            return conv_gemm.forward(x, w, b, stride, padding, dilation, groups)
        if b is not None:
            _blas.add_bias(y, b)
        return y

    def backward(self, x: Any, w: Any, dy: Any, stride, padding, dilation, groups: int,
                 need: tuple[bool, bool, bool]) -> tuple[Any, Any, Any]:
        if groups != 1 or x.dtype not in self._dtypes:
            return conv_gemm.backward(x, w, dy, stride, padding, dilation, groups, need)
        x = cp.ascontiguousarray(x)
        w = cp.ascontiguousarray(w)
        dy = cp.ascontiguousarray(dy)
        dx = dw = db = None
        shapes = (x.shape, w.shape, dy.shape, stride, padding, dilation)
        side = None
        if need[0] and need[1] and CONCURRENT_BACKWARD:
            # dgrad and wgrad are independent: wgrad runs on a side stream that waits
            # for the caller's stream and is waited for before we return
            if self._side is None:
                self._side = cp.cuda.Stream(non_blocking=True)
            side = self._side
            side.wait_event(cp.cuda.get_current_stream().record())
        if need[1]:
            dw = cp.empty(w.shape, w.dtype)
            if side is not None:
                with side:
                    done = self._run("wgrad", (x, dy), dw, *shapes)
            else:
                done = self._run("wgrad", (x, dy), dw, *shapes)
            if not done:
                if side is not None:
                    cp.cuda.get_current_stream().wait_event(side.record())
                    side = None
                dw = conv_gemm.backward(x, w, dy, stride, padding, dilation, 1,
                                        (False, True, False))[1]
        if need[0]:
            dx = cp.empty(x.shape, x.dtype)
            if not self._run("dgrad", (dy, w), dx, *shapes):
                dx = conv_gemm.backward(x, w, dy, stride, padding, dilation, 1,
                                        (True, False, False))[0]
        if need[2]:
            db = _blas.bias_grad(dy)
        if side is not None:
            cp.cuda.get_current_stream().wait_event(side.record())
        return dx, dw, db
