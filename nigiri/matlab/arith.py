"""Elementwise arithmetic, relational and logical operators with MATLAB's class rules
and implicit expansion (``plus``, ``minus``, ``times``, ``rdivide``, ``ldivide``,
``power``, ``uminus``, ``eq``..``ge``, ``and_``, ``or_``, ``not_``, ``xor``).

Integer results are computed in floating point (float64 where the device holds it)
and converted back with MATLAB's rounding and saturation, so ``uint8(200) + 100`` is
255 and ``int32(7) ./ 2`` is 4. ``power`` is real-valued: a negative base with a
non-integer exponent gives NaN where MATLAB returns a complex number (documented
difference). Comparisons between different classes, or with a Python number, compare
the exact values in double precision (so ``single(0.1) == 0.1`` is false); a device
without float64 compares in single.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import nigiri as ng

from . import _classes as C
from ._layout import pad_storage, size_of
from .matrix import Matrix, asmatrix

__all__ = ["plus", "minus", "times", "rdivide", "ldivide", "power", "uminus", "eq", "ne",
           "lt", "le", "gt", "ge", "and_", "or_", "not_", "xor", "to_logical",
           "operands", "check_expand"]

_PY_NUMBERS = (bool, int, float, np.integer, np.floating)


def _operand(x: Any, fn: str) -> Any:
    """A Matrix, or a Python real number (a weak double scalar)."""
    if isinstance(x, Matrix):
        return x
    if isinstance(x, _PY_NUMBERS):
        return float(x) if isinstance(x, (float, np.floating)) else int(x)
    return asmatrix(x)


def operands(a: Any, b: Any, fn: str) -> tuple[Any, Any]:
    """Both operands as Matrix or Python numbers, at least one a Matrix."""
    x, y = _operand(a, fn), _operand(b, fn)
    if not isinstance(x, Matrix) and not isinstance(y, Matrix):
        x = asmatrix(x)
    if isinstance(x, Matrix) and isinstance(y, Matrix) and x.device != y.device:
        raise ValueError(f"{fn}: the operands are on different devices ({x.device} and "
                         f"{y.device}); move one with gpuArray/gather")
    return x, y


def check_expand(fn: str, a: Matrix, b: Matrix) -> None:
    """MATLAB implicit expansion: each dimension equal, or 1 in one operand."""
    sa, sb = size_of(a._a), size_of(b._a)
    n = max(len(sa), len(sb))
    pa, pb = sa + (1,) * (n - len(sa)), sb + (1,) * (n - len(sb))
    if any(p != q and p != 1 and q != 1 for p, q in zip(pa, pb)):
        raise ValueError(f"{fn}: Matrix dimensions must agree "
                         f"({'x'.join(map(str, sa))} and {'x'.join(map(str, sb))})")


def _storages(x: Any, y: Any) -> tuple[Any, Any]:
    if isinstance(x, Matrix) and isinstance(y, Matrix):
        nd = max(x._a.ndim, y._a.ndim)
        return pad_storage(x._a, nd), pad_storage(y._a, nd)
    return (x._a if isinstance(x, Matrix) else x), (y._a if isinstance(y, Matrix) else y)


def _klass(x: Any) -> str | None:
    return x.klass if isinstance(x, Matrix) else None


def _device(x: Any, y: Any) -> Any:
    return (x if isinstance(x, Matrix) else y).device


def _cast(v: Any, dt: Any) -> Any:
    if isinstance(v, ng.Array) and v.dtype != dt:
        return ng.astype(v, dt)
    return v


def _is_complex(v: Any) -> bool:
    return isinstance(v, Matrix) and np.dtype(v.dtype).kind == "c"


_FAST_KINDS = frozenset("fc")


def arithmetic(fn: str, a: Any, b: Any, op: Callable[[Any, Any], ng.Array]) -> Matrix:
    """Apply ``op`` to storage arrays (or Python scalars) with MATLAB's class rules."""
    # fast paths (same result as the general path below): one floating class on both
    # sides, or a floating matrix and a Python number
    if type(a) is Matrix:
        sa = a._a
        if type(b) is Matrix:
            sb = b._a
            if sa.dtype == sb.dtype and sa.shape == sb.shape and sa.dtype.kind in _FAST_KINDS:
                return Matrix._wrap(op(sa, sb), owned=True)
        elif type(b) in (float, int) and sa.dtype.kind in _FAST_KINDS:
            return Matrix._wrap(op(sa, b), owned=True)
    elif type(b) is Matrix and type(a) in (float, int) and b._a.dtype.kind in _FAST_KINDS:
        return Matrix._wrap(op(a, b._a), owned=True)
    x, y = operands(a, b, fn)
    if isinstance(x, Matrix) and isinstance(y, Matrix):
        check_expand(fn, x, y)
    rc = C.result_class([_klass(x), _klass(y)], fn, _device(x, y))
    if C.is_int_class(rc):
        if _is_complex(x) or _is_complex(y):
            raise TypeError(f"{fn}: complex values cannot be combined with integers")
        wd = C.work_float(_device(x, y))
    elif _is_complex(x) or _is_complex(y):
        wd = ng.complex64 if rc == "single" else ng.complex128
    else:
        wd = C.dtype_of_class(rc)
    sx, sy = _storages(x, y)
    r = op(_cast(sx, wd), _cast(sy, wd))
    if C.is_int_class(rc):
        r = C.cast_array(r, rc, fn)
    return Matrix._wrap(r, owned=True)


