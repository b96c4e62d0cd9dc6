"""Starting or joining a Dask cluster for nigiri: loopback by default.

``start_local_cluster`` starts a ``LocalCluster`` on this machine, bound to
127.0.0.1 unless ``listen`` names another interface, with one single-threaded worker
per requested backend (``backends`` cycles over the workers, so
``backends=["numpy", "numba"]`` mixes them); every worker runs its backend's
conformance probe before it joins. ``connect`` joins an existing scheduler. Both
accept a ``distributed.security.Security`` for TLS (see the README).
"""

from __future__ import annotations

import copy
import logging
from typing import Any, Sequence

from .worker import NigiriWorkerPlugin, WorkerRefusedError

__all__ = ["start_local_cluster", "connect", "LOOPBACK", "security_from_files",
           "spread_over_gpus"]

LOOPBACK = "127.0.0.1"


def _require_distributed() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError('nigiri.distributed needs Dask distributed: pip install '
                          '"nigiri[distributed]"') from None


def security_from_files(ca_file: str | None, cert: str | None, key: str | None) -> Any:
    """A Dask ``Security`` requiring TLS with these files (None when none is given)."""
    if not (ca_file or cert or key):
        return None
    if not (ca_file and cert and key):
        raise ValueError("TLS needs all three of --tls-ca-file, --tls-cert and --tls-key")
    from distributed.security import Security

    return Security(tls_ca_file=ca_file, tls_client_cert=cert, tls_client_key=key,
                    tls_scheduler_cert=cert, tls_scheduler_key=key, tls_worker_cert=cert,
                    tls_worker_key=key, require_encryption=True)


def start_local_cluster(workers: int = 2, *, backends: str | Sequence[str] | None = None,
                        processes: bool = True, listen: str | None = None,
                        security: Any = None, memory_limit: str | int = "auto",
                        timeout: float = 120.0) -> tuple[Any, Any]:
    """Start ``workers`` single-threaded workers and a scheduler on this machine;
    returns ``(cluster, client)``. ``backends``: a name or a list cycled over the
    workers (None: each worker's ``NIGIRI_BACKEND``, else numpy; ``cupy`` alone means
    every GPU in turn). ``processes=False``
    runs the workers as threads of this process (tests). A worker whose backend fails
    its conformance probe keeps the cluster from starting, with the reason. Worker
    processes are spawned: call this under ``if __name__ == "__main__":`` in a script."""
    _require_distributed()
    from distributed import Client, LocalCluster

    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    if isinstance(backends, str):
        backends = [b for b in backends.split(",") if b]
    specs = spread_over_gpus(list(backends or [None]))
    # threads (processes=False) talk through in-process queues: no socket at all
    net_opts = {"host": listen or LOOPBACK} if processes else {}
    cluster = LocalCluster(n_workers=0, threads_per_worker=1, processes=processes, **net_opts,
                           dashboard_address=None, worker_dashboard_address=None,
                           # the scheduler's HTTP routes (health, metrics) always start:
                           # keep them on the loopback interface, any free port
                           scheduler_kwargs={"dashboard_address": f"{LOOPBACK}:0"},
                           security=security,
                           silence_logs=logging.ERROR, memory_limit=memory_limit)
    try:
        base = cluster.new_spec
        for i in range(workers):
            spec = copy.deepcopy(base)
            backend = specs[i % len(specs)]
            opts = spec.setdefault("options", {})
            opts["plugins"] = [NigiriWorkerPlugin(backend)]
            opts["name"] = f"nigiri-{i}"
            if processes and backend:
                opts["env"] = {**opts.get("env", {}), "NIGIRI_BACKEND": backend}
            cluster.worker_spec[f"nigiri-{i}"] = spec
        cluster.sync(cluster._correct_state)
        client = Client(cluster, security=security, set_as_default=False)
        client.wait_for_workers(workers, timeout=timeout)
    except Exception as exc:
        cluster.close()
        refused = _refusal(exc)
        if refused is not None:
            raise WorkerRefusedError(refused) from None
        raise
    return cluster, client


def spread_over_gpus(specs: list[str | None]) -> list[str | None]:
    """A bare family name (``cupy``) whose family has several GPU devices stands for
    all of them (``cupy:0``, ``cupy:1``, ...): one worker per GPU, not all on GPU 0."""
    from nigiri import backends as registry

    out: list[str | None] = []
    for spec in specs:
        if spec and ":" not in spec and spec != "auto":
            try:
                cls = registry.backend_class(spec)
                kinds = cls.device_kinds() if hasattr(cls, "device_kinds") else []
            except Exception:  # unknown or unusable: the worker's probe reports it
                kinds = []
            gpus = [f"{spec}:{i}" for i, k in enumerate(kinds) if k == "gpu"]
            if len(gpus) > 1:
                out.extend(gpus)
                continue
        out.append(spec)
    return out


def _refusal(exc: BaseException | None) -> str | None:
    """The refusal message somewhere in an exception's cause chain, if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, WorkerRefusedError) or "refuses to join" in str(exc):
            return str(exc)
        exc = exc.__cause__ or exc.__context__
    return None


def connect(scheduler: str, *, security: Any = None, timeout: float = 30.0) -> Any:
    """A client of the scheduler at ``scheduler`` (``tcp://host:8786`` or ``tls://...``)."""
    _require_distributed()
    from distributed import Client

    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValueError(f"scheduler address must look like tcp://HOST:8786, got {scheduler!r}")
    try:
        return Client(scheduler, security=security, timeout=timeout, set_as_default=False)
    except OSError as exc:
        raise RuntimeError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
