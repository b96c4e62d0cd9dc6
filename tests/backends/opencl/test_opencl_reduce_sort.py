"""OpenCL reductions, arg-reductions, scans, sort/argsort, searchsorted, gather,
scatter and nonzero against the numpy backend (strided views, empty and 0-d)."""

from __future__ import annotations

import numpy as np
import pytest

rng = np.random.default_rng(99)


def _host(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.startswith(("int", "uint")):
        return rng.integers(0, 100, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8"])
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "any", "all"])
def test_reduce(be, ref, h, op: str, dtype: str) -> None:
    for shape, axes in [((7, 300), (1,)), ((7, 300), (0,)), ((4, 5, 6), (0, 2)),
                        ((3000,), (0,)), ((2, 3, 4), (0, 1, 2)), ((5, 4), ()),
                        ((40, 3), (0,))]:
        host = _host(dtype, shape)
        if op == "prod" and dtype.startswith("float"):
            host = (1 + host * 1e-3).astype(dtype)
        dev = be.from_host(host, True)
        view = be.permute(dev, tuple(reversed(range(len(shape)))))
        hview = np.ascontiguousarray(host.transpose(tuple(reversed(range(len(shape))))))
        rax = tuple(sorted(len(shape) - 1 - a for a in axes))
        out_dt = np.dtype(bool) if op in ("any", "all") else np.dtype(dtype)
        for keep in (False, True):
            got = be.to_host(be.reduce(op, view, rax, keep, out_dt))
            want = ref.reduce(op, hview, rax, keep, out_dt)
            if op in ("sum", "prod") and not rax:
                want = want.astype(out_dt)
            n = int(np.prod([hview.shape[a] for a in rax])) if rax else 1
            h.reduction_close(got, want, hview, n, f"{op} {dtype} {shape} {axes}")


def test_reduce_nan_empty_and_wrap(be, ref) -> None:
    x = np.array([[1, np.nan, 3], [4, 5, 6]], np.float32)
    d = be.from_host(x, True)
    for op in ("max", "min"):
        np.testing.assert_array_equal(be.to_host(be.reduce(op, d, (1,), False, x.dtype)),
                                      ref.reduce(op, x, (1,), False, x.dtype))
    e = be.from_host(np.zeros((0, 4), np.float32), True)
    np.testing.assert_array_equal(be.to_host(be.reduce("sum", e, (0,), False, np.dtype(np.float32))), np.zeros(4))
    np.testing.assert_array_equal(be.to_host(be.reduce("prod", e, (0,), False, np.dtype(np.float32))), np.ones(4))
    assert be.to_host(be.reduce("all", e, (0, 1), False, np.dtype(bool))) == np.True_
    big = np.full(1000, 2**62, np.int64)
    np.testing.assert_array_equal(be.to_host(be.reduce("sum", be.from_host(big, True), (0,), False, np.dtype(np.int64))),
                                  ref.reduce("sum", big, (0,), False, np.dtype(np.int64)))


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_reduce(be, ref, op: str) -> None:
    x = rng.integers(0, 5, (6, 700)).astype(np.float32)  # many ties: first index wins
    x[2, 10] = np.nan
    x[2, 500] = np.nan
    d = be.from_host(x, True)
    for axis in (0, 1, None):
        for keep in (False, True):
            got = be.to_host(be.arg_reduce(op, d, axis, keep))
            np.testing.assert_array_equal(got, ref.arg_reduce(op, x, axis, keep), f"{op} {axis}")
    t = be.permute(d, (1, 0))
    np.testing.assert_array_equal(be.to_host(be.arg_reduce(op, t, None, False)),
                                  ref.arg_reduce(op, np.ascontiguousarray(x.T), None, False))
    xi = rng.integers(-3, 3, (50, 3)).astype(np.int16)
    np.testing.assert_array_equal(be.to_host(be.arg_reduce(op, be.from_host(xi, True), 0, False)),
                                  ref.arg_reduce(op, xi, 0, False))
    z = be.from_host(np.array(3.0, np.float32), True)
    assert be.to_host(be.arg_reduce(op, z, None, False)) == 0


