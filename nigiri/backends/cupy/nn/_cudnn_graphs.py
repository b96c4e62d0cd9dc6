"""Build, autotune, cache and run cuDNN graphs (``nvidia-cudnn-frontend``).

A graph is built once per configuration key; on first use the first ``AUTOTUNE``
plans of cuDNN's heuristic ranking are timed on that call's buffers and the fastest is
kept with its workspace (PyTorch leaves this to ``cudnn.benchmark=True``; our graphs
are per shape anyway). In strict float32 (the default) every engine whose numerical
notes say TENSOR_CORE or DOWN_CONVERT_INPUTS, which is how cuDNN marks TF32, is
removed first. A configuration cuDNN cannot plan is remembered (``fallbacks``, with
cuDNN's reason) and ``run`` answers False so the caller uses its own kernels.
"""

from __future__ import annotations

from typing import Any, Callable

import cupy as cp
import numpy as np

__all__ = ["GraphRunner", "AUTOTUNE"]

#: how many of cuDNN's ranked plans are timed on first use of a configuration
AUTOTUNE = 8


class GraphRunner:
    """Cached cuDNN graphs of one device, bound to one cuDNN handle."""

    def __init__(self, cudnn: Any) -> None:
        self.cudnn = cudnn
        self.handle = cudnn.create_handle()
        self.graphs: dict[tuple, Any] = {}
        self.fallbacks: dict[tuple, str] = {}

    def plan(self, g: Any, strict_fp32: bool) -> None:
        """Operation graph and ranked plans of the built graph ``g``."""
        cudnn = self.cudnn
        g.validate()
        g.build_operation_graph()
        g.create_execution_plans([cudnn.heur_mode.A, cudnn.heur_mode.FALLBACK])
        if strict_fp32:
            g.deselect_numeric_notes([cudnn.numerical_note.TENSOR_CORE,
                                      cudnn.numerical_note.DOWN_CONVERT_INPUTS])
        g.check_support()

    def run(self, key: tuple, build: Callable[[], tuple[Any, dict[str, Any]]],
            buffers: dict[str, Any]) -> bool:
        """Run the graph of ``key`` (built by ``build()`` -> (graph, name -> tensor)
        on first use) on ``buffers`` (name -> CuPy array); False if cuDNN cannot."""
        entry = self.graphs.get(key, 0)
        self.cudnn.set_stream(self.handle, cp.cuda.get_current_stream().ptr)
        if entry == 0:
            try:
                g, tensors = build()
                pack = {tensors[k]: v.data.ptr for k, v in buffers.items()}
                entry = (g, tensors, self._autotune(g, pack))
            except Exception as exc:  # no engine for this configuration
                self.fallbacks[key] = f"{type(exc).__name__}: {exc}"
                entry = None
            self.graphs[key] = entry
        if entry is None:
            return False
        g, tensors, workspace = entry
        g.execute({tensors[k]: v.data.ptr for k, v in buffers.items()}, workspace.data.ptr,
                  handle=self.handle)
        return True

    def _autotune(self, g: Any, pack: dict[Any, int]) -> Any:
        best, best_ms, spaces = None, float("inf"), {}
        count = int(g.get_execution_plan_count())
        for index in range(min(count, AUTOTUNE)):
            try:
                g.build_plan_at_index(index)
                size = int(g.get_workspace_size_plan_at_index(index))
                ws = spaces[index] = cp.empty(max(size, 1), np.uint8)
                g.execute_plan_at_index(pack, ws.data.ptr, index, handle=self.handle)
                start, stop = cp.cuda.Event(), cp.cuda.Event()
                start.record()
                for _ in range(2):
                    g.execute_plan_at_index(pack, ws.data.ptr, index, handle=self.handle)
                stop.record()
                stop.synchronize()
                ms = cp.cuda.get_elapsed_time(start, stop)
            except Exception:  # barred by the TF32 filter, or the engine declines
                spaces.pop(index, None)
                continue
            if ms < best_ms:
                best, best_ms = index, ms
        if best is None:  # nothing timed: let cuDNN take its first plan that builds
            g.build_plans()
            return cp.empty(max(int(g.get_workspace_size()), 1), np.uint8)
        g.build_plan_at_index(best)
        return spaces[best]


def strides(shape: tuple[int, ...]) -> list[int]:
    """C-contiguous strides of ``shape`` in elements."""
    out, acc = [], 1
    for size in reversed(shape):
        out.append(acc)
        acc *= max(int(size), 1)
    return out[::-1]
