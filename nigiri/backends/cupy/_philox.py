"""Philox4x32-10 words on the GPU (``kernels/philox.cu``), bit-identical to
``backends/philox_host.py``."""

from __future__ import annotations

from typing import Any

import cupy as cp
import numpy as np

from ._sources import kernel_source

__all__ = ["philox"]

_THREADS = 256
_kernel: list[Any] = []


def philox(key: tuple[int, int], counter: int, n: int) -> Any:
    """``n`` uint32 words of the stream for ``key`` from block ``counter``."""
    out = cp.empty(max(n, 0), np.uint32)
    if n <= 0:
        return out
    if not _kernel:
        _kernel.append(cp.RawKernel(kernel_source("philox.cu"), "nigiri_philox4x32_10"))
    nblocks = (n + 3) // 4
    counter = int(counter) & 0xFFFFFFFFFFFFFFFF
    _kernel[0](((nblocks + _THREADS - 1) // _THREADS,), (_THREADS,),
               (out, np.uint64(n), np.uint32(int(key[0]) & 0xFFFFFFFF),
                np.uint32(int(key[1]) & 0xFFFFFFFF), np.uint32(counter & 0xFFFFFFFF),
                np.uint32(counter >> 32)))
    return out
