"""Sorting, searching and sets (all exact): sort/argsort (stable, ties, NaN last,
descending), searchsorted (both sides, NaN), nonzero, unique_values/counts/inverse/all,
on every real dtype, with ties, special values and non-contiguous inputs."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..case import Case
from ..inputs import Input, edge_values
from ._util import ALL, REAL, arr, dt, mk, negstride, rng, strided, transposed

__all__ = ["cases"]

G = "sorting"
_QUICK = (dt("float32"), dt("int32"))


def _ties(r: np.random.Generator, dtype: np.dtype, shape: tuple) -> Input:
    if dtype.kind == "b":
        return Input(r.random(shape) < 0.5)
    pool = np.array([0, 1, 2, 3, 5] if dtype.kind == "u" else [-3, -1, 0, 2, 3], dtype=dtype)
    return Input(r.choice(pool, size=shape))


def _sort_cases(dtype: np.dtype) -> Iterator[Case]:
    r = rng(f"sort{dtype}")
    q = dtype in _QUICK
    for name in ("sort", "argsort"):
        def c(label: str, ins: tuple, code: str, quick: bool = False, name: str = name,
              **kw: object) -> Case:
            return mk(f"{name}[{dtype.name},{label}]", name, G, ins, code, quick=quick and q, **kw)
        yield c("1d", (arr(r, dtype, (23,)),), f"ng.{name}(x1)", True)
        yield c("ties", (_ties(r, dtype, (4, 9)),), f"ng.{name}(x1)")
        yield c("ties-descending", (_ties(r, dtype, (4, 9)),), f"ng.{name}(x1, descending=True)", True)
        yield c("axis0", (transposed(r, dtype, (6, 5)),), f"ng.{name}(x1, axis=0)")
        yield c("strided", (strided(r, dtype, (5, 4)),), f"ng.{name}(x1, axis=-1)")
        yield c("negstride-desc", (negstride(r, dtype, (17,)),), f"ng.{name}(x1, descending=True)")
        yield c("empty", (Input(np.zeros((0,), dtype)),), f"ng.{name}(x1)")
        yield c("long", (arr(r, dtype, (3000,)),), f"ng.{name}(x1)")
        if dtype.kind == "f":
            ev = edge_values(dtype)
            yield c("edge-nan", (Input(np.concatenate([ev, ev[::-1]])),), f"ng.{name}(x1)", True)
            yield c("edge-nan-desc", (Input(np.concatenate([ev, ev[::-1]])),),
                    f"ng.{name}(x1, descending=True)")
        yield c("0d", (arr(r, dtype, ()),), f"ng.{name}(x1)", raises=(ValueError, IndexError))


def _search_cases(dtype: np.dtype) -> Iterator[Case]:
    r = rng(f"search{dtype}")
    sorted_ = Input(np.sort(_ties(r, dtype, (12,)).base))
    probe = _ties(r, dtype, (3, 4))
    q = dtype in _QUICK
    for side in ("left", "right"):
        yield mk(f"searchsorted[{dtype.name},{side}]", "searchsorted", G, (sorted_, probe),
                 f"ng.searchsorted(x1, x2, side={side!r})", quick=q)
    if dtype.kind == "f":
        ev = np.sort(edge_values(dtype))
        yield mk(f"searchsorted[{dtype.name},edge]", "searchsorted", G, (Input(ev), Input(edge_values(dtype))),
                 "ng.searchsorted(x1, x2, side='right')")
    yield mk(f"searchsorted[{dtype.name},sorter]", "searchsorted", G,
             (arr(r, dtype, (9,)), probe), "ng.searchsorted(x1, x2, sorter=ng.argsort(x1))")


def _set_cases(dtype: np.dtype) -> Iterator[Case]:
    r = rng(f"sets{dtype}")
    q = dtype in _QUICK
    for name in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
        yield mk(f"{name}[{dtype.name},ties]", name, G, (_ties(r, dtype, (4, 6)),), f"ng.{name}(x1)",
                 quick=q and name == "unique_all")
        yield mk(f"{name}[{dtype.name},strided]", name, G, (strided(r, dtype, (3, 2)),), f"ng.{name}(x1)")
        if dtype.kind == "f":
            yield mk(f"{name}[{dtype.name},edge]", name, G,
                     (Input(np.concatenate([edge_values(dtype)] * 2)),), f"ng.{name}(x1)")


def _nonzero_cases(dtype: np.dtype) -> Iterator[Case]:
    r = rng(f"nonzero{dtype}")
    ties = _ties(r, dtype, (4, 5))
    yield mk(f"nonzero[{dtype.name},2d]", "nonzero", G, (ties,), "ng.nonzero(x1)", quick=dtype in _QUICK)
    yield mk(f"nonzero[{dtype.name},strided-3d]", "nonzero", G, (strided(r, dtype, (2, 3, 2)),), "ng.nonzero(x1)")
    yield mk(f"nonzero[{dtype.name},0d]", "nonzero", G, (arr(r, dtype, ()),), "ng.nonzero(x1)",
             raises=ValueError)


def cases() -> Iterator[Case]:
    for dtype in REAL:
        yield from _sort_cases(dtype)
        yield from _search_cases(dtype)
        yield from _set_cases(dtype)
    for dtype in ALL:
        yield from _nonzero_cases(dtype)
