"""Indexing against NumPy: Hypothesis over basic keys, integer arrays, boolean masks,
setitem through views, and the IndexError rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nigiri as ng


@st.composite
def array_and_basic_key(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5))
    a = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    key = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    return a, key


@settings(max_examples=200, deadline=None)
@given(array_and_basic_key())
def test_basic_indexing_matches_numpy_and_is_a_view(case):
    a, key = case
    x = ng.asarray(a.copy())
    ref = a[key]
    got = x[key]
    np.testing.assert_array_equal(ng.to_numpy(got), ref)
    assert got.shape == np.shape(ref)
    if got.size:  # writing through the view changes the base, as on NumPy
        got[...] = -1
        b = a.copy()
        b[key] = -1
        np.testing.assert_array_equal(ng.to_numpy(x), b)


@st.composite
def array_and_int_index(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    nidx = draw(st.integers(1, len(shape)))
    ishape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    key = []
    for ax in range(len(shape)):
        if ax < nidx and draw(st.booleans()):
            key.append(draw(hnp.arrays(np.int64, ishape, elements=st.integers(-shape[ax], shape[ax] - 1))))
        else:
            key.append(draw(st.sampled_from([slice(None), slice(None, None, -1), 0])))
    return a, tuple(key)


@settings(max_examples=200, deadline=None)
@given(array_and_int_index())
def test_integer_array_indexing_matches_numpy(case):
    a, key = case
    x = ng.asarray(a)
    ng_key = tuple(ng.asarray(k) if isinstance(k, np.ndarray) else k for k in key)
    ref = a[key]
    got = x[ng_key]
    assert got.shape == ref.shape
    np.testing.assert_array_equal(ng.to_numpy(got), ref)
    b = a.copy()
    y = ng.asarray(a.copy())
    val = np.arange(ref.size, dtype=np.float32).reshape(ref.shape) + 1000
    if ref.size:
        b[key] = val
        y[ng_key] = ng.asarray(val)
        # untouched elements are unchanged; written ones hold one of the written values
        seen = np.zeros(a.shape, bool)
        seen[key] = True
        got_all = ng.to_numpy(y)
        np.testing.assert_array_equal(got_all[~seen], b[~seen])
        assert np.isin(got_all[seen], val).all()


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-10, 10, width=32)))
def test_boolean_mask_get_and_set(a):
    x = ng.asarray(a.copy())
    mask = a > 0
    np.testing.assert_array_equal(ng.to_numpy(x[ng.asarray(mask)]), a[mask])
    x[ng.asarray(mask)] = 0.0
    b = a.copy()
    b[mask] = 0.0
    np.testing.assert_array_equal(ng.to_numpy(x), b)


def test_mixed_advanced_and_slices_placement():
    a = np.arange(120).reshape(2, 3, 4, 5)
    x = ng.asarray(a)
    i = np.array([0, 2])
    for key in [(slice(None), i, slice(None), 1), (1, slice(None), i), (i % 2, slice(None), i),
                (Ellipsis, i), (slice(None), i[:, None], i[None, :])]:
        ng_key = tuple(ng.asarray(k) if isinstance(k, np.ndarray) else k for k in key)
        np.testing.assert_array_equal(ng.to_numpy(x[ng_key]), a[key])


def test_index_errors():
    x = ng.zeros((2, 3))
    with pytest.raises(IndexError, match="out of bounds"):
        x[2]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, -4]
    with pytest.raises(IndexError, match="out of bounds"):
        x[ng.asarray([0, 5])]
    with pytest.raises(IndexError, match="too many"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match="does not match"):
        x[ng.asarray([True, False, True])]
    with pytest.raises(IndexError, match="valid indices"):
        x["a"]
    with pytest.raises(IndexError, match="integer or bool"):
        x[ng.asarray([0.5])]


def test_setitem_value_checks():
    x = ng.zeros((2, 3), dtype=ng.int32)
    with pytest.raises(TypeError, match="float"):
        x[0] = 1.5
    with pytest.raises(ValueError, match="broadcast"):
        x[0] = ng.ones(4, dtype=ng.int32)
    x[0, 1] = 7
    x[1] = ng.asarray([1, 2, 3], dtype=ng.int8)  # int8 promotes into int32: allowed
    assert ng.to_numpy(x).tolist() == [[0, 7, 0], [1, 2, 3]]
    with pytest.raises(TypeError, match="astype"):
        x[0] = ng.ones(3, dtype=ng.float32)


def test_take():
    x = ng.asarray(np.arange(12).reshape(3, 4))
    np.testing.assert_array_equal(ng.to_numpy(ng.take(x, ng.asarray([2, 0]), axis=1)),
                                  np.take(np.arange(12).reshape(3, 4), [2, 0], axis=1))
    with pytest.raises(ValueError, match="axis is required"):
        ng.take(x, ng.asarray([0]))


def test_iteration_and_len():
    x = ng.asarray([[1, 2], [3, 4]])
    assert len(x) == 2
    assert [ng.to_numpy(r).tolist() for r in x] == [[1, 2], [3, 4]]
    with pytest.raises(TypeError):
        len(ng.asarray(1))
