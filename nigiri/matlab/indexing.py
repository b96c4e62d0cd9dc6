"""``A.get(...)`` and ``A.set(..., value)``: MATLAB's 1-based indexing.

Subscripts: positive integers (Python ints or integral floats), ``':'``, ``'end'``,
index vectors and matrices (``M.colon`` ranges, lists, Matrix), logical masks (logical
Matrix, lists or arrays of bools). One subscript indexes linearly in column-major
order; with fewer subscripts than dimensions the last one spans the remaining ones.

Result shapes (``get``): ``A(:)`` is a column; ``A(I)`` has the shape of ``I``, except
that a vector ``A`` indexed by a vector keeps ``A``'s orientation; a mask ``L`` acts as
``find(L)``; ``A(I, J, ...)`` is ``numel(I) x numel(J) x ...``.

``set`` follows MATLAB assignment: the value is a scalar (broadcast) or has as many
elements as are indexed (its non-singleton dimensions must match those of the
indexed block); it is converted to ``A``'s class (rounding and saturating for integer
classes); indices beyond the current size grow ``A`` with zeros (a row or column
vector, or ``[]``, grows with one linear index; a matrix needs one subscript per
dimension). ``A.set(I, [])`` deletes elements as MATLAB's ``A(I) = []`` (a matrix
becomes a row vector; with subscripts, only one may select part of its dimension).
Index bookkeeping happens on the host with NumPy; the data stays on its device.
"""

from __future__ import annotations

from typing import Any, Sequence

import math
import re

import numpy as np

import nigiri as ng

from . import _classes as C
from ._layout import canonical_shape, pad_storage, size_of
from .matrix import Matrix, asmatrix

__all__ = ["get", "set_"]


_END = re.compile(r"\s*end\s*(?:([+-])\s*(\d+))?\s*")


class _Sub:
    """A resolved subscript: ``idx`` (0-based int64 on the host) or ``colon``."""

    __slots__ = ("colon", "idx", "msize", "mask", "scalar")

    def __init__(self, colon: bool = False, idx: np.ndarray | None = None,
                 msize: tuple[int, ...] = (1, 1), mask: bool = False, scalar: bool = False):
        self.colon, self.idx, self.msize, self.mask, self.scalar = colon, idx, msize, mask, scalar

    def count(self, n: int) -> int:
        return n if self.colon else int(self.idx.shape[0])

    def indices(self, n: int) -> np.ndarray:
        return np.arange(n, dtype=np.int64) if self.colon else self.idx


def _bad_subscript(fn: str, what: Any) -> IndexError:
    return IndexError(f"{fn}: Subscript indices must either be real positive integers or "
                      f"logicals (got {what})")


def _from_values(vals: np.ndarray, msize: tuple[int, ...], fn: str) -> _Sub:
    """Numeric index values (1-based, MATLAB column-major order) -> _Sub."""
    if vals.dtype.kind == "b":
        flat = np.flatnonzero(vals).astype(np.int64)
        row = len(msize) == 2 and msize[0] == 1
        return _Sub(idx=flat, msize=(1, flat.size) if row else (flat.size, 1), mask=True)
    if vals.dtype.kind == "c":
        raise _bad_subscript(fn, "a complex value")
    if vals.dtype.kind not in "iuf":
        raise TypeError(f"{fn}: subscripts must be numeric or logical, got {vals.dtype}")
    if vals.size:
        if vals.dtype.kind == "f":
            bad = ~np.isfinite(vals) | (vals != np.floor(vals))
            if bad.any():
                raise _bad_subscript(fn, vals[bad][0])
        lo = vals.min()
        if lo < 1:
            raise _bad_subscript(fn, lo)
    return _Sub(idx=vals.astype(np.int64) - 1, msize=msize)


