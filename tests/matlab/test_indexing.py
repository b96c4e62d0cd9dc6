"""get/set: 1-based, column-major linear indexing, masks, ranges, growth."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
import nigiri.matlab as M


def _a():
    # % MATLAB: A = reshape(1:12, 3, 4) -> [1 4 7 10; 2 5 8 11; 3 6 9 12]
    return M.reshape(M.colon(1, 12), 3, 4)


def test_get_subscripts(check):
    A = _a()
    check(A.get(2, 3), [[8]])                      # % MATLAB: A(2,3) -> 8
    check(A.get(2, ":"), [[2, 5, 8, 11]])          # % MATLAB: A(2,:) -> [2 5 8 11]
    check(A.get(":", 2), [[4], [5], [6]])          # % MATLAB: A(:,2) -> [4; 5; 6]
    check(A.get([1, 3], [2, 4]), [[4, 10], [6, 12]])  # % MATLAB: A([1 3],[2 4]) -> [4 10; 6 12]
    check(A.get(M.colon(2, 3), 1), [[2], [3]])     # % MATLAB: A(2:3, 1) -> [2; 3]
    check(A.get("end", 1), [[3]])                  # % MATLAB: A(end, 1) -> 3
    check(A.get([3, 1], ":"), [[3, 6, 9, 12], [1, 4, 7, 10]])  # % MATLAB: A([3 1],:)
    check(A.get(2, 3, 1), [[8]])                   # % MATLAB: A(2,3,1) -> 8
    check(A.get(M.colon(3, -1, 1), 4), [[12], [11], [10]])  # % MATLAB: A(3:-1:1, 4) -> [12; 11; 10]
    check(A.get(2.0, 3.0), [[8]])                  # integral doubles are valid subscripts
    assert A.get([], 1).size() == (0, 1)           # % MATLAB: size(A([], 1)) -> [0 1]


def test_get_linear_column_major(check):
    A = _a()
    check(A.get(5), [[5]])                         # % MATLAB: A(5) -> 5
    check(A.get(":"), np.arange(1, 13).reshape(12, 1))  # % MATLAB: A(:) -> (1:12)'
    check(A.get([1, 2, 3]), [[1, 2, 3]])           # % MATLAB: A([1 2 3]) -> [1 2 3] (shape of I)
    check(A.get(M.Matrix([[1], [5]])), [[1], [5]])  # % MATLAB: A([1; 5]) -> [1; 5]
    check(A.get(M.Matrix([[1, 2], [3, 12]])), [[1, 2], [3, 12]])  # % MATLAB: A([1 2; 3 12])
    check(A.get("end"), [[12]])                    # % MATLAB: A(end) -> 12
    v = M.colon(1, 5)
    check(v.get(M.Matrix([[1], [2]])), [[1, 2]])   # % MATLAB: v = 1:5; v([1; 2]) -> [1 2] (v's orientation)
    c = v.t()
    check(c.get([1, 2]), [[1], [2]])               # % MATLAB: c = (1:5)'; c([1 2]) -> [1; 2]
    B = M.reshape(M.colon(1, 24), 2, 3, 4)
    check(B.get(2, 5), [[10]])                     # % MATLAB: B = reshape(1:24,2,3,4); B(2,5) -> 10
    check(B.get(1, 2, 3), [[15]])                  # % MATLAB: B(1,2,3) -> 15
    check(B.get(2, ":", 4), [[20, 22, 24]])        # % MATLAB: B(2,:,4) -> [20 22 24]
    assert B.get(1, 1, ":").size() == (1, 1, 4)    # % MATLAB: size(B(1,1,:)) -> [1 1 4]


def test_get_logical_masks(check):
    A = _a()
    check(A.get(A > 6), [[7], [8], [9], [10], [11], [12]])  # % MATLAB: A(A > 6) -> [7;8;9;10;11;12]
    v = M.colon(1, 5)
    check(v.get(M.logical([1, 0, 1, 0, 1])), [[1, 3, 5]])  # % MATLAB: v(logical([1 0 1 0 1])) -> [1 3 5]
    check(A.get([True, False, True]), [[1, 3]])    # % MATLAB: A(logical([1 0 1])) -> [1 3]
    check(A.get(2, [True, False, False, True]), [[2, 11]])  # % MATLAB: A(2, logical([1 0 0 1])) -> [2 11]
    assert A.get(A > 100).size() == (0, 1)         # % MATLAB: size(A(A > 100)) -> [0 1]


def test_get_errors():
    A = _a()
    # % MATLAB: A(13) -> error 'Index exceeds matrix dimensions.'
    with pytest.raises(IndexError, match=r"Index exceeds matrix dimensions.*13.*size 12"):
        A.get(13)
    # % MATLAB: A(4, 1) -> error 'Index exceeds matrix dimensions.'
    with pytest.raises(IndexError, match=r"index 4 .*dimension 1 .*3x4.*size 3"):
        A.get(4, 1)
    with pytest.raises(IndexError, match="dimension 3"):
        A.get(1, 1, 2)                             # % MATLAB: A(1,1,2) -> error
    # % MATLAB: A(0) -> error 'Subscript indices must either be real positive integers or logicals.'
    with pytest.raises(IndexError, match="positive integers"):
        A.get(0)
    with pytest.raises(IndexError, match="positive integers"):
        A.get(1.5)                                 # % MATLAB: A(1.5) -> same error
    with pytest.raises(IndexError, match="positive integers"):
        A.get([1, -2])
    with pytest.raises(IndexError, match="Index exceeds"):
        A.get([True] * 13)                         # a mask with a true beyond numel
    with pytest.raises(TypeError):
        A.get(None)
    with pytest.raises(TypeError):
        A.get("x")
    with pytest.raises(TypeError, match="1-based"):
        A[0]
    with pytest.raises(TypeError):
        A[0] = 1


def test_get_returns_a_copy(check):
    A = _a()
    B = A.get(":", 1)
    B.set(1, 100)
    check(A.get(1, 1), [[1]])


def test_set_subscripts(check):
    A = _a()
    A.set(2, 3, 0)                                 # % MATLAB: A(2,3) = 0
    check(A.get(2, 3), [[0]])
    A.set(":", 1, M.Matrix([[10], [20], [30]]))    # % MATLAB: A(:,1) = [10; 20; 30]
    check(A.get(":", 1), [[10], [20], [30]])
    A.set(1, ":", 5)                               # % MATLAB: A(1,:) = 5 -> scalar expansion
    check(A.get(1, ":"), [[5, 5, 5, 5]])
    A = _a()
    A.set([1, 3], [2, 4], M.Matrix([[-1, -2], [-3, -4]]))  # % MATLAB: A([1 3],[2 4]) = [-1 -2; -3 -4]
    check(A, [[1, -1, 7, -2], [2, 5, 8, 11], [3, -3, 9, -4]])
    A = _a()
    A.set(":", 1, [10, 20, 30])                    # % MATLAB: A(:,1) = [10 20 30] (row into column: allowed)
    check(A.get(":", 1), [[10], [20], [30]])
    B = M.reshape(M.colon(1, 24), 2, 3, 4)
    B.set(2, 5, -7)                                # % MATLAB: B(2,5) = -7 -> B(10) is -7
    check(B.get(10), [[-7]])
    assert A.set(1, 1, 0) is A                     # set returns the matrix for chaining


def test_set_linear_and_mask(check):
    A = _a()
    A.set(5, -1)                                   # % MATLAB: A(5) = -1 -> A(2,2) is -1
    check(A.get(2, 2), [[-1]])
    A.set([1, 12], [7, 8])                         # % MATLAB: A([1 12]) = [7 8]
    check(A.get(1, 1), [[7]])
    check(A.get(3, 4), [[8]])
    A = _a()
    A.set(A > 10, 0)                               # % MATLAB: A(A > 10) = 0
    check(A, [[1, 4, 7, 10], [2, 5, 8, 0], [3, 6, 9, 0]])
    A.set(":", 2)                                  # % MATLAB: A(:) = 2
    check(A, np.full((3, 4), 2))


def test_set_grows(check):
    A = M.zeros(2, 2)
    A.set(3, 4, 1)                                 # % MATLAB: A = zeros(2); A(3,4) = 1 -> 3x4, zero-filled
    check(A, [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]])
    v = M.Matrix([1, 2, 3])
    v.set(5, 9)                                    # % MATLAB: v = [1 2 3]; v(5) = 9 -> [1 2 3 0 9]
    check(v, [[1, 2, 3, 0, 9]])
    c = M.Matrix([[1], [2]])
    c.set(4, 7)                                    # % MATLAB: c = [1; 2]; c(4) = 7 -> [1; 2; 0; 7]
    check(c, [[1], [2], [0], [7]])
    E = M.zeros(0, 0)
    E.set(3, 5)                                    # % MATLAB: E = []; E(3) = 5 -> [0 0 5]
    check(E, [[0, 0, 5]])
    s = M.Matrix(5)
    s.set(2, 2, 1)                                 # % MATLAB: s = 5; s(2,2) = 1 -> [5 0; 0 1]
    check(s, [[5, 0], [0, 1]])
    B = M.ones(2, 2)
    B.set(2, 2, 2, 7)                              # % MATLAB: B = ones(2); B(2,2,2) = 7 -> size [2 2 2]
    assert B.size() == (2, 2, 2)
    check(B.get(":", ":", 2), [[0, 0], [0, 7]])
    E = M.zeros(0, 0)
    E.set(":", 1, M.Matrix([[1], [2], [3]]))       # % MATLAB: E = []; E(:,1) = [1;2;3] -> 3x1
    check(E, [[1], [2], [3]])
    G = M.zeros(1, 2, "int32")
    G.set(1, 4, M.int32(9))                        # growth keeps the class
    check(G, [[0, 0, 0, 9]], "int32")
    # % MATLAB: A = zeros(2); A(7) = 1 -> error 'Attempt to grow array along ambiguous dimension.'
    with pytest.raises(IndexError, match="ambiguous"):
        M.zeros(2, 2).set(7, 1)
    with pytest.raises(IndexError, match="ambiguous"):
        M.zeros(2, 2, 2).set(1, 5, 1)              # folded trailing dimensions cannot grow


def test_set_value_conversion_and_errors(check):
    A = M.zeros(1, 2, "int32")
    A.set(1, 2.6)                                  # % MATLAB: A = zeros(1,2,'int32'); A(1) = 2.6 -> 3
    check(A, [[3, 0]], "int32")
    U = M.zeros(1, 2, "uint8")
    U.set(2, 300)                                  # % MATLAB: U(2) = 300 -> 255 (saturated)
    check(U, [[0, 255]], "uint8")
    A = _a()
    # % MATLAB: A(1,:) = [1 2] -> error 'Subscripted assignment dimension mismatch.'
    with pytest.raises(ValueError, match="dimension mismatch"):
        A.set(1, ":", M.Matrix([1, 2]))
    # % MATLAB: A([1 2]) = [1 2 3] -> error 'In an assignment A(I) = B, the number of elements in B and I must be the same.'
    with pytest.raises(ValueError, match="number of elements"):
        A.set([1, 2], M.Matrix([1, 2, 3]))
    with pytest.raises(IndexError, match="positive integers"):
        A.set(0, 1)
    with pytest.raises(TypeError):
        A.set(5)
    with pytest.raises(TypeError, match="complex"):
        A.set(1, M.Matrix(1j))


def test_set_value_semantics(check):
    A = _a()
    B = A.t()                                      # a view internally
    R = M.reshape(A, 4, 3)
    A.set(1, 1, 99)
    check(B.get(1, 1), [[1]])                      # % MATLAB: B = A.'; A(1,1) = 99; B(1,1) -> 1
    check(R.get(1, 1), [[1]])
    B.set(1, 2, -5)
    check(A.get(2, 1), [[2]])
    x = ng.asarray([[1.0, 2.0], [3.0, 4.0]])
    m = M.Matrix(x)
    m.set(1, 1, 0)
    assert float(ng.to_numpy(x)[0, 0]) == 1.0
    w = M.asmatrix(x)                              # no copy until the first set
    w.set(1, 1, 0)
    assert float(ng.to_numpy(x)[0, 0]) == 1.0
    check(w, [[0, 2], [3, 4]])


def test_module_level_get_set(check):
    A = _a()
    check(M.get(A, 3), [[3]])
    M.set_(A, [3], 0)
    check(M.get(A, 3), [[0]])


def test_end_arithmetic(check):
    v = M.colon(1, 5)
    check(v.get("end-1"), [[4]])                   # % MATLAB: v = 1:5; v(end-1) -> 4
    v.set("end+1", 9)                              # % MATLAB: v(end+1) = 9 -> [1 2 3 4 5 9]
    check(v, [[1, 2, 3, 4, 5, 9]])
    A = _a()
    check(A.get("end", "end-1"), [[9]])            # % MATLAB: A(end, end-1) -> 9
    with pytest.raises(IndexError, match="positive integers"):
        A.get("end-20")
    with pytest.raises(TypeError, match="end"):
        A.get("end*2")


def test_delete_with_empty_value(check):
    A = _a()
    A.set(2, ":", [])                              # % MATLAB: A(2,:) = [] -> [1 4 7 10; 3 6 9 12]
    check(A, [[1, 4, 7, 10], [3, 6, 9, 12]])
    A = _a()
    A.set(":", [2, 4], [])                         # % MATLAB: A(:,[2 4]) = [] -> [1 7; 2 8; 3 9]
    check(A, [[1, 7], [2, 8], [3, 9]])
    A = _a()
    A.set([1, 2], [])                              # % MATLAB: A([1 2]) = [] -> 1x10 row [3 4 ... 12]
    check(A, [list(range(3, 13))])
    c = M.colon(1, 3).t()
    c.set(2, M.zeros(0, 0))                        # % MATLAB: c = (1:3)'; c(2) = [] -> [1; 3]
    check(c, [[1], [3]])
    v = M.colon(1, 5)
    v.set("end", [])                               # % MATLAB: v(end) = [] -> [1 2 3 4]
    check(v, [[1, 2, 3, 4]])
    v.set(":", [])                                 # deleting everything gives 0x0 (documented here)
    assert v.size() == (0, 0)
    # % MATLAB: A(1,1) = [] -> error 'A null assignment can have only one non-colon index.'
    with pytest.raises(ValueError, match="only one non-colon index"):
        _a().set(1, 1, [])
    with pytest.raises(IndexError, match="Index exceeds"):
        _a().set(13, [])
