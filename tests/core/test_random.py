"""ng.random: Random123 known answers, determinism across devices, moments, state."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
from nigiri.backends.philox_host import philox4x32_blocks

# Random123 kat_vectors for philox4x32 with 10 rounds: (counter, key, expected)
KATS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("ctr,key,expected", KATS)
def test_philox_known_answers(ctr, key, expected):
    out = philox4x32_blocks(np.array([ctr], np.uint32), key)
    assert tuple(int(v) for v in out[0]) == expected


def test_backend_philox_primitive_lane_layout():
    be = ng.zeros(1)._be
    words = np.asarray(be.to_host(be.philox((0xA4093822, 0x299F31D0), 5, 10)))
    blocks = np.zeros((3, 4), np.uint32)
    blocks[:, 0] = [5, 6, 7]
    ref = philox4x32_blocks(blocks, (0xA4093822, 0x299F31D0)).reshape(-1)[:10]
    np.testing.assert_array_equal(words, ref)


def test_same_seed_same_stream_on_every_device():
    draws = {}
    for dev in ("numpy", "fake:0", "fake:1"):
        g = ng.random.default_rng(2024, device=dev)
        draws[dev] = (ng.to_numpy(g.integers(0, 1000, 50)), ng.to_numpy(g.random(40)),
                      ng.to_numpy(g.normal(size=33)), ng.to_numpy(g.permutation(20)),
                      ng.to_numpy(g.bernoulli(0.3, 25)))
    for dev in ("fake:0", "fake:1"):
        for a, b in zip(draws["numpy"], draws[dev]):
            np.testing.assert_array_equal(a, b)


def test_moments_and_ranges():
    g = ng.random.default_rng(1)
    n = 200_000
    u = ng.to_numpy(g.uniform(-2.0, 3.0, n))
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 5 * 5 / np.sqrt(12 * n)
    z = ng.to_numpy(g.normal(1.0, 2.0, n))
    assert abs(z.mean() - 1.0) < 5 * 2 / np.sqrt(n)
    assert abs(z.std() - 2.0) < 0.02
    i = ng.to_numpy(g.integers(-3, 4, n, dtype=ng.int8))
    assert i.dtype == np.int8 and set(np.unique(i)) == set(range(-3, 4))
    counts = np.bincount(i + 3) / n
    assert np.abs(counts - 1 / 7).max() < 0.01
    b = ng.to_numpy(g.bernoulli(0.25, n))
    assert abs(b.mean() - 0.25) < 0.01
    p = ng.to_numpy(g.permutation(1000))
    assert sorted(p.tolist()) == list(range(1000))
    d = ng.to_numpy(g.random(1000, dtype=ng.float64))
    assert d.dtype == np.float64 and 0 <= d.min() and d.max() < 1


def test_state_round_trip_and_module_level_seed():
    g = ng.random.default_rng(9)
    g.random(7)
    st = g.state()
    a = ng.to_numpy(g.normal(size=5))
    g.set_state(st)
    np.testing.assert_array_equal(ng.to_numpy(g.normal(size=5)), a)
    ng.random.seed(5)
    x = ng.to_numpy(ng.random.normal(size=4))
    ng.random.seed(5)
    np.testing.assert_array_equal(ng.to_numpy(ng.random.normal(size=4)), x)
    arr = ng.asarray(np.arange(10))
    shuffled = ng.to_numpy(ng.random.permutation(arr))
    assert sorted(shuffled.tolist()) == list(range(10))


def test_bad_arguments():
    g = ng.random.default_rng(0)
    with pytest.raises(TypeError, match="seed"):
        ng.random.default_rng(-1)
    with pytest.raises(ValueError, match="empty range"):
        g.integers(5, 5)
    with pytest.raises(ValueError, match="does not fit"):
        g.integers(0, 300, dtype=ng.uint8)
    with pytest.raises(ValueError, match="probability"):
        g.bernoulli(1.5)
    with pytest.raises(TypeError, match="float32 or float64"):
        g.normal(dtype=ng.int32)
    with pytest.raises(ValueError, match="set_state"):
        g.set_state({"seed": 1})
