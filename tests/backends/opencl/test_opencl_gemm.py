"""OpenCL matmul: the tiled kernel and the direct kernel on awkward shapes,
transposed and strided inputs, batches with broadcasting, integer wrap-around, and
the autotuner's on-disk cache."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nigiri.backends.opencl import autotune
from nigiri.backends.opencl.gemm import CPU_CANDIDATES, GPU_CANDIDATES, use_tiled, valid

rng = np.random.default_rng(3)


@pytest.fixture(params=["cpu-kernel", "gpu-kernel"])
def kernel_kind(request, be):
    """Run the test with the CPU (register-blocked) and the GPU (local-memory tiled)
    GEMM kernels, whatever this device would pick by itself."""
    cands = CPU_CANDIDATES if request.param == "cpu-kernel" else GPU_CANDIDATES
    saved = dict(be._gemm_cfg)
    for dt in (np.dtype(np.float32), np.dtype(np.float64)):
        be._gemm_cfg[dt] = next(c for c in cands if valid(c, dt, be.rt))
    yield request.param
    be._gemm_cfg.clear()
    be._gemm_cfg.update(saved)


def _bound(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Conformance bound: 4 * eps * sqrt(k) * sum_k |a_ik b_kj|."""
    k = a.shape[-1]
    eps = np.finfo(a.dtype).eps
    return 4 * eps * np.sqrt(k) * (np.abs(a.astype(np.float64)) @ np.abs(b.astype(np.float64)))


def _check(be, a: np.ndarray, b: np.ndarray, da, db, what: str) -> None:
    got = be.to_host(be.matmul(da, db))
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.dtype == a.dtype and got.shape == want.shape, what
    err = np.abs(got.astype(np.float64) - want)
    bound = _bound(a, b) + np.finfo(a.dtype).tiny
    assert (err <= bound).all(), f"{what}: max err {err.max()} vs bound {bound.min()}"


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (3, 5, 7), (64, 64, 16), (65, 127, 33),
                                   (130, 66, 200), (200, 129, 17), (48, 300, 1000), (100, 10, 1000)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_shapes(be, kernel_kind, m: int, n: int, k: int, dtype: str) -> None:
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    _check(be, a, b, be.from_host(a, True), be.from_host(b, True), f"{m}x{k}@{k}x{n}")


@pytest.mark.parametrize("ta,tb", [(True, False), (False, True), (True, True)])
def test_matmul_transposed_and_strided(be, kernel_kind, ta: bool, tb: bool) -> None:
    m, n, k = 97, 80, 130
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    da, db = be.from_host(a, True), be.from_host(b, True)
    if ta:
        a, da = a.T, be.permute(da, (1, 0))
    if tb:
        b, db = b.T, be.permute(db, (1, 0))
    assert use_tiled(np.dtype(np.float32), m, n, k)
    _check(be, a, b, da, db, f"ta={ta} tb={tb}")
    big = rng.standard_normal((2 * m, 3 * k)).astype(np.float32)
    sv = be.slice_view(be.from_host(big, True), (slice(1, 2 * m, 2), slice(3 * k - 1, None, -3)))
    _check(be, big[1::2, ::-3], b, sv, db, "strided, reversed")


def test_matmul_batched_broadcast(be, kernel_kind) -> None:
    a = rng.standard_normal((3, 1, 70, 50)).astype(np.float32)
    b = rng.standard_normal((4, 50, 66)).astype(np.float32)
    got = be.to_host(be.matmul(be.from_host(a, True), be.from_host(b, True)))
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == (3, 4, 70, 66)
    np.testing.assert_allclose(got, want, rtol=0, atol=float(_bound(a[0, 0], b[0]).max()) * 2)
    a2 = rng.standard_normal((5, 9, 4)).astype(np.float32)
    b2 = rng.standard_normal((4, 6)).astype(np.float32)
    got = be.to_host(be.matmul(be.from_host(a2, True), be.from_host(b2, True)))
    np.testing.assert_allclose(got, a2 @ b2, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "int8"])
def test_matmul_integers_wrap(be, dtype: str) -> None:
    info = np.iinfo(dtype)
    a = rng.integers(info.min // 2, info.max // 2, (9, 40), endpoint=True).astype(dtype)
    b = rng.integers(info.min // 2, info.max // 2, (40, 11), endpoint=True).astype(dtype)
    got = be.to_host(be.matmul(be.from_host(a, True), be.from_host(b, True)))
    np.testing.assert_array_equal(got, np.matmul(a, b))


def test_matmul_empty_and_k0(be) -> None:
    z = be.matmul(be.from_host(np.ones((3, 0), np.float32), True),
                  be.from_host(np.ones((0, 4), np.float32), True))
    np.testing.assert_array_equal(be.to_host(z), np.zeros((3, 4), np.float32))
    e = be.matmul(be.from_host(np.ones((0, 5), np.float32), True),
                  be.from_host(np.ones((5, 4), np.float32), True))
    assert be.to_host(e).shape == (0, 4)


def test_autotuner_caches_choice_per_device(be, h, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIGIRI_CACHE_DIR", str(tmp_path))
    cands = [dict(KERNEL=0, MWG=32, NWG=32, KWG=16, MDIMC=8, NDIMC=8, VWM=2, VWN=2),
             dict(KERNEL=1, MWG=32, NWG=16, KWG=1, MDIMC=8, NDIMC=1, VWM=1, VWN=8)]
    rec = be.tune_gemm(np.float32, size=128, candidates=cands)
    assert rec["config"] in cands and len(rec["results"]) == 2
    path = autotune.cache_path(be.rt)
    assert path.startswith(str(tmp_path))
    with open(path) as fh:
        stored = json.load(fh)
    assert stored["float32"]["config"] == rec["config"]
    assert autotune.cached_config(be.rt, np.dtype(np.float32)) == rec["config"]
    # the tuned configuration is the one the tiled path now uses, and stays exact
    a = rng.standard_normal((150, 70)).astype(np.float32)
    b = rng.standard_normal((70, 90)).astype(np.float32)
    _check(be, a, b, be.from_host(a, True), be.from_host(b, True), "tuned")
    be._gemm_cfg.clear()


def test_small_products_use_small_tiles_on_gpus(be, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer big tiles than compute units: the small-tile configuration is used."""
    import nigiri.backends.opencl.backend as backend_mod

    seen = []
    real = backend_mod.tiled_into

    def spy(rt, cfg, *args):
        seen.append(cfg)
        return real(rt, cfg, *args)

    monkeypatch.setattr(backend_mod, "tiled_into", spy)
    monkeypatch.setitem(be.rt.facts, "kind", "gpu")
    monkeypatch.setitem(be.rt.facts, "compute_units", 1000)
    big = next(c for c in GPU_CANDIDATES if c["MWG"] == 128 and valid(c, np.dtype(np.float32), be.rt))
    monkeypatch.setitem(be._gemm_cfg, np.dtype(np.float32), big)
    a = rng.standard_normal((200, 64)).astype(np.float32)
    b = rng.standard_normal((64, 300)).astype(np.float32)
    _check(be, a, b, be.from_host(a, True), be.from_host(b, True), "small tiles")
    assert seen and seen[-1]["MWG"] * seen[-1]["NWG"] <= 64 * 64
    monkeypatch.setitem(be.rt.facts, "compute_units", 1)
    _check(be, a, b, be.from_host(a, True), be.from_host(b, True), "big tiles")
    assert seen[-1] == big
