"""Linear algebra: matmul, tensordot, vecdot, matrix_transpose and the ``linalg``
extension (norms, trace, diagonal, cross, outer, and decompositions).

Decompositions call the backend's optional ``linalg`` primitive, or, on a backend that
declares ``capabilities.host_linalg``, run on the host through the reference backend;
that round trip is counted in ``nigiri.stats()`` (DESIGN section 3, never hidden).
"""

from __future__ import annotations

import builtins
from typing import Any, NamedTuple, Sequence

import numpy as np

from . import dtypes as _dt
from ._helpers import broadcast_shapes, check_array, normalize_axes, normalize_axis, same_backend
from .array import Array

__all__ = [
    "matmul", "matrix_transpose", "tensordot", "vecdot", "cholesky", "cross", "det",
    "diagonal", "eigh", "eigvalsh", "inv", "matrix_norm", "matrix_power", "matrix_rank",
    "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "trace", "vector_norm",
    "EighResult", "QRResult", "SlogdetResult", "SVDResult",
]


class EighResult(NamedTuple):
    eigenvalues: Array
    eigenvectors: Array


class QRResult(NamedTuple):
    Q: Array
    R: Array


class SlogdetResult(NamedTuple):
    sign: Array
    logabsdet: Array


class SVDResult(NamedTuple):
    U: Array
    S: Array
    Vh: Array


def _promote_pair(x1: Array, x2: Array, fn: str, category: str = "numeric") -> tuple[Any, Any, Any]:
    check_array(x1, fn, "x1")
    check_array(x2, fn, "x2")
    be = same_backend([x1, x2], fn)
    _dt.check_category(x1.dtype, category, fn)
    _dt.check_category(x2.dtype, category, fn)
    dt = _dt.promote(x1.dtype, x2.dtype, fn)
    b1 = x1._buf if x1.dtype == dt else be.astype(x1._buf, dt)
    b2 = x2._buf if x2.dtype == dt else be.astype(x2._buf, dt)
    return be, b1, b2


_MATMUL_OK = _dt.CATEGORIES["numeric"]


def matmul(x1: Array, x2: Array, /) -> Array:
    """Matrix product with NumPy ``matmul`` semantics (1-d operands allowed)."""
    if type(x1) is Array and type(x2) is Array:  # fast path: two matrices, one dtype
        b1, b2 = x1._buf, x2._buf
        s1, s2 = b1.shape, b2.shape
        if (len(s1) == 2 and len(s2) == 2 and x1._be is x2._be and b1.dtype == b2.dtype
                and b1.dtype in _MATMUL_OK and s1[1] == s2[0]):
            return Array._new(x1._be.matmul(b1, b2), x1._be)
    be, b1, b2 = _promote_pair(x1, x2, "matmul")
    s1, s2 = tuple(b1.shape), tuple(b2.shape)
    if not s1 or not s2:
        raise ValueError("matmul: operands must be at least 1-d, got a 0-d array")
    v1, v2 = len(s1) == 1, len(s2) == 1
    if v1:
        b1 = be.reshape(b1, (1,) + s1, None)
    if v2:
        b2 = be.reshape(b2, s2 + (1,), None)
    k1, k2 = b1.shape[-1], b2.shape[-2]
    if k1 != k2:
        raise ValueError(f"matmul: shapes {s1} and {s2} are not aligned ({k1} != {k2})")
    batch = broadcast_shapes(tuple(b1.shape[:-2]), tuple(b2.shape[:-2]), fn="matmul")
    out = be.matmul(b1, b2)
    shape = batch + ((b1.shape[-2],) if not v1 else ()) + ((b2.shape[-1],) if not v2 else ())
    if tuple(out.shape) != shape:
        out = be.reshape(out, shape, None)
    return Array._new(out, be)


def matrix_transpose(x: Array, /) -> Array:
    """A view of ``x`` with its last two axes swapped."""
    check_array(x, "matrix_transpose")
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: expected at least 2 dimensions, got {x.ndim}")
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return Array._new(x._be.permute(x._buf, axes), x._be)


