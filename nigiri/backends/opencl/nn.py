"""nn fast paths (DESIGN section 3) on OpenCL: conv2d via im2col + the tiled GEMM,
max/avg pooling, softmax cross-entropy, batch normalisation and the momentum-SGD
update. All NCHW, float32 or float64; they take and return ``CLBuffer``s.

Keyword conventions (shared with ``nigiri.nn.functional``): ``stride``, ``padding``,
``dilation`` and ``ksize`` are ints or (h, w) pairs; pooling takes ``kind`` ("max" or
"avg"), ``ceil_mode`` and ``count_include_pad`` (default True, PyTorch's default);
the pooling argmax is int64, the flat ``h * W + w`` index in its input plane (as
PyTorch returns); cross-entropy ``labels`` are integers (cast to int64), rows whose
label is ``ignore_index`` get loss 0 and zero gradient; batch norm updates the
running statistics in place with PyTorch's momentum convention and unbiased
running variance, and accepts ``gamma``/``beta``/running stats of None.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np

from .buffer import CLBuffer, c_strides
from ..nn_shapes import pair

__all__ = ["register_fast_paths", "NN_FAST_PATHS"]

_NN_CL = (pathlib.Path(__file__).with_name("kernels") / "nn.cl").read_text()
NN_FAST_PATHS = ("conv2d_forward", "conv2d_backward", "pool2d_forward", "pool2d_backward",
                 "softmax_xent_forward", "softmax_xent_backward", "batchnorm_forward",
                 "batchnorm_backward", "sgd_update")
_I32, _I64 = np.int32, np.int64


_pair = pair  # shared with the other backends' fast paths


def _check_float(fn: str, *bufs: Any) -> np.dtype:
    dt = bufs[0].dtype
    if dt not in (np.float32, np.float64):
        raise TypeError(f"{fn}: expected float32 or float64 arrays, got {dt.name}")
    for b in bufs[1:]:
        if b is not None and b.dtype != dt:
            raise TypeError(f"{fn}: all arrays must share dtype {dt.name}, got {b.dtype.name}")
    return dt


def pool_out(size: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """Output length of a pooling window (PyTorch's rule for ceil_mode)."""
    num = size + 2 * p - k
    out = (num + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


class _NN:
    """The fast paths bound to one backend instance."""

    def __init__(self, be: Any) -> None:
        self.be = be
        self.rt = be.rt

    def _k(self, dtype: np.dtype, name: str, argt: list[Any], wg: int = 1) -> Any:
        pre = "#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n" if dtype == np.float64 else ""
        src = f"{pre}#define T {'double' if dtype == np.float64 else 'float'}\n#define WG {wg}\n"
        return self.rt.kernel(src + _NN_CL, name, argt)

    def _t(self, dtype: np.dtype) -> type:
        return np.float64 if dtype == np.float64 else np.float32

    # ------------------------------------------------------------------ conv2d
    def _geometry(self, x: CLBuffer, w: CLBuffer, stride: Any, padding: Any, dilation: Any,
                  groups: int) -> dict[str, int]:
        if x.ndim != 4 or w.ndim != 4:
            raise ValueError(f"conv2d: expected 4-d x and w (NCHW, OIHW), got {x.shape} and {w.shape}")
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        groups = int(groups)
        if groups < 1 or c % groups or o % groups or cg != c // groups:
            raise ValueError(f"conv2d: x has {c} channels and w {cg} per group with "
                             f"groups={groups} and {o} outputs; these do not match")
        sh, sw = _pair(stride, "conv2d stride")
        ph, pw = _pair(padding, "conv2d padding")
        dh, dw = _pair(dilation, "conv2d dilation")
        ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        if ho <= 0 or wo <= 0:
            raise ValueError(f"conv2d: the output would be empty ({ho}x{wo}) for input {h}x{wd}")
        return dict(N=n, C=c, H=h, W=wd, O=o, CG=cg, KH=kh, KW=kw, SH=sh, SW=sw, PH=ph, PW=pw,
                    DH=dh, DW=dw, HO=ho, WO=wo, G=groups)

    def _geo_args(self, g: dict[str, int]) -> list[int]:
        return [g[k] for k in ("C", "H", "W", "KH", "KW", "SH", "SW", "PH", "PW", "DH", "DW",
                               "HO", "WO")]

    def _im2col(self, x: CLBuffer, g: dict[str, int]) -> CLBuffer:
        ckk = g["CG"] * g["KH"] * g["KW"]
        cols = self.be._alloc((g["N"], g["G"], ckk, g["HO"] * g["WO"]), x.dtype)
        k = self._k(x.dtype, "im2col", [None, None] + [_I32] * 13 + [_I64])
        self.rt.launch1d(k, cols.size, cols.base, x.base, *self._geo_args(g), cols.size)
        return cols

    def conv2d_forward(self, x: CLBuffer, w: CLBuffer, b: CLBuffer | None, stride: Any = 1,
                       padding: Any = 0, dilation: Any = 1, groups: int = 1) -> CLBuffer:
        """y = conv2d(x, w) + b (cross-correlation, NCHW)."""
        be = self.be
        dt = _check_float("conv2d_forward", x, w, b)
        g = self._geometry(x, w, stride, padding, dilation, groups)
        x = be._contig(x)
        w = be._contig(w)
        cols = self._im2col(x, g)
        og, ckk = g["O"] // g["G"], g["CG"] * g["KH"] * g["KW"]
        w3 = w.view(0, (g["G"], og, ckk), c_strides((g["G"], og, ckk)))
        y = be.matmul(w3, cols)  # (N, G, O/G, HO*WO), contiguous
        y = y.view(0, (g["N"], g["O"], g["HO"], g["WO"]), c_strides((g["N"], g["O"], g["HO"], g["WO"])))
        if b is not None:
            bb = be._contig(b)
            k = self._k(dt, "add_channel_bias", [None, None, _I32, _I64, _I64])
            self.rt.launch1d(k, y.size, y.base, bb.base, g["O"], g["HO"] * g["WO"], y.size)
        return y

    def conv2d_backward(self, x: CLBuffer, w: CLBuffer, dy: CLBuffer, stride: Any = 1,
                        padding: Any = 0, dilation: Any = 1, groups: int = 1,
                        need: tuple[bool, bool, bool] = (True, True, True)
                        ) -> tuple[CLBuffer | None, CLBuffer | None, CLBuffer | None]:
        """(dx, dw, db) of conv2d_forward; None where ``need`` says not needed."""
        be = self.be
        _check_float("conv2d_backward", x, w, dy)
        g = self._geometry(x, w, stride, padding, dilation, groups)
        if dy.shape != (g["N"], g["O"], g["HO"], g["WO"]):
            raise ValueError(f"conv2d_backward: dy has shape {dy.shape}, expected "
                             f"{(g['N'], g['O'], g['HO'], g['WO'])}")
        x, w, dy = be._contig(x), be._contig(w), be._contig(dy)
        og, ckk, hw = g["O"] // g["G"], g["CG"] * g["KH"] * g["KW"], g["HO"] * g["WO"]
        dy4 = dy.view(0, (g["N"], g["G"], og, hw), c_strides((g["N"], g["G"], og, hw)))
        w3 = w.view(0, (g["G"], og, ckk), c_strides((g["G"], og, ckk)))
        dx = dw = db = None
        if need[1]:
            cols = self._im2col(x, g)
            per = be.matmul(dy4, be.permute(cols, (0, 1, 3, 2)))  # (N, G, O/G, ckk)
            dw = be.reduce("sum", per, (0,), False, x.dtype)
            dw = dw.view(0, w.shape, c_strides(w.shape))
        if need[2]:
            db = be.reduce("sum", dy, (0, 2, 3), False, x.dtype)
        if need[0]:
            dcols = be.matmul(be.permute(w3, (0, 2, 1)), dy4)  # (N, G, ckk, HO*WO)
            dx = be._alloc(x.shape, x.dtype)
            k = self._k(x.dtype, "col2im", [None, None] + [_I32] * 13 + [_I64])
            self.rt.launch1d(k, dx.size, dx.base, dcols.base, *self._geo_args(g), dx.size)
        return dx, dw, db

    # ----------------------------------------------------------------- pooling
    def _pool_geo(self, x: CLBuffer, kind: str, ksize: Any, stride: Any, padding: Any,
                  ceil_mode: bool) -> tuple[int, ...]:
        if kind not in ("max", "avg"):
            raise ValueError(f"pool2d: kind must be 'max' or 'avg', got {kind!r}")
        if x.ndim != 4:
            raise ValueError(f"pool2d: expected a 4-d NCHW input, got shape {x.shape}")
        kh, kw = _pair(ksize, "pool2d ksize")
        sh, sw = (kh, kw) if stride is None else _pair(stride, "pool2d stride")
        ph, pw = _pair(padding, "pool2d padding")
        if ph > kh // 2 or pw > kw // 2:
            raise ValueError(f"pool2d: padding {(ph, pw)} must be at most half the window {(kh, kw)}")
        h, w = x.shape[2:]
        ho, wo = pool_out(h, kh, sh, ph, ceil_mode), pool_out(w, kw, sw, pw, ceil_mode)
        if ho <= 0 or wo <= 0:
            raise ValueError(f"pool2d: the output would be empty for input {h}x{w}")
        return h, w, ho, wo, kh, kw, sh, sw, ph, pw

    def pool2d_forward(self, x: CLBuffer, kind: str = "max", ksize: Any = 2, stride: Any = None,
                       padding: Any = 0, ceil_mode: bool = False, count_include_pad: bool = True
                       ) -> tuple[CLBuffer, CLBuffer | None]:
        """(y, argmax) for max pooling, (y, None) for average pooling."""
        be = self.be
        _check_float("pool2d_forward", x)
        geo = self._pool_geo(x, kind, ksize, stride, padding, ceil_mode)
        h, w, ho, wo = geo[:4]
        x = be._contig(x)
        y = be._alloc(x.shape[:2] + (ho, wo), x.dtype)
        if kind == "max":
            arg = be._alloc(y.shape, np.int64)
            k = self._k(x.dtype, "maxpool_fwd", [None, None, None] + [_I32] * 10 + [_I64])
            self.rt.launch1d(k, y.size, y.base, arg.base, x.base, *geo, y.size)
            return y, arg
        k = self._k(x.dtype, "avgpool_fwd", [None, None] + [_I32] * 11 + [_I64])
        self.rt.launch1d(k, y.size, y.base, x.base, *geo, int(bool(count_include_pad)), y.size)
        return y, None

    def pool2d_backward(self, dy: CLBuffer, x: CLBuffer, argmax: CLBuffer | None,
                        kind: str = "max", ksize: Any = 2, stride: Any = None, padding: Any = 0,
                        ceil_mode: bool = False, count_include_pad: bool = True) -> CLBuffer:
        """dx of pool2d_forward."""
        be = self.be
        _check_float("pool2d_backward", dy, x)
        geo = self._pool_geo(x, kind, ksize, stride, padding, ceil_mode)
        if dy.shape != x.shape[:2] + geo[2:4]:
            raise ValueError(f"pool2d_backward: dy has shape {dy.shape}, expected "
                             f"{x.shape[:2] + geo[2:4]}")
        if kind == "max" and argmax is None:
            raise ValueError("pool2d_backward: max pooling needs the argmax of the forward pass")
        dy = be._contig(dy)
        arg = be._contig(argmax) if kind == "max" else dy  # unused by the avg branch
        dx = be._alloc(x.shape, x.dtype)
        k = self._k(x.dtype, "pool_bwd", [None, None, None] + [_I32] * 12 + [_I64])
        self.rt.launch1d(k, dx.size, dx.base, dy.base, arg.base, int(kind == "max"), *geo,
                         int(bool(count_include_pad)), dx.size)
        return dx

    # ----------------------------------------------------------- cross-entropy
    def _labels(self, labels: CLBuffer, n: int) -> CLBuffer:
        if labels.dtype.kind not in "iu":
            raise TypeError(f"softmax_xent: labels must be integers, got {labels.dtype.name}")
        if labels.shape != (n,):
            raise ValueError(f"softmax_xent: labels must have shape ({n},), got {labels.shape}")
        return self.be._contig(labels if labels.dtype == np.int64
                               else self.be.astype(labels, np.int64))

    def softmax_xent_forward(self, logits: CLBuffer, labels: CLBuffer, ignore_index: int = -100
                             ) -> tuple[CLBuffer, CLBuffer]:
        """(loss per sample, softmax probabilities) of logits[N, K]."""
        be = self.be
        _check_float("softmax_xent_forward", logits)
        if logits.ndim != 2:
            raise ValueError(f"softmax_xent_forward: logits must be 2-d, got {logits.shape}")
        n, kk = logits.shape
        lab = self._labels(labels, n)
        x = be._contig(logits)
        loss = be._alloc((n,), x.dtype)
        probs = be._alloc((n, kk), x.dtype)
        k = self._k(x.dtype, "xent_fwd", [None, None, None, None, _I64, _I64, _I64])
        self.rt.launch1d(k, n, loss.base, probs.base, x.base, lab.base, n, kk, int(ignore_index))
        return loss, probs

    def softmax_xent_backward(self, probs: CLBuffer, labels: CLBuffer, dloss: CLBuffer,
                              ignore_index: int = -100) -> CLBuffer:
        """dlogits = (probs - onehot(labels)) * dloss[:, None]; zero rows where ignored."""
        be = self.be
        _check_float("softmax_xent_backward", probs, dloss)
        n, kk = probs.shape
        lab = self._labels(labels, n)
        p, dl = be._contig(probs), be._contig(dloss)
        out = be._alloc((n, kk), p.dtype)
        k = self._k(p.dtype, "xent_bwd", [None, None, None, None, _I64, _I64, _I64])
        self.rt.launch1d(k, out.size, out.base, p.base, lab.base, dl.base, kk, int(ignore_index),
                         out.size)
        return out

    # -------------------------------------------------------------- batchnorm
    def _bn_shape(self, x: CLBuffer) -> tuple[int, int, int]:
        if x.ndim < 2:
            raise ValueError(f"batchnorm: expected x of shape (N, C, ...), got {x.shape}")
        s = 1
        for d in x.shape[2:]:
            s *= d
        return x.shape[0], x.shape[1], s

    def _wg(self, count: int) -> int:
        w = 1
        while w < count and w < 256:
            w *= 2
        return min(w, self.rt.max_wg)

    def batchnorm_forward(self, x: CLBuffer, gamma: CLBuffer | None, beta: CLBuffer | None,
                          running_mean: CLBuffer | None, running_var: CLBuffer | None,
                          momentum: float = 0.1, eps: float = 1e-5, training: bool = True
                          ) -> tuple[CLBuffer, CLBuffer, CLBuffer]:
        """(y, saved_mean, saved_invstd); running stats updated in place when training."""
        be = self.be
        dt = _check_float("batchnorm_forward", x, gamma, beta, running_mean, running_var)
        t = self._t(dt)
        n, c, s = self._bn_shape(x)
        x = be._contig(x)
        mean = be._alloc((c,), dt)
        invstd = be._alloc((c,), dt)
        if training:
            if n * s == 0:
                raise ValueError("batchnorm_forward: cannot normalise an empty batch")
            update = running_mean is not None and running_var is not None
            rm = be._contig(running_mean) if update else mean
            rv = be._contig(running_var) if update else invstd
            wg = self._wg(n * s)
            k = self._k(dt, "bn_stats", [None] * 5 + [_I64, _I64, _I64, t, t, _I32], wg)
            self.rt.launch(k, (c * wg,), (wg,), mean.base, invstd.base, rm.base, rv.base,
                           x.base, n, c, s, t(eps), t(momentum), int(update))
            if update and rm is not running_mean:
                be.copy_into(running_mean, rm)
            if update and rv is not running_var:
                be.copy_into(running_var, rv)
        else:
            if running_mean is None or running_var is None:
                raise ValueError("batchnorm_forward: evaluation mode needs running statistics")
            rm, rv = be._contig(running_mean), be._contig(running_var)
            k = self._k(dt, "bn_eval_stats", [None] * 4 + [t, _I64])
            self.rt.launch1d(k, c, mean.base, invstd.base, rm.base, rv.base, t(eps), c)
        y = be._alloc(x.shape, dt)
        affine = gamma is not None and beta is not None
        gb = be._contig(gamma) if affine else mean
        bb = be._contig(beta) if affine else mean
        k = self._k(dt, "bn_apply", [None] * 6 + [_I32, _I64, _I64, _I64])
        self.rt.launch1d(k, y.size, y.base, x.base, mean.base, invstd.base, gb.base, bb.base,
                         int(affine), c, s, y.size)
        return y, mean, invstd

    def batchnorm_backward(self, dy: CLBuffer, x: CLBuffer, gamma: CLBuffer | None,
                           saved_mean: CLBuffer, saved_invstd: CLBuffer
                           ) -> tuple[CLBuffer, CLBuffer, CLBuffer]:
        """(dx, dgamma, dbeta) of training-mode batch normalisation."""
        be = self.be
        dt = _check_float("batchnorm_backward", dy, x, gamma, saved_mean, saved_invstd)
        n, c, s = self._bn_shape(x)
        dy, x = be._contig(dy), be._contig(x)
        mean, invstd = be._contig(saved_mean), be._contig(saved_invstd)
        dgamma = be._alloc((c,), dt)
        dbeta = be._alloc((c,), dt)
        wg = self._wg(n * s)
        k = self._k(dt, "bn_bwd_sums", [None] * 6 + [_I64, _I64, _I64], wg)
        self.rt.launch(k, (c * wg,), (wg,), dgamma.base, dbeta.base, dy.base, x.base, mean.base,
                       invstd.base, n, c, s)
        dx = be._alloc(x.shape, dt)
        affine = gamma is not None
        gb = be._contig(gamma) if affine else mean
        k = self._k(dt, "bn_bwd_dx", [None] * 6 + [_I32, None, None, _I64, _I64, _I64, _I64])
        self.rt.launch1d(k, dx.size, dx.base, dy.base, x.base, mean.base, invstd.base, gb.base,
                         int(affine), dgamma.base, dbeta.base, c, s, n * s, dx.size)
        return dx, dgamma, dbeta

    # --------------------------------------------------------------------- sgd
    def sgd_update(self, param: CLBuffer, grad: CLBuffer, velocity: CLBuffer | None,
                   lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                   nesterov: bool = False) -> None:
        """In place: v = m*v + (g + wd*p); p -= lr*v (Nesterov: p -= lr*(g + wd*p + m*v))."""
        be = self.be
        dt = _check_float("sgd_update", param, grad, velocity)
        t = self._t(dt)
        for name, b in (("grad", grad), ("velocity", velocity)):
            if b is not None and b.shape != param.shape:
                raise ValueError(f"sgd_update: {name} has shape {b.shape}, param {param.shape}")
        p = be._contig(param)
        v = be._contig(velocity) if velocity is not None else None
        g = be._contig(grad)
        has_vel = v is not None
        k = self._k(dt, "sgd", [None, None, None, t, t, t, _I32, _I32, _I64])
        self.rt.launch1d(k, p.size, p.base, g.base, (v if has_vel else p).base, t(lr),
                         t(momentum), t(weight_decay), int(bool(nesterov)), int(has_vel), p.size)
        if p is not param:
            be.copy_into(param, p)
        if has_vel and v is not velocity:
            be.copy_into(velocity, v)


def register_fast_paths(be: Any) -> list[str]:
    """Register the nn fast paths on backend ``be``; return their names."""
    nn = _NN(be)
    for name in NN_FAST_PATHS:
        be.register_fast_path(name, getattr(nn, name))
    return list(NN_FAST_PATHS)
