"""cupy backend on a CUDA device: every op-table op and dtype, casts, where and
the float edge semantics (subnormals under CuPy's -ftz, complex special values),
against the numpy reference backend."""

from __future__ import annotations

import itertools
import os
import sys
import zlib

import numpy as np
import pytest

from nigiri.arrays.optable import OPS

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the helpers beside us
from _cupy_helpers import ALL_DTYPES, assert_match, gpu, op_cases, op_inputs, seeded  # noqa: E402


@gpu
@pytest.mark.parametrize("op,dtype", op_cases(1))
def test_unary_matches_reference(be, ref, op, dtype):
    (x,) = op_inputs(op, dtype, seeded(zlib.crc32(op.encode())))
    want = ref.unary(op, x)
    got = be.to_host(be.unary(op, be.from_host(x, True)))
    # complex sign is z / hypot(z): exact up to the libm's hypot rounding (1 ulp)
    tol = "basic" if op == "sign" and dtype.kind == "c" else OPS[op].tol
    assert_match(got, np.asarray(want), tol, f"{op}[{dtype.name}]")
    # strided (non-contiguous) input
    xs = be.slice_view(be.from_host(x, True), (slice(1, None, 3),))
    assert_match(be.to_host(be.unary(op, xs)), np.asarray(ref.unary(op, x[1::3])),
                  tol, f"{op}[{dtype.name}] strided")


@gpu
@pytest.mark.parametrize("op,dtype", op_cases(2))
def test_binary_matches_reference(be, ref, op, dtype):
    x1, x2 = op_inputs(op, dtype, seeded(zlib.crc32(op.encode())))
    what = f"{op}[{dtype.name}]"
    want = np.asarray(ref.binary(op, x1, x2))
    got = be.to_host(be.binary(op, be.from_host(x1, True), be.from_host(x2, True)))
    # logaddexp cancels near 0 (x + log1p(exp(-|x-y|))): its error is relative to the inputs
    def sc(u, v):
        if op != "logaddexp":
            return None
        return np.maximum(np.abs(u), np.abs(v)).astype(np.float64)
    assert_match(got, want, OPS[op].tol, what, sc(x1, x2))
    # broadcasting and NumPy-scalar operands on both sides
    a = x1[:16].reshape(4, 4)
    b = x2[:4]
    assert_match(be.to_host(be.binary(op, be.from_host(a, True), be.from_host(b, True))),
                  np.asarray(ref.binary(op, a, b)), OPS[op].tol, what + " broadcast", sc(a, b))
    s = x2[5]
    assert_match(be.to_host(be.binary(op, be.from_host(a, True), s)),
                  np.asarray(ref.binary(op, a, s)), OPS[op].tol, what + " scalar right", sc(a, s))
    assert_match(be.to_host(be.binary(op, s, be.from_host(a, True))),
                  np.asarray(ref.binary(op, s, a)), OPS[op].tol, what + " scalar left", sc(s, a))



@gpu
@pytest.mark.parametrize("src,dst", list(itertools.product(ALL_DTYPES, ALL_DTYPES)),
                         ids=lambda d: d.name)
def test_astype(be, ref, src, dst):
    rng = seeded(2)
    x = (rng.standard_normal(64) * 50).astype(src) if src.kind != "b" else rng.integers(0, 2, 64).astype(bool)
    if src.kind == "f" and dst.kind in "iub":
        x[:3] = [0.0, -0.0, 0.5]  # NaN/out-of-range to int is unspecified: not compared
        if dst.kind == "u":
            x = np.abs(x)
    if src.kind == "c" and dst.kind != "c":
        return  # complex -> real drops the imaginary part with a warning; not in the API
    if src.kind == "f" and dst.kind in "iu":  # out-of-range float -> int is unspecified
        info = np.iinfo(dst)
        x = np.clip(x, max(int(info.min), -60000), min(int(info.max), 60000)).astype(src)
    with np.errstate(all="ignore"):
        want = np.asarray(ref.astype(x, dst))
    assert_match(be.to_host(be.astype(be.from_host(x, True), dst)), want, "exact",
                  f"astype {src.name}->{dst.name}")


@gpu
def test_where(be, ref):
    rng = seeded(3)
    c = rng.integers(0, 2, (5, 6)).astype(bool)
    a = rng.standard_normal((5, 6)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    got = be.to_host(be.where(be.from_host(c, True), be.from_host(a, True), be.from_host(b, True)))
    np.testing.assert_array_equal(got, ref.where(c, a, b))
    got = be.to_host(be.where(be.from_host(c, True), np.float32(2), be.from_host(b, True)))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, ref.where(c, np.float32(2), b))



@gpu
def test_float32_subnormals_survive_cupys_ftz():
    """CuPy compiles every kernel with -ftz=true; our float32 kernels keep subnormals."""
    import nigiri as ng

    tiny = np.float32(1.1754944e-38)  # the smallest normal float32
    x = np.array([tiny, -tiny, tiny * 4], np.float32)
    y = np.array([0.5, 0.25, 0.125], np.float32)
    dx, dy = ng.asarray(x, device="cupy:0"), ng.asarray(y, device="cupy:0")
    np.testing.assert_array_equal(ng.to_numpy(dx * dy), x * y)  # subnormal products
    np.testing.assert_array_equal(ng.to_numpy(dx / (1 / dy)), x / (1 / y))
    sub = ng.asarray(x * y, device="cupy:0")
    np.testing.assert_array_equal(ng.to_numpy(sub > 0), (x * y) > 0)
    np.testing.assert_array_equal(ng.to_numpy(ng.sqrt(ng.abs(sub))), np.sqrt(np.abs(x * y)))
    d64 = ng.asarray((x * y).astype(np.float64), device="cupy:0")
    np.testing.assert_array_equal(ng.to_numpy(ng.astype(d64, ng.float32)), x * y)


@gpu
def test_complex_edge_cases_follow_numpy():
    import nigiri as ng

    nan, inf = np.nan, np.inf
    with np.errstate(all="ignore"):
        a = np.array([complex(-0.0, 1.0), complex(inf, 0.0), 0j, complex(-0.0, inf)], np.complex128)
        b = np.array([complex(inf, 1.0), complex(2.0, 0.0), complex(2.0, 0.0),
                      complex(-1.0, nan)], np.complex128)
        da, db = ng.asarray(a, device="cupy:0"), ng.asarray(b, device="cupy:0")
        np.testing.assert_array_equal(ng.to_numpy(da / db), a / b)
        # special cases of NumPy's npy_cpow: 0**2, integer powers by products, and
        # glibc's cexp(b * clog(a)) with the Annex G multiply (-> -0j, not nan)
        pa = np.array([0j, complex(inf, 0.0), complex(-0.0, inf), 1 + 1j], np.complex128)
        pb = np.array([2 + 0j, 2 + 0j, complex(-1.0, nan), 2 + 0j], np.complex128)
        got = ng.to_numpy(ng.asarray(pa, device="cupy:0") ** ng.asarray(pb, device="cupy:0"))
        np.testing.assert_array_equal(got, pa ** pb)
        np.testing.assert_array_equal(ng.to_numpy(ng.log2(ng.asarray(np.array([0j]), device="cupy:0"))),
                                      np.log2(np.array([0j])))
        e = np.array([complex(inf, 0.0)])
        np.testing.assert_array_equal(ng.to_numpy(ng.expm1(ng.asarray(e, device="cupy:0"))), np.expm1(e))
    z = np.array([2.828061291846196 - 0.7883512330084192j])
    np.testing.assert_array_equal(ng.to_numpy(ng.sign(ng.asarray(z, device="cupy:0"))), np.sign(z))
