"""The nigiri API on an OpenCL device against the same calls on numpy: indexing and
assignment through views, manipulation, statistics, searching, sets, linalg (matmul on
the device, decompositions through the counted host path) and the random streams."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
import nigiri.random as ngr

rng = np.random.default_rng(5)


def _both(be, host: np.ndarray):
    return ng.asarray(host, device=be.device_name), ng.asarray(host, device="numpy")


def _eq(a, b, rtol: float = 0.0) -> None:
    x, y = ng.to_numpy(a), ng.to_numpy(b)
    assert x.dtype == y.dtype and x.shape == y.shape
    if rtol:
        np.testing.assert_allclose(x, y, rtol=rtol, atol=rtol)
    else:
        np.testing.assert_array_equal(x, y)


def test_indexing_and_views(be) -> None:
    host = rng.standard_normal((6, 7, 5)).astype(np.float32)
    d, r = _both(be, host)
    for key in [(slice(1, 5), 2), (Ellipsis, slice(None, None, -2)), (0, slice(None), 3),
                (np.array([0, 5, 2]),), (slice(None), np.array([6, 0])), (host[:, 0, 0] > 0,)]:
        dk = tuple(ng.asarray(k, device=be.device_name) if isinstance(k, np.ndarray) else k for k in key)
        rk = tuple(ng.asarray(k, device="numpy") if isinstance(k, np.ndarray) else k for k in key)
        _eq(d[dk], r[rk])
    v, w = d[1:5, ::2], r[1:5, ::2]
    v[...] = 3.0
    w[...] = 3.0
    _eq(d, r)
    d[ng.asarray(np.array([0, 2]), device=be.device_name)] = 1.5
    r[ng.asarray(np.array([0, 2]), device="numpy")] = 1.5
    _eq(d, r)
    d += 1
    r += 1
    _eq(d, r)


def test_manipulation_statistics_search(be) -> None:
    host = rng.standard_normal((5, 8)).astype(np.float32)
    d, r = _both(be, host)
    for fn in (lambda a: ng.concat([a, a * 2], axis=1), lambda a: ng.flip(a, axis=0),
               lambda a: ng.reshape(ng.permute_dims(a, (1, 0)), (4, 10)),
               lambda a: ng.argsort(a, axis=1, stable=True), lambda a: ng.sort(a, axis=0),
               lambda a: ng.argmax(a, axis=1), lambda a: ng.nonzero(a > 0)[1],
               lambda a: ng.cumulative_sum(a, axis=1), lambda a: ng.where(a > 0, a, 0.0),
               lambda a: ng.unique_values(ng.round(a)), lambda a: ng.clip(a, -0.5, 0.5)):
        _eq(fn(d), fn(r), rtol=1e-6)
    for fn in (ng.sum, ng.mean, ng.max, ng.prod, ng.std):
        _eq(fn(d, axis=0), fn(r, axis=0), rtol=1e-5)
    _eq(ng.matmul(d, ng.matrix_transpose(d)), ng.matmul(r, ng.matrix_transpose(r)), rtol=1e-5)


def test_host_linalg_is_counted(be) -> None:
    a = rng.standard_normal((4, 4)).astype(np.float64) + 4 * np.eye(4)
    d, r = _both(be, a)
    before = ng.stats()[be.device_name]["host_round_trips"]
    got = ng.linalg.inv(d)
    _eq(got, ng.linalg.inv(r), rtol=1e-10)
    assert ng.stats()[be.device_name]["host_round_trips"] >= before + 1


def test_random_streams_match_numpy_backend(be) -> None:
    g1 = ngr.default_rng(42, device=be.device_name)
    g2 = ngr.default_rng(42, device="numpy")
    _eq(g1.integers(0, 1000, 257), g2.integers(0, 1000, 257))
    _eq(g1.random(300), g2.random(300))
    np.testing.assert_allclose(ng.to_numpy(g1.normal(size=100)), ng.to_numpy(g2.normal(size=100)),
                               rtol=1e-5, atol=1e-6)


def test_unsupported_dtype_names_device(be) -> None:
    with pytest.raises(TypeError, match=be.device_name):
        ng.asarray(np.ones(3, np.complex64), device=be.device_name)
    if not be.capabilities.float16:
        with pytest.raises(TypeError, match=be.device_name):
            ng.asarray(np.ones(3, np.float16), device=be.device_name)
