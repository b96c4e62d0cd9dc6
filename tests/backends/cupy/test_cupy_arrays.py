"""cupy backend on a CUDA device: allocation, views, reductions, matmul (strict FP32
and TF32), linalg, indexing, sorting, RNG, DLPack, memory errors and statistics."""

from __future__ import annotations

import types
import os
import sys

import numpy as np
import pytest

import nigiri
from nigiri import backends as registry

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the helpers beside us
from _cupy_helpers import ALL_DTYPES, assert_match, gpu, seeded  # noqa: E402


@gpu
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_allocation_transfer_views(be, dtype):
    rng = seeded(1)
    x = (rng.standard_normal((4, 5, 6)) * 5).astype(dtype)
    d = be.from_host(x, False)
    assert be.to_host(d).dtype == dtype
    np.testing.assert_array_equal(be.to_host(d), x)
    np.testing.assert_array_equal(be.to_host(be.copy(be.permute(d, (2, 0, 1)))), x.transpose(2, 0, 1))
    assert be.empty((2, 0, 3), dtype).shape == (2, 0, 3)
    one = np.ones((), dtype)[()]
    np.testing.assert_array_equal(be.to_host(be.full((2, 3), one, dtype)), np.full((2, 3), one))
    np.testing.assert_array_equal(be.to_host(be.iota(7, dtype if dtype.kind != "b" else np.int8)),
                                  np.arange(7, dtype=dtype if dtype.kind != "b" else np.int8))
    # slicing with negative steps, ints and the 0-d view
    key = (slice(3, None, -2), 1, slice(0, 6, 2))
    v = be.slice_view(d, key)
    np.testing.assert_array_equal(be.to_host(v), x[3::-2, 1, 0:6:2])
    zero_d = be.slice_view(d, (0, 0, 0))
    assert zero_d.shape == ()
    # writes through a view land in the base
    be.copy_into(v, be.full(v.shape, np.zeros((), dtype)[()], dtype))
    expect = x.copy()
    expect[3::-2, 1, 0:6:2] = 0
    np.testing.assert_array_equal(be.to_host(d), expect)
    # reshape: view when possible, copy=False refuses otherwise
    r = be.reshape(d, (20, 6), None)
    be.copy_into(be.slice_view(r, (0,)), be.full((6,), one, dtype))
    assert be.to_host(d)[0, 0, 0] == one
    with pytest.raises(ValueError):
        be.reshape(be.permute(d, (2, 1, 0)), (120,), False)
    np.testing.assert_array_equal(be.to_host(be.reshape(be.permute(d, (2, 1, 0)), (120,), True)),
                                  be.to_host(d).transpose(2, 1, 0).reshape(120))
    np.testing.assert_array_equal(be.to_host(be.broadcast_to(be.slice_view(d, (0, 0)), (3, 6))),
                                  np.broadcast_to(be.to_host(d)[0, 0], (3, 6)))
    np.testing.assert_array_equal(be.to_host(be.broadcast_to(one, (2, 3))), np.full((2, 3), one))


@gpu
def test_copy_into_overlap(be):
    x = np.arange(10, dtype=np.float32)
    d = be.from_host(x, True)
    be.copy_into(be.slice_view(d, (slice(1, 10, 1),)), be.slice_view(d, (slice(0, 9, 1),)))
    expect = x.copy()
    expect[1:] = x[:-1].copy()
    np.testing.assert_array_equal(be.to_host(d), expect)
    be.copy_into(d, np.float32(3.0))
    assert (be.to_host(d) == 3).all()





_RED_DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint64,
                                     np.float16, np.float32, np.float64, np.complex64)]


