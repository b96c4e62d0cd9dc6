"""Set functions: unique_all, unique_counts, unique_inverse, unique_values.

Composed from a stable argsort, a neighbour comparison, a cumulative sum and
nonzero/gather/scatter, so every backend gets them from its primitives. As the
standard asks, NaNs compare unequal, so each NaN is its own unique value.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import dtypes as _dt
from ._helpers import check_array
from .array import Array

__all__ = ["unique_all", "unique_counts", "unique_inverse", "unique_values",
           "UniqueAllResult", "UniqueCountsResult", "UniqueInverseResult"]


class UniqueAllResult(NamedTuple):
    values: Array
    indices: Array
    inverse_indices: Array
    counts: Array


class UniqueCountsResult(NamedTuple):
    values: Array
    counts: Array


class UniqueInverseResult(NamedTuple):
    values: Array
    inverse_indices: Array


def _unique(x: Array, fn: str) -> tuple:
    check_array(x, fn)
    be = x._be
    n = x.size
    flat = be.reshape(x._buf, (n,), None)
    perm = be.argsort(flat, 0, False)
    s = be.gather(flat, (perm,))
    if n == 0:
        empty_i = be.empty((0,), _dt.int64)
        return be, s, empty_i, empty_i, be.empty(x.shape, _dt.int64), empty_i
    first = be.full((1,), True, _dt.bool_)
    if n > 1:
        neq = be.binary("not_equal", be.slice_view(s, (slice(1, n, 1),)),
                        be.slice_view(s, (slice(0, n - 1, 1),)))
        mask = be.empty((n,), _dt.bool_)
        be.copy_into(be.slice_view(mask, (slice(0, 1, 1),)), first)
        be.copy_into(be.slice_view(mask, (slice(1, n, 1),)), neq)
    else:
        mask = first
    (starts,) = be.nonzero(mask)
    values = be.gather(s, (starts,))
    indices = be.gather(perm, (starts,))
    group = be.binary("subtract", be.cumulative("cumsum", be.astype(mask, _dt.int64), 0, _dt.int64),
                      np.int64(1))
    inverse = be.empty((n,), _dt.int64)
    be.scatter(inverse, (perm,), group)
    inverse = be.reshape(inverse, x.shape, None)
    k = starts.shape[0]
    ends = be.empty((k,), _dt.int64)
    if k > 1:
        be.copy_into(be.slice_view(ends, (slice(0, k - 1, 1),)), be.slice_view(starts, (slice(1, k, 1),)))
    be.copy_into(be.slice_view(ends, (slice(k - 1, k, 1),)), np.int64(n))
    counts = be.binary("subtract", ends, starts)
    return be, values, indices, counts, inverse, starts


def unique_all(x: Array, /) -> UniqueAllResult:
    """Unique values of ``x`` with first indices, inverse indices and counts."""
    be, values, indices, counts, inverse, _ = _unique(x, "unique_all")
    w = lambda b: Array._new(b, be)  # noqa: E731
    return UniqueAllResult(w(values), w(indices), w(inverse), w(counts))


def unique_counts(x: Array, /) -> UniqueCountsResult:
    """Unique values of ``x`` and how often each occurs."""
    be, values, _, counts, _, _ = _unique(x, "unique_counts")
    return UniqueCountsResult(Array._new(values, be), Array._new(counts, be))


def unique_inverse(x: Array, /) -> UniqueInverseResult:
    """Unique values of ``x`` and the indices that rebuild ``x`` from them."""
    be, values, _, _, inverse, _ = _unique(x, "unique_inverse")
    return UniqueInverseResult(Array._new(values, be), Array._new(inverse, be))


def unique_values(x: Array, /) -> Array:
    """The sorted unique values of ``x`` (flattened)."""
    be, values, *_ = _unique(x, "unique_values")
    return Array._new(values, be)
