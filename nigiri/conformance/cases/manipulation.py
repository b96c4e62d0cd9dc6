"""Data movement: manipulation functions, astype, where, clip (all exact), for every
dtype, on contiguous and non-contiguous inputs, plus the errors they must raise."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..case import Case
from ..inputs import Input
from ..tolerance import ulps_for_class
from ._util import ALL, REAL, arr, dt, mk, negstride, rng, strided, transposed

__all__ = ["cases"]

G = "manipulation"
_QUICK = (dt("float32"), dt("int32"), dt("bool"))


def _per_dtype(dtype: np.dtype) -> Iterator[Case]:
    r = rng(f"manip{dtype}")
    q = dtype in _QUICK
    n = dtype.name

    def c(op: str, label: str, ins: tuple, code: str, quick: bool = False, **kw: object) -> Case:
        return mk(f"{op}[{n},{label}]", op, G, ins, code, quick=quick and q, **kw)

    yield c("broadcast_to", "row", (arr(r, dtype, (1, 5)),), "ng.broadcast_to(x1, (4, 5))", True)
    yield c("broadcast_to", "strided", (strided(r, dtype, (3, 1)),), "ng.broadcast_to(x1, (2, 3, 4))")
    yield c("broadcast_to", "bad-shape", (arr(r, dtype, (3,)),), "ng.broadcast_to(x1, (4, 5))",
            raises=ValueError)
    yield c("broadcast_arrays", "pair", (arr(r, dtype, (3, 1)), negstride(r, dtype, (4,))),
            "ng.broadcast_arrays(x1, x2)")
    yield c("concat", "axis0", (arr(r, dtype, (2, 3)), strided(r, dtype, (4, 3))),
            "ng.concat([x1, x2], axis=0)", True)
    yield c("concat", "axis1", (transposed(r, dtype, (2, 3)), arr(r, dtype, (2, 1))),
            "ng.concat((x1, x2), axis=1)")
    yield c("concat", "axis-none", (arr(r, dtype, (2, 3)), arr(r, dtype, (5,))),
            "ng.concat([x1, x2], axis=None)")
    yield c("concat", "empty", (arr(r, dtype, (2, 3)), Input(np.zeros((0, 3), dtype))),
            "ng.concat([x1, x2])")
    yield c("stack", "axis0", (arr(r, dtype, (2, 3)), strided(r, dtype, (2, 3))), "ng.stack([x1, x2])")
    yield c("stack", "axis-1", (arr(r, dtype, (2, 3)), negstride(r, dtype, (2, 3))),
            "ng.stack([x1, x2], axis=-1)")
    yield c("unstack", "axis1", (arr(r, dtype, (2, 3)),), "ng.unstack(x1, axis=1)")
    yield c("reshape", "contig", (arr(r, dtype, (4, 6)),), "ng.reshape(x1, (3, 8))", True)
    yield c("reshape", "minus1", (arr(r, dtype, (4, 6)),), "ng.reshape(x1, (2, -1, 3))")
    yield c("reshape", "transposed", (transposed(r, dtype, (4, 6)),), "ng.reshape(x1, (24,))", True)
    yield c("reshape", "strided", (strided(r, dtype, (3, 4)),), "ng.reshape(x1, (4, 3))")
    yield c("reshape", "copy-true", (arr(r, dtype, (2, 3)),), "ng.reshape(x1, (6,), copy=True)")
    yield c("reshape", "copy-false-needs-copy", (transposed(r, dtype, (4, 6)),),
            "ng.reshape(x1, (24,), copy=False)", True, raises=ValueError)
    yield c("reshape", "bad-size", (arr(r, dtype, (4, 6)),), "ng.reshape(x1, (5, 5))", raises=ValueError)
    yield c("permute_dims", "3d", (arr(r, dtype, (3, 4, 5)),), "ng.permute_dims(x1, (2, 0, 1))", True)
    yield c("permute_dims", "bad-axes", (arr(r, dtype, (3, 4)),), "ng.permute_dims(x1, (0, 0))",
            raises=ValueError)
    yield c("moveaxis", "3d", (arr(r, dtype, (3, 4, 5)),), "ng.moveaxis(x1, 0, -1)")
    yield c("expand_dims", "axis1", (strided(r, dtype, (3, 4)),), "ng.expand_dims(x1, axis=1)")
    yield c("expand_dims", "axis-1", (arr(r, dtype, (3,)),), "ng.expand_dims(x1, axis=-1)")
    yield c("squeeze", "axis0", (arr(r, dtype, (1, 4, 1)),), "ng.squeeze(x1, axis=(0, 2))")
    yield c("squeeze", "not-one", (arr(r, dtype, (2, 4)),), "ng.squeeze(x1, axis=0)", raises=ValueError)
    yield c("flip", "all", (arr(r, dtype, (3, 4)),), "ng.flip(x1)", True)
    yield c("flip", "axis1-strided", (strided(r, dtype, (3, 4)),), "ng.flip(x1, axis=1)")
    yield c("roll", "flat", (arr(r, dtype, (3, 4)),), "ng.roll(x1, 5)")
    yield c("roll", "axes", (transposed(r, dtype, (3, 4)),), "ng.roll(x1, (1, -2), axis=(0, 1))")
    yield c("tile", "2d", (arr(r, dtype, (2, 3)),), "ng.tile(x1, (2, 3))")
    yield c("repeat", "axis0", (arr(r, dtype, (2, 3)),), "ng.repeat(x1, 3, axis=0)")
    yield c("repeat", "array", (arr(r, dtype, (4,)), Input(np.array([0, 2, 1, 3], np.int64))),
            "ng.repeat(x1, x2)")
    yield c("where", "broadcast", (arr(r, dtype, (3, 4)), strided(r, dtype, (3, 4)),
                                   arr(r, dt("bool"), (4,))), "ng.where(x3, x1, x2)", True)
    yield c("where", "0d", (arr(r, dtype, ()), arr(r, dtype, (2,)), arr(r, dt("bool"), ())),
            "ng.where(x3, x1, x2)")
    yield c("asarray", "copy", (strided(r, dtype, (3, 4)),), "ng.asarray(x1, copy=True)")
    yield c("zeros_like", "strided", (strided(r, dtype, (3, 4)),), "ng.zeros_like(x1)")
    if dtype.kind in "iuf":
        yield c("clip", "bounds", (arr(r, dtype, (4, 5)),),
                "ng.clip(x1, 1, 3)" if dtype.kind in "iu" else "ng.clip(x1, -1.0, 1.5)")


def _astype_values(src: np.dtype, dst: np.dtype, r: np.random.Generator) -> np.ndarray:
    """Values of ``src`` whose conversion to ``dst`` is defined (no NaN or
    out-of-range float to int, which C leaves undefined)."""
    if src.kind == "b":
        return r.random(12) < 0.5
    if src.kind in "iu":
        info = np.iinfo(src)
        v = np.concatenate([r.integers(max(info.min, -300), min(info.max, 300), 10).astype(src),
                            np.array([info.min, info.max], dtype=src)])
        return v
    if dst.kind in "iub":
        lo, hi = (np.iinfo(dst).min, np.iinfo(dst).max) if dst.kind != "b" else (-5, 5)
        lo, hi = max(lo, -60000), min(hi, 60000)
        v = r.uniform(lo, hi, 12)
        v[:3] = [0.0, -0.0 if lo < 0 else 0.0, 1.75]
        with np.errstate(all="ignore"):  # float16 cannot hold +-60000 exactly: rounds
            out = v.astype(src)
        return np.clip(out, lo, hi).astype(src) if src.kind == "f" and np.isfinite(out).all() else out
    if src.kind == "c":
        re_ = r.standard_normal(12) * 100
        return (re_ + 1j * r.standard_normal(12)).astype(src)
    v = r.standard_normal(14) * 10.0 ** r.uniform(-3, 4, 14)
    with np.errstate(over="ignore"):
        out = v.astype(src)
    out[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return out


def _astype_cases() -> Iterator[Case]:
    for src in ALL:
        for dst in ALL:
            if src.kind == "c" and dst.kind != "c":
                continue  # complex to real is not a defined cast
            r = rng(f"astype{src}{dst}")
            ins = (Input(_astype_values(src, dst, r)),)
            q = src in _QUICK and dst in _QUICK
            yield mk(f"astype[{src.name}->{dst.name}]", "astype", G, ins,
                     f"ng.astype(x1, ng.{dst.name})", dtypes=(src, dst), quick=q)
        r = rng(f"astype{src}strided")
        to = dt("complex64") if src.kind == "c" else dt("float32")
        yield mk(f"astype[{src.name},strided]", "astype", G, (strided(r, src, (3, 4)),),
                 f"ng.astype(x1, ng.{to.name})", dtypes=(src, to))
        if src.kind == "c":
            yield mk(f"astype[{src.name}->float32,drops-imag]", "astype", G, (strided(r, src, (2,)),),
                     "ng.astype(x1, ng.float32)", raises=TypeError)


def _take_cases() -> Iterator[Case]:
    for dtype in ALL:
        r = rng(f"take{dtype}")
        idx = Input(np.array([2, 0, 3, 3, 1], np.int64))
        yield mk(f"take[{dtype.name},axis0]", "take", G, (arr(r, dtype, (4, 3)), idx),
                 "ng.take(x1, x2, axis=0)", quick=dtype in _QUICK)
        yield mk(f"take[{dtype.name},axis1-strided]", "take", G, (strided(r, dtype, (3, 5)), idx),
                 "ng.take(x1, x2, axis=1)")
    r = rng("take-oob")
    yield mk("take[float32,out-of-bounds]", "take", G,
             (arr(r, dt("float32"), (4,)), Input(np.array([4], np.int64))), "ng.take(x1, x2, axis=0)",
             raises=IndexError)


def _promotion_cases() -> Iterator[Case]:
    r = rng("concat-promote")
    yield mk("concat[int8+float32,promote]", "concat", G,
             (arr(r, dt("int8"), (2,)), arr(r, dt("float32"), (3,))), "ng.concat([x1, x2])")
    yield mk("where[float32+float64,promote]", "where", G,
             (arr(r, dt("float32"), (3,)), arr(r, dt("float64"), (3,)), arr(r, dt("bool"), (3,))),
             "ng.where(x3, x1, x2)")
    for dtype in REAL:
        yield mk(f"where[{dtype.name},scalar]", "where", G,
                 (arr(r, dtype, (5,)), arr(r, dt("bool"), (5,))),
                 "ng.where(x2, x1, 1)" if dtype.kind != "b" else "ng.where(x2, x1, True)",
                 tol=ulps_for_class("exact"))


def cases() -> Iterator[Case]:
    for dtype in ALL:
        yield from _per_dtype(dtype)
    yield from _astype_cases()
    yield from _take_cases()
    yield from _promotion_cases()
