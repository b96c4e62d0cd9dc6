"""Per-call overhead of the ``nigiri.matlab`` facade versus the nigiri array API and
NumPy on small (10x10 float32) matrices, on the numpy backend.

Usage: ``python bench/matlab_overhead.py [--out bench/results/matlab_overhead.json]``.
Records machine load at start and end (DESIGN section 9); figures are medians of
repeated timing runs, in microseconds per call.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import timeit
from typing import Any, Callable

import numpy as np

import nigiri as ng
import nigiri.matlab as M


def _time(fn: Callable[[], Any], number: int = 2000, repeat: int = 7) -> float:
    runs = timeit.repeat(fn, number=number, repeat=repeat)
    return float(np.median(runs)) / number * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="bench/results/matlab_overhead.json")
    args = parser.parse_args()
    load_start = os.getloadavg()
    a_np = np.arange(100, dtype=np.float32).reshape(10, 10)
    a_ng = ng.asarray(a_np)
    A = M.Matrix(a_np)
    B = M.Matrix(a_np)
    cases = {
        "plus (A + B)": (lambda: A + B, lambda: a_ng + a_ng, lambda: a_np + a_np),
        "mtimes (A * B)": (lambda: A * B, lambda: a_ng @ a_ng, lambda: a_np @ a_np),
        "times (A .* B)": (lambda: A.times(B), lambda: a_ng * a_ng, lambda: a_np * a_np),
        "get scalar A(3,4)": (lambda: A.get(3, 4), lambda: a_ng[2, 3], lambda: a_np[2, 3]),
        "set scalar A(3,4) = 1": (lambda: A.set(3, 4, 1.0), lambda: a_ng.__setitem__((2, 3), 1.0),
                                  lambda: a_np.__setitem__((2, 3), 1.0)),
        "sum(A, 1)": (lambda: M.sum(A, 1), lambda: ng.sum(a_ng, axis=0), lambda: a_np.sum(axis=0)),
        "reshape(A, 20, 5)": (lambda: M.reshape(A, 20, 5), lambda: ng.reshape(a_ng, (20, 5)),
                              lambda: a_np.reshape(20, 5)),
        "A > 50 (comparison)": (lambda: A > 50, lambda: a_ng > 50, lambda: a_np > 50),
    }
    results = []
    for name, (fac, core, raw) in cases.items():
        results.append({"case": name, "facade_us": round(_time(fac), 2),
                        "nigiri_us": round(_time(core), 2), "numpy_us": round(_time(raw), 2)})
    load_end = os.getloadavg()
    record = {
        "benchmark": "matlab_overhead",
        "device": "numpy (host CPU)",
        "cpu": platform.processor() or platform.machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "nigiri": ng.__version__},
        "load_avg_1min": {"start": load_start[0], "end": load_end[0]},
        "cpus": os.cpu_count(),
        "results": results,
    }
    if max(load_start[0], load_end[0]) > 0.5 * (os.cpu_count() or 1):
        print("warning: the machine was busy; figures are noisy", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump(record, fh, indent=2)
    width = max(len(r["case"]) for r in results)
    print(f"{'case':<{width}}  facade us  nigiri us  numpy us")
    for r in results:
        print(f"{r['case']:<{width}}  {r['facade_us']:9.2f}  {r['nigiri_us']:9.2f}  {r['numpy_us']:8.2f}")
    print(f"load avg (1 min) start {load_start[0]:.2f} end {load_end[0]:.2f} on {os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
