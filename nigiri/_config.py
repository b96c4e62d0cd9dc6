"""Every ``NIGIRI_*`` environment variable, read in this one module.

Values are read at call time (not frozen at import) so that tests and long-lived
processes can change them; each read is one dictionary lookup.
"""

from __future__ import annotations

import os

__all__ = [
    "backend_spec",
    "check_enabled",
    "allow_tf32",
    "opencl_device_index",
    "test_backend",
    "cache_dir",
]

_TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def backend_spec() -> str:
    """``NIGIRI_BACKEND``: a backend name, ``name:index`` or ``auto``; default ``numpy``."""
    value = os.environ.get("NIGIRI_BACKEND", "").strip()
    return value or "numpy"


def check_enabled() -> bool:
    """``NIGIRI_CHECK=1``: run the conformance probe before a backend is first used."""
    return _flag("NIGIRI_CHECK")


def allow_tf32() -> bool:
    """``NIGIRI_ALLOW_TF32=1``: permit TF32 / reduced-precision float32 matmul."""
    return _flag("NIGIRI_ALLOW_TF32")


def opencl_device_index() -> int | None:
    """``NIGIRI_OPENCL_DEVICE``: the OpenCL device index used when ``opencl`` names none."""
    value = os.environ.get("NIGIRI_OPENCL_DEVICE", "").strip()
    if not value:
        return None
    try:
        index = int(value)
    except ValueError:
        raise ValueError(
            f"NIGIRI_OPENCL_DEVICE must be a non-negative integer, got {value!r}"
        ) from None
    if index < 0:
        raise ValueError(f"NIGIRI_OPENCL_DEVICE must be a non-negative integer, got {value!r}")
    return index


def test_backend() -> str | None:
    """``NIGIRI_TEST_BACKEND``: the backend the test suite runs on (tests only)."""
    value = os.environ.get("NIGIRI_TEST_BACKEND", "").strip()
    return value or None


def cache_dir() -> str:
    """Folder for on-disk caches (probe verdicts, tuned kernels): ``NIGIRI_CACHE_DIR``
    or the user cache folder (``$XDG_CACHE_HOME/nigiri`` or ``~/.cache/nigiri``)."""
    value = os.environ.get("NIGIRI_CACHE_DIR", "").strip()
    if value:
        return value
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return os.path.join(base, "nigiri")