def _resolve(sub: Any, n: int, fn: str) -> _Sub:
    """Resolve one subscript against a dimension (or numel) of length ``n``."""
    if isinstance(sub, str):
        if sub == ":":
            return _Sub(colon=True, msize=(n, 1))
        m = _END.fullmatch(sub)
        if m is None:
            raise TypeError(f"{fn}: the only string subscripts are ':', 'end', 'end-k' and "
                            f"'end+k', got {sub!r}")
        k = n + (int(m.group(2)) if m.group(1) == "+" else -int(m.group(2)) if m.group(1) else 0)
        if k < 1:
            raise _bad_subscript(fn, f"{sub} = {k}")
        return _Sub(idx=np.array([k - 1], dtype=np.int64), scalar=True)
    if isinstance(sub, (bool, np.bool_)):
        return _from_values(np.array([bool(sub)]), (1, 1), fn)
    if isinstance(sub, (int, np.integer)):
        if sub < 1:
            raise _bad_subscript(fn, int(sub))
        return _Sub(idx=np.array([int(sub) - 1], dtype=np.int64), scalar=True)
    if isinstance(sub, (float, np.floating)):
        if not float(sub).is_integer() or sub < 1:
            raise _bad_subscript(fn, float(sub))
        return _Sub(idx=np.array([int(sub) - 1], dtype=np.int64), scalar=True)
    if isinstance(sub, (list, tuple, np.ndarray, ng.Array)) and not isinstance(sub, Matrix):
        host = np.asarray(sub) if not isinstance(sub, ng.Array) else ng.to_numpy(sub)
        if host.dtype == object:
            raise TypeError(f"{fn}: subscript lists must hold numbers or bools only")
        if host.ndim == 0:
            host = host.reshape(1, 1)
        elif host.ndim == 1:
            host = host.reshape(1, -1)
        if host.size == 0 and host.dtype.kind == "f":
            host = host.astype(np.int64)
        return _from_values(np.asarray(host).reshape(-1, order="F"), host.shape, fn)
    if isinstance(sub, Matrix):
        host = ng.to_numpy(ng.reshape(sub._a, (-1,)))  # column-major order
        out = _from_values(host, size_of(sub._a), fn)
        if sub.numel() == 1 and not out.mask:
            out.scalar = True
        return out
    raise TypeError(f"{fn}: unsupported subscript of type {type(sub).__name__}; use ints, "
                    "':', 'end', index lists/matrices or logical masks")


def _check_bounds(s: _Sub, n: int, fn: str, where: str) -> None:
    if not s.colon and s.idx.size and int(s.idx.max()) >= n:
        raise IndexError(f"{fn}: Index exceeds matrix dimensions: index {int(s.idx.max()) + 1} "
                         f"is out of range for {where} (size {n})")


def _as_slice(idx: np.ndarray) -> slice | None:
    """An arithmetic progression with positive step as a slice (a cheap view)."""
    if idx.size == 0:
        return slice(0, 0, 1)
    if idx.size == 1:
        return slice(int(idx[0]), int(idx[0]) + 1, 1)
    step = int(idx[1] - idx[0])
    if step > 0 and np.all(np.diff(idx) == step):
        return slice(int(idx[0]), int(idx[-1]) + 1, step)
    return None


def _take(view: ng.Array, subs: Sequence[_Sub], dims: Sequence[int]) -> ng.Array:
    """Outer indexing of a storage view whose axis ``len-1-i`` is subscript ``i``."""
    k = len(subs)
    key: list[Any] = []
    pending: list[tuple[int, np.ndarray]] = []
    for ax in range(k):
        s = subs[k - 1 - ax]
        if s.colon:
            key.append(slice(None))
            continue
        sl = _as_slice(s.idx)
        if sl is not None:
            key.append(sl)
        else:
            key.append(slice(None))
            pending.append((ax, s.idx))
    out = view[tuple(key)]
    for ax, idx in pending:
        out = ng.take(out, ng.asarray(idx, device=view.device), axis=ax)
    return out


def _size_str(a: Matrix) -> str:
    return a._size_str()


