"""``find``: 1-based, column-major indices of non-zero elements."""

from __future__ import annotations

from typing import Any

import nigiri as ng

from . import _classes as C
from ._layout import size_of, to_int
from .matrix import Matrix, asmatrix

__all__ = ["find"]


def find(a: Any, n: Any = None, direction: str = "first", *, nargout: int = 1) -> Any:
    """``k = find(A)``, ``find(A, n)``, ``find(A, n, 'last')``: 1-based linear indices
    (column-major) of the non-zero elements, NaN counting as non-zero. The result is a
    row vector when ``A`` is a row vector, 0x0 when ``A`` is 0x0, else a column.
    ``nargout=2`` gives ``(row, col)`` subscripts (col folds the trailing dimensions),
    ``nargout=3`` adds the values. Indices are double (int32 without float64)."""
    x = asmatrix(a)
    if nargout not in (1, 2, 3):
        raise ValueError(f"find: nargout must be 1, 2 or 3, got {nargout!r}")
    if direction not in ("first", "last"):
        raise ValueError(f"find: direction must be 'first' or 'last', got {direction!r}")
    flat = ng.reshape(x._a, (-1,))
    mask = flat if flat.dtype == ng.bool else flat != 0
    idx = ng.nonzero(mask)[0]
    if n is not None:
        k = to_int(n, "find", "n")
        if k < 0:
            raise ValueError(f"find: n must be a non-negative integer, got {k}")
        count = idx.shape[0]
        idx = idx[:k] if direction == "first" else idx[max(count - k, 0):]
    count = idx.shape[0]
    s = size_of(x._a)
    if s == (0, 0):
        shape = (0, 0)
    elif len(s) == 2 and s[0] == 1:
        shape = (count, 1)  # storage of a 1 x count row
    else:
        shape = (1, count)  # storage of a count x 1 column
    idt = C.index_dtype(x.device)

    def out(v: ng.Array) -> Matrix:
        return Matrix._wrap(ng.reshape(v, shape), owned=True)

    if nargout == 1:
        return out(ng.astype(idx + 1, idt))
    m = max(s[0], 1)
    rows = out(ng.astype(idx % m + 1, idt))
    cols = out(ng.astype(idx // m + 1, idt))
    if nargout == 2:
        return rows, cols
    vals = ng.take(flat, idx, axis=0) if count else ng.zeros((0,), dtype=flat.dtype, device=flat.device)
    return rows, cols, out(ng.asarray(vals, copy=True))

