"""The reference backend: every primitive of the contract on host NumPy arrays.

It defines the semantics the other backends are checked against, so it favours the
obvious implementation over a fast one, except on the per-call path of elementwise
ops, which is kept short (DESIGN section 9).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...arrays.optable import OPS
from ..capabilities import Capabilities
from ..contract import Backend
from ..host import HostBufferMixin
from ..philox_host import philox_words

__all__ = ["NumpyBackend"]

_UFUNCS = {name: getattr(np, op.numpy) for name, op in OPS.items()}
# ufuncs that never warn, called without an errstate context (about 1 us saved)
_QUIET = {"add", "subtract", "multiply", "equal", "not_equal", "less", "less_equal",
          "greater", "greater_equal", "maximum", "minimum", "negative", "positive",
          "abs", "logical_and", "logical_or", "logical_xor", "logical_not",
          "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert", "isnan",
          "isinf", "isfinite", "signbit", "conj", "real", "imag", "copysign",
          "floor", "ceil", "trunc", "round", "sign", "square", "nextafter"}
_REDUCERS = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min,
             "any": np.any, "all": np.all}


def _int_pow(x1: Any, x2: Any) -> np.ndarray:
    """Integer power with the contract's rule for negative exponents."""
    x1, x2 = np.asarray(x1), np.asarray(x2)
    neg = x2 < 0
    result = np.power(x1, np.where(neg, 0, x2).astype(x2.dtype))
    if np.any(neg):
        one = np.ones((), x1.dtype)
        odd = (x2 & 1).astype(bool)
        if x1.dtype.kind == "i":
            inv = np.where(x1 == 1, one, np.where(x1 == -1, np.where(odd, -one, one), 0))
        else:
            inv = np.where(x1 == 1, one, 0)
        result = np.where(neg, inv.astype(x1.dtype), result)
    return np.asarray(result, dtype=x1.dtype)


def _shift(op: str, x1: Any, x2: Any) -> np.ndarray:
    """Shifts by >= bit width give 0 (or -1 for a negative right-shifted value)."""
    x1, x2 = np.asarray(x1), np.asarray(x2)
    bits = x1.dtype.itemsize * 8
    big = x2 >= bits
    safe = np.where(big, 0, x2).astype(x2.dtype)
    if op == "bitwise_left_shift":
        out = np.left_shift(x1, safe)
        return np.where(big, np.zeros((), x1.dtype), out).astype(x1.dtype)
    out = np.right_shift(x1, safe)
    fill = np.where(x1 < 0, -1, 0).astype(x1.dtype) if x1.dtype.kind == "i" else 0
    return np.where(big, fill, out).astype(x1.dtype)