def _scalar_key(a: Matrix, subs: Sequence[Any]) -> tuple[int, ...] | None:
    """The storage key of ``A(i)`` or ``A(i, j, ...)`` (one subscript per dimension)
    when every subscript is a Python int inside the current size; else None."""
    shape = a._a.shape
    nd = len(shape)
    k = len(subs)
    for s in subs:
        if type(s) is not int or s < 1:
            return None
    if k == 1:
        i = subs[0] - 1
        if i >= a._a.size:
            return None
        return tuple(int(p) for p in np.unravel_index(i, shape))
    if k != nd:
        return None
    key = tuple(subs[nd - 1 - ax] - 1 for ax in range(nd))
    for ax in range(nd):
        if key[ax] >= shape[ax]:
            return None
    return key


def _number_for(value: Any, klass: str, fn: str) -> Any:
    """A Python number converted to ``klass`` by MATLAB's rules, as a Python scalar."""
    if klass in ("single", "double"):
        return float(value)
    if klass == "logical":
        if value != value:
            raise ValueError(f"{fn}: NaN's cannot be converted to logicals")
        return bool(value)
    info = np.iinfo(C.dtype_of_class(klass))
    if isinstance(value, float):
        if value != value:
            return 0
        if value >= info.max:
            return int(info.max)
        if value <= info.min:
            return int(info.min)
        t = math.trunc(value)
        value = t + (1 if value - t >= 0.5 else -1 if t - value >= 0.5 else 0)
    return int(min(max(int(value), info.min), info.max))


def get(a: Matrix, *subs: Any) -> Matrix:
    """``A(subs...)`` (see the module docstring); always a new Matrix."""
    fn = "get"
    if not isinstance(a, Matrix):
        a = asmatrix(a)
    if not subs:
        return a.copy()
    key = _scalar_key(a, subs)
    if key is not None:  # one element: a basic read
        return Matrix._wrap(ng.asarray(ng.reshape(a._a[key], (1, 1)), copy=True), owned=True)
    sz = size_of(a._a)
    if len(subs) == 1:
        n = a.numel()
        s = _resolve(subs[0], n, fn)
        if s.colon:
            return Matrix._wrap(ng.asarray(ng.reshape(a._a, (1, n)), copy=True), owned=True)
        _check_bounds(s, n, fn, f"linear indexing of a {_size_str(a)} matrix")
        cnt = s.count(n)
        if s.scalar:
            shape = (1, 1)
        elif len(sz) == 2 and 1 in sz and sz != (1, 1) and len(s.msize) == 2 and 1 in s.msize:
            shape = (1, cnt) if sz[0] == 1 else (cnt, 1)  # vector A, vector I
        else:
            shape = s.msize
        flat = ng.reshape(a._a, (n,))
        out = _take(flat, [s], [n])
        return Matrix._wrap(ng.reshape(ng.asarray(out, copy=True),
                                       canonical_shape(tuple(reversed(shape)))), owned=True)
    k = len(subs)
    eff = _effective(sz, k)
    view = ng.reshape(a._a, tuple(reversed(eff)))
    rs = []
    for i, sub in enumerate(subs):
        s = _resolve(sub, eff[i], fn)
        where = f"dimension {i + 1} of a {_size_str(a)} matrix"
        if i == k - 1 and k < len(sz):
            where += f" (dimensions {k}..{len(sz)} taken together)"
        _check_bounds(s, eff[i], fn, where)
        rs.append(s)
    out = _take(view, rs, eff)
    return Matrix._wrap(ng.asarray(out, copy=True), owned=True)


def _effective(sz: tuple[int, ...], k: int) -> tuple[int, ...]:
    """The size seen by ``k`` subscripts: trailing dimensions folded or padded."""
    if k < len(sz):
        rest = 1
        for d in sz[k - 1:]:
            rest *= d
        return sz[:k - 1] + (rest,)
    return sz + (1,) * (k - len(sz))


def _value(a: Matrix, value: Any, fn: str) -> Matrix:
    if isinstance(value, Matrix) and value.device != a.device:
        raise ValueError(f"{fn}: the value is on {value.device} but the matrix is on "
                         f"{a.device}; move it with gpuArray/gather")
    if isinstance(value, ng.Array) and value.device != a.device:
        raise ValueError(f"{fn}: the value is on {value.device} but the matrix is on {a.device}")
    if isinstance(value, Matrix) and np.dtype(value.dtype).kind == "c" and \
            np.dtype(a.dtype).kind != "c":
        raise TypeError(f"{fn}: cannot assign complex values to a real {a.klass} matrix")
    return asmatrix(value, a.klass, device=a.device)


