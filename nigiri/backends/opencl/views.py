"""View arithmetic on ``CLBuffer``: basic slicing, permutation, reshape without copy
(NumPy's no-copy reshape rule) and broadcasting. All results share the allocation."""

from __future__ import annotations

from .buffer import CLBuffer, c_strides

__all__ = ["slice_key", "permute_view", "reshape_strides", "broadcast_view"]


def slice_key(buf: CLBuffer, key: tuple) -> CLBuffer:
    """The view for a normalised basic index (slices and non-negative ints)."""
    offset = buf.offset
    shape: list[int] = []
    strides: list[int] = []
    for axis, k in enumerate(key):
        n, s = buf.shape[axis], buf.strides[axis]
        if isinstance(k, slice):
            start, stop, step = k.indices(n)
            length = len(range(start, stop, step))
            if length:
                offset += start * s
            shape.append(length)
            strides.append(s * step)
        else:
            offset += int(k) * s
    shape += buf.shape[len(key):]
    strides += buf.strides[len(key):]
    return buf.view(offset, tuple(shape), tuple(strides))


def permute_view(buf: CLBuffer, axes: tuple[int, ...]) -> CLBuffer:
    """The view with axes permuted."""
    return buf.view(buf.offset, tuple(buf.shape[a] for a in axes),
                    tuple(buf.strides[a] for a in axes))


def reshape_strides(shape: tuple[int, ...], strides: tuple[int, ...],
                    new: tuple[int, ...]) -> tuple[int, ...] | None:
    """Strides that reshape (C order) without copying, or None (NumPy's rule)."""
    size = 1
    for n in shape:
        size *= n
    if size == 0:
        return c_strides(new)
    old = [(n, s) for n, s in zip(shape, strides) if n != 1]
    out = [1] * len(new)
    oi, oj, ni, nj = 0, 1, 0, 1
    nold, nnew = len(old), len(new)
    while ni < nnew and oi < nold:
        np_, op = new[ni], old[oi][0]
        while np_ != op:
            if np_ < op:
                np_ *= new[nj]
                nj += 1
            else:
                op *= old[oj][0]
                oj += 1
        for ok in range(oi, oj - 1):
            if old[ok][1] != old[ok + 1][0] * old[ok + 1][1]:
                return None
        out[nj - 1] = old[oj - 1][1]
        for nk in range(nj - 1, ni, -1):
            out[nk - 1] = out[nk] * new[nk]
        ni, nj, oi, oj = nj, nj + 1, oj, oj + 1
    return tuple(out)


def broadcast_view(buf: CLBuffer, shape: tuple[int, ...]) -> CLBuffer:
    """The zero-stride view of ``buf`` broadcast to ``shape``."""
    if buf.shape == shape:
        return buf
    pad = len(shape) - len(buf.shape)
    strides = [0] * pad
    for n, s, t in zip(buf.shape, buf.strides, shape[pad:]):
        strides.append(0 if n == 1 and t != 1 else s)
    return buf.view(buf.offset, shape, tuple(strides))
