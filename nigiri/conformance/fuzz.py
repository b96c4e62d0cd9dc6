"""The Hypothesis-driven part of the full tier.

Per target (every op-table op, plus reductions, scans and matmul), Hypothesis draws a
dtype the op accepts, shapes (broadcast-compatible for binary ops, empty and 0-d
included), domain-aware elements with NaN/inf where the domain admits them, and a
layout (contiguous, step-2 slice, negative step, transpose); the case runs on the
backend and on the reference exactly like a deterministic case. On failure Hypothesis
shrinks the example and the result carries the minimal reproducer.

Data is drawn with ``hypothesis.extra.numpy`` on the host and moved to each device
with ``ng.asarray``, rather than with ``hypothesis.extra.array_api`` over the nigiri
namespace: the harness's contract is "the same host data on both devices", and the
printed reproducer is then plain NumPy literals that do not depend on the generator.
Reductions and matmul use the adversarial bound ``n * eps * sum|x_i|`` on data whose
result cannot depend on the order of accumulation (``_accum_elements``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..arrays.dtypes import ALL_DTYPES, CATEGORIES
from ..arrays.optable import OPS, Op
from .case import Case, Result, run_case
from .inputs import Input, edge_values
from .tolerance import sum_bound, matmul_bound, ulps_for_class

__all__ = ["run", "TARGETS", "DEFAULT_SEED"]

DEFAULT_SEED = 20231212

_DOMAIN_LIMITS = {  # (min, max) for floats; None: unbounded with NaN/inf
    "any": None, "nonzero2": None, "positive": (0.0, None), "nonneg": (0.0, None),
    "unit": (-1.0, 1.0), "ge1": (1.0, None), "gt-1": (-1.0, None), "small": (-4.0, 4.0),
    "shift": None,
}


def _accum_elements(st: Any, dtype: np.dtype, kind: str) -> Any:
    """Elements for reductions and matmul whose result must not depend on the order of
    accumulation: no finite value large enough to overflow a partial sum (which one
    order overflows and another not), and for products magnitudes in [0.75, 1.25].
    NaN and +-inf stay for sums of real values (their propagation is order
    independent); products and matmul get finite values only, because BLAS skips zero
    terms (so inf * 0 need not give NaN) and complex infinities are C99 Annex G cases."""
    from hypothesis.extra import numpy as hnp

    real = np.dtype(np.float32) if dtype == np.complex64 else (
        np.dtype(np.float64) if dtype.kind == "c" else dtype)
    if dtype.kind in "iu":
        return hnp.from_dtype(dtype)  # integer arithmetic wraps identically in any order
    if kind == "prod":
        mag = st.floats(0.75, 1.25, width=real.itemsize * 8)  # exact in float16 too
        val = st.builds(lambda m, neg: -m if neg else m, mag, st.booleans())
        if dtype.kind == "c":
            return st.builds(complex, val, st.floats(-0.25, 0.25, width=real.itemsize * 8))
        return st.one_of(val, st.sampled_from([0.0, -0.0]))
    bound = 64.0 if real == np.float16 else 4.0 if kind == "matmul" else 1e4
    if dtype.kind == "c":
        return hnp.from_dtype(dtype, max_magnitude=bound, allow_nan=False, allow_infinity=False,
                              allow_subnormal=False)
    vals = hnp.from_dtype(dtype, min_value=-bound, max_value=bound, allow_nan=False,
                          allow_infinity=False, allow_subnormal=False)
    specials = [0.0, -0.0] if kind == "matmul" else [0.0, -0.0, float("nan"), float("inf"), float("-inf")]
    return st.one_of(vals, st.sampled_from(specials))


def _elements(st: Any, dtype: np.dtype, domain: str, role: int) -> Any:
    """Domain-aware elements, mixed with the special values of ``edge_values`` (NaN,
    +-inf, +-0.0, extremes, branch points) so IEEE edge semantics are drawn often.
    Domains ``sum``, ``prod`` and ``matmul`` are the accumulation-safe elements."""
    if domain in ("sum", "prod", "matmul"):
        return _accum_elements(st, dtype, domain)
    base = _base_elements(st, dtype, domain, role)
    if dtype.kind in "iu" and domain in ("small", "shift") and role == 1:
        return base
    special = [v.item() if hasattr(v, "item") else v for v in edge_values(dtype, domain, role)]
    return st.one_of(base, st.sampled_from(special))


def _base_elements(st: Any, dtype: np.dtype, domain: str, role: int) -> Any:
    from hypothesis.extra import numpy as hnp

    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if domain == "shift" and role == 1:
            return st.integers(0, info.bits + 2)
        if domain == "small" and role == 1:
            return st.integers(max(info.min, -3), 70)
        return hnp.from_dtype(dtype)
    if dtype.kind == "f":
        lim = _DOMAIN_LIMITS.get(domain)
        if domain == "small" and dtype == np.float16:
            lim = (-4.0, 4.0)
        if lim is None:
            return hnp.from_dtype(dtype, allow_subnormal=False)
        lo, hi = lim
        return hnp.from_dtype(dtype, min_value=lo, max_value=hi, allow_nan=False,
                              allow_infinity=hi is None, allow_subnormal=False)
    if dtype.kind == "c":
        return hnp.from_dtype(dtype, allow_subnormal=False)
    return hnp.from_dtype(dtype)


def _layout_input(draw: Any, st: Any, dtype: np.dtype, shape: tuple[int, ...],
                  domain: str, role: int) -> Input:
    """Draw data for ``shape`` with a random layout (contiguous, step 2, negative
    step, transpose of a 2-d array)."""
    from hypothesis.extra import numpy as hnp

    kinds = ["contig"]
    if len(shape) >= 1:
        kinds += ["step2", "negstep"]
    if len(shape) == 2:
        kinds.append("transpose")
    kind = draw(st.sampled_from(kinds))
    base_shape: tuple[int, ...] = shape
    view: tuple = ()
    if kind == "step2":
        base_shape = (2 * shape[0],) + shape[1:]
        view = (("getitem", (slice(None, None, 2),)),)
    elif kind == "negstep":
        view = (("getitem", (slice(None, None, -1),)),)
    elif kind == "transpose":
        base_shape = shape[::-1]
        view = (("permute", (1, 0)),)
    base = draw(hnp.arrays(dtype, base_shape, elements=_elements(st, dtype, domain, role)))
    return Input(base, view)


def _op_target(op: Op) -> Callable[[Any, Any], Case]:
    dtypes = [d for d in ALL_DTYPES if d in CATEGORIES[op.category]]
    tol = ulps_for_class(op.tol)
    code = f"ng.{op.name}(x1)" if op.arity == 1 else f"ng.{op.name}(x1, x2)"

    def build(draw: Any, st: Any) -> Case:
        from hypothesis.extra import numpy as hnp

        dtype = draw(st.sampled_from(dtypes))
        if op.arity == 1:
            shapes = (draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)),)
        else:
            bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=5))
            shapes = bs.input_shapes
        ins = tuple(_layout_input(draw, st, dtype, s, op.domain, r) for r, s in enumerate(shapes))
        return Case(f"{op.name}[hypothesis]", op.name, ins, code, tol=tol, dtypes=(dtype,),
                    group="elementwise")

    return build


_REAL = [d for d in ALL_DTYPES if d.kind in "iuf"]
_FLOAT = [d for d in ALL_DTYPES if d.kind in "fc"]


def _reduce_target(name: str) -> Callable[[Any, Any], Case]:
    dtypes = [d for d in ALL_DTYPES if d.kind in "iufc"] if name in ("sum", "prod") else _REAL

    def build(draw: Any, st: Any) -> Case:
        from hypothesis.extra import numpy as hnp

        dtype = draw(st.sampled_from(dtypes))
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=2 if name == "prod" else 3,
                                      min_side=1, max_side=6))
        axis = draw(st.one_of(st.none(), st.integers(0, len(shape) - 1)))
        domain = {"sum": "sum", "prod": "prod"}.get(name, "any")  # max/min: any order
        x = _layout_input(draw, st, dtype, shape, domain, 0)

        def tol(hosts: list, ref: Any) -> Any:
            a = np.asarray(hosts[0])
            if name in ("max", "min") or dtype.kind in "iu":
                return ulps_for_class("exact")
            n = a.size if axis is None else a.shape[axis]
            mag = np.abs(a.astype(np.complex128 if dtype.kind == "c" else np.float64))
            s = np.sum(mag, axis=axis) if name == "sum" else np.prod(mag, axis=axis)
            return sum_bound(s, n, dtype, adversarial=True)

        return Case(f"{name}[hypothesis]", name, (x,), f"ng.{name}(x1, axis={axis})",
                    tol=tol, dtypes=(dtype,), group="reduction")

    return build


def _matmul_target(draw: Any, st: Any) -> Case:

    dtype = draw(st.sampled_from(_FLOAT))
    m, k, n = (draw(st.integers(1, 6)) for _ in range(3))
    a = _layout_input(draw, st, dtype, (m, k), "matmul", 0)
    b = _layout_input(draw, st, dtype, (k, n), "matmul", 0)

    def tol(hosts: list, ref: Any) -> Any:
        return matmul_bound(np.asarray(hosts[0]), np.asarray(hosts[1]), dtype, adversarial=True)

    return Case("matmul[hypothesis]", "matmul", (a, b), "ng.matmul(x1, x2)", tol=tol,
                dtypes=(dtype,), group="linalg")


def _basic_key(draw: Any, st: Any, shape: tuple[int, ...]) -> tuple:
    """A random basic index: per leading axis an int or a slice (any step sign)."""
    key = []
    for n in shape[: draw(st.integers(0, len(shape)))]:
        if n and draw(st.booleans()):
            key.append(draw(st.integers(-n, n - 1)))
        else:
            start = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            stop = draw(st.one_of(st.none(), st.integers(-n - 2, n + 2)))
            step = draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool)))
            key.append(slice(start, stop, step))
    return tuple(key)


def _key_src(key: tuple) -> str:
    from .inputs import _key_repr

    return _key_repr(key) if key else "..."


def _getitem_target(draw: Any, st: Any) -> Case:
    from hypothesis.extra import numpy as hnp

    dtype = draw(st.sampled_from(list(ALL_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=6))
    x = _layout_input(draw, st, dtype, shape, "any", 0)
    key = _basic_key(draw, st, shape)
    return Case("getitem[hypothesis]", "getitem", (x,), f"x1[{_key_src(key)}]", dtypes=(dtype,),
                group="indexing")


def _alias_target(draw: Any, st: Any) -> Case:
    """Write through a random basic view; the base must change exactly as on numpy."""
    from hypothesis.extra import numpy as hnp

    dtype = draw(st.sampled_from(list(ALL_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6))
    x = _layout_input(draw, st, dtype, shape, "any", 0)
    v = Input(draw(hnp.arrays(dtype, (), elements=_elements(st, dtype, "any", 0))))
    key = _basic_key(draw, st, shape)
    code = f"y = x1[{_key_src(key)}]\ny[...] = x2\nout = x1"
    return Case("aliasing[hypothesis]", "aliasing", (x, v), code, dtypes=(dtype,), group="indexing")


def _sort_target(name: str) -> Callable[[Any, Any], Case]:
    def build(draw: Any, st: Any) -> Case:
        from hypothesis.extra import numpy as hnp

        dtype = draw(st.sampled_from(_REAL))
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=8))
        x = _layout_input(draw, st, dtype, shape, "any", 0)
        desc = draw(st.booleans())
        return Case(f"{name}[hypothesis]", name, (x,), f"ng.{name}(x1, descending={desc})",
                    dtypes=(dtype,), group="sorting")

    return build


def _cumsum_target(draw: Any, st: Any) -> Case:
    from hypothesis.extra import numpy as hnp

    dtype = draw(st.sampled_from([d for d in ALL_DTYPES if d.kind in "iufc"]))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=8))
    axis = draw(st.integers(0, len(shape) - 1))
    x = _layout_input(draw, st, dtype, shape, "sum", 0)

    def tol(hosts: list, ref: Any) -> Any:
        a = np.asarray(hosts[0])
        if a.dtype.kind in "iu":
            return ulps_for_class("exact")
        mag = np.abs(a.astype(np.complex128 if a.dtype.kind == "c" else np.float64))
        return sum_bound(np.cumsum(mag, axis=axis), a.shape[axis], a.dtype, adversarial=True)

    return Case("cumulative_sum[hypothesis]", "cumulative_sum", (x,),
                f"ng.cumulative_sum(x1, axis={axis})", tol=tol, dtypes=(dtype,), group="reduction")


TARGETS: dict[str, Callable[[Any, Any], Case]] = {name: _op_target(op) for name, op in OPS.items()}
TARGETS["getitem"] = _getitem_target
TARGETS["aliasing"] = _alias_target
TARGETS["sort"] = _sort_target("sort")
TARGETS["argsort"] = _sort_target("argsort")
TARGETS["cumulative_sum"] = _cumsum_target
TARGETS.update({name: _reduce_target(name) for name in ("sum", "prod", "max", "min")})
TARGETS["matmul"] = _matmul_target


def _run_target(name: str, build: Callable[[Any, Any], Case], be: Any, ref_be: Any,
                max_examples: int, seed: int) -> Result:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    state: dict[str, Any] = {"last_fail": None, "n": 0, "worst": None, "skips": 0}

    @hseed(seed)
    @settings(max_examples=max_examples, deadline=None, database=None,
              phases=(Phase.explicit, Phase.generate, Phase.target, Phase.shrink),
              suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False)
    @given(st.data())
    def check(data: Any) -> None:
        case = build(data.draw, st)
        res = run_case(case, be, ref_be)
        state["n"] += 1
        if res.status == "skip":
            state["skips"] += 1
            return
        if res.status != "pass":
            state["last_fail"] = res
            raise AssertionError(res.message)
        if res.worst is not None and (state["worst"] is None or res.worst > state["worst"][0]):
            state["worst"] = (res.worst, res.unit)

    out = Result(f"{name}[hypothesis]", name, be.device_name, "pass", group="hypothesis")
    try:
        check()
    except AssertionError:
        fail = state["last_fail"]
        out.status = fail.status if fail is not None else "fail"
        out.message = (fail.message if fail else "Hypothesis reported a failure") + (
            f"\n(minimal example found by Hypothesis, seed {seed})")
        out.reproducer = fail.reproducer if fail else ""
        return out
    except Exception as exc:  # an error in the harness itself
        out.status = "error"
        out.message = f"Hypothesis run failed: {type(exc).__name__}: {exc}"
        return out
    if state["worst"] is not None:
        out.worst, out.unit = state["worst"]
    out.message = f"{state['n']} examples ({state['skips']} skipped by capabilities)"
    if state["n"] and state["skips"] == state["n"]:
        out.status = "skip"
        out.message = "every drawn dtype is missing on this device (capabilities)"
    return out


def run(be: Any, ref_be: Any, *, max_examples: int = 100, pattern: str | None = None,
        seed: int = DEFAULT_SEED, progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Run every Hypothesis target (filtered by ``pattern`` on ``op[hypothesis]``)."""
    import re

    try:
        import hypothesis  # noqa: F401
    except ImportError:
        return [Result("hypothesis", "hypothesis", be.device_name, "skip",
                       "the Hypothesis tier needs the hypothesis package: pip install hypothesis",
                       group="hypothesis")]
    rx = re.compile(pattern) if pattern else None
    results = []
    for name, build in TARGETS.items():
        if rx is not None and not rx.search(f"{name}[hypothesis]"):
            continue
        if max_examples <= 0:
            continue
        res = _run_target(name, build, be, ref_be, max_examples, seed)
        results.append(res)
        if progress:
            progress(res)
    return results
