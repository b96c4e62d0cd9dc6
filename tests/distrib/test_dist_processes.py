"""Worker processes: a worker killed mid-step, ``nigiri worker``, ``nigiri train``.

One LocalCluster of worker processes is shared by the module (starting processes is
the slow part). The fault test kills a worker's process (SIGKILL) while it computes a
micro-batch and checks the weights are bit-identical to a fault-free run: with a fixed
split (``micro_batches``) the driver sums the same micro-batch gradients in the same
order whoever computed them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from dist_helpers import params_of

from nigiri.distributed import DataParallelTrainer, start_local_cluster

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def proc_cluster():
    cluster, client = start_local_cluster(3)
    yield cluster, client
    client.close()
    cluster.close()


def _lenet_run(client, kill_at_step=None):
    from nigiri.nn import Network
    from nigiri.nn.data.loader import DataLoader
    from nigiri.nn.data.mnist import load_mnist
    from nigiri.nn.optim import make_optimizer

    x, y = load_mnist(None, "train")
    net = Network.from_json("lenet", seed=0, batch_size=128)
    opt = make_optimizer("momentum", lr=0.05, momentum=0.9, weight_decay=5e-4)
    dl = DataLoader(x[:768], y[:768], 128, shuffle=True, seed=5, prefetch=0)
    tr = DataParallelTrainer(net, opt, dl, client=client, micro_batches=4, epochs=1,
                             progress=False, log=None)
    killed: list[tuple[str, int]] = []
    stop = threading.Event()

    def killer() -> None:  # SIGKILL the first worker seen computing a micro-batch of step >= 2
        pids = client.run(os.getpid)
        prefixes = tuple(f"nigiri-grad-{tr.run_id}-{s}-" for s in range(kill_at_step, 6))
        while not stop.is_set():
            for addr, keys in client.processing().items():
                if addr in pids and any(str(k).startswith(prefixes) for k in keys):
                    os.kill(pids[addr], signal.SIGKILL)
                    killed.append((addr, tr.optimizer.step_count))
                    return
            time.sleep(0.002)

    th = None
    if kill_at_step is not None:
        th = threading.Thread(target=killer, daemon=True)
        th.start()
    tr.fit()
    stop.set()
    if th is not None:
        th.join()
    return params_of(net), tr, killed


def test_worker_killed_mid_step_loses_nothing(proc_cluster):
    cluster, client = proc_cluster
    client.wait_for_workers(3, timeout=60)
    ref, _, _ = _lenet_run(client)
    got, tr, killed = _lenet_run(client, kill_at_step=2)
    assert killed, "the worker was not killed during training"
    assert len(tr.step_stats) == 6  # every step applied exactly once
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
    client.wait_for_workers(3, timeout=60)  # the nanny restarts the killed process


def _tiny_mnist_net(tmp_path: Path) -> Path:
    path = tmp_path / "mnist_linear.json"
    path.write_text(json.dumps({"name": "mnist_linear", "recipe": {
        "batch_size": 500, "epochs": 1, "optimizer": "momentum", "lr": 0.05}, "layers": [
        {"type": "data", "name": "data", "outputs": ["data", "label"],
         "params": {"shape": [1, 28, 28], "scale": 0.00392156862745098}},
        {"type": "linear", "name": "fc", "inputs": ["data"], "params": {"out_features": 10}},
        {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc", "label"]}]}))
    return path


def _nigiri(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "nigiri", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


def test_nigiri_worker_joins_and_nigiri_train_uses_the_cluster(proc_cluster, tmp_path):
    cluster, client = proc_cluster
    addr = cluster.scheduler_address
    before = len(client.ncores())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "nigiri", "worker", addr, "--backend", "numpy",
                             "--name", "cli-worker"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        client.wait_for_workers(before + 1, timeout=120)
        net = _tiny_mnist_net(tmp_path)
        r = _nigiri("train", str(net), "--scheduler", addr, "--no-progress", "--json",
                    "--compress", "int8", "--out", str(tmp_path / "run"))
        assert r.returncode == 0, r.stderr
        hist = json.loads(r.stdout.strip().splitlines()[-1])["history"]
        assert hist[0]["test_accuracy"] > 0.6
        assert (tmp_path / "run" / "history.json").is_file()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_nigiri_worker_refuses_an_unusable_backend(proc_cluster):
    cluster, _ = proc_cluster
    r = _nigiri("worker", cluster.scheduler_address, "--backend", "nope", timeout=60)
    assert r.returncode == 2
    assert "refusing to join" in r.stderr and "'nope' is unusable" in r.stderr


def test_nigiri_train_workers_starts_a_local_cluster(tmp_path):
    net = _tiny_mnist_net(tmp_path)
    r = _nigiri("train", str(net), "--workers", "2", "--no-progress", "--json",
                "--out", str(tmp_path / "run"))
    assert r.returncode == 0, r.stderr
    assert "starting 2 local worker processes" in r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["history"][0]["test_accuracy"] > 0.6


def test_train_options_need_a_cluster(tmp_path):
    r = _nigiri("train", str(_tiny_mnist_net(tmp_path)), "--compress", "int8", timeout=60)
    assert r.returncode == 2 and "need --workers or --scheduler" in r.stderr


def test_every_worker_killed_mid_step_then_restarted(proc_cluster):
    """All worker processes die during a step (their scattered weights with them); the
    driver waits, the nannies restart them, the step is recomputed: same weights."""
    from dist_helpers import TINY, tiny_data, train

    _, client = proc_cluster
    client.wait_for_workers(3, timeout=60)
    x, y = tiny_data(768)
    kw = {"micro_batches": 3, "worker_timeout": 120}
    ref, _ = train(TINY, x, y, client=client, batch=128, trainer_kwargs=kw)
    killed: list[int] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []

    class Doomed(DataParallelTrainer):
        def train_step(self, xb, yb):
            if self.optimizer.step_count == 2 and not threads:
                # the first micro-batch of steps 2..9 seen running: SIGKILL every worker
                prefixes = tuple(f"nigiri-grad-{self.run_id}-{s}-" for s in range(2, 10))
                pids = list(client.run(os.getpid).values())

                def kill_all() -> None:
                    while not stop.is_set():
                        if any(str(k).startswith(prefixes)
                               for ks in client.processing().values() for k in ks):
                            for pid in pids:
                                os.kill(pid, signal.SIGKILL)
                                killed.append(pid)
                            return
                        time.sleep(0.001)

                threads.append(threading.Thread(target=kill_all, daemon=True))
                threads[0].start()
            return super().train_step(xb, yb)

    got, tr = train(TINY, x, y, client=client, batch=128, trainer_cls=Doomed, trainer_kwargs=kw)
    stop.set()
    threads[0].join()
    assert len(killed) == 3, "the workers were not killed during training"
    assert len(tr.step_stats) == 12  # every step applied exactly once
    for k in ref:
        np.testing.assert_array_equal(got[k], ref[k], err_msg=k)
    client.wait_for_workers(3, timeout=60)
