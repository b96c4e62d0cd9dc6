"""``gpuArray`` / ``gather``: explicit transfers between the host and the accelerator.

The accelerator is, in order: the device of an active ``ng.use(...)``; the default
device when ``NIGIRI_BACKEND`` names a non-host one; else the first available non-host
device in the registry's auto order (cupy, opencl GPU, opencl CPU). Host backends
(numpy, numba) are never chosen automatically. With none available, ``gpuArray``
raises ``nigiri.BackendUnavailableError`` (MATLAB errors without a GPU too): choose a
device with ``ng.use``. ``gather`` brings a matrix back to the host ``numpy`` device.
"""

from __future__ import annotations

from typing import Any

import nigiri as ng
from nigiri import backends as _registry
from nigiri.arrays.device import selected_device

from .matrix import Matrix, asmatrix

__all__ = ["gpuArray", "gather", "accelerator", "isgpuarray"]

_HOST_FAMILIES = ("numpy", "numba")


def _is_host(device: Any) -> bool:
    """Host devices hold NumPy-compatible host memory (``zero_copy_host``)."""
    if str(device).partition(":")[0] in _HOST_FAMILIES:
        return True
    backend = getattr(device, "backend", None)
    return bool(backend is not None and backend.capabilities.zero_copy_host)


def _auto_accelerator() -> Any:
    reasons = []
    for name, kind in _registry.AUTO_ORDER:
        if name in _HOST_FAMILIES:
            continue
        try:
            cls = _registry.backend_class(name)
            count = cls.device_count()
            kinds = cls.device_kinds() if hasattr(cls, "device_kinds") else ["cpu"] * count
        except Exception as exc:  # unavailable backends are skipped, their reason kept
            reasons.append(f"{name}: {exc}")
            continue
        for index in range(count):
            if kind is None or kinds[index] == kind:
                spec = f"{name}:{index}"
                dev = _registry.get_device(spec)
                if not dev.capabilities.zero_copy_host:
                    return spec
    raise ng.BackendUnavailableError(
        "gpuArray: no accelerator device is available (" + "; ".join(reasons) + "); choose "
        "one with nigiri.use('name[:index]')")


def accelerator() -> Any:
    """The device ``gpuArray`` transfers to now (see the module docstring)."""
    chosen = selected_device()
    if chosen is not None:
        return chosen
    default = ng.__array_namespace_info__().default_device()
    if not _is_host(default):
        return default
    return _auto_accelerator()


def gpuArray(a: Any) -> Matrix:  # noqa: N802  (MATLAB's name)
    """``gpuArray(A)``: ``A`` on the accelerator (a new Matrix; ``A`` stays put)."""
    x = asmatrix(a)
    target = accelerator()
    # transfers between host backends share memory: copy-on-write on both sides
    return Matrix._wrap(ng.asarray(x._storage_view(), device=target))


def gather(a: Any) -> Matrix:
    """``gather(A)``: ``A`` on the host ``numpy`` device (a new Matrix)."""
    x = asmatrix(a)
    return Matrix._wrap(ng.asarray(x._storage_view(), device="numpy"))


def isgpuarray(a: Any) -> bool:
    """True when ``A`` lives on a non-host device."""
    return isinstance(a, Matrix) and not _is_host(a.device)