def _grow(a: Matrix, new_size: tuple[int, ...]) -> None:
    """Replace ``a``'s storage with a zero-filled one of ``new_size`` holding the old data."""
    shape = canonical_shape(tuple(reversed(new_size)))
    new = ng.zeros(shape, dtype=a.dtype, device=a.device)
    old = pad_storage(a._a, len(shape))
    if a.numel():
        key = tuple(slice(0, d) for d in old.shape)
        new[key] = old
    a._a = new
    a._owned = True


def _linear_growth(a: Matrix, need: int, fn: str) -> None:
    sz = size_of(a._a)
    if len(sz) == 2 and (sz == (0, 0) or sz[0] == 1):
        _grow(a, (1, need))
    elif len(sz) == 2 and sz[1] == 1:
        _grow(a, (need, 1))
    else:
        raise IndexError(f"{fn}: Attempt to grow array along ambiguous dimension (linear "
                         f"index {need} of a {_size_str(a)} matrix)")


def _write(a: Matrix, lin: np.ndarray, val: Matrix, count_shape: tuple[int, ...]) -> None:
    """Write ``val`` (scalar, or numel == lin.size in column-major order) at the
    column-major linear indices ``lin``, given in storage (C) order of the block."""
    storage = a._a
    if lin.size == 0:
        return
    if lin.size == 1:  # one element: a basic (view) write
        key1 = tuple(int(p) for p in np.unravel_index(int(lin.reshape(-1)[0]), storage.shape))
        storage[key1] = ng.reshape(val._a, ())
        return
    pos = np.unravel_index(lin.reshape(-1), storage.shape)
    key = tuple(ng.asarray(p.astype(np.int64), device=storage.device) for p in pos)
    if val.numel() == 1:
        storage[key] = ng.reshape(val._a, ())
    else:
        storage[key] = ng.reshape(val._a, (val.numel(),))


def _check_count(val: Matrix, counts: tuple[int, ...], fn: str) -> None:
    if val.numel() == 1:
        return
    vs = [d for d in size_of(val._a) if d != 1]
    cs = [d for d in counts if d != 1]
    if vs != cs:
        raise ValueError(f"{fn}: Subscripted assignment dimension mismatch (the indexed block is "
                         f"{'x'.join(map(str, counts))}, the value is {val._size_str()})")


