"""size, reshape (column-major), permute/ipermute, repmat, cat and friends."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri.matlab as M

R = M.Matrix


def test_size_ndims_numel_predicates():
    Z = M.zeros(2, 3, 4)
    assert M.size(Z) == (2, 3, 4)                  # % MATLAB: size(zeros(2,3,4)) -> [2 3 4]
    assert M.size(Z, nargout=2) == (2, 12)         # % MATLAB: [m, n] = size(zeros(2,3,4)) -> m = 2, n = 12
    assert M.size(M.zeros(2, 3), nargout=4) == (2, 3, 1, 1)  # % MATLAB: [a,b,c,d] = size(zeros(2,3)) -> 2,3,1,1
    assert M.size(M.zeros(2, 3), 3) == 1           # % MATLAB: size(zeros(2,3), 3) -> 1
    assert M.size(Z, 2) == 3 and Z.size(1) == 2
    assert M.size(Z, [3, 1]) == (4, 2)             # % MATLAB: size(zeros(2,3,4), [3 1]) -> [4 2]
    assert M.numel(Z) == 24 and Z.numel() == 24    # % MATLAB: numel(zeros(2,3,4)) -> 24
    assert M.ndims(M.zeros(2, 3, 1)) == 2          # % MATLAB: ndims(zeros(2,3,1)) -> 2
    assert M.length(M.zeros(3, 7)) == 7            # % MATLAB: length(zeros(3,7)) -> 7
    assert M.length(M.zeros(0, 7)) == 0            # % MATLAB: length(zeros(0,7)) -> 0
    assert M.isempty(M.zeros(0, 3)) and not M.isempty(M.zeros(1))
    assert M.isscalar(5) and not M.isscalar(R([1, 2]))
    assert M.isvector(R([1, 2, 3])) and not M.isvector(M.zeros(2))
    assert M.isrow(R([1, 2])) and M.iscolumn(R([[1], [2]]))
    with pytest.raises(ValueError, match="positive"):
        M.size(Z, 0)                               # % MATLAB: size(A, 0) -> error
    with pytest.raises(TypeError):
        M.size(Z, 1, nargout=2)


def test_reshape_column_major(check):
    # % MATLAB: reshape(1:6, 2, 3) -> [1 3 5; 2 4 6]
    check(M.reshape(M.colon(1, 6), 2, 3), [[1, 3, 5], [2, 4, 6]])
    # % MATLAB: reshape(1:6, [3 2]) -> [1 4; 2 5; 3 6]
    check(M.reshape(M.colon(1, 6), [3, 2]), [[1, 4], [2, 5], [3, 6]])
    # % MATLAB: reshape(1:6, [], 2) -> [1 4; 2 5; 3 6]
    check(M.reshape(M.colon(1, 6), [], 2), [[1, 4], [2, 5], [3, 6]])
    check(M.colon(1, 6).reshape(None, 3), [[1, 3, 5], [2, 4, 6]])
    # % MATLAB: reshape([1 2; 3 4], 1, 4) -> [1 3 2 4]
    check(M.reshape(R([[1, 2], [3, 4]]), 1, 4), [[1, 3, 2, 4]])
    # % MATLAB: size(reshape(1:6, 2, 3, 1)) -> [2 3];  size(reshape(1:6, 1, 1, 6)) -> [1 1 6]
    assert M.reshape(M.colon(1, 6), 2, 3, 1).size() == (2, 3)
    assert M.reshape(M.colon(1, 6), 1, 1, 6).size() == (1, 1, 6)
    # reshape of a transposed (non-contiguous) matrix still reads column-major
    # % MATLAB: reshape([1 2; 3 4].', 1, 4) -> [1 2 3 4]
    check(M.reshape(R([[1, 2], [3, 4]]).t(), 1, 4), [[1, 2, 3, 4]])
    # % MATLAB: reshape(1:6, 4, 2) -> error 'To RESHAPE the number of elements must not change.'
    with pytest.raises(ValueError, match="number of elements must not change"):
        M.reshape(M.colon(1, 6), 4, 2)
    with pytest.raises(ValueError, match="divisible"):
        M.reshape(M.colon(1, 6), [], 4)
    with pytest.raises(ValueError, match="one size"):
        M.reshape(M.colon(1, 6), [], [])
    with pytest.raises(ValueError, match="at least two"):
        M.reshape(M.colon(1, 6), 6)
    with pytest.raises(ValueError, match="non-negative"):
        M.reshape(M.colon(1, 6), -2, -3)


def test_permute_ipermute(check):
    # % MATLAB: permute(reshape(1:6, 1, 2, 3), [3 2 1]) -> [1 2; 3 4; 5 6]
    check(M.permute(M.reshape(M.colon(1, 6), 1, 2, 3), [3, 2, 1]), [[1, 2], [3, 4], [5, 6]])
    # % MATLAB: size(permute(zeros(2,3,4), [3 1 2])) -> [4 2 3]
    assert M.permute(M.zeros(2, 3, 4), [3, 1, 2]).size() == (4, 2, 3)
    A = R([[1, 2], [3, 4]])
    check(M.permute(A, [2, 1]), [[1, 3], [2, 4]])  # % MATLAB: permute(A, [2 1]) == A.'
    assert M.permute(A, [3, 1, 2]).size() == (1, 2, 2)  # % MATLAB: size(permute([1 2;3 4],[3 1 2])) -> [1 2 2]
    B = M.reshape(M.colon(1, 24), 2, 3, 4)
    P = B.permute([2, 3, 1])
    # % MATLAB: P = permute(B, [2 3 1]); P(3, 4, 2) == B(2, 3, 4) -> 24
    check(P.get(3, 4, 2), [[24]])
    # % MATLAB: isequal(ipermute(permute(B, [2 3 1]), [2 3 1]), B) -> true
    np.testing.assert_array_equal(M.ipermute(P, [2, 3, 1]).to_numpy(), B.to_numpy())
    # % MATLAB: permute(A, [1 1]) -> error 'ORDER contains an invalid permutation index.'
    with pytest.raises(ValueError, match="not a permutation"):
        M.permute(A, [1, 1])
    # % MATLAB: permute(zeros(2,3,4), [2 1]) -> error 'ORDER must have at least N elements for an N-D array.'
    with pytest.raises(ValueError, match="at least ndims"):
        M.permute(M.zeros(2, 3, 4), [2, 1])
    with pytest.raises(TypeError):
        M.permute(A, 21)


def test_repmat(check):
    check(M.repmat(R([1, 2]), 2, 2), [[1, 2, 1, 2], [1, 2, 1, 2]])  # % MATLAB: repmat([1 2], 2, 2)
    check(M.repmat(R([[1], [2]]), 1, 3), [[1, 1, 1], [2, 2, 2]])  # % MATLAB: repmat([1; 2], 1, 3)
    check(M.repmat(5, 2), [[5, 5], [5, 5]])        # % MATLAB: repmat(5, 2) -> [5 5; 5 5]
    assert M.repmat(R([1, 2]), [1, 1, 2]).size() == (1, 2, 2)  # % MATLAB: size(repmat([1 2], [1 1 2])) -> [1 2 2]
    assert M.repmat(M.int8(R([1])), 2, 1).klass == "int8"
    assert M.repmat(R([1, 2]), 0, 1).size() == (0, 2)  # % MATLAB: size(repmat([1 2], 0, 1)) -> [0 2]
    with pytest.raises(ValueError):
        M.repmat(R([1]), -1, 2)


@pytest.mark.usefixtures("float64")
def test_cat(check):
    check(M.cat(1, R([1, 2]), R([3, 4])), [[1, 2], [3, 4]])   # % MATLAB: cat(1, [1 2], [3 4])
    check(M.cat(2, R([1, 2]), R([3, 4])), [[1, 2, 3, 4]])     # % MATLAB: cat(2, [1 2], [3 4])
    C = M.cat(3, R([1, 2]), R([3, 4]))                        # % MATLAB: size(cat(3,[1 2],[3 4])) -> [1 2 2]
    assert C.size() == (1, 2, 2)
    check(C.get(1, 2, 2), [[4]])
    check(M.horzcat(R([[1], [2]]), R([[3], [4]])), [[1, 3], [2, 4]])  # % MATLAB: [[1;2], [3;4]]
    check(M.vertcat(R([1, 2]), R([3, 4]), R([5, 6])), [[1, 2], [3, 4], [5, 6]])
    check(M.horzcat(M.zeros(0, 0), R([1, 2])), [[1, 2]])     # % MATLAB: [[], [1 2]] -> [1 2]
    check(M.cat(1, M.int8(1), 2.7), [[1], [3]], "int8")       # % MATLAB: [int8(1); 2.7] -> int8 [1; 3]
    check(M.cat(1, M.logical(1), M.logical(0)), [[True], [False]], "logical")  # % MATLAB: [true; false] is logical
    assert M.cat(1, M.single(1), M.double(2)).klass == "single"  # % MATLAB: class([single(1); 2]) -> 'single'
    # % MATLAB: [1 2; 3 4 5] -> error 'Dimensions of arrays being concatenated are not consistent.'
    with pytest.raises(ValueError, match="not consistent"):
        M.vertcat(R([1, 2]), R([3, 4, 5]))
    with pytest.raises(ValueError, match="positive"):
        M.cat(0, R([1]))
    with pytest.raises(TypeError):
        M.cat(1)


def test_squeeze(check):
    assert M.squeeze(M.zeros(1, 1, 3)).size() == (3, 1)      # % MATLAB: size(squeeze(zeros(1,1,3))) -> [3 1]
    assert M.squeeze(M.zeros(2, 1, 3)).size() == (2, 3)      # % MATLAB: size(squeeze(zeros(2,1,3))) -> [2 3]
    assert M.squeeze(M.zeros(1, 3)).size() == (1, 3)         # % MATLAB: squeeze leaves 2-D arrays alone
    S = M.squeeze(M.reshape(M.colon(1, 3), 1, 1, 3))
    check(S, [[1], [2], [3]])
