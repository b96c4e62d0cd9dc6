"""Benchmark of the cupy backend against raw CuPy and PyTorch, in one process on one GPU.

    python bench/cupy_backend.py [--out bench/results] [--quick]

Tasks (data resident on the GPU; CUDA events around a loop of calls, after warm-up;
the median over trials of the time per call):
  * the paper's Table 1: 1000x1000 add, 1000x1000 log, 1000x100 @ 100x10,
    1000x1000 @ 1000x1000 (float32) -- nigiri through its public API, nigiri's
    backend primitive alone, raw CuPy, PyTorch;
  * SGEMM 4096 in strict IEEE float32 (and with TF32 opted in, for reference);
  * conv2d forward + backward (dx, dw, db), 64x128x56x56 -> 256 channels, 3x3,
    padding 1, float32 strict and TF32-opted-in, against PyTorch at the same setting.
Targets: Table 1 within 1.3x of raw CuPy; SGEMM within 5% of cuBLAS (raw CuPy);
conv2d at least as fast as PyTorch. Writes cupy_backend.json and cupy_backend.md.
Peers that are not installed are reported as "not installed".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
from typing import Any, Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import nigiri as ng  # noqa: E402
from nigiri import backends as registry  # noqa: E402


def _load() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def time_gpu(cp: Any, fn: Callable[[], Any], reps: int, trials: int, warmup: int = 3) -> float:
    """Median milliseconds per call of ``fn`` over ``trials`` loops of ``reps`` calls."""
    for _ in range(warmup):
        fn()
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(trials):
        start, stop = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        for _ in range(reps):
            fn()
        stop.record()
        stop.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, stop) / reps)
    return statistics.median(times)


def _warm_gpu(cp: Any, seconds: float = 1.0) -> None:
    """Keep the GPU busy for a moment so clocks are up before the first timing."""
    a = cp.ones((4096, 4096), cp.float32)
    start = cp.cuda.Event()
    start.record()
    while True:
        for _ in range(10):
            a @ a
        stop = cp.cuda.Event()
        stop.record()
        stop.synchronize()
        if cp.cuda.get_elapsed_time(start, stop) > seconds * 1e3:
            return


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def _table1_fns(cp: Any, torch: Any, be: Any, op: str, a: np.ndarray, b: Any) -> dict[str, Any]:
    na = ng.asarray(a, device="cupy:0")
    nb = ng.asarray(b, device="cupy:0") if b is not None else None
    ca, cb = cp.asarray(a), (cp.asarray(b) if b is not None else None)
    if op == "add":
        fns = {"nigiri": lambda: na + nb, "nigiri primitive": lambda: be.binary("add", na._buf, nb._buf),
               "cupy": lambda: ca + cb}
    elif op == "log":
        fns = {"nigiri": lambda: ng.log(na), "nigiri primitive": lambda: be.unary("log", na._buf),
               "cupy": lambda: cp.log(ca)}
    else:
        fns = {"nigiri": lambda: na @ nb, "nigiri primitive": lambda: be.matmul(na._buf, nb._buf),
               "cupy": lambda: ca @ cb}
    if torch is not None:
        ta = torch.as_tensor(a, device="cuda")
        tb = torch.as_tensor(b, device="cuda") if b is not None else None
        fns["torch"] = {"add": lambda: ta + tb, "log": lambda: torch.log(ta),
                        "matmul": lambda: ta @ tb}[op]
    return fns


def table1(cp: Any, torch: Any, quick: bool) -> list[dict[str, Any]]:
    be = registry.get_device("cupy:0")
    rng = np.random.default_rng(0)
    trials = 5 if quick else 15
    rows = []
    tasks = [
        ("add 1000x1000", (1000, 1000), (1000, 1000), "add", 200),
        ("log 1000x1000", (1000, 1000), None, "log", 200),
        ("matmul 1000x100 @ 100x10", (1000, 100), (100, 10), "matmul", 500),
        ("matmul 1000x1000 @ 1000x1000", (1000, 1000), (1000, 1000), "matmul", 50),
    ]
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = False
    for name, sa, sb, op, reps in tasks:
        a = rng.uniform(0.5, 2.0, sa).astype(np.float32)
        b = rng.uniform(0.5, 2.0, sb).astype(np.float32) if sb else None
        fns = _table1_fns(cp, torch, be, op, a, b)
        row: dict[str, Any] = {"task": name, "reps": reps}
        for impl, fn in fns.items():
            row[impl + " ms"] = time_gpu(cp, fn, reps, trials)
        if torch is None:
            row["torch ms"] = "not installed"
        row["nigiri / cupy"] = row["nigiri ms"] / row["cupy ms"]
        row["target"] = "<= 1.3x cupy"
        row["met"] = row["nigiri / cupy"] <= 1.3
        rows.append(row)
    return rows


def sgemm(cp: Any, torch: Any, quick: bool) -> list[dict[str, Any]]:
    n = 4096
    rng = np.random.default_rng(1)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    na, nb = ng.asarray(a, device="cupy:0"), ng.asarray(b, device="cupy:0")
    ca, cb = cp.asarray(a), cp.asarray(b)
    trials, reps = (5, 5) if quick else (11, 10)
    flop = 2.0 * n ** 3
    out = []
    for tf32 in (False, True):
        row: dict[str, Any] = {"task": f"SGEMM {n} {'TF32 opted in' if tf32 else 'strict FP32'}"}
        with ng.use(allow_tf32=tf32):
            row["nigiri ms"] = time_gpu(cp, lambda: na @ nb, reps, trials)
        if not tf32:  # CuPy's matmul is strict FP32 unless CUPY_TF32 is set at import
            row["cupy (cuBLAS) ms"] = time_gpu(cp, lambda: ca @ cb, reps, trials)
        if torch is not None:
            torch.backends.cuda.matmul.allow_tf32 = tf32
            ta, tb = torch.as_tensor(a, device="cuda"), torch.as_tensor(b, device="cuda")
            row["torch ms"] = time_gpu(cp, _bind(torch.matmul, ta, tb), reps, trials)
        for key in [k for k in row if k.endswith(" ms")]:
            row[key.replace(" ms", " TFLOP/s")] = flop / (row[key] * 1e-3) / 1e12
        if not tf32:
            row["nigiri / cuBLAS"] = row["nigiri ms"] / row["cupy (cuBLAS) ms"]
            row["target"] = "<= 1.05x cuBLAS"
            row["met"] = row["nigiri / cuBLAS"] <= 1.05
        out.append(row)
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = False
    return out


def conv(cp: Any, torch: Any, quick: bool) -> list[dict[str, Any]]:
    from nigiri.backends.cupy.nn import conv_gemm

    be = registry.get_device("cupy:0")
    fwd, bwd = be.fast_path("conv2d_forward"), be.fast_path("conv2d_backward")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((64, 128, 56, 56)).astype(np.float32)
    w = (rng.standard_normal((256, 128, 3, 3)) * 0.05).astype(np.float32)
    bias = rng.standard_normal(256).astype(np.float32)
    dy = rng.standard_normal((64, 256, 56, 56)).astype(np.float32)
    cx, cw, cbias, cdy = (cp.asarray(v) for v in (x, w, bias, dy))
    trials, reps = (3, 3) if quick else (7, 5)
    flop = 3 * 2.0 * 64 * 256 * 56 * 56 * 128 * 9  # forward, dgrad, wgrad

    def nigiri_step():
        fwd(cx, cw, cbias, 1, 1, 1, 1)
        bwd(cx, cw, cdy, 1, 1, 1, 1, (True, True, True))

    def im2col_step():
        conv_gemm.forward(cx, cw, cbias, (1, 1), (1, 1), (1, 1), 1)
        conv_gemm.backward(cx, cw, cdy, (1, 1), (1, 1), (1, 1), 1, (True, True, True))

    out = []
    for tf32 in (False, True):
        row: dict[str, Any] = {"task": "conv2d fwd+bwd 64x128x56x56->256 3x3 "
                               + ("TF32 opted in" if tf32 else "strict FP32")}
        with ng.use(allow_tf32=tf32):
            row["nigiri ms"] = time_gpu(cp, nigiri_step, reps, trials, warmup=2)
            row["nigiri path"] = "cuDNN" if getattr(be, "cudnn_conv", None) is not None else "im2col+cuBLAS"
            if row["nigiri path"] == "cuDNN":
                row["nigiri im2col+cuBLAS ms"] = time_gpu(cp, im2col_step, max(1, reps // 2), trials, warmup=1)
                fb = be.cudnn_conv.fallbacks
                if fb:
                    row["cuDNN fallbacks"] = {str(k[0]): v[:300] for k, v in fb.items()}
            if row["nigiri path"] == "cuDNN":
                from nigiri.backends.cupy.nn import conv_cudnn

                conv_cudnn.CONCURRENT_BACKWARD = False
                row["nigiri sequential backward ms"] = time_gpu(cp, nigiri_step, reps, trials, warmup=1)
                conv_cudnn.CONCURRENT_BACKWARD = True
            row["breakdown ms"] = _nigiri_breakdown(cp, fwd, bwd, cx, cw, cbias, cdy, reps, trials)
        if torch is not None:
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            torch_step = _torch_conv_step(torch, x, w, bias, dy)
            row["torch breakdown ms"] = _torch_breakdown(cp, torch, x, w, bias, dy, reps, trials)
            for bench_mode in (False, True):
                torch.backends.cudnn.benchmark = bench_mode
                key = "torch ms" if not bench_mode else "torch (cudnn.benchmark) ms"
                row[key] = time_gpu(cp, torch_step, reps, trials, warmup=3)
            torch.backends.cudnn.benchmark = False
            row["nigiri / torch"] = row["nigiri ms"] / row["torch ms"]
            row["target"] = "<= 1.0x torch"
            row["met"] = row["nigiri / torch"] <= 1.0
        for key in [k for k in row if k.endswith(" ms") and not isinstance(row[k], dict)]:
            row[key.replace(" ms", " TFLOP/s")] = flop / (row[key] * 1e-3) / 1e12
        out.append(row)
    return out


def _nigiri_breakdown(cp, fwd, bwd, x, w, b, dy, reps, trials) -> dict[str, float]:
    one = (1, 1)
    parts = {
        "fprop": lambda: fwd(x, w, None, 1, 1, 1, 1),
        "fprop+bias": lambda: fwd(x, w, b, 1, 1, 1, 1),
        "dgrad": lambda: bwd(x, w, dy, one, one, one, 1, (True, False, False)),
        "wgrad": lambda: bwd(x, w, dy, one, one, one, 1, (False, True, False)),
        "bias grad": lambda: bwd(x, w, dy, one, one, one, 1, (False, False, True)),
    }
    return {k: time_gpu(cp, f, reps, trials, warmup=1) for k, f in parts.items()}


def _torch_breakdown(cp, torch, x, w, b, dy, reps, trials) -> dict[str, float]:
    tx, tw, tb, tdy = (torch.as_tensor(v, device="cuda") for v in (x, w, b, dy))
    conv, back = torch.ops.aten.convolution, torch.ops.aten.convolution_backward
    one = [1, 1]
    parts = {
        "fprop": lambda: conv(tx, tw, None, one, one, one, False, [0, 0], 1),
        "fprop+bias": lambda: conv(tx, tw, tb, one, one, one, False, [0, 0], 1),
        "dgrad": lambda: back(tdy, tx, tw, [256], one, one, one, False, [0, 0], 1, [True, False, False]),
        "wgrad": lambda: back(tdy, tx, tw, [256], one, one, one, False, [0, 0], 1, [False, True, False]),
        "bias grad": lambda: back(tdy, tx, tw, [256], one, one, one, False, [0, 0], 1, [False, False, True]),
    }
    return {k: time_gpu(cp, f, reps, trials, warmup=2) for k, f in parts.items()}


def _bind(fn: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: fn(*args)


def _torch_conv_step(torch: Any, x: Any, w: Any, bias: Any, dy: Any) -> Callable[[], Any]:
    tx, tw, tb, tdy = (torch.as_tensor(v, device="cuda") for v in (x, w, bias, dy))

    def step() -> None:
        torch.ops.aten.convolution(tx, tw, tb, [1, 1], [1, 1], [1, 1], False, [0, 0], 1)
        torch.ops.aten.convolution_backward(tdy, tx, tw, [256], [1, 1], [1, 1], [1, 1],
                                            False, [0, 0], 1, [True, True, True])
    return step


def batchnorm(cp: Any, torch: Any, quick: bool) -> list[dict[str, Any]]:
    """Batch norm training forward + backward, 64x256x56x56 float32 (informative)."""
    from nigiri.backends.cupy.nn import batchnorm as own

    be = registry.get_device("cupy:0")
    fwd, bwd = be.fast_path("batchnorm_forward"), be.fast_path("batchnorm_backward")
    rng = np.random.default_rng(3)
    shape, c = (64, 256, 56, 56), 256
    x = cp.asarray(rng.standard_normal(shape).astype(np.float32))
    dy = cp.asarray(rng.standard_normal(shape).astype(np.float32))
    g, b = cp.ones(c, np.float32), cp.zeros(c, np.float32)
    rm, rv = cp.zeros(c, np.float32), cp.ones(c, np.float32)
    trials, reps = (3, 5) if quick else (9, 20)

    def step(f, bk):
        def run():
            _, m, s = f(x, g, b, rm, rv, 0.1, 1e-5, True)
            bk(dy, x, g, m, s)
        return run

    from nigiri.backends.cupy import nn as cupy_nn

    row: dict[str, Any] = {"task": "batchnorm train fwd+bwd 64x256x56x56 fp32",
                           "nigiri path": "cuDNN" if cupy_nn.BATCHNORM_VIA_CUDNN and getattr(
                               be, "cudnn_bn", None) else "own kernels"}
    row["nigiri ms"] = time_gpu(cp, step(fwd, bwd), reps, trials)
    row["own kernels fwd ms"] = time_gpu(
        cp, lambda: own.forward(x, g, b, rm, rv, 0.1, 1e-5, True), reps, trials)
    if getattr(be, "cudnn_bn", None) is not None:
        row["cuDNN graph ms"] = time_gpu(cp, step(be.cudnn_bn.forward, be.cudnn_bn.backward),
                                         reps, trials)
    if torch is not None:
        tx = torch.as_tensor(x, device="cuda").requires_grad_(True)
        tdy = torch.as_tensor(dy, device="cuda")
        tg = torch.ones(c, device="cuda", requires_grad=True)
        tb = torch.zeros(c, device="cuda", requires_grad=True)
        trm, trv = torch.zeros(c, device="cuda"), torch.ones(c, device="cuda")

        def torch_step():
            y = torch.nn.functional.batch_norm(tx, trm, trv, tg, tb, True, 0.1, 1e-5)
            torch.autograd.grad(y, (tx, tg, tb), tdy)
        row["torch ms"] = time_gpu(cp, torch_step, reps, trials)
        row["nigiri / torch"] = row["nigiri ms"] / row["torch ms"]
    return [row]


def versions(cp: Any, torch: Any) -> dict[str, Any]:
    out = {"python": platform.python_version(), "nigiri": ng.__version__}
    out.update(registry.backend_class("cupy").versions())
    if torch is not None:
        out["torch"] = torch.__version__
        out["torch_cuda"] = str(torch.version.cuda)
        out["torch_cudnn"] = str(torch.backends.cudnn.version())
    return out


def markdown(report: dict[str, Any]) -> str:
    lines = [f"# cupy backend benchmark ({report['date']})", "",
             f"Device: {report['device']['name']} ({report['device']['device']}); "
             f"load average at start {report['load_start']}, end {report['load_end']}.", "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()), "",
             "Times are medians of per-call milliseconds (CUDA events around a loop of calls, "
             "after warm-up), data resident on the GPU.", ""]
    for title, rows in (("Table 1 tasks (float32)", report["table1"]),
                        ("SGEMM 4096", report["sgemm"]), ("conv2d forward + backward", report["conv2d"]),
                        ("batch norm (informative, no target)", report["batchnorm"])):
        lines += [f"## {title}", ""]
        keys = [k for k in rows[0] if k not in ("reps", "cuDNN fallbacks")]
        for r in rows[1:]:
            keys += [k for k in r if k not in keys and k not in ("reps", "cuDNN fallbacks")]
        lines.append("| " + " | ".join(keys) + " |")
        lines.append("|" + "---|" * len(keys))
        for r in rows:
            cells = []
            for k in keys:
                v = r.get(k, "")
                if isinstance(v, dict):
                    v = ", ".join(f"{a} {b:.3g}" for a, b in v.items())
                cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        for r in rows:
            if "cuDNN fallbacks" in r:
                lines.append(f"cuDNN fallbacks ({r['task']}): {r['cuDNN fallbacks']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    parser.add_argument("--quick", action="store_true", help="fewer trials (smoke test)")
    parser.add_argument("--only", choices=["table1", "sgemm", "conv2d"], action="append")
    args = parser.parse_args(argv)
    try:
        registry.get_device("cupy:0")
    except ng.BackendUnavailableError as exc:
        print(f"cupy backend unavailable: {exc}")
        return 1
    import cupy as cp

    torch = _torch()
    _warm_gpu(cp)
    report: dict[str, Any] = {
        "benchmark": "cupy_backend",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "device": registry.get_device("cupy:0").describe(),
        "load_start": _load(), "versions": versions(cp, torch), "quick": args.quick,
    }
    only = set(args.only or ["table1", "sgemm", "conv2d"])
    report["table1"] = table1(cp, torch, args.quick) if "table1" in only else []
    report["sgemm"] = sgemm(cp, torch, args.quick) if "sgemm" in only else []
    report["conv2d"] = conv(cp, torch, args.quick) if "conv2d" in only else []
    report["batchnorm"] = batchnorm(cp, torch, args.quick) if "conv2d" in only else []
    report["load_end"] = _load()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "cupy_backend.json.tmp"), "w") as f:
        json.dump(report, f, indent=2, default=str)
    os.replace(os.path.join(args.out, "cupy_backend.json.tmp"), os.path.join(args.out, "cupy_backend.json"))
    if all(report[k] for k in ("table1", "sgemm", "conv2d")):
        md = markdown(report)
        with open(os.path.join(args.out, "cupy_backend.md"), "w") as f:
            f.write(md)
        print(md)
    else:
        print(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
