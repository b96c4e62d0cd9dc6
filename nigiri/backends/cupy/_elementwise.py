"""Elementwise ops on CuPy arrays: one cached callable per (op, dtype).

``_ew_plan.plan`` decides, per op and dtype, between a CuPy ufunc and one of our own
``ElementwiseKernel``s (see there for why). Kernels are built once per process and
CuPy compiles each once per dtype (and caches the binary on disk).
"""

from __future__ import annotations

from typing import Any, Callable

import cupy as cp
import numpy as np

from . import _ew_plan

__all__ = ["build", "kernel"]

_kernels: dict[str, Any] = {}


def kernel(name: str) -> Any:
    """Our ``ElementwiseKernel`` ``name`` (a key of ``_ew_plan.KERNELS``), built once."""
    k = _kernels.get(name)
    if k is None:
        inp, out, body = _ew_plan.KERNELS[name]
        k = _kernels[name] = cp.ElementwiseKernel(inp, out, body, f"nigiri_{name}",
                                                  preamble=_ew_plan.PREAMBLE
                                                  + _ew_plan.EXTRA_PREAMBLE.get(name, ""))
    return k


_BITS = {"16": (np.uint16, np.float16), "32": (np.uint32, np.float32), "64": (np.uint64, np.float64)}


def _nextafter(bits: str) -> Callable[[Any, Any], Any]:
    """nextafter on the raw bits (unsigned views), as NumPy steps the float type itself."""
    utype, ftype = _BITS[bits]
    kern = kernel("nextafter_f" + bits)

    def fn(x1: Any, x2: Any) -> Any:
        return kern(x1.view(utype), x2.view(utype)).view(ftype)
    return fn


def build(op: str, dtype: np.dtype, arity: int,
          unsupported: Callable[[str, Any], Exception]) -> Callable[..., Any]:
    """The callable computing ``op`` on buffers of ``dtype`` (``arity`` operands)."""
    kind, detail = _ew_plan.plan(op, dtype)
    if kind == "kernel":
        return kernel(detail)
    if kind == "copy":
        return _copy
    if kind == "part":
        return _real_copy if detail == "real" else _imag_copy
    if kind == "nextafter_bits":
        return _nextafter(detail)
    if kind == "const":
        return _true if detail == "true" else _false
    ufunc = getattr(cp, detail, None)
    if ufunc is None:
        raise unsupported(f"{'unary' if arity == 1 else 'binary'}:{op}", dtype)
    want = _ew_plan.result_dtype(op, dtype)
    types = getattr(ufunc, "types", None)
    widen = want == np.bool_ and np.dtype(dtype) != np.bool_
    if types is not None and not _ew_plan.has_loop(types, np.dtype(dtype), arity, want, widen):
        raise unsupported(f"{'unary' if arity == 1 else 'binary'}:{op}", dtype)
    return ufunc


def _true(x: Any) -> Any:
    return cp.ones(x.shape, np.bool_)


def _false(x: Any) -> Any:
    return cp.zeros(x.shape, np.bool_)


def _copy(x: Any) -> Any:
    return x.copy()


def _real_copy(x: Any) -> Any:
    return cp.real(x).copy()


def _imag_copy(x: Any) -> Any:
    return cp.imag(x).copy()
