"""Small shared checks of the array layer: broadcasting, axes, devices, wrapping."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

__all__ = ["broadcast_shapes", "normalize_axis", "normalize_axes", "same_backend",
           "check_array", "check_supported_dtype"]


def broadcast_shapes(*shapes: tuple[int, ...], fn: str = "broadcast") -> tuple[int, ...]:
    """The broadcast of ``shapes`` or a ValueError naming the shapes."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        off = ndim - len(s)
        for i, d in enumerate(s):
            j = off + i
            o = out[j]
            if o == d or d == 1:
                continue
            if o == 1:
                out[j] = d
            else:
                raise ValueError(
                    f"{fn}: shapes {', '.join(str(tuple(x)) for x in shapes)} cannot be "
                    "broadcast together"
                )
    return tuple(out)


def normalize_axis(axis: Any, ndim: int, fn: str) -> int:
    """A single axis as a non-negative int, or IndexError/TypeError."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{fn}: axis must be an int, got {type(axis).__name__}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise IndexError(f"{fn}: axis {axis} is out of bounds for an array of {ndim} dimensions")
    return axis % ndim if ndim else 0


def normalize_axes(axis: Any, ndim: int, fn: str) -> tuple[int, ...]:
    """``axis`` (None, int or tuple of ints) as a sorted tuple of unique axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = [normalize_axis(a, ndim, fn) for a in axis]
        if len(set(axes)) != len(axes):
            raise ValueError(f"{fn}: repeated axis in {tuple(axis)}")
        return tuple(sorted(axes))
    if ndim == 0 and axis in (0, -1):
        raise IndexError(f"{fn}: axis {axis} is out of bounds for a 0-d array")
    return (normalize_axis(axis, ndim, fn),)


def check_array(x: Any, fn: str, name: str = "x") -> None:
    """TypeError unless ``x`` is a nigiri Array."""
    from .array import Array

    if not isinstance(x, Array):
        raise TypeError(f"{fn}: expected {name} to be a nigiri Array, got {type(x).__name__}")


def same_backend(arrays: Sequence[Any], fn: str) -> Any:
    """The common backend of ``arrays`` or the DESIGN ValueError naming both devices."""
    be = arrays[0]._be
    for a in arrays[1:]:
        if a._be is not be:
            raise ValueError(
                f"{fn}: arrays are on different devices ({be.device_name} and "
                f"{a._be.device_name}); move one with x.to_device(...)"
            )
    return be


def check_supported_dtype(be: Any, dtype: np.dtype, fn: str) -> None:
    """TypeError when the device cannot hold ``dtype`` (fp64 on a device without it)."""
    if not be.capabilities.supports_dtype(dtype):
        raise TypeError(
            f"{fn}: device {be.device_name} does not support dtype {dtype.name}"
        )
