"""Hypothesis properties: the facade against NumPy with Fortran (column-major) order,
which is MATLAB's layout (``a[i, j]`` is ``A(i+1, j+1)``; ``order='F'`` is MATLAB's
linear order)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nigiri.matlab as M

SETTINGS = settings(max_examples=40, deadline=None)


def _canon(shape):
    s = list(shape)
    while len(s) > 2 and s[-1] == 1:
        s.pop()
    return tuple(s)


@st.composite
def arrays(draw, max_dims=4):
    nd = draw(st.integers(2, max_dims))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    n = int(np.prod(shape))
    vals = np.arange(1, n + 1, dtype=np.float64)
    return vals.reshape(shape, order="F")


def _m(a):
    return M.Matrix(a, "single")  # small integers: exact in single, on every device


@SETTINGS
@given(arrays(), st.data())
def test_reshape_is_fortran_order(a, data):
    n = a.size
    divisors = [d for d in range(1, n + 1) if n % d == 0]
    m = data.draw(st.sampled_from(divisors))
    k = data.draw(st.sampled_from([d for d in divisors if (n // m) % d == 0]))
    new = (m, k, n // (m * k))
    got = M.reshape(_m(a), *new)
    exp = a.reshape(new, order="F")
    assert got.size() == _canon(exp.shape)
    np.testing.assert_array_equal(got.to_numpy().reshape(exp.shape, order="F"), exp)


@SETTINGS
@given(arrays(), st.data())
def test_permute_matches_transpose(a, data):
    order = data.draw(st.permutations(range(1, a.ndim + 1)))
    got = M.permute(_m(a), list(order))
    exp = np.transpose(a, [p - 1 for p in order])
    assert got.size() == _canon(exp.shape)
    np.testing.assert_array_equal(got.to_numpy().reshape(exp.shape), exp)
    np.testing.assert_array_equal(M.ipermute(got, list(order)).to_numpy().reshape(a.shape), a)


@SETTINGS
@given(arrays(), st.data())
def test_linear_get_and_set(a, data):
    n = a.size
    idx = data.draw(st.lists(st.integers(1, n), min_size=1, max_size=6))
    A = _m(a)
    got = A.get(idx)
    np.testing.assert_array_equal(got.to_numpy().ravel(), a.ravel(order="F")[np.array(idx) - 1])
    vals = [float(-v) for v in range(1, len(idx) + 1)]
    uniq = list(dict.fromkeys(idx))  # duplicates: the last write wins in MATLAB, undefined here
    A.set(uniq, vals[:len(uniq)])
    exp = a.ravel(order="F").copy()
    exp[np.array(uniq) - 1] = vals[:len(uniq)]
    np.testing.assert_array_equal(A.to_numpy().ravel(order="F"), exp)


@SETTINGS
@given(arrays(max_dims=3), st.data())
def test_subscript_get_and_growing_set(a, data):
    subs = [data.draw(st.lists(st.integers(1, d), min_size=1, max_size=3, unique=True))
            for d in a.shape]
    A = _m(a)
    got = A.get(*subs)
    exp = a[np.ix_(*[np.array(s) - 1 for s in subs])]
    np.testing.assert_array_equal(got.to_numpy().reshape(exp.shape), exp)
    # grow: write one element beyond the current size in every dimension
    where = [d + data.draw(st.integers(0, 2)) for d in a.shape]
    A.set(*where, 99)
    grown = np.zeros([max(d, w) for d, w in zip(a.shape, where)])
    grown[tuple(slice(0, d) for d in a.shape)] = a
    grown[tuple(w - 1 for w in where)] = 99
    assert A.size() == _canon(grown.shape)
    np.testing.assert_array_equal(A.to_numpy().reshape(grown.shape), grown)


@SETTINGS
@given(arrays(max_dims=3), st.data())
def test_reductions_and_max_indices(a, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-3, 4, size=a.shape).astype(np.float64)  # ties are likely
    dim = data.draw(st.integers(1, x.ndim))
    A = _m(x)
    np.testing.assert_array_equal(M.sum(A, dim).to_numpy().reshape(-1),
                                  x.sum(axis=dim - 1).reshape(-1))
    v, i = M.max(A, [], dim, nargout=2)
    np.testing.assert_array_equal(v.to_numpy().reshape(-1), x.max(axis=dim - 1).reshape(-1))
    np.testing.assert_array_equal(i.to_numpy().reshape(-1), x.argmax(axis=dim - 1).reshape(-1) + 1)
    k = M.find(A)
    np.testing.assert_array_equal(k.to_numpy().ravel(), np.flatnonzero(x.ravel(order="F")) + 1)
