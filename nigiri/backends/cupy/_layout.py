"""Strides -> BLAS operand layout (pure Python, tested without a GPU)."""

from __future__ import annotations

__all__ = ["blas_layout"]


def blas_layout(shape: tuple[int, int], strides: tuple[int, int], itemsize: int
                ) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) to pass a row-major ``shape`` matrix with
    byte ``strides`` to column-major BLAS as its transpose, or None when a copy is
    needed. Flag 0: the memory is row-major (BLAS sees it as the transpose, op N);
    flag 1: column-major (op T)."""
    rows, cols = shape
    s0, s1 = strides[0] // itemsize, strides[1] // itemsize
    if strides[0] % itemsize or strides[1] % itemsize:
        return None
    if (s1 == 1 or cols <= 1) and (rows <= 1 or s0 >= max(cols, 1)):
        return 0, (s0 if rows > 1 else max(cols, 1))
    if (s0 == 1 or rows <= 1) and (cols <= 1 or s1 >= max(rows, 1)):
        return 1, (s1 if cols > 1 else max(rows, 1))
    return None
