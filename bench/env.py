"""What machine a run happened on, and how busy it was.

Recorded with every result: date, CPU model and flags, cores, memory, GPU and driver
(nvidia-smi when present), Python and library versions, the git commit, environment
variables that change BLAS/OpenMP/Numba threading or the backends, the BLAS kernel
that actually runs (threadpoolctl), and the machine load from other processes at the
start and end of a suite, with a warning when it was not idle (DESIGN section 9).
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from typing import Any

__all__ = ["collect", "load_sample", "load_warning", "cpu_info", "gpu_info",
           "device_label", "ENV_PREFIXES", "cpu_peak_gflops", "gpu_peaks"]

#: Environment variables recorded with every run (prefix match).
ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO", "BLIS_", "VECLIB_", "KMP_",
                "NUMBA_", "NIGIRI_", "CUDA_", "CUPY_", "PYOPENCL_", "POCL_", "TORCH_",
                "NUMEXPR_", "OPENCL_")

#: Load (busy cores from other processes) above which a run is flagged as not idle.
BUSY_CORES_WARN = 0.25


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def cpu_info() -> dict[str, Any]:
    """CPU model, vendor, family, flags of interest, cores usable by this process."""
    text = _read("/proc/cpuinfo")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    flags = set(fields.get("flags", "").split())
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 1
    mhz = None
    max_khz = _read("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").strip()
    if max_khz.isdigit():
        mhz = int(max_khz) / 1000.0
    else:
        m = re.search(r"@\s*([\d.]+)\s*GHz", fields.get("model name", ""))
        if m:
            mhz = float(m.group(1)) * 1000.0
        elif fields.get("cpu MHz"):
            mhz = float(fields["cpu MHz"])
    return {
        "model": fields.get("model name") or platform.processor() or platform.machine(),
        "vendor": fields.get("vendor_id", ""),
        "family": fields.get("cpu family", ""),
        "model_id": fields.get("model", ""),
        "mhz": mhz,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "flags": sorted(f for f in flags if f in (
            "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16",
            "amx_tile", "neon", "asimd")),
        "memory_gib": _mem_gib(),
    }


def _mem_gib() -> float | None:
    m = re.search(r"MemTotal:\s+(\d+) kB", _read("/proc/meminfo"))
    return round(int(m.group(1)) / 2**20, 1) if m else None


def cpu_peak_gflops(cpu: dict[str, Any], threads: int | None = None) -> dict[str, Any] | None:
    """Estimated float32 peak: cores x clock x FLOP/cycle from the ISA, where cores is
    the usable CPU count, or ``threads`` when the run was limited to fewer. The clock is
    the one the OS reports (often the base clock: turbo can exceed the estimate).

    FLOP/cycle (FMA = 2 FLOP per lane): AVX-512 on Intel 64 (two 512-bit FMA units);
    AMD Zen 2-4 32 (two 256-bit FMA pipes; Zen 4 runs AVX-512 on them), Zen 5 (family
    26) 64; AVX2+FMA 32; AVX 16; otherwise 8. An estimate, labelled as such.
    """
    if not cpu.get("mhz"):
        return None
    flags = set(cpu.get("flags", []))
    amd = "AMD" in cpu.get("vendor", "")
    if amd:
        per = 64 if cpu.get("family") == "26" else 32 if "fma" in flags else 16
    elif "avx512f" in flags:
        per = 64
    elif "fma" in flags and "avx2" in flags:
        per = 32
    elif "avx" in flags:
        per = 16
    else:
        per = 8
    cores = cpu.get("usable_cpus") or 1
    if threads is not None:
        cores = min(cores, threads)
    value = cores * cpu["mhz"] / 1000.0 * per
    return {"gflops": round(value, 1), "estimated": True,
            "formula": f"{cores} core(s) x {cpu['mhz'] / 1000:.2f} GHz (reported clock) x {per} FLOP/cycle"}


#: float32 non-tensor-core peak (TFLOP/s) and memory bandwidth (GB/s) from NVIDIA's
#: data sheets, matched on the nvidia-smi name (longest key first).
_GPU_PEAKS = {
    "H100 PCIe": (51.2, 2000.0),
    "H100 NVL": (60.0, 3900.0),
    "H100": (66.9, 3350.0),        # SXM5 80GB HBM3
    "H200": (66.9, 4800.0),
    "A100-SXM4-80GB": (19.5, 2039.0),
    "A100": (19.5, 1555.0),
}


def gpu_peaks(name: str) -> dict[str, Any] | None:
    """Data-sheet float32 peak and bandwidth for a GPU name, or None if unknown."""
    for key in sorted(_GPU_PEAKS, key=len, reverse=True):
        if key.lower() in name.lower():
            tf, bw = _GPU_PEAKS[key]
            return {"gflops": tf * 1000.0, "bandwidth_gbs": bw, "estimated": False,
                    "source": f"NVIDIA data sheet ({key}, FP32 non-tensor)"}
    return None


def gpu_info() -> list[dict[str, Any]]:
    """GPUs from nvidia-smi (name, driver, memory), empty when there is none."""
    exe = shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
             "--format=csv,noheader"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    gpus = []
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3:
            gpus.append({"name": parts[0], "driver": parts[1], "memory": parts[2],
                         "max_sm_clock": parts[3] if len(parts) > 3 else "",
                         "peak": gpu_peaks(parts[0])})
    return gpus


def _cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies summed over all CPUs from /proc/stat."""
    line = _read("/proc/stat").splitlines()[0:1]
    if not line:
        return 0.0, 0.0
    vals = [float(v) for v in line[0].split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0.0)
    return sum(vals) - idle, sum(vals)


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def load_sample(window_s: float = 1.0) -> dict[str, Any]:
    """How busy the machine is without us: busy cores from other processes over a
    ``window_s`` idle window, and the load averages."""
    b0, t0 = _cpu_times()
    own0 = _own_cpu_s()
    time.sleep(window_s)
    b1, t1 = _cpu_times()
    own1 = _own_cpu_s()
    ncpu = os.cpu_count() or 1
    busy_cores = None
    if t1 > t0:
        busy_frac = (b1 - b0) / (t1 - t0)
        busy_cores = max(0.0, busy_frac * ncpu - (own1 - own0) / window_s)
    try:
        la = list(os.getloadavg())
    except OSError:
        la = []
    return {"time": _now(), "busy_cores_other": None if busy_cores is None else round(busy_cores, 2),
            "cpus": ncpu, "loadavg": [round(v, 2) for v in la]}


