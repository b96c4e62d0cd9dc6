"""Statistical and utility reductions: sum, prod, max, min, mean, var, std, cumulative
sums/products, all, any, count_nonzero, diff."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import dtypes as _dt
from ._helpers import check_array, normalize_axes, normalize_axis
from .array import Array

__all__ = ["max", "min", "mean", "prod", "std", "sum", "var", "cumulative_sum",
           "cumulative_prod", "all", "any", "count_nonzero", "diff"]

_builtin_max = builtins.max


def _reduce(op: str, x: Array, axis: Any, keepdims: bool, dtype: np.dtype, fn: str) -> Array:
    axes = normalize_axes(axis, x.ndim, fn)
    buf = x._buf if x.dtype == dtype else x._be.astype(x._buf, dtype)
    return Array._new(x._be.reduce(op, buf, axes, bool(keepdims), dtype), x._be)


def _accumulation_dtype(x: Array, dtype: Any, fn: str) -> np.dtype:
    if dtype is not None:
        dt = _dt.normalize_dtype(dtype, fn)
        if dt.kind not in "iufc":
            raise TypeError(f"{fn}: dtype must be numeric, got {dt.name}")
        return dt
    d = x.dtype
    if d == _dt.bool_ or d.kind == "i":
        return _dt.DEFAULT_INT
    if d.kind == "u":
        return _dt.uint64
    return d


def _numeric(x: Array, fn: str, category: str = "numeric") -> None:
    check_array(x, fn)
    _dt.check_category(x.dtype, category, fn)


def sum(x: Array, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Array:
    """Sum over ``axis`` (integers accumulate in int64/uint64 unless ``dtype`` says)."""
    check_array(x, "sum")
    if x.dtype != _dt.bool_:
        _dt.check_category(x.dtype, "numeric", "sum")
    return _reduce("sum", x, axis, keepdims, _accumulation_dtype(x, dtype, "sum"), "sum")


def prod(x: Array, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Array:
    """Product over ``axis``."""
    check_array(x, "prod")
    if x.dtype != _dt.bool_:
        _dt.check_category(x.dtype, "numeric", "prod")
    return _reduce("prod", x, axis, keepdims, _accumulation_dtype(x, dtype, "prod"), "prod")


def _extreme(op: str, x: Array, axis: Any, keepdims: bool) -> Array:
    _numeric(x, op, "real numeric")
    axes = normalize_axes(axis, x.ndim, op)
    if builtins.any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: zero-size reduction has no identity")
    return Array._new(x._be.reduce(op, x._buf, axes, bool(keepdims), x.dtype), x._be)


def max(x: Array, /, *, axis: Any = None, keepdims: bool = False) -> Array:
    """Maximum over ``axis`` (NaN propagates)."""
    return _extreme("max", x, axis, keepdims)


def min(x: Array, /, *, axis: Any = None, keepdims: bool = False) -> Array:
    """Minimum over ``axis`` (NaN propagates)."""
    return _extreme("min", x, axis, keepdims)


def _count(x: Array, axes: tuple[int, ...]) -> int:
    n = 1
    for a in axes:
        n *= x.shape[a]
    return n


def mean(x: Array, /, *, axis: Any = None, keepdims: bool = False) -> Array:
    """Arithmetic mean over ``axis`` (floating dtypes; NaN for an empty reduction)."""
    _numeric(x, "mean", "floating-point")
    axes = normalize_axes(axis, x.ndim, "mean")
    total = x._be.reduce("sum", x._buf, axes, bool(keepdims), x.dtype)
    n = _count(x, axes)
    out = x._be.binary("divide", total, x.dtype.type(n) if n else x.dtype.type(0))
    return Array._new(out, x._be)


def var(x: Array, /, *, axis: Any = None, correction: float = 0.0,
        keepdims: bool = False) -> Array:
    """Variance over ``axis`` with ``correction`` (0: population, 1: sample)."""
    _numeric(x, "var", "floating-point")
    if isinstance(correction, bool) or not isinstance(correction, (int, float)) or correction < 0:
        raise ValueError(f"var: correction must be a non-negative number, got {correction!r}")
    be = x._be
    axes = normalize_axes(axis, x.ndim, "var")
    n = _count(x, axes)
    m = mean(x, axis=axes, keepdims=True)
    d = be.binary("subtract", x._buf, m._buf)
    sq = be.unary("abs", d) if x.dtype.kind == "c" else d
    sq = be.binary("multiply", sq, sq)
    total = be.reduce("sum", sq, axes, bool(keepdims), sq.dtype)
    denom = _builtin_max(n - correction, 0)
    rt = _dt.real_dtype(x.dtype)
    out = be.binary("divide", total, rt.type(denom))
    return Array._new(out, be)


def std(x: Array, /, *, axis: Any = None, correction: float = 0.0,
        keepdims: bool = False) -> Array:
    """Standard deviation over ``axis``."""
    v = var(x, axis=axis, correction=correction, keepdims=keepdims)
    return Array._new(v._be.unary("sqrt", v._buf), v._be)


def _cumulative(op: str, x: Array, axis: Any, dtype: Any, include_initial: bool, fn: str) -> Array:
    check_array(x, fn)
    if x.dtype != _dt.bool_:
        _dt.check_category(x.dtype, "numeric", fn)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{fn}: axis is required for arrays of more than one dimension")
        axis = 0
    if x.ndim == 0:
        raise ValueError(f"{fn}: expected an array of at least one dimension")
    axis = normalize_axis(axis, x.ndim, fn)
    dt = _accumulation_dtype(x, dtype, fn)
    be = x._be
    buf = x._buf if x.dtype == dt else be.astype(x._buf, dt)
    out = be.cumulative(op, buf, axis, dt)
    if include_initial:
        shape = list(x.shape)
        shape[axis] = 1
        init = be.full(tuple(shape), dt.type(0 if op == "cumsum" else 1), dt)
        from .manipulation import concat

        return concat([Array._new(init, be), Array._new(out, be)], axis=axis)
    return Array._new(out, be)


def cumulative_sum(x: Array, /, *, axis: int | None = None, dtype: Any = None,
                   include_initial: bool = False) -> Array:
    """Cumulative sum along ``axis`` (optionally starting with 0)."""
    return _cumulative("cumsum", x, axis, dtype, include_initial, "cumulative_sum")


def cumulative_prod(x: Array, /, *, axis: int | None = None, dtype: Any = None,
                    include_initial: bool = False) -> Array:
    """Cumulative product along ``axis`` (optionally starting with 1)."""
    return _cumulative("cumprod", x, axis, dtype, include_initial, "cumulative_prod")


def _truth(op: str, x: Array, axis: Any, keepdims: bool) -> Array:
    check_array(x, op)
    buf = x._buf
    if x.dtype != _dt.bool_:
        buf = x._be.binary("not_equal", buf, x.dtype.type(0))
    axes = normalize_axes(axis, x.ndim, op)
    return Array._new(x._be.reduce(op, buf, axes, bool(keepdims), _dt.bool_), x._be)


def all(x: Array, /, *, axis: Any = None, keepdims: bool = False) -> Array:
    """True where every element along ``axis`` is non-zero."""
    return _truth("all", x, axis, keepdims)


def any(x: Array, /, *, axis: Any = None, keepdims: bool = False) -> Array:
    """True where some element along ``axis`` is non-zero."""
    return _truth("any", x, axis, keepdims)


def count_nonzero(x: Array, /, *, axis: Any = None, keepdims: bool = False) -> Array:
    """Number of non-zero elements along ``axis`` (int64)."""
    check_array(x, "count_nonzero")
    be = x._be
    mask = x._buf if x.dtype == _dt.bool_ else be.binary("not_equal", x._buf, x.dtype.type(0))
    axes = normalize_axes(axis, x.ndim, "count_nonzero")
    ints = be.astype(mask, _dt.int64)
    return Array._new(be.reduce("sum", ints, axes, bool(keepdims), _dt.int64), be)


def diff(x: Array, /, *, axis: int = -1, n: int = 1, prepend: Array | None = None,
         append: Array | None = None) -> Array:
    """The ``n``-th discrete difference along ``axis``."""
    check_array(x, "diff")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"diff: n must be a non-negative int, got {n!r}")
    axis = normalize_axis(axis, x.ndim, "diff")
    from .manipulation import concat

    parts = [p for p in (prepend, x, append) if p is not None]
    out = concat(parts, axis=axis) if len(parts) > 1 else x
    lead = (slice(None),) * axis
    for _ in range(n):
        if out.shape[axis] == 0:
            break
        hi, lo = out[lead + (slice(1, None),)], out[lead + (slice(None, -1),)]
        op = "not_equal" if out.dtype == _dt.bool_ else "subtract"
        out = Array._new(out._be.binary(op, hi._buf, lo._buf), out._be)
    return out