def plus(a: Any, b: Any) -> Matrix:
    """``a + b`` (MATLAB ``plus``), with implicit expansion."""
    return arithmetic("plus", a, b, lambda p, q: p + q)


def minus(a: Any, b: Any) -> Matrix:
    """``a - b`` (MATLAB ``minus``)."""
    return arithmetic("minus", a, b, lambda p, q: p - q)


def times(a: Any, b: Any) -> Matrix:
    """``a .* b``: elementwise product (MATLAB ``times``)."""
    return arithmetic("times", a, b, lambda p, q: p * q)


def rdivide(a: Any, b: Any) -> Matrix:
    """``a ./ b``: elementwise right division (MATLAB ``rdivide``)."""
    return arithmetic("rdivide", a, b, lambda p, q: p / q)


def ldivide(a: Any, b: Any) -> Matrix:
    """``a .\\ b`` = ``b ./ a`` (MATLAB ``ldivide``)."""
    return arithmetic("ldivide", a, b, lambda p, q: q / p)


def power(a: Any, b: Any) -> Matrix:
    """``a .^ b``: elementwise power (MATLAB ``power``; real-valued)."""
    return arithmetic("power", a, b, lambda p, q: p ** q)


def uminus(a: Any) -> Matrix:
    """``-a`` (integers saturate: ``-int8(-128)`` is 127)."""
    x = asmatrix(a)
    k = x.klass
    if C.is_int_class(k) or k == "logical":
        return arithmetic("uminus", 0, x, lambda p, q: p - q)
    return Matrix._wrap(-x._a, owned=True)


def _compare(fn: str, a: Any, b: Any, op: Callable[[Any, Any], ng.Array]) -> Matrix:
    if type(a) is Matrix and type(b) in (float, int) and a._a.dtype.kind == "f" \
            and _exact_scalar(b, a._a.dtype):  # fast path: exact in the matrix's dtype
        return Matrix._wrap(op(a._a, b), owned=True)
    x, y = operands(a, b, fn)
    if isinstance(x, Matrix) and isinstance(y, Matrix):
        check_expand(fn, x, y)
    classes = [c for c in (_klass(x), _klass(y)) if c is not None]
    sx, sy = _storages(x, y)
    if _is_complex(x) or _is_complex(y) or (len(classes) == 2 and classes[0] == classes[1]):
        wd = None
    elif len(classes) == 1 and _exact_scalar((y if isinstance(x, Matrix) else x),
                                             (x if isinstance(x, Matrix) else y).dtype):
        wd = None  # the number is exact in the matrix's dtype: compare there
    else:
        wd = C.work_float(_device(x, y))  # compare the exact values (in double)
    if wd is not None:
        sx, sy = _cast(sx, wd), _cast(sy, wd)
    return Matrix._wrap(op(sx, sy), owned=True)


