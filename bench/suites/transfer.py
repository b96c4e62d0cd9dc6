"""``transfer``: host -> device and device -> host copies of float32 data, GB/s.

Host to device: ``ng.asarray(host, device=..., copy=True)`` (peers: ``cupy.asarray``,
``torch.tensor(..., device=...)``, ``np.array(copy=True)``); device to host:
``ng.to_numpy`` (``cupy.asnumpy``, ``tensor.cpu().numpy()``). On host backends the
"device" is host memory: host-to-device is a memcpy, and device-to-host is a zero-copy
view that moves nothing, so that row is skipped for them with that reason. The source
is ordinary pageable NumPy memory (what users pass).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np

from ..checks import exact
from ..registry import SuiteContext, Task, register_suite
from ._common import uniform

MIB = 1 << 20


def _is_zero_copy_get(target: Any) -> bool:
    x = target.put(np.zeros(16, np.float32))
    a, b = target.get(x), target.get(x)
    return isinstance(a, np.ndarray) and np.shares_memory(a, b)


def _d2h_targets(target: Any) -> bool | str:
    try:
        if _is_zero_copy_get(target):
            return "zero-copy: the result is a view of host memory, nothing is transferred"
    except Exception:
        return True  # let the runner report the real error when it runs the task
    return True


def _h2d(size: int, label: str) -> Task:
    n = size // 4

    def bind(target: Any, host: tuple) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
        return partial(target.put, host[0]), target.get

    return Task(name=f"host->device {label}", inputs=lambda: (uniform((n,), -1, 1, f"h2d{n}"),),
                reference=lambda h: h.astype(np.float64), check=exact(), bind=bind,
                group="h2d", bytes=float(size), params={"direction": "h2d", "bytes": size})


def _d2h(size: int, label: str) -> Task:
    n = size // 4

    def bind(target: Any, host: tuple) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
        x = target.put(host[0])
        target.sync()
        return partial(target.get, x), np.asarray

    return Task(name=f"device->host {label}", inputs=lambda: (uniform((n,), -1, 1, f"d2h{n}"),),
                reference=lambda h: h.astype(np.float64), check=exact(), bind=bind,
                group="d2h", bytes=float(size), params={"direction": "d2h", "bytes": size},
                targets=_d2h_targets)


@register_suite("transfer", description="host<->device copies of float32 data, GB/s",
                metric="GB/s")
def tasks(ctx: SuiteContext) -> list[Task]:
    sizes = ((64 * 1024, "64 KiB"), (MIB, "1 MiB")) if ctx.quick else \
        ((MIB, "1 MiB"), (16 * MIB, "16 MiB"), (256 * MIB, "256 MiB"))
    out: list[Task] = []
    for size, label in sizes:
        out += [_h2d(size, label), _d2h(size, label)]
    return out
