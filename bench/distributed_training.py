"""Distributed data-parallel training benchmark (issue 11).

    python bench/distributed_training.py [--quick] [--workers 1,2,4] [--epochs 3] [--out FILE]

Measures, on this machine, with loopback LocalClusters of single-threaded worker
processes (Dask sets OMP/OpenBLAS threads to 1 in each worker):

1. speed-up of LeNet (MNIST, batch 256) and a small VGG-style net (3x32x32, batch 128)
   with 1, 2, 4 workers against one plain process (``Trainer``, BLAS on every core),
   with each step split into compute (the busiest worker), transfer (weights broadcast
   + gradient return), wait (scheduling, imbalance) and the driver's update;
2. bytes sent per step without and with int8 gradient compression;
3. LeNet test accuracy on the offline MNIST subset after ``--epochs`` epochs (the zoo
   recipe: momentum 0.05, cosine, batch 64) without and with int8 (target: within 0.5
   points).

Writes one JSON file (default ``bench/results/distributed-<host>-<date>.json``) with
the machine's load at start and end, versions and the git commit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VGG_SMALL = {"name": "vgg_small", "layers": [
    {"type": "data", "name": "data", "outputs": ["data", "label"],
     "params": {"shape": [3, 32, 32], "scale": 0.00392156862745098}},
    {"type": "convolution_2d", "name": "conv1", "inputs": ["data"],
     "params": {"out_channels": 32, "kernel_size": 3, "padding": 1}},
    {"type": "relu", "name": "relu1", "inputs": ["conv1"]},
    {"type": "convolution_2d", "name": "conv2", "inputs": ["relu1"],
     "params": {"out_channels": 32, "kernel_size": 3, "padding": 1}},
    {"type": "relu", "name": "relu2", "inputs": ["conv2"]},
    {"type": "pooling_2d", "name": "pool1", "inputs": ["relu2"],
     "params": {"mode": "max", "kernel_size": 2, "stride": 2}},
    {"type": "convolution_2d", "name": "conv3", "inputs": ["pool1"],
     "params": {"out_channels": 64, "kernel_size": 3, "padding": 1}},
    {"type": "relu", "name": "relu3", "inputs": ["conv3"]},
    {"type": "convolution_2d", "name": "conv4", "inputs": ["relu3"],
     "params": {"out_channels": 64, "kernel_size": 3, "padding": 1}},
    {"type": "relu", "name": "relu4", "inputs": ["conv4"]},
    {"type": "pooling_2d", "name": "pool2", "inputs": ["relu4"],
     "params": {"mode": "max", "kernel_size": 2, "stride": 2}},
    {"type": "linear", "name": "fc1", "inputs": ["pool2"], "params": {"out_features": 256}},
    {"type": "relu", "name": "relu5", "inputs": ["fc1"]},
    {"type": "linear", "name": "fc2", "inputs": ["relu5"], "params": {"out_features": 10}},
    {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc2", "label"]}]}


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _versions() -> dict[str, str]:
    import dask
    import distributed

    import nigiri

    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except OSError:
        commit = ""
    return {"nigiri": nigiri.__version__, "numpy": np.__version__, "dask": dask.__version__,
            "distributed": distributed.__version__, "python": platform.python_version(),
            "git_commit": commit}


def _data(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    if name == "lenet":
        from nigiri.nn.data.mnist import load_mnist

        x, y = load_mnist(None, "train")
        return x[:n], y[:n]
    rng = np.random.default_rng(0)
    return (rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8),
            rng.integers(0, 10, n).astype(np.int64))


def _trainer(definition: Any, x: np.ndarray, y: np.ndarray, batch: int, client: Any = None,
             **kw: Any) -> Any:
    from nigiri.distributed import DataParallelTrainer
    from nigiri.nn import Network
    from nigiri.nn.data.loader import DataLoader
    from nigiri.nn.optim import make_optimizer
    from nigiri.nn.train import Trainer

    net = Network.from_json(definition, seed=0, batch_size=batch)
    opt = make_optimizer("momentum", lr=0.01, momentum=0.9)
    dl = DataLoader(x, y, batch, shuffle=True, seed=0, drop_last=True)
    common = dict(epochs=1, progress=False, log=None)
    if client is None:
        return Trainer(net, opt, dl, **common)
    return DataParallelTrainer(net, opt, dl, client=client, **common, **kw)


def _time_steps(tr: Any, warmup: int) -> dict[str, Any]:
    """Run one epoch step by step; time every step after ``warmup``."""
    times = []
    tr.train_data.set_epoch(0)
    for i, (x, y) in enumerate(tr.train_data.iterate(0)):
        t = time.perf_counter()
        loss, _ = tr.train_step(x, y)
        float(loss)
        if i >= warmup:
            times.append(time.perf_counter() - t)
    batch = tr.train_data.batch_size
    out: dict[str, Any] = {"steps_timed": len(times), "step_s_median": statistics.median(times),
                           "images_per_s": batch / statistics.median(times)}
    stats = getattr(tr, "step_stats", None)
    if stats:
        rows = stats[warmup:]
        for key in ("compute_s", "transfer_s", "wait_s", "update_s", "publish_s"):
            out[key + "_median"] = statistics.median(r[key] for r in rows)
        for key in ("bytes", "bytes_weights", "bytes_data", "bytes_grads", "bytes_grads_raw"):
            out[key] = rows[-1][key]
        out["workers"] = rows[-1]["workers"]
    return out


def bench_speed(workers: list[int], quick: bool) -> dict[str, Any]:
    from nigiri.distributed import start_local_cluster

    res: dict[str, Any] = {}
    cases = [("lenet", "lenet", 256, 8 if quick else 16), ("vgg_small", VGG_SMALL, 128, 6 if quick else 10)]
    for name, definition, batch, steps in cases:
        x, y = _data(name, batch * (steps + 2))
        rec: dict[str, Any] = {"batch": batch}
        print(f"{name}: one process ...", flush=True)
        rec["one_process"] = _time_steps(_trainer(definition, x, y, batch), warmup=2)
        for n in workers:
            cluster, client = start_local_cluster(n)
            try:
                for comp in ("none", "int8"):
                    print(f"{name}: {n} worker(s), compress {comp} ...", flush=True)
                    tr = _trainer(definition, x, y, batch, client, compress=comp)
                    rec[f"workers_{n}_{comp}"] = _time_steps(tr, warmup=2)
            finally:
                client.close()
                cluster.close()
        base = rec[f"workers_{workers[0]}_none"]["step_s_median"]
        one = rec["one_process"]["step_s_median"]
        rec["speedup_vs_1_worker"] = {n: base / rec[f"workers_{n}_none"]["step_s_median"] for n in workers}
        rec["speedup_vs_one_process"] = {n: one / rec[f"workers_{n}_none"]["step_s_median"] for n in workers}
        res[name] = rec
    return res


def bench_accuracy(epochs: int, workers: int) -> dict[str, Any]:
    from nigiri.distributed import DataParallelTrainer, start_local_cluster
    from nigiri.nn import Network
    from nigiri.nn.data.loader import DataLoader
    from nigiri.nn.data.mnist import load_mnist
    from nigiri.nn.optim import make_optimizer, make_schedule

    xtr, ytr = load_mnist(None, "train")
    xte, yte = load_mnist(None, "test")
    out: dict[str, Any] = {"epochs": epochs, "workers": workers, "batch": 64,
                           "recipe": "momentum 0.9, lr 0.05 cosine, weight decay 5e-4"}
    cluster, client = start_local_cluster(workers)
    try:
        for comp in ("none", "int8"):
            print(f"accuracy: lenet, {epochs} epochs, compress {comp} ...", flush=True)
            net = Network.from_json("lenet", seed=0, batch_size=64)
            dl = DataLoader(xtr, ytr, 64, shuffle=True, seed=0)
            te = DataLoader(xte, yte, 500)
            opt = make_optimizer("momentum", lr=0.05, momentum=0.9, weight_decay=5e-4,
                                 schedule=make_schedule("cosine", total_steps=epochs * len(dl)))
            tr = DataParallelTrainer(net, opt, dl, te, client=client, compress=comp, epochs=epochs,
                                     progress=False, log=None)
            t = time.perf_counter()
            tr.fit()
            last = tr.history[-1]
            out[comp] = {"test_accuracy": last["test_accuracy"], "train_loss": last["train_loss"],
                         "seconds": time.perf_counter() - t,
                         "bytes_grads_per_step": tr.step_stats[-1]["bytes_grads"],
                         "history": tr.history}
    finally:
        client.close()
        cluster.close()
    out["difference_points"] = 100 * (out["int8"]["test_accuracy"] - out["none"]["test_accuracy"])
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer steps (smoke test, not figures)")
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--epochs", type=int, default=3, help="epochs of the int8 accuracy run (0: skip)")
    p.add_argument("--out", help="JSON file to write")
    args = p.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]
    result: dict[str, Any] = {
        "benchmark": "distributed", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(), "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "load_start": _load(), "versions": _versions(),
        "device": "CPU (numpy backend on every worker), loopback LocalCluster",
        "notes": ("one process = nigiri.nn.Trainer without Dask (BLAS may use every core); "
                  "workers are single-threaded processes; compute = the busiest worker's "
                  "forward+backward(+quantization), transfer = weights broadcast + gradient "
                  "return, wait = the rest of collecting a step")}
    result["speed"] = bench_speed(workers, args.quick)
    if args.epochs > 0:
        result["int8_accuracy"] = bench_accuracy(args.epochs, 2)
    result["load_end"] = _load()
    out = Path(args.out) if args.out else ROOT / "bench" / "results" / (
        f"distributed-{platform.node() or 'host'}-{time.strftime('%Y%m%d-%H%M')}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str) + "\n")
    print(_summary(result))
    print(f"wrote {out}")
    return 0


def _summary(r: dict[str, Any]) -> str:
    lines = [f"distributed benchmark {r['date']} on {r['host']} ({r['cpu_count']} CPUs), load "
             f"{r['load_start']} -> {r.get('load_end')}"]
    for name, rec in r["speed"].items():
        one = rec["one_process"]
        lines.append(f"{name} (batch {rec['batch']}): one process {one['images_per_s']:.0f} img/s")
        for key, v in rec.items():
            if not key.startswith("workers_"):
                continue
            lines.append(f"  {key:<18} {v['images_per_s']:7.0f} img/s  step {1e3 * v['step_s_median']:7.1f} ms"
                         f" = compute {1e3 * v['compute_s_median']:6.1f} + transfer "
                         f"{1e3 * v['transfer_s_median']:6.1f} + wait {1e3 * v['wait_s_median']:6.1f} + "
                         f"update {1e3 * v['update_s_median']:5.1f};  {v['bytes'] / 1e6:6.2f} MB/step "
                         f"(gradients {v['bytes_grads'] / 1e6:.2f} MB)")
        lines.append("  speed-up vs 1 worker: " + ", ".join(
            f"{n}: {s:.2f}x" for n, s in rec["speedup_vs_1_worker"].items()))
    acc = r.get("int8_accuracy")
    if acc:
        lines.append(f"LeNet {acc['epochs']} epochs: test accuracy none {100 * acc['none']['test_accuracy']:.2f}%, "
                     f"int8 {100 * acc['int8']['test_accuracy']:.2f}% ({acc['difference_points']:+.2f} points)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
