"""The tolerance model: ULP distance, NaN/inf/signed-zero rules, reduction bounds."""

from __future__ import annotations

import numpy as np
import pytest

from nigiri.conformance.tolerance import (EXACT, Bound, Ulp, compare, matmul_bound, sum_bound,
                                          ulp_distance, ulps_for_class)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_ulp_distance_counts_representable_values(dtype):
    x = np.array([1.0, -1.0, 0.0, 1e-3, 65000 if dtype == np.float16 else 1e30], dtype)
    up3 = x.copy()
    for _ in range(3):
        up3 = np.nextafter(up3, np.asarray(np.inf, dtype))
    assert np.array_equal(ulp_distance(up3, x), [3, 3, 3, 3, 3])
    # across zero: from the smallest negative subnormal to the smallest positive one is 2
    tiny = np.nextafter(np.asarray(0, dtype), np.asarray(1, dtype))
    assert ulp_distance(np.array([tiny]), np.array([-tiny]))[0] == 2
    assert ulp_distance(np.array([-0.0], dtype), np.array([0.0], dtype))[0] == 0


def test_ulp_bound_from_op_table_classes():
    assert ulps_for_class("exact") is EXACT
    assert ulps_for_class("basic") == Ulp(1, signed_zero=True)
    assert ulps_for_class("div") == Ulp(3, signed_zero=True)
    assert ulps_for_class("transcendental") == Ulp(4, signed_zero=False)
    assert ulps_for_class("special") == Ulp(16, signed_zero=False)


def test_ulp_compare_reports_worst_and_first_mismatch():
    ref = np.array([1.0, 2.0, 3.0], np.float32)
    got = ref.copy()
    got[1] = np.nextafter(np.nextafter(got[1], np.float32(9)), np.float32(9))
    v = compare(got, ref, Ulp(4))
    assert v.ok and v.worst == 2 and v.unit == "ulp"
    v = compare(got, ref, Ulp(1))
    assert not v.ok and "index (1,)" in v.message and v.worst == 2


def test_nan_inf_and_signed_zero_rules():
    ref = np.array([np.nan, np.inf, -0.0, 1.0], np.float64)
    assert compare(ref.copy(), ref, EXACT).ok
    got = ref.copy()
    got[0] = 1.0
    assert "NaN not propagated" in compare(got, ref, Ulp(16)).message
    got = ref.copy()
    got[1] = np.finfo(np.float64).max
    assert "infinity" in compare(got, ref, Ulp(16)).message
    got = ref.copy()
    got[2] = 0.0
    assert not compare(got, ref, EXACT).ok
    assert not compare(got, ref, Ulp(1)).ok  # basic ops: IEEE defines the sign
    assert compare(got, ref, Ulp(4, signed_zero=False)).ok  # transcendental: not compared
    got = ref.copy()
    got[3] = np.nan
    assert "spurious NaN" in compare(got, ref, Ulp(16)).message


def test_exact_on_integers_counts_mismatches():
    ref = np.arange(10, dtype=np.int32)
    got = ref.copy()
    got[[2, 7]] = -1
    v = compare(got, ref, EXACT)
    assert not v.ok and v.worst == 2 and v.unit == "mismatches"


def test_complex_compared_normwise():
    ref = np.array([1e4 + 1e-4j], np.complex64)
    got = np.array([1e4 + 2e-4j], np.complex64)  # tiny imag change: far below |ref|'s ulp
    assert compare(got, ref, Ulp(1)).ok
    got = np.array([1e4 + 1j], np.complex64)
    assert not compare(got, ref, Ulp(4)).ok


def test_sum_bound_scales_with_sqrt_n_and_abs_sum():
    x = np.random.default_rng(0).standard_normal(10_000).astype(np.float32)
    b = sum_bound(np.abs(x).astype(np.float64).sum(), x.size, np.float32)
    eps = np.finfo(np.float32).eps
    assert np.isclose(float(b.scale), 4 * eps * 100 * np.abs(x).sum(dtype=np.float64))
    adv = sum_bound(np.abs(x).astype(np.float64).sum(), x.size, np.float32, adversarial=True)
    assert float(adv.scale) > float(b.scale)
    # naive float32 accumulation is within the adversarial bound, and a float64 sum
    # is within the random-data bound of the float32 reference
    ref = np.sum(x)
    naive = np.float32(0)
    for v in x:
        naive = np.float32(naive + v)
    assert compare(np.asarray(naive), np.asarray(ref), adv).ok
    assert compare(np.asarray(np.float32(x.astype(np.float64).sum())), np.asarray(ref), b).ok
    # twice the bound is outside, and reported as 2x the bound
    off = np.asarray(np.float32(np.float64(ref) + 2.2 * float(b.scale)))
    v = compare(off, np.asarray(ref), b)
    assert not v.ok and 2.0 < v.worst < 2.5


def test_matmul_bound_uses_abs_product():
    a = np.array([[1.0, -1.0]], np.float32)
    b = np.array([[1.0], [1.0]], np.float32)
    bound = matmul_bound(a, b, np.float32)
    assert float(bound.scale[0, 0]) == pytest.approx(4 * np.finfo(np.float32).eps * np.sqrt(2) * 2)
    v = compare(np.array([[1e-7]], np.float32), np.array([[0.0]], np.float32), bound)
    assert v.ok and 0 < v.worst < 1 and v.unit == "bound"


def test_bound_zero_scale_requires_equality():
    assert compare(np.array([1.0]), np.array([1.0]), Bound(0.0)).ok
    assert not compare(np.array([1.0 + 1e-15]), np.array([1.0]), Bound(0.0)).ok


def test_complex_with_infinite_part_compared_part_by_part():
    ref = np.array([complex(np.inf, 0.6821882)], np.complex64)
    got = np.array([complex(np.inf, np.nextafter(np.float32(0.6821882), np.float32(0)))], np.complex64)
    assert compare(got, ref, Ulp(4)).ok
    got = np.array([complex(np.inf, 0.7)], np.complex64)
    v = compare(got, ref, Ulp(4))
    assert not v.ok and "imag parts" in v.message
    got = np.array([complex(-np.inf, 0.6821882)], np.complex64)
    assert "infinity" in compare(got, ref, Ulp(4)).message
