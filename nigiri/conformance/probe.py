"""The quick conformance probe the registry runs before trusting a backend.

Importing this module installs ``probe`` as the registry's probe hook
(``nigiri.backends.set_probe_hook``). The registry runs it for ``NIGIRI_BACKEND=auto``
(a backend that fails is skipped with a warning) and, with ``NIGIRI_CHECK=1``, when a
non-numpy device is first created (a failing device raises
``BackendUnavailableError``); nn and distributed workers call ``probe`` directly before
using a backend.

A verdict costs the quick tier's seconds once per configuration: it is cached in
memory and on disk (``<cache_dir>/probe/<key>.json``, ``nigiri._config.cache_dir()``),
keyed by backend family, device name and description, the backend's library and
driver versions, the nigiri version, Python and NumPy versions, and the backend's
xfail list. Delete the folder (or set ``NIGIRI_CACHE_DIR``) to force a new probe.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import threading
import time
from importlib import resources
from typing import Any

import numpy as np

from .. import backends as _registry

__all__ = ["probe", "probe_key", "cache_path", "clear_memory_cache"]

_memory: dict[str, str | None] = {}
_lock = threading.Lock()


def probe_key(be: Any) -> dict[str, Any]:
    """What identifies a configuration: the cache key's contents."""
    import nigiri

    try:
        versions = dict(type(be).versions())
    except Exception as exc:
        versions = {"error": f"{type(exc).__name__}: {exc}"}
    try:
        describe = be.describe()
    except Exception as exc:
        describe = {"error": f"{type(exc).__name__}: {exc}"}
    xfail = resources.files("nigiri.conformance").joinpath("xfail", f"{be.name}.txt")
    xfail_text = xfail.read_text(encoding="utf-8") if xfail.is_file() else ""
    return {
        "backend": be.name, "device": be.device_name, "describe": describe,
        "versions": versions, "nigiri": nigiri.__version__,
        "python": platform.python_version(), "numpy": np.__version__,
        "xfail": hashlib.sha256(xfail_text.encode()).hexdigest()[:16],
    }


def _digest(key: dict[str, Any]) -> str:
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def cache_path(be: Any) -> str:
    """The on-disk cache file of ``be``'s verdict."""
    from .._config import cache_dir

    key = probe_key(be)
    safe = "".join(c if c.isalnum() else "_" for c in be.device_name)
    return os.path.join(cache_dir(), "probe", f"{safe}-{_digest(key)}.json")


def _read(path: str) -> tuple[bool, str | None]:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if doc.get("passed") is True:
            return True, None
        if doc.get("passed") is False and isinstance(doc.get("reason"), str):
            return True, doc["reason"]
    except (OSError, ValueError):
        pass
    return False, None


def _write(path: str, doc: dict[str, Any]) -> None:
    """Atomic write; an unwritable cache folder only costs a re-probe next time."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".probe-", dir=os.path.dirname(path))
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, default=str)
        os.replace(tmp, path)
    except OSError:
        pass


def _summarise(report: Any) -> str | None:
    bad = report.unexpected()
    if not bad:
        return None
    ops = sorted({r.op for r in bad})
    c = report.counts()
    shown = ", ".join(ops[:8]) + (", ..." if len(ops) > 8 else "")
    return (f"{len(bad)} of {c['run']} quick conformance cases failed (ops: {shown}); "
            f"first: {bad[0].case_id}: {bad[0].message.splitlines()[0] if bad[0].message else ''}; "
            f"run `nigiri conformance --backend {report.device} --quick` for details")


def probe(be: Any, *, use_cache: bool = True) -> str | None:
    """Run (or recall) the quick tier on backend instance ``be``: None when it passes,
    else a one-line reason naming the failing ops."""
    if be.name == "numpy":
        return None  # the reference agrees with itself by definition
    path = cache_path(be)
    with _lock:
        if use_cache and path in _memory:
            return _memory[path]
    if use_cache:
        found, reason = _read(path)
        if found:
            with _lock:
                _memory[path] = reason
            return reason
    from .runner import run_device

    t0 = time.perf_counter()
    try:
        report = run_device(be, quick=True)
        reason = _summarise(report)
        counts = report.counts()
    except Exception as exc:  # a crash of the backend is a failed probe
        reason = f"the quick conformance tier crashed: {type(exc).__name__}: {exc}"
        counts = {}
    doc = {"passed": reason is None, "reason": reason, "key": probe_key(be), "counts": counts,
           "seconds": round(time.perf_counter() - t0, 3),
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    _write(path, doc)
    with _lock:
        _memory[path] = reason
    return reason


def clear_memory_cache() -> None:
    """Forget in-process verdicts (tests use it; the disk cache stays)."""
    with _lock:
        _memory.clear()


_registry.set_probe_hook(probe)
