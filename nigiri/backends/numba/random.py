"""Philox4x32-10 (Random123) as a parallel Numba kernel, bit-identical to
``nigiri.backends.philox_host`` (the tests compare every word and pin the
known-answer vectors). Hand-written: no library exposes Philox4x32-10 blocks for an
arbitrary key and counter as a Numba function."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["philox"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


@njit(cache=True, nogil=True, parallel=True)
def _philox(k0, k1, first, n, out):  # pragma: no cover - compiled
    nblocks = (n + 3) // 4
    for i in prange(nblocks):
        b = first + np.uint64(i)
        c0 = b & _MASK
        c1 = b >> _S32
        c2 = np.uint64(0)
        c3 = np.uint64(0)
        ka = k0
        kb = k1
        for r in range(10):
            if r > 0:
                ka = (ka + _W0) & _MASK
                kb = (kb + _W1) & _MASK
            p0 = _M0 * c0
            p1 = _M1 * c2
            hi0 = p0 >> _S32
            lo0 = p0 & _MASK
            hi1 = p1 >> _S32
            lo1 = p1 & _MASK
            c0 = hi1 ^ c1 ^ ka
            c1 = lo1
            c2 = hi0 ^ c3 ^ kb
            c3 = lo0
        j = 4 * i
        out[j] = c0
        if j + 1 < n:
            out[j + 1] = c1
        if j + 2 < n:
            out[j + 2] = c2
        if j + 3 < n:
            out[j + 3] = c3


def philox(key: tuple[int, int], counter: int, n: int) -> np.ndarray:
    """``n`` uint32 words of the Philox4x32-10 stream from block ``counter``."""
    out = np.empty(max(n, 0), np.uint32)
    if n > 0:
        _philox(np.uint64(int(key[0]) & 0xFFFFFFFF), np.uint64(int(key[1]) & 0xFFFFFFFF),
                np.uint64(int(counter) & 0xFFFFFFFFFFFFFFFF), n, out)
    return out
