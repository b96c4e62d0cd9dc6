"""Multi-GPU check of the all-reduce mode (issue 11): NCCL through CuPy, one worker
process per GPU on the cupy backend.

    python bench/distributed_gpu.py [--out FILE] [--net resnet18] [--steps 8]

1. equivalence: LeNet (MNIST subset, batch 128, 6 momentum steps) on one GPU in one
   process (``Trainer``) against 2 GPUs with NCCL and 2 GPUs with the parameter server;
2. speed: the network at batch 64 per GPU (weak scaling: global batch 64 x GPUs),
   images/s on 1 GPU (one process) and on all GPUs with NCCL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _lenet_weights(client: Any = None, reduce: str = "nccl") -> tuple[dict[str, np.ndarray], Any]:
    import nigiri as ng
    from nigiri.distributed import DataParallelTrainer
    from nigiri.nn import Network
    from nigiri.nn.data.loader import DataLoader
    from nigiri.nn.data.mnist import load_mnist
    from nigiri.nn.optim import make_optimizer
    from nigiri.nn.train import Trainer

    x, y = load_mnist(None, "train")
    dev = "cupy:0" if client is None else "numpy"
    net = Network.from_json("lenet", seed=0, batch_size=128, device=dev)
    opt = make_optimizer("momentum", lr=0.05, momentum=0.9, weight_decay=5e-4)
    dl = DataLoader(x[:768], y[:768], 128, shuffle=True, seed=1, device=dev, prefetch=0)
    kw = dict(epochs=1, progress=False, log=None)
    tr = (Trainer(net, opt, dl, **kw) if client is None
          else DataParallelTrainer(net, opt, dl, client=client, reduce=reduce, **kw))
    tr.fit()
    return {k: np.array(ng.to_numpy(v)) for k, v in net.params().items()}, tr


def _diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    abs_ = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    rel = max(float(np.max(np.abs(a[k] - b[k])) / (np.max(np.abs(b[k])) + 1e-30)) for k in a)
    return {"max_abs": abs_, "max_rel_to_tensor_max": rel}


def _speed(net_name: str, batch: int, steps: int, client: Any = None) -> dict[str, Any]:
    from nigiri.distributed import DataParallelTrainer
    from nigiri.nn import Network
    from nigiri.nn.data.loader import DataLoader
    from nigiri.nn.optim import make_optimizer
    from nigiri.nn.train import Trainer

    dev = "cupy:0" if client is None else "numpy"
    rng = np.random.default_rng(0)
    n = batch * (steps + 3)
    x = rng.integers(0, 256, (n, 3, 224, 224), dtype=np.uint8)
    y = rng.integers(0, 1000, n).astype(np.int64)
    net = Network.from_json(net_name, seed=0, batch_size=batch, device=dev)
    opt = make_optimizer("momentum", lr=0.01, momentum=0.9)
    dl = DataLoader(x, y, batch, device=dev, prefetch=0)
    kw = dict(epochs=1, progress=False, log=None)
    tr = (Trainer(net, opt, dl, **kw) if client is None
          else DataParallelTrainer(net, opt, dl, client=client, reduce="nccl", **kw))
    times = []
    for i, (xb, yb) in enumerate(dl):
        t = time.perf_counter()
        loss, _ = tr.train_step(xb, yb)
        float(loss)
        if client is None:
            net.backend.synchronize()
        if i >= 3:
            times.append(time.perf_counter() - t)
    out = {"batch": batch, "steps_timed": len(times), "step_s_median": statistics.median(times),
           "images_per_s": batch / statistics.median(times), "step_s": times}
    if client is not None:
        rows = tr.step_stats[3:]
        out["compute_s_median"] = statistics.median(r["compute_s"] for r in rows)
        out["allreduce_s_median"] = statistics.median(r["transfer_s"] for r in rows)
        out["wait_s_median"] = statistics.median(r["wait_s"] for r in rows)
        tr._group.close()
        tr._group = None
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--out", default=os.environ.get("OUT", ".") + "/distributed-gpu.json")
    p.add_argument("--net", default="resnet18")
    p.add_argument("--steps", type=int, default=8)
    args = p.parse_args()
    import cupy as cp
    from cupy.cuda import nccl

    import nigiri
    from nigiri.distributed import start_local_cluster

    ngpu = cp.cuda.runtime.getDeviceCount()
    props = cp.cuda.runtime.getDeviceProperties(0)
    res: dict[str, Any] = {"benchmark": "distributed-gpu", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "host": platform.node(), "gpus": ngpu, "gpu": props["name"].decode(),
                           "versions": {"nigiri": nigiri.__version__, "cupy": cp.__version__,
                                        "nccl": nccl.get_version(), "numpy": np.__version__}}

    def save() -> None:
        Path(args.out).write_text(json.dumps(res, indent=1, default=str) + "\n")

    t0 = time.perf_counter()
    one, _ = _lenet_weights()
    res["lenet_one_gpu_s"] = time.perf_counter() - t0
    save()
    cluster, client = start_local_cluster(ngpu, backends=[f"cupy:{i}" for i in range(ngpu)])
    try:
        t0 = time.perf_counter()
        nccl, tr = _lenet_weights(client, "nccl")
        res["lenet_nccl_s"] = time.perf_counter() - t0
        res["devices"] = tr.devices
        res["equivalence_nccl_vs_one_gpu"] = _diff(nccl, one)
        save()
        driver, _ = _lenet_weights(client, "driver")
        res["equivalence_driver_vs_one_gpu"] = _diff(driver, one)
        res["equivalence_nccl_vs_driver"] = _diff(nccl, driver)
        save()
        print(json.dumps({k: v for k, v in res.items() if k.startswith("equiv")}, indent=1), flush=True)
        res["speed_one_gpu"] = _speed(args.net, 64, args.steps)
        save()
        res["speed_all_gpus_nccl"] = _speed(args.net, 64 * ngpu, args.steps, client)
        res["speedup_images_per_s"] = (res["speed_all_gpus_nccl"]["images_per_s"]
                                       / res["speed_one_gpu"]["images_per_s"])
        res["net"] = args.net
        save()
    finally:
        client.close()
        cluster.close()
    print(json.dumps({k: v for k, v in res.items() if not k.startswith("speed_")}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
