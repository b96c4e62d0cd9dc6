"""Data types, dtype categories and the promotion table (DESIGN section 3).

nigiri's dtype objects are NumPy dtype instances (``ng.float32 is np.dtype('float32')``),
so they compare, hash and print like NumPy's and cost nothing to hand to a backend.
The promotion table is the standard's for same-kind pairs; mixed kinds follow PyTorch
(bool or int with a float gives that float; real with complex gives the complex of at
least that precision; uint64 with a signed integer is a ``TypeError``). Python scalars
are weak. This is the only place promotion is decided.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
    "ALL_DTYPES", "CATEGORIES", "DEFAULT_FLOAT", "DEFAULT_INT", "DEFAULT_COMPLEX",
    "DEFAULT_INDEX", "promote", "check_category", "in_category", "scalar_result_dtype",
    "normalize_dtype", "real_dtype", "complex_dtype",
]

bool_ = np.dtype("bool")
int8, int16, int32, int64 = (np.dtype(f"int{b}") for b in (8, 16, 32, 64))
uint8, uint16, uint32, uint64 = (np.dtype(f"uint{b}") for b in (8, 16, 32, 64))
float16, float32, float64 = (np.dtype(f"float{b}") for b in (16, 32, 64))
complex64, complex128 = np.dtype("complex64"), np.dtype("complex128")

SIGNED = (int8, int16, int32, int64)
UNSIGNED = (uint8, uint16, uint32, uint64)
INTEGER = SIGNED + UNSIGNED
REAL_FLOAT = (float16, float32, float64)
COMPLEX = (complex64, complex128)
ALL_DTYPES = (bool_,) + INTEGER + REAL_FLOAT + COMPLEX

DEFAULT_FLOAT = float32
DEFAULT_COMPLEX = complex64
DEFAULT_INT = int64
DEFAULT_INDEX = int64

CATEGORIES: dict[str, frozenset] = {
    "any": frozenset(ALL_DTYPES),
    "bool": frozenset((bool_,)),
    "boolean": frozenset((bool_,)),
    "signed integer": frozenset(SIGNED),
    "unsigned integer": frozenset(UNSIGNED),
    "integer": frozenset(INTEGER),
    "integer or boolean": frozenset(INTEGER + (bool_,)),
    "real floating-point": frozenset(REAL_FLOAT),
    "complex floating-point": frozenset(COMPLEX),
    "floating-point": frozenset(REAL_FLOAT + COMPLEX),
    "real numeric": frozenset(INTEGER + REAL_FLOAT),
    "numeric": frozenset(INTEGER + REAL_FLOAT + COMPLEX),
}

_KIND_ALIASES = {
    "bool": "bool", "signed integer": "signed integer",
    "unsigned integer": "unsigned integer", "integral": "integer",
    "real floating": "real floating-point", "complex floating": "complex floating-point",
    "numeric": "numeric",
}


def _build_table() -> dict[tuple[np.dtype, np.dtype], np.dtype]:
    table: dict[tuple[np.dtype, np.dtype], np.dtype] = {}

    def put(a, b, r):
        table[(a, b)] = r
        table[(b, a)] = r

    for i, a in enumerate(SIGNED):
        for b in SIGNED[i:]:
            put(a, b, max(a, b, key=lambda d: d.itemsize))
    for i, a in enumerate(UNSIGNED):
        for b in UNSIGNED[i:]:
            put(a, b, max(a, b, key=lambda d: d.itemsize))
    for u in UNSIGNED:  # mixed signedness: smallest signed type holding both
        for s in SIGNED:
            if u == uint64:
                continue  # TypeError: needs an explicit cast
            need = max(u.itemsize * 2, s.itemsize)
            put(u, s, np.dtype(f"int{need * 8}"))
    for group in (REAL_FLOAT, COMPLEX):
        for i, a in enumerate(group):
            for b in group[i:]:
                put(a, b, max(a, b, key=lambda d: d.itemsize))
    for f in REAL_FLOAT:
        for c in COMPLEX:
            put(f, c, complex128 if (f == float64 or c == complex128) else complex64)
    for f in REAL_FLOAT + COMPLEX:  # bool / int with a float: that float (PyTorch)
        for i in INTEGER + (bool_,):
            put(f, i, f)
    for i in INTEGER:  # bool with int: the int
        put(bool_, i, i)
    put(bool_, bool_, bool_)
    return table


PROMOTION_TABLE = _build_table()


def normalize_dtype(dtype: Any, fn: str = "dtype") -> np.dtype:
    """Turn a user's dtype argument into one of nigiri's dtypes or raise TypeError."""
    if isinstance(dtype, np.dtype) and dtype in _ALL_SET:
        return dtype
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in _ALL_SET or isinstance(dtype, str) and dtype in ("float", "int", "complex"):
        raise TypeError(
            f"{fn}: expected one of nigiri's dtypes "
            f"({', '.join(d.name for d in ALL_DTYPES)}), got {dtype!r}"
        )
    return dt


_ALL_SET = frozenset(ALL_DTYPES)


def promote(a: np.dtype, b: np.dtype, fn: str = "operation") -> np.dtype:
    """Result dtype of a binary operation on two arrays (the promotion table)."""
    if a is b:
        return a
    try:
        return PROMOTION_TABLE[(a, b)]
    except KeyError:
        if a == b:
            return a
        if uint64 in (a, b):
            raise TypeError(
                f"{fn}: uint64 and {(b if a == uint64 else a).name} have no common "
                "dtype; cast one of them explicitly with astype"
            ) from None
        raise TypeError(f"{fn}: no promotion rule for {a} and {b}") from None


def in_category(dtype: np.dtype, category: str) -> bool:
    """True when ``dtype`` belongs to ``category`` (a key of CATEGORIES)."""
    return dtype in CATEGORIES[category]


def check_category(dtype: np.dtype, category: str, fn: str) -> None:
    """Raise the DESIGN section 8 TypeError when ``dtype`` is not in ``category``."""
    if dtype not in CATEGORIES[category]:
        raise TypeError(f"{fn}: expected an array of {category} dtype, got {dtype.name}")


def real_dtype(dtype: np.dtype) -> np.dtype:
    """The real counterpart of a complex dtype (identity otherwise)."""
    if dtype == complex64:
        return float32
    if dtype == complex128:
        return float64
    return dtype


def complex_dtype(dtype: np.dtype) -> np.dtype:
    """The complex dtype of at least ``dtype``'s precision."""
    return complex128 if dtype in (float64, complex128) else complex64