@gpu
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "any", "all"])
@pytest.mark.parametrize("dtype", _RED_DTYPES, ids=lambda d: d.name)
def test_reduce(be, ref, op, dtype):
    if op in ("max", "min") and dtype.kind == "c":
        return
    rng = seeded(4)
    x = (rng.standard_normal((6, 7, 8)) * 3).astype(dtype) if dtype.kind != "b" else rng.integers(0, 2, (6, 7, 8)).astype(bool)
    if dtype.kind == "f":
        x[1, 2, 3] = np.nan
        x[2, 3, :] = np.nan
    acc = dtype
    if op in ("sum", "prod") and dtype.kind in "biu":
        acc = np.dtype(np.uint64 if dtype.kind == "u" else np.int64)
        x = x.astype(acc) if dtype.kind == "b" else x
    if op in ("any", "all"):
        acc = np.dtype(np.bool_)
    tol = "exact" if dtype.kind in "biu" or op in ("max", "min", "any", "all") else "special"
    for axes in [(), (0,), (1,), (2,), (0, 2), (0, 1, 2)]:
        for keep in (False, True):
            src = x.astype(acc) if op in ("sum", "prod") and x.dtype != acc else x
            if op == "prod" and dtype.kind in "f":
                src = (src / 3).astype(src.dtype)
            want = np.asarray(ref.reduce(op, src, axes, keep, acc))
            got = be.to_host(be.reduce(op, be.from_host(src, True), axes, keep, acc))
            if op == "prod" and dtype == np.float16:
                continue  # float16 products of hundreds of values: rounding decides, not code
            if tol == "special":  # floating sum/prod: K * eps * sqrt(n) * sum|x| (DESIGN 5)
                assert got.dtype == want.dtype and got.shape == want.shape
                eps = float(np.finfo(dtype).eps)
                n = max(1, int(np.prod([src.shape[a] for a in axes])))
                if op == "sum":
                    mag = np.sum(np.abs(src.astype(np.complex128 if dtype.kind == "c" else np.float64)),
                                 axis=axes, keepdims=keep)
                    bound = 4 * eps * np.sqrt(n) * mag + (0.5 if dtype == np.float16 else 0.0)
                else:
                    bound = 4 * eps * n * np.abs(want.astype(np.complex128)) + 1e-30
                diff = np.abs(got.astype(np.complex128) - want)
                both_nan = np.isnan(got) & np.isnan(want)
                assert ((diff <= bound) | both_nan).all(), f"{op} {dtype.name} axes={axes}"
            else:
                assert_match(got, want, tol, f"{op} {dtype.name} axes={axes} keep={keep}")


@gpu
@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("dtype", [d for d in _RED_DTYPES if d.kind != "c"], ids=lambda d: d.name)
def test_arg_reduce(be, ref, op, dtype):
    rng = seeded(5)
    x = rng.integers(0, 4, (5, 9, 7)).astype(dtype)  # many ties
    if dtype.kind == "f":
        x[1, 3, 2] = np.nan
        x[1, 5, 2] = np.nan
        x[2, :, 4] = np.nan
    d = be.from_host(x, True)
    for axis in (None, 0, 1, 2):
        for keep in (False, True):
            want = np.asarray(ref.arg_reduce(op, x, axis, keep))
            got = be.to_host(be.arg_reduce(op, d, axis, keep))
            assert_match(got, want, "exact", f"{op} axis={axis} keep={keep}")
    # long rows take the two-pass path
    big = rng.integers(0, 50, (3, 200_003)).astype(dtype)
    if dtype.kind == "f":
        big[1, 150_000] = np.nan
    for axis in (None, 1):
        assert_match(be.to_host(be.arg_reduce(op, be.from_host(big, True), axis, False)),
                      np.asarray(ref.arg_reduce(op, big, axis, False)), "exact", f"{op} long")


@gpu
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dtype", [np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.uint8),
                                   np.dtype(np.float32), np.dtype(np.float64),
                                   np.dtype(np.complex64)], ids=lambda d: d.name)
