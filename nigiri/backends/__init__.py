"""The backend registry: names, lazy import, entry points, selection (DESIGN section 4).

Nothing here imports a backend until it is used; ``import nigiri`` touches only this
module's tables. Backend families are classes derived from ``contract.Backend``; one
instance per device is created on first use and cached.
"""

from __future__ import annotations

import difflib
import importlib
import threading
import warnings
from importlib import metadata
from typing import Any

from .._errors import BackendUnavailableError

__all__ = [
    "BUILTIN", "AUTO_ORDER", "BackendUnavailableError", "names", "backend_class",
    "get_device", "parse_spec", "register_backend", "unregister_backend", "info",
    "loaded_devices", "auto_device",
]

#: Built-in backends: name -> (module, install hint).
BUILTIN: dict[str, tuple[str, str]] = {
    "numpy": ("nigiri.backends.numpy", "pip install nigiri"),
    "numba": ("nigiri.backends.numba", 'pip install "nigiri[numba]"'),
    "opencl": ("nigiri.backends.opencl", 'pip install "nigiri[opencl]"'),
    "cupy": ("nigiri.backends.cupy", 'pip install "nigiri[cupy]"'),
}

#: ``NIGIRI_BACKEND=auto`` order: (family, device kind or None for any).
AUTO_ORDER: tuple[tuple[str, str | None], ...] = (
    ("cupy", None), ("opencl", "gpu"), ("numba", None), ("opencl", "cpu"), ("numpy", None),
)

ENTRY_POINT_GROUP = "nigiri.backends"

_lock = threading.RLock()
_registered: dict[str, Any] = {}  # name -> class or "module:attr" string
_classes: dict[str, type] = {}
_devices: dict[tuple[str, int], Any] = {}
_entry_points: dict[str, Any] | None = None
_probe_hook: Any = None


def _load_entry_points() -> dict[str, Any]:
    global _entry_points
    if _entry_points is None:
        found: dict[str, Any] = {}
        try:
            for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
                if ep.name not in BUILTIN:
                    found[ep.name] = ep
        except Exception as exc:  # a broken distribution must not break import
            warnings.warn(f"nigiri: could not read entry points: {exc}", stacklevel=2)
        _entry_points = found
    return _entry_points


def names(include_registered: bool = True) -> list[str]:
    """Every known backend name: built-in, entry points, then runtime registrations."""
    out = list(BUILTIN)
    out += [n for n in _load_entry_points() if n not in out]
    if include_registered:
        out += [n for n in _registered if n not in out]
    return out


