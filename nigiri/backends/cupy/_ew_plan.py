"""How each op-table elementwise op runs on CUDA, per dtype (pure data, no CuPy).

Most ops are one CuPy ufunc (a single cached kernel per dtype, launched from Cython,
which is the shortest launch path CuPy has). Where CuPy's ufunc semantics differ from
the reference (``backends/numpy``) we run our own ``ElementwiseKernel`` with the
contract's edge rules: integer division/remainder by zero give 0 (and ``MIN // -1``
wraps), integer ``pow`` with a negative exponent gives ``1 // x**|n|``, shifts by the
bit width or more give 0 (or -1), ``maximum``/``minimum`` propagate NaN exactly as
NumPy does (including which zero wins), ``sign`` keeps NaN and gives ``z/|z|`` for
complex, ``nextafter`` on float16 steps float16 (CuPy would step float32).
"""

from __future__ import annotations

import numpy as np

from ...arrays.optable import OPS

__all__ = ["CUPY_NAMES", "KERNELS", "plan", "result_dtype", "has_loop"]

#: op name -> CuPy ufunc name (NumPy's name, except round -> rint: round half to even).
CUPY_NAMES: dict[str, str] = {name: op.numpy for name, op in OPS.items()}
CUPY_NAMES["round"] = "rint"

_WIDE_S = "(unsigned long long)(long long)"

#: kernel name -> (in_params, out_params, operation) for cupy.ElementwiseKernel.
KERNELS: dict[str, tuple[str, str, str]] = {
    "floordiv_s": (
        "T x, T y", "T z",
        "if (y == 0) { z = 0; }"
        " else if (y == (T)(-1)) { z = (T)(0ULL - " + _WIDE_S + "x); }"
        " else { T q = x / y; if ((x % y != 0) && ((x < 0) != (y < 0))) q = q - 1; z = q; }",
    ),
    "floordiv_u": ("T x, T y", "T z", "z = (y == 0) ? (T)0 : (T)(x / y);"),
    "rem_s": (
        "T x, T y", "T z",
        "if (y == 0 || y == (T)(-1)) { z = 0; }"
        " else { T r = x % y; if (r != 0 && ((r < 0) != (y < 0))) r = r + y; z = r; }",
    ),
    "rem_u": ("T x, T y", "T z", "z = (y == 0) ? (T)0 : (T)(x % y);"),
    "ipow_s": (
        "T x, T y", "T z",
        "if (y < 0) { z = (x == 1) ? (T)1 : ((x == -1) ? ((y & 1) ? (T)(-1) : (T)1) : (T)0); }"
        " else { unsigned long long b = " + _WIDE_S + "x, r = 1ULL, e = " + _WIDE_S + "y;"
        " while (e) { if (e & 1ULL) r *= b; b *= b; e >>= 1; } z = (T)r; }",
    ),
    "ipow_u": (
        "T x, T y", "T z",
        "unsigned long long b = (unsigned long long)x, r = 1ULL, e = (unsigned long long)y;"
        " while (e) { if (e & 1ULL) r *= b; b *= b; e >>= 1; } z = (T)r;",
    ),
    "lshift": (
        "T x, T y", "T z",
        "z = (" + _WIDE_S + "y >= sizeof(T) * 8) ? (T)0"
        " : (T)(" + _WIDE_S + "x << (int)y);",
    ),
    "rshift_s": (
        "T x, T y", "T z",
        "z = (" + _WIDE_S + "y >= sizeof(T) * 8) ? (T)(x < 0 ? -1 : 0) : (T)(x >> (int)y);",
    ),
    "rshift_u": (
        "T x, T y", "T z",
        "z = ((unsigned long long)y >= sizeof(T) * 8) ? (T)0 : (T)(x >> (int)y);",
    ),
    "fmax_nan": ("T x, T y", "T z", "z = (x > y || x != x) ? x : y;"),
    "fmin_nan": ("T x, T y", "T z", "z = (x < y || x != x) ? x : y;"),
    "fsign": (
        "T x", "T z",
        "z = (x > (T)0) ? (T)1 : ((x < (T)0) ? (T)(-1) : ((x == (T)0) ? (T)0 : x));",
    ),
    "csign": ("T x", "T z", "z = (x == T(0)) ? T(0) : x / abs(x);"),
    "cround": ("T x", "T z", "z = T(rint(x.real()), rint(x.imag()));"),
    # float16 nextafter on the raw bits (uint16 views), NaN -> the quiet NaN 0x7e00
    "nextafter_f16": (
        "uint16 a, uint16 b", "uint16 z",
        "bool an = (a & 0x7fff) > 0x7c00, bn = (b & 0x7fff) > 0x7c00;"
        " if (an || bn) { z = 0x7e00; }"
        " else if (a == b || ((a | b) & 0x7fff) == 0) { z = b; }"
        " else if ((a & 0x7fff) == 0) { z = (unsigned short)((b & 0x8000) | 1); }"
        " else { bool neg = (a & 0x8000) != 0;"
        " int ka = neg ? -(int)(a & 0x7fff) : (int)a;"
        " int kb = (b & 0x8000) ? -(int)(b & 0x7fff) : (int)b;"
        " z = (unsigned short)(((ka < kb) != neg) ? a + 1 : a - 1); }",
    ),
}


