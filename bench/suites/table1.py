"""``table1``: the paper's four matrix tasks (Hidaka et al., Sushi2, Table 1), in ms.

Tasks: 1000x1000 add, 1000x1000 log, 1000x100 @ 100x10, 1000x1000 @ 1000x1000, all
float32 (Sushi2's default ``single``). The paper's own node.js/WebCL and Firefox figures
are shown above the table from ``bench/paper_table1.json``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..registry import SuiteContext, Task, register_suite
from ._common import binary_task, matmul_task, unary_task

PAPER_FILE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "paper_table1.json")


def paper_reference() -> dict[str, Any]:
    """The paper's figures as recorded in bench/paper_table1.json (see its ``note``)."""
    with open(PAPER_FILE, encoding="utf-8") as fh:
        return json.load(fh)


@register_suite("table1", description="The paper's Table 1 tasks (float32, ms per call)",
                metric="ms", reference_row=paper_reference)
def tasks(ctx: SuiteContext) -> list[Task]:
    s = 200 if ctx.quick else 1000   # quick mode: same tasks, smaller
    k = s // 10
    return [
        binary_task("add", (s, s), name=f"add {s}x{s}", paper_task="add"),
        unary_task("log", (s, s), name=f"log {s}x{s}", paper_task="log"),
        matmul_task(s, k, k // 10, name=f"{s}x{k} @ {k}x{k // 10}", paper_task="matmul_small"),
        matmul_task(s, s, s, name=f"{s}x{s} @ {s}x{s}", paper_task="matmul_large"),
    ]