def test_cumulative(be, ref, op, dtype):
    rng = seeded(6)
    x = (rng.standard_normal((4, 9)) * 2).astype(dtype) if dtype.kind != "u" else rng.integers(0, 255, (4, 9)).astype(dtype)
    for axis in (0, 1):
        want = np.asarray(ref.cumulative(op, x, axis, dtype))
        got = be.to_host(be.cumulative(op, be.from_host(x, True), axis, dtype))
        if dtype.kind in "fc":
            np.testing.assert_allclose(got, want, rtol=1e-4)
            assert got.dtype == want.dtype
        else:
            assert_match(got, want, "exact", op)


_MM_DTYPES = [np.dtype(d) for d in (np.float16, np.float32, np.float64, np.complex64,
                                    np.complex128, np.int32, np.int64, np.uint8)]


@gpu
@pytest.mark.parametrize("dtype", _MM_DTYPES, ids=lambda d: d.name)
def test_matmul(be, ref, dtype):
    rng = seeded(7)

    def mk(*shape):
        a = rng.standard_normal(shape) * 2
        if dtype.kind == "c":
            a = a + 1j * rng.standard_normal(shape)
        return a.astype(dtype) if dtype.kind != "u" else np.abs(a).astype(dtype)

    cases = [
        (mk(5, 7), mk(7, 3)), (mk(1, 7), mk(7, 1)), (mk(64, 33), mk(33, 17)),
        (mk(7, 5).T, mk(7, 3)), (mk(5, 7), mk(3, 7).T), (mk(6, 9)[:, 1:8], mk(7, 3)),
        (mk(4, 5, 7), mk(7, 3)), (mk(2, 1, 5, 7), mk(3, 7, 4)), (mk(3, 5, 7), mk(3, 7, 4)),
        (mk(5, 0), mk(0, 3)), (mk(0, 4), mk(4, 3)), (mk(3, 4)[::-1], mk(4, 2)),
    ]
    for a, b in cases:
        want = np.asarray(ref.matmul(a, b))
        got = be.to_host(be.matmul(be.from_host(a, False), be.from_host(b, False)))
        assert got.dtype == want.dtype and got.shape == want.shape
        if dtype.kind in "iu":
            np.testing.assert_array_equal(got, want)
        else:
            k = a.shape[-1]
            eps = np.finfo(dtype).eps
            bound = 4 * eps * np.sqrt(max(k, 1)) * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)) + 1e-30
            assert (np.abs(got.astype(np.complex128) - want) <= bound + 4 * eps * np.abs(want)).all(), (a.shape, b.shape)
    # transposed device views are passed to cuBLAS without a copy: check values
    a = mk(8, 6)
    d = be.from_host(a, True)
    got = be.to_host(be.matmul(be.permute(d, (1, 0)), d))
    np.testing.assert_allclose(got, a.T @ a, rtol=1e-2 if dtype == np.float16 else 1e-5,
                               atol=1e-1 if dtype == np.float16 else 1e-4)


@gpu
def test_matmul_strict_fp32_and_tf32_opt_in(be):
    rng = seeded(8)
    a = rng.standard_normal((512, 512)).astype(np.float32)
    b = rng.standard_normal((512, 512)).astype(np.float32)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    da, db = be.from_host(a, True), be.from_host(b, True)
    strict = be.to_host(be.matmul(da, db))
    err_strict = np.abs(strict - exact).max()
    with nigiri.use(allow_tf32=True):
        tf32 = be.to_host(be.matmul(da, db))
    err_tf32 = np.abs(tf32 - exact).max()
    again = be.to_host(be.matmul(da, db))  # back to strict outside the context
    assert err_strict < 1e-3, err_strict  # IEEE float32: ~1e-5 relative
    assert err_tf32 > 4 * err_strict, (err_tf32, err_strict)  # TF32: 10-bit mantissa
    np.testing.assert_array_equal(again, strict)


@gpu
@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64),
                                   np.dtype(np.complex64)], ids=lambda d: d.name)
