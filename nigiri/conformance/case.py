"""Cases and the harness that runs one case on a backend and on the reference.

A ``Case`` is data: an id, the op it tests (the row of the report table), its inputs
(``inputs.Input``), and ``code``: a Python expression, or a block that assigns
``out``, evaluated with ``ng``, ``np`` and the inputs ``x1, x2, ...`` in scope. The
same code is the reproducer a failure prints. ``run_case`` evaluates it on the device
under test and on the numpy reference, each with its own copy of the inputs, and
checks, in this order: the same exception type (or both succeed), the result
structure, dtype, shape, then values under the case's tolerance.
"""

from __future__ import annotations

import contextlib
import functools
import time
import traceback
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from . import inputs as _inputs
from .tolerance import EXACT, Tolerance, Verdict, compare

__all__ = ["Case", "Result", "run_case", "reproducer", "Outcome", "fast_paths_disabled", "DLPackView",
           "STATUSES", "UNEXPECTED"]

#: Result statuses; "error" is a broken case (the reference raised unexpectedly),
#: "xpass" an expected failure that passed: both count as unexpected.
STATUSES = ("pass", "fail", "error", "xfail", "xpass", "skip")
UNEXPECTED = frozenset({"fail", "error", "xpass"})

REFERENCE = "numpy"


@dataclass(frozen=True)
class Case:
    """One conformance check (see the module docstring).

    ``inputs``: the ``Input`` tuple, or a callable producing it on first use (so that
    collecting thousands of cases costs nothing until a tier runs them).
    ``tol``: a Tolerance, or a callable ``tol(host_inputs, ref_output) -> Tolerance``
    (reductions compute their bound from the data). ``check``: optional custom
    comparison ``check(got, ref, host_inputs) -> Verdict`` replacing dtype/shape/value
    checks (decompositions compare invariants). ``raises``: the exception type the
    reference is expected to raise (None: it must succeed). ``dtypes``: the dtypes the
    case needs; a device lacking one skips the case with the capability as reason.
    ``tiers``: "quick" and/or "full". ``fast_path``: run the backend with and without
    this fast path (``backend.fast_path(name)``) when it registers one. ``needs``:
    optional primitives (``contract.OPTIONAL_PRIMITIVES``) the case exercises; a
    backend that declares or lacks one skips the case with that as the reason.
    The code sees ``device``: the backend instance it runs on (``device=device``).
    """

    id: str
    op: str
    inputs: Any  # tuple[Input, ...] or a zero-argument callable returning one (lazy)
    code: str
    tol: Any = EXACT
    check: Callable[..., Verdict] | None = None
    raises: type[BaseException] | tuple[type[BaseException], ...] | None = None
    dtypes: tuple[np.dtype, ...] = ()
    tiers: frozenset = frozenset({"full"})
    fast_path: str | None = None
    group: str = ""
    needs: tuple[str, ...] = ()

    @functools.cached_property
    def ins(self) -> tuple[_inputs.Input, ...]:
        """The inputs, generated on first use when ``inputs`` is a callable."""
        return tuple(self.inputs() if callable(self.inputs) else self.inputs)


@dataclass
class Result:
    """The outcome of one case on one backend."""

    case_id: str
    op: str
    backend: str
    status: str
    message: str = ""
    worst: float | None = None
    unit: str = ""
    reproducer: str = ""
    seconds: float = 0.0
    group: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in (
            "case_id", "op", "backend", "status", "message", "worst", "unit",
            "reproducer", "seconds", "group")}


@dataclass
class Outcome:
    """What evaluating a case's code produced on one device."""

    value: Any = None
    error: BaseException | None = None
    tb: str = ""


_compiled: dict[str, tuple[Any, bool]] = {}


def _compile(code: str) -> tuple[Any, bool]:
    got = _compiled.get(code)
    if got is None:
        try:
            got = (compile(code, "<conformance case>", "eval"), True)
        except SyntaxError:
            got = (compile(code, "<conformance case>", "exec"), False)
        _compiled[code] = got
    return got


