"""Indexing: basic slicing (views), integer-array and boolean-mask indexing, setitem.

Keys follow NumPy semantics: ints, slices, ``...``, ``None``, integer Arrays (or lists
/ NumPy arrays of ints), boolean Arrays. Basic keys produce views through the
``slice_view``/``reshape`` primitives; advanced keys are decomposed into a basic view,
a permutation bringing the indexed axes to the front, and the ``gather``/``scatter``
primitives. Out-of-bounds indices raise ``IndexError`` on every backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes as _dt
from .array import Array

__all__ = ["getitem", "setitem", "take"]

_INT_TYPES = (int, np.integer)


def _is_int(v: Any) -> bool:
    return isinstance(v, _INT_TYPES) and not isinstance(v, (bool, np.bool_))


def _as_index_array(v: Any, be: Any) -> Array | None:
    """Turn an advanced-index component into an Array on ``be`` (None if basic)."""
    if isinstance(v, Array):
        if v._be is not be:
            raise ValueError(
                f"indexing: the index is on {v._be.device_name} but the array is on "
                f"{be.device_name}"
            )
        if v.dtype.kind not in "iub":
            raise IndexError(f"indexing: arrays used as indices must be integer or bool, got {v.dtype.name}")
        return v
    if isinstance(v, (list, np.ndarray)):
        host = np.asarray(v)
        if host.size == 0 and host.dtype.kind == "f":
            host = host.astype(np.int64)
        if host.dtype.kind not in "iub":
            raise IndexError(f"indexing: arrays used as indices must be integer or bool, got {host.dtype}")
        if host.dtype.kind in "iu":
            host = host.astype(np.int64)
        return Array._new(be.from_host(host, copy=False), be)
    return None


def _expand(key: Any, x: Array) -> list[Any]:
    """Validate the key's entries and expand the Ellipsis."""
    if not isinstance(key, tuple):
        key = (key,)
    be = x._be
    items: list[Any] = []
    for k in key:
        if k is None or k is Ellipsis or isinstance(k, slice) or _is_int(k):
            items.append(k)
            continue
        if isinstance(k, (bool, np.bool_)):
            items.append(Array._new(be.full((), bool(k), _dt.bool_), be))
            continue
        arr = _as_index_array(k, be)
        if arr is None:
            raise IndexError(
                f"indexing: only ints, slices, ..., None, integer or boolean arrays are valid "
                f"indices; got {type(k).__name__}"
            )
        items.append(arr)
    if sum(k is Ellipsis for k in items) > 1:
        raise IndexError("indexing: an index can only have a single ellipsis ('...')")
    consumed = sum(
        (k.ndim if k.dtype == _dt.bool_ else 1) if isinstance(k, Array) else
        (0 if k is None or k is Ellipsis else 1)
        for k in items
    )
    if consumed > x.ndim:
        raise IndexError(f"indexing: too many indices for an array of {x.ndim} dimensions ({consumed} given)")
    if Ellipsis in [k for k in items if not isinstance(k, Array)]:
        pos = next(i for i, k in enumerate(items) if k is Ellipsis)
        items[pos:pos + 1] = [slice(None)] * (x.ndim - consumed)
    else:
        items += [slice(None)] * (x.ndim - consumed)
    return items


def _normalize_int(k: int, n: int, axis: int) -> int:
    k = int(k)
    if not -n <= k < n:
        raise IndexError(f"index {k} is out of bounds for axis {axis} with size {n}")
    return k % n


def _basic_view(x: Array, items: list[Any]) -> Array:
    """Apply a key with only ints, slices and None (no Ellipsis) as a view."""
    be = x._be
    key: list[Any] = []
    out_shape: list[int] = []
    axis = 0
    for k in items:
        if k is None:
            continue
        n = x.shape[axis]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            if step < 0 and stop < 0:
                stop = None
            key.append(slice(start, stop, step))
        else:
            key.append(_normalize_int(k, n, axis))
        axis += 1
    buf = be.slice_view(x._buf, tuple(key)) if key else x._buf
    if any(k is None for k in items):
        it = iter(buf.shape)
        for k in items:
            if k is None:
                out_shape.append(1)
            elif isinstance(k, slice):
                out_shape.append(next(it))
        buf = be.reshape(buf, tuple(out_shape), False)
    return Array._new(buf, be)


