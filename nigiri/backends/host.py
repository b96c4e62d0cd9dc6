"""Device control and DLPack for backends whose buffers are host NumPy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["HostBufferMixin"]


class HostBufferMixin:
    """``synchronize`` and the DLPack primitives for host NumPy buffers (numpy, numba):
    host work is synchronous and DLPack exchange is NumPy's own, zero-copy."""

    def synchronize(self) -> None:
        return None

    def to_dlpack(self, buf: Any, stream: Any = None) -> Any:
        return buf.__dlpack__(stream=stream)

    def dlpack_device(self, buf: Any) -> tuple[int, int]:
        return tuple(buf.__dlpack_device__())

    def from_dlpack(self, obj: Any) -> Any:
        return np.from_dlpack(obj)
