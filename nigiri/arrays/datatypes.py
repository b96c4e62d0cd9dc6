"""Data-type functions of the standard: astype, can_cast, finfo, iinfo, result_type."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from . import dtypes as _dt
from ._helpers import check_array, check_supported_dtype
from .array import Array

__all__ = ["astype", "can_cast", "finfo", "iinfo", "result_type", "isdtype"]

isdtype = _dt.isdtype


def astype(x: Array, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Array:
    """``x`` converted to ``dtype`` (a copy unless ``copy=False`` and nothing changes)."""
    check_array(x, "astype")
    dt = _dt.normalize_dtype(dtype, "astype")
    if device is not None:
        from .creation import to_device

        x = to_device(x, device)
    check_supported_dtype(x._be, dt, "astype")
    if dt == x.dtype:
        return Array._new(x._be.copy(x._buf), x._be) if copy else x
    if x.dtype.kind == "c" and dt.kind != "c":
        raise TypeError(f"astype: casting complex {x.dtype.name} to {dt.name} would drop the imaginary part; use real() first")
    return Array._new(x._be.astype(x._buf, dt), x._be)


def _dtype_of(v: Any, fn: str) -> np.dtype:
    if isinstance(v, Array):
        return v.dtype
    return _dt.normalize_dtype(v, fn)


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """The dtype that promotion gives for the arrays, dtypes and Python scalars."""
    dtypes = [_dtype_of(v, "result_type") for v in arrays_and_dtypes
              if not isinstance(v, (bool, int, float, complex))]
    scalars = [v for v in arrays_and_dtypes if isinstance(v, (bool, int, float, complex))]
    if not dtypes:
        raise ValueError("result_type: at least one array or dtype is required")
    out = dtypes[0]
    for d in dtypes[1:]:
        out = _dt.promote(out, d, "result_type")
    for s in scalars:
        out = _dt.scalar_result_dtype(out, s, "result_type")
    return out


def can_cast(from_: Any, to: Any, /) -> bool:
    """True when ``from_`` casts to ``to`` by the promotion rules (safe casting)."""
    a, b = _dtype_of(from_, "can_cast"), _dt.normalize_dtype(to, "can_cast")
    try:
        return _dt.promote(a, b, "can_cast") == b
    except TypeError:
        return False


class finfo_object(NamedTuple):
    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: np.dtype


class iinfo_object(NamedTuple):
    bits: int
    max: int
    min: int
    dtype: np.dtype


def finfo(type: Any, /) -> finfo_object:
    """Machine limits of a floating dtype."""
    dt = _dtype_of(type, "finfo")
    if dt.kind not in "fc":
        raise TypeError(f"finfo: expected a floating-point dtype, got {dt.name}")
    fi = np.finfo(dt)
    return finfo_object(int(fi.bits), float(fi.eps), float(fi.max), float(fi.min),
                        float(fi.smallest_normal), _dt.real_dtype(dt))


def iinfo(type: Any, /) -> iinfo_object:
    """Machine limits of an integer dtype."""
    dt = _dtype_of(type, "iinfo")
    if dt.kind not in "iu":
        raise TypeError(f"iinfo: expected an integer dtype, got {dt.name}")
    ii = np.iinfo(dt)
    return iinfo_object(int(ii.bits), int(ii.max), int(ii.min), dt)