def _check_bounds(idx: Array, n: int, axis: int) -> Array:
    """Normalise negative indices and raise IndexError for out-of-bounds ones."""
    be = idx._be
    buf = idx._buf
    if buf.dtype != _dt.int64:
        buf = be.astype(buf, _dt.int64)
    if buf.size if hasattr(buf, "size") else np.prod(buf.shape):
        lo = be.to_host(be.reduce("min", buf, tuple(range(len(buf.shape))), False, _dt.int64))
        hi = be.to_host(be.reduce("max", buf, tuple(range(len(buf.shape))), False, _dt.int64))
        lo, hi = int(np.asarray(lo)), int(np.asarray(hi))
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
        if lo < 0:
            neg = be.binary("less", buf, np.int64(0))
            buf = be.where(neg, be.binary("add", buf, np.int64(n)), buf)
    return Array._new(buf, be)


def _plan(x: Array, key: Any) -> tuple[Array, list[Array] | None, Any]:
    """Split a key into a basic view and (optionally) advanced index arrays.

    Returns (view, index arrays or None, placement) where the view has the advanced
    axes moved to the front, and placement is the axis where the broadcast index
    dimensions go in the result (0 when the advanced indices are not adjacent).
    """
    items = _expand(key, x)
    advanced = [isinstance(k, Array) for k in items]
    if not any(advanced):
        return _basic_view(x, items), None, None
    be = x._be
    # ints count as advanced indices once any array index is present (NumPy rule)
    conv: list[Any] = []
    for k in items:
        if _is_int(k):
            conv.append(Array._new(be.full((), np.int64(int(k)), _dt.int64), be))
        else:
            conv.append(k)
    # expand boolean masks into integer index arrays, one per masked axis
    expanded: list[Any] = []
    axis = 0
    for k in conv:
        if isinstance(k, Array) and k.dtype == _dt.bool_:
            if k.ndim == 0:
                # a 0-d bool adds an axis of length 1 (True) or 0 (False)
                expanded.append(None)
                ones = be.nonzero(be.reshape(k._buf, (1,), None))
                expanded.append(Array._new(ones[0], be))
                continue
            want = x.shape[axis:axis + k.ndim]
            if tuple(k.shape) != tuple(want):
                raise IndexError(
                    f"boolean index of shape {k.shape} does not match the indexed "
                    f"dimensions {tuple(want)}"
                )
            for part in be.nonzero(k._buf):
                expanded.append(Array._new(part, be))
            axis += k.ndim
        else:
            expanded.append(k)
            if k is not None:
                axis += 1
    # a 0-d bool index became a new length-1 axis (None) plus an index over that axis
    base = x
    if any(k is None for k in expanded):
        shape_items = [None if k is None else slice(None) for k in expanded]
        base = _basic_view(x, shape_items)
        expanded = [slice(None) if k is None else k for k in expanded]
    # apply basic slices first (keep advanced axes whole)
    basic_items = [k if not isinstance(k, Array) else slice(None) for k in expanded]
    view = _basic_view(base, basic_items)
    adv_axes: list[int] = []
    idx_arrays: list[Array] = []
    out_axis = 0
    for k in expanded:
        if isinstance(k, Array):
            adv_axes.append(out_axis)
            idx_arrays.append(k)
            out_axis += 1
        elif isinstance(k, slice):
            out_axis += 1
    adjacent = adv_axes == list(range(adv_axes[0], adv_axes[0] + len(adv_axes)))
    placement = adv_axes[0] if adjacent else 0
    idx_arrays = [_check_bounds(a, view.shape[ax], ax) for a, ax in zip(idx_arrays, adv_axes)]
    from ._helpers import broadcast_shapes

    bshape = broadcast_shapes(*(a.shape for a in idx_arrays), fn="indexing")
    idx_bufs = [a._buf if a.shape == bshape else be.broadcast_to(a._buf, bshape) for a in idx_arrays]
    rest = [ax for ax in range(view.ndim) if ax not in adv_axes]
    perm = tuple(adv_axes + rest)
    front = view if perm == tuple(range(view.ndim)) else Array._new(be.permute(view._buf, perm), be)
    return front, [Array._new(b, be) for b in idx_bufs], (placement, len(bshape), len(rest))


