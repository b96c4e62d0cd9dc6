"""Linear algebra against NumPy, including the decompositions and the host path."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("s1,s2", [((3, 4), (4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)),
                                   ((2, 1, 3, 4), (5, 4, 2)), ((0, 3), (3, 2))])
def test_matmul_shapes(s1, s2):
    a, b = RNG.normal(size=s1).astype(np.float32), RNG.normal(size=s2).astype(np.float32)
    got = ng.to_numpy(ng.matmul(ng.asarray(a), ng.asarray(b)))
    np.testing.assert_allclose(got, np.matmul(a, b), rtol=1e-5, atol=1e-5)
    assert (ng.asarray(a) @ ng.asarray(b)).shape == np.matmul(a, b).shape


def test_matmul_errors_and_promotion():
    with pytest.raises(ValueError, match="not aligned"):
        ng.ones((2, 3)) @ ng.ones((2, 3))
    with pytest.raises(ValueError, match="0-d"):
        ng.matmul(ng.asarray(1.0), ng.ones(2))
    assert (ng.ones((2, 2), dtype=ng.int32) @ ng.ones((2, 2), dtype=ng.float32)).dtype == ng.float32


def test_tensordot_vecdot_outer_cross_trace_diagonal():
    a = RNG.normal(size=(3, 4, 5)).astype(np.float32)
    b = RNG.normal(size=(4, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(ng.to_numpy(ng.tensordot(ng.asarray(a), ng.asarray(b), axes=2)),
                               np.tensordot(a, b, axes=2), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ng.to_numpy(ng.tensordot(ng.asarray(a), ng.asarray(b), axes=([1], [0]))),
                               np.tensordot(a, b, axes=([1], [0])), rtol=1e-4, atol=1e-5)
    v = RNG.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(ng.to_numpy(ng.vecdot(ng.asarray(v), ng.asarray(v))), (v * v).sum(-1), rtol=1e-5)
    np.testing.assert_allclose(ng.to_numpy(ng.linalg.outer(ng.asarray(v[0]), ng.asarray(v[1]))), np.outer(v[0], v[1]), rtol=1e-6)
    np.testing.assert_allclose(ng.to_numpy(ng.linalg.cross(ng.asarray(v[:, :3]), ng.asarray(v[:, 1:]))),
                               np.cross(v[:, :3], v[:, 1:]), rtol=1e-5, atol=1e-6)
    m = RNG.normal(size=(2, 4, 5)).astype(np.float32)
    for off in (-2, 0, 3):
        np.testing.assert_allclose(ng.to_numpy(ng.linalg.diagonal(ng.asarray(m), offset=off)),
                                   np.diagonal(m, offset=off, axis1=-2, axis2=-1))
        np.testing.assert_allclose(ng.to_numpy(ng.linalg.trace(ng.asarray(m), offset=off)),
                                   np.trace(m, offset=off, axis1=-2, axis2=-1), rtol=1e-5, atol=1e-6)


def test_norms():
    v = RNG.normal(size=(3, 4)).astype(np.float32)
    x = ng.asarray(v)
    for ord_ in (1, 2, np.inf, -np.inf, 0, 3):
        np.testing.assert_allclose(ng.to_numpy(ng.linalg.vector_norm(x, axis=1, ord=ord_)),
                                   np.linalg.norm(v, ord=ord_, axis=1), rtol=1e-5)
    for ord_ in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        np.testing.assert_allclose(ng.to_numpy(ng.linalg.matrix_norm(x, ord=ord_)),
                                   np.linalg.norm(v, ord=ord_), rtol=1e-4)


def _spd(n):
    m = RNG.normal(size=(n, n))
    return (m @ m.T + n * np.eye(n)).astype(np.float64)


@pytest.mark.parametrize("device", ["numpy", "fake:1"])
def test_decompositions(device):
    a = _spd(4)
    dt = np.float64 if device == "numpy" else np.float32
    a = a.astype(dt)
    x = ng.asarray(a, device=device)
    tol = 1e-10 if dt == np.float64 else 1e-4
    np.testing.assert_allclose(ng.to_numpy(ng.linalg.inv(x)) @ a, np.eye(4), atol=tol * 10)
    np.testing.assert_allclose(ng.to_numpy(ng.linalg.det(x)), np.linalg.det(a), rtol=tol * 10)
    L = ng.to_numpy(ng.linalg.cholesky(x))
    np.testing.assert_allclose(L @ L.T, a, rtol=tol * 10, atol=tol * 10)
    U = ng.to_numpy(ng.linalg.cholesky(x, upper=True))
    np.testing.assert_allclose(U.T @ U, a, rtol=tol * 10, atol=tol * 10)
    q, r = ng.linalg.qr(x)
    np.testing.assert_allclose(ng.to_numpy(q) @ ng.to_numpy(r), a, atol=tol * 100)
    u, s, vh = ng.linalg.svd(x, full_matrices=False)
    np.testing.assert_allclose((ng.to_numpy(u) * ng.to_numpy(s)) @ ng.to_numpy(vh), a, atol=tol * 100)
    w, v = ng.linalg.eigh(x)
    np.testing.assert_allclose(a @ ng.to_numpy(v), ng.to_numpy(v) * ng.to_numpy(w), atol=tol * 100)
    b = RNG.normal(size=(4,)).astype(dt)
    np.testing.assert_allclose(a @ ng.to_numpy(ng.linalg.solve(x, ng.asarray(b, device=device))), b, atol=tol * 100)
    sign, logdet = ng.linalg.slogdet(x)
    np.testing.assert_allclose(float(sign) * np.exp(float(logdet)), np.linalg.det(a), rtol=tol * 100)
    assert int(ng.linalg.matrix_rank(x)) == 4
    np.testing.assert_allclose(ng.to_numpy(ng.linalg.pinv(x)) @ a, np.eye(4), atol=tol * 100)
    np.testing.assert_allclose(ng.to_numpy(ng.linalg.matrix_power(x, -2)) @ a @ a, np.eye(4), atol=tol * 1000)
    if device == "fake:1":  # the declared host path is counted, never hidden
        assert ng.stats()["fake:1"]["host_round_trips"] > 0


def test_decomposition_errors():
    with pytest.raises(ValueError, match="square"):
        ng.linalg.inv(ng.ones((2, 3)))
    with pytest.raises(TypeError, match="floating-point"):
        ng.linalg.det(ng.ones((2, 2), dtype=ng.int32))
    with pytest.raises(ValueError, match="inv"):
        ng.linalg.inv(ng.zeros((2, 2)))
    with pytest.raises(ValueError, match="ndim >= 2"):
        ng.linalg.svd(ng.ones(3))