def _exact_scalar(v: Any, dtype: Any) -> bool:
    """True when the Python number ``v`` is exactly representable in ``dtype``."""
    dt = np.dtype(dtype)
    if dt.kind == "f":
        with np.errstate(over="ignore"):
            return float(dt.type(v)) == v or v != v
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return float(v).is_integer() and info.min <= v <= info.max
    return False


def eq(a: Any, b: Any) -> Matrix:
    """``a == b`` as a logical matrix."""
    return _compare("eq", a, b, lambda p, q: ng.equal(p, q) if isinstance(p, ng.Array) else q == p)


def ne(a: Any, b: Any) -> Matrix:
    """``a ~= b`` as a logical matrix."""
    return _compare("ne", a, b, lambda p, q: ng.not_equal(p, q) if isinstance(p, ng.Array) else q != p)


def lt(a: Any, b: Any) -> Matrix:
    """``a < b`` as a logical matrix."""
    return _compare("lt", a, b, lambda p, q: p < q if isinstance(p, ng.Array) else q > p)


def le(a: Any, b: Any) -> Matrix:
    """``a <= b`` as a logical matrix."""
    return _compare("le", a, b, lambda p, q: p <= q if isinstance(p, ng.Array) else q >= p)


def gt(a: Any, b: Any) -> Matrix:
    """``a > b`` as a logical matrix."""
    return _compare("gt", a, b, lambda p, q: p > q if isinstance(p, ng.Array) else q < p)


def ge(a: Any, b: Any) -> Matrix:
    """``a >= b`` as a logical matrix."""
    return _compare("ge", a, b, lambda p, q: p >= q if isinstance(p, ng.Array) else q <= p)


def to_logical(a: Any, fn: str) -> Matrix:
    """``a`` as a logical matrix (non-zero is true; NaN is an error, as in MATLAB)."""
    x = asmatrix(a)
    if x.klass == "logical" and np.dtype(x.dtype).kind == "b":
        return x
    if np.dtype(x.dtype).kind == "c":
        if bool(ng.any(ng.isnan(x._a))):
            raise ValueError(f"{fn}: NaN's cannot be converted to logicals")
        return Matrix._wrap(x._a != 0, owned=True)
    return Matrix._wrap(C.cast_array(x._a, "logical", fn), owned=True)


def _logical(fn: str, a: Any, b: Any, op: Callable[[Any, Any], ng.Array]) -> Matrix:
    x, y = operands(a, b, fn)
    if isinstance(x, Matrix) and isinstance(y, Matrix):
        check_expand(fn, x, y)
    lx = to_logical(x, fn) if isinstance(x, Matrix) else None
    ly = to_logical(y, fn) if isinstance(y, Matrix) else None
    if lx is None:
        lx = Matrix._wrap(ng.full((1, 1), _scalar_truth(x, fn), device=ly.device))
    if ly is None:
        ly = Matrix._wrap(ng.full((1, 1), _scalar_truth(y, fn), device=lx.device))
    sx, sy = _storages(lx, ly)
    return Matrix._wrap(op(sx, sy), owned=True)


def _scalar_truth(v: Any, fn: str) -> bool:
    if v != v:
        raise ValueError(f"{fn}: NaN's cannot be converted to logicals")
    return bool(v)


def and_(a: Any, b: Any) -> Matrix:
    """``a & b`` (elementwise logical and)."""
    return _logical("and", a, b, ng.logical_and)


def or_(a: Any, b: Any) -> Matrix:
    """``a | b`` (elementwise logical or)."""
    return _logical("or", a, b, ng.logical_or)


def xor(a: Any, b: Any) -> Matrix:
    """``xor(a, b)`` (elementwise exclusive or)."""
    return _logical("xor", a, b, ng.logical_xor)


def not_(a: Any) -> Matrix:
    """``~a`` (elementwise logical not)."""
    return Matrix._wrap(ng.logical_not(to_logical(a, "not")._a), owned=True)