def vecdot(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """Dot product of vectors along ``axis`` (conjugating ``x1``), broadcasting."""
    be, b1, b2 = _promote_pair(x1, x2, "vecdot")
    shape = broadcast_shapes(tuple(b1.shape), tuple(b2.shape), fn="vecdot")
    if not shape:
        raise ValueError("vecdot: expected arrays of at least one dimension")
    neg = normalize_axis(axis, len(shape), "vecdot") - len(shape)
    if -neg > builtins.min(x1.ndim, x2.ndim) or x1.shape[neg] != x2.shape[neg]:
        raise ValueError(f"vecdot: axis {axis} does not match in shapes {x1.shape} and {x2.shape}")
    axis = len(shape) + neg
    if b1.dtype.kind == "c":
        b1 = be.unary("conj", b1)
    prod = be.binary("multiply", b1, b2)
    return Array._new(be.reduce("sum", prod, (axis,), False, prod.dtype), be)


def tensordot(x1: Array, x2: Array, /, *, axes: int | tuple[Sequence[int], Sequence[int]] = 2) -> Array:
    """Sum products over the given axes (NumPy ``tensordot`` semantics)."""
    from .manipulation import permute_dims, reshape

    check_array(x1, "tensordot", "x1")
    check_array(x2, "tensordot", "x2")
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError(f"tensordot: axes must be non-negative, got {axes}")
        a1 = list(range(x1.ndim - axes, x1.ndim))
        a2 = list(range(axes))
    else:
        if len(axes) != 2 or len(axes[0]) != len(axes[1]):
            raise ValueError("tensordot: axes must be an int or a pair of equal-length sequences")
        a1 = [normalize_axis(a, x1.ndim, "tensordot") for a in axes[0]]
        a2 = [normalize_axis(a, x2.ndim, "tensordot") for a in axes[1]]
    for i, j in zip(a1, a2):
        if x1.shape[i] != x2.shape[j]:
            raise ValueError(f"tensordot: shape mismatch on contracted axes {i} and {j}")
    free1 = [a for a in range(x1.ndim) if a not in a1]
    free2 = [a for a in range(x2.ndim) if a not in a2]
    k = int(np.prod([x1.shape[a] for a in a1], dtype=np.int64))
    m = int(np.prod([x1.shape[a] for a in free1], dtype=np.int64))
    n = int(np.prod([x2.shape[a] for a in free2], dtype=np.int64))
    p1 = reshape(permute_dims(x1, free1 + a1), (m, k))
    p2 = reshape(permute_dims(x2, a2 + free2), (k, n))
    out = matmul(p1, p2)
    return reshape(out, tuple(x1.shape[a] for a in free1) + tuple(x2.shape[a] for a in free2))


def outer(x1: Array, x2: Array, /) -> Array:
    """Outer product of two 1-d arrays."""
    be, b1, b2 = _promote_pair(x1, x2, "outer")
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError("outer: expected 1-d arrays")
    a = be.reshape(b1, (b1.shape[0], 1), None)
    b = be.reshape(b2, (1, b2.shape[0]), None)
    return Array._new(be.binary("multiply", a, b), be)


def cross(x1: Array, x2: Array, /, *, axis: int = -1) -> Array:
    """Cross product of 3-element vectors along ``axis``."""
    be, b1, b2 = _promote_pair(x1, x2, "cross")
    if x1.ndim != x2.ndim:
        raise ValueError("cross: x1 and x2 must have the same number of dimensions")
    axis = normalize_axis(axis, x1.ndim, "cross")
    if x1.shape[axis] != 3 or x2.shape[axis] != 3:
        raise ValueError(f"cross: axis {axis} must have size 3 in both arrays")
    from .manipulation import stack

    a = Array._new(b1, be)
    b = Array._new(b2, be)
    lead = (slice(None),) * axis

    def c(arr: Array, i: int) -> Any:
        return arr[lead + (i,)]._buf

    comps = []
    for i, j in ((1, 2), (2, 0), (0, 1)):
        comps.append(Array._new(be.binary("subtract", be.binary("multiply", c(a, i), c(b, j)),
                                          be.binary("multiply", c(a, j), c(b, i))), be))
    return stack(comps, axis=axis)


def diagonal(x: Array, /, *, offset: int = 0) -> Array:
    """The ``offset`` diagonal of the last two axes."""
    check_array(x, "diagonal")
    if x.ndim < 2:
        raise ValueError(f"diagonal: expected at least 2 dimensions, got {x.ndim}")
    be = x._be
    n, m = x.shape[-2:]
    rows0, cols0 = (0, offset) if offset >= 0 else (-offset, 0)
    k = builtins.max(0, builtins.min(n - rows0, m - cols0))
    nd = x.ndim
    front = be.permute(x._buf, (nd - 2, nd - 1) + tuple(range(nd - 2)))
    idx = be.iota(k, _dt.int64)
    ri = be.binary("add", idx, np.int64(rows0))
    ci = be.binary("add", idx, np.int64(cols0))
    out = be.gather(front, (ri, ci))  # (k, *batch)
    out = be.copy(be.permute(out, tuple(range(1, nd - 1)) + (0,)))
    return Array._new(out, be)


def trace(x: Array, /, *, offset: int = 0, dtype: Any = None) -> Array:
    """Sum of the ``offset`` diagonal of the last two axes."""
    from .statistical import sum as _sum

    check_array(x, "trace")
    _dt.check_category(x.dtype, "numeric", "trace")
    return _sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)


