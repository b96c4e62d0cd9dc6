"""nigiri.distributed: data-parallel training on Dask distributed (DESIGN section 7).

``DataParallelTrainer`` (a parameter server in the driver process), a loopback
``LocalCluster`` helper, ``nigiri worker`` (``nigiri.distributed.cli``), 8-bit gradient
compression with error feedback, and an NCCL all-reduce mode for CUDA workers on one
host. Needs the ``distributed`` extra: ``pip install "nigiri[distributed]"``.

Names are imported on first use, so that ``nigiri``'s command line (which adds the
``--workers``/``--scheduler`` options) does not import Dask.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["DataParallelTrainer", "NoWorkersError", "StepStats", "NigiriWorkerPlugin",
           "WorkerRefusedError", "start_local_cluster", "connect", "quantize_int8",
           "dequantize_int8"]

_WHERE = {
    "DataParallelTrainer": "trainer", "NoWorkersError": "trainer", "StepStats": "trainer",
    "NigiriWorkerPlugin": "worker", "WorkerRefusedError": "worker",
    "start_local_cluster": "cluster", "connect": "cluster",
    "quantize_int8": "compress", "dequantize_int8": "compress",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'nigiri.distributed' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
