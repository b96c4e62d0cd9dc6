"""``nigiri worker`` and the distributed options of ``nigiri train``.

``nigiri worker tcp://HOST:8786 [--backend B]`` joins a Dask scheduler as a nigiri
worker: it checks its backend (the conformance probe) first and refuses to join with
the reason when that fails. ``nigiri train NET --workers 4`` starts a loopback
``LocalCluster`` of 4 worker processes; ``--scheduler tcp://HOST:8786`` trains on an
existing cluster instead. Nothing here imports Dask until a command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from .._argtypes import nonneg_float, positive_int

__all__ = ["main", "add_train_options", "bound_trainer"]


def _add_tls(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("TLS (Dask security; all three files together)")
    g.add_argument("--tls-ca-file", help="CA certificate that signed every node's certificate")
    g.add_argument("--tls-cert", help="this node's certificate (PEM)")
    g.add_argument("--tls-key", help="this node's private key (PEM)")


# --------------------------------------------------------------------- nigiri train
def add_train_options(p: argparse.ArgumentParser) -> None:
    """Add ``--workers``/``--scheduler`` and friends to the ``nigiri train`` parser and
    wrap its command so that those options train on a Dask cluster."""
    from .compress import COMPRESSORS

    g = p.add_argument_group("distributed (Dask; pip install \"nigiri[distributed]\")")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="start a local cluster of N worker processes (loopback only)")
    where.add_argument("--scheduler", metavar="ADDR",
                       help="train on an existing Dask cluster (tcp://HOST:8786)")
    g.add_argument("--worker-backend", metavar="B[,B...]",
                   help="backends of the local workers, cycled (default: --backend or "
                        "NIGIRI_BACKEND); e.g. numpy,numba mixes them; a bare cupy "
                        "takes every GPU in turn")
    g.add_argument("--compress", choices=COMPRESSORS, default="none",
                   help="gradient compression: int8 sends ~4x fewer bytes (error feedback)")
    g.add_argument("--micro-batches", type=positive_int, metavar="K",
                   help="split each batch into K micro-batches (default: one per live "
                        "worker); a fixed K makes results independent of the worker count")
    g.add_argument("--worker-timeout", type=nonneg_float, default=60.0, metavar="S",
                   help="when every worker is gone, wait S seconds, then checkpoint and stop")
    g.add_argument("--listen", metavar="HOST",
                   help="interface the local scheduler and workers bind (default 127.0.0.1; "
                        "anything else exposes the cluster: use TLS)")
    _add_tls(p)
    inner = p.get_default("func")
    p.set_defaults(func=_wrap_train(inner))


def bound_trainer(client: Any, **options: Any) -> type:
    """A ``DataParallelTrainer`` subclass with ``client`` and ``options`` bound, usable
    wherever a ``Trainer`` class is (including ``resume``)."""
    from .trainer import DataParallelTrainer

    class BoundDataParallelTrainer(DataParallelTrainer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, client=client, **{**options, **kwargs})

    return BoundDataParallelTrainer


def _wrap_train(inner: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def cmd_train_distributed(args: argparse.Namespace) -> int:
        if not (args.workers or args.scheduler):
            if args.listen or args.compress != "none" or args.micro_batches:
                raise ValueError("--listen, --compress and --micro-batches need --workers or "
                                 "--scheduler")
            return inner(args)
        from .cluster import connect, security_from_files, start_local_cluster

        security = security_from_files(args.tls_ca_file, args.tls_cert, args.tls_key)
        if args.listen and args.listen not in ("127.0.0.1", "localhost", "::1") and security is None:
            print("nigiri train: warning: --listen exposes the cluster without TLS; anyone who "
                  "can reach it can run code on it (see --tls-*)", file=sys.stderr)
        cluster = None
        if args.workers:
            backends = args.worker_backend or args.backend
            print(f"starting {args.workers} local worker processes"
                  + (f" ({backends})" if backends else ""), file=sys.stderr)
            cluster, client = start_local_cluster(args.workers, backends=backends,
                                                  listen=args.listen, security=security)
        else:
            client = connect(args.scheduler, security=security)
        try:
            args.trainer_class = bound_trainer(client, compress=args.compress,
                                               micro_batches=args.micro_batches,
                                               worker_timeout=args.worker_timeout)
            return inner(args)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return cmd_train_distributed


# --------------------------------------------------------------------- nigiri worker
def _worker_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nigiri worker",
        description="Join a Dask scheduler as a nigiri worker (checks the backend first).")
    p.add_argument("scheduler", help="scheduler address, e.g. tcp://HOST:8786 or tls://HOST:8786")
    p.add_argument("--backend", help="this worker's backend (default: NIGIRI_BACKEND, else numpy)")
    p.add_argument("--nthreads", type=positive_int, default=1,
                   help="tasks run at once (default 1: backends use their own threads)")
    p.add_argument("--name", help="worker name shown by the scheduler")
    p.add_argument("--listen", metavar="HOST", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1: only local schedulers "
                        "can reach it); use this host's address to join a remote scheduler")
    p.add_argument("--memory-limit", default="auto", help="Dask memory limit (default auto)")
    _add_tls(p)
    return p


async def _serve(args: argparse.Namespace, security: Any) -> None:
    from distributed import Worker

    from .worker import NigiriWorkerPlugin

    async with Worker(args.scheduler, nthreads=args.nthreads, name=args.name, host=args.listen,
                      security=security, memory_limit=args.memory_limit,
                      plugins=[NigiriWorkerPlugin(args.backend)], dashboard=False) as w:
        print(f"nigiri worker {w.address} ({args.backend or 'NIGIRI_BACKEND/numpy'}) joined "
              f"{args.scheduler}", file=sys.stderr)
        await w.finished()


def main(argv: list[str] | None = None) -> int:
    """``nigiri worker``: returns 0 when the worker ends normally, 2 when it refuses
    to join or cannot reach the scheduler, 130 on Ctrl-C."""
    args = _worker_parser().parse_args(argv)
    try:
        import distributed  # noqa: F401
    except ImportError:
        print('nigiri worker: Dask distributed is not installed: pip install "nigiri[distributed]"',
              file=sys.stderr)
        return 2
    from .cluster import security_from_files
    from .worker import probe_backend

    try:
        security = security_from_files(args.tls_ca_file, args.tls_cert, args.tls_key)
    except ValueError as exc:
        print(f"nigiri worker: error: {exc}", file=sys.stderr)
        return 2
    dev, reason = probe_backend(args.backend)
    if reason:
        print(f"nigiri worker: refusing to join {args.scheduler}: {reason}", file=sys.stderr)
        return 2
    print(f"nigiri worker: backend {dev.device_name} passed its checks", file=sys.stderr)
    import asyncio

    try:
        asyncio.run(_serve(args, security))
    except KeyboardInterrupt:
        return 130
    except (OSError, TimeoutError, RuntimeError) as exc:
        print(f"nigiri worker: cannot serve {args.scheduler}: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
