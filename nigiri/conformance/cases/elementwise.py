"""Cases generated from the elementwise op table (``nigiri.arrays.optable.OPS``).

Per op and per dtype of its category: contiguous, strided, transposed and
negative-stride views, 0-d and empty arrays, a vector of special values (NaN, inf,
-0.0, branch points; for binary ops every pair), and for binary ops broadcasting, a
Python scalar operand and a mixed-dtype pair (promotion). One case per op checks
that an input of the wrong dtype category raises the same ``TypeError`` as the
reference. The tolerance is the op's class from the table.
"""

from __future__ import annotations

import functools
from typing import Iterator

import numpy as np

from ...arrays.dtypes import ALL_DTYPES, CATEGORIES
from ...arrays.optable import OPS, Op
from ..case import Case
from ..inputs import Input, edge_pairs, edge_values, rng_for, values
from ..tolerance import ulps_for_class

__all__ = ["cases", "LAYOUTS", "QUICK_DTYPES"]

UNARY_LAYOUTS = ("contig", "strided", "transposed", "negstride", "0d", "empty", "edge")
BINARY_LAYOUTS = UNARY_LAYOUTS + ("broadcast", "scalar", "mixed")
LAYOUTS = BINARY_LAYOUTS
#: dtypes of the quick tier (one per kind present in the op's category)
QUICK_DTYPES = (np.dtype("float32"), np.dtype("int32"), np.dtype("bool"),
                np.dtype("complex64"))

# (base shape, view recipe) per layout; every view yields shape (4, 7)
_VIEWS = {
    "contig": ((4, 7), ()),
    "strided": ((8, 15), (("getitem", (slice(None, None, 2), slice(1, None, 2))),)),
    "transposed": ((7, 4), (("permute", (1, 0)),)),
    "negstride": ((4, 7), (("getitem", (slice(None, None, -1), slice(None, None, -1))),)),
    "0d": ((), ()),
    "empty": ((0, 7), ()),
}
_BROADCAST = ((3, 1, 5), (4, 5))
_MIXED = {
    "float16": "float32", "float32": "float64", "float64": "float32",
    "complex64": "float64", "complex128": "complex64", "int8": "int16", "int16": "int8",
    "int32": "int8", "int64": "int32", "uint8": "uint16", "uint16": "uint8",
    "uint32": "uint8", "uint64": "uint8", "bool": "int8",
}


def _dtypes(op: Op) -> list[np.dtype]:
    allowed = CATEGORIES[op.category]
    return [d for d in ALL_DTYPES if d in allowed]


def _input(rng: np.random.Generator, dtype: np.dtype, layout: str, op: Op,
           role: int) -> Input:
    shape, view = _VIEWS[layout]
    return Input(values(rng, dtype, shape, op.domain, role), view)


def _scalar_value(rng: np.random.Generator, dtype: np.dtype, op: Op) -> Input:
    v = values(rng, dtype, (), op.domain, 1)
    if dtype.kind == "u" or (dtype.kind == "i" and op.domain != "shift"):
        v = np.asarray(abs(int(v)) % 100 + 1, dtype)  # fits every integer dtype
    return Input(np.asarray(v), scalar=True)


def _bad_dtype(op: Op) -> np.dtype | None:
    allowed = CATEGORIES["numeric" if op.name == "divide" else op.category]  # int / int is defined
    for d in (np.dtype("int32"), np.dtype("float32"), np.dtype("bool")):
        if d not in allowed:
            return d
    return None


def _make_inputs(op: Op, dtype: np.dtype, layout: str, cid: str) -> tuple[Input, ...]:
    rng = rng_for(cid)
    if layout == "edge":
        if op.arity == 1:
            return (Input(edge_values(dtype, op.domain)),)
        a, b = edge_pairs(dtype, op.domain)
        return (Input(a), Input(b))
    if layout == "broadcast":
        return (Input(values(rng, dtype, _BROADCAST[0], op.domain, 0)),
                Input(values(rng, dtype, _BROADCAST[1], op.domain, 1)))
    if layout == "scalar":
        return (_input(rng, dtype, "contig", op, 0), _scalar_value(rng, dtype, op))
    if layout == "mixed":
        other = np.dtype(_MIXED[dtype.name])
        return (_input(rng, dtype, "contig", op, 0), _input(rng, other, "strided", op, 1))
    return tuple(_input(rng, dtype, layout, op, r) for r in range(op.arity))


def _op_cases(op: Op) -> Iterator[Case]:
    tol = ulps_for_class(op.tol)
    args = "x1" if op.arity == 1 else "x1, x2"
    code = f"ng.{op.name}({args})"
    layouts = UNARY_LAYOUTS if op.arity == 1 else BINARY_LAYOUTS
    for dtype in _dtypes(op):
        for layout in layouts:
            if layout == "mixed":
                other = np.dtype(_MIXED[dtype.name])
                if other not in CATEGORIES[op.category] and op.name != "divide":
                    continue
                dts = (dtype, other)
            else:
                dts = (dtype,)
            cid = f"{op.name}[{dtype.name},{layout}]"
            # quick: strided views for every quick dtype; broadcasting and special values
            # on float32 only (each extra layout is a new kernel for a JIT backend)
            quick = dtype in QUICK_DTYPES and (
                layout == "strided" or (layout in ("broadcast", "edge") and dtype.kind == "f"))
            tiers = frozenset({"quick", "full"}) if quick else frozenset({"full"})
            yield Case(cid, op.name, functools.partial(_make_inputs, op, dtype, layout, cid),
                       code, tol=tol, dtypes=dts, tiers=tiers, group="elementwise")
    bad = _bad_dtype(op)
    if bad is not None:
        cid = f"{op.name}[{bad.name},wrong-category]"
        rng = rng_for(cid)
        ins = tuple(_input(rng, bad, "contig", op, r) for r in range(op.arity))
        yield Case(cid, op.name, ins, code, raises=TypeError, dtypes=(bad,),
                   group="elementwise")


def cases() -> Iterator[Case]:
    """Every elementwise case (both tiers; the runner filters by tier)."""
    for op in OPS.values():
        yield from _op_cases(op)
