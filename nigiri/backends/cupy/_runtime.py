"""Finding CuPy and CUDA devices, and turning their absence into clear errors.

This module imports without CuPy: the registry imports the cupy backend package on
CPU-only machines too, so that ``nigiri backends`` can say *why* it is unavailable
("cupy not installed" or "no CUDA device") with the install hint.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..._errors import BackendUnavailableError

__all__ = ["INSTALL_HINT", "import_cupy", "load", "device_count", "versions"]

INSTALL_HINT = 'pip install "nigiri[cupy]"'

_cupy: Any = None


def import_cupy() -> Any:
    """Import and return the ``cupy`` module (raises ImportError when absent).

    Kept as a separate function so tests can simulate a machine without CuPy.
    """
    return importlib.import_module("cupy")


def load() -> Any:
    """The ``cupy`` module, or ``BackendUnavailableError`` saying why not."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        module = import_cupy()
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend 'cupy' is not available: cupy not installed ({exc}); "
            f"install it with: {INSTALL_HINT}"
        ) from exc
    except Exception as exc:  # a broken CUDA installation fails inside cupy's import
        raise BackendUnavailableError(
            f"backend 'cupy' is not available: cupy failed to import "
            f"({type(exc).__name__}: {exc}); reinstall it with: {INSTALL_HINT}"
        ) from exc
    _cupy = module
    return module


def device_count() -> int:
    """Number of CUDA devices CuPy sees; ``BackendUnavailableError`` when none."""
    cp = load()
    try:
        count = int(cp.cuda.runtime.getDeviceCount())
    except Exception as exc:  # CUDARuntimeError: no driver, no device, driver too old
        raise BackendUnavailableError(
            f"backend 'cupy' is not available: no CUDA device "
            f"(CUDA runtime says: {type(exc).__name__}: {exc})"
        ) from exc
    if count <= 0:
        raise BackendUnavailableError(
            "backend 'cupy' is not available: no CUDA device (CUDA runtime reports 0 devices)"
        )
    return count


def versions() -> dict[str, str]:
    """CuPy, CUDA runtime/driver and (when present) cuDNN frontend versions."""
    out: dict[str, str] = {}
    try:
        cp = load()
    except BackendUnavailableError:
        return out
    out["cupy"] = str(cp.__version__)
    for key, fn in (("cuda_runtime", cp.cuda.runtime.runtimeGetVersion),
                    ("cuda_driver", cp.cuda.runtime.driverGetVersion)):
        try:
            out[key] = _cuda_version(int(fn()))
        except Exception:  # no driver: report what we have
            pass
    try:
        from . import _cudnn_loader

        out.update(_cudnn_loader.versions())
    except Exception:
        pass
    return out


def _cuda_version(v: int) -> str:
    """12040 -> '12.4'."""
    return f"{v // 1000}.{(v % 1000) // 10}"


def reset() -> None:
    """Forget the cached module (tests that simulate CuPy's absence call it)."""
    global _cupy
    _cupy = None
