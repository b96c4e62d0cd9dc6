"""Reductions along a 1-based dimension: ``sum``, ``mean``, ``prod``, ``max``, ``min``
(with 1-based indices), ``argmax``, ``argmin``, ``any``, ``all``.

The default dimension is MATLAB's: the first dimension whose size is not 1 (1 for a
scalar); ``'all'`` reduces everything; a dimension beyond ``ndims(A)`` is a singleton
and returns ``A`` (with the output class). Classes as MATLAB's: ``sum``, ``prod`` and
``mean`` keep single and give double for double, integer and logical input, unless the
output type 'native' keeps an integer class (saturating: ``sum(int8([100 100]),
'native')`` is 127); on a device without float64 'double' results are single. ``max``/``min`` ignore NaN
as MATLAB does (NaN only when every element is NaN, with index 1) and give the first
index on ties. Empty inputs: ``sum([])`` is 0, ``prod([])`` 1, ``mean([])`` NaN,
``any([])`` false, ``all([])`` true (MATLAB's 0x0 rules); ``max``/``min`` of an empty
dimension give an empty result whose reduced dimension has length 0.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

import nigiri as ng

from . import _classes as C
from ._layout import axis_of, size_of, to_int
from .arith import arithmetic
from .matrix import Matrix, asmatrix

__all__ = ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "any", "all",
           "MaxResult", "default_dim"]


class MaxResult(NamedTuple):
    """``[M, I] = max(...)``: the values and their 1-based indices."""

    M: Matrix
    I: Matrix  # noqa: E741  (MATLAB's name)


def default_dim(x: Matrix) -> int:
    """MATLAB's default dimension: the first non-singleton one (1 if none)."""
    for i, d in enumerate(size_of(x._a)):
        if d != 1:
            return i + 1
    return 1


def _resolve(x: Matrix, dim: Any, fn: str) -> tuple[ng.Array, int | None]:
    """(storage to reduce, storage axis or None for all); ``None`` axis and a flat
    storage for 'all' and MATLAB's 0x0 special case."""
    if isinstance(dim, str):
        if dim != "all":
            raise ValueError(f"{fn}: dimension must be a positive integer or 'all', got {dim!r}")
        return ng.reshape(x._a, (1, x.numel())), 1
    if dim is None:
        if size_of(x._a) == (0, 0) and fn not in ("max", "min"):
            return ng.reshape(x._a, (1, 0)), 1
        dim = default_dim(x)
    d = to_int(dim, fn, "dimension")
    if d < 1:
        raise ValueError(f"{fn}: dimension must be a positive integer, got {d}")
    if d > x.ndims():
        return x._a, None
    return x._a, axis_of(d, x.ndims())


def _check_real(x: Matrix, fn: str) -> None:
    if np.dtype(x.dtype).kind == "c" and fn in ("max", "min", "argmax", "argmin"):
        raise TypeError(f"{fn}: complex matrices are not supported (MATLAB compares abs)")


def _out(r: ng.Array) -> Matrix:
    return Matrix._wrap(r, owned=True)


_OUTTYPES = ("default", "double", "native")


def _split_outtype(dim: Any, outtype: str | None, fn: str) -> tuple[Any, str]:
    """``sum(A, 'native')`` style: an outtype given in the dimension's place."""
    if isinstance(dim, str) and dim in _OUTTYPES:
        if outtype is not None:
            raise TypeError(f"{fn}: the output type is given twice")
        dim, outtype = None, dim
    outtype = "default" if outtype is None else outtype
    if outtype not in _OUTTYPES:
        raise ValueError(f"{fn}: output type must be 'default', 'double' or 'native', got {outtype!r}")
    return dim, outtype


def _out_class(x: Matrix, outtype: str, fn: str) -> str:
    """MATLAB's output class of sum/prod/mean: single stays single; 'native' keeps
    the input class (logical 'native' is only allowed for sum); else double."""
    k = x.klass
    if outtype == "native":
        if k == "logical" and fn != "sum":
            raise ValueError(f"{fn}: 'native' is not supported for logical input")
        return k
    if k == "single" and outtype == "default":
        return "single"
    if outtype == "double" and C.double_class(x.device) != "double":
        raise TypeError(f"{fn}: device {x.device} cannot hold double")
    return C.double_class(x.device)