def scalar_result_dtype(dtype: np.dtype, scalar: Any, fn: str) -> np.dtype:
    """Result dtype of ``array(dtype) op python_scalar`` (scalars are weak)."""
    if isinstance(scalar, bool):
        return dtype
    if isinstance(scalar, int):
        if dtype == bool_:
            return DEFAULT_INT
        return dtype
    if isinstance(scalar, float):
        if dtype.kind in "fc":
            return dtype
        return DEFAULT_FLOAT
    if isinstance(scalar, complex):
        if dtype.kind == "c":
            return dtype
        if dtype.kind == "f":
            return complex_dtype(dtype)
        return DEFAULT_COMPLEX
    raise TypeError(
        f"{fn}: expected an Array or a Python bool, int, float or complex, "
        f"got {type(scalar).__name__}"
    )


def isdtype(dtype: Any, kind: Any) -> bool:
    """Array API ``isdtype``: is ``dtype`` of ``kind`` (a dtype, a kind name such as
    ``'real floating'``, or a tuple of those)?"""
    dtype = normalize_dtype(dtype, "isdtype")
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        if kind not in _KIND_ALIASES:
            raise ValueError(
                f"isdtype: unknown kind {kind!r}; expected one of {sorted(_KIND_ALIASES)}"
            )
        return dtype in CATEGORIES[_KIND_ALIASES[kind]]
    return dtype == normalize_dtype(kind, "isdtype")
