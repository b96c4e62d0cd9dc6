"""``reduce``: float32 reductions over a 4096x4096 matrix (all, rows, columns), GB/s
of input read. Inputs are uniform in [-1, 1) so that a correct float32 sum is checkable
(``bench.checks.reduce_bound``); max and argmax must be exact."""

from __future__ import annotations

from ..registry import SuiteContext, Task, register_suite
from ._common import reduce_task


@register_suite("reduce", description="float32 reductions (sum, max, argmax) over all/axis 0/axis 1",
                metric="GB/s")
def tasks(ctx: SuiteContext) -> list[Task]:
    shape = (256, 256) if ctx.quick else (4096, 4096)
    return [
        reduce_task("sum", shape, None),
        reduce_task("sum", shape, 0),
        reduce_task("sum", shape, 1),
        reduce_task("max", shape, 1),
        reduce_task("argmax", shape, 1),
    ]
