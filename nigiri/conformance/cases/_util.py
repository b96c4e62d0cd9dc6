"""Small builders shared by the hand-written case modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...arrays.dtypes import ALL_DTYPES
from ..case import Case
from ..inputs import Input, rng_for, values

__all__ = ["ALL", "FLOATS", "REAL_FLOATS", "INTS", "NUMERIC", "REAL", "QUICK", "arr",
           "strided", "transposed", "negstride", "mk", "dt"]

ALL = list(ALL_DTYPES)
FLOATS = [d for d in ALL if d.kind in "fc"]
REAL_FLOATS = [d for d in ALL if d.kind == "f"]
INTS = [d for d in ALL if d.kind in "iu"]
NUMERIC = [d for d in ALL if d.kind in "iufc"]
REAL = [d for d in ALL if d.kind in "iuf"]
QUICK = frozenset({"quick", "full"})
FULL = frozenset({"full"})


def dt(name: Any) -> np.dtype:
    return np.dtype(name)


def arr(rng: np.random.Generator, dtype: Any, shape: tuple[int, ...], domain: str = "any",
        role: int = 0) -> Input:
    """A contiguous input."""
    return Input(values(rng, dtype, shape, domain, role))


def strided(rng: np.random.Generator, dtype: Any, shape: tuple[int, ...], domain: str = "any") -> Input:
    """A view with step 2 on the first axis (shape ``shape``; ndim >= 1)."""
    base = values(rng, dtype, (2 * shape[0],) + tuple(shape[1:]), domain)
    return Input(base, (("getitem", (slice(None, None, 2),)),))


def transposed(rng: np.random.Generator, dtype: Any, shape: tuple[int, int], domain: str = "any") -> Input:
    """The transpose of a contiguous ``shape[::-1]`` array."""
    return Input(values(rng, dtype, tuple(shape[::-1]), domain), (("permute", (1, 0)),))


def negstride(rng: np.random.Generator, dtype: Any, shape: tuple[int, ...], domain: str = "any") -> Input:
    """A view with a negative step on the first axis."""
    return Input(values(rng, dtype, shape, domain), (("getitem", (slice(None, None, -1),)),))


def mk(cid: str, op: str, group: str, inputs: tuple, code: str, *, dtypes: tuple = (),
       quick: bool = False, **kw: Any) -> Case:
    """A Case; ``dtypes`` defaults to the inputs' dtypes."""
    if not dtypes:
        dtypes = tuple(dict.fromkeys(i.base.dtype for i in inputs if not i.scalar))
    return Case(cid, op, tuple(inputs), code, dtypes=tuple(dtypes),
                tiers=QUICK if quick else FULL, group=group, **kw)


def rng(cid: str) -> np.random.Generator:
    return rng_for(cid)