def vector_norm(x: Array, /, *, axis: Any = None, keepdims: bool = False,
                ord: int | float = 2) -> Array:
    """Vector p-norm over ``axis`` (ord 1, 2, inf, -inf, 0 or any real p)."""
    check_array(x, "vector_norm")
    _dt.check_category(x.dtype, "floating-point", "vector_norm")
    be = x._be
    axes = normalize_axes(axis, x.ndim, "vector_norm")
    a = be.unary("abs", x._buf)
    rt = a.dtype
    kd = bool(keepdims)
    if ord == float("inf"):
        out = be.reduce("max", a, axes, kd, rt)
    elif ord == float("-inf"):
        out = be.reduce("min", a, axes, kd, rt)
    elif ord == 0:
        out = be.reduce("sum", be.astype(be.binary("not_equal", a, rt.type(0)), rt), axes, kd, rt)
    elif ord == 1:
        out = be.reduce("sum", a, axes, kd, rt)
    elif ord == 2:
        out = be.unary("sqrt", be.reduce("sum", be.binary("multiply", a, a), axes, kd, rt))
    else:
        if isinstance(ord, bool) or not isinstance(ord, (int, float)):
            raise ValueError(f"vector_norm: ord must be a number, got {ord!r}")
        p = rt.type(ord)
        out = be.binary("pow", be.reduce("sum", be.binary("pow", a, p), axes, kd, rt), rt.type(1.0 / ord))
    return Array._new(out, be)


def _check_matrices(x: Array, fn: str, square: bool = False) -> None:
    check_array(x, fn)
    _dt.check_category(x.dtype, "floating-point", fn)
    if x.ndim < 2:
        raise ValueError(f"{fn}: expected a stack of matrices (ndim >= 2), got {x.ndim}-d")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{fn}: expected square matrices, got shape {x.shape}")


