"""``__array_namespace_info__``: devices, default dtypes, dtypes, capabilities."""

from __future__ import annotations

from typing import Any

from . import dtypes as _dt
from .device import default_backend, device_of, resolve_device

__all__ = ["__array_namespace_info__"]

_KINDS = {
    "bool": (_dt.bool_,),
    "signed integer": _dt.SIGNED,
    "unsigned integer": _dt.UNSIGNED,
    "integral": _dt.INTEGER,
    "real floating": _dt.REAL_FLOAT,
    "complex floating": _dt.COMPLEX,
    "numeric": _dt.INTEGER + _dt.REAL_FLOAT + _dt.COMPLEX,
}


class _Info:
    """The inspection namespace of the standard (2023.12)."""

    def capabilities(self) -> dict[str, Any]:
        """Standard flags plus the current device's capabilities under ``'device'``."""
        be = default_backend()
        return {"boolean indexing": True, "data-dependent shapes": True,
                "device": be.capabilities.as_dict()}

    def default_device(self) -> Any:
        """The device new arrays go to now."""
        return device_of(default_backend())

    def default_dtypes(self, *, device: Any = None) -> dict[str, Any]:
        """Default dtypes (float32 on every backend)."""
        resolve_device(device)
        return {"real floating": _dt.DEFAULT_FLOAT, "complex floating": _dt.DEFAULT_COMPLEX,
                "integral": _dt.DEFAULT_INT, "indexing": _dt.DEFAULT_INDEX}

    def dtypes(self, *, device: Any = None, kind: Any = None) -> dict[str, Any]:
        """Dtypes the device supports, optionally of one kind."""
        be = resolve_device(device)
        if kind is None:
            pool = _dt.ALL_DTYPES
        else:
            kinds = kind if isinstance(kind, tuple) else (kind,)
            pool = []
            for k in kinds:
                if k not in _KINDS:
                    raise ValueError(f"dtypes: unknown kind {k!r}; expected one of {sorted(_KINDS)}")
                pool += [d for d in _KINDS[k] if d not in pool]
        return {("bool" if d == _dt.bool_ else d.name): d for d in pool
                if be.capabilities.supports_dtype(d)}

    def devices(self) -> list[Any]:
        """Every device of every available backend."""
        from .. import backends

        out = []
        for rec in backends.info():
            for d in rec["devices"]:
                out.append(device_of(backends.get_device(d["device"])))
        return out


def __array_namespace_info__() -> _Info:
    """The Array API inspection namespace."""
    return _Info()