@pytest.mark.parametrize("dtype", ["float32", "int32", "int8", "float64"])
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_cumulative(be, ref, op: str, dtype: str) -> None:
    for shape, axis in [((5, 9), 1), ((5, 9), 0), ((2, 5000), 1), ((3, 4, 5), 1), ((0, 3), 1)]:
        host = _host(dtype, shape)
        if op == "cumprod" and dtype.startswith("float"):
            host = (1 + host * 1e-3).astype(dtype)
        dev = be.slice_view(be.from_host(host, True), (slice(0, shape[0], 1),))
        got = be.to_host(be.cumulative(op, dev, axis, np.dtype(dtype)))
        want = ref.cumulative(op, host, axis, np.dtype(dtype))
        if dtype.startswith("float"):
            scale = np.abs(host).astype(np.float64).sum() + 1
            np.testing.assert_allclose(got, want, rtol=0,
                                       atol=4 * np.finfo(dtype).eps * np.sqrt(shape[axis]) * scale)
        else:
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", ["float32", "int64", "uint8", "float64", "bool"])
@pytest.mark.parametrize("descending", [False, True])
def test_sort_argsort(be, ref, dtype: str, descending: bool) -> None:
    for shape, axis in [((1000,), 0), ((7, 33), 1), ((33, 7), 0), ((3, 1500), 1), ((4, 1), 1),
                        ((2, 0), 1)]:
        host = rng.integers(0, 9, shape).astype(dtype)  # plenty of ties: stability matters
        if dtype.startswith("float") and host.size:
            host.flat[:: max(1, host.size // 7)] = np.nan
            host.flat[1] = -0.0 if host.size > 1 else host.flat[0]
        dev = be.from_host(host, True)
        got_i = be.to_host(be.argsort(dev, axis, descending))
        np.testing.assert_array_equal(got_i, ref.argsort(host, axis, descending), f"{shape}")
        got = be.to_host(be.sort(dev, axis, descending))
        np.testing.assert_array_equal(got, ref.sort(host, axis, descending), f"{shape}")
    strided = be.permute(be.from_host(np.arange(12.0)[::-1].reshape(3, 4).copy(), True), (1, 0))
    np.testing.assert_array_equal(be.to_host(be.sort(strided, 1, descending)),
                                  ref.sort(np.arange(12.0)[::-1].reshape(3, 4).T.copy(), 1, descending))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(be, ref, side: str) -> None:
    base = np.sort(rng.integers(0, 20, 50).astype(np.float32))
    base[-3:] = np.nan
    q = np.array([[-1, 0, 5.5, 19, 20, np.nan], [3, 3, 7, 8, 100, 2]], np.float32)
    sv = be.slice_view(be.from_host(np.repeat(base, 2), True), (slice(0, 100, 2),))
    got = be.to_host(be.searchsorted(sv, be.permute(be.from_host(q.T.copy(), True), (1, 0)), side))
    np.testing.assert_array_equal(got, ref.searchsorted(base, q, side))
    e = be.from_host(np.zeros(0, np.int32), True)
    np.testing.assert_array_equal(be.to_host(be.searchsorted(e, be.from_host(np.arange(3, dtype=np.int32), True), side)), np.zeros(3))


def test_gather_scatter(be) -> None:
    host = rng.standard_normal((6, 5, 4)).astype(np.float32)
    dev = be.from_host(host, True)
    i0 = np.array([[0, 5], [2, 2]], np.int64)
    i1 = np.array([[4, 0], [1, 3]], np.int64)
    got = be.to_host(be.gather(dev, (be.from_host(i0, True), be.from_host(i1, True))))
    np.testing.assert_array_equal(got, host[i0, i1])
    view = be.permute(dev, (2, 1, 0))  # gather through a strided view
    got = be.to_host(be.gather(view, (be.from_host(i1[0] % 4, True),)))
    np.testing.assert_array_equal(got, host.transpose(2, 1, 0)[i1[0] % 4])
    vals = rng.standard_normal((2, 2, 4)).astype(np.float32)
    be.scatter(dev, (be.from_host(i0, True), be.from_host(i1, True)), be.from_host(vals, True))
    expect = host.copy()
    expect[i0, i1] = vals
    np.testing.assert_array_equal(be.to_host(dev), expect)
    sub = be.slice_view(dev, (slice(1, 6, 2),))  # scatter lands in the base of a view
    be.scatter(sub, (be.from_host(np.array([0, 2], np.int64), True),), be.from_host(np.zeros((2, 5, 4), np.float32), True))
    expect[1:6:2][[0, 2]] = 0
    np.testing.assert_array_equal(be.to_host(dev), expect)
    be.scatter(dev, (be.from_host(np.array([3], np.int64), True),), np.float32(9))
    expect[3] = 9
    np.testing.assert_array_equal(be.to_host(dev), expect)


def test_nonzero_counts_round_trip(be, ref) -> None:
    host = rng.integers(0, 3, (7, 300)) == 0
    dev = be.permute(be.from_host(host.T.copy(), True), (1, 0))
    before = be.stats()["host_round_trips"]
    got = [be.to_host(i) for i in be.nonzero(dev)]
    want = ref.nonzero(host)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert be.stats()["host_round_trips"] == before + 1
    assert [be.to_host(i).size for i in be.nonzero(be.from_host(np.zeros((3, 0)), True))] == [0, 0]
    assert [be.to_host(i).size for i in be.nonzero(be.from_host(np.zeros(5), True))] == [0]
