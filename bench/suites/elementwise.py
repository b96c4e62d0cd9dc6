"""``elementwise``: memory-bound float32 ops in GB/s and as % of copy bandwidth.

Bytes per call count every array read or written once (copy and unary 2n*4, binary
3n*4). The report divides each figure by the best copy bandwidth measured on the same
kind of device in the same run ("% copy"), which is the practical ceiling. 2^24
elements (64 MiB per array, beyond the caches); GPU targets also run 2^26.
"""

from __future__ import annotations

from ..registry import SuiteContext, Task, register_suite
from ._common import binary_task, unary_task

UNARY = ("copy", "negative", "sqrt", "exp", "log", "tanh")
BINARY = ("add", "multiply", "maximum")


def _gpu_only(target: object) -> bool | str:
    if getattr(target, "device_class", "cpu") == "gpu":
        return True
    return "size run on GPU targets only"


def _ops(n: int, suffix: str, **kw: object) -> list[Task]:
    out: list[Task] = []
    for op in UNARY:
        lo, hi = (0.1, 10.0) if op in ("sqrt", "log") else (-4.0, 4.0)
        out.append(unary_task(op, (n,), name=f"{op} {suffix}", lo=lo, hi=hi, group=suffix,
                              n=n, **kw))
    for op in BINARY:
        out.append(binary_task(op, (n,), name=f"{op} {suffix}", group=suffix, n=n, **kw))
    return out


@register_suite("elementwise", description="memory-bound float32 elementwise ops, GB/s and % of copy",
                metric="GB/s")
def tasks(ctx: SuiteContext) -> list[Task]:
    if ctx.quick:
        return _ops(1 << 16, "2^16")
    out = _ops(1 << 24, "2^24")
    if ctx.has_gpu:
        big = _ops(1 << 26, "2^26")
        for t in big:
            t.targets = _gpu_only
        out += big
    return out
