"""Collect cases, run them on a backend, apply the xfail list, time the tiers.

``run_backend(spec, quick=..., max_examples=...)`` is the programmatic entry point
behind the CLI and the probe: it returns a ``BackendReport`` (results per case,
counts, seconds per tier). Case modules live in ``nigiri.conformance.cases``; layer
cases registered through ``nigiri.conformance.layers`` run in the full tier.
"""

from __future__ import annotations

import importlib
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from . import xfails as _xfail
from .case import REFERENCE, UNEXPECTED, Case, Result, run_case

__all__ = ["CASE_MODULES", "BackendReport", "collect", "run_backend", "run_device", "run_cases",
           "apply_xfails", "resolve_specs"]

#: Modules of ``nigiri.conformance.cases`` that provide ``cases()``.
CASE_MODULES = ("elementwise", "reductions", "manipulation", "indexing", "sorting", "linalg",
                "random", "interchange", "creation")

#: The backends ``all`` never includes (test-only).
EXCLUDED_FROM_ALL = frozenset({"fake"})


@dataclass
class BackendReport:
    """Results of one device: availability, per-case results, tier timings."""

    spec: str
    device: str = ""
    available: bool = True
    reason: str = ""
    results: list[Result] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    unused_xfails: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in ("run", "pass", "fail", "error", "xfail", "xpass", "skip")}
        for r in self.results:
            out[r.status] += 1
            if r.status != "skip":
                out["run"] += 1
        return out

    @property
    def ok(self) -> bool:
        return self.available and not any(r.status in UNEXPECTED for r in self.results)

    def op_summary(self) -> dict[str, dict[str, Any]]:
        """Per op: counts by status and the worst error per unit (the table's data)."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.results:
            rec = out.setdefault(r.op, {"counts": {}, "worst": {}})
            rec["counts"][r.status] = rec["counts"].get(r.status, 0) + 1
            if r.status == "pass" and r.worst is not None and r.unit:
                rec["worst"][r.unit] = max(rec["worst"].get(r.unit, 0.0), r.worst)
        return out

    def unexpected(self) -> list[Result]:
        return [r for r in self.results if r.status in UNEXPECTED]

    def as_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec, "device": self.device, "available": self.available,
            "reason": self.reason, "counts": self.counts(), "seconds": self.seconds,
            "versions": self.versions, "unused_xfails": self.unused_xfails,
            "ops": self.op_summary(),
            "results": [r.as_dict() for r in self.results],
        }


_collected: dict[str, list[Case]] = {}


def collect(modules: Iterable[str] = CASE_MODULES) -> list[Case]:
    """All cases of the given case modules (cached; ids are unique)."""
    out: list[Case] = []
    for mod in modules:
        if mod not in _collected:
            m = importlib.import_module(f"nigiri.conformance.cases.{mod}")
            _collected[mod] = list(m.cases())
        out += _collected[mod]
    seen: set[str] = set()
    for c in out:
        if c.id in seen:
            raise RuntimeError(f"duplicate conformance case id {c.id!r}")
        seen.add(c.id)
    return out


def _filter(cases: list[Case], tier: str, pattern: str | None) -> list[Case]:
    out = [c for c in cases if tier in c.tiers]
    if pattern:
        rx = re.compile(pattern)
        out = [c for c in out if rx.search(c.id)]
    return out


def apply_xfails(results: list[Result], entries: list[_xfail.XfailEntry]) -> list[str]:
    """Turn failures listed in ``entries`` into xfail and listed passes into xpass;
    return the entries that matched no case that ran."""
    used: set[int] = set()
    for r in results:
        if r.status == "skip":
            continue
        e = _xfail.match(r.case_id, entries)
        if e is None:
            continue
        used.add(id(e))
        if r.status in ("fail", "error"):
            r.message = f"expected failure ({e.reason}): {r.message}"
            r.status = "xfail"
        elif r.status == "pass":
            r.status = "xpass"
            r.message = (f"listed as a known failure in {e.source}:{e.line} ({e.reason}) "
                         "but passed: remove the entry")
    return [f"{e.source}:{e.line}: {e.pattern}" for e in entries if id(e) not in used]


def run_cases(cases: list[Case], be: Any, ref_be: Any,
              progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Run ``cases`` on ``be`` (and, for fast-path cases, also without fast paths)."""
    results = []
    for case in cases:
        res = run_case(case, be, ref_be)
        results.append(res)
        if progress:
            progress(res)
        if case.fast_path and be.fast_path(case.fast_path) is not None:
            res2 = run_case(case, be, ref_be, composite=True)
            results.append(res2)
            if progress:
                progress(res2)
    return results


