"""Benchmark of the numba backend against the numpy backend, in one process.

    python bench/numba_backend.py [--out bench/results] [--quick] [--no-compile]

Tasks (float32, data on the host; the median over trials of the time per call,
after warm-up, with the minimum alongside because the machine is shared):
  * 1000x1000 add and log, through nigiri's public API on each device;
  * a 5-op elementwise chain log(exp(-((x*a + y) - b)**2) + a) on 1000x1000: the
    composite through the public API on both devices, and on numba also the fused
    one-pass kernel (the ``chain5`` fast path);
  * sum and max over 10**7 elements (public API);
  * softmax over 4096x1000 along the last axis: the composite (max, subtract, exp,
    sum, divide through the public API) on both devices, and numba's ``softmax``
    fast path;
  * conv2d forward of a LeNet layer, 64x20x12x12 -> 50 channels, 5x5: numba's
    ``conv2d_forward`` fast path against the NumPy reference path (im2col with
    ``sliding_window_view`` + one ``tensordot`` on the host, what the numpy backend
    can do without a fast path);
  * first-call latency per kernel in a fresh process: cold (empty kernel cache) and
    warm (the on-disk cache from the cold run).
Targets (issue 5): numba >= 1.5x faster than numpy on the chain, softmax and conv2d;
never more than 1.2x slower on anything. Writes numba_backend.json and
numba_backend.md (device, versions, date, machine load at start and end).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, Callable

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import nigiri as ng  # noqa: E402
from nigiri import backends as registry  # noqa: E402


def _load() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def timeit(fn: Callable[[], Any], budget: float, trials: int) -> tuple[float, float]:
    """(median, min) milliseconds per call over ``trials`` loops of about ``budget`` s."""
    fn()
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    reps = max(1, int(budget / one))
    times = []
    for _ in range(trials):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t0) / reps * 1e3)
    return statistics.median(times), min(times)


# ------------------------------------------------------------------ the tasks
def _chain(x: Any, y: Any, a: float, b: float) -> Any:
    t = x * a + y
    t = t - b
    t = t * t
    return ng.log(ng.exp(-t) + a)


def _softmax(x: Any) -> Any:
    e = ng.exp(x - ng.max(x, axis=-1, keepdims=True))
    return e / ng.sum(e, axis=-1, keepdims=True)


def conv2d_numpy(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The NumPy reference path: im2col by strided view, one tensordot (BLAS)."""
    kh, kw = w.shape[2:]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    y = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))  # N, Ho, Wo, O
    return np.ascontiguousarray(y.transpose(0, 3, 1, 2)) + b[None, :, None, None]