def sum(a: Any, dim: Any = None, outtype: str | None = None) -> Matrix:  # noqa: A001
    """``sum(A)``, ``sum(A, dim)``, ``sum(A, 'all')``, ``sum(..., outtype)`` with
    outtype 'default' (integers and logicals give double), 'double' or 'native'
    (integers saturate: ``sum(int8([100 100]), 'native')`` is 127)."""
    x = asmatrix(a)
    dim, outtype = _split_outtype(dim, outtype, "sum")
    s, ax = _resolve(x, dim, "sum")
    oc = _out_class(x, outtype, "sum")
    if ax is None:
        return x.astype(oc) if oc != x.klass else x.copy()
    k = x.klass
    if C.is_int_class(k) or k == "logical":
        acc = ng.uint64 if k.startswith("uint") else ng.int64
        r = ng.sum(s, axis=ax, keepdims=True, dtype=acc)  # exact, then converted
        if oc == "logical":
            r = r != 0
        return _out(C.cast_array(r, oc, "sum"))
    r = ng.sum(s if x.klass == oc else ng.astype(s, C.dtype_of_class(oc)), axis=ax, keepdims=True)
    return _out(r)


def prod(a: Any, dim: Any = None, outtype: str | None = None) -> Matrix:
    """``prod(A)``, ``prod(A, dim)``, ``prod(..., outtype)`` (see ``sum``)."""
    x = asmatrix(a)
    dim, outtype = _split_outtype(dim, outtype, "prod")
    s, ax = _resolve(x, dim, "prod")
    oc = _out_class(x, outtype, "prod")
    if ax is None:
        return x.astype(oc) if oc != x.klass else x.copy()
    if C.is_int_class(oc):
        r = ng.prod(ng.astype(s, C.work_float(x.device)), axis=ax, keepdims=True)
        return _out(C.cast_array(r, oc, "prod"))
    return _out(ng.prod(s if x.klass == oc else ng.astype(s, C.dtype_of_class(oc)), axis=ax,
                        keepdims=True))


def mean(a: Any, dim: Any = None, outtype: str | None = None) -> Matrix:
    """``mean(A)``, ``mean(A, dim)``, ``mean(A, 'all')``, ``mean(..., outtype)``:
    integers and logicals give double unless 'native'."""
    x = asmatrix(a)
    dim, outtype = _split_outtype(dim, outtype, "mean")
    s, ax = _resolve(x, dim, "mean")
    oc = _out_class(x, outtype, "mean")
    if ax is None:
        return x.astype(oc) if oc != x.klass else x.copy()
    n = s.shape[ax]
    k = x.klass
    if not C.is_float_class(k):
        acc = ng.uint64 if k.startswith("uint") else ng.int64
        total = ng.astype(ng.sum(s, axis=ax, keepdims=True, dtype=acc), C.work_float(x.device))
        r = total / n if n else ng.full_like(total, float("nan"))
        return _out(C.cast_array(r, oc, "mean"))
    v = s if k == oc else ng.astype(s, C.dtype_of_class(oc))
    if n == 0:
        shape = list(s.shape)
        shape[ax] = 1
        return _out(ng.full(tuple(shape), float("nan"), dtype=v.dtype, device=s.device))
    return _out(ng.mean(v, axis=ax, keepdims=True))


def _extreme(fn: str, x: Matrix, dim: Any, want_index: bool) -> Any:
    _check_real(x, fn)
    s, ax = _resolve(x, dim, fn)
    idt = C.index_dtype(x.device)
    if ax is None:
        ones = ng.ones(s.shape, dtype=idt, device=s.device)
        return (x.copy(), _out(ones)) if want_index else x.copy()
    if s.shape[ax] == 0:
        shape = list(s.shape)
        shape[ax] = 0
        empty = _out(ng.zeros(tuple(shape), dtype=s.dtype, device=s.device))
        return (empty, _out(ng.zeros(tuple(shape), dtype=idt, device=s.device))) if want_index else empty
    logical = s.dtype == ng.bool
    v = ng.astype(s, ng.uint8) if logical else s
    is_max = fn in ("max", "argmax")
    if np.dtype(v.dtype).kind == "f":
        nan = ng.isnan(v)
        fill = float("-inf") if is_max else float("inf")
        clean = ng.where(nan, ng.full_like(v, fill), v)
        m = ng.max(clean, axis=ax, keepdims=True) if is_max else ng.min(clean, axis=ax, keepdims=True)
        allnan = ng.all(nan, axis=ax, keepdims=True)
        value = ng.where(allnan, ng.full_like(m, float("nan")), m)
        if want_index:
            hit = ng.astype(ng.logical_and(v == m, ng.logical_not(nan)), ng.uint8)
            idx = ng.argmax(hit, axis=ax, keepdims=True)
    else:
        value = ng.max(v, axis=ax, keepdims=True) if is_max else ng.min(v, axis=ax, keepdims=True)
        if want_index:
            idx = (ng.argmax if is_max else ng.argmin)(v, axis=ax, keepdims=True)
    if logical:
        value = ng.astype(value, ng.bool)
    if not want_index:
        return _out(value)
    return _out(value), _out(ng.astype(idx + 1, idt))


