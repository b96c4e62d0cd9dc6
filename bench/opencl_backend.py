"""OpenCL backend benchmarks (issue 6).

CPU (PoCL), ``--mode cpu``: SGEMM 1024 against NumPy's BLAS, and the paper's Table 1
tasks (1000x1000 add, 1000x1000 log, 1000x100 @ 100x10, 1000x1000 @ 1000x1000)
against the numpy backend, through the nigiri API.
GPU, ``--mode gpu``: SGEMM at 1024/2048/4096/8192 against cuBLAS FP32 through CuPy
(strict FP32: CuPy's default; CUPY_TF32 must be unset) in the same run, and a
64M-element float32 add as a fraction of the device's measured copy bandwidth.

Usage: ``python bench/opencl_backend.py --mode cpu|gpu [--device opencl:0] [--out FILE]``.
The GEMM autotuner runs first (its choice is cached per device) and its table is kept
in the results. Each figure is the median of timed runs after a warm-up; every run
ends with ``synchronize``. Machine load is recorded at start and end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from typing import Any, Callable

import numpy as np

import nigiri as ng


def _median_time(fn: Callable[[], Any], sync: Callable[[], Any], reps: int,
                 min_time: float = 0.0) -> float:
    fn()
    sync()
    times = []
    t_start = time.perf_counter()
    while len(times) < reps or (time.perf_counter() - t_start < min_time and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def _gemm_nigiri(dev: str, n: int, reps: int) -> float:
    rng = np.random.default_rng(0)
    a = ng.asarray(rng.standard_normal((n, n)).astype(np.float32), device=dev)
    b = ng.asarray(rng.standard_normal((n, n)).astype(np.float32), device=dev)
    t = _median_time(lambda: ng.matmul(a, b), lambda: ng.synchronize(dev), reps)
    return 2.0 * n**3 / t / 1e9


def _check_gemm(dev: str, n: int) -> float:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    got = ng.to_numpy(ng.matmul(ng.asarray(a, device=dev), ng.asarray(b, device=dev)))
    want = a.astype(np.float64) @ b.astype(np.float64)
    bound = 4 * np.finfo(np.float32).eps * np.sqrt(n) * (np.abs(a).astype(np.float64) @ np.abs(b))
    return float((np.abs(got - want) / bound).max())


def cpu(dev: str, reps: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    out: dict[str, Any] = {}
    n = 1024
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    t_np = _median_time(lambda: a @ b, lambda: None, reps)
    gf_np = 2.0 * n**3 / t_np / 1e9
    gf_cl = _gemm_nigiri(dev, n, reps)
    out["sgemm_1024"] = {"opencl_gflops": gf_cl, "numpy_blas_gflops": gf_np,
                         "ratio": gf_cl / gf_np, "target_ratio": 0.25,
                         "max_err_over_bound": _check_gemm(dev, 256)}
    x1 = rng.uniform(0.1, 1, (1000, 1000)).astype(np.float32)
    x2 = rng.uniform(0.1, 1, (1000, 1000)).astype(np.float32)
    s1 = rng.standard_normal((1000, 100)).astype(np.float32)
    s2 = rng.standard_normal((100, 10)).astype(np.float32)
    tasks = {
        "add 1000x1000": (lambda d: (ng.asarray(x1, device=d), ng.asarray(x2, device=d)), ng.add),
        "log 1000x1000": (lambda d: (ng.asarray(x1, device=d),), ng.log),
        "matmul 1000x100 @ 100x10": (lambda d: (ng.asarray(s1, device=d), ng.asarray(s2, device=d)),
                                     ng.matmul),
        "matmul 1000x1000 @ 1000x1000": (lambda d: (ng.asarray(x1, device=d), ng.asarray(x2, device=d)),
                                         ng.matmul),
    }
    table = []
    for name, (make, fn) in tasks.items():
        row = {"task": name}
        for d in ("numpy", dev):
            args = make(d)
            row[f"{d.split(':')[0]}_ms"] = 1e3 * _median_time(
                lambda fn=fn, args=args: fn(*args), lambda d=d: ng.synchronize(d), reps)
        row["speedup_vs_numpy"] = row["numpy_ms"] / row["opencl_ms"]
        table.append(row)
    out["table1"] = table
    return out


def gpu(dev: str, reps: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        import cupy as cp
        out["cupy"] = cp.__version__
        out["CUPY_TF32"] = os.environ.get("CUPY_TF32", "unset")
    except ImportError:
        cp = None
        out["cupy"] = "not installed"
    rows = []
    for n in (1024, 2048, 4096, 8192):
        row: dict[str, Any] = {"n": n, "opencl_tflops": _gemm_nigiri(dev, n, reps) / 1e3}
        if cp is not None:
            a = cp.random.standard_normal((n, n), dtype=cp.float32)
            b = cp.random.standard_normal((n, n), dtype=cp.float32)
            t = _median_time(lambda a=a, b=b: a @ b, cp.cuda.runtime.deviceSynchronize, reps)
            row["cublas_tflops"] = 2.0 * n**3 / t / 1e12
            row["ratio"] = row["opencl_tflops"] / row["cublas_tflops"]
            del a, b
            cp.get_default_memory_pool().free_all_blocks()
        rows.append(row)
        print(row, flush=True)
    out["sgemm"] = rows
    out["sgemm_target"] = "4096: >= 0.5 of cuBLAS FP32"
    out["sgemm_max_err_over_bound_1000"] = _check_gemm(dev, 1000)
    # 64M-element add vs copy bandwidth
    from nigiri.backends import get_device

    backend = get_device(dev)
    n = 64 * 2**20
    x = ng.asarray(np.ones(n, np.float32), device=dev)
    y = ng.asarray(np.full(n, 2.0, np.float32), device=dev)
    t_add = _median_time(lambda: ng.add(x, y), lambda: ng.synchronize(dev), reps)
    rt = backend.rt
    src, dst = x._buf, backend.empty((n,), np.dtype(np.float32))

    def copy() -> None:
        rt.cl.enqueue_copy(rt.queue, dst.base, src.base, byte_count=n * 4)

    t_copy = _median_time(copy, rt.finish, reps)
    t_kcopy = _median_time(lambda: backend.copy(src), rt.finish, reps)
    add_bw = 3 * 4 * n / t_add / 1e9
    copy_bw = 2 * 4 * n / t_copy / 1e9
    out["add_64M"] = {"add_ms": t_add * 1e3, "add_GBps": add_bw, "copy_ms": t_copy * 1e3,
                      "copy_GBps (clEnqueueCopyBuffer)": copy_bw,
                      "copy_kernel_GBps (nigiri copy)": 2 * 4 * n / t_kcopy / 1e9,
                      "fraction_of_copy": add_bw / copy_bw, "target_fraction": 0.7}
    if cp is not None:
        cx = cp.ones(n, cp.float32)
        cy = cp.empty_like(cx)
        t = _median_time(lambda: cy.__setitem__(Ellipsis, cx), cp.cuda.runtime.deviceSynchronize, reps)
        out["add_64M"]["cupy_copy_GBps"] = 2 * 4 * n / t / 1e9
    # the device's copy bandwidth: the best of the copies measured in this run
    best = max(v for k, v in out["add_64M"].items() if "copy" in k and "GBps" in k)
    out["add_64M"]["best_copy_GBps"] = best
    out["add_64M"]["fraction_of_best_copy"] = add_bw / best
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--device", default="opencl:0")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--no-tune", action="store_true", help="skip the autotuner run")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    load_start = os.getloadavg()
    from nigiri.backends import get_device

    backend = get_device(args.device)
    record: dict[str, Any] = {
        "benchmark": f"opencl_backend_{args.mode}",
        "device": backend.describe(),
        "host": {"cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                 "python": sys.version.split()[0]},
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {**type(backend).versions(), "nigiri": ng.__version__},
    }
    if not args.no_tune:
        t0 = time.perf_counter()
        tune = backend.tune_gemm(np.float32, size=2048 if args.mode == "gpu" else 1024)
        tune["tuning_seconds"] = time.perf_counter() - t0
        record["gemm_autotune"] = tune
        print("autotune:", tune["config"], f"{tune['tuning_seconds']:.1f} s", flush=True)
    record["gemm_config"] = backend.gemm_config(np.dtype(np.float32))
    record.update(cpu(args.device, args.reps) if args.mode == "cpu" else gpu(args.device, args.reps))
    load_end = os.getloadavg()
    record["load_avg_1min"] = {"start": load_start[0], "end": load_end[0]}
    if args.mode == "cpu" and max(load_start[0], load_end[0]) > 0.5 * (os.cpu_count() or 1):
        record["warning"] = "the machine was busy (load above half the cores); CPU figures are noisy"
        print("warning:", record["warning"], file=sys.stderr)
    out = args.out or f"bench/results/opencl_backend_{args.mode}.json"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as fh:
        json.dump(record, fh, indent=2, default=str)
    print(json.dumps({k: v for k, v in record.items() if k not in ("gemm_autotune", "device")},
                     indent=1, default=str))


if __name__ == "__main__":
    main()
