"""conv2d forward and backward through cuDNN's graph API (``nvidia-cudnn-frontend``).

One cuDNN graph per (pass, shapes, stride, padding, dilation, dtype, TF32 setting),
built once and cached with its workspace; on first use the first ``AUTOTUNE`` plans of
cuDNN's heuristic ranking are timed and the fastest is kept (PyTorch leaves this to
``cudnn.benchmark=True``; our graphs are per shape anyway). Strict float32 (the default) removes every
engine whose numerical notes say TENSOR_CORE or DOWN_CONVERT_INPUTS, which is how
cuDNN marks TF32; with TF32 allowed they stay. A configuration cuDNN cannot plan is
remembered and served by the im2col + cuBLAS path instead (``fallbacks`` lists
them with cuDNN's reason). The forward pass first tries a graph with the bias fused
into the convolution's epilogue, else adds the bias in a separate pass. Groups other than 1 always take the im2col path.
"""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from ....arrays.device import tf32_allowed
from .. import _blas
from . import conv_gemm

__all__ = ["CudnnConv", "AUTOTUNE"]

#: how many of cuDNN's ranked plans are timed on first use of a configuration
AUTOTUNE = 8
#: run the weight gradient on a side stream, concurrently with the data gradient
CONCURRENT_BACKWARD = True


def _strides(shape: tuple[int, ...]) -> list[int]:
    out, acc = [], 1
    for size in reversed(shape):
        out.append(acc)
        acc *= max(int(size), 1)
    return out[::-1]


class CudnnConv:
    """Cached cuDNN convolution graphs for one device."""

    def __init__(self, cudnn: Any) -> None:
        self.cudnn = cudnn
        self.handle = cudnn.create_handle()
        self.graphs: dict[tuple, Any] = {}
        self.fallbacks: dict[tuple, str] = {}
        self._side: Any = None
        self._dtypes = {np.dtype(np.float32): cudnn.data_type.FLOAT,
                        np.dtype(np.float64): cudnn.data_type.DOUBLE}

    # ------------------------------------------------------------------ graphs
    def _build(self, key: tuple) -> tuple[Any, dict[str, Any]]:
        kind, xs, ws, ys, stride, pad, dil, dtype, tf32 = key
        cudnn = self.cudnn
        dt = self._dtypes[dtype]
        acc = cudnn.data_type.FLOAT if dtype == np.float32 else cudnn.data_type.DOUBLE
        g = cudnn.pygraph(io_data_type=dt, intermediate_data_type=acc,
                          compute_data_type=acc, handle=self.handle)
        conv = {"padding": list(pad), "stride": list(stride), "dilation": list(dil),
                "compute_data_type": acc}
        extra = {}
        if kind in ("fprop", "fprop_bias"):
            a = g.tensor(name="X", dim=list(xs), stride=_strides(xs), data_type=dt)
            b = g.tensor(name="W", dim=list(ws), stride=_strides(ws), data_type=dt)
            out, shape = g.conv_fprop(image=a, weight=b, **conv), ys
            if kind == "fprop_bias":  # bias fused into the convolution's epilogue
                bshape = (1, ys[1], 1, 1)
                extra["c"] = g.tensor(name="B", dim=list(bshape), stride=_strides(bshape),
                                      data_type=dt)
                out = g.bias(input=out, bias=extra["c"])
        elif kind == "dgrad":
            a = g.tensor(name="DY", dim=list(ys), stride=_strides(ys), data_type=dt)
            b = g.tensor(name="W", dim=list(ws), stride=_strides(ws), data_type=dt)
            out, shape = g.conv_dgrad(loss=a, filter=b, **conv), xs
        else:
            a = g.tensor(name="X", dim=list(xs), stride=_strides(xs), data_type=dt)
            b = g.tensor(name="DY", dim=list(ys), stride=_strides(ys), data_type=dt)
            out, shape = g.conv_wgrad(image=a, loss=b, **conv), ws
        out.set_output(True).set_data_type(dt).set_dim(list(shape)).set_stride(_strides(shape))
        g.validate()
        g.build_operation_graph()
        g.create_execution_plans([cudnn.heur_mode.A, cudnn.heur_mode.FALLBACK])
        if not tf32 and dtype == np.float32:
            g.deselect_numeric_notes([cudnn.numerical_note.TENSOR_CORE,
                                      cudnn.numerical_note.DOWN_CONVERT_INPUTS])
        g.check_support()
        return g, {"a": a, "b": b, "out": out, **extra}

    def _autotune(self, g: Any, pack: dict[Any, int]) -> Any:
        """Time the first ``AUTOTUNE`` plans cuDNN ranks (``execute_plan_at_index`` on
        this call's buffers) and select the fastest; return its workspace. Like
        PyTorch's ``cudnn.benchmark``, but cached per configuration for the process."""
        best, best_ms, spaces = None, float("inf"), {}
        count = int(g.get_execution_plan_count())
        for index in range(min(count, AUTOTUNE)):
            try:
                g.build_plan_at_index(index)
                size = int(g.get_workspace_size_plan_at_index(index))
                ws = spaces[index] = cp.empty(max(size, 1), np.uint8)
                g.execute_plan_at_index(pack, ws.data.ptr, index, handle=self.handle)
                start, stop = cp.cuda.Event(), cp.cuda.Event()
                start.record()
                for _ in range(2):
                    g.execute_plan_at_index(pack, ws.data.ptr, index, handle=self.handle)
                stop.record()
                stop.synchronize()
                ms = cp.cuda.get_elapsed_time(start, stop)
            except Exception:  # barred by the TF32 filter, or the engine declines
                spaces.pop(index, None)
                continue
            if ms < best_ms:
                best, best_ms = index, ms
        if best is None:  # nothing timed: let cuDNN take its first plan that builds
            g.build_plans()
            return cp.empty(max(int(g.get_workspace_size()), 1), np.uint8)
        g.build_plan_at_index(best)
        return spaces[best]

    def _run(self, kind: str, inputs: tuple[Any, ...], out: Any, xs, ws, ys,
             stride, pad, dil) -> bool:
        """Run pass ``kind`` with ``inputs`` (bound to tensors a, b[, c]) into ``out``;
        False when cuDNN cannot serve this configuration (the caller falls back)."""
        key = (kind, xs, ws, ys, stride, pad, dil, out.dtype,
               bool(tf32_allowed()) and out.dtype == np.float32)
        entry = self.graphs.get(key, 0)
        self.cudnn.set_stream(self.handle, cp.cuda.get_current_stream().ptr)
        if entry == 0:
            try:
                g, t = self._build(key)
                entry = (g, t, self._autotune(g, self._pack(t, inputs, out)))
            except Exception as exc:  # cuDNN has no engine for this configuration
                self.fallbacks[key] = f"{type(exc).__name__}: {exc}"
                entry = None
            self.graphs[key] = entry
        if entry is None:
            return False
        g, t, workspace = entry
        g.execute(self._pack(t, inputs, out), workspace.data.ptr, handle=self.handle)
        return True

    @staticmethod
    def _pack(t: dict[str, Any], inputs: tuple[Any, ...], out: Any) -> dict[Any, int]:
        pack = {t[name]: buf.data.ptr for name, buf in zip("abc", inputs)}
        pack[t["out"]] = out.data.ptr
        return pack

    # ------------------------------------------------------------- fast paths
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