class NumpyBackend(HostBufferMixin, Backend):
    """Reference backend on host NumPy arrays (one device, ``numpy``)."""

    name = "numpy"
    single_device = True
    install_hint = 'pip install nigiri'

    def __init__(self, index: int = 0) -> None:
        super().__init__(index)
        self.capabilities = Capabilities(zero_copy_host=True)

    @classmethod
    def device_count(cls) -> int:
        return 1

    def describe(self) -> dict[str, Any]:
        return {"device": self.device_name, "kind": "cpu", "name": "host NumPy"}

    # allocation and transfer --------------------------------------------------
    def empty(self, shape, dtype):
        return np.empty(shape, dtype)

    def full(self, shape, value, dtype):
        return np.full(shape, value, dtype)

    def iota(self, n, dtype):
        return np.arange(n, dtype=dtype)

    def from_host(self, array, copy):
        return np.array(array, copy=True) if copy else array

    def to_host(self, buf):
        return buf

    def copy(self, buf):
        return np.ascontiguousarray(buf).copy() if not buf.flags.c_contiguous else buf.copy()

    def astype(self, buf, dtype):
        with np.errstate(all="ignore"):
            return buf.astype(dtype)

    def copy_into(self, dst, src):
        if isinstance(src, np.ndarray) and np.may_share_memory(dst, src):
            src = src.copy()
        dst[...] = src

    # views -----------------------------------------------------------------
    def slice_view(self, buf, key):
        return buf[tuple(key) + (Ellipsis,)]  # the Ellipsis keeps 0-d results as views

    def permute(self, buf, axes):
        return buf.transpose(axes)

    def reshape(self, buf, shape, copy):
        if copy:
            return buf.reshape(shape).copy()
        if copy is False:
            out = buf.view()
            try:
                out.shape = shape
            except AttributeError:
                raise ValueError("cannot reshape without copying the data") from None
            return out
        return buf.reshape(shape)

    def broadcast_to(self, buf, shape):
        return np.broadcast_to(buf, shape)

    # elementwise -----------------------------------------------------------
    def unary(self, op, x):
        if op in _QUIET:
            return np.asarray(_UFUNCS[op](x))
        with np.errstate(all="ignore"):
            return np.asarray(_UFUNCS[op](x))

    def binary(self, op, x1, x2):
        if op in _QUIET:
            return np.asarray(_UFUNCS[op](x1, x2))
        dtype = x1.dtype if hasattr(x1, "dtype") else np.asarray(x2).dtype
        if dtype.kind in "iu":
            if op == "pow":
                return _int_pow(x1, x2)
            if op in ("bitwise_left_shift", "bitwise_right_shift"):
                return _shift(op, x1, x2)
        with np.errstate(all="ignore"):
            return np.asarray(_UFUNCS[op](x1, x2))

    def where(self, cond, x1, x2):
        return np.asarray(np.where(cond, x1, x2))

    # reductions ------------------------------------------------------------
    def reduce(self, op, x, axes, keepdims, dtype):
        fn = _REDUCERS[op]
        with np.errstate(all="ignore"):
            if op in ("sum", "prod"):
                return np.asarray(fn(x, axis=axes, keepdims=keepdims, dtype=dtype))
            return np.asarray(fn(x, axis=axes, keepdims=keepdims))

    def arg_reduce(self, op, x, axis, keepdims):
        fn = np.argmax if op == "argmax" else np.argmin
        return np.asarray(fn(x, axis=axis, keepdims=keepdims), dtype=np.int64)

    def cumulative(self, op, x, axis, dtype):
        fn = np.cumsum if op == "cumsum" else np.cumprod
        with np.errstate(all="ignore"):
            return fn(x, axis=axis, dtype=dtype)

    # linear algebra --------------------------------------------------------
    def matmul(self, x1, x2):
        return np.matmul(x1, x2)  # BLAS raises no floating-point warnings

    def linalg(self, op, *bufs, **kwargs):
        la = np.linalg
        with np.errstate(all="ignore"):
            if op == "cholesky":
                out = la.cholesky(bufs[0])
                if kwargs.get("upper"):
                    out = np.conj(np.swapaxes(out, -1, -2))
                return out
            if op == "qr":
                return tuple(la.qr(bufs[0], mode=kwargs.get("mode", "reduced")))
            if op == "svd":
                return tuple(la.svd(bufs[0], full_matrices=kwargs.get("full_matrices", True)))
            if op == "svdvals":
                return la.svd(bufs[0], compute_uv=False)
            if op == "eigh":
                return tuple(la.eigh(bufs[0]))
            if op == "eigvalsh":
                return la.eigvalsh(bufs[0])
            if op == "slogdet":
                return tuple(la.slogdet(bufs[0]))
            if op == "solve":
                a, b = bufs
                return la.solve(a, b)
            if op in ("inv", "det"):
                return np.asarray(getattr(la, op)(bufs[0]))
        raise self.unsupported(f"linalg.{op}")

    # indexing --------------------------------------------------------------
    def gather(self, x, indices):
        return np.asarray(x[tuple(indices) + (Ellipsis,)])

    def scatter(self, x, indices, values):
        x[tuple(indices)] = values

    def nonzero(self, x):
        return tuple(i.astype(np.int64, copy=False) for i in np.nonzero(x))

    # sorting ---------------------------------------------------------------
    def sort(self, x, axis, descending):
        if not descending:
            return np.sort(x, axis=axis, kind="stable")
        return np.take_along_axis(x, self.argsort(x, axis, True), axis=axis)

    def argsort(self, x, axis, descending):
        if not descending:
            return np.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
        n = x.shape[axis]
        rev = np.flip(x, axis=axis)
        idx = np.argsort(rev, axis=axis, kind="stable")
        return (n - 1 - np.flip(idx, axis=axis)).astype(np.int64, copy=False)

    def searchsorted(self, x1, x2, side):
        return np.searchsorted(x1, x2, side=side).astype(np.int64, copy=False)

    # random ----------------------------------------------------------------
    def philox(self, key, counter, n):
        return philox_words(key, counter, n)