def run_tasks(quick: bool) -> list[dict[str, Any]]:
    budget, trials = (0.05, 3) if quick else (0.3, 7)
    rng = np.random.default_rng(0)
    import numba

    nb = registry.get_device("numba")
    threads = numba.get_num_threads()
    rows: list[dict[str, Any]] = []

    def row(task: str, numpy_fn: Callable, numba_fn: Callable, how: str,
            check: Callable[[], float] | None = None) -> None:
        npm, npmin = timeit(numpy_fn, budget, trials)
        nbm, nbmin = timeit(numba_fn, budget, trials)
        numba.set_num_threads(1)
        try:
            n1m, n1min = timeit(numba_fn, budget, trials)
        finally:
            numba.set_num_threads(threads)
        rec = {"task": task, "numba_path": how, "numpy_ms": round(npm, 4),
               "numpy_min_ms": round(npmin, 4), "numba_ms": round(nbm, 4),
               "numba_min_ms": round(nbmin, 4), "speedup": round(npm / nbm, 3),
               "speedup_min": round(npmin / nbmin, 3), "numba_1thread_ms": round(n1m, 4),
               "numba_1thread_min_ms": round(n1min, 4), "speedup_1thread": round(npm / n1m, 3)}
        if check is not None:
            rec["max_abs_diff"] = check()
        rows.append(rec)
        print(f"{task:38s} numpy {npm:9.3f} ms  numba {nbm:9.3f} ms  x{npm / nbm:5.2f}"
              f"  1 thread {n1m:9.3f} ms x{npm / n1m:5.2f} ({how})", flush=True)

    def diff(a: Any, b: Any) -> float:
        return float(np.max(np.abs(ng.to_numpy(a).astype(np.float64)
                                   - ng.to_numpy(b).astype(np.float64))))

    h = rng.random((1000, 1000), dtype=np.float32) + 0.5
    h2 = rng.random((1000, 1000), dtype=np.float32)
    xn, yn = ng.asarray(h, device="numpy"), ng.asarray(h2, device="numpy")
    xb, yb = ng.asarray(h, device="numba"), ng.asarray(h2, device="numba")
    row("add 1000x1000", lambda: xn + yn, lambda: xb + yb, "API, add kernel",
        lambda: diff(xn + yn, xb + yb))
    row("log 1000x1000", lambda: ng.log(xn), lambda: ng.log(xb), "API, log kernel",
        lambda: diff(ng.log(xn), ng.log(xb)))
    row("5-op chain 1000x1000 (composite)", lambda: _chain(xn, yn, 0.5, 0.25),
        lambda: _chain(xb, yb, 0.5, 0.25), "API, 5 kernels",
        lambda: diff(_chain(xn, yn, 0.5, 0.25), _chain(xb, yb, 0.5, 0.25)))
    fused = nb.fast_path("chain5")
    row("5-op chain 1000x1000 (fused)", lambda: _chain(xn, yn, 0.5, 0.25),
        lambda: fused(xb._buf, yb._buf, 0.5, 0.25), "chain5 fast path (one kernel)",
        lambda: diff(_chain(xn, yn, 0.5, 0.25), ng.asarray(fused(xb._buf, yb._buf, 0.5, 0.25))))
    big = rng.standard_normal(10**7).astype(np.float32)
    bn, bb = ng.asarray(big, device="numpy"), ng.asarray(big, device="numba")
    row("sum 10^7", lambda: ng.sum(bn), lambda: ng.sum(bb), "API, reduce kernel",
        lambda: diff(ng.sum(bn), ng.sum(bb)))
    row("max 10^7", lambda: ng.max(bn), lambda: ng.max(bb), "API, reduce kernel",
        lambda: diff(ng.max(bn), ng.max(bb)))
    s = rng.standard_normal((4096, 1000)).astype(np.float32)
    sn, sb = ng.asarray(s, device="numpy"), ng.asarray(s, device="numba")
    row("softmax 4096x1000 (composite)", lambda: _softmax(sn), lambda: _softmax(sb),
        "API, 5 kernels", lambda: diff(_softmax(sn), _softmax(sb)))
    sm = nb.fast_path("softmax")
    row("softmax 4096x1000 (fast path)", lambda: _softmax(sn), lambda: sm(sb._buf, -1),
        "softmax fast path", lambda: diff(_softmax(sn), ng.asarray(sm(sb._buf, -1))))
    x = rng.standard_normal((64, 20, 12, 12)).astype(np.float32)
    w = (rng.standard_normal((50, 20, 5, 5)) * 0.1).astype(np.float32)
    b = rng.standard_normal(50).astype(np.float32)
    conv = nb.fast_path("conv2d_forward")
    row("conv2d fwd 64x20x12x12 -> 50, 5x5", lambda: conv2d_numpy(x, w, b),
        lambda: conv(x, w, b, 1, 0, 1, 1), "conv2d_forward fast path (task-parallel im2col + BLAS)",
        lambda: float(np.max(np.abs(conv2d_numpy(x, w, b) - conv(x, w, b, 1, 0, 1, 1)))))
    return rows