def test_linalg(be, ref, dtype):
    rng = seeded(9)
    a = rng.standard_normal((3, 4, 4))
    if dtype.kind == "c":
        a = a + 1j * rng.standard_normal((3, 4, 4))
    spd = (a @ np.conj(np.swapaxes(a, -1, -2)) + 4 * np.eye(4)).astype(dtype)
    a = a.astype(dtype)
    rhs = rng.standard_normal((3, 4, 2)).astype(dtype)
    tol = 1e-3 if dtype in (np.float32, np.complex64) else 1e-9
    d = be.from_host(a, True)
    ds = be.from_host(spd, True)
    for op, args, kw in [("inv", (a,), {}), ("det", (a,), {}), ("solve", (a, rhs), {}),
                         ("cholesky", (spd,), {}), ("cholesky", (spd,), {"upper": True}),
                         ("eigvalsh", (spd,), {}), ("svdvals", (a,), {}), ("slogdet", (a,), {})]:
        want = ref.linalg(op, *args, **kw)
        got = be.linalg(op, *[be.from_host(x, True) for x in args], **kw)
        want = want if isinstance(want, tuple) else (want,)
        got = got if isinstance(got, tuple) else (got,)
        for g, w in zip(got, want):
            g = be.to_host(g)
            assert g.dtype == np.asarray(w).dtype, (op, g.dtype, np.asarray(w).dtype)
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=op)
    # decompositions whose factors are unique up to signs: check reconstruction
    q, r = (be.to_host(v) for v in be.linalg("qr", d, mode="reduced"))
    np.testing.assert_allclose(q @ r, a, rtol=tol, atol=tol)
    w, v = (be.to_host(t) for t in be.linalg("eigh", ds))
    np.testing.assert_allclose(v @ (w[..., None] * np.conj(np.swapaxes(v, -1, -2))), spd,
                               rtol=tol, atol=10 * tol)
    u, s, vh = (be.to_host(t) for t in be.linalg("svd", d, full_matrices=False))
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, rtol=tol, atol=10 * tol)
    with pytest.raises(np.linalg.LinAlgError):
        be.linalg("cholesky", be.from_host(-spd, True))


@gpu
def test_gather_scatter_nonzero(be, ref):
    rng = seeded(10)
    x = rng.standard_normal((6, 5, 4)).astype(np.float32)
    i0 = rng.integers(0, 6, (3, 2))
    i1 = rng.integers(0, 5, (3, 2))
    d = be.from_host(x, True)
    got = be.to_host(be.gather(d, (be.from_host(i0, True), be.from_host(i1, True))))
    np.testing.assert_array_equal(got, ref.gather(x, (i0, i1)))
    view = be.slice_view(d, (slice(1, 6, 2),))
    vals = np.full((2, 4), 7.0, np.float32)
    be.scatter(view, (be.from_host(np.array([0, 2]), True), be.from_host(np.array([1, 3]), True)),
               be.from_host(vals, True))
    expect = x.copy()
    expect[1::2][[0, 2], [1, 3]] = 7.0
    np.testing.assert_array_equal(be.to_host(d), expect)
    m = x > 0.5
    got = be.nonzero(be.from_host(m, True))
    want = ref.nonzero(m)
    assert len(got) == 3
    for g, w in zip(got, want):
        assert_match(be.to_host(g), w, "exact", "nonzero")


_SORT_DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int64, np.uint16, np.float16,
                                      np.float32, np.float64)]


