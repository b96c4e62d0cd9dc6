"""Reductions, scans and statistics: sum, prod, max, min, mean, var, std, any, all,
count_nonzero, argmax, argmin, cumulative_sum, cumulative_prod, diff.

Floating sums use the bound ``4 * eps * sqrt(n) * sum|x_i|`` of the tolerance model
(mean divides it by n and adds one rounding; var bounds the sum of squared deviations
the same way; std propagates the var bound through the square root); max, min, the
arg-reductions and everything on integers or bools is exact.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..case import Case
from ..inputs import Input, edge_values
from ..tolerance import EXACT, Bound, sum_bound
from ._util import FLOATS, INTS, NUMERIC, REAL, REAL_FLOATS, arr, dt, mk, negstride, rng, strided, transposed

__all__ = ["cases"]

G = "reduction"


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        return (axis % ndim,)
    return tuple(a % ndim for a in axis)


def _mag(x: np.ndarray) -> np.ndarray:
    return np.abs(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64))


def sum_tol(fn: str, axis: Any, keepdims: bool = False, correction: float = 0.0) -> Any:
    """Tolerance callable for a reduction ``fn`` over ``axis``."""

    def tol(hosts: list, ref: Any) -> Any:
        x = np.asarray(hosts[0])
        if x.dtype.kind in "iub" or fn in ("max", "min"):
            return EXACT
        ax = _axes(axis, x.ndim)
        n = int(np.prod([x.shape[a] for a in ax])) if x.ndim else 1
        mag = _mag(x)
        rdt = x.dtype
        if fn == "sum":
            return sum_bound(mag.sum(axis=ax, keepdims=keepdims), n, rdt)
        if fn == "prod":
            return sum_bound(mag.prod(axis=ax, keepdims=keepdims), n, rdt)
        eps = float(np.finfo(rdt if rdt.kind == "f" else np.dtype(rdt.char.lower())).eps)
        refv = np.abs(np.asarray(ref[3], dtype=np.complex128 if rdt.kind == "c" else np.float64))
        if fn == "mean":
            b = sum_bound(mag.sum(axis=ax, keepdims=keepdims), n, rdt).scale / max(n, 1)
            return Bound(b + 2 * eps * refv, "4*sqrt(n)*eps*sum|x|/n")
        m = mag.mean(axis=ax, keepdims=True) if n else mag.sum(axis=ax, keepdims=True)
        sq = ((mag + m) ** 2).sum(axis=ax, keepdims=keepdims)
        denom = max(n - correction, 1)
        bvar = 4 * eps * np.sqrt(max(n, 1)) * sq / denom + 2 * eps * (refv if fn == "var" else refv ** 2)
        if fn == "var":
            return Bound(bvar, "4*sqrt(n)*eps*sum(|x|+|m|)^2/(n-c)")
        with np.errstate(divide="ignore"):
            bstd = np.where(refv > 0, bvar / (2 * np.maximum(refv, 1e-300)), np.sqrt(bvar))
        return Bound(bstd + 2 * eps * refv, "var bound / (2 std)")

    return tol


def cum_tol(fn: str, axis: int) -> Any:
    def tol(hosts: list, ref: Any) -> Any:
        x = np.asarray(hosts[0])
        if x.dtype.kind in "iub":
            return EXACT
        mag = _mag(x)
        acc = np.cumsum(mag, axis=axis) if fn == "cumulative_sum" else np.cumprod(mag, axis=axis)
        n = x.shape[axis] if x.ndim else 1
        b = sum_bound(acc, n, x.dtype)
        scale = b.scale
        if ref[2] != acc.shape:  # include_initial adds a leading exact 0 / 1
            pad = [(0, 0)] * acc.ndim
            pad[axis] = (1, 0)
            scale = np.pad(scale, pad)
        return Bound(scale, b.what)

    return tol


def _configs(name: str, dtype: np.dtype, r: np.random.Generator, domain: str) -> Iterator[tuple]:
    """(label, inputs, kwargs source, axis, keepdims, quick)."""
    yield "all", (arr(r, dtype, (5, 7), domain),), "", None, False, True
    yield "axis0", (arr(r, dtype, (5, 7), domain),), ", axis=0", 0, False, False
    yield "axis1-keepdims", (arr(r, dtype, (5, 7), domain),), ", axis=1, keepdims=True", 1, True, False
    yield "axes02", (arr(r, dtype, (3, 4, 5), domain),), ", axis=(0, 2)", (0, 2), False, False
    yield "neg-axis", (arr(r, dtype, (3, 4, 5), domain),), ", axis=-1", -1, False, False
    yield "strided", (strided(r, dtype, (6, 5), domain),), ", axis=1", 1, False, True
    yield "transposed", (transposed(r, dtype, (6, 5), domain),), ", axis=0", 0, False, False
    yield "negstride", (negstride(r, dtype, (9,), domain),), "", None, False, False
    yield "0d", (arr(r, dtype, (), domain),), "", None, False, False
    if name not in ("max", "min"):
        yield "empty", (Input(np.zeros((0, 4), dtype)),), ", axis=0", 0, False, False
    if dtype.kind in "fc" and name in ("sum", "mean", "var", "std"):
        yield "long", (arr(r, dtype, (4099,), domain),), "", None, False, False


def _reduce_cases() -> Iterator[Case]:
    table = {
        "sum": NUMERIC, "prod": NUMERIC, "max": REAL, "min": REAL,
        "mean": FLOATS, "var": REAL_FLOATS + [dt("complex64")], "std": REAL_FLOATS,
    }
    for name, dtypes in table.items():
        domain = "small" if name == "prod" else "any"
        for dtype in dtypes:
            for label, ins, kw, axis, keep, quick in _configs(name, dtype, rng(f"{name}{dtype}"), domain):
                if name == "prod" and dtype.kind in "fc":  # keep products representable
                    ins = tuple(Input(np.asarray(np.where(np.abs(i.base) > 1.5, i.base / 3, i.base), dtype), i.view)
                                for i in ins)
                quick = quick and dtype in (dt("float32"), dt("int32"))
                yield mk(f"{name}[{dtype.name},{label}]", name, G, ins, f"ng.{name}(x1{kw})",
                         tol=sum_tol(name, axis, keep), quick=quick)
            if name in ("var", "std") and dtype.kind == "f":
                r = rng(f"{name}{dtype}c1")
                yield mk(f"{name}[{dtype.name},correction1]", name, G, (arr(r, dtype, (6, 5)),),
                         f"ng.{name}(x1, axis=0, correction=1)", tol=sum_tol(name, 0, False, 1.0))
        if name in ("max", "min"):
            for dtype in REAL_FLOATS:
                ev = edge_values(dtype)
                yield mk(f"{name}[{dtype.name},edge-nan]", name, G, (Input(ev),), f"ng.{name}(x1)",
                         quick=dtype == dt("float32"))
                yield mk(f"{name}[{dtype.name},edge-axis]", name, G,
                         (Input(np.stack([ev, ev[::-1]])),), f"ng.{name}(x1, axis=0)")
            yield mk(f"{name}[float32,empty]", name, G, (Input(np.zeros((0, 3), np.float32)),),
                     f"ng.{name}(x1, axis=0)", raises=ValueError)
    # accumulation dtypes
    r = rng("sum-dtype")
    yield mk("sum[int8,dtype=int64]", "sum", G, (arr(r, dt("int8"), (40,)),), "ng.sum(x1, dtype=ng.int64)")
    yield mk("sum[float32,dtype=float64]", "sum", G, (arr(r, dt("float32"), (40,)),),
             "ng.sum(x1, dtype=ng.float64)", tol=sum_tol("sum", None))
    yield mk("sum[bool]", "sum", G, (arr(r, dt("bool"), (4, 5)),), "ng.sum(x1, axis=1)")
    yield mk("prod[uint8,dtype=uint64]", "prod", G, (arr(r, dt("uint8"), (6,), "small"),),
             "ng.prod(x1, dtype=ng.uint64)")


def _truth_cases() -> Iterator[Case]:
    for name in ("any", "all", "count_nonzero"):
        for dtype in [dt("bool")] + [dt(n) for n in ("int8", "int64", "uint32", "float32", "float64", "complex64")]:
            r = rng(f"{name}{dtype}")
            base = arr(r, dtype, (5, 7))
            sparse = Input(np.where(np.random.default_rng(1).random((5, 7)) < 0.8,
                                    np.zeros((), dtype), base.base).astype(dtype))
            allnz = Input(np.where(base.base == 0, np.ones((), dtype), base.base).astype(dtype))
            q = dtype in (dt("bool"), dt("float32"))
            yield mk(f"{name}[{dtype.name},all]", name, G, (base,), f"ng.{name}(x1)", quick=q)
            yield mk(f"{name}[{dtype.name},sparse-axis1]", name, G, (sparse,), f"ng.{name}(x1, axis=1)")
            yield mk(f"{name}[{dtype.name},nonzero-axis0-keepdims]", name, G, (allnz,),
                     f"ng.{name}(x1, axis=0, keepdims=True)")
            yield mk(f"{name}[{dtype.name},strided]", name, G, (strided(r, dtype, (3, 4)),),
                     f"ng.{name}(x1, axis=0)")
            yield mk(f"{name}[{dtype.name},empty]", name, G, (Input(np.zeros((0, 3), dtype)),),
                     f"ng.{name}(x1, axis=0)")
            if dtype.kind == "f":
                yield mk(f"{name}[{dtype.name},edge]", name, G, (Input(edge_values(dtype)),),
                         f"ng.{name}(x1)")


def _arg_cases() -> Iterator[Case]:
    for name in ("argmax", "argmin"):
        for dtype in REAL:
            r = rng(f"{name}{dtype}")
            ties = Input(np.asarray(values_pool(r, dtype, (6, 5))))
            q = dtype in (dt("float32"), dt("int32"))
            yield mk(f"{name}[{dtype.name},flat]", name, G, (ties,), f"ng.{name}(x1)", quick=q)
            yield mk(f"{name}[{dtype.name},axis0]", name, G, (ties,), f"ng.{name}(x1, axis=0)")
            yield mk(f"{name}[{dtype.name},axis1-keepdims]", name, G, (ties,),
                     f"ng.{name}(x1, axis=1, keepdims=True)")
            yield mk(f"{name}[{dtype.name},transposed]", name, G, (transposed(r, dtype, (4, 6)),),
                     f"ng.{name}(x1, axis=1)")
            yield mk(f"{name}[{dtype.name},negstride]", name, G, (negstride(r, dtype, (11,)),),
                     f"ng.{name}(x1)")
            if dtype.kind == "f":
                ev = edge_values(dtype)
                yield mk(f"{name}[{dtype.name},edge-nan]", name, G, (Input(ev),), f"ng.{name}(x1)")
                yield mk(f"{name}[{dtype.name},edge-nan-axis]", name, G,
                         (Input(np.stack([ev[1:], ev[:-1]]).T.copy()),), f"ng.{name}(x1, axis=1)")
        yield mk(f"{name}[float32,empty]", name, G, (Input(np.zeros((0,), np.float32)),),
                 f"ng.{name}(x1)", raises=ValueError)


def values_pool(r: np.random.Generator, dtype: np.dtype, shape: tuple) -> np.ndarray:
    """Values from a small pool, so maxima and minima are tied (first index wins)."""
    if dtype.kind == "b":
        return r.random(shape) < 0.5
    pool = np.array([0, 1, 2, 3, 5], dtype=dtype) if dtype.kind == "u" else np.array([-3, -1, 0, 2, 3], dtype=dtype)
    return r.choice(pool, size=shape)


def _cum_cases() -> Iterator[Case]:
    for name in ("cumulative_sum", "cumulative_prod"):
        domain = "small" if name == "cumulative_prod" else "any"
        for dtype in NUMERIC + [dt("bool")]:
            r = rng(f"{name}{dtype}")
            q = dtype in (dt("float32"), dt("int32"))

            def prep(i: Input, name: str = name, dtype: np.dtype = dtype) -> Input:
                if name == "cumulative_prod" and dtype.kind in "fc":
                    return Input(np.asarray(np.where(np.abs(i.base) > 1.5, i.base / 3, i.base), dtype), i.view)
                return i

            yield mk(f"{name}[{dtype.name},1d]", name, G, (prep(arr(r, dtype, (17,), domain)),),
                     f"ng.{name}(x1)", tol=cum_tol(name, 0), quick=q)
            yield mk(f"{name}[{dtype.name},axis0]", name, G, (prep(arr(r, dtype, (6, 5), domain)),),
                     f"ng.{name}(x1, axis=0)", tol=cum_tol(name, 0))
            yield mk(f"{name}[{dtype.name},axis1-strided]", name, G, (prep(strided(r, dtype, (4, 6), domain)),),
                     f"ng.{name}(x1, axis=1)", tol=cum_tol(name, 1))
            yield mk(f"{name}[{dtype.name},include_initial]", name, G, (prep(arr(r, dtype, (3, 4), domain)),),
                     f"ng.{name}(x1, axis=1, include_initial=True)", tol=cum_tol(name, 1))
            yield mk(f"{name}[{dtype.name},empty]", name, G, (Input(np.zeros((0,), dtype)),),
                     f"ng.{name}(x1)", tol=cum_tol(name, 0))
        yield mk(f"{name}[int8,dtype=int64]", name, G, (arr(rng(name + "dt"), dt("int8"), (9,), domain),),
                 f"ng.{name}(x1, dtype=ng.int64)")
        yield mk(f"{name}[float32,2d-no-axis]", name, G, (arr(rng(name), dt("float32"), (2, 3)),),
                 f"ng.{name}(x1)", raises=ValueError)


def _diff2_tol(hosts: list, ref: Any) -> Any:
    """Second difference x[i+2] - 2 x[i+1] + x[i]: 4 eps times the sum of |terms|."""
    x = _mag(np.asarray(hosts[0]))
    eps = float(np.finfo(np.asarray(hosts[0]).real.dtype).eps)
    return Bound(4 * eps * (x[:-2] + 2 * x[1:-1] + x[2:]), "4*eps*sum|terms|")


def _diff_cases() -> Iterator[Case]:
    from ..tolerance import ulps_for_class

    for dtype in NUMERIC:
        r = rng(f"diff{dtype}")
        tol = ulps_for_class("basic") if dtype.kind in "fc" else EXACT
        yield mk(f"diff[{dtype.name},n1]", "diff", G, (arr(r, dtype, (4, 9)),), "ng.diff(x1)", tol=tol)
        yield mk(f"diff[{dtype.name},n2-axis0]", "diff", G, (strided(r, dtype, (5, 3)),),
                 "ng.diff(x1, axis=0, n=2)", tol=tol if dtype.kind in "iu" else _diff2_tol)
        yield mk(f"diff[{dtype.name},prepend]", "diff", G, (arr(r, dtype, (3, 4)), arr(r, dtype, (3, 1))),
                 "ng.diff(x1, prepend=x2)", tol=tol)
    for dtype in INTS[:1]:
        yield mk(f"diff[{dtype.name},0d]", "diff", G, (Input(np.asarray(3, dtype)),), "ng.diff(x1)",
                 raises=IndexError)


def cases() -> Iterator[Case]:
    yield from _reduce_cases()
    yield from _truth_cases()
    yield from _arg_cases()
    yield from _cum_cases()
    yield from _diff_cases()
