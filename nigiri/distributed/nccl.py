"""All-reduce among CUDA workers on one host: NCCL through CuPy (``cupy.cuda.nccl``).

In this mode every worker holds a replica of the weights and of the optimizer state
on its GPU. Each step the driver sends only the micro-batches; each worker computes
its gradient (scaled by its share of the batch), the workers sum the gradients with
one NCCL all-reduce over a flat buffer, and every replica applies the same optimizer
step, so the replicas stay identical without weights crossing the driver. The
driver keeps the step count and pulls the weights and optimizer state from rank 0
when it evaluates or writes a checkpoint.

NCCL groups are fixed: a lost worker aborts the step with an error (use the default
parameter-server mode, ``reduce="driver"``, for fault tolerance). The communicator is
pluggable (``_COMMUNICATORS``): ``nccl`` for CUDA, and ``local`` (a thread barrier
summing NumPy buffers) with which the tests check the replica logic on CPU clusters
whose workers are threads.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlparse

import numpy as np

__all__ = ["NcclGroup", "nccl_info"]

_REPLICAS: dict[tuple[str, str], "_Replica"] = {}


# ------------------------------------------------------------------ communicators
class _NcclComm:
    """Sum of a flat float32 CuPy buffer over the group, in place (ncclAllReduce)."""

    def __init__(self, nranks: int, uid: Any, rank: int, device_index: int) -> None:
        import cupy as cp
        from cupy.cuda import nccl

        self._cp, self._nccl = cp, nccl
        self.device_index = device_index
        with cp.cuda.Device(device_index):
            self.comm = nccl.NcclCommunicator(nranks, uid, rank)

    def allreduce(self, flat: Any) -> None:
        cp, nccl = self._cp, self._nccl
        with cp.cuda.Device(self.device_index):
            stream = cp.cuda.get_current_stream()
            self.comm.allReduce(flat.data.ptr, flat.data.ptr, flat.size, nccl.NCCL_FLOAT32,
                                nccl.NCCL_SUM, stream.ptr)

    def close(self) -> None:
        self.comm.destroy()


class _LocalComm:
    """The same contract for threads of one process (tests): a barrier and a sum."""

    groups: dict[Any, dict[str, Any]] = {}
    lock = threading.Lock()

    def __init__(self, nranks: int, uid: Any, rank: int, device_index: int) -> None:
        with self.lock:
            g = self.groups.setdefault(uid, {"barrier": threading.Barrier(nranks), "bufs": {}})
        self.g, self.rank, self.nranks = g, rank, nranks

    def allreduce(self, flat: Any) -> None:
        self.g["bufs"][self.rank] = np.array(flat, copy=True)
        self.g["barrier"].wait(timeout=120)
        total = self.g["bufs"][0].copy()
        for r in range(1, self.nranks):  # rank order: every replica gets the same sum
            total += self.g["bufs"][r]
        self.g["barrier"].wait(timeout=120)
        flat[...] = total

    def close(self) -> None:
        with self.lock:
            for uid, g in list(self.groups.items()):
                if g is self.g:
                    del self.groups[uid]


_COMMUNICATORS = {"nccl": _NcclComm, "local": _LocalComm}


# ------------------------------------------------------------------ worker side
class _Replica:
    def __init__(self, net: Any, optimizer: Any, comm: Any, kind: str) -> None:
        self.net, self.optimizer, self.comm, self.kind = net, optimizer, comm, kind


def _worker() -> Any:
    from distributed import get_worker

    return get_worker()


def nccl_info(dask_worker: Any = None) -> dict[str, Any]:
    """Whether this worker can join an NCCL group: its device, host and the reason if not."""
    from .worker import _state_for

    w = dask_worker if dask_worker is not None else _worker()
    st = _state_for(w)
    dev = st.backend.device_name if st.backend is not None else None
    info: dict[str, Any] = {"address": w.address, "device": dev,
                            "host": urlparse(w.address).hostname, "nccl": False, "reason": ""}
    if st.refused or dev is None or not dev.startswith("cupy"):
        info["reason"] = f"device {dev} is not a CUDA (cupy) device"
        return info
    try:
        from cupy.cuda import nccl  # noqa: F401
    except Exception as exc:
        info["reason"] = f"cupy.cuda.nccl is unavailable: {exc}"
        return info
    info["nccl"] = True
    return info


def _unique_id() -> Any:
    from cupy.cuda import nccl

    return nccl.get_unique_id()


def _init_replica(run: dict[str, Any], weights: dict[str, Any], opt_config: dict[str, Any],
                  opt_arrays: dict[str, np.ndarray], kind: str, uid: Any, rank: int,
                  nranks: int) -> str:
    from nigiri.nn.optim import optimizer_from_config

    from .worker import _state_for

    w = _worker()
    st = _state_for(w)
    rs = st.run(run)
    # a private copy: the replica updates its weights in place, and in-process workers
    # would otherwise share the scattered arrays
    own = {k: np.array(v, dtype=np.float32, copy=True) for k, v in weights["arrays"].items()}
    rs.net.set_state(own, source=f"weights version {weights['version']}")
    rs.version = weights["version"]
    opt = optimizer_from_config(opt_config)
    opt.load_state(opt_config, opt_arrays, rs.net.backend)
    comm = _COMMUNICATORS[kind](nranks, uid, rank, getattr(rs.net.backend, "index", 0) or 0)
    _REPLICAS[(w.id, run["id"])] = _Replica(rs.net, opt, comm, kind)
    return w.address


def _flat(bufs: list[Any], kind: str) -> Any:
    if kind == "nccl":
        import cupy as cp

        return cp.concatenate([b.ravel() for b in bufs])
    return np.concatenate([np.asarray(b).ravel() for b in bufs])


def _replica_step(run_id: str, x: np.ndarray, y: np.ndarray, job: dict[str, Any]) -> dict[str, Any]:
    import nigiri as ng
    from nigiri.arrays.array import Array

    from .worker import count_correct

    w = _worker()
    rep = _REPLICAS[(w.id, run_id)]
    net = rep.net
    t0 = time.perf_counter()
    counter = (job["step"] << 36) + (job["index"] << 28)
    net.rng.set_state({"seed": net.rng.state()["seed"], "counter": counter})
    xs, ys = ng.asarray(x, device=net.backend), ng.asarray(y, device=net.backend)
    blobs = net.forward((xs, ys), phase="train")
    grads = net.backward(loss_scale=job["share"])
    b = int(x.shape[0])
    loss_sum = float(net.loss(blobs)) * b
    correct = count_correct(blobs[net.output], ys)
    t1 = time.perf_counter()
    names = sorted(grads)
    flat = _flat([grads[k]._buf for k in names], rep.kind)
    rep.comm.allreduce(flat)
    off = 0
    summed = {}
    for k in names:
        g = grads[k]
        n = int(np.prod(g.shape))
        summed[k] = Array._new(flat[off:off + n].reshape(g.shape), net.backend)  # a view
        off += n
    net.backend.synchronize()
    t2 = time.perf_counter()
    rep.optimizer.step(net.params(), summed)
    net.grads = {}
    net.backend.synchronize()
    return {"index": job["index"], "loss_sum": loss_sum, "correct": correct, "n": b,
            "worker": w.address, "device": net.backend.device_name,
            "compute_s": (t1 - t0) + (time.perf_counter() - t2), "allreduce_s": t2 - t1,
            "grad_bytes": int(flat.nbytes)}


def _replica_state(run_id: str) -> dict[str, Any]:
    import nigiri as ng

    rep = _REPLICAS[(_worker().id, run_id)]
    return {"arrays": {k: np.array(ng.to_numpy(v), np.float32) for k, v in rep.net.state().items()},
            "optimizer": {k: np.array(ng.to_numpy(v), np.float32)
                          for k, v in rep.optimizer.state_arrays().items()},
            "step": rep.optimizer.step_count}


def _replica_close(run_id: str) -> None:
    rep = _REPLICAS.pop((_worker().id, run_id), None)
    if rep is not None:
        rep.comm.close()


# ------------------------------------------------------------------ driver side
class NcclGroup:
    """The driver's handle on a group of replicas (one per worker, fixed ranks)."""

    def __init__(self, trainer: Any, workers: list[str], kind: str = "nccl") -> None:
        self.trainer, self.workers, self.kind = trainer, list(workers), kind
        client = trainer.client
        t = trainer
        run = t._run_spec()
        weights, _, _ = t._publish(self.workers)
        if kind == "nccl":
            uid = client.submit(_unique_id, workers=[self.workers[0]], pure=False).result()
        else:
            uid = f"{t.run_id}-local"
        opt_arrays = {k: np.array(a) for k, a in _host_state(t.optimizer.state_arrays()).items()}
        futs = [client.submit(_init_replica, run, weights, t.optimizer.config(), opt_arrays, kind,
                              uid, rank, len(self.workers), workers=[w], allow_other_workers=False,
                              pure=False, key=f"nigiri-nccl-init-{t.run_id}-{rank}")
                for rank, w in enumerate(self.workers)]
        client.gather(futs)
        self.stale = False

    def step(self, xh: np.ndarray, yh: np.ndarray) -> list[dict[str, Any]]:
        t = self.trainer
        n = int(xh.shape[0])
        parts = t._split(n, self.workers) if n >= len(self.workers) else None
        if parts is None or len(parts) != len(self.workers):
            raise ValueError(f"NCCL mode needs at least one sample per GPU: batch {n}, "
                             f"{len(self.workers)} workers")
        futs = []
        for i, ((a, b), w) in enumerate(zip(parts, self.workers)):
            job = {"step": t.optimizer.step_count, "index": i, "share": (b - a) / n}
            # straight to its GPU's worker (no scheduler hop): the group cannot lose a
            # worker anyway, so the data need not be recoverable
            xf, yf = t.client.scatter([xh[a:b], yh[a:b]], workers=[w], direct=True, hash=False)
            futs.append(t.client.submit(_replica_step, t.run_id, xf, yf, job,
                                        workers=[w], allow_other_workers=False, pure=False,
                                        key=f"nigiri-nccl-{t.run_id}-{job['step']}-{i}"))
        try:
            results = t.client.gather(futs)
        except Exception as exc:
            raise RuntimeError(f"NCCL step {t.optimizer.step_count} failed ({type(exc).__name__}: "
                               f"{exc}); NCCL groups cannot lose a worker: rerun from the last "
                               "checkpoint, or use reduce='driver' for fault tolerance") from exc
        t.optimizer.step_count += 1
        self.stale = True
        return results

    def pull(self) -> None:
        """Copy weights and optimizer state from rank 0 into the driver's network."""
        if not self.stale:
            return
        t = self.trainer
        st = t.client.submit(_replica_state, t.run_id, workers=[self.workers[0]],
                             allow_other_workers=False, pure=False).result()
        t.net.set_state(st["arrays"], source="rank 0 of the NCCL group")
        t.optimizer.load_state(t.optimizer.config(), st["optimizer"], t.net.backend)
        t.optimizer.step_count = int(st["step"])
        self.stale = False

    def close(self) -> None:
        t = self.trainer
        futs = [t.client.submit(_replica_close, t.run_id, workers=[w], allow_other_workers=False,
                                pure=False) for w in self.workers]
        try:
            t.client.gather(futs)
        except Exception:  # closing a broken group: nothing left to free
            pass


def _host_state(arrays: dict[str, Any]) -> dict[str, np.ndarray]:
    import nigiri as ng

    return {k: np.asarray(ng.to_numpy(v)) for k, v in arrays.items()}