def _is_delete(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    return isinstance(value, Matrix) and size_of(value._a) == (0, 0)


def _delete(a: Matrix, subs: Sequence[Any]) -> None:
    """``A(subs...) = []``: remove elements (linear) or slices along one dimension."""
    fn = "set"
    sz = size_of(a._a)
    if len(subs) == 1:
        n = a.numel()
        s = _resolve(subs[0], n, fn)
        _check_bounds(s, n, fn, f"deletion from a {_size_str(a)} matrix")
        keep = np.setdiff1d(np.arange(n, dtype=np.int64), s.indices(n))
        if keep.size == n:
            return
        if s.colon:
            a._a, a._owned = ng.zeros((0, 0), dtype=a.dtype, device=a.device), True
            return
        flat = ng.reshape(a._a, (n,))
        kept = ng.take(flat, ng.asarray(keep, device=a.device), axis=0)
        column = len(sz) == 2 and sz[1] == 1 and sz[0] != 1
        a._a = ng.reshape(kept, (1, keep.size) if column else (keep.size, 1))
        a._owned = True
        return
    k = len(subs)
    eff = _effective(sz, k)
    rs = [_resolve(sub, eff[i], fn) for i, sub in enumerate(subs)]
    for i, r in enumerate(rs):
        _check_bounds(r, eff[i], fn, f"dimension {i + 1} in a deletion from a {_size_str(a)} matrix")
    partial = [i for i, r in enumerate(rs)
               if not r.colon and np.unique(r.idx).size != eff[i]]
    if len(partial) > 1:
        raise ValueError(f"{fn}: A null assignment can have only one non-colon index "
                         f"(subscripts {[i + 1 for i in partial]} select part of their dimension)")
    dim = partial[0] if partial else 0
    keep = np.setdiff1d(np.arange(eff[dim], dtype=np.int64),
                        rs[dim].indices(eff[dim]) if partial else np.arange(eff[dim]))
    view = ng.reshape(a._a, tuple(reversed(eff)))
    kept = ng.take(view, ng.asarray(keep, device=a.device), axis=k - 1 - dim)
    a._a = ng.reshape(kept, canonical_shape(kept.shape))
    a._owned = True


def set_(a: Matrix, subs: Sequence[Any], value: Any) -> None:
    """``A(subs...) = value`` in place (see the module docstring); ``value = []``
    deletes, as MATLAB's null assignment."""
    fn = "set"
    if not isinstance(a, Matrix):
        raise TypeError(f"{fn}: expected a Matrix, got {type(a).__name__}")
    if not subs:
        raise TypeError(f"{fn}: expected at least one subscript before the value")
    if type(value) in (float, int, bool) and np.dtype(a.dtype).kind != "c":
        key = _scalar_key(a, subs)
        if key is not None:  # one element, a number: a basic write
            number = _number_for(value, a.klass, fn)
            a._ensure_owned()
            a._a[key] = number
            return
    if _is_delete(value):
        _delete(a, subs)
        return
    val = _value(a, value, fn)
    a._ensure_owned()
    if len(subs) == 1:
        n = a.numel()
        s = _resolve(subs[0], n, fn)
        cnt = s.count(n)
        if val.numel() != 1 and val.numel() != cnt:
            raise ValueError(f"{fn}: In an assignment A(I) = B, the number of elements in B "
                             f"({val.numel()}) and I ({cnt}) must be the same")
        idx = s.indices(n)
        if idx.size and int(idx.max()) >= n:
            _linear_growth(a, int(idx.max()) + 1, fn)
        _write(a, idx, val, (cnt,))
        return
    sz = size_of(a._a)
    k = len(subs)
    eff = list(_effective(sz, k))
    vsize = size_of(val._a) + (1,) * k
    rs = []
    for i, sub in enumerate(subs):
        if isinstance(sub, str) and sub == ":" and eff[i] == 0 and val.numel() != 1:
            eff[i] = vsize[i]  # MATLAB: A(:, 1) = v on an empty A takes the size from v
        rs.append(_resolve(sub, eff[i], fn))
    new = list(eff)
    for i, s in enumerate(rs):
        if not s.colon and s.idx.size:
            new[i] = max(new[i], int(s.idx.max()) + 1)
    if new != list(_effective(sz, k)):
        if k < len(sz) and new[k - 1] != eff[k - 1]:
            raise IndexError(f"{fn}: Attempt to grow array along ambiguous dimension "
                             f"(subscript {k} spans dimensions {k}..{len(sz)} of a "
                             f"{_size_str(a)} matrix)")
        _grow(a, tuple(new) if k >= len(sz) else tuple(new[:k - 1]) + sz[k - 1:])
    counts = tuple(s.count(new[i]) for i, s in enumerate(rs))
    _check_count(val, counts, fn)
    if all(s.scalar for s in rs) and val.numel() == 1:
        lin = 0
        stride = 1
        for i, s in enumerate(rs):
            lin += int(s.idx[0]) * stride
            stride *= new[i]
        _write(a, np.array([lin], dtype=np.int64), val, (1,))
        return
    # column-major linear index of every target element, laid out in storage order
    lin = np.zeros((1,) * k, dtype=np.int64)
    stride = 1
    for i, s in enumerate(rs):
        shape = [1] * k
        shape[k - 1 - i] = s.count(new[i])
        lin = lin + (s.indices(new[i]) * stride).reshape(shape)
        stride *= new[i]
    _write(a, lin, val, counts)
