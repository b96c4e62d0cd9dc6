"""Shape arithmetic shared by the backends' nn fast paths (pure Python, no device)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["pair", "conv_out", "pool_out"]


def pair(value: Any, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair of non-negative ints."""
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if isinstance(value, (int, np.integer)):
        out = (int(value), int(value))
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise TypeError(f"{name}: expected an int or a pair of ints, got {value!r}") from None
        if len(out) != 2:
            raise ValueError(f"{name}: expected a pair of ints, got {value!r}")
    if min(out) < 0:
        raise ValueError(f"{name}: expected non-negative values, got {value!r}")
    return out  # type: ignore[return-value]


def conv_out(size: int, k: int, stride: int, pad: int, dil: int) -> int:
    """Output length of a convolution along one axis (PyTorch's formula)."""
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


def pool_out(size: int, k: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """Output length of a pooling window along one axis; with ``ceil_mode`` the last
    window must start inside the input or its left padding (PyTorch's rule)."""
    span = size + 2 * pad - k
    if ceil_mode:
        out = -(-span // stride) + 1
        if (out - 1) * stride >= size + pad:
            out -= 1
    else:
        out = span // stride + 1
    return out
