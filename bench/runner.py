"""Run a suite over targets: check each result, then time it, and keep everything.

For every (task, target): put the host inputs on the target, run once, bring the result
back and check it against the float64 reference (``Task.check``); only a correct result
is timed (``bench.timer.measure``). Every outcome is a record with a status:

``ok`` (timed), ``wrong`` (failed the check: no time is reported), ``unsupported``
(the target lacks the op), ``error`` (it raised), ``unavailable`` (the target cannot
be used here: the reason is in the target's description), ``skipped`` (the task is
not meant for this target, e.g. GPU-only sizes).
"""

from __future__ import annotations

import gc
import sys
import time
import traceback
from typing import Any

import numpy as np

from . import env
from .registry import Suite, SuiteContext, Task
from .targets import Target, Unsupported
from .timer import TimerConfig, measure

__all__ = ["run_suite", "SCHEMA"]

SCHEMA = 1


def _short(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {msg[0][:300] if msg else ''}"


def _run_one(task: Task, target: Target, host: tuple, expected: np.ndarray,
             config: TimerConfig) -> dict[str, Any]:
    rec: dict[str, Any] = {"task": task.name, "target": target.name}
    if not target.available:
        rec["status"] = "unavailable"
        return rec
    verdict = True if task.targets is None else task.targets(target)
    if verdict is not True:
        rec["status"] = "skipped"
        rec["message"] = verdict if isinstance(verdict, str) else "task not run on this target"
        return rec
    try:
        call, to_host = task.bound(target, host)
        t_first = time.perf_counter()
        result = call()
        target.sync()
        rec["first_call_s"] = time.perf_counter() - t_first  # includes JIT compilation
        got = np.asarray(to_host(result))
    except Unsupported as exc:
        rec.update(status="unsupported", message=str(exc))
        return rec
    except NotImplementedError as exc:
        rec.update(status="unsupported", message=_short(exc))
        return rec
    except Exception as exc:
        rec.update(status="error", message=_short(exc),
                   traceback=traceback.format_exc(limit=6))
        return rec
    ok, err, bound = task.check(got, expected, host)
    rec["check"] = {"ok": ok, "max_abs_error": err, "bound": bound,
                    "dtype": str(got.dtype), "shape": list(got.shape)}
    if not ok:
        rec.update(status="wrong", message=f"result differs from the numpy reference: "
                   f"|error| {err:.3g} > bound {bound:.3g}")
        return rec
    del result, got
    try:
        m = measure(call, target.sync, config, target.event_timer)
    except Exception as exc:
        rec.update(status="error", message="while timing: " + _short(exc))
        return rec
    rec["status"] = "ok"
    rec["timing"] = m.as_dict()
    med = m.median_s
    if task.flops:
        rec["gflops"] = task.flops / med / 1e9
    if task.bytes:
        rec["gbs"] = task.bytes / med / 1e9
    return rec


def run_suite(suite: Suite, targets: list[Target], config: TimerConfig, *, quick: bool,
              baseline: str | None = None, verbose: bool = True,
              meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run ``suite`` over ``targets`` and return its result (plain data for JSON)."""
    ctx = SuiteContext(quick=quick, targets=targets, timer=config)
    window = 0.2 if quick else 1.0
    load_start = env.load_sample(window)
    t0 = time.perf_counter()
    tasks = suite.tasks(ctx)
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"suite {suite.name!r}: task names must be unique, got {names}")
    records: list[dict[str, Any]] = []
    for task in tasks:
        host = task.inputs()
        expected = np.asarray(task.reference(*host))
        for target in targets:
            rec = _run_one(task, target, host, expected, config)
            records.append(rec)
            if verbose:
                _print_record(suite.name, rec)
            gc.collect()
        del host, expected
    extra = suite.extra(ctx) if suite.extra is not None else {}
    load_end = env.load_sample(window)
    meta = dict(meta) if meta is not None else env.collect()
    meta["gpu_used"] = any(t.available and t.device_class == "gpu" for t in targets)
    available = [t.name for t in targets if t.available]
    if baseline is None:
        baseline = "numpy" if "numpy" in available else (available[0] if available else None)
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "suite": suite.name,
        "description": suite.description,
        "metric": suite.metric,
        "plots": list(suite.plots),
        "quick": quick,
        "command": sys.argv,
        "timer": config.as_dict(),
        "baseline": baseline,
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "meta": meta,
        "load": {"start": load_start, "end": load_end,
                 "warning": env.load_warning(load_start, load_end)},
        "targets": [t.describe() for t in targets],
        "tasks": [t.describe() for t in tasks],
        "records": records,
        "extra": extra,
    }
    if suite.reference_row is not None:
        out["reference_row"] = suite.reference_row()
    if out["load"]["warning"] and verbose:
        print(f"[{suite.name}] WARNING: {out['load']['warning']}", file=sys.stderr)
    return out


def _print_record(suite: str, rec: dict[str, Any]) -> None:
    status = rec["status"]
    if status == "ok":
        t = rec["timing"]
        what = f"{t['median_s'] * 1e3:10.4f} ms  (IQR {t['iqr_s'] * 1e3:.4f}, n={t['n']}x{t['number']})"
        if "gflops" in rec:
            what += f"  {rec['gflops']:.1f} GFLOP/s"
        if "gbs" in rec:
            what += f"  {rec['gbs']:.1f} GB/s"
    else:
        what = status + (f": {rec['message']}" if rec.get("message") else "")
    print(f"[{suite}] {rec['task']:<28} {rec['target']:<16} {what}", flush=True)
