"""The driver: a parameter server training data-parallel on a Dask cluster.

``DataParallelTrainer`` is ``nigiri.nn.train.Trainer`` with a distributed
``train_step``; epochs, evaluation, checkpoints, resume and Ctrl-C are the Trainer's.
Each step the driver

1. publishes the weights once per version (``client.scatter(..., broadcast=True)``):
   a retried micro-batch or a worker joining mid-step reuses the version it has,
2. splits the global batch into micro-batches (``micro_batches``, or one per live
   worker) and submits one task per micro-batch, round-robin over the live workers,
3. collects the gradients (each already scaled by its micro-batch's share of the
   batch), sums them in micro-batch order, and applies one optimizer step.

Faults: a task whose worker dies is recomputed elsewhere (Dask reschedules it; the
driver resubmits what Dask gives up on or whose weights were lost); each micro-batch
index is counted once, so the step is applied exactly once, and the sum does not
depend on which worker computed what. With a fixed ``micro_batches`` the weights are
bit-identical to a fault-free run and to ``Trainer(accumulate=micro_batches)`` in one
process. If no worker is left, the driver waits ``worker_timeout`` seconds for one,
then writes a checkpoint and raises ``NoWorkersError``; ``DataParallelTrainer.resume``
continues from it to the weights of an uninterrupted run.

``reduce="nccl"`` (chosen by ``"auto"`` when every worker is a CUDA device of one host)
keeps a replica of the weights and optimizer on each GPU and sums the gradients with
an NCCL all-reduce instead of through the driver (``nigiri.distributed.nccl``).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

import nigiri as ng
from nigiri.nn.train import Trainer

from .compress import check_compress, payload_bytes
from .worker import WorkerRefusedError, decode_gradient, gradient_task

__all__ = ["DataParallelTrainer", "NoWorkersError", "StepStats", "REDUCE_MODES"]

#: ``reduce=``: ``auto`` (NCCL when every worker is a CUDA device of one host, else the
#: driver), ``driver`` (parameter server), ``nccl``, ``local`` (the NCCL logic with a
#: thread-barrier sum: tests on in-process CPU clusters)
REDUCE_MODES = ("auto", "driver", "nccl", "local")


class NoWorkersError(RuntimeError):
    """Every worker is gone and none came back within ``worker_timeout``."""


class StepStats(dict):
    """Per-step figures: ``workers``, ``micro_batches``, ``bytes_weights`` (weights
    broadcast), ``bytes_data`` (images and labels sent), ``bytes_grads`` (gradients
    returned), ``bytes_grads_raw`` (what float32 gradients would have been),
    ``bytes`` (the total), ``publish_s``, ``compute_s`` (the busiest worker's compute),
    ``transfer_s`` (weights broadcast plus gradient return), ``wait_s`` (the rest of
    the step's collection: scheduling, imbalance), ``update_s`` (sum + optimizer),
    ``step_s``, ``retries``."""


def _host_copy(a: Any) -> np.ndarray:
    return np.array(ng.to_numpy(a), dtype=np.float32, copy=True)


class DataParallelTrainer(Trainer):
    """Data-parallel ``Trainer`` on the Dask ``client``'s workers (see the module
    docstring). Extra arguments: ``micro_batches`` (None: one per live worker each
    step), ``compress`` (``"none"`` or ``"int8"``), ``worker_timeout`` (seconds to wait
    for a worker when none is left), ``max_retries`` (resubmissions of one
    micro-batch before the step fails), ``checkpoint_dir`` (where the no-worker
    checkpoint goes when there is no ``out_dir``), ``reduce`` (see ``REDUCE_MODES``)."""

    def __init__(self, net: Any, optimizer: Any, train_data: Any, test_data: Any = None, *,
                 client: Any, micro_batches: int | None = None, compress: str = "none",
                 worker_timeout: float = 60.0, max_retries: int = 8, poll_interval: float = 0.2,
                 checkpoint_dir: str | Path | None = None, reduce: str = "auto",
                 **kwargs: Any) -> None:
        kwargs.pop("accumulate", None)  # the split is micro_batches here
        super().__init__(net, optimizer, train_data, test_data, accumulate=1, **kwargs)
        if client is None:
            raise ValueError("DataParallelTrainer needs a dask.distributed Client (client=...)")
        if micro_batches is not None and (isinstance(micro_batches, bool)
                                          or not isinstance(micro_batches, int) or micro_batches < 1):
            raise ValueError(f"micro_batches must be a positive int or None, got {micro_batches!r}")
        if not isinstance(worker_timeout, (int, float)) or worker_timeout < 0:
            raise ValueError(f"worker_timeout must be a number >= 0, got {worker_timeout!r}")
        if reduce not in REDUCE_MODES:
            raise ValueError(f"reduce must be one of {', '.join(REDUCE_MODES)}, got {reduce!r}")
        self.client = client
        self.reduce = reduce
        self._group: Any = None
        self.micro_batches = micro_batches
        self.compress = check_compress(compress)
        self.worker_timeout = float(worker_timeout)
        self.max_retries = int(max_retries)
        self.poll_interval = float(poll_interval)
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.run_id = uuid.uuid4().hex[:12]
        self.extra_meta.setdefault("distributed", {"compress": self.compress,
                                                   "micro_batches": micro_batches})
        self.step_stats: list[StepStats] = []
        self.refused: dict[str, str] = {}
        self.devices: dict[str, str] = {}
        self._run_future: Any = None
        self._weights: tuple[int, Any, int] | None = None  # (version, future, bytes)
        self._weights_sent_to: set[str] = set()

    # ----------------------------------------------------------------- workers
    def live_workers(self) -> list[str]:
        """Addresses of the workers that may take micro-batches now (sorted)."""
        try:
            found = self.client.ncores()
        except Exception:  # the scheduler is unreachable: count as none
            return []
        return sorted(a for a in found if a not in self.refused)

    def _await_workers(self) -> list[str]:
        workers = self.live_workers()
        if workers:
            return workers
        deadline = time.monotonic() + self.worker_timeout
        self._say(f"no workers: waiting up to {self.worker_timeout:g} s for one to join")
        while time.monotonic() < deadline:
            time.sleep(min(self.poll_interval, max(deadline - time.monotonic(), 0.0)))
            workers = self.live_workers()
            if workers:
                return workers
        path = self._emergency_checkpoint()
        reasons = "".join(f"\n  {a} refused: {r}" for a, r in self.refused.items())
        raise NoWorkersError(
            f"no workers left for {self.worker_timeout:g} s at step {self.optimizer.step_count} "
            f"(epoch {self.epoch + 1}, batch {self.batch}); checkpoint written to {path}: "
            f"start workers and resume from it{reasons}")

    def _emergency_checkpoint(self) -> Path:
        folder = self.out_dir or self.checkpoint_dir
        if folder is None:
            folder = Path(tempfile.mkdtemp(prefix="nigiri-distributed-"))
        folder.mkdir(parents=True, exist_ok=True)
        return self.save(folder / f"checkpoint-step{self.optimizer.step_count:07d}.safetensors")

    # ----------------------------------------------------------------- publishing
    def _run_spec(self) -> Any:
        if self._run_future is None or self._run_future.status != "finished":
            spec = {"id": self.run_id, "definition": self.net.definition, "seed": self.net.seed,
                    "batch_size": self.train_data.batch_size, "compress": self.compress}
            self._run_future = self.client.scatter([spec], broadcast=True, hash=False)[0]
        return self._run_future

    def _publish(self, workers: list[str]) -> tuple[Any, int, float]:
        """The weights future of the current version; scatter it (to every live worker)
        only when the version changed or its copies were lost. Returns
        ``(future, bytes sent now, seconds)``."""
        version = self.optimizer.step_count
        t0 = time.perf_counter()
        if self._weights is not None and self._weights[0] == version \
                and self._weights[1].status == "finished":
            fut, nbytes = self._weights[1], self._weights[2]
            new = [w for w in workers if w not in self._weights_sent_to]
            if new:  # a worker joined mid-step: hand it this version once
                self.client.replicate([fut], workers=new)
                self._weights_sent_to.update(new)
                return fut, nbytes * len(new), time.perf_counter() - t0
            return fut, 0, 0.0
        arrays = {k: _host_copy(v) for k, v in self.net.state().items()}
        payload = {"run": self.run_id, "version": version, "arrays": arrays}
        nbytes = payload_bytes(arrays)
        self._weights = None  # drop the old version's future (frees it on the workers)
        fut = self.client.scatter([payload], broadcast=True, hash=False, workers=workers)[0]
        self._weights = (version, fut, nbytes)
        self._weights_sent_to = set(workers)
        return fut, nbytes * len(workers), time.perf_counter() - t0

    # ----------------------------------------------------------------- one step
    def _split(self, n: int, workers: list[str]) -> list[tuple[int, int]]:
        k = min(self.micro_batches or len(workers), n)
        bounds = [round(i * n / k) for i in range(k + 1)]
        return [(bounds[i], bounds[i + 1]) for i in range(k)]

    def _submit(self, i: int, part: tuple[int, int], xh: np.ndarray, yh: np.ndarray, n: int,
                weights: Any, workers: list[str], attempt: int) -> Any:
        a, b = part
        job = {"step": self.optimizer.step_count, "index": i, "share": (b - a) / n}
        key = f"nigiri-grad-{self.run_id}-{job['step']}-{i}-{attempt}"
        target = workers[i % len(workers)]
        return self.client.submit(gradient_task, self._run_spec(), weights, xh[a:b], yh[a:b], job,
                                  key=key, workers=[target], allow_other_workers=True,
                                  pure=False, retries=0)

    def train_step(self, x: Any, y: Any) -> tuple[Any, Any]:
        """One optimizer step over the cluster; returns (loss * n, correct) as 0-d Arrays."""
        t_step = time.perf_counter()
        xh, yh = np.asarray(ng.to_numpy(x)), np.asarray(ng.to_numpy(y))
        n = int(xh.shape[0])
        if self.reduce != "driver" and self._group is None:
            self._group = self._make_group()
        if self._group is not None:
            return self._group_step(xh, yh, t_step)
        workers = self._await_workers()
        parts = self._split(n, workers)
        weights, bytes_w, publish_s = self._publish(workers)
        pending: dict[Any, tuple[int, int]] = {}  # future -> (index, attempt)
        for i, part in enumerate(parts):
            pending[self._submit(i, part, xh, yh, n, weights, workers, 0)] = (i, 0)
        results: dict[int, dict[str, Any]] = {}
        retries = 0
        t_gather = time.perf_counter()
        while pending:
            done = self._wait_some(list(pending))
            finished = [f for f in done if f.status == "finished"]
            if finished:
                for f, res in zip(finished, self.client.gather(finished, errors="skip")):
                    i, _ = pending.pop(f)
                    res["received_at"] = time.time()
                    results.setdefault(i, res)  # each micro-batch counts once
            failed = [f for f in list(pending) if f.status in ("error", "cancelled", "lost")]
            if not failed and self._weights is not None and self._weights[1].status != "finished":
                failed = list(pending)  # the weights were lost with their workers
            if failed:
                workers = self._await_workers()
                weights, more, dt = self._publish(workers)
                bytes_w += more
                publish_s += dt
                for f in failed:
                    i, attempt = pending.pop(f)
                    self._check_failure(f, i, attempt)
                    retries += 1
                    pending[self._submit(i, parts[i], xh, yh, n, weights, workers,
                                         attempt + 1)] = (i, attempt + 1)
                continue
            if not done and not self.live_workers():
                # all workers gone: their tasks wait in the scheduler; _await_workers
                # waits for a worker and, after the timeout, checkpoints and raises
                workers = self._await_workers()
        gather_s = time.perf_counter() - t_gather
        return self._apply(results, parts, n, t_step, publish_s, gather_s, bytes_w,
                           int(xh.nbytes + yh.nbytes), retries, len(workers))

    def _wait_some(self, futures: list[Any]) -> list[Any]:
        """The futures no longer pending after at most ``poll_interval`` seconds."""
        from distributed import wait

        try:
            with self.client.as_current():
                wait(futures, timeout=self.poll_interval, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        except Exception as exc:  # cancelled futures are reported by status below
            if type(exc).__name__ != "FuturesCancelledError":
                raise
        return [f for f in futures if f.status != "pending"]

    def _check_failure(self, f: Any, i: int, attempt: int) -> None:
        """Raise for failures that another attempt cannot fix; record refusals."""
        exc = None
        if f.status == "error":
            try:
                exc = f.exception(timeout=5)
            except Exception as err:  # the exception itself could not be fetched
                exc = err
        if isinstance(exc, WorkerRefusedError):
            addr = str(exc).split()[2] if len(str(exc).split()) > 2 else "?"
            self.refused[addr] = str(exc)
            self._say(str(exc))
        elif exc is not None and not _is_worker_loss(exc):
            raise RuntimeError(f"micro-batch {i} of step {self.optimizer.step_count} failed: "
                               f"{type(exc).__name__}: {exc}") from exc
        if attempt + 1 > self.max_retries:
            raise RuntimeError(f"micro-batch {i} of step {self.optimizer.step_count} failed "
                               f"{attempt + 1} times (workers keep dying); last: {exc or f.status}")

    def _apply(self, results: dict[int, dict[str, Any]], parts: list[tuple[int, int]], n: int,
               t_step: float, publish_s: float, gather_s: float, bytes_w: int, bytes_d: int,
               retries: int, n_workers: int) -> tuple[Any, Any]:
        t0 = time.perf_counter()
        total: dict[str, np.ndarray] = {}
        for i in range(len(parts)):  # a fixed order: the sum does not depend on timing
            for k, g in results[i]["grads"].items():
                g = decode_gradient(g)
                total[k] = g if k not in total else total[k] + g
        be = self.net.backend
        self.net.grads = {k: ng.asarray(v, device=be) for k, v in total.items()}
        self.optimizer.step(self.net.params(), self.net.grads)
        self.net.grads = {}
        if results[0]["buffers"]:  # running statistics: the size-weighted mean
            for layer in self.net.layers:
                for k in layer.buffers:
                    name = f"{layer.name}.{k}"
                    avg = sum(r["buffers"][name] * (r["n"] / n) for r in results.values())
                    layer.buffers[k] = ng.asarray(np.asarray(avg, np.float32), device=be)
        loss_sum = sum(results[i]["loss_sum"] for i in range(len(parts)))
        correct = _total_correct(results.values())
        update_s = time.perf_counter() - t0
        per_worker: dict[str, float] = {}
        for r in results.values():
            per_worker[r["worker"]] = per_worker.get(r["worker"], 0.0) + r["compute_s"]
            self.devices[r["worker"]] = r["device"]
        compute_s = max(per_worker.values())
        last_done = max(r["done_at"] for r in results.values())
        back_s = max(0.0, max(r["received_at"] for r in results.values()) - last_done)
        bytes_g = sum(r["grad_bytes"] for r in results.values())
        self.step_stats.append(StepStats(
            step=self.optimizer.step_count, workers=n_workers, micro_batches=len(parts),
            bytes_weights=bytes_w, bytes_data=bytes_d, bytes_grads=bytes_g,
            bytes_grads_raw=sum(r["raw_grad_bytes"] for r in results.values()),
            bytes=bytes_w + bytes_d + bytes_g, publish_s=publish_s, compute_s=compute_s,
            transfer_s=publish_s + back_s, wait_s=max(0.0, gather_s - compute_s - back_s),
            update_s=update_s, step_s=time.perf_counter() - t_step, retries=retries))
        return _scalars(loss_sum, correct, be)

    # ----------------------------------------------------------------- all-reduce mode
    def _make_group(self) -> Any:
        """An all-reduce group over the live workers, or None (and the driver mode)."""
        from .nccl import NcclGroup, nccl_info

        workers = self._await_workers()
        if self.reduce == "local":
            return NcclGroup(self, workers, kind="local")
        infos = list(self.client.run(nccl_info).values())
        bad = [f"{i['address']}: {i['reason']}" for i in infos if not i["nccl"]]
        hosts = {i["host"] for i in infos}
        if len(hosts) > 1:
            bad.append(f"workers on several hosts ({', '.join(sorted(hosts))})")
        if self.reduce == "auto":
            if bad or len(infos) < 2:
                self.reduce = "driver"
                return None
        elif bad:
            raise ValueError("reduce='nccl' needs every worker on a CUDA device of one host:\n  "
                             + "\n  ".join(bad))
        self._say(f"all-reducing gradients with NCCL over {len(workers)} GPUs")
        return NcclGroup(self, sorted(i["address"] for i in infos), kind="nccl")

    def _group_step(self, xh: np.ndarray, yh: np.ndarray, t_step: float) -> tuple[Any, Any]:
        t0 = time.perf_counter()
        results = self._group.step(xh, yh)
        gather_s = time.perf_counter() - t0
        for r in results:
            self.devices[r["worker"]] = r["device"]
        compute_s = max(r["compute_s"] for r in results)
        allreduce_s = max(r["allreduce_s"] for r in results)
        self.step_stats.append(StepStats(
            step=self.optimizer.step_count, workers=len(results), micro_batches=len(results),
            bytes_weights=0, bytes_data=int(xh.nbytes + yh.nbytes), bytes_grads=0,
            bytes_grads_raw=0, bytes=int(xh.nbytes + yh.nbytes), allreduce_bytes=sum(
                r["grad_bytes"] for r in results), publish_s=0.0, compute_s=compute_s,
            transfer_s=allreduce_s, wait_s=max(0.0, gather_s - compute_s - allreduce_s),
            update_s=0.0, step_s=time.perf_counter() - t_step, retries=0))
        loss_sum = sum(r["loss_sum"] for r in results)
        return _scalars(loss_sum, _total_correct(results), self.net.backend)

    def sync(self) -> None:
        """Bring the driver's weights and optimizer state up to date (all-reduce mode
        keeps them on the workers between evaluations and checkpoints)."""
        if self._group is not None:
            self._group.pull()

    def save(self, path: str | Path) -> Path:
        self.sync()
        return super().save(path)

    def _finish_epoch(self, part: dict[str, float]) -> bool:
        self.sync()
        return super()._finish_epoch(part)

    def fit(self) -> Any:
        try:
            return super().fit()
        finally:
            self.sync()
            if self._group is not None:
                self._group.close()
                self._group = None

    # ----------------------------------------------------------------- reporting
    def progress_postfix(self) -> dict[str, str]:
        """Extra progress-bar fields: workers alive and bytes sent per step."""
        if not self.step_stats:
            return {}
        last = self.step_stats[-1]
        return {"workers": str(last["workers"]), "bytes_step": _fmt_bytes(last["bytes"])}


def _total_correct(results: Any) -> float | None:
    """Summed correct counts; None when accuracy has no meaning (regression)."""
    counts = [r["correct"] for r in results]
    return None if any(c is None for c in counts) else float(sum(counts))


def _scalars(loss_sum: float, correct: float | None, be: Any) -> tuple[Any, Any]:
    """(loss * n, correct) as the Trainer's 0-d float32 Arrays (correct may be None)."""
    loss = ng.asarray(loss_sum, dtype=ng.float32, device=be)
    return loss, None if correct is None else ng.asarray(correct, dtype=ng.float32, device=be)


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1000
    return str(n)


def _is_worker_loss(exc: BaseException) -> bool:
    """Failures caused by losing a worker (recompute elsewhere), not by the task."""
    from distributed.scheduler import KilledWorker

    names = {"CommClosedError", "CancelledError", "FutureCancelledError", "KilledWorker",
             "StreamClosedError", "TimeoutError", "OSError"}
    return isinstance(exc, (KilledWorker, OSError)) or type(exc).__name__ in names