# ------------------------------------------------------------ compile latency
_PROBE = r"""
import time, json, numpy as np
import nigiri as ng
from nigiri import backends as registry
nb = registry.get_device("numba")
rng = np.random.default_rng(0)
x = ng.asarray(rng.random((1000, 1000), dtype=np.float32) + 0.5, device="numba")
y = ng.asarray(rng.random((1000, 1000), dtype=np.float32), device="numba")
big = ng.asarray(rng.standard_normal(10**7).astype(np.float32), device="numba")
c = rng.standard_normal((64, 20, 12, 12)).astype(np.float32)
w = rng.standard_normal((50, 20, 5, 5)).astype(np.float32)
out = {}
def first(name, fn):
    t = time.perf_counter(); fn(); out[name] = round(time.perf_counter() - t, 4)
first("add", lambda: x + y)
first("log", lambda: ng.log(x))
first("chain5 (fused)", lambda: nb.fast_path("chain5")(x._buf, y._buf, 0.5, 0.25))
first("sum", lambda: ng.sum(big))
first("max", lambda: ng.max(big))
first("softmax (fast path)", lambda: nb.fast_path("softmax")(x._buf, -1))
first("conv2d_forward", lambda: nb.fast_path("conv2d_forward")(c, w, None, 1, 0, 1, 1))
print("JSON" + json.dumps(out))
"""


def compile_latency() -> dict[str, dict[str, float]]:
    """First-call seconds per kernel in fresh processes: cold and warm cache."""
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NIGIRI_CACHE_DIR=os.path.join(tmp, "nigiri"),
                   NUMBA_CACHE_DIR=os.path.join(tmp, "numba"),
                   PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        res = {}
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                                  text=True, check=True)
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("JSON")][-1]
            res[label] = json.loads(line[4:])
            res[label]["process total"] = round(time.perf_counter() - t0, 3)
            print(f"compile {label}: {res[label]}", flush=True)
    return {k: {"cold_s": res["cold"][k], "warm_s": res["warm"][k]} for k in res["cold"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--quick", action="store_true", help="short timings (smoke test)")
    ap.add_argument("--no-compile", action="store_true", help="skip the latency runs")
    args = ap.parse_args()
    import numba

    load_start = _load()
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    latency = {} if args.no_compile else compile_latency()
    rows = run_tasks(args.quick)
    nb = registry.get_device("numba")
    meta = {
        "date": started, "cpu": _cpu(), "cpus": os.cpu_count(),
        "numba_threads": numba.get_num_threads(), "threading_layer": nb.describe()["threading_layer"],
        "python": platform.python_version(), "versions": registry.backend_class("numba").versions(),
        "load_start": load_start, "load_end": _load(), "quick": args.quick,
        "note": "load_start/load_end: other processes on the machine during the measurement",
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "numba_backend.json"), "w") as fh:
        json.dump({"meta": meta, "tasks": rows, "compile_latency": latency}, fh, indent=2)
    lines = [
        "# numba backend vs numpy backend",
        "",
        f"{meta['date']}, {meta['cpu']} ({meta['cpus']} CPUs, numba threads "
        f"{meta['numba_threads']}, layer {meta['threading_layer']}), Python {meta['python']}, "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f". Load average at start {load_start}, at end {meta['load_end']}.",
        "",
        f"| task | numpy ms (median / min) | numba {meta['numba_threads']} threads ms "
        "(median / min) | speedup | numba 1 thread ms (median / min) | speedup | numba path |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['task']} | {r['numpy_ms']:.3f} / {r['numpy_min_ms']:.3f} | "
                     f"{r['numba_ms']:.3f} / {r['numba_min_ms']:.3f} | {r['speedup']:.2f}x | "
                     f"{r['numba_1thread_ms']:.3f} / {r['numba_1thread_min_ms']:.3f} | "
                     f"{r['speedup_1thread']:.2f}x | {r['numba_path']} |")
    if latency:
        lines += ["", "First call in a fresh process (seconds; includes compiling or loading "
                  "every kernel the call needs):", "", "| kernel | cold cache | warm cache |",
                  "|---|---|---|"]
        for k, v in latency.items():
            lines.append(f"| {k} | {v['cold_s']:.3f} | {v['warm_s']:.3f} |")
    with open(os.path.join(args.out, "numba_backend.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
