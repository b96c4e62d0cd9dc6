"""Manipulation against NumPy: Hypothesis for reshape/permute/transposition, plus
concat/stack/flip/roll/tile/repeat/squeeze/expand_dims and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nigiri as ng


@st.composite
def array_and_reshape(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    a = np.arange(int(np.prod(shape)), dtype=np.int16).reshape(shape)
    if draw(st.booleans()) and a.ndim >= 2:
        a = a.T
    new = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=6))
    size = int(np.prod(new))
    if size != a.size:
        new = (a.size,) if draw(st.booleans()) else (-1,)
    return a, tuple(new)


@settings(max_examples=150, deadline=None)
@given(array_and_reshape())
def test_reshape_matches_numpy(case):
    a, shape = case
    np.testing.assert_array_equal(ng.to_numpy(ng.reshape(ng.asarray(a), shape)), a.reshape(shape))


@settings(max_examples=100, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=5, max_side=4), st.randoms())
def test_permute_dims_matches_numpy_and_aliases(shape, rnd):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    axes = list(range(len(shape)))
    rnd.shuffle(axes)
    x = ng.asarray(a.copy())
    p = ng.permute_dims(x, axes)
    np.testing.assert_array_equal(ng.to_numpy(p), a.transpose(axes))
    if p.size:
        p[(0,) * p.ndim] = -5.0
        assert ng.to_numpy(x)[tuple(0 for _ in shape)] == -5.0


def test_reshape_copy_false_raises_when_a_copy_is_needed():
    x = ng.asarray(np.arange(6).reshape(2, 3)).mT
    with pytest.raises(ValueError):
        ng.reshape(x, (6,), copy=False)
    with pytest.raises(ValueError, match="cannot reshape"):
        ng.reshape(x, (4,))
    with pytest.raises(ValueError, match="only one"):
        ng.reshape(x, (-1, -1))


def test_concat_stack_unstack():
    a, b = np.ones((2, 3), np.float32), np.zeros((1, 3), np.int32)
    out = ng.concat([ng.asarray(a), ng.asarray(b)])
    assert out.dtype == ng.float32
    np.testing.assert_array_equal(ng.to_numpy(out), np.concatenate([a, b]))
    np.testing.assert_array_equal(ng.to_numpy(ng.concat([ng.asarray(a), ng.asarray(a)], axis=None)), np.ones(12))
    s = ng.stack([ng.asarray(a), ng.asarray(a)], axis=-1)
    assert s.shape == (2, 3, 2)
    assert [u.shape for u in ng.unstack(s, axis=2)] == [(2, 3), (2, 3)]
    with pytest.raises(ValueError, match="differ"):
        ng.concat([ng.asarray(a), ng.ones((2, 2))], axis=0)
    with pytest.raises(ValueError, match="same shape"):
        ng.stack([ng.asarray(a), ng.asarray(b)])


@pytest.mark.parametrize("shift,axis", [(1, None), (-2, 0), ((1, 2), (0, 1)), (7, 1)])
def test_roll(shift, axis):
    a = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(ng.to_numpy(ng.roll(ng.asarray(a), shift, axis=axis)), np.roll(a, shift, axis=axis))


def test_flip_tile_repeat_squeeze_expand_moveaxis_broadcast():
    a = np.arange(24).reshape(2, 3, 4)
    x = ng.asarray(a)
    np.testing.assert_array_equal(ng.to_numpy(ng.flip(x, axis=(0, 2))), np.flip(a, axis=(0, 2)))
    np.testing.assert_array_equal(ng.to_numpy(ng.tile(x, (2, 1, 1, 2))), np.tile(a, (2, 1, 1, 2)))
    np.testing.assert_array_equal(ng.to_numpy(ng.repeat(x, 2, axis=1)), np.repeat(a, 2, axis=1))
    np.testing.assert_array_equal(ng.to_numpy(ng.repeat(x, ng.asarray([1, 0, 2]), axis=1)),
                                  np.repeat(a, [1, 0, 2], axis=1))
    np.testing.assert_array_equal(ng.to_numpy(ng.repeat(x, 3)), np.repeat(a, 3))
    assert ng.expand_dims(x, axis=-1).shape == (2, 3, 4, 1)
    assert ng.squeeze(ng.expand_dims(x, axis=1), axis=1).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="not 1"):
        ng.squeeze(x, axis=0)
    np.testing.assert_array_equal(ng.to_numpy(ng.moveaxis(x, 0, -1)), np.moveaxis(a, 0, -1))
    bx, by = ng.broadcast_arrays(ng.ones((3, 1)), ng.ones((1, 4)))
    assert bx.shape == by.shape == (3, 4)
    with pytest.raises(ValueError, match="broadcast"):
        ng.broadcast_to(x, (3, 3, 4))
    with pytest.raises(IndexError, match="out of bounds"):
        ng.expand_dims(x, axis=5)


def test_transposes():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    x = ng.asarray(a)
    np.testing.assert_array_equal(ng.to_numpy(x.T), a.T)
    np.testing.assert_array_equal(ng.to_numpy(ng.matrix_transpose(ng.reshape(x, (1, 2, 3)))), a.T[None])
    with pytest.raises(ValueError, match="2-d"):
        ng.ones((2, 2, 2)).T
