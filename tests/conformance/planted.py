"""Test-only backends derived from the numpy reference, each with one planted bug.

The conformance suite must report each of them as a failure naming the op.
"""

from __future__ import annotations

import numpy as np

from nigiri.backends.numpy.backend import NumpyBackend


class _Planted(NumpyBackend):
    install_hint = "test-only"


class OffByULPs(_Planted):
    """sin is off by ~300 ulp."""

    name = "planted_ulp"

    def unary(self, op, x):
        out = super().unary(op, x)
        if op == "sin" and out.dtype.kind == "f":
            eps = np.finfo(out.dtype).eps
            out = (out * out.dtype.type(1 + 300 * eps)).astype(out.dtype)
        return out


class WrongDtype(_Planted):
    """add on int32 returns int64."""

    name = "planted_dtype"

    def binary(self, op, x1, x2):
        out = super().binary(op, x1, x2)
        if op == "add" and out.dtype == np.int32:
            out = out.astype(np.int64)
        return out


class TruncatingBroadcast(_Planted):
    """multiply broadcasts the second operand's first element only."""

    name = "planted_broadcast"

    def binary(self, op, x1, x2):
        if (op == "multiply" and isinstance(x2, np.ndarray) and isinstance(x1, np.ndarray)
                and x1.shape != x2.shape and x2.size):
            x2 = np.broadcast_to(x2.reshape(-1)[:1], x2.shape)
        return super().binary(op, x1, x2)


class CopyingView(_Planted):
    """Basic slicing returns a copy instead of a view."""

    name = "planted_view"

    def slice_view(self, buf, key):
        return super().slice_view(buf, key).copy()


class NaNDropping(_Planted):
    """maximum ignores NaN (fmax semantics)."""

    name = "planted_nan"

    def binary(self, op, x1, x2):
        if op == "maximum":
            return np.asarray(np.fmax(x1, x2))
        return super().binary(op, x1, x2)


class SwallowedError(_Planted):
    """reshape(copy=False) silently copies instead of raising ValueError."""

    name = "planted_swallow"

    def reshape(self, buf, shape, copy):
        try:
            return super().reshape(buf, shape, copy)
        except ValueError:
            return buf.reshape(shape).copy()


class BadQR(_Planted):
    """qr flips the sign of Q's first column but not of R's first row."""

    name = "planted_qr"

    def linalg(self, op, *bufs, **kwargs):
        out = super().linalg(op, *bufs, **kwargs)
        if op == "qr":
            q, r = out
            q = q.copy()
            q[..., :, 0] *= -1
            return (q, r)
        return out


class SkewedPhilox(_Planted):
    """The random stream starts one block late."""

    name = "planted_philox"

    def philox(self, key, counter, n):
        return super().philox(key, counter + 1, n)


class SloppySum(_Planted):
    """Floating sums carry a relative error of 2**-10 (far above 4 eps sqrt(n))."""

    name = "planted_sum"

    def reduce(self, op, x, axes, keepdims, dtype):
        out = super().reduce(op, x, axes, keepdims, dtype)
        if op == "sum" and np.dtype(dtype).kind == "f":
            out = (out * np.dtype(dtype).type(1 + 2.0**-10)).astype(out.dtype)
        return out


ALL_PLANTED = {cls.name: cls for cls in (OffByULPs, WrongDtype, TruncatingBroadcast, CopyingView,
                                         NaNDropping, SwallowedError, BadQR, SkewedPhilox, SloppySum)}