def resolve_specs(spec: str) -> list[tuple[str, str | None]]:
    """Expand ``NAME[,NAME]`` or ``all`` into (device spec, unavailability reason)."""
    from .. import backends as reg

    if spec.strip() == "all":
        out: list[tuple[str, str | None]] = []
        for name in reg.names():
            if name in EXCLUDED_FROM_ALL:
                continue
            try:
                count = reg.backend_class(name).device_count()
            except Exception as exc:
                out.append((name, str(exc) or type(exc).__name__))
                continue
            if count == 0:
                out.append((name, f"backend {name!r} found no device"))
            for i in range(count):
                single = getattr(reg.backend_class(name), "single_device", False)
                out.append((name if single else f"{name}:{i}", None))
        return out
    return [(s.strip(), None) for s in spec.split(",") if s.strip()]


def run_backend(spec: str, *, quick: bool = False, max_examples: int = 100,
                pattern: str | None = None, xfail_file: str | None = None,
                layers: bool = True, seed: int | None = None,
                progress: Callable[[Result], None] | None = None) -> BackendReport:
    """Run the quick tier, or the full tier (deterministic cases, Hypothesis cases
    with ``max_examples`` examples per op, layer cases) on device ``spec``."""
    from .. import backends as reg

    try:
        be = reg.get_device(spec)
    except Exception as exc:
        return BackendReport(spec, available=False, reason=str(exc) or type(exc).__name__)
    return run_device(be, quick=quick, max_examples=max_examples, pattern=pattern,
                      xfail_file=xfail_file, layers=layers, seed=seed, progress=progress,
                      spec=spec)


def run_device(be: Any, *, quick: bool = False, max_examples: int = 100,
               pattern: str | None = None, xfail_file: str | None = None,
               layers: bool = True, seed: int | None = None,
               progress: Callable[[Result], None] | None = None,
               spec: str | None = None) -> BackendReport:
    """``run_backend`` for a backend instance (the probe calls this)."""
    from .. import backends as reg

    report = BackendReport(spec or be.device_name)
    ref_be = reg.get_device(REFERENCE)
    report.device = be.device_name
    try:
        report.versions = dict(type(be).versions())
    except Exception as exc:  # versions are informative only
        report.versions = {"error": f"{type(exc).__name__}: {exc}"}
    tier = "quick" if quick else "full"
    t0 = time.perf_counter()
    cases = _filter(collect(), tier, pattern)
    report.results = run_cases(cases, be, ref_be, progress)
    report.seconds["cases"] = time.perf_counter() - t0
    if not quick:
        from . import fuzz

        t1 = time.perf_counter()
        report.results += fuzz.run(be, ref_be, max_examples=max_examples, pattern=pattern,
                                   seed=fuzz.DEFAULT_SEED if seed is None else seed,
                                   progress=progress)
        report.seconds["hypothesis"] = time.perf_counter() - t1
        if layers:
            from . import layers as _layers

            t2 = time.perf_counter()
            report.results += _layers.run(be, ref_be, pattern=pattern, progress=progress)
            report.seconds["layers"] = time.perf_counter() - t2
    report.unused_xfails = apply_xfails(report.results, _xfail.load(be.name, xfail_file))
    report.seconds["total"] = time.perf_counter() - t0
    return report
