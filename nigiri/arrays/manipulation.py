"""Manipulation functions: reshape, permute, concat/stack, flip/roll, tile/repeat, ...

Views where NumPy gives views (reshape when possible, permute_dims, expand_dims,
squeeze, flip, broadcast_to); copies otherwise, composed from the primitives.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from . import dtypes as _dt
from ._helpers import (broadcast_shapes, check_array, normalize_axes, normalize_axis,
                       same_backend)
from .array import Array

__all__ = [
    "broadcast_arrays", "broadcast_to", "concat", "expand_dims", "flip", "moveaxis",
    "permute_dims", "repeat", "reshape", "roll", "squeeze", "stack", "tile", "unstack",
]


def broadcast_to(x: Array, /, shape: Sequence[int]) -> Array:
    """A broadcast view of ``x`` with ``shape`` (do not write through it)."""
    check_array(x, "broadcast_to")
    from .creation import normalize_shape

    shape = normalize_shape(tuple(shape), "broadcast_to")
    if broadcast_shapes(x.shape, shape, fn="broadcast_to") != shape:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return Array._new(x._be.broadcast_to(x._buf, shape), x._be)


def broadcast_arrays(*arrays: Array) -> list[Array]:
    """Broadcast views of ``arrays`` against each other."""
    for a in arrays:
        check_array(a, "broadcast_arrays")
    if not arrays:
        return []
    same_backend(arrays, "broadcast_arrays")
    shape = broadcast_shapes(*(a.shape for a in arrays), fn="broadcast_arrays")
    return [a if a.shape == shape else broadcast_to(a, shape) for a in arrays]


def _common(arrays: Sequence[Array], fn: str) -> tuple[Any, np.dtype]:
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise ValueError(f"{fn}: expected a non-empty sequence of Arrays")
    for a in arrays:
        check_array(a, fn)
    be = same_backend(arrays, fn)
    dt = arrays[0].dtype
    for a in arrays[1:]:
        dt = _dt.promote(dt, a.dtype, fn)
    return be, dt


def concat(arrays: Sequence[Array], /, *, axis: int | None = 0) -> Array:
    """Join arrays along an existing ``axis`` (None: flatten first)."""
    be, dt = _common(arrays, "concat")
    if axis is None:
        arrays = [reshape(a, (-1,)) for a in arrays]
        axis = 0
    ndim = arrays[0].ndim
    if ndim == 0:
        raise ValueError("concat: zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis(axis, ndim, "concat")
    for a in arrays:
        if a.ndim != ndim or any(a.shape[i] != arrays[0].shape[i] for i in range(ndim) if i != axis):
            raise ValueError(
                f"concat: shapes {', '.join(str(b.shape) for b in arrays)} differ off axis {axis}"
            )
    shape = list(arrays[0].shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    out = be.empty(tuple(shape), dt)
    start = 0
    for a in arrays:
        n = a.shape[axis]
        key = (slice(None),) * axis + (slice(start, start + n, 1),)
        src = a._buf if a.dtype == dt else be.astype(a._buf, dt)
        if n:
            be.copy_into(be.slice_view(out, key), src)
        start += n
    return Array._new(out, be)


def stack(arrays: Sequence[Array], /, *, axis: int = 0) -> Array:
    """Join arrays of one shape along a new ``axis``."""
    _common(arrays, "stack")
    shape = arrays[0].shape
    for a in arrays:
        if a.shape != shape:
            raise ValueError(f"stack: all arrays must have the same shape, got {a.shape} and {shape}")
    axis = normalize_axis(axis, len(shape) + 1, "stack")
    return concat([expand_dims(a, axis=axis) for a in arrays], axis=axis)


def unstack(x: Array, /, *, axis: int = 0) -> tuple[Array, ...]:
    """Split ``x`` into views along ``axis``."""
    check_array(x, "unstack")
    if x.ndim == 0:
        raise ValueError("unstack: expected an array of at least one dimension")
    axis = normalize_axis(axis, x.ndim, "unstack")
    return tuple(x[(slice(None),) * axis + (i,)] for i in range(x.shape[axis]))


def reshape(x: Array, /, shape: Sequence[int], *, copy: bool | None = None) -> Array:
    """``x`` with a new ``shape`` (one entry may be -1); a view when possible."""
    check_array(x, "reshape")
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = tuple(shape)
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < -1:
            raise ValueError(f"reshape: invalid shape {shape}")
    if sum(d == -1 for d in shape) > 1:
        raise ValueError(f"reshape: only one dimension may be -1, got {shape}")
    known = int(np.prod([d for d in shape if d != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0 or x.size % known:
            raise ValueError(f"reshape: cannot reshape an array of size {x.size} into shape {shape}")
        shape = tuple(x.size // known if d == -1 else int(d) for d in shape)
    elif known != x.size:
        raise ValueError(f"reshape: cannot reshape an array of size {x.size} into shape {shape}")
    shape = tuple(int(d) for d in shape)
    if copy not in (None, True, False):
        raise TypeError(f"reshape: copy must be None, True or False, got {copy!r}")
    return Array._new(x._be.reshape(x._buf, shape, copy), x._be)


def permute_dims(x: Array, /, axes: Sequence[int]) -> Array:
    """A view of ``x`` with its axes permuted."""
    check_array(x, "permute_dims")
    axes = tuple(normalize_axis(a, x.ndim, "permute_dims") for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute_dims: {axes} is not a permutation of the {x.ndim} axes")
    return Array._new(x._be.permute(x._buf, axes), x._be)


def moveaxis(x: Array, source: Any, destination: Any, /) -> Array:
    """Move axes of ``x`` to new positions (a view)."""
    check_array(x, "moveaxis")
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of axes")
    src = tuple(normalize_axis(a, x.ndim, "moveaxis") for a in src)
    dst = tuple(normalize_axis(a, x.ndim, "moveaxis") for a in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError("moveaxis: repeated axis")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute_dims(x, order)


def expand_dims(x: Array, /, *, axis: int = 0) -> Array:
    """A view of ``x`` with a new axis of length one at ``axis``."""
    check_array(x, "expand_dims")
    axis = normalize_axis(axis, x.ndim + 1, "expand_dims")
    shape = x.shape[:axis] + (1,) + x.shape[axis:]
    return Array._new(x._be.reshape(x._buf, shape, None), x._be)


def squeeze(x: Array, /, axis: int | tuple[int, ...]) -> Array:
    """A view of ``x`` without the given length-one axes."""
    check_array(x, "squeeze")
    axes = normalize_axes(axis, x.ndim, "squeeze")
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} has length {x.shape[a]}, not 1")
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return Array._new(x._be.reshape(x._buf, shape, None), x._be)


def flip(x: Array, /, *, axis: int | tuple[int, ...] | None = None) -> Array:
    """A view of ``x`` with the order of elements reversed along ``axis``."""
    check_array(x, "flip")
    axes = normalize_axes(axis, x.ndim, "flip")
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))
    return x[key] if key else x


def roll(x: Array, /, shift: int | tuple[int, ...], *,
         axis: int | tuple[int, ...] | None = None) -> Array:
    """Elements of ``x`` shifted cyclically by ``shift`` along ``axis``."""
    check_array(x, "roll")
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, axis=0), x.shape)
    shifts = (shift,) if isinstance(shift, (int, np.integer)) else tuple(shift)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(shifts) != len(axes):
        if len(shifts) == 1:
            shifts = shifts * len(axes)
        else:
            raise ValueError("roll: shift and axis must have the same length")
    out = x
    for s, a in zip(shifts, axes):
        a = normalize_axis(a, x.ndim, "roll")
        n = x.shape[a]
        if n == 0:
            continue
        s = int(s) % n
        if s == 0:
            continue
        lead = (slice(None),) * a
        out = concat([out[lead + (slice(n - s, None),)], out[lead + (slice(0, n - s),)]], axis=a)
    return out if out is not x else Array._new(x._be.copy(x._buf), x._be)


def tile(x: Array, repetitions: Sequence[int], /) -> Array:
    """``x`` repeated ``repetitions`` times along each axis."""
    check_array(x, "tile")
    reps = tuple(int(r) for r in repetitions)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repetitions must be non-negative, got {reps}")
    ndim = max(x.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + x.shape
    # view each axis as (1, n), broadcast to (r, n), then merge
    inter = []
    for d in shape:
        inter += [1, d]
    v = reshape(x, tuple(inter))
    target = []
    for r, d in zip(reps, shape):
        target += [r, d]
    b = broadcast_to(v, tuple(target))
    return reshape(Array._new(x._be.copy(b._buf), x._be), tuple(r * d for r, d in zip(reps, shape)))


def repeat(x: Array, repeats: int | Array, /, *, axis: int | None = None) -> Array:
    """Each element of ``x`` repeated ``repeats`` times along ``axis``."""
    check_array(x, "repeat")
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    axis = normalize_axis(axis, x.ndim, "repeat")
    n = x.shape[axis]
    be = x._be
    if isinstance(repeats, Array):
        if repeats.dtype.kind not in "iu":
            raise TypeError(f"repeat: repeats must be integers, got {repeats.dtype.name}")
        counts = np.asarray(be.to_host(repeats._buf)).astype(np.int64).reshape(-1)
        if not be.capabilities.zero_copy_host:
            be.count_host_round_trip()
        if counts.size == 1:
            counts = np.repeat(counts, n)
    elif isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        counts = np.full(n, int(repeats), np.int64)
    else:
        raise TypeError(f"repeat: repeats must be an int or an integer Array, got {type(repeats).__name__}")
    if counts.shape != (n,) or (counts < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative and broadcast to ({n},)")
    index = np.repeat(np.arange(n, dtype=np.int64), counts)
    idx = Array._new(be.from_host(index, copy=False), be)
    from .indexing import take

    return take(x, idx, axis=axis)
