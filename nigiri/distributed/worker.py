"""The worker side: backend selection and probe, the per-run network, the gradient task.

A Dask worker becomes a nigiri worker through ``NigiriWorkerPlugin`` (installed by
``nigiri worker``, by the clusters ``start_local_cluster`` makes, or lazily by the
first task on a plain ``dask worker``). It picks its backend (the plugin's
``backend``, else ``NIGIRI_BACKEND`` in the worker's environment, else numpy) and runs
the conformance probe of that backend; a worker whose backend fails refuses to join
with the reason. Each worker keeps, per training run, one network on its backend, the
weights version it holds and the error-feedback residuals of 8-bit compression.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .compress import ErrorFeedback, Int8Tensor, payload_bytes

__all__ = ["NigiriWorkerPlugin", "WorkerRefusedError", "gradient_task", "probe_backend",
           "worker_info", "PLUGIN_NAME"]

PLUGIN_NAME = "nigiri"
#: RNG counter layout of a micro-batch: step << 36 | index << 28 (2**30 words each)
_STEP_SHIFT, _INDEX_SHIFT = 36, 28


class WorkerRefusedError(RuntimeError):
    """A worker whose backend is unusable or failed the conformance probe."""


def probe_backend(spec: str | None) -> tuple[Any, str | None]:
    """Resolve ``spec`` (None: ``NIGIRI_BACKEND`` or numpy) to a backend instance and
    run its conformance probe; returns ``(backend or None, reason or None)``."""
    from nigiri import _config, backends

    spec = spec or _config.backend_spec()
    try:
        dev = backends.get_device(spec)
    except Exception as exc:  # unknown name, missing library, no device
        return None, f"backend {spec!r} is unusable: {type(exc).__name__}: {exc}"
    if dev.name == "numpy":  # the reference is what the probe compares against
        return dev, None
    try:
        reason = backends._probe(dev)  # the registry's probe hook (nigiri.conformance)
    except Exception as exc:
        reason = f"the probe itself failed: {type(exc).__name__}: {exc}"
    if reason:
        return dev, f"backend {dev.device_name} failed the conformance probe: {reason}"
    return dev, None


@dataclass
class _Run:
    """What one worker keeps for one training run."""

    net: Any
    version: int = -1
    feedback: ErrorFeedback = field(default_factory=ErrorFeedback)


class _WorkerState:
    def __init__(self, address: str, spec: str | None) -> None:
        self.address = address
        self.spec = spec
        self.backend, self.refused = probe_backend(spec)
        self.runs: dict[str, _Run] = {}
        self.lock = threading.Lock()

    def run(self, run: dict[str, Any]) -> _Run:
        rs = self.runs.get(run["id"])
        if rs is None:
            from nigiri.nn import Network

            net = Network(run["definition"], device=self.backend, seed=run["seed"],
                          batch_size=run["batch_size"])
            rs = _Run(net)
            # keep the newest runs only: a long-lived worker serves many trainings
            while len(self.runs) >= 2:
                self.runs.pop(next(iter(self.runs)))
            self.runs[run["id"]] = rs
        return rs


_STATES: dict[str, _WorkerState] = {}
_STATES_LOCK = threading.Lock()


def _state_for(worker: Any, spec: str | None = None, *, create: bool = True) -> _WorkerState:
    key = worker.id
    with _STATES_LOCK:
        st = _STATES.get(key)
        if st is None and create:
            st = _WorkerState(worker.address, spec)
            _STATES[key] = st
    return st


try:
    from distributed.diagnostics.plugin import WorkerPlugin as _PluginBase
except ImportError:  # the class is defined for documentation; using it needs distributed
    _PluginBase = object  # type: ignore[assignment,misc]


class NigiriWorkerPlugin(_PluginBase):  # type: ignore[misc,valid-type]
    """Makes a Dask worker a nigiri worker on ``backend`` (None: ``NIGIRI_BACKEND`` or
    numpy). Setup raises ``WorkerRefusedError`` with the reason when the backend is
    unusable or fails its conformance probe; passed to a worker at start
    (``Worker(plugins=[...])``) this keeps the worker from joining the cluster."""

    name = PLUGIN_NAME

    def __init__(self, backend: str | None = None) -> None:
        self.backend = backend

    def setup(self, worker: Any) -> None:
        st = _state_for(worker, self.backend)
        if st.refused:
            raise WorkerRefusedError(f"nigiri worker {worker.address} refuses to join: {st.refused}")


def worker_info(dask_worker: Any = None) -> dict[str, Any]:
    """``{address, device, refused}`` of the worker this runs on (``client.run``)."""
    from distributed import get_worker

    w = dask_worker if dask_worker is not None else get_worker()
    st = _state_for(w)
    return {"address": w.address, "device": st.backend.device_name if st.backend else None,
            "refused": st.refused}


def _reset_buffers(net: Any, arrays: dict[str, np.ndarray]) -> None:
    import nigiri as ng

    for layer in net.layers:
        for k in layer.buffers:
            layer.buffers[k] = ng.asarray(np.array(arrays[f"{layer.name}.{k}"], np.float32),
                                          device=net.backend)


def gradient_task(run: dict[str, Any], weights: dict[str, Any], x: np.ndarray, y: np.ndarray,
                  job: dict[str, Any]) -> dict[str, Any]:
    """Forward and backward of one micro-batch on this worker's backend.

    ``run``: id, definition, seed, batch size, compression; ``weights``: the version
    number and the host arrays of the network state; ``job``: step, micro-batch index
    and its share of the global batch (the loss gradient starts at ``share``, so the
    driver sums the returned gradients). Returns gradients (float32 or int8 codes),
    the loss sum, the number correct, the updated buffers, timings and bytes.
    """
    import nigiri as ng
    from distributed import get_worker

    worker = get_worker()
    st = _state_for(worker)
    if st.refused:
        raise WorkerRefusedError(f"nigiri worker {worker.address} refuses to work: {st.refused}")
    t0 = time.perf_counter()
    with st.lock:
        rs = st.run(run)
        net = rs.net
        if rs.version != weights["version"]:
            state = dict(weights["arrays"])
            for name in net.buffers():
                state[name] = np.array(state[name], copy=True)
            net.set_state(state, source=f"weights version {weights['version']}")
            rs.version = weights["version"]
        elif net.buffers():
            _reset_buffers(net, weights["arrays"])
        counter = (job["step"] << _STEP_SHIFT) + (job["index"] << _INDEX_SHIFT)
        net.rng.set_state({"seed": net.rng.state()["seed"], "counter": counter})
        xs = ng.asarray(x, device=net.backend)
        ys = ng.asarray(y, device=net.backend)
        blobs = net.forward((xs, ys), phase="train")
        grads = net.backward(loss_scale=job["share"])
        b = int(x.shape[0])
        loss_sum = float(net.loss(blobs)) * b
        correct = count_correct(blobs[net.output], ys)
        host = {k: np.array(ng.to_numpy(g), dtype=np.float32, copy=True) for k, g in grads.items()}
        net.grads = {}
        raw_bytes = payload_bytes(host)
        out: dict[str, Any] = host
        if run["compress"] == "int8":
            out = {k: rs.feedback.compress(k, g) for k, g in host.items()}
        buffers = {k: np.array(ng.to_numpy(v), dtype=np.float32, copy=True)
                   for k, v in net.buffers().items()}
    return {"index": job["index"], "step": job["step"], "grads": out, "loss_sum": loss_sum,
            "correct": correct, "n": b, "buffers": buffers, "worker": worker.address,
            "device": net.backend.device_name, "compute_s": time.perf_counter() - t0,
            "done_at": time.time(), "grad_bytes": payload_bytes(out), "raw_grad_bytes": raw_bytes}


def count_correct(scores: Any, labels: Any) -> float | None:
    """Correct top-1 predictions, or None where accuracy has no meaning (as the
    Trainer: labels that are not one integer per sample, scores that are not 2-d)."""
    import nigiri as ng

    if labels.ndim != 1 or labels.dtype.kind not in "iu" or scores.ndim != 2:
        return None
    return float(ng.sum(ng.astype(ng.argmax(scores, axis=1) == labels, ng.float32)))


def decode_gradient(g: Any) -> np.ndarray:
    """A returned gradient as float32 (dequantizing int8 codes)."""
    if isinstance(g, Int8Tensor):
        from .compress import dequantize_int8

        return dequantize_int8(g)
    return g
