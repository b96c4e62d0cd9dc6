"""nigiri.distributed: data-parallel training on Dask distributed (DESIGN section 7).

``DataParallelTrainer`` (a parameter server in the driver process), a loopback
``LocalCluster`` helper, ``nigiri worker`` (``nigiri.distributed.cli``), 8-bit gradient
compression with error feedback, and an NCCL all-reduce mode for CUDA workers on one
host. Needs the ``distributed`` extra: ``pip install "nigiri[distributed]"``.
"""

from __future__ import annotations

from .cluster import connect, start_local_cluster
from .compress import dequantize_int8, quantize_int8
from .trainer import DataParallelTrainer, NoWorkersError, StepStats
from .worker import NigiriWorkerPlugin, WorkerRefusedError

__all__ = ["DataParallelTrainer", "NoWorkersError", "StepStats", "NigiriWorkerPlugin",
           "WorkerRefusedError", "start_local_cluster", "connect", "quantize_int8",
           "dequantize_int8"]