def getitem(x: Array, key: Any) -> Array:
    """``x[key]``: a view for basic keys, a new array for advanced keys."""
    view, idx, placement = _plan(x, key)
    if idx is None:
        return view
    be = x._be
    out = be.gather(view._buf, tuple(a._buf for a in idx))
    pos, nb, nrest = placement
    if pos:
        ndim = nb + nrest
        perm = tuple(range(nb, nb + pos)) + tuple(range(nb)) + tuple(range(nb + pos, ndim))
        out = be.copy(be.permute(out, perm))
    return Array._new(out, be)


def _value_buffer(x: Array, value: Any, fn: str) -> Any:
    be = x._be
    if isinstance(value, Array):
        if value._be is not be:
            raise ValueError(
                f"{fn}: the value is on {value._be.device_name} but the array is on {be.device_name}"
            )
        if value.dtype != x.dtype:
            if _dt.promote(value.dtype, x.dtype, fn) != x.dtype:
                raise TypeError(
                    f"{fn}: cannot assign a {value.dtype.name} value to a {x.dtype.name} array "
                    "without changing its dtype; cast the value with astype"
                )
            return be.astype(value._buf, x.dtype)
        return value._buf
    if isinstance(value, (bool, int, float, complex)):
        rd = _dt.scalar_result_dtype(x.dtype, value, fn)
        if rd != x.dtype:
            raise TypeError(f"{fn}: cannot assign {type(value).__name__} {value!r} to a {x.dtype.name} array")
        try:
            return x.dtype.type(value)
        except OverflowError:
            raise OverflowError(f"{fn}: {value!r} is out of range for {x.dtype.name}") from None
    raise TypeError(f"{fn}: value must be an Array or a Python scalar, got {type(value).__name__}")


def setitem(x: Array, key: Any, value: Any) -> None:
    """``x[key] = value`` in place (writes through views of ``x``'s memory)."""
    fn = "setitem"
    val = _value_buffer(x, value, fn)
    view, idx, placement = _plan(x, key)
    be = x._be
    if idx is None:
        vshape = getattr(val, "shape", ())
        from ._helpers import broadcast_shapes

        if tuple(vshape) and broadcast_shapes(tuple(vshape), view.shape, fn=fn) != view.shape:
            raise ValueError(f"{fn}: value of shape {tuple(vshape)} cannot be broadcast to {view.shape}")
        be.copy_into(view._buf, val)
        return
    pos, nb, nrest = placement
    bshape = idx[0].shape
    res_shape = list(bshape) + list(view.shape[len(idx):])
    if pos:  # the value is laid out in result order: bring the index dims to the front
        natural = res_shape[nb:nb + pos] + list(bshape) + res_shape[nb + pos:]
    else:
        natural = res_shape
    from ._helpers import broadcast_shapes

    vshape = tuple(getattr(val, "shape", ()))
    if broadcast_shapes(vshape, tuple(natural), fn=fn) != tuple(natural):
        raise ValueError(f"{fn}: value of shape {vshape} cannot be broadcast to {tuple(natural)}")
    if not hasattr(val, "shape") or isinstance(val, np.generic):  # a scalar value
        vbuf = be.full(tuple(natural), val, x.dtype)
    else:
        vbuf = be.copy(be.broadcast_to(val, tuple(natural)))
    if pos:
        ndim = len(natural)
        perm = tuple(range(pos, pos + nb)) + tuple(range(pos)) + tuple(range(pos + nb, ndim))
        vbuf = be.copy(be.permute(vbuf, perm))
    be.scatter(view._buf, tuple(a._buf for a in idx), vbuf)


def take(x: Array, indices: Array, /, *, axis: int | None = None) -> Array:
    """Elements of ``x`` at integer ``indices`` (1-d) along ``axis``."""
    from ._helpers import check_array, normalize_axis

    check_array(x, "take")
    check_array(indices, "take", "indices")
    if indices.ndim != 1:
        raise ValueError(f"take: indices must be 1-d, got {indices.ndim}-d")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take: indices must have an integer dtype, got {indices.dtype.name}")
    if axis is None:
        if x.ndim != 1:
            raise ValueError("take: axis is required for arrays of more than one dimension")
        axis = 0
    axis = normalize_axis(axis, x.ndim, "take")
    key = (slice(None),) * axis + (indices,)
    return getitem(x, key)
