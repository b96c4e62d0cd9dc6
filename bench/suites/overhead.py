"""``overhead``: per-call microseconds on tiny float32 arrays, and import time.

``add`` and ``log`` on 100 elements and ``matmul`` of 10x10 @ 10x10 (100 elements):
the work is negligible, so the time is the library's Python-to-kernel path. The report
shows each target's difference from the baseline (NumPy called directly), which for
``ng:numpy`` is nigiri's own overhead (target, issue 3: <= 3 us per call). The extra
section times ``import nigiri`` (and ``import numpy`` alone) in fresh interpreters
(target: < 0.3 s), with the slowest modules from ``python -X importtime``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Any

from ..registry import SuiteContext, Task, register_suite
from ._common import binary_task, matmul_task, unary_task

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMPORT_TARGET_S = 0.3
CALL_TARGET_US = 3.0


def _time_import(module: str, repeats: int) -> list[float]:
    code = ("import time; t = time.perf_counter(); import " + module +
            "; print(time.perf_counter() - t)")
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = []
    for _ in range(repeats + 1):  # the first run warms the file cache and is dropped
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, cwd=ROOT, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"import {module} failed: {res.stderr.strip().splitlines()[-1:]}")
        out.append(float(res.stdout.strip().splitlines()[-1]))
    return out[1:]


def _top_imports(module: str, top: int = 8) -> list[dict[str, Any]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    rows = []
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        parts = [p.strip() for p in line[len("import time:"):].split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            rows.append({"module": parts[2].strip(), "self_us": int(parts[0]),
                         "cumulative_us": int(parts[1])})
    rows.sort(key=lambda r: r["self_us"], reverse=True)
    return rows[:top]


def import_times(ctx: SuiteContext) -> dict[str, Any]:
    """``import nigiri`` and ``import numpy`` in fresh interpreters (seconds)."""
    repeats = 2 if ctx.quick else 7
    out: dict[str, Any] = {"import_target_s": IMPORT_TARGET_S, "call_target_us": CALL_TARGET_US}
    for module in ("nigiri", "numpy"):
        try:
            samples = _time_import(module, repeats)
            out[f"import_{module}"] = {"samples_s": samples,
                                       "median_s": statistics.median(samples)}
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as exc:
            out[f"import_{module}"] = {"error": str(exc)}
    try:
        out["import_nigiri_top"] = _top_imports("nigiri")
    except (OSError, subprocess.SubprocessError) as exc:
        out["import_nigiri_top"] = [{"error": str(exc)}]
    return out


@register_suite("overhead", description="per-call overhead on 100-element float32 arrays (us), import time",
                metric="us", extra=import_times)
def tasks(ctx: SuiteContext) -> list[Task]:
    return [
        binary_task("add", (100,), name="add 100"),
        unary_task("log", (100,), name="log 100"),
        matmul_task(10, 10, 10, name="matmul 10x10 @ 10x10"),
    ]
