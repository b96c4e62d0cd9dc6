"""Philox4x32-10 (Salmon et al., SC'11, Random123) in vectorised NumPy.

Hand-written because no well-kept library exposes Philox4x32-10 *blocks for an
arbitrary key and counter* as raw words (NumPy's ``Philox`` bit generator is
Philox4x64). The reference backend uses it, and other backends check their kernels
against it; the tests pin Random123's published known-answer vectors.
"""

from __future__ import annotations

import numpy as np

__all__ = ["philox4x32_blocks", "philox_words"]

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_MASK32 = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


def philox4x32_blocks(ctr: np.ndarray, key: tuple[int, int], rounds: int = 10) -> np.ndarray:
    """Encrypt counter blocks ``ctr`` (uint32, shape ``(n, 4)``) under ``key``.

    Returns a new uint32 array of shape ``(n, 4)``.
    """
    c0, c1, c2, c3 = (ctr[:, i].astype(np.uint64) for i in range(4))
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    for r in range(rounds):
        if r:
            k0 = (k0 + _W0) & 0xFFFFFFFF
            k1 = (k1 + _W1) & 0xFFFFFFFF
        p0 = _M0 * c0
        p1 = _M1 * c2
        hi0, lo0 = p0 >> _SHIFT, p0 & _MASK32
        hi1, lo1 = p1 >> _SHIFT, p1 & _MASK32
        c0 = hi1 ^ c1 ^ np.uint64(k0)
        c1 = lo1
        c2 = hi0 ^ c3 ^ np.uint64(k1)
        c3 = lo0
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


def philox_words(key: tuple[int, int], counter: int, n: int) -> np.ndarray:
    """The contract's ``philox`` primitive on the host: ``n`` uint32 words starting
    at block ``counter`` (word j is lane j % 4 of block counter + j // 4)."""
    if n <= 0:
        return np.empty(0, np.uint32)
    first = counter
    nblocks = (n + 3) // 4
    blocks = np.arange(first, first + nblocks, dtype=np.uint64)
    ctr = np.zeros((nblocks, 4), np.uint32)
    ctr[:, 0] = (blocks & _MASK32).astype(np.uint32)
    ctr[:, 1] = (blocks >> _SHIFT).astype(np.uint32)
    return philox4x32_blocks(ctr, key).reshape(-1)[:n].copy()