def _decompose(op: str, *arrays: Array, **kwargs: Any) -> Any:
    """Run a decomposition on the backend or, where declared, through the host."""
    be = same_backend(arrays, op)
    if be.capabilities.host_linalg:
        from .device import resolve_device

        ref = resolve_device("numpy")
        host = [np.ascontiguousarray(be.to_host(a._buf)) for a in arrays]
        res = ref.linalg(op, *host, **kwargs)
        be.count_host_round_trip()
        wrap = lambda r: Array._new(be.from_host(np.ascontiguousarray(r), copy=True), be)  # noqa: E731
    else:
        try:
            res = be.linalg(op, *(a._buf for a in arrays), **kwargs)
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"linalg.{op}: {exc}") from None
        wrap = lambda r: Array._new(r, be)  # noqa: E731
    return tuple(wrap(r) for r in res) if isinstance(res, tuple) else wrap(res)


def _guard(op: str, *arrays: Array, **kwargs: Any) -> Any:
    try:
        return _decompose(op, *arrays, **kwargs)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"linalg.{op}: {exc}") from None


def inv(x: Array, /) -> Array:
    """Inverse of each square matrix (ValueError if singular)."""
    _check_matrices(x, "inv", square=True)
    return _guard("inv", x)


def det(x: Array, /) -> Array:
    """Determinant of each square matrix."""
    _check_matrices(x, "det", square=True)
    return _guard("det", x)


def slogdet(x: Array, /) -> SlogdetResult:
    """Sign and log-absolute determinant of each square matrix."""
    _check_matrices(x, "slogdet", square=True)
    return SlogdetResult(*_guard("slogdet", x))


def solve(x1: Array, x2: Array, /) -> Array:
    """Solve ``x1 @ y = x2`` (``x2`` is a vector only when 1-d)."""
    _check_matrices(x1, "solve", square=True)
    check_array(x2, "solve", "x2")
    _dt.check_category(x2.dtype, "floating-point", "solve")
    dt = _dt.promote(x1.dtype, x2.dtype, "solve")
    a = x1 if x1.dtype == dt else Array._new(x1._be.astype(x1._buf, dt), x1._be)
    b = x2 if x2.dtype == dt else Array._new(x2._be.astype(x2._buf, dt), x2._be)
    if b.ndim == 1:
        if b.shape[0] != a.shape[-1]:
            raise ValueError(f"solve: shapes {x1.shape} and {x2.shape} do not match")
    elif b.shape[-2] != a.shape[-1]:
        raise ValueError(f"solve: shapes {x1.shape} and {x2.shape} do not match")
    return _guard("solve", a, b)


def cholesky(x: Array, /, *, upper: bool = False) -> Array:
    """Cholesky factor of each symmetric/Hermitian positive-definite matrix."""
    _check_matrices(x, "cholesky", square=True)
    return _guard("cholesky", x, upper=bool(upper))


def qr(x: Array, /, *, mode: str = "reduced") -> QRResult:
    """QR decomposition (``mode`` 'reduced' or 'complete')."""
    _check_matrices(x, "qr")
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}")
    return QRResult(*_guard("qr", x, mode=mode))


def svd(x: Array, /, *, full_matrices: bool = True) -> SVDResult:
    """Singular value decomposition ``U, S, Vh``."""
    _check_matrices(x, "svd")
    return SVDResult(*_guard("svd", x, full_matrices=bool(full_matrices)))


def svdvals(x: Array, /) -> Array:
    """Singular values in descending order."""
    _check_matrices(x, "svdvals")
    return _guard("svdvals", x)