@gpu
@pytest.mark.parametrize("dtype", _SORT_DTYPES, ids=lambda d: d.name)
def test_sort_argsort_searchsorted(be, ref, dtype):
    rng = seeded(11)
    x = rng.integers(0, 5, (4, 33)).astype(dtype)  # many ties: stability matters
    if dtype.kind == "f":
        x[0, [3, 9, 20]] = np.nan
        x[1, [2, 5]] = [-0.0, 0.0]
        x[2, 4] = np.inf
    d = be.from_host(x, True)
    for axis in (0, 1):
        for desc in (False, True):
            assert_match(be.to_host(be.argsort(d, axis, desc)),
                          np.asarray(ref.argsort(x, axis, desc)), "exact",
                          f"argsort axis={axis} desc={desc}")
            assert_match(be.to_host(be.sort(d, axis, desc)),
                          np.asarray(ref.sort(x, axis, desc)), "exact",
                          f"sort axis={axis} desc={desc}")
    if dtype.kind != "b":
        hay = np.sort(x[0])
        needles = np.concatenate([x[1], x[0][:5]])
        for side in ("left", "right"):
            assert_match(be.to_host(be.searchsorted(be.from_host(hay, True),
                                                     be.from_host(needles, True), side)),
                          np.asarray(ref.searchsorted(hay, needles, side)), "exact",
                          f"searchsorted {side}")


@gpu
def test_philox_bit_identical(be, ref):
    # Random123 known answer (philox4x32_10, key 0, counter 0): pinned in philox_host
    for key, counter, n in [((0, 0), 0, 4), ((0xA4093822, 0x299F31D0), 0x243F6A88, 37),
                            ((123, 456), (1 << 32) - 2, 1001), ((1, 2), 5, 0),
                            ((7, 9), 2**63 + 5, 4099)]:
        np.testing.assert_array_equal(be.to_host(be.philox(key, counter, n)),
                                      ref.philox(key, counter, n))
    np.testing.assert_array_equal(be.to_host(be.philox((0, 0), 0, 4)),
                                  np.array([0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8],
                                           np.uint32))


@gpu
def test_dlpack_both_ways(be):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    d = be.from_host(x, True)
    assert be.dlpack_device(d) == (2, 0)
    import cupy as cp

    back = cp.from_dlpack(types.SimpleNamespace(
        __dlpack__=lambda stream=None, **kw: be.to_dlpack(d, stream),
        __dlpack_device__=lambda: be.dlpack_device(d)))
    back[0, 0] = 42  # zero-copy: shares memory
    assert be.to_host(d)[0, 0] == 42
    other = cp.arange(5, dtype=cp.int32)
    imported = be.from_dlpack(other)
    imported[1] = 9
    assert int(other[1]) == 9
    with pytest.raises(ValueError, match="DLPack device"):
        be.from_dlpack(np.arange(3))
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        t = torch.from_dlpack(nigiri.asarray(x, device="cupy:0"))
        assert t.device.type == "cuda" and float(t[2, 3]) == 11.0
        back = be.from_dlpack(torch.arange(4, device="cuda"))
        assert be.to_host(back).tolist() == [0, 1, 2, 3]


@gpu
def test_out_of_memory_names_device_and_size(be):
    with pytest.raises(MemoryError, match=r"cupy:0.*1,125,899,906,842,624 bytes"):
        be.empty((1 << 50,), np.uint8)


@gpu
def test_stats_and_describe(be):
    be.from_host(np.ones(1000, np.float32), True)
    s = be.stats()
    assert s["pool_total_bytes"] >= s["pool_used_bytes"] >= 0
    assert "host_round_trips" in s
    desc = be.describe()
    assert desc["kind"] == "gpu" and desc["memory_bytes"] > 0
    assert be.capabilities.memory_bytes == desc["memory_bytes"]
    assert set(be.capabilities.fast_paths) >= {"conv2d_forward", "sgd_update"}
    info = next(r for r in registry.info() if r["backend"] == "cupy")
    assert info["available"] and info["versions"]["cupy"]


@gpu
def test_array_api_on_cupy(be):
    x = nigiri.asarray(np.arange(6, dtype=np.float32).reshape(2, 3), device="cupy:0")
    y = nigiri.log(x + 1)
    np.testing.assert_allclose(nigiri.to_numpy(y), np.log(np.arange(6).reshape(2, 3) + 1), rtol=1e-6)
    assert str(y.device) == "cupy:0"
