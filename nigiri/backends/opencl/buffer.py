"""The OpenCL backend's buffer: a device allocation plus an (offset, shape, strides) view.

Offsets and strides count elements (not bytes) so that views of one allocation
behave exactly like NumPy's: ``slice_view``, ``permute``, ``reshape`` and
``broadcast_to`` return objects sharing ``base``; writes through one are seen by all.
Strides may be negative (reversed slices) or zero (broadcast).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["CLBuffer", "c_strides", "collapse"]


def c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """C-order element strides of ``shape``."""
    out = []
    acc = 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


class CLBuffer:
    """A strided view of a device allocation (``base``: a pyopencl buffer)."""

    __slots__ = ("base", "offset", "shape", "strides", "dtype", "size", "_contig", "__weakref__")

    def __init__(self, base: Any, offset: int, shape: tuple[int, ...],
                 strides: tuple[int, ...], dtype: np.dtype) -> None:
        self.base = base
        self.offset = offset
        self.shape = shape
        self.strides = strides
        self.dtype = dtype
        size = 1
        for n in shape:
            size *= n
        self.size = size
        self._contig: bool | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    @property
    def is_contiguous(self) -> bool:
        """True when the elements are C-contiguous (size-1 axes' strides ignored)."""
        c = self._contig
        if c is None:
            c = True
            acc = 1
            for n, s in zip(reversed(self.shape), reversed(self.strides)):
                if n != 1 and s != acc:
                    c = False
                    break
                acc *= n
            self._contig = c
        return c

    def view(self, offset: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> "CLBuffer":
        """A new view of the same allocation."""
        return CLBuffer(self.base, offset, shape, strides, self.dtype)

    def span(self) -> tuple[int, int]:
        """(lowest, highest+1) element offsets touched; (offset, offset) when empty."""
        if self.size == 0:
            return self.offset, self.offset
        lo = hi = self.offset
        for n, s in zip(self.shape, self.strides):
            if s > 0:
                hi += (n - 1) * s
            else:
                lo += (n - 1) * s
        return lo, hi + 1

    def overlaps(self, other: "CLBuffer") -> bool:
        """True when both views may touch a common element of one allocation."""
        if other.base is not self.base or self.size == 0 or other.size == 0:
            return False
        a0, a1 = self.span()
        b0, b1 = other.span()
        isz, osz = self.dtype.itemsize, other.dtype.itemsize
        return a0 * isz < b1 * osz and b0 * osz < a1 * isz

    def __repr__(self) -> str:
        return (f"CLBuffer(shape={self.shape}, dtype={self.dtype.name}, offset={self.offset}, "
                f"strides={self.strides})")


def collapse(shape: tuple[int, ...], strides_list: list[tuple[int, ...]]
             ) -> tuple[tuple[int, ...], list[tuple[int, ...]]]:
    """Drop size-1 axes and merge adjacent axes that are contiguous in every operand.

    Returns the reduced shape and each operand's strides for it (C order kept).
    """
    dims = [i for i, n in enumerate(shape) if n != 1]
    new_shape: list[int] = []
    new_strides: list[list[int]] = [[] for _ in strides_list]
    for i in dims:
        n = shape[i]
        if new_shape and all(st[-1] == s[i] * n for st, s in zip(new_strides, strides_list)):
            new_shape[-1] *= n
            for st, s in zip(new_strides, strides_list):
                st[-1] = s[i]
        else:
            new_shape.append(n)
            for st, s in zip(new_strides, strides_list):
                st.append(s[i])
    return tuple(new_shape), [tuple(st) for st in new_strides]
