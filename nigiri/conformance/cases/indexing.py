"""Indexing, setitem and aliasing (all exact).

getitem: ints, slices with positive and negative steps, ``...``, ``None``, integer
arrays (broadcast together, mixed with slices), boolean masks, out-of-bounds errors.
setitem: scalars, broadcast arrays, advanced and masked assignment, overlapping
source and destination. Aliasing: a view written through (slice, negative step,
transpose, reshape, permute_dims, 0-d element, in-place operator) must change its base
exactly as on the reference, a base written must show through its views, and an
advanced-index result must not alias.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..case import Case
from ..inputs import Input
from ..tolerance import ulps_for_class
from ._util import arr, dt, mk, rng, strided

__all__ = ["cases"]

G = "indexing"
DTYPES = [dt(n) for n in ("float32", "int64", "bool", "float64", "int8", "uint8", "uint64",
                          "float16", "complex64", "int32", "complex128", "uint16", "int16", "uint32")]
_QUICK = (dt("float32"), dt("int32"))

_GET = [
    ("int", "x1[1]"), ("neg-int", "x1[-1, 2]"), ("slice", "x1[1:3]"),
    ("neg-step", "x1[::-2, 1:]"), ("ellipsis", "x1[..., 1]"), ("newaxis", "x1[None, :, 1]"),
    ("element", "x1[1, 2]"), ("empty-tuple", "x1[()]"), ("empty-slice", "x1[3:1]"),
    ("step-past-end", "x1[1:100:3, ::-3]"), ("int-array", "x1[x2]"),
    ("int-arrays-broadcast", "x1[x2[:, None], x3]"), ("slice-and-array", "x1[:, x3]"),
    ("mask", "x1[x4]"), ("row-mask", "x1[x5]"), ("list", "x1[[0, 3, 1]]"),
    ("negative-array", "x1[x6]"),
]
_SET = [
    ("scalar", "x1[1] = x7\nout = x1"),
    ("slice-array", "x1[1:3] = x8[2:]\nout = x1"),
    ("broadcast", "x1[:, 1:] = x8[0, 1:]\nout = x1"),
    ("neg-step", "x1[::-1] = x8\nout = x1"),
    ("int-array", "x1[x2] = x8[:3]\nout = x1"),
    ("mask", "x1[x4] = x7\nout = x1"),
    ("ellipsis", "x1[...] = x7\nout = x1"),
    ("overlap", "x1[1:] = x1[:-1]\nout = x1"),
    ("overlap-reversed", "x1[...] = x1[::-1]\nout = x1"),
]
_ALIAS = [
    ("slice", "y = x1[1:, ::2]\ny[...] = x7\nout = x1"),
    ("neg-step", "y = x1[::-1]\ny[0] = x7\nout = x1"),
    ("transpose", "y = x1.T\ny[0, 1] = x7\nout = x1"),
    ("permute_dims", "y = ng.permute_dims(x1, (1, 0))\ny[2] = x7\nout = x1"),
    ("reshape", "y = ng.reshape(x1, (-1,))\ny[3] = x7\nout = x1"),
    ("expand_dims", "y = ng.expand_dims(x1, axis=0)\ny[0, 1] = x7\nout = x1"),
    ("element", "y = x1[1, 2]\ny[...] = x7\nout = x1"),
    ("inplace-op", "y = x1[1:]\ny ^= y\nout = x1"),
    ("base-to-view", "y = x1[::2, 1:]\nx1[...] = x8\nout = y"),
    ("view-of-view", "y = x1[1:][:, ::-1][1:]\ny[0] = x7\nout = x1"),
    ("advanced-copies", "y = x1[x2]\ny[...] = x7\nout = x1"),
    ("mask-copies", "y = x1[x4]\ny[...] = x7\nout = x1"),
]


_INPLACE = [
    ("add", "x1 += x8\nout = x1"),
    ("view-multiply", "x1[::2, 1:] *= x7\nout = x1"),
    ("alias-name", "y = x1\ny -= x8\nout = (x1, y)"),
    ("broadcast-rhs", "x1 += x8[0]\nout = x1"),
    ("self", "x1 *= x1\nout = x1"),
    ("reversed-self", "x1 += x1[::-1]\nout = x1"),
]


def _inplace_cases(dtype: np.dtype, ins: tuple) -> Iterator[Case]:
    for label, code in _INPLACE:
        if dtype.kind == "b":
            code = code.replace("+=", "|=").replace("*=", "&=").replace("-=", "^=")
        yield mk(f"inplace[{dtype.name},{label}]", "inplace", G, ins, code, dtypes=(dtype,),
                 quick=dtype in _QUICK and label == "view-multiply",
                 tol=ulps_for_class("basic"))


def _inputs(dtype: np.dtype, r: np.random.Generator) -> tuple[Input, ...]:
    x = arr(r, dtype, (4, 5))
    idx = Input(np.array([3, 0, 2], np.int64))
    idx2 = Input(np.array([4, 1, 1, 0], np.int64))
    mask = Input(np.random.default_rng(7).random((4, 5)) < 0.5)
    rowmask = Input(np.array([True, False, True, True]))
    neg = Input(np.array([-1, -4, 2], np.int64))
    val = arr(r, dtype, ())
    block = arr(r, dtype, (4, 5))
    return (x, idx, idx2, mask, rowmask, neg, val, block)


def _xor_ok(dtype: np.dtype) -> bool:
    return dtype.kind in "iub"


def cases() -> Iterator[Case]:
    for dtype in DTYPES:
        r = rng(f"index{dtype}")
        ins = _inputs(dtype, r)
        q = dtype in _QUICK
        for label, code in _GET:
            yield mk(f"getitem[{dtype.name},{label}]", "getitem", G, ins, code, dtypes=(dtype,),
                     quick=q and label in ("neg-step", "int-array", "mask"))
        for label, code in _SET:
            yield mk(f"setitem[{dtype.name},{label}]", "setitem", G, ins, code, dtypes=(dtype,),
                     quick=q and label in ("slice-array", "int-array", "overlap"))
        for label, code in _ALIAS:
            if label == "inplace-op" and not _xor_ok(dtype):
                code = code.replace("y ^= y", "y -= y")
                if dtype.kind == "b":
                    continue
            yield mk(f"aliasing[{dtype.name},{label}]", "aliasing", G, ins, code, dtypes=(dtype,),
                     quick=q and label in ("slice", "transpose", "reshape", "inplace-op"))
        yield from _inplace_cases(dtype, ins)
        sv = strided(r, dtype, (3, 5))
        yield mk(f"getitem[{dtype.name},of-strided]", "getitem", G, (sv,), "x1[1:, ::-2]", dtypes=(dtype,))
        yield mk(f"setitem[{dtype.name},into-strided]", "setitem", G, (sv, arr(r, dtype, (5,))),
                 "x1[1] = x2\nout = x1", dtypes=(dtype,))
    r = rng("index-errors")
    ins = _inputs(dt("float32"), r)
    for label, code, exc in [
        ("oob-int", "x1[4]", IndexError), ("oob-neg", "x1[-5]", IndexError),
        ("oob-array", "x1[ng.asarray([0, 4], device=x1.device)]", IndexError),
        ("too-many", "x1[0, 0, 0]", IndexError), ("float-index", "x1[1.5]", IndexError),
        ("mask-shape", "x1[ng.asarray([True, False], device=x1.device)]", IndexError),
    ]:
        yield mk(f"getitem[float32,{label}]", "getitem", G, ins, code, raises=exc)
    yield mk("setitem[float32,oob]", "setitem", G, ins, "x1[4] = 1.0", raises=IndexError)
    yield mk("setitem[float32,bad-shape]", "setitem", G, ins, "x1[0] = x8", raises=ValueError)
    yield mk("setitem[int32,float-value]", "setitem", G, (arr(r, dt("int32"), (3,)),),
             "x1[0] = 1.5", raises=TypeError)
    yield mk("inplace[int32,float-scalar]", "inplace", G, (arr(r, dt("int32"), (3,)),),
             "x1 += 1.5", raises=TypeError)
    yield mk("inplace[float32,broadcast-lhs]", "inplace", G,
             (arr(r, dt("float32"), (3,)), arr(r, dt("float32"), (2, 3))), "x1 += x2", raises=ValueError)
    yield mk("inplace[float32,promotes]", "inplace", G,
             (arr(r, dt("float32"), (3,)), arr(r, dt("float64"), (3,))), "x1 += x2", raises=TypeError)
