"""sum/mean/prod/max/min/argmax/any/all along 1-based dimensions, and find."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri.matlab as M

R = M.Matrix
NAN = float("nan")


def _a():
    return R([[1, 2, 3], [4, 5, 6]])               # % MATLAB: A = [1 2 3; 4 5 6]


@pytest.mark.usefixtures("float64")
def test_sum_mean_prod(check):
    A = _a()
    check(M.sum(A), [[5, 7, 9]], "single")         # % MATLAB: sum(A) -> [5 7 9]
    check(M.sum(A, 2), [[6], [15]])                # % MATLAB: sum(A, 2) -> [6; 15]
    check(M.sum(A, 3), [[1, 2, 3], [4, 5, 6]])     # % MATLAB: sum(A, 3) -> A
    check(M.sum(A, "all"), [[21]])                 # % MATLAB: sum(A, 'all') -> 21
    check(M.sum(R([1, 2, 3])), [[6]])              # % MATLAB: sum([1 2 3]) -> 6 (first non-singleton dim)
    check(M.sum(M.zeros(0, 0)), [[0]])             # % MATLAB: sum([]) -> 0
    check(M.sum(M.zeros(0, 3)), [[0, 0, 0]])       # % MATLAB: sum(zeros(0,3)) -> [0 0 0]
    # % MATLAB (sum documentation): sum(int8(1:20)) -> 210, class double
    check(M.sum(M.int8(M.colon(1, 20))), [[210]], "double")
    # % MATLAB: sum(int8(1:20), 'native') -> 127 (int8, saturated)
    check(M.sum(M.int8(M.colon(1, 20)), "native"), [[127]], "int8")
    check(M.sum(M.uint8(R([[200], [100]])), 1, "native"), [[255]], "uint8")
    check(M.sum(M.single(A), "double"), [[5, 7, 9]], "double")  # % MATLAB: class(sum(single(A), 'double')) -> 'double'
    # % MATLAB: sum(logical([1 1 1])) -> 3 (double);  sum([true true], 'native') -> true
    check(M.sum(M.logical(R([1, 1, 1]))), [[3]], "double")
    check(M.sum(M.logical(R([1, 1])), "native"), [[True]], "logical")
    B = M.reshape(M.colon(1, 8), 2, 2, 2)
    check(M.sum(B, 3), [[6, 10], [8, 12]])         # % MATLAB: sum(reshape(1:8,2,2,2), 3) -> [6 10; 8 12]
    check(A.sum(1), [[5, 7, 9]])
    check(M.mean(A), [[2.5, 3.5, 4.5]])            # % MATLAB: mean(A) -> [2.5 3.5 4.5]
    check(M.mean(A, 2), [[2], [5]])                # % MATLAB: mean(A, 2) -> [2; 5]
    check(M.mean(A, "all"), [[3.5]])
    assert np.isnan(M.mean(M.zeros(0, 0)).to_numpy()).all()  # % MATLAB: mean([]) -> NaN
    # % MATLAB: mean(int32([1 2])) -> 1.5 (double);  mean(int32([1 2]), 'native') -> int32 2
    check(M.mean(M.int32(R([1, 2]))), [[1.5]], "double")
    check(M.mean(M.int32(R([1, 2])), "native"), [[2]], "int32")
    check(M.mean(M.double(A), 1), [[2.5, 3.5, 4.5]], "double")
    check(M.prod(A), [[4, 10, 18]])                # % MATLAB: prod(A) -> [4 10 18]
    check(M.prod(M.zeros(0, 0)), [[1]])            # % MATLAB: prod([]) -> 1
    # % MATLAB (prod documentation): prod([true false; true true]) -> [1 0], class double
    check(M.prod(M.logical(R([[1, 0], [1, 1]]))), [[1, 0]], "double")
    check(M.prod(M.int8(R([100, 2]))), [[200]], "double")   # % MATLAB: prod(int8([100 2])) -> 200 (double)
    check(M.prod(M.int8(R([100, 2])), "native"), [[127]], "int8")  # % MATLAB: prod(int8([100 2]), 'native') -> 127
    with pytest.raises(ValueError, match="output type"):
        M.sum(A, 1, "float")
    with pytest.raises(TypeError, match="twice"):
        M.sum(A, "native", "double")
    with pytest.raises(ValueError, match="'all'"):
        M.sum(A, "rows")
    with pytest.raises(ValueError, match="positive"):
        M.sum(A, 0)


def test_max_min_with_indices(check, index_class):
    A = _a()
    check(M.max(A), [[4, 5, 6]])                   # % MATLAB: max(A) -> [4 5 6]
    m, i = M.max(A, [], 1, nargout=2)              # % MATLAB: [m, i] = max(A) -> m = [4 5 6], i = [2 2 2]
    check(m, [[4, 5, 6]])
    check(i, [[2, 2, 2]], index_class)
    r = M.max(A, [], 2, nargout=2)                 # % MATLAB: [m, i] = max(A, [], 2) -> m = [3; 6], i = [3; 3]
    check(r.M, [[3], [6]])
    check(r.I, [[3], [3]])
    m, i = M.min(A, None, 2, nargout=2)            # % MATLAB: [m, i] = min(A, [], 2) -> m = [1; 4], i = [1; 1]
    check(m, [[1], [4]])
    check(i, [[1], [1]])
    check(M.min(A), [[1, 2, 3]])                   # % MATLAB: min(A) -> [1 2 3]
    check(M.max(A, [], "all"), [[6]])              # % MATLAB: max(A, [], 'all') -> 6
    m, i = M.max(R([3, 7, 7]), nargout=2)          # % MATLAB: [m, i] = max([3 7 7]) -> 7, 2 (first)
    check(i, [[2]])
    check(M.max(R([1, NAN, 3])), [[3]])            # % MATLAB: max([1 NaN 3]) -> 3 (NaN ignored)
    m, i = M.max(R([NAN, NAN]), nargout=2)         # % MATLAB: [m, i] = max([NaN NaN]) -> NaN, 1
    assert np.isnan(m.to_numpy()[0, 0])
    check(i, [[1]])
    m, i = M.max(R([NAN, float("-inf")]), nargout=2)  # % MATLAB: [m, i] = max([NaN -Inf]) -> -Inf, 2
    check(i, [[2]])
    assert m.to_numpy()[0, 0] == -np.inf
    m, i = M.min(R([[NAN, 2], [1, NAN]]), nargout=2)  # % MATLAB: [m, i] = min([NaN 2; 1 NaN]) -> [1 2], [2 1]
    check(m, [[1, 2]])
    check(i, [[2, 1]])
    check(M.max(M.int8(R([-5, 3]))), [[3]], "int8")  # % MATLAB: max(int8([-5 3])) -> int8 3
    check(M.argmax(A, 2), [[3], [3]])              # the index output of [~, i] = max(A, [], 2)
    check(M.argmin(A), [[1, 1, 1]])
    check(A.argmax(), [[2, 2, 2]])
    B = M.reshape(R([1, 9, 3, 4, 5, 2, 7, 8]), 2, 2, 2)
    m, i = M.max(B, [], 3, nargout=2)              # % MATLAB: [m, i] = max(reshape([1 9 3 4 5 2 7 8],2,2,2), [], 3)
    check(m, [[5, 7], [9, 8]])                     #   -> m = [5 7; 9 8], i = [2 2; 1 2]
    check(i, [[2, 2], [1, 2]])
    check(M.max(A, [], 5), [[1, 2, 3], [4, 5, 6]])  # a singleton dimension: A itself
    check(M.max(M.logical(R([0, 1]))), [[True]], "logical")


def test_two_argument_max_min(check):
    A = _a()
    check(M.max(A, 4), [[4, 4, 4], [4, 5, 6]])     # % MATLAB: max(A, 4) -> [4 4 4; 4 5 6]
    check(M.min(A, R([[2], [5]])), [[1, 2, 2], [4, 5, 5]])  # % MATLAB: min(A, [2; 5]) -> [1 2 2; 4 5 5]
    r = M.max(R([1, NAN]), R([NAN, NAN])).to_numpy()        # % MATLAB: max([1 NaN], [NaN NaN]) -> [1 NaN]
    assert r[0, 0] == 1 and np.isnan(r[0, 1])
    check(M.max(M.int8(R([-5, 3])), 0), [[0, 3]], "int8")
    with pytest.raises(ValueError, match="indices"):
        M.max(A, 4, nargout=2)
    with pytest.raises(TypeError, match=r"max\(A, \[\], dim\)"):
        M.max(A, 4, 2)
    with pytest.raises(ValueError, match="nargout"):
        M.max(A, nargout=3)


def test_any_all(check):
    check(M.any(R([0, 0, 1])), [[True]], "logical")  # % MATLAB: any([0 0 1]) -> 1
    check(M.any(_a() == 5), [[False, True, False]])  # % MATLAB: any(A == 5) -> [0 1 0]
    check(M.all(R([1, 1, 0])), [[False]])          # % MATLAB: all([1 1 0]) -> 0
    check(M.all(_a() > 0, 2), [[True], [True]])
    check(M.any(M.zeros(0, 0)), [[False]])         # % MATLAB: any([]) -> 0
    check(M.all(M.zeros(0, 0)), [[True]])          # % MATLAB: all([]) -> 1
    check(M.any(R([NAN])), [[False]])              # % MATLAB: any(NaN) -> 0 (NaN ignored)
    check(M.all(R([NAN])), [[True]])               # % MATLAB: all(NaN) -> 1


def test_find(check, index_class):
    check(M.find(R([0, 1, 0, 1])), [[2, 4]], index_class)  # % MATLAB: find([0 1 0 1]) -> [2 4]
    check(M.find(R([[0, 1], [1, 0]])), [[2], [3]])        # % MATLAB: find([0 1; 1 0]) -> [2; 3]
    check(M.find(R([1, 1, 1, 1]), 2), [[1, 2]])           # % MATLAB: find([1 1 1 1], 2) -> [1 2]
    check(M.find(M.colon(1, 5) > 2, 2, "last"), [[4, 5]])  # % MATLAB: find(1:5 > 2, 2, 'last') -> [4 5]
    r, c = M.find(R([[0, 1], [1, 0]]), nargout=2)         # % MATLAB: [r, c] = find([0 1; 1 0]) -> r = [2; 1], c = [1; 2]
    check(r, [[2], [1]])
    check(c, [[1], [2]])
    r, c, v = M.find(R([[0, 5], [7, 0]]), nargout=3)      # % MATLAB: [r,c,v] = find([0 5; 7 0]) -> [2;1], [1;2], [7;5]
    check(r, [[2], [1]])
    check(c, [[1], [2]])
    check(v, [[7], [5]], "single")
    assert M.find(M.Matrix(0)).size() == (1, 0)          # % MATLAB: size(find(0)) -> [1 0]
    assert M.find(M.zeros(0, 0)).size() == (0, 0)        # % MATLAB: size(find([])) -> [0 0]
    assert M.find(M.zeros(2, 2)).size() == (0, 1)        # % MATLAB: size(find(zeros(2))) -> [0 1]
    check(M.find(R([NAN, 0])), [[1]])                    # % MATLAB: find([NaN 0]) -> 1
    B = M.zeros(2, 2, 2)
    B.set(2, 1, 2, 1)
    check(M.find(B), [[6]])                              # column-major over all dimensions
    r, c = M.find(B, nargout=2)                          # % MATLAB: [r, c] = find(B) -> 2, 3 (c spans dims 2..3)
    check(c, [[3]])
    with pytest.raises(ValueError):
        M.find(R([1]), -1)
    with pytest.raises(ValueError):
        M.find(R([1]), 1, "middle")
