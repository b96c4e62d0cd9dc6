"""Finding OpenCL devices: a stable order, availability errors, device facts.

Devices are numbered platform by platform (in the ICD loader's platform order, sorted
by platform name and vendor so the order does not depend on the loader), then in each
platform's device order. Import of pyopencl is deferred to the first query so that
``import nigiri`` never pays for it.
"""

from __future__ import annotations

from typing import Any

from ..._errors import BackendUnavailableError

__all__ = ["HINT", "import_cl", "list_devices", "device_facts"]

HINT = ('install it with: pip install "nigiri[opencl]" (pyopencl, and pocl-binary-distribution '
        'for a CPU device), or install an OpenCL driver (a GPU vendor driver or PoCL) and its ICD')

_devices: list[Any] | None = None


def import_cl() -> Any:
    """Import pyopencl or raise ``BackendUnavailableError`` with the install hint."""
    try:
        import pyopencl as cl
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend 'opencl' is not available: pyopencl cannot be imported ({exc}); {HINT}"
        ) from exc
    return cl


def _enumerate(cl: Any) -> list[Any]:
    try:
        platforms = cl.get_platforms()
    except cl.Error as exc:  # CL_PLATFORM_NOT_FOUND_KHR when no ICD is registered
        raise BackendUnavailableError(
            f"backend 'opencl' found no OpenCL platform ({exc}); the ICD loader sees no "
            f"driver (is /etc/OpenCL/vendors/*.icd present?); {HINT}"
        ) from exc
    if not platforms:
        raise BackendUnavailableError(f"backend 'opencl' found no OpenCL platform; {HINT}")
    devices = []
    errors = []
    for plat in sorted(platforms, key=lambda p: (p.name, p.vendor)):
        try:
            devices.extend(plat.get_devices())
        except cl.Error as exc:  # CL_DEVICE_NOT_FOUND on an empty platform
            errors.append(f"{plat.name}: {exc}")
    if not devices:
        detail = f" ({'; '.join(errors)})" if errors else ""
        raise BackendUnavailableError(
            f"backend 'opencl' found OpenCL platforms but no device{detail}; {HINT}"
        )
    return devices


def list_devices() -> list[Any]:
    """All OpenCL devices in nigiri's stable order (cached after the first call)."""
    global _devices
    if _devices is None:
        _devices = _enumerate(import_cl())
    return _devices


def reset_cache() -> None:
    """Forget the device list (tests simulating a missing driver call it)."""
    global _devices
    _devices = None


def device_facts(dev: Any) -> dict[str, Any]:
    """Plain facts about a pyopencl device for ``describe()`` and capabilities."""
    cl = import_cl()
    ext = set(dev.extensions.split())
    kind = "gpu" if dev.type & cl.device_type.GPU else ("cpu" if dev.type & cl.device_type.CPU
                                                         else "accelerator")
    return {
        "platform": dev.platform.name.strip(),
        "platform_version": dev.platform.version.strip(),
        "name": dev.name.strip(),
        "vendor": dev.vendor.strip(),
        "driver_version": dev.driver_version.strip(),
        "opencl_version": dev.version.strip(),
        "kind": kind,
        "compute_units": int(dev.max_compute_units),
        "memory_bytes": int(dev.global_mem_size),
        "max_buffer_bytes": int(dev.max_mem_alloc_size),
        "local_memory_bytes": int(dev.local_mem_size),
        "max_work_group_size": int(dev.max_work_group_size),
        "float64": "cl_khr_fp64" in ext,
        "float16": "cl_khr_fp16" in ext,
    }
