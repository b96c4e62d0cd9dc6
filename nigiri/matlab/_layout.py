"""Column-major storage and MATLAB sizes.

A ``Matrix`` of MATLAB size ``(d1, d2, ..., dn)`` stores an ``ng.Array`` of shape
``(dn, ..., d2, d1)`` (the size reversed) whose C-order memory is therefore MATLAB's
column-major order: ``A(i1, i2, ..., in)`` is ``storage[in-1, ..., i2-1, i1-1]`` and the
column-major linear index ``k`` is the flat C index ``k-1`` of the storage. MATLAB's
implicit expansion (aligning dimension 1 with dimension 1) is then exactly NumPy-style
broadcasting of the storage arrays, which align their last axes.

Canonical form: at least 2 dimensions, trailing singleton dimensions (beyond the
second) dropped, i.e. leading storage axes of length 1 removed.
"""

from __future__ import annotations

import operator
from typing import Any, Sequence

import nigiri as ng

__all__ = ["canonical_shape", "canonical", "size_of", "axis_of", "pad_storage",
           "parse_size_args", "to_int"]


def canonical_shape(shape: Sequence[int]) -> tuple[int, ...]:
    """Storage shape with MATLAB's rules: >= 2-d, trailing singletons dropped."""
    s = tuple(int(d) for d in shape)
    while len(s) > 2 and s[0] == 1:
        s = s[1:]
    while len(s) < 2:
        s = (1,) + s
    return s


def canonical(storage: ng.Array) -> ng.Array:
    """``storage`` reshaped to its canonical shape (a view)."""
    shape = storage.shape
    if len(shape) == 2 or (len(shape) > 2 and shape[0] != 1):
        return storage
    shape = canonical_shape(shape)
    return storage if shape == storage.shape else ng.reshape(storage, shape)


def size_of(storage: ng.Array) -> tuple[int, ...]:
    """The MATLAB size of a storage array."""
    return tuple(reversed(storage.shape))


def axis_of(dim: int, nd: int) -> int:
    """The storage axis of 1-based MATLAB dimension ``dim`` (``dim <= nd``)."""
    return nd - dim


def pad_storage(storage: ng.Array, nd: int) -> ng.Array:
    """A view of ``storage`` with ``nd`` axes (MATLAB trailing singletons added)."""
    extra = nd - storage.ndim
    if extra <= 0:
        return storage
    return ng.reshape(storage, (1,) * extra + storage.shape)


def to_int(v: Any, fn: str, what: str) -> int:
    """An integral Python value (int, integral float, 1x1 Matrix) as int."""
    from .matrix import Matrix

    if isinstance(v, Matrix):
        if v.numel() != 1:
            raise TypeError(f"{fn}: {what} must be a scalar, got a {v._size_str()} matrix")
        v = float(v)
    if isinstance(v, bool):
        raise TypeError(f"{fn}: {what} must be an integer, got bool")
    if isinstance(v, float):
        if not v.is_integer():
            raise ValueError(f"{fn}: {what} must be an integer, got {v}")
        return int(v)
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{fn}: {what} must be an integer, got {type(v).__name__}") from None


def parse_size_args(args: Sequence[Any], fn: str) -> tuple[tuple[int, ...], str | None]:
    """MATLAB size arguments ``(n)``, ``(m, n, ...)``, ``([m n ...])`` with an optional
    trailing class name; returns (MATLAB size with at least 2 entries, class or None).
    Negative sizes count as 0, as in MATLAB."""
    from .matrix import Matrix

    args = list(args)
    klass = None
    if args and isinstance(args[-1], str):
        klass = args.pop()
    if any(isinstance(a, str) for a in args):
        raise TypeError(f"{fn}: the class name must be the last argument")
    if len(args) == 1 and isinstance(args[0], (list, tuple, Matrix)):
        v = args[0]
        vals = v.to_list_1d(fn) if isinstance(v, Matrix) else list(v)
        if not vals:
            raise ValueError(f"{fn}: the size vector must not be empty")
        if len(vals) == 1:
            raise ValueError(f"{fn}: a size vector needs at least 2 elements, got {vals}")
        dims = [to_int(d, fn, "size") for d in vals]
    elif not args:
        dims = [1, 1]
    else:
        dims = [to_int(d, fn, "size") for d in args]
        if len(dims) == 1:
            dims = dims * 2
    return tuple(max(d, 0) for d in dims), klass
