"""float16 <-> float32/float64 conversion as Numba functions.

Numba's CPU target has no float16 type, so the backend stores float16 buffers as they
are and hands their ``uint16`` view to kernels, which decode each element with
``h2f``, compute in float32 (as NumPy's own float16 loops do) and encode the result
with ``f2h`` (round to nearest even, the IEEE conversion NumPy uses). Hand-written
because no library offers these as Numba-callable functions.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["h2f", "f2h"]


@njit(cache=True)
def h2f(h):  # pragma: no cover - compiled
    """Decode float16 bits (uint16) into the exactly equal float32."""
    bits = np.int64(h)
    neg = (bits >> 15) & 1
    exp = (bits >> 10) & 0x1F
    mant = bits & 0x3FF
    if exp == 0x1F:
        val = np.inf if mant == 0 else np.nan
    elif exp == 0:
        val = math.ldexp(float(mant), -24)
    else:
        val = math.ldexp(float(mant + 1024), int(exp) - 25)
    if neg:
        val = -val
    return np.float32(val)


@njit(cache=True)
def _rint_pos(y):  # pragma: no cover - compiled
    """Round a non-negative float64 below 2**52 to the nearest integer, ties to even."""
    f = math.floor(y)
    d = y - f
    if d > 0.5 or (d == 0.5 and f % 2 == 1):
        f += 1
    return f


@njit(cache=True)
def f2h(v):  # pragma: no cover - compiled
    """Encode a float32/float64 value as float16 bits (uint16), rounding to nearest even."""
    x = float(v)
    sign = 0x8000 if math.copysign(1.0, x) < 0 else 0
    if x != x:
        return np.uint16(sign | 0x7E00)
    x = abs(x)
    if x >= 65520.0:
        return np.uint16(sign | 0x7C00)
    if x < 6.103515625e-05:  # below the smallest normal: subnormal or zero
        m = int(_rint_pos(x * 16777216.0))
        return np.uint16(sign | m)
    _, e = math.frexp(x)
    ex = e - 1
    m = int(_rint_pos(math.ldexp(x, 10 - ex)))
    if m == 2048:
        m = 1024
        ex += 1
    return np.uint16(sign | ((ex + 15) << 10) | (m - 1024))
