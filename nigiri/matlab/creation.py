"""Creating matrices: ``zeros``, ``ones``, ``rand``, ``randn``, ``randi``, ``eye``,
``colon``, ``rng``, and the class conversions ``single``, ``double``, ``int8`` ...
``uint64``, ``logical``, ``cast``.

Sizes are MATLAB's: ``zeros(n)`` is n x n, ``zeros(m, n, ...)``, ``zeros([m n])``, an
optional class name last (default ``'single'``); negative sizes count as 0; trailing
singleton dimensions are dropped. New matrices go to the current nigiri device
(``ng.use``, ``NIGIRI_BACKEND``) unless ``device=`` says otherwise. Random numbers come
from nigiri's Philox generator of that device, drawn in column-major order, so
``rand(2, 3)`` holds the same numbers as ``rand(6, 1)`` after the same ``rng(seed)``,
on every backend.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nigiri as ng

from . import _classes as C
from ._layout import canonical_shape, parse_size_args
from .matrix import Matrix, asmatrix

__all__ = ["zeros", "ones", "rand", "randn", "randi", "eye", "colon", "rng", "cast",
           "single", "double", "int8", "int16", "int32", "int64", "uint8", "uint16",
           "uint32", "uint64", "logical"]


def _storage_shape(size: tuple[int, ...]) -> tuple[int, ...]:
    return canonical_shape(tuple(reversed(size)))


def _filled(fn: str, value: Any, args: tuple[Any, ...], device: Any) -> Matrix:
    size, klass = parse_size_args(args, fn)
    klass = C.parse_class(klass or C.DEFAULT_CLASS, fn)
    dt = C.dtype_of_class(klass)
    fill = bool(value) if klass == "logical" else value
    return Matrix._wrap(ng.full(_storage_shape(size), fill, dtype=dt, device=device), owned=True)


def zeros(*args: Any, device: Any = None) -> Matrix:
    """``zeros(m, n, ..., klass)``."""
    return _filled("zeros", 0, args, device)


def ones(*args: Any, device: Any = None) -> Matrix:
    """``ones(m, n, ..., klass)``."""
    return _filled("ones", 1, args, device)


def _float_klass(fn: str, klass: str | None) -> Any:
    k = C.parse_class(klass or C.DEFAULT_CLASS, fn)
    if not C.is_float_class(k):
        raise ValueError(f"{fn}: class must be 'single' or 'double', got {k!r}")
    return C.dtype_of_class(k)


def rand(*args: Any, device: Any = None) -> Matrix:
    """``rand(m, n, ..., klass)``: uniform in [0, 1) ('single' or 'double')."""
    size, klass = parse_size_args(args, "rand")
    dt = _float_klass("rand", klass)
    x = ng.random.random(_storage_shape(size), dtype=dt, device=device)
    return Matrix._wrap(x, owned=True)


def randn(*args: Any, device: Any = None) -> Matrix:
    """``randn(m, n, ..., klass)``: standard normal ('single' or 'double')."""
    size, klass = parse_size_args(args, "randn")
    dt = _float_klass("randn", klass)
    x = ng.random.normal(0.0, 1.0, _storage_shape(size), dtype=dt, device=device)
    return Matrix._wrap(x, owned=True)


def randi(imax: Any, *args: Any, device: Any = None) -> Matrix:
    """``randi(imax, m, n, ..., klass)`` or ``randi([imin imax], ...)``: uniform
    integers in [imin, imax] (imin defaults to 1), class 'single' unless given."""
    if isinstance(imax, (list, tuple)):
        if len(imax) != 2:
            raise ValueError(f"randi: the range must be [imin imax], got {imax!r}")
        lo, hi = int(imax[0]), int(imax[1])
    else:
        lo, hi = 1, int(imax)
    if hi < lo:
        raise ValueError(f"randi: empty range [{lo}, {hi}]")
    size, klass = parse_size_args(args, "randi")
    k = C.parse_class(klass or C.DEFAULT_CLASS, "randi")
    if k == "logical":
        raise ValueError("randi: class must be numeric, got 'logical'")
    x = ng.random.integers(lo, hi, _storage_shape(size), endpoint=True, device=device)
    return Matrix._wrap(C.cast_array(x, k, "randi"), owned=True)


def rng(seed: int) -> None:
    """``rng(seed)``: seed the generators behind ``rand``/``randn``/``randi``."""
    ng.random.seed(seed)


def eye(*args: Any, device: Any = None) -> Matrix:
    """``eye(n)``, ``eye(m, n)``, ``eye([m n])`` with an optional class."""
    size, klass = parse_size_args(args, "eye")
    if len(size) != 2:
        raise ValueError(f"eye: only 2-D identity matrices exist, got size {size}")
    k = C.parse_class(klass or C.DEFAULT_CLASS, "eye")
    m, n = size
    return Matrix._wrap(ng.eye(n, m, dtype=C.dtype_of_class(k), device=device), owned=True)


def _number(v: Any, fn: str, name: str) -> float:
    if isinstance(v, Matrix):
        if v.numel() == 0:
            raise ValueError(f"{fn}: {name} must not be empty")
        v = v.to_list_1d(fn)[0]  # MATLAB uses the first element
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(v).__name__}")
    return float(v)


def _colon_values(a: float, d: float, b: float) -> np.ndarray:
    """MATLAB's colon algorithm: length with a tolerance of a few eps, values symmetric
    about the midpoint so that the last one is exactly ``b`` when it is reached."""
    if d == 0 or (d > 0 and a > b) or (d < 0 and a < b) or math.isnan(a + d + b):
        return np.zeros(0)
    if math.isinf(a) or math.isinf(b):
        raise ValueError("colon: the end points must be finite")
    tol = 2.0 * np.finfo(np.float64).eps * max(abs(a), abs(b))
    sig = 1.0 if d > 0 else -1.0
    n = round((b - a) / d)
    if sig * (a + n * d - b) > tol:
        n -= 1
    c = a + n * d
    if sig * (c - b) > -tol:
        c = b
    v = np.empty(n + 1)
    k = np.arange(n // 2 + 1)
    v[k] = a + k * d
    v[n - k] = c - k * d
    if n % 2 == 0:
        v[n // 2] = (a + c) / 2
    return v


def colon(a: Any, b: Any, c: Any = None, *, klass: str | None = None, device: Any = None) -> Matrix:
    """``colon(a, b)`` is ``a:b``; ``colon(a, step, b)`` is ``a:step:b``: a row vector
    (1x0 when empty), class 'single' unless ``klass`` says otherwise."""
    if c is None:
        start, step, stop = _number(a, "colon", "a"), 1.0, _number(b, "colon", "b")
    else:
        start, step, stop = (_number(a, "colon", "a"), _number(b, "colon", "step"),
                             _number(c, "colon", "b"))
    vals = _colon_values(start, step, stop)
    k = C.parse_class(klass or C.DEFAULT_CLASS, "colon")
    if k == "single" and vals.size and np.all(vals == np.round(vals)) and \
            np.abs(vals).max() > 2**24:
        raise ValueError("colon: integers beyond 2^24 are not exact in class 'single' (index "
                         "ranges would repeat); pass klass='double' or klass='int32'")
    return asmatrix(vals.reshape(1, -1), k, device=device, copy=True)


def cast(a: Any, klass: str) -> Matrix:
    """``cast(A, klass)``: convert with MATLAB's rules (rounding half away from zero
    and saturation for integer classes, NaN -> 0; NaN to logical is an error)."""
    k = C.parse_class(klass, "cast")
    if not isinstance(a, Matrix):
        return asmatrix(a, k, copy=True)  # Python data converts directly, never via single
    x = a
    return Matrix._wrap(ng.asarray(C.cast_array(x._a, k, "cast"), copy=True), owned=True)


def _caster(klass: str) -> Any:
    def fn(a: Any) -> Matrix:
        return cast(a, klass)

    fn.__name__ = klass
    fn.__doc__ = f"``{klass}(A)``: ``A`` converted to class '{klass}' (MATLAB rules)."
    return fn


single = _caster("single")
double = _caster("double")
int8 = _caster("int8")
int16 = _caster("int16")
int32 = _caster("int32")
int64 = _caster("int64")
uint8 = _caster("uint8")
uint16 = _caster("uint16")
uint32 = _caster("uint32")
uint64 = _caster("uint64")
logical = _caster("logical")
