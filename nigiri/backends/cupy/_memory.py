"""Device memory: CuPy's pool, out-of-memory errors that name the device, pool stats."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

import cupy as cp

__all__ = ["OOM", "oom_error", "guard", "pool_stats"]

OOM = cp.cuda.memory.OutOfMemoryError
F = TypeVar("F", bound=Callable[..., Any])


def oom_error(device: str, exc: BaseException) -> MemoryError:
    """A ``MemoryError`` naming the device, the size requested and the pool's use."""
    size = getattr(exc, "_size", None)
    asked = f"{size:,} bytes" if isinstance(size, int) else "a buffer"
    pool = cp.get_default_memory_pool()
    return MemoryError(
        f"{device}: out of GPU memory allocating {asked} (memory pool: "
        f"{pool.used_bytes():,} bytes in use, {pool.total_bytes():,} bytes held); "
        f"free arrays or use smaller batches [{exc}]"
    )


def guard(fn: F) -> F:
    """Decorate a backend method so CuPy's OutOfMemoryError becomes ``oom_error``."""
    @functools.wraps(fn)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(self, *args, **kwargs)
        except OOM as exc:
            raise oom_error(self.device_name, exc) from exc
    return wrapper  # type: ignore[return-value]


def pool_stats() -> dict[str, int]:
    """Bytes of the current device's pool in use by arrays and held in total."""
    pool = cp.get_default_memory_pool()
    pinned = cp.get_default_pinned_memory_pool()
    return {"pool_used_bytes": int(pool.used_bytes()),
            "pool_total_bytes": int(pool.total_bytes()),
            "pinned_free_blocks": int(pinned.n_free_blocks())}
