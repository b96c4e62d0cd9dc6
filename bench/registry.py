"""The suite registry: what a suite is and how one is added.

A suite is a function ``tasks(ctx) -> list[Task]`` registered with
:func:`register_suite`. Every module in ``bench/suites/`` is imported on first use, so
adding a suite means dropping a file there (the nn issue adds ``layers`` and ``train``
this way); nothing else needs editing. See bench/README.md, "Adding a suite".

A :class:`Task` is one row of a table: host inputs, a way to run it on any target, a
float64 reference and a tolerance. The runner (``bench.runner``) puts the inputs on
each target, runs the task once, checks the result against the reference, and only
then times it.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:
    from .targets import Target
    from .timer import TimerConfig

__all__ = ["Task", "Suite", "SuiteContext", "register_suite", "get_suite", "suite_names",
           "Check"]

#: ``check(got, expected, inputs) -> (ok, max_error, bound)``, all on the host.
Check = Callable[[np.ndarray, np.ndarray, tuple], tuple[bool, float, float]]


@dataclass
class SuiteContext:
    """What a suite's task factory may look at when choosing its tasks."""

    quick: bool
    targets: list["Target"]
    timer: "TimerConfig"

    @property
    def has_gpu(self) -> bool:
        """True when an available target runs on a GPU (suites add larger sizes)."""
        return any(t.available and t.device_class == "gpu" for t in self.targets)


@dataclass
class Task:
    """One row of a suite's table.

    ``op(target)`` returns the callable run on device inputs (``target.op("add")``
    for most tasks). ``inputs()`` makes the host inputs (deterministic; float32 unless
    the task says otherwise) and ``reference(*inputs)`` the expected result (float64
    NumPy). ``check`` compares the target's result with it (see ``bench.checks``).
    ``flops`` and ``bytes`` are per call (for GFLOP/s and GB/s); ``params`` are plain
    data kept in the JSON (shapes, sizes) for tables and plots.

    Tasks that do not fit "inputs -> op -> result" (transfers, training steps) pass
    ``bind(target, host_inputs) -> (call, to_host)``: ``call`` is the zero-argument
    callable that is timed and ``to_host(result)`` turns its result into the NumPy
    array that is checked against ``reference``.
    """

    name: str
    inputs: Callable[[], tuple[np.ndarray, ...]]
    reference: Callable[..., np.ndarray]
    check: Check
    op: Callable[["Target"], Callable[..., Any]] | None = None
    bind: Callable[["Target", tuple], tuple[Callable[[], Any], Callable[[Any], np.ndarray]]] | None = None
    group: str = ""
    flops: float = 0.0
    bytes: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    #: which targets run it: None = all; else True to run, False or a reason to skip
    targets: Callable[["Target"], bool | str] | None = None

    def bound(self, target: "Target", host: tuple) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
        """The zero-argument callable to time on ``target`` and the result-to-host map."""
        if self.bind is not None:
            return self.bind(target, host)
        if self.op is None:
            raise ValueError(f"task {self.name!r} has neither op nor bind")
        fn = self.op(target)
        dev = tuple(target.put(h) for h in host)
        target.sync()
        return partial(fn, *dev), target.get

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "group": self.group, "flops": self.flops,
                "bytes": self.bytes, "params": self.params}


@dataclass
class Suite:
    """A registered suite: its task factory and how its table is shown.

    ``metric`` picks the figure in table cells: ``"ms"`` or ``"us"`` (time per call),
    ``"GFLOP/s"`` (from ``Task.flops``), ``"GB/s"`` (from ``Task.bytes``).
    ``extra(ctx)`` may return plain data measured once per run (not per target), kept
    under ``"extra"`` in the JSON and shown under the table (e.g. import time).
    ``plots`` names the plots ``bench.plots`` draws: ``"bars"`` and/or ``"gemm"``.
    ``reference_row`` is shown above the table (the paper's own figures, for table1).
    """

    name: str
    description: str
    tasks: Callable[[SuiteContext], list[Task]]
    metric: str = "ms"
    plots: tuple[str, ...] = ("bars",)
    extra: Callable[[SuiteContext], dict[str, Any]] | None = None
    reference_row: Callable[[], dict[str, Any]] | None = None


_SUITES: dict[str, Suite] = {}
_discovered = False


def register_suite(name: str, *, description: str, metric: str = "ms",
                   plots: tuple[str, ...] = ("bars",),
                   extra: Callable[[SuiteContext], dict[str, Any]] | None = None,
                   reference_row: Callable[[], dict[str, Any]] | None = None,
                   ) -> Callable[[Callable[[SuiteContext], list[Task]]], Callable[[SuiteContext], list[Task]]]:
    """Decorator registering ``tasks(ctx) -> list[Task]`` as suite ``name``."""
    if metric not in ("ms", "us", "GFLOP/s", "GB/s"):
        raise ValueError(f"register_suite({name!r}): metric must be ms, us, GFLOP/s or GB/s, got {metric!r}")

    def deco(fn: Callable[[SuiteContext], list[Task]]) -> Callable[[SuiteContext], list[Task]]:
        if name in _SUITES and _SUITES[name].tasks is not fn:
            raise ValueError(f"suite {name!r} is registered twice")
        _SUITES[name] = Suite(name, description, fn, metric, plots, extra, reference_row)
        return fn

    return deco


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    from . import suites

    for mod in pkgutil.iter_modules(suites.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{suites.__name__}.{mod.name}")
    _discovered = True


#: Display order of the built-in suites; others follow in registration order.
ORDER = ("table1", "gemm", "elementwise", "reduce", "overhead", "transfer", "layers", "train")


def suite_names() -> list[str]:
    """Every registered suite: the built-in ones in ``ORDER``, then the rest."""
    _discover()
    return [n for n in ORDER if n in _SUITES] + [n for n in _SUITES if n not in ORDER]


def get_suite(name: str) -> Suite:
    """The suite called ``name``; ``ValueError`` listing the valid names otherwise."""
    _discover()
    try:
        return _SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}: expected one of {', '.join(_SUITES)} "
                         "(or 'all', or 'report')") from None
