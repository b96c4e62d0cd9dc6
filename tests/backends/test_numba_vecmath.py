"""numba backend: the vectorisable float32 exp/log/tanh (vecmath) against the float64
result rounded to float32, on every float32 exponent range, plus special values."""

from __future__ import annotations

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from nigiri.backends.numba import vecmath as V  # noqa: E402

F32 = np.float32
_KERNELS = {}


def _kernel(name):
    if name not in _KERNELS:
        fn = getattr(V, f"{name}_f32")

        @numba.njit
        def k(x, out):
            for i in range(x.size):
                out[i] = fn(x[i])
        _KERNELS[name] = k
    return _KERNELS[name]


def _values(rng, lo, hi):
    """Log-uniform magnitudes over [2**lo, 2**hi), both signs, and the specials."""
    mag = 2.0 ** rng.uniform(lo, hi, 200_000)
    sign = np.where(rng.random(mag.size) < 0.5, -1.0, 1.0)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 1e-45, -1e-45, 88.7, -103.9]
    return np.concatenate([mag * sign, special]).astype(F32)


@pytest.mark.parametrize("name,ref,ulps", [("exp", np.exp, 2), ("log", np.log, 2),
                                           ("tanh", np.tanh, 2)])
def test_within_ulps_of_correctly_rounded(name, ref, ulps):
    rng = np.random.default_rng(7)
    x = _values(rng, -149, 128) if name != "exp" else _values(rng, -30, 7)
    got = np.empty_like(x)
    _kernel(name)(x, got)
    with np.errstate(all="ignore"):
        want64 = ref(x.astype(np.float64))
        want = want64.astype(F32)
    # NaN where the reference is NaN, and the same infinities and signed zeros
    assert np.array_equal(np.isnan(got), np.isnan(want))
    exact = ~np.isfinite(want) | (want == 0)
    assert np.array_equal(got[exact & ~np.isnan(want)], want[exact & ~np.isnan(want)])
    assert np.array_equal(np.signbit(got[want == 0]), np.signbit(want[want == 0]))
    fin = np.isfinite(want) & (want != 0)
    err = np.abs(got[fin].astype(np.float64) - want64[fin])
    unit = np.spacing(np.abs(want[fin])).astype(np.float64)
    assert (err / unit).max() <= ulps
