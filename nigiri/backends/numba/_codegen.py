"""Generate the elementwise kernels from the op table (``nigiri/arrays/optable.py``).

For each op the generator writes one small Python module of ``@njit(cache=True)``
kernels into the user cache folder and imports it on first use of the op. Source
files (rather than ``exec``) are needed because Numba's on-disk cache locates a
function by its file; the file name carries a hash of the generator and helper
sources, so a change to either starts a fresh cache instead of loading stale code.

Kernel variants per (op, kind), each compiled lazily per dtype by Numba:
``vv``/``sv``/``vs`` (binary, 1-d contiguous, ``s`` = scalar operand) or ``v`` (unary),
their ``_p`` parallel twins for large arrays, and ``g``/``g_p``: 3-d strided kernels
used for views, broadcasting and transposes. Kind tags: ``b`` bool, ``i`` signed,
``u`` unsigned, ``f`` float32/64, ``h`` float16 (uint16 bits, computed in float32),
``c`` complex.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from types import ModuleType
from typing import Callable

from ...arrays.optable import OPS

__all__ = ["kernel_module", "kind_of", "EXPR"]

_F = ("f", "h")
_FC = ("f", "h", "c")
_INT = ("i", "u")

# op -> {kind: expression in a (and b)}; a kind missing means the op's category
# excludes it. "BITS" is the bit width of the result dtype.
EXPR: dict[str, dict[str, str]] = {
    "abs": {**dict.fromkeys(_INT + _F, "np.abs(a)"), "c": "abs(a)"},
    "bitwise_invert": {"b": "not a", **dict.fromkeys(_INT, "~a")},
    "ceil": {**dict.fromkeys(_F, "np.ceil(a)"), **dict.fromkeys(_INT, "a")},
    "floor": {**dict.fromkeys(_F, "np.floor(a)"), **dict.fromkeys(_INT, "a")},
    "trunc": {**dict.fromkeys(_F, "np.trunc(a)"), **dict.fromkeys(_INT, "a")},
    "conj": {**dict.fromkeys(_INT + _F, "a"), "c": "np.conj(a)"},
    "real": {**dict.fromkeys(_INT + _F, "a"), "c": "a.real"},
    "imag": {"c": "a.imag"},
    "isfinite": {**dict.fromkeys(_INT, "True"), **dict.fromkeys(_FC, "np.isfinite(a)")},
    "isinf": {**dict.fromkeys(_INT, "False"), **dict.fromkeys(_FC, "np.isinf(a)")},
    "isnan": {**dict.fromkeys(_INT, "False"), **dict.fromkeys(_FC, "np.isnan(a)")},
    "logical_not": {"b": "not a"},
    "negative": dict.fromkeys(_INT + _FC, "-a"),
    "positive": dict.fromkeys(_INT + _FC, "a"),
    "round": {**dict.fromkeys(_INT, "a"), **dict.fromkeys(_F, "S.frint(a)"),
              "c": "complex(S.frint(a.real), S.frint(a.imag))"},
    "sign": {"i": "S.isign(a)", "u": "a > 0", **dict.fromkeys(_F, "S.fsign(a)"),
             "c": "S.csign(a)"},
    "signbit": dict.fromkeys(_F, "S.fsignbit(a)"),
    "square": dict.fromkeys(_INT + _FC, "a * a"),
    # binary
    "add": dict.fromkeys(_INT + _FC, "a + b"),
    "subtract": dict.fromkeys(_INT + _FC, "a - b"),
    "multiply": dict.fromkeys(_INT + _FC, "a * b"),
    "divide": {**dict.fromkeys(_F, "a / b"), "c": "S.cdiv(a, b)"},
    "atan2": dict.fromkeys(_F, "np.arctan2(a, b)"),
    "bitwise_and": dict.fromkeys(("b",) + _INT, "a & b"),
    "bitwise_or": dict.fromkeys(("b",) + _INT, "a | b"),
    "bitwise_xor": dict.fromkeys(("b",) + _INT, "a ^ b"),
    "bitwise_left_shift": {"i": "S.ilshift(a, b, BITS)", "u": "S.ulshift(a, b, BITS)"},
    "bitwise_right_shift": {"i": "S.irshift(a, b, BITS)", "u": "S.urshift(a, b, BITS)"},
    "copysign": dict.fromkeys(_F, "np.copysign(a, b)"),
    "equal": dict.fromkeys(("b",) + _INT + _FC, "a == b"),
    "not_equal": dict.fromkeys(("b",) + _INT + _FC, "a != b"),
    "floor_divide": {"i": "S.ifloordiv(a, b)", "u": "S.ufloordiv(a, b)",
                     **dict.fromkeys(_F, "S.ffloordiv(a, b)")},
    "remainder": {"i": "S.iremainder(a, b)", "u": "S.uremainder(a, b)",
                  **dict.fromkeys(_F, "S.fremainder(a, b)")},
    "greater": dict.fromkeys(_INT + _F, "a > b"),
    "greater_equal": dict.fromkeys(_INT + _F, "a >= b"),
    "less": dict.fromkeys(_INT + _F, "a < b"),
    "less_equal": dict.fromkeys(_INT + _F, "a <= b"),
    "hypot": dict.fromkeys(_F, "np.hypot(a, b)"),
    "logaddexp": dict.fromkeys(_F, "S.flogaddexp(a, b)"),
    "logical_and": {"b": "a and b"},
    "logical_or": {"b": "a or b"},
    "logical_xor": {"b": "a != b"},
    "maximum": {**dict.fromkeys(_INT, "a if a > b else b"), **dict.fromkeys(_F, "S.fmaximum(a, b)")},
    "minimum": {**dict.fromkeys(_INT, "a if a < b else b"), **dict.fromkeys(_F, "S.fminimum(a, b)")},
    "nextafter": dict.fromkeys(_F, "np.nextafter(a, b)"),
    "pow": {"i": "S.ipow(a, b)", "u": "S.upow(a, b)", **dict.fromkeys(_FC, "np.power(a, b)")},
}
# transcendental unary ops: NumPy's own name on floats and complex
for _name in ("acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "exp",
              "expm1", "log", "log1p", "log2", "log10", "sin", "sinh", "sqrt", "tan", "tanh"):
    EXPR[_name] = dict.fromkeys(_FC, f"np.{OPS[_name].numpy}(a)")
del _name
# complex transcendental functions compute in complex128 (Numba's complex64 cmath
# loses precision NumPy keeps); tanh and pow follow NumPy's own algorithms
for _name in ("acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "exp",
              "log", "log2", "log10", "sin", "sinh", "sqrt", "tan"):
    EXPR[_name]["c"] = f"np.{OPS[_name].numpy}(np.complex128(a))"
del _name
EXPR["tanh"]["c"] = "S.ctanh(np.complex128(a))"
EXPR["pow"]["c"] = "S.cpow(a, b)"
EXPR["nextafter"]["h"] = "S.hnextafter(a, b)"  # on the raw bits (see _RAW)
EXPR["maximum"]["h"] = "S.hmaximum(a, b)"  # NumPy's float16 loops order signed zeros
EXPR["minimum"]["h"] = "S.hminimum(a, b)"  # differently from its float32 SIMD loops
EXPR["expm1"]["c"] = "S.cexpm1(np.complex128(a))"
EXPR["log1p"]["c"] = "S.clog1p(np.complex128(a))"
# glibc-accurate near |z| = 1, where Numba's cmath log cancels (see S.clog)
EXPR["log"]["c"] = "S.clog(np.complex128(a))"
EXPR["log2"]["c"] = "S.clog2(np.complex128(a))"
EXPR["log10"]["c"] = "S.clog10(np.complex128(a))"
# float32 exp/log/tanh: vectorisable versions (vecmath) instead of scalar libm calls
EXPR["exp"]["f"] = "V.fexp(a)"
EXPR["log"]["f"] = "V.flog(a)"
EXPR["tanh"]["f"] = "V.ftanh(a)"
#: (op, kind) pairs whose expression works on float16 bits directly
_RAW = {("nextafter", "h")}

# data movement and casts (unary, kind-independent; ``x`` already viewed as uint16
# for float16): "plain" copies or casts with C semantics, the rest handle the dtypes
# Numba cannot cast implicitly.
CASTS: dict[str, str] = {
    "plain": "a",
    "tobool": "a != 0",
    "real": "a.real",
    "fromh": "h2f(a)",
    "fromh_bool": "h2f(a) != 0",
    "toh": "f2h(a)",
    "toh_real": "f2h(a.real)",
    "toh_bool": "f2h(np.float32(1.0) if a else np.float32(0.0))",
}

_MISSING = sorted(set(OPS) - set(EXPR))
if _MISSING:  # pragma: no cover - a new op-table row must get an expression here
    raise ImportError(f"nigiri numba backend: no kernel expression for ops {_MISSING}")

_KIND = {"b": "b", "i": "i", "u": "u", "c": "c"}


def kind_of(dtype) -> str:
    """The kind tag of a NumPy dtype (``h`` for float16)."""
    if dtype.kind == "f":
        return "h" if dtype.itemsize == 2 else "f"
    return _KIND[dtype.kind]


_HEADER = '''"""Generated by nigiri.backends.numba._codegen for op {op!r}; do not edit."""
import numpy as np
from numba import njit, prange
from nigiri.backends.numba import scalar_ops as S
from nigiri.backends.numba._half import h2f, f2h
from nigiri.backends.numba import vecmath as V

_SER = dict(cache=True, error_model="numpy", nogil=True)
_PAR = dict(cache=True, error_model="numpy", nogil=True, parallel=True)
'''

_BIN_1D = '''
@njit(**{deco})
def {name}(x, y, out):
    BITS = out.itemsize * 8
    for i in {rng}(out.shape[0]):
        a = {la}
        b = {lb}
        out[i] = {expr}
'''

_UN_1D = '''
@njit(**{deco})
def {name}(x, out):
    for i in {rng}(out.shape[0]):
        a = {la}
        out[i] = {expr}
'''

_BIN_3D = '''
@njit(**{deco})
def {name}(x, y, out):
    BITS = out.itemsize * 8
    n1 = out.shape[1]
    for ij in {rng}(out.shape[0] * n1):
        i = ij // n1
        j = ij - i * n1
        for k in range(out.shape[2]):
            a = {la}
            b = {lb}
            out[i, j, k] = {expr}
'''

_UN_3D = '''
@njit(**{deco})
def {name}(x, out):
    n1 = out.shape[1]
    for ij in {rng}(out.shape[0] * n1):
        i = ij // n1
        j = ij - i * n1
        for k in range(out.shape[2]):
            a = {la}
            out[i, j, k] = {expr}
'''


def _load(kind: str, ref: str, op: str = "") -> str:
    return f"h2f({ref})" if kind == "h" and (op, kind) not in _RAW else ref


def _store(op: str, kind: str, expr: str) -> str:
    if kind == "h" and OPS[op].result != "bool" and (op, kind) not in _RAW:
        return f"f2h({expr})"
    return expr


def generate(op: str) -> str:
    """The source of the kernel module for ``op`` (an op-table name or ``cast``)."""
    parts = [_HEADER.format(op=op)]
    if op == "cast":
        for variant, expr in CASTS.items():
            for par, deco, rng in (("", "_SER", "range"), ("_p", "_PAR", "prange")):
                parts.append(_UN_1D.format(name=f"k_{variant}_v{par}", deco=deco, rng=rng,
                                           la="x[i]", expr=expr))
                parts.append(_UN_3D.format(name=f"k_{variant}_g{par}", deco=deco, rng=rng,
                                           la="x[i, j, k]", expr=expr))
        return "".join(parts)
    spec = OPS[op]
    for kind, expr in EXPR[op].items():
        body = _store(op, kind, expr)
        for par, deco, rng in (("", "_SER", "range"), ("_p", "_PAR", "prange")):
            if spec.arity == 1:
                parts.append(_UN_1D.format(name=f"k_{kind}_v{par}", deco=deco, rng=rng,
                                           la=_load(kind, "x[i]", op), expr=body))
                parts.append(_UN_3D.format(name=f"k_{kind}_g{par}", deco=deco, rng=rng,
                                           la=_load(kind, "x[i, j, k]", op), expr=body))
                continue
            for pat, ra, rb in (("vv", "x[i]", "y[i]"), ("sv", "x", "y[i]"), ("vs", "x[i]", "y")):
                parts.append(_BIN_1D.format(name=f"k_{kind}_{pat}{par}", deco=deco, rng=rng,
                                            la=_load(kind, ra, op), lb=_load(kind, rb, op), expr=body))
            parts.append(_BIN_3D.format(name=f"k_{kind}_g{par}", deco=deco, rng=rng,
                                        la=_load(kind, "x[i, j, k]", op),
                                        lb=_load(kind, "y[i, j, k]", op), expr=body))
    return "".join(parts)


_lock = threading.Lock()
_modules: dict[str, ModuleType] = {}


def _source_hash() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    h = hashlib.sha256()
    for fname in sorted(os.listdir(here)):  # every source of this package
        if not fname.endswith(".py"):
            continue
        with open(os.path.join(here, fname), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:12]


_HASH: str | None = None
_DIR: str | None = None


def kernel_dir() -> str:
    """Folder holding the generated kernel modules (and Numba's cache beside them):
    ``<NIGIRI_CACHE_DIR or the user cache>/numba/kernels-<hash>``, or a folder under
    the system temp dir when that one cannot be created."""
    from ..._config import cache_dir

    global _HASH, _DIR
    if _DIR is not None:
        return _DIR
    if _HASH is None:
        _HASH = _source_hash()
    folder = os.path.join(cache_dir(), "numba", f"kernels-{_HASH}")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        folder = os.path.join(tempfile.gettempdir(), f"nigiri-numba-{getattr(os, 'getuid', lambda: 0)()}",
                              f"kernels-{_HASH}")
        os.makedirs(folder, exist_ok=True)
    _DIR = folder
    return folder


def kernel_module(op: str, source: Callable[[str], str] | None = None,
                  prefix: str = "ew") -> ModuleType:
    """Import (generating on first use) the kernel module ``<prefix>_<op>`` whose
    source is ``source(op)`` (default: the elementwise generator)."""
    key = f"{prefix}_{op}"
    mod = _modules.get(key)
    if mod is not None:
        return mod
    with _lock:
        mod = _modules.get(key)
        if mod is not None:
            return mod
        folder = kernel_dir()
        path = os.path.join(folder, f"{key}.py")
        if not os.path.exists(path):
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w") as fh:
                fh.write((source or generate)(op))
            os.replace(tmp, path)  # atomic: concurrent processes never see half a file
        name = f"nigiri_numba_{key}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - defensive
            raise ImportError(f"nigiri numba backend: cannot load kernels from {path}")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        _modules[key] = mod
        return mod
