"""Searching and sorting: argmax, argmin, nonzero, where, searchsorted, sort, argsort."""

from __future__ import annotations

from typing import Any

from . import dtypes as _dt
from ._helpers import (broadcast_shapes, check_array, normalize_axis,
                       check_supported_dtype, same_backend)
from .array import Array

__all__ = ["argmax", "argmin", "nonzero", "where", "searchsorted", "sort", "argsort"]


def _arg(op: str, x: Array, axis: int | None, keepdims: bool) -> Array:
    check_array(x, op)
    _dt.check_category(x.dtype, "real numeric", op)
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, op)
        if x.shape[axis] == 0:
            raise ValueError(f"{op}: attempt to get {op} of an empty sequence")
    elif x.size == 0:
        raise ValueError(f"{op}: attempt to get {op} of an empty sequence")
    out = x._be.arg_reduce(op, x._buf, axis, bool(keepdims))
    if axis is None and keepdims:
        out = x._be.reshape(out, (1,) * x.ndim, None)
    return Array._new(out, x._be)


def argmax(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Index of the maximum (first one on ties; a NaN counts as the maximum)."""
    return _arg("argmax", x, axis, keepdims)


def argmin(x: Array, /, *, axis: int | None = None, keepdims: bool = False) -> Array:
    """Index of the minimum (first one on ties; a NaN counts as the minimum)."""
    return _arg("argmin", x, axis, keepdims)


def nonzero(x: Array, /) -> tuple[Array, ...]:
    """Indices of the non-zero elements, one int64 array per axis."""
    check_array(x, "nonzero")
    if x.ndim == 0:
        raise ValueError("nonzero: 0-d arrays are not supported; use expand_dims first")
    return tuple(Array._new(b, x._be) for b in x._be.nonzero(x._buf))


def where(condition: Array, x1: Any, x2: Any, /) -> Array:
    """Elements of ``x1`` where ``condition`` holds, else of ``x2`` (scalars allowed)."""
    check_array(condition, "where", "condition")
    if condition.dtype != _dt.bool_:
        raise TypeError(f"where: condition must be a bool array, got {condition.dtype.name}")
    be = condition._be
    arrays = [a for a in (x1, x2) if isinstance(a, Array)]
    same_backend([condition] + arrays, "where")
    if not arrays:
        raise TypeError("where: at least one of x1, x2 must be an Array")
    dt = arrays[0].dtype
    if len(arrays) == 2:
        dt = _dt.promote(x1.dtype, x2.dtype, "where")
    for s in (x1, x2):
        if not isinstance(s, Array):
            if not isinstance(s, (bool, int, float, complex)):
                raise TypeError(f"where: expected Arrays or Python scalars, got {type(s).__name__}")
            dt = _dt.scalar_result_dtype(dt, s, "where")
    check_supported_dtype(be, dt, "where")
    bufs = []
    for s in (x1, x2):
        if isinstance(s, Array):
            bufs.append(s._buf if s.dtype == dt else be.astype(s._buf, dt))
        else:
            bufs.append(dt.type(s))
    shapes = [condition.shape] + [tuple(b.shape) for b in bufs if hasattr(b, "shape") and b.shape != ()]
    broadcast_shapes(*shapes, fn="where")
    out = be.where(condition._buf, bufs[0], bufs[1])
    if tuple(out.shape) != broadcast_shapes(*shapes, fn="where"):
        out = be.copy(be.broadcast_to(out, broadcast_shapes(*shapes, fn="where")))
    return Array._new(out, be)


def searchsorted(x1: Array, x2: Array, /, *, side: str = "left",
                 sorter: Array | None = None) -> Array:
    """Insertion points of ``x2`` into the sorted 1-d ``x1`` (int64)."""
    check_array(x1, "searchsorted", "x1")
    check_array(x2, "searchsorted", "x2")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if x1.ndim != 1:
        raise ValueError(f"searchsorted: x1 must be 1-d, got {x1.ndim}-d")
    be = same_backend([x1, x2], "searchsorted")
    _dt.check_category(x1.dtype, "real numeric", "searchsorted")
    _dt.check_category(x2.dtype, "real numeric", "searchsorted")
    if sorter is not None:
        from .indexing import take

        x1 = take(x1, sorter)
    dt = _dt.promote(x1.dtype, x2.dtype, "searchsorted")
    b1 = x1._buf if x1.dtype == dt else be.astype(x1._buf, dt)
    b2 = x2._buf if x2.dtype == dt else be.astype(x2._buf, dt)
    return Array._new(be.searchsorted(b1, b2, side), be)


def _sort_args(x: Array, axis: int, fn: str) -> int:
    check_array(x, fn)
    _dt.check_category(x.dtype, "real numeric", fn) if x.dtype != _dt.bool_ else None
    if x.ndim == 0:
        raise ValueError(f"{fn}: expected an array of at least one dimension")
    return normalize_axis(axis, x.ndim, fn)


def sort(x: Array, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Array:
    """A sorted copy of ``x`` along ``axis`` (always stable; NaN last ascending)."""
    axis = _sort_args(x, axis, "sort")
    return Array._new(x._be.sort(x._buf, axis, bool(descending)), x._be)


def argsort(x: Array, /, *, axis: int = -1, descending: bool = False,
            stable: bool = True) -> Array:
    """Indices that sort ``x`` along ``axis`` (always stable)."""
    axis = _sort_args(x, axis, "argsort")
    return Array._new(x._be.argsort(x._buf, axis, bool(descending)), x._be)
