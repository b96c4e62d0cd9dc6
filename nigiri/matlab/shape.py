"""Sizes and shape manipulation: ``size``, ``ndims``, ``numel``, ``length``, ``isempty``,
``isscalar``, ``isvector``, ``reshape`` (column-major), ``permute`` / ``ipermute``
(1-based dimensions), ``repmat``, ``cat`` / ``horzcat`` / ``vertcat``, ``squeeze``."""

from __future__ import annotations

from typing import Any, Sequence

import nigiri as ng

from . import _classes as C
from ._layout import axis_of, canonical_shape, pad_storage, size_of, to_int
from .matrix import Matrix, asmatrix

__all__ = ["size", "ndims", "numel", "length", "isempty", "isscalar", "isvector", "isrow",
           "iscolumn", "reshape", "permute", "ipermute", "repmat", "cat", "horzcat",
           "vertcat", "squeeze", "cat_class"]


def _dim(d: Any, fn: str) -> int:
    k = to_int(d, fn, "dimension")
    if k < 1:
        raise ValueError(f"{fn}: dimension must be a positive integer, got {k}")
    return k


def size(a: Any, dim: Any = None, *, nargout: int | None = None) -> Any:
    """``size(A)`` as a tuple; ``size(A, dim)`` an int (1 beyond ``ndims``);
    ``size(A, [d1 d2])`` a tuple; ``size(A, nargout=k)`` (k >= 2) is
    ``[s1, ..., sk] = size(A)``, the last output being the product of the remaining
    dimensions (``nargout=1`` is the whole size, as ``sz = size(A)``)."""
    s = size_of(asmatrix(a)._a)
    if dim is not None:
        if nargout is not None:
            raise TypeError("size: give either dim or nargout, not both")
        if isinstance(dim, (list, tuple)):
            return tuple(s[k - 1] if k <= len(s) else 1 for k in (_dim(d, "size") for d in dim))
        k = _dim(dim, "size")
        return s[k - 1] if k <= len(s) else 1
    if nargout is None:
        return s
    k = to_int(nargout, "size", "nargout")
    if k < 1:
        raise ValueError(f"size: nargout must be positive, got {k}")
    if k == 1:
        return s  # one output is the whole size vector, as in MATLAB
    if k >= len(s):
        return s + (1,) * (k - len(s))
    rest = 1
    for d in s[k - 1:]:
        rest *= d
    return s[:k - 1] + (rest,)


def ndims(a: Any) -> int:
    """Number of dimensions (at least 2)."""
    return asmatrix(a).ndims()


def numel(a: Any) -> int:
    """Number of elements."""
    return asmatrix(a).numel()


def length(a: Any) -> int:
    """``length(A)``: the largest dimension, 0 for an empty matrix."""
    x = asmatrix(a)
    return 0 if x.numel() == 0 else max(size_of(x._a))


def isempty(a: Any) -> bool:
    """True when some dimension is 0."""
    return asmatrix(a).numel() == 0


def isscalar(a: Any) -> bool:
    """True for a 1x1 matrix."""
    return size_of(asmatrix(a)._a) == (1, 1)


def isrow(a: Any) -> bool:
    """True for a 1xn matrix."""
    s = size_of(asmatrix(a)._a)
    return len(s) == 2 and s[0] == 1


def iscolumn(a: Any) -> bool:
    """True for an nx1 matrix."""
    s = size_of(asmatrix(a)._a)
    return len(s) == 2 and s[1] == 1


def isvector(a: Any) -> bool:
    """True for a 1xn or nx1 matrix."""
    return isrow(a) or iscolumn(a)


def _dims_args(dims: Sequence[Any], fn: str, allow_auto: bool) -> list[int | None]:
    if len(dims) == 1 and isinstance(dims[0], (list, tuple, Matrix)):
        v = dims[0]
        dims = v.to_list_1d(fn) if isinstance(v, Matrix) else list(v)
    out: list[int | None] = []
    for d in dims:
        if allow_auto and (d is None or (isinstance(d, (list, tuple)) and len(d) == 0)):
            out.append(None)
            continue
        k = to_int(d, fn, "size")
        if k < 0:
            raise ValueError(f"{fn}: sizes must be non-negative, got {k}")
        out.append(k)
    return out