def _two_arg(fn: str, a: Any, b: Any) -> Matrix:
    pick = ng.maximum if fn == "max" else ng.minimum

    def op(p: Any, q: Any) -> ng.Array:
        if not isinstance(p, ng.Array):
            p, q = q, p
        r = pick(p, q)
        if np.dtype(r.dtype).kind == "f":  # MATLAB ignores NaN: the other operand wins
            r = ng.where(ng.isnan(p), q, r)
            if isinstance(q, ng.Array):
                r = ng.where(ng.isnan(q), p, r)
        return r

    return arithmetic(fn, a, b, op)


def _max_min(fn: str, a: Any, b: Any, dim: Any, nargout: int) -> Any:
    if nargout not in (1, 2):
        raise ValueError(f"{fn}: nargout must be 1 or 2, got {nargout!r}")
    empty_b = b is None or (isinstance(b, (list, tuple)) and len(b) == 0)
    if not empty_b:
        if dim is not None:
            raise TypeError(f"{fn}: use {fn}(A, [], dim) to reduce along a dimension; "
                            f"{fn}(A, B) compares two arrays elementwise")
        if nargout == 2:
            raise ValueError(f"{fn} with two matrices to compare cannot return indices")
        return _two_arg(fn, a, b)
    x = asmatrix(a)
    if nargout == 2:
        return MaxResult(*_extreme(fn, x, dim, True))
    return _extreme(fn, x, dim, False)


def max(a: Any, b: Any = None, dim: Any = None, *, nargout: int = 1) -> Any:  # noqa: A001
    """``max(A)``, ``max(A, [], dim)``, ``max(A, B)`` (elementwise); with
    ``nargout=2``, ``[M, I] = max(A, [], dim)`` as a ``MaxResult(M, I)`` with 1-based
    indices (double, or int32 on a device without float64)."""
    return _max_min("max", a, b, dim, nargout)


def min(a: Any, b: Any = None, dim: Any = None, *, nargout: int = 1) -> Any:  # noqa: A001
    """``min``; see ``max``."""
    return _max_min("min", a, b, dim, nargout)


def argmax(a: Any, dim: Any = None) -> Matrix:
    """The 1-based indices ``I`` of ``[~, I] = max(A, [], dim)``."""
    return _extreme("argmax", asmatrix(a), dim, True)[1]


def argmin(a: Any, dim: Any = None) -> Matrix:
    """The 1-based indices ``I`` of ``[~, I] = min(A, [], dim)``."""
    return _extreme("argmin", asmatrix(a), dim, True)[1]


def _truth(fn: str, a: Any, dim: Any) -> Matrix:
    x = asmatrix(a)
    s, ax = _resolve(x, dim, fn)
    if s.dtype == ng.bool:
        t = s
    elif fn == "any" and np.dtype(s.dtype).kind in "fc":
        t = ng.logical_and(s != 0, ng.logical_not(ng.isnan(s)))  # any ignores NaN
    else:
        t = s != 0
    if ax is None:
        return _out(ng.asarray(t, copy=True))
    return _out(ng.any(t, axis=ax, keepdims=True) if fn == "any" else ng.all(t, axis=ax, keepdims=True))


def any(a: Any, dim: Any = None) -> Matrix:  # noqa: A001
    """``any(A)``, ``any(A, dim)``: true where some element is non-zero (NaN ignored)."""
    return _truth("any", a, dim)


def all(a: Any, dim: Any = None) -> Matrix:  # noqa: A001
    """``all(A)``, ``all(A, dim)``: true where every element is non-zero."""
    return _truth("all", a, dim)