def _to_host(value: Any) -> Any:
    """Results as host data: Arrays become ("array", dtype, shape, copy); tuples and
    lists recurse; Python scalars keep their type."""
    import nigiri as ng

    if isinstance(value, ng.Array):
        host = np.array(ng.to_numpy(value), copy=True)
        return ("array", value.dtype, tuple(value.shape), host)
    if isinstance(value, (tuple, list)):
        return ("seq", type(value).__name__, [_to_host(v) for v in value])
    return ("py", type(value).__name__, value)  # bool, int, float, str, None, ...


def evaluate(case: Case, device: Any) -> Outcome:
    """Materialize the inputs on ``device`` and evaluate the case's code there."""
    import nigiri as ng

    code, is_expr = _compile(case.code)
    try:
        env: dict[str, Any] = {"ng": ng, "np": np, "device": device}
        for i, inp in enumerate(case.ins):
            env[f"x{i + 1}"] = _inputs.materialize(inp, device)
    except Exception as exc:  # input preparation must work on both sides
        return Outcome(error=exc, tb="preparing inputs: " + traceback.format_exc(limit=4))
    try:
        # IEEE overflow/invalid results are results here, not warnings to print
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if is_expr:
                value = eval(code, env)
            else:
                exec(code, env)
                value = env.get("out")
            return Outcome(value=_to_host(value))
    except Exception as exc:
        return Outcome(error=exc, tb=traceback.format_exc(limit=6))


def _compare_values(got: Any, ref: Any, tol: Tolerance, path: str) -> Verdict:
    if got[0] != ref[0]:
        return Verdict(False, message=f"{path}: result kind {got[0]} (expected {ref[0]})")
    if ref[0] == "seq":
        if len(got[2]) != len(ref[2]):
            return Verdict(False, message=f"{path}: {len(got[2])} results (expected {len(ref[2])})")
        worst = Verdict(True)
        for i, (g, r) in enumerate(zip(got[2], ref[2])):
            t = tol[i] if isinstance(tol, (tuple, list)) else tol
            v = _compare_values(g, r, t, f"{path}[{i}]")
            if not v.ok:
                return v
            if worst.unit == "" or v.worst >= worst.worst:
                worst = v
        return worst
    if ref[0] == "py":
        if got[1] != ref[1]:
            return Verdict(False, message=f"{path}: Python type {got[1]} (expected {ref[1]})")
        g, r = np.asarray(got[2]), np.asarray(ref[2])
        if g.shape != r.shape or g.dtype != r.dtype:
            return Verdict(False, message=f"{path}: {g!r} (expected {r!r})")
        v = compare(g, r, tol)
        if not v.ok:
            v.message = f"{path}: {v.message}"
        return v
    _, gdt, gshape, ghost = got
    _, rdt, rshape, rhost = ref
    if gdt != rdt:
        return Verdict(False, message=f"{path}: dtype {gdt} (expected {rdt})")
    if gshape != rshape:
        return Verdict(False, message=f"{path}: shape {gshape} (expected {rshape})")
    if ghost.shape != gshape or ghost.dtype != gdt:
        return Verdict(False, message=f"{path}: to_numpy gave {ghost.dtype}{ghost.shape} "
                                      f"for an array of {gdt}{gshape}")
    v = compare(ghost, rhost, tol)
    if not v.ok:
        v.message = f"{path}: {v.message}"
    return v


@contextlib.contextmanager
def fast_paths_disabled(be: Any) -> Iterator[None]:
    """Temporarily hide every fast path of backend ``be`` (composites run instead)."""
    saved = be._fast_paths
    be._fast_paths = {}
    try:
        yield
    finally:
        be._fast_paths = saved


def reproducer(case: Case, device: str) -> str:
    """Copy-pasteable Python that reruns ``case`` on ``device``."""
    lines = ["import numpy as np", "import nigiri as ng", f"device = {device!r}"]
    for i, inp in enumerate(case.ins):
        lines.append(_inputs.literal(inp, f"x{i + 1}", device))
    code = case.code
    _, is_expr = _compile(code)
    lines.append(f"out = {code}" if is_expr else code)
    lines.append("print(out)")
    return "\n".join(lines)


