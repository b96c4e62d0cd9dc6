"""Matrix operators: ``transpose`` / ``ctranspose``, ``mtimes`` (``*``), ``mldivide``
(``\\``), ``mrdivide`` (``/``) and ``mpower`` (``^``).

The storage of a 2-d Matrix is its transpose (column-major), so ``A * B`` is the
storage product ``B_s @ A_s`` and no data is moved. ``mldivide`` solves square systems
with ``ng.linalg.solve`` and overdetermined ones by least squares through the reduced
QR factorisation (as MATLAB does for full-rank A). Differences from MATLAB: a singular
or rank-deficient system raises ValueError (MATLAB warns and returns Inf/NaN), and an
underdetermined system (fewer rows than columns) raises ValueError because MATLAB's
basic solution needs column-pivoted QR, which the core does not have.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nigiri as ng

from . import _classes as C
from .arith import ldivide, operands, power, rdivide, times
from .matrix import Matrix, asmatrix

__all__ = ["transpose", "ctranspose", "mtimes", "mldivide", "mrdivide", "mpower"]


def _is_scalar(x: Any) -> bool:
    return not isinstance(x, Matrix) or x.numel() == 1


def _two_d(fn: str, *mats: Matrix) -> None:
    for m in mats:
        if m.ndims() != 2:
            raise ValueError(f"{fn}: arguments must be 2-D, got a {m._size_str()} array")


def transpose(a: Any) -> Matrix:
    """``A.'``: the (non-conjugate) transpose of a 2-d matrix."""
    x = asmatrix(a)
    _two_d("transpose", x)
    return Matrix._wrap(ng.permute_dims(x._storage_view(), (1, 0)))


def ctranspose(a: Any) -> Matrix:
    """``A'``: the complex conjugate transpose of a 2-d matrix."""
    t = transpose(a)
    if np.dtype(t.dtype).kind == "c":
        return Matrix._wrap(ng.conj(t._a), owned=True)
    return t


def _float_pair(fn: str, x: Matrix, y: Matrix) -> tuple[ng.Array, ng.Array]:
    rc = C.result_class([x.klass, y.klass], fn, x.device)
    if C.is_int_class(rc):
        raise TypeError(f"{fn} is not supported for integer classes ({x.klass}, {y.klass}) "
                        "unless one argument is a scalar; convert with double() or single()")
    complex_ = any(np.dtype(m.dtype).kind == "c" for m in (x, y))
    wd = C.dtype_of_class(rc)
    if complex_:
        wd = ng.complex64 if rc == "single" else ng.complex128
    cast = [m._a if m.dtype == wd else ng.astype(m._a, wd) for m in (x, y)]
    return cast[0], cast[1]


def mtimes(a: Any, b: Any) -> Matrix:
    """``A * B``: matrix product; elementwise when either side is a scalar."""
    if type(a) is Matrix and type(b) is Matrix:  # fast path: one floating class, 2-d
        sa, sb = a._a, b._a
        if (sa.dtype == sb.dtype and sa.dtype.kind in "fc" and sa.ndim == 2 and sb.ndim == 2
                and sa.shape[0] == sb.shape[1] and sa.size != 1 and sb.size != 1):
            return Matrix._wrap(ng.matmul(sb, sa), owned=True)
    x, y = operands(a, b, "mtimes")
    if _is_scalar(x) or _is_scalar(y):
        return times(x, y)
    _two_d("mtimes", x, y)
    if x.size(2) != y.size(1):
        raise ValueError(f"mtimes: Inner matrix dimensions must agree ({x._size_str()} * "
                         f"{y._size_str()})")
    sx, sy = _float_pair("mtimes", x, y)
    return Matrix._wrap(ng.matmul(sy, sx), owned=True)


def _solve(fn: str, a: ng.Array, b: ng.Array) -> ng.Array:
    """Solve ``a @ X = b`` (MATLAB orientation, 2-d) for square or tall ``a``."""
    m, n = a.shape
    try:
        if m == n:
            return ng.linalg.solve(a, b)
        q, r = ng.linalg.qr(a, mode="reduced")
        return ng.linalg.solve(r, ng.matmul(ng.matrix_transpose(ng.conj(q) if
                                            np.dtype(q.dtype).kind == "c" else q), b))
    except ValueError as exc:
        if "singular" in str(exc).lower():
            raise ValueError(f"{fn}: matrix is singular or rank deficient to working precision "
                             f"(MATLAB would warn and return Inf/NaN): {exc}") from None
        raise


def mldivide(a: Any, b: Any) -> Matrix:
    """``A \\ B``: solves ``A * X = B`` (square: LU; tall: least squares)."""
    x, y = operands(a, b, "mldivide")
    if _is_scalar(x):
        return ldivide(x, y)
    y = asmatrix(y) if not isinstance(y, Matrix) else y
    _two_d("mldivide", x, y)
    m, n = x.size(1), x.size(2)
    if y.size(1) != m:
        raise ValueError(f"mldivide: Matrix dimensions must agree ({x._size_str()} \\ "
                         f"{y._size_str()})")
    if m < n:
        raise ValueError(f"mldivide: underdetermined systems ({x._size_str()}) are not "
                         "supported; use pinv for the minimum-norm solution")
    sx, sy = _float_pair("mldivide", x, y)
    sol = _solve("mldivide", ng.matrix_transpose(sx), ng.matrix_transpose(sy))
    return Matrix._wrap(ng.asarray(ng.matrix_transpose(sol), copy=True), owned=True)


def mrdivide(b: Any, a: Any) -> Matrix:
    """``B / A``: solves ``X * A = B``; elementwise when ``A`` is a scalar."""
    y, x = operands(b, a, "mrdivide")
    if _is_scalar(x):
        return rdivide(y, x)
    y = asmatrix(y) if not isinstance(y, Matrix) else y
    _two_d("mrdivide", x, y)
    if y.size(2) != x.size(2):
        raise ValueError(f"mrdivide: Matrix dimensions must agree ({y._size_str()} / "
                         f"{x._size_str()})")
    return transpose(mldivide(transpose(x), transpose(y)))


def mpower(a: Any, p: Any) -> Matrix:
    """``A ^ p``: matrix power of a square matrix to an integer scalar ``p``;
    elementwise ``power`` when both are scalars."""
    x, y = operands(a, p, "mpower")
    if _is_scalar(x) and _is_scalar(y):
        return power(x, y)
    if not _is_scalar(y):
        raise ValueError("mpower: a matrix exponent (scalar ^ matrix) is not supported")
    e = float(y)
    if not e.is_integer():
        raise ValueError(f"mpower: a non-integer power ({e}) of a matrix is not supported")
    _two_d("mpower", x)
    if x.size(1) != x.size(2):
        raise ValueError(f"mpower: the matrix must be square, got {x._size_str()}")
    if C.is_int_class(x.klass):
        raise TypeError(f"mpower is not supported for integer class {x.klass} matrices")
    s = x._a if C.is_float_class(x.klass) or np.dtype(x.dtype).kind == "c" else \
        ng.astype(x._a, C.dtype_of_class(C.double_class(x.device)))
    try:
        # not owned: ng.linalg.matrix_power(x, 1) returns x itself
        return Matrix._wrap(ng.linalg.matrix_power(s, int(e)))
    except ValueError as exc:
        raise ValueError(f"mpower: {exc}") from None
