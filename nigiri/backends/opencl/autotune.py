"""The GEMM autotuner: time each valid candidate tile configuration on this device
and keep the fastest, cached on disk per device (``nigiri._config.cache_dir()``).

Tuning runs once per (device, driver, dtype) the first time a large tiled matmul
is needed, or explicitly through ``OpenCLBackend.tune_gemm()``; every later process
reads the choice from ``<cache_dir>/opencl-gemm/<device-hash>.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from typing import Any

import numpy as np

from ..._config import cache_dir
from .gemm import CANDIDATES, GemmConfig, candidates_for, default_config, tiled_into, valid
from .runtime import Runtime

__all__ = ["cached_config", "cached_small_config", "tune", "cache_path"]


def cache_path(rt: Runtime) -> str:
    """The JSON file holding this device's tuned configurations."""
    f = rt.facts
    ident = "|".join([f["platform"], f["platform_version"], f["name"], f["driver_version"]])
    digest = hashlib.sha1(ident.encode()).hexdigest()[:16]
    return os.path.join(cache_dir(), "opencl-gemm", f"{digest}.json")


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path) as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(path: str, data: dict[str, Any]) -> None:
    """Write atomically (temp file + rename); a read-only cache folder is not an error."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def cached_config(rt: Runtime, dtype: np.dtype) -> GemmConfig | None:
    """The tuned configuration for ``dtype`` stored on disk, if any (and still valid)."""
    entry = _read(cache_path(rt)).get(np.dtype(dtype).name)
    if isinstance(entry, dict) and isinstance(entry.get("config"), dict):
        cfg = {k: int(v) for k, v in entry["config"].items()}
        if set(cfg) == set(CANDIDATES[0]) and valid(cfg, np.dtype(dtype), rt):
            return cfg
    return None


def cached_small_config(rt: Runtime, dtype: np.dtype) -> GemmConfig | None:
    """The tuned small-tile configuration for ``dtype`` stored on disk, if any."""
    entry = _read(cache_path(rt)).get(np.dtype(dtype).name)
    if isinstance(entry, dict) and isinstance(entry.get("small_config"), dict):
        cfg = {k: int(v) for k, v in entry["small_config"].items()}
        if set(cfg) == set(CANDIDATES[0]) and valid(cfg, np.dtype(dtype), rt):
            return cfg
    return None


def tune(rt: Runtime, dtype: np.dtype, alloc: Any, size: int | None = None,
         candidates: list[GemmConfig] | None = None, reps: int = 3) -> dict[str, Any]:
    """Time every valid candidate on a ``size``-cubed product; store and return
    ``{"config": best, "results": [...], "size": size}``."""
    dtype = np.dtype(dtype)
    if size is None:
        size = 2048 if rt.facts["kind"] == "gpu" else 512
    cands = [c for c in (candidates or candidates_for(rt)) if valid(c, dtype, rt)]
    if not cands:
        cands = [default_config(rt, dtype)]
    rng = np.random.default_rng(0)
    host = rng.standard_normal((2, size, size)).astype(dtype)
    a = alloc((1, size, size), dtype)
    b = alloc((1, size, size), dtype)
    c = alloc((1, size, size), dtype)
    rt.cl.enqueue_copy(rt.queue, a.base, np.ascontiguousarray(host[0]))
    rt.cl.enqueue_copy(rt.queue, b.base, np.ascontiguousarray(host[1]))
    results = []
    best, best_t = cands[0], float("inf")
    for cfg in cands:
        try:
            tiled_into(rt, cfg, a, b, c, alloc)  # compile + warm up
            rt.finish()
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                tiled_into(rt, cfg, a, b, c, alloc)
                rt.finish()
                times.append(time.perf_counter() - t0)
            t = min(times)
        except Exception as exc:  # a candidate the driver rejects is skipped, not fatal
            results.append({"config": cfg, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
            continue
        gflops = 2.0 * size**3 / t / 1e9
        results.append({"config": cfg, "seconds": t, "gflops": gflops})
        if t < best_t:
            best, best_t = cfg, t
    # the best configuration with small tiles, for products too small to give every
    # compute unit a work-group with the big tiles
    small = [r for r in results if "gflops" in r and r["config"]["MWG"] * r["config"]["NWG"] <= 64 * 64]
    small_cfg = max(small, key=lambda r: r["gflops"])["config"] if small else None
    record = {"config": best, "small_config": small_cfg, "size": size, "results": results,
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path = cache_path(rt)
    data = _read(path)
    data[dtype.name] = record
    _write(path, data)
    return record