def register_backend(name: str, cls_or_path: Any) -> None:
    """Register a backend family under ``name`` (a ``Backend`` subclass or a
    ``"module:attr"`` string). Used by tests (the fake backend) and plugins."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"register_backend: name must be an identifier, got {name!r}")
    with _lock:
        _registered[name] = cls_or_path
        _classes.pop(name, None)
        for key in [k for k in _devices if k[0] == name]:
            del _devices[key]


def unregister_backend(name: str) -> None:
    """Remove a runtime registration (and its cached devices)."""
    with _lock:
        _registered.pop(name, None)
        _classes.pop(name, None)
        for key in [k for k in _devices if k[0] == name]:
            del _devices[key]


def _unknown(name: str) -> ValueError:
    valid = names()
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return ValueError(
        f"unknown backend {name!r}: expected one of {', '.join(valid)} "
        f"(or 'name:index', or 'auto'){hint}"
    )


def backend_class(name: str) -> type:
    """The backend family class for ``name``, imported on first use.

    Raises ``ValueError`` for an unknown name and ``BackendUnavailableError`` (with the
    install hint) when the backend's module cannot be imported.
    """
    cls = _classes.get(name)
    if cls is not None:
        return cls
    with _lock:
        if name in _registered:
            target = _registered[name]
            cls = _import_target(name, target, "") if isinstance(target, str) else target
        elif name in BUILTIN:
            module, hint = BUILTIN[name]
            cls = _import_target(name, module + ":BACKEND", hint)
        elif name in _load_entry_points():
            try:
                cls = _load_entry_points()[name].load()
            except Exception as exc:
                raise BackendUnavailableError(
                    f"backend {name!r} (entry point) failed to load: {exc}"
                ) from exc
        else:
            raise _unknown(name)
        _classes[name] = cls
        return cls


def _import_target(name: str, target: str, hint: str) -> type:
    module, _, attr = target.partition(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        extra = f"; install it with: {hint}" if hint else ""
        raise BackendUnavailableError(
            f"backend {name!r} is not available: {exc}{extra}"
        ) from exc
    return getattr(mod, attr or "BACKEND")


def parse_spec(spec: str) -> tuple[str, int | None]:
    """Split ``'name'`` / ``'name:index'`` into (name, index or None)."""
    if not isinstance(spec, str):
        raise TypeError(f"device: expected a string like 'numpy' or 'opencl:1', got {spec!r}")
    name, sep, idx = spec.strip().partition(":")
    if not sep:
        return name, None
    try:
        index = int(idx)
    except ValueError:
        raise ValueError(f"device {spec!r}: the index after ':' must be an integer") from None
    if index < 0:
        raise ValueError(f"device {spec!r}: the index must be non-negative")
    return name, index


def _default_index(name: str) -> int:
    if name == "opencl":
        from .._config import opencl_device_index

        value = opencl_device_index()
        if value is not None:
            return value
    return 0


def get_device(spec: str) -> Any:
    """The backend instance for a device spec (``'numpy'``, ``'opencl:1'``, ``'auto'``)."""
    if spec == "auto":
        return auto_device()
    name, index = parse_spec(spec)
    if index is None:
        index = _default_index(name)
    dev = _devices.get((name, index))
    if dev is not None:
        return dev
    cls = backend_class(name)
    with _lock:
        dev = _devices.get((name, index))
        if dev is not None:
            return dev
        try:
            count = cls.device_count()
        except BackendUnavailableError:
            raise
        except Exception as exc:
            raise BackendUnavailableError(
                f"backend {name!r} is not available: {type(exc).__name__}: {exc}"
            ) from exc
        if count == 0:
            raise BackendUnavailableError(f"backend {name!r} found no device")
        if index >= count:
            raise ValueError(
                f"device {name}:{index} does not exist: backend {name!r} has {count} "
                f"device(s), indices 0..{count - 1}"
            )
        dev = cls(index)
        _devices[(name, index)] = dev
    if name != "numpy":
        from .._config import check_enabled

        if check_enabled():  # NIGIRI_CHECK=1: the probe gates the device's first use
            reason = _probe(dev)
            if reason is not None:
                with _lock:
                    if _devices.get((name, index)) is dev:
                        del _devices[(name, index)]
                raise BackendUnavailableError(
                    f"device {dev.device_name} failed the conformance probe "
                    f"(NIGIRI_CHECK=1): {reason}"
                )
    return dev


def set_probe_hook(fn: Any) -> None:
    """Install the conformance probe run by ``auto`` selection and ``NIGIRI_CHECK=1``:
    ``fn(backend) -> str | None`` returns None when the backend passes, else the reason."""
    global _probe_hook
    _probe_hook = fn


def _probe(dev: Any) -> str | None:
    if _probe_hook is None:
        try:
            importlib.import_module("nigiri.conformance.probe")
        except ImportError:
            return None
    return _probe_hook(dev) if _probe_hook is not None else None


def auto_device() -> Any:
    """The first usable device in ``AUTO_ORDER``; backends failing the probe are
    skipped with a warning naming them."""
    for name, kind in AUTO_ORDER:
        try:
            cls = backend_class(name)
            count = cls.device_count()
        except (BackendUnavailableError, ValueError):
            continue
        except Exception:  # a broken driver is "unavailable" for auto selection
            continue
        kinds = getattr(cls, "device_kinds", None)
        kinds = kinds() if kinds is not None else ["cpu"] * count
        for index in range(count):
            if kind is not None and kinds[index] != kind:
                continue
            try:
                dev = get_device(f"{name}:{index}")
            except BackendUnavailableError as exc:  # NIGIRI_CHECK=1 probe failure
                warnings.warn(f"nigiri: auto selection skips {name}:{index}: {exc}", stacklevel=3)
                continue
            reason = _probe(dev) if name != "numpy" else None
            if reason is None:
                return dev
            warnings.warn(
                f"nigiri: auto selection skips {dev.device_name}: it failed the "
                f"conformance probe ({reason})",
                stacklevel=3,
            )
    return get_device("numpy")


def loaded_devices() -> list[Any]:
    """Backend instances created so far (for ``nigiri.stats()``)."""
    return list(_devices.values())


def info() -> list[dict[str, Any]]:
    """One record per known backend: availability or the reason, devices,
    capabilities and library versions (``nigiri backends`` prints it)."""
    out = []
    for name in names():
        rec: dict[str, Any] = {"backend": name, "available": False, "reason": "",
                               "devices": [], "versions": {}}
        try:
            cls = backend_class(name)
            rec["versions"] = cls.versions()
            count = cls.device_count()
            if count == 0:
                raise BackendUnavailableError(f"backend {name!r} found no device")
            for index in range(count):
                dev = get_device(f"{name}:{index}")
                desc = dev.describe()
                desc["capabilities"] = dev.capabilities.as_dict()
                rec["devices"].append(desc)
            rec["available"] = True
        except (BackendUnavailableError, ValueError) as exc:
            rec["reason"] = str(exc)
        except Exception as exc:  # report, never crash the listing
            rec["reason"] = f"{type(exc).__name__}: {exc}"
        out.append(rec)
    return out
