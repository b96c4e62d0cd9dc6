"""Statistical reductions, searching, sorting and sets against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(axis, keepdims):
    a = RNG.normal(size=(3, 4, 5)).astype(np.float32)
    x = ng.asarray(a)
    for name, ref in [("sum", np.sum), ("prod", np.prod), ("max", np.max), ("min", np.min),
                      ("mean", np.mean)]:
        got = ng.to_numpy(getattr(ng, name)(x, axis=axis, keepdims=keepdims))
        np.testing.assert_allclose(got, ref(a, axis=axis, keepdims=keepdims), rtol=2e-5, atol=1e-6)
    for corr in (0, 1):
        np.testing.assert_allclose(ng.to_numpy(ng.var(x, axis=axis, correction=corr, keepdims=keepdims)),
                                   np.var(a, axis=axis, ddof=corr, keepdims=keepdims), rtol=1e-4)
        np.testing.assert_allclose(ng.to_numpy(ng.std(x, axis=axis, correction=corr, keepdims=keepdims)),
                                   np.std(a, axis=axis, ddof=corr, keepdims=keepdims), rtol=1e-4)


def test_sum_dtype_rules_and_errors():
    assert ng.sum(ng.ones(3, dtype=ng.int8)).dtype == ng.int64
    assert ng.sum(ng.ones(3, dtype=ng.uint8)).dtype == ng.uint64
    assert ng.sum(ng.asarray([True, True])).dtype == ng.int64
    assert ng.sum(ng.ones(3, dtype=ng.int8), dtype=ng.int8).dtype == ng.int8
    with pytest.raises(ValueError, match="zero-size"):
        ng.max(ng.zeros((0, 3)), axis=0)
    with pytest.raises(TypeError, match="floating-point"):
        ng.mean(ng.ones(3, dtype=ng.int32))
    with pytest.raises(IndexError, match="out of bounds"):
        ng.sum(ng.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="repeated"):
        ng.sum(ng.ones((2, 2)), axis=(0, 0))


def test_nan_propagation_and_argminmax_ties():
    a = np.array([[1.0, np.nan, 3.0], [2.0, 2.0, 1.0]], np.float32)
    x = ng.asarray(a)
    assert np.isnan(ng.to_numpy(ng.max(x, axis=1))[0])
    assert ng.to_numpy(ng.argmax(x, axis=1)).tolist() == [1, 0]
    assert ng.to_numpy(ng.argmin(x, axis=1)).tolist() == [1, 2]
    assert int(ng.argmax(ng.asarray([3, 5, 5]))) == 1
    assert ng.argmax(x, keepdims=True).shape == (1, 1)


def test_cumulative_all_any_count_diff():
    a = np.arange(1, 7).reshape(2, 3)
    x = ng.asarray(a)
    np.testing.assert_array_equal(ng.to_numpy(ng.cumulative_sum(x, axis=1)), np.cumsum(a, axis=1))
    np.testing.assert_array_equal(ng.to_numpy(ng.cumulative_prod(x, axis=0)), np.cumprod(a, axis=0))
    np.testing.assert_array_equal(ng.to_numpy(ng.cumulative_sum(ng.asarray([1, 2]), include_initial=True)), [0, 1, 3])
    with pytest.raises(ValueError, match="axis is required"):
        ng.cumulative_sum(x)
    assert bool(ng.all(x > 0)) and not bool(ng.any(x > 6))
    assert ng.to_numpy(ng.any(x > 5, axis=1)).tolist() == [False, True]
    assert int(ng.count_nonzero(ng.asarray([0, 1, 2, 0]))) == 2
    np.testing.assert_array_equal(ng.to_numpy(ng.diff(x, axis=1, n=2)), np.diff(a, axis=1, n=2))


def test_sort_argsort_stability_nan_descending():
    a = np.array([3.0, np.nan, 1.0, 3.0, -0.0, 1.0], np.float32)
    x = ng.asarray(a)
    np.testing.assert_array_equal(ng.to_numpy(ng.sort(x)), np.sort(a, kind="stable"))
    np.testing.assert_array_equal(ng.to_numpy(ng.argsort(x)), np.argsort(a, kind="stable"))
    desc = ng.to_numpy(ng.argsort(x, descending=True))
    assert desc.tolist() == [1, 0, 3, 2, 5, 4]  # NaN first (reverse of ascending), ties stable
    b = RNG.integers(0, 3, (4, 6))
    np.testing.assert_array_equal(ng.to_numpy(ng.argsort(ng.asarray(b), axis=0)), np.argsort(b, axis=0, kind="stable"))


def test_where_nonzero_searchsorted():
    a = np.array([[0, 1], [2, 0]])
    x = ng.asarray(a)
    assert [ng.to_numpy(i).tolist() for i in ng.nonzero(x)] == [list(v) for v in np.nonzero(a)]
    np.testing.assert_array_equal(ng.to_numpy(ng.where(x > 0, x, -1)), np.where(a > 0, a, -1))
    assert ng.where(x > 0, 1.5, x).dtype == ng.float32
    s = ng.asarray([1.0, 2.0, 2.0, 5.0])
    v = ng.asarray([2.0, 0.0, 9.0])
    assert ng.to_numpy(ng.searchsorted(s, v)).tolist() == [1, 0, 4]
    assert ng.to_numpy(ng.searchsorted(s, v, side="right")).tolist() == [3, 0, 4]
    with pytest.raises(TypeError, match="bool"):
        ng.where(x, x, x)
    with pytest.raises(ValueError, match="0-d"):
        ng.nonzero(ng.asarray(1))


def test_unique_family():
    a = np.array([[3, 1, 2], [1, 3, 3]])
    x = ng.asarray(a)
    r = ng.unique_all(x)
    vals, idx, inv, cnt = np.unique(a, return_index=True, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(ng.to_numpy(r.values), vals)
    np.testing.assert_array_equal(ng.to_numpy(r.indices), idx)
    np.testing.assert_array_equal(ng.to_numpy(r.inverse_indices), inv.reshape(a.shape))
    np.testing.assert_array_equal(ng.to_numpy(r.counts), cnt)
    nan = ng.unique_values(ng.asarray([np.nan, 1.0, np.nan]))
    assert ng.to_numpy(nan).shape == (3,)  # each NaN is its own unique value
    assert ng.unique_values(ng.zeros(0)).shape == (0,)
    assert ng.unique_counts(ng.asarray([5])).counts.shape == (1,)