def reshape(a: Any, *dims: Any) -> Matrix:
    """``reshape(A, m, n, ...)`` or ``reshape(A, [m n ...])`` in column-major order;
    one size may be ``[]`` (or None) to be computed."""
    x = asmatrix(a)
    sizes = _dims_args(dims, "reshape", allow_auto=True)
    if len(sizes) < 2:
        raise ValueError("reshape: the size vector must have at least two elements")
    if sizes.count(None) > 1:
        raise ValueError("reshape: only one size can be [] (automatic)")
    known = 1
    for d in sizes:
        if d is not None:
            known *= d
    if None in sizes:
        if known == 0 or x.numel() % known:
            raise ValueError(f"reshape: the size is not divisible by the product of known "
                             f"dimensions ({x.numel()} elements, product {known})")
        sizes = [x.numel() // known if d is None else d for d in sizes]
    elif known != x.numel():
        raise ValueError(f"reshape: the number of elements must not change ({x.numel()} "
                         f"elements cannot become {'x'.join(map(str, sizes))})")
    shape = canonical_shape(tuple(reversed(sizes)))
    return Matrix._wrap(ng.reshape(x._storage_view(), shape))


def _order(order: Any, fn: str, nd: int) -> list[int]:
    vals = order.to_list_1d(fn) if isinstance(order, Matrix) else order
    if not isinstance(vals, (list, tuple)):
        raise TypeError(f"{fn}: the order must be a list of dimensions such as [2 1]")
    perm = [_dim(v, fn) for v in vals]
    if sorted(perm) != list(range(1, len(perm) + 1)):
        raise ValueError(f"{fn}: order {perm} is not a permutation of 1..{len(perm)}")
    if len(perm) < nd:
        raise ValueError(f"{fn}: order must have at least ndims(A) = {nd} elements, got {perm}")
    return perm


def permute(a: Any, order: Any) -> Matrix:
    """``permute(A, [2 1 3])``: dimension ``i`` of the result is dimension
    ``order[i]`` of ``A`` (1-based)."""
    x = asmatrix(a)
    perm = _order(order, "permute", x.ndims())
    k = len(perm)
    s = pad_storage(x._storage_view(), k)
    axes = tuple(axis_of(perm[k - 1 - j], k) for j in range(k))
    return Matrix._wrap(ng.permute_dims(s, axes))


def ipermute(a: Any, order: Any) -> Matrix:
    """Inverse of ``permute``: ``ipermute(permute(A, p), p)`` is ``A``."""
    x = asmatrix(a)
    perm = _order(order, "ipermute", x.ndims())
    inverse = [0] * len(perm)
    for i, p in enumerate(perm):
        inverse[p - 1] = i + 1
    return permute(x, inverse)


def repmat(a: Any, *reps: Any) -> Matrix:
    """``repmat(A, n)`` (n x n copies), ``repmat(A, m, n, ...)``, ``repmat(A, [m n])``."""
    x = asmatrix(a)
    r = _dims_args(reps, "repmat", allow_auto=False)
    if not r:
        raise TypeError("repmat: expected the number of copies")
    if len(r) == 1:
        r = r * 2
    nd = max(len(r), x.ndims())
    r = list(r) + [1] * (nd - len(r))
    s = pad_storage(x._a, nd)
    return Matrix._wrap(ng.tile(s, tuple(reversed(r))), owned=True)


def cat_class(classes: list[str]) -> str:
    """MATLAB's concatenation class: all logical stays logical; the leftmost integer
    class wins; then single; then double."""
    ints = [c for c in classes if C.is_int_class(c)]
    if ints:
        return ints[0]
    for k in ("single", "double"):
        if k in classes:
            return k
    return "logical" if classes else C.DEFAULT_CLASS


def cat(dim: Any, *arrays: Any) -> Matrix:
    """``cat(dim, A, B, ...)``: concatenate along 1-based ``dim``; 0x0 inputs are
    ignored, as in MATLAB."""
    d = _dim(dim, "cat")
    mats = [asmatrix(m) for m in arrays]
    if not mats:
        raise TypeError("cat: expected at least one matrix")
    devices = {str(m.device) for m in mats}
    if len(devices) > 1:
        raise ValueError(f"cat: the matrices are on different devices ({', '.join(sorted(devices))})")
    klass = cat_class([m.klass for m in mats])
    complex_ = [m for m in mats if m.dtype in (ng.complex64, ng.complex128)]
    used = [m for m in mats if size_of(m._a) != (0, 0)]
    if not used:
        return Matrix._wrap(ng.asarray(C.cast_array(mats[0]._a, klass, "cat"), copy=True), owned=True)
    nd = max([d] + [m.ndims() for m in used])
    parts = [pad_storage(m._a, nd) for m in used]
    ref = size_of(parts[0])
    for p in parts[1:]:
        sp = size_of(p)
        if any(sp[i] != ref[i] for i in range(nd) if i != d - 1):
            raise ValueError("cat: Dimensions of arrays being concatenated are not consistent "
                             f"({' and '.join('x'.join(map(str, size_of(q))) for q in parts)} "
                             f"along dimension {d})")
    if complex_:
        wd = ng.complex128 if any(m.dtype == ng.complex128 for m in mats) and klass == "double" \
            else ng.complex64
        parts = [ng.astype(p, wd) if p.dtype != wd else p for p in parts]
    else:
        parts = [C.cast_array(p, klass, "cat") for p in parts]
    return Matrix._wrap(ng.concat(parts, axis=axis_of(d, nd)), owned=True)


def horzcat(*arrays: Any) -> Matrix:
    """``[A, B, ...]``: ``cat(2, ...)``."""
    return cat(2, *arrays)


def vertcat(*arrays: Any) -> Matrix:
    """``[A; B; ...]``: ``cat(1, ...)``."""
    return cat(1, *arrays)


def squeeze(a: Any) -> Matrix:
    """Remove singleton dimensions (a 2-d matrix is returned unchanged)."""
    x = asmatrix(a)
    if x.ndims() == 2:
        return Matrix._wrap(x._storage_view())
    s = [d for d in size_of(x._a) if d != 1]
    shape = canonical_shape(tuple(reversed(s + [1] * (2 - len(s)))))
    return Matrix._wrap(ng.reshape(x._storage_view(), shape))