def load_warning(start: dict[str, Any], end: dict[str, Any]) -> str | None:
    """A warning when other processes kept more than BUSY_CORES_WARN cores busy."""
    worst = max((s.get("busy_cores_other") or 0.0) for s in (start, end))
    if worst > BUSY_CORES_WARN:
        return (f"machine not idle: other processes kept {worst:.2f} of "
                f"{start.get('cpus')} cores busy at the start or end of this suite; "
                "CPU timings may be inflated and noisy")
    return None


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _git() -> dict[str, Any]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return {"commit": head or None, "dirty": bool(dirty)}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _blas() -> list[dict[str, Any]]:
    try:
        import threadpoolctl
    except ImportError:
        return [{"error": "threadpoolctl not installed: BLAS kernel not recorded"}]
    return [{k: v for k, v in lib.items() if k != "filepath"} | {"file": os.path.basename(lib.get("filepath") or "")}
            for lib in threadpoolctl.threadpool_info()]


def collect() -> dict[str, Any]:
    """Everything about this machine and process worth keeping with a result."""
    import numpy as np

    cpu = cpu_info()
    return {
        "date": _now(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "cpu": cpu,
        "cpu_peak": cpu_peak_gflops(cpu),
        "gpus": gpu_info(),
        "env": {k: v for k, v in sorted(os.environ.items()) if k.startswith(ENV_PREFIXES)},
        "blas": _blas(),
        "git": _git(),
    }


def device_label(meta: dict[str, Any]) -> str:
    """A short folder-friendly name for the machine: the first GPU when a GPU target
    ran, else the CPU model and core count."""
    gpus = meta.get("gpus") or []
    if meta.get("gpu_used") and gpus:
        name = gpus[0]["name"]
    else:
        cpu = meta.get("cpu", {})
        name = f"cpu {cpu.get('model', 'unknown')} {cpu.get('usable_cpus', '?')}c"
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "unknown"