def _resolve_tol(case: Case, ref: Outcome) -> Any:
    if callable(case.tol) and not isinstance(case.tol, type):
        hosts = [_inputs.host_view(inp) for inp in case.ins]
        return case.tol(hosts, ref.value)
    return case.tol


def run_case(case: Case, be: Any, ref_be: Any, *, composite: bool = False) -> Result:
    """Run ``case`` on backend instance ``be`` and on the reference ``ref_be``."""
    t0 = time.perf_counter()
    device = be.device_name
    res = Result(case.id + ("[composite]" if composite else ""), case.op, device, "pass",
                 group=case.group)
    for dt in case.dtypes:
        if not be.capabilities.supports_dtype(np.dtype(dt)):
            res.status = "skip"
            res.message = f"device lacks {np.dtype(dt).name} (capabilities)"
            return res
    missing = _missing_primitives(case, be)
    if missing:
        res.status = "skip"
        res.message = f"optional primitive {missing} not provided by this backend"
        return res
    with fast_paths_disabled(ref_be):
        ref = evaluate(case, ref_be)
    if composite:
        with fast_paths_disabled(be):
            got = evaluate(case, be)
    else:
        got = evaluate(case, be)
    res.seconds = time.perf_counter() - t0
    try:
        return _judge(case, res, got, ref)
    finally:
        if res.status != "pass":  # reproducers only where someone will read them
            res.reproducer = reproducer(case, device)


def _judge(case: Case, res: Result, got: Outcome, ref: Outcome) -> Result:
    expected = case.raises
    if ref.error is not None and (expected is None or not isinstance(ref.error, expected)):
        res.status = "error"
        res.message = (f"the reference raised {type(ref.error).__name__}: {ref.error}"
                       + (f" (expected {_names(expected)})" if expected else "")
                       + "\n" + ref.tb)
        return res
    if ref.error is None and expected is not None:
        res.status = "error"
        res.message = f"the reference did not raise {_names(expected)}"
        return res
    if ref.error is not None or got.error is not None:
        if ref.error is None:
            res.status = "fail"
            res.message = f"raised {type(got.error).__name__}: {got.error}\n{got.tb}"
        elif got.error is None:
            res.status = "fail"
            res.message = (f"did not raise: the reference raised "
                           f"{type(ref.error).__name__}: {ref.error}")
        elif type(got.error) is not type(ref.error):
            res.status = "fail"
            res.message = (f"raised {type(got.error).__name__}: {got.error}; the reference "
                           f"raised {type(ref.error).__name__}: {ref.error}")
        return res
    try:
        with np.errstate(all="ignore"):
            verdict = _verdict(case, got, ref)
    except Exception as exc:
        res.status = "error"
        res.message = f"comparison failed: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"
        return res
    res.worst, res.unit = verdict.worst, verdict.unit
    if not verdict.ok:
        res.status = "fail"
        res.message = verdict.message
    return res


def _missing_primitives(case: Case, be: Any) -> str:
    from ..backends.contract import Backend

    for name in case.needs:
        if name in be.capabilities.unsupported or getattr(type(be), name, None) is getattr(Backend, name, None):
            return name
    return ""


class DLPackView:
    """Exposes only the DLPack protocol of an array, so ``ng.from_dlpack`` takes the
    DLPack path instead of recognising a nigiri Array."""

    def __init__(self, array: Any) -> None:
        self._array = array

    def __dlpack__(self, **kwargs: Any) -> Any:
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> Any:
        return self._array.__dlpack_device__()


def _names(exc: Any) -> str:
    if isinstance(exc, tuple):
        return " or ".join(e.__name__ for e in exc)
    return exc.__name__


def _verdict(case: Case, got: Outcome, ref: Outcome) -> Verdict:
    if case.check is not None:
        hosts = [_inputs.host_view(inp) for inp in case.ins]
        return case.check(got.value, ref.value, hosts)
    return _compare_values(got.value, ref.value, _resolve_tol(case, ref), "result")
