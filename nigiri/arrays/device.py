"""Devices and selection: ``Device``, ``use()``, and where new arrays are created.

Precedence (DESIGN section 8b): ``device=`` argument > ``nigiri.use(...)`` (a context
variable, thread- and task-safe) > ``NIGIRI_BACKEND`` > ``numpy``.
"""

from __future__ import annotations

import contextvars
from typing import Any

from .. import _config
from .. import backends as _registry

__all__ = ["Device", "use", "resolve_device", "default_backend", "device_of", "tf32_allowed",
           "selected_device"]

_current: contextvars.ContextVar[Any] = contextvars.ContextVar("nigiri_device", default=None)
_tf32: contextvars.ContextVar[bool | None] = contextvars.ContextVar("nigiri_tf32", default=None)
_env_cache: dict[str, Any] = {}


class Device:
    """A device handle (``numpy``, ``numba``, ``opencl:1``, ``cupy:0``, ...).

    Devices compare equal by name and can be passed wherever ``device=`` is accepted.
    """

    __slots__ = ("_backend",)

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    @property
    def name(self) -> str:
        """The device name, e.g. ``'opencl:1'``."""
        return self._backend.device_name

    @property
    def backend(self) -> Any:
        """The backend instance bound to this device."""
        return self._backend

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Device):
            return other._backend is self._backend
        if isinstance(other, str):
            return other == self.name
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"Device({self.name!r})"

    def __str__(self) -> str:
        return self.name


_device_objects: dict[int, Device] = {}


def device_of(backend: Any) -> Device:
    """The (cached) Device object of a backend instance."""
    dev = _device_objects.get(id(backend))
    if dev is None or dev._backend is not backend:
        dev = Device(backend)
        _device_objects[id(backend)] = dev
    return dev


def _from_env() -> Any:
    spec = _config.backend_spec()
    be = _env_cache.get(spec)
    if be is None:
        be = _registry.get_device(spec)
        _env_cache.clear()
        _env_cache[spec] = be
    return be


def default_backend() -> Any:
    """The backend where new arrays are created when no ``device=`` is given."""
    be = _current.get()
    if be is not None:
        return be
    return _from_env()


def selected_device() -> Device | None:
    """The device chosen by an active ``nigiri.use(...)``, or None when no ``use`` is
    in effect (``NIGIRI_BACKEND`` and the default are not a selection here)."""
    be = _current.get()
    return None if be is None else device_of(be)


def resolve_device(device: Any) -> Any:
    """Turn a ``device=`` argument (None, a name, a Device, a backend) into a backend."""
    if device is None:
        be = _current.get()
        return be if be is not None else _from_env()
    if isinstance(device, Device):
        return device._backend
    if isinstance(device, str):
        return _registry.get_device(device)
    if hasattr(device, "device_name") and hasattr(device, "capabilities"):
        return device
    raise TypeError(
        f"device: expected a device name such as 'numpy' or 'opencl:1', a Device, or "
        f"None, got {type(device).__name__}"
    )


class use:
    """Choose the device for new arrays (and TF32 permission) in this context.

    ``with nigiri.use("opencl:1"): ...`` restores the previous choice on exit; a bare
    ``nigiri.use("numba")`` call keeps it for the current context. ``allow_tf32=True``
    permits TF32 matmul on backends that have it (DESIGN section 3).
    """

    def __init__(self, device: Any = None, *, allow_tf32: bool | None = None) -> None:
        self._tokens = []
        if device is not None:
            be = resolve_device(device)
            self._tokens.append((_current, _current.set(be)))
        if allow_tf32 is not None:
            if not isinstance(allow_tf32, bool):
                raise TypeError(f"use: allow_tf32 must be a bool, got {allow_tf32!r}")
            self._tokens.append((_tf32, _tf32.set(allow_tf32)))

    def __enter__(self) -> Device:
        return device_of(default_backend())

    def __exit__(self, *exc: Any) -> None:
        for var, token in reversed(self._tokens):
            var.reset(token)
        self._tokens = []


def tf32_allowed() -> bool:
    """True when TF32 matmul is permitted (``use(allow_tf32=...)`` or the env var)."""
    value = _tf32.get()
    return _config.allow_tf32() if value is None else value


def reset_state() -> None:
    """Forget context and environment selections (tests call it between tests)."""
    _current.set(None)
    _tf32.set(None)
    _env_cache.clear()