def eigh(x: Array, /) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors of symmetric/Hermitian matrices."""
    _check_matrices(x, "eigh", square=True)
    return EighResult(*_guard("eigh", x))


def eigvalsh(x: Array, /) -> Array:
    """Eigenvalues (ascending) of symmetric/Hermitian matrices."""
    _check_matrices(x, "eigvalsh", square=True)
    return _guard("eigvalsh", x)


def matrix_norm(x: Array, /, *, keepdims: bool = False, ord: Any = "fro") -> Array:
    """Matrix norm of the last two axes: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf."""
    from .statistical import max as _max, min as _min, sum as _sum

    _check_matrices(x, "matrix_norm")
    be = x._be
    a = Array._new(be.unary("abs", x._buf), be)
    inf = float("inf")
    if ord == "fro":
        out = Array._new(be.unary("sqrt", be.reduce("sum", be.binary("multiply", a._buf, a._buf),
                                                    (x.ndim - 2, x.ndim - 1), False, a.dtype)), be)
    elif ord == "nuc":
        out = _sum(svdvals(x), axis=-1)
    elif ord in (1, -1):
        cols = _sum(a, axis=-2)
        out = _max(cols, axis=-1) if ord == 1 else _min(cols, axis=-1)
    elif ord in (inf, -inf):
        rows = _sum(a, axis=-1)
        out = _max(rows, axis=-1) if ord == inf else _min(rows, axis=-1)
    elif ord in (2, -2):
        s = svdvals(x)
        out = _max(s, axis=-1) if ord == 2 else _min(s, axis=-1)
    else:
        raise ValueError(f"matrix_norm: unsupported ord {ord!r}")
    if keepdims:
        from .manipulation import reshape

        out = reshape(out, out.shape + (1, 1))
    return out


def matrix_power(x: Array, n: int, /) -> Array:
    """``x`` raised to the integer power ``n`` (negative: of the inverse)."""
    check_array(x, "matrix_power")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: n must be an int, got {n!r}")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ValueError(f"matrix_power: expected square matrices, got shape {x.shape}")
    if n < 0:
        x = inv(x)
        n = -n
    from .creation import eye

    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    if result is x:  # n == 1: a new array, never an alias of the input
        return Array._new(x._be.copy(x._buf), x._be)
    if result is None:
        e = eye(x.shape[-1], dtype=x.dtype, device=x.device)
        from .manipulation import broadcast_to

        result = Array._new(x._be.copy(broadcast_to(e, x.shape)._buf), x._be)
    return result


def matrix_rank(x: Array, /, *, rtol: Any = None) -> Array:
    """Number of singular values above ``rtol * max(S)`` (default eps * max(M, N))."""
    from .statistical import count_nonzero, max as _max

    _check_matrices(x, "matrix_rank")
    s = svdvals(x)
    be = x._be
    rt = s.dtype
    if rtol is None:
        rtol = float(np.finfo(rt).eps) * builtins.max(x.shape[-2:])
    smax = _max(s, axis=-1, keepdims=True)
    if isinstance(rtol, Array):
        tol = be.binary("multiply", smax._buf, be.reshape(rtol._buf, tuple(rtol.shape) + (1,), None))
    else:
        tol = be.binary("multiply", smax._buf, rt.type(rtol))
    return count_nonzero(Array._new(be.binary("greater", s._buf, tol), be), axis=-1)


def pinv(x: Array, /, *, rtol: Any = None) -> Array:
    """Moore-Penrose pseudo-inverse via the SVD."""
    _check_matrices(x, "pinv")
    u, s, vh = svd(x, full_matrices=False)
    be = x._be
    rt = s.dtype
    if rtol is None:
        rtol = float(np.finfo(rt).eps) * builtins.max(x.shape[-2:])
    from .statistical import max as _max

    cutoff = be.binary("multiply", _max(s, axis=-1, keepdims=True)._buf, rt.type(rtol))
    big = be.binary("greater", s._buf, cutoff)
    sinv = be.where(big, be.binary("divide", rt.type(1), be.where(big, s._buf, rt.type(1))), rt.type(0))
    if x.dtype.kind == "c":
        sinv = be.astype(sinv, x.dtype)
    vt = matrix_transpose(vh)
    ut = matrix_transpose(u)
    if x.dtype.kind == "c":
        vt = Array._new(be.unary("conj", vt._buf), be)
        ut = Array._new(be.unary("conj", ut._buf), be)
    scaled = Array._new(be.binary("multiply", vt._buf, be.reshape(sinv, tuple(sinv.shape[:-1]) + (1, sinv.shape[-1]), None)), be)
    return matmul(scaled, ut)