def plan(op: str, dtype: np.dtype) -> tuple[str, str]:
    """How ``op`` runs for inputs of ``dtype``: ``("ufunc", cupy_name)``,
    ``("kernel", KERNELS key)``, ``("copy", "")`` (the op is the identity for this
    dtype: a fresh copy), ``("const", "true"|"false")`` (isnan/isinf/isfinite of
    integers), ``("part", "real"|"imag")`` (a copy of a complex part),
    ``("nextafter_f16", "")``."""
    kind = np.dtype(dtype).kind
    if op == "positive":
        return "copy", ""
    if kind in "iub" and op in ("isnan", "isinf", "isfinite"):
        return "const", "true" if op == "isfinite" else "false"
    if kind in "iu":
        signed = "s" if kind == "i" else "u"
        if op == "floor_divide":
            return "kernel", "floordiv_" + signed
        if op == "remainder":
            return "kernel", "rem_" + signed
        if op == "pow":
            return "kernel", "ipow_" + signed
        if op == "bitwise_left_shift":
            return "kernel", "lshift"
        if op == "bitwise_right_shift":
            return "kernel", "rshift_" + signed
        if op in ("floor", "ceil", "trunc", "round", "conj", "real", "positive"):
            return "copy", ""
    elif kind == "f":
        if op == "maximum":
            return "kernel", "fmax_nan"
        if op == "minimum":
            return "kernel", "fmin_nan"
        if op == "sign":
            return "kernel", "fsign"
        if op in ("conj", "real", "positive"):
            return "copy", ""
        if op == "nextafter" and np.dtype(dtype).itemsize == 2:
            return "nextafter_f16", ""
    elif kind == "c":
        if op == "sign":
            return "kernel", "csign"
        if op == "round":
            return "kernel", "cround"
        if op in ("real", "imag"):
            return "part", op
    elif kind == "b" and op in ("positive", "conj", "real"):
        return "copy", ""
    return "ufunc", CUPY_NAMES[op]


def result_dtype(op: str, dtype: np.dtype) -> np.dtype:
    """The dtype the op table promises for ``op`` on ``dtype`` inputs."""
    rule = OPS[op].result
    dtype = np.dtype(dtype)
    if rule == "bool":
        return np.dtype(np.bool_)
    if rule == "real" and dtype.kind == "c":
        return np.dtype(np.float32 if dtype.itemsize == 8 else np.float64)
    return dtype


def has_loop(types: list[str], dtype: np.dtype, arity: int, want: np.dtype) -> bool:
    """True when a ufunc type string (``'ff->f'``) takes ``arity`` inputs of exactly
    ``dtype`` and returns ``want`` (compared as dtypes: 'l' and 'q' are both int64)."""
    for sig in types:
        ins, _, outs = sig.partition("->")
        try:
            if (len(ins) == arity and all(np.dtype(c) == dtype for c in ins)
                    and np.dtype(outs[:1]) == want):
                return True
        except TypeError:  # a type char NumPy does not know (e.g. bfloat16)
            continue
    return False
