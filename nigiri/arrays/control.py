"""Device control beyond the standard: ``synchronize`` and ``stats``."""

from __future__ import annotations

from typing import Any

from .. import backends as _registry
from .device import resolve_device

__all__ = ["synchronize", "stats"]


def synchronize(device: Any = None) -> None:
    """Wait until all work queued on ``device`` (default: the current one) is done."""
    resolve_device(device).synchronize()


def stats() -> dict[str, dict[str, Any]]:
    """Counters per device used so far: host round trips, and what the backend adds
    (pool bytes on GPUs, kernel cache sizes, ...)."""
    return {dev.device_name: dev.stats() for dev in _registry.loaded_devices()}
