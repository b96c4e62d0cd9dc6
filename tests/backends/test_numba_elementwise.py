"""numba backend: every op-table op, every dtype, every layout, against numpy."""

from __future__ import annotations

import os
import sys
import zlib

import numpy as np
import pytest

pytest.importorskip("numba")

from nigiri.arrays import dtypes as _dt  # noqa: E402
from nigiri.arrays.optable import OPS, TOLERANCE_ULPS  # noqa: E402
from nigiri.backends import get_device  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the helpers beside us
from _numba_helpers import ALL, assert_same, data  # noqa: E402

NB = get_device("numba")
# strided/broadcast (3-d) kernels: one dtype per kind (the expression, which depends
# only on the kind, is checked on every dtype through the contiguous kernels);
# scalar-operand kernels: float32, int32 and bool. Keeps the cold compile bounded.
STRIDED = ("bool", "int32", "uint16", "float16", "float32", "complex64")
SCALAR = ("bool", "int32", "float32")
REF = get_device("numpy")


def _ulps(op: str, dtype: np.dtype) -> float:
    u = TOLERANCE_ULPS[OPS[op].tol]
    if dtype.kind == "c" and u:
        u = max(u * 4, 16)  # complex transcendental: component-wise, Numba's cmath
    return u


def _cases(arity: int):
    for name, op in OPS.items():
        if op.arity != arity:
            continue
        cat = "numeric" if name == "divide" else op.category
        for dt in ALL:
            if dt in _dt.CATEGORIES[cat] and not (name == "divide" and dt.kind in "iub"):
                yield pytest.param(name, dt, id=f"{name}-{dt.name}")


def _ref(fn, *args):
    with np.errstate(all="ignore"):
        return fn(*args)


def _unary_ref(op: str, x: np.ndarray) -> np.ndarray:
    """NumPy's result; complex64 transcendentals from complex128, rounded once.

    The backend computes them in complex128 (see _codegen), while NumPy's own
    complex64 loops work in float32 and are up to ~90 ULP off (log1p near -1), so
    the rounded double-precision value is the fair reference.
    """
    if x.dtype == np.complex64 and OPS[op].tol == "transcendental":
        return _ref(REF.unary, op, x.astype(np.complex128)).astype(np.complex64)
    return _ref(REF.unary, op, x)


@pytest.mark.parametrize("op,dtype", list(_cases(1)))
def test_unary(op, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{op}-{dtype.name}".encode()))
    x = data(rng, dtype, (7, 9), OPS[op].domain)
    u = _ulps(op, dtype)
    assert_same(NB.unary(op, x), _unary_ref(op, x), u, f"{op} contiguous")
    if dtype.name in STRIDED:
        xt = x.T[::-1]  # transposed, negative stride
        assert_same(NB.unary(op, xt), _unary_ref(op, xt), u, f"{op} strided")
    for shp in ((), (0, 3)):
        z = data(rng, dtype, shp, OPS[op].domain)
        assert_same(NB.unary(op, z), _unary_ref(op, z), u, f"{op} {shp}")


@pytest.mark.parametrize("op,dtype", list(_cases(2)))
def test_binary(op, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{op}-{dtype.name}".encode()))
    dom = OPS[op].domain
    a = data(rng, dtype, (6, 10), dom)
    b = data(rng, dtype, (6, 10), dom, second=True)
    u = _ulps(op, dtype)

    def check(x1, x2, what):
        assert_same(NB.binary(op, x1, x2), _ref(REF.binary, op, x1, x2), u, f"{op} {what}")

    check(a, b, "contiguous")
    check(a[0, 0].reshape(()), b[0, 0].reshape(()), "0-d")
    check(a[:0], b[:0], "empty")
    if dtype.name in STRIDED:
        check(a[:, ::-2], b.T.T[:, 1::2], "strided")
        check(a[:, :1], b[0], "broadcast")
    if dtype.name in SCALAR:
        check(a, b[2, 3], "array-scalar")
        check(a[1, 2], b, "scalar-array")


_PARTS = (0.0, -0.0, 1.0, -1.0, 0.5, np.inf, -np.inf, np.nan)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128], ids=["complex64", "complex128"])
@pytest.mark.parametrize("op", ["acosh", "cos", "cosh", "sinh", "tanh", "sign", "pow", "acos",
                                "log", "log2", "log10", "sqrt"])
def test_complex_special_values_follow_numpy(op, dtype):
    """Infinite, NaN and signed-zero parts give NumPy's (C99 Annex G) results, bit for
    bit in each part, contiguous and strided."""
    z = np.array([complex(r, i) for r in _PARTS for i in _PARTS], dtype)
    if OPS[op].arity == 1:
        got, want = NB.unary(op, z), _ref(REF.unary, op, z)
        got_s, want_s = NB.unary(op, z[::3]), _ref(REF.unary, op, z[::3])
    else:
        w = np.roll(z, 7)
        got, want = NB.binary(op, z, w), _ref(REF.binary, op, z, w)
        got_s, want_s = NB.binary(op, z[::3], w[0]), _ref(REF.binary, op, z[::3], w[0])
    for g, r in ((got, want), (got_s, want_s)):
        for part in ("real", "imag"):
            gp, rp = getattr(g, part), getattr(r, part)
            same = (gp == rp) & (np.signbit(gp) == np.signbit(rp)) | (np.isnan(gp) & np.isnan(rp))
            # finite non-special results are compared by the ULP tests above
            fin = np.isfinite(rp) & (rp != 0)
            assert (same | fin).all(), f"{op} {part}: {z[~(same | fin)][:4]} -> {gp[~(same | fin)][:4]} vs {rp[~(same | fin)][:4]}"
