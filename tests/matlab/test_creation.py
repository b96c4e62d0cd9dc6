"""Creation functions and classes against hand-checked MATLAB results."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri.matlab as M


@pytest.mark.usefixtures("float64")
def test_zeros_ones_sizes(check):
    # % MATLAB: size(zeros(2)) -> [2 2]
    check(M.zeros(2), np.zeros((2, 2)), "single")
    # % MATLAB: zeros(2, 3) -> 2x3 of 0
    check(M.zeros(2, 3), np.zeros((2, 3)))
    # % MATLAB: size(zeros([2 3])) -> [2 3]
    check(M.zeros([2, 3]), np.zeros((2, 3)))
    # % MATLAB: size(zeros(2, 3, 1)) -> [2 3]   (trailing singleton dropped)
    assert M.zeros(2, 3, 1).size() == (2, 3)
    # % MATLAB: size(zeros(2, 1, 3)) -> [2 1 3];  size(zeros(1, 1, 1, 1)) -> [1 1]
    assert M.zeros(2, 1, 3).size() == (2, 1, 3)
    assert M.zeros(1, 1, 1, 1).size() == (1, 1)
    # % MATLAB: size(zeros(-1, 3)) -> [0 3];  zeros() -> 0 (1x1)
    assert M.zeros(-1, 3).size() == (0, 3)
    check(M.zeros(), [[0]])
    # % MATLAB: ones(2, 'int32') -> int32 [1 1; 1 1]
    check(M.ones(2, "int32"), np.ones((2, 2)), "int32")
    # % MATLAB: class(ones(1, 2, 'logical')) -> 'logical'
    check(M.ones(1, 2, "logical"), [[True, True]], "logical")
    for k in ("single", "double", "int32", "uint8", "logical"):
        assert M.zeros(1, 2, k).klass == k
    assert M.ndims(M.zeros(2, 3, 4)) == 3


@pytest.mark.usefixtures("float64")
def test_eye(check):
    # % MATLAB: eye(2, 3) -> [1 0 0; 0 1 0]
    check(M.eye(2, 3), [[1, 0, 0], [0, 1, 0]], "single")
    # % MATLAB: eye(3, 'double') -> 3x3 identity, class double
    check(M.eye(3, "double"), np.eye(3), "double")
    # % MATLAB: eye([3 2]) -> [1 0; 0 1; 0 0]
    check(M.eye([3, 2]), [[1, 0], [0, 1], [0, 0]])
    with pytest.raises(ValueError):
        M.eye(2, 2, 2)  # % MATLAB: eye(2,2,2) -> error (N-D identity does not exist)


@pytest.mark.usefixtures("float64")
def test_rand_randn_randi():
    M.rng(7)
    a = M.rand(2, 3)
    assert a.size() == (2, 3) and a.klass == "single"
    v = a.to_numpy()
    assert ((v >= 0) & (v < 1)).all()
    # column-major generation: % MATLAB: rng(7); a = rand(2,3); rng(7); b = rand(6,1); isequal(a(:), b) -> true
    M.rng(7)
    b = M.rand(6, 1)
    np.testing.assert_array_equal(a.to_numpy().reshape(-1, order="F"), b.to_numpy().reshape(-1))
    assert M.rand(2, "double").klass == "double"
    n = M.randn(3, 4, "double")
    assert n.size() == (3, 4) and np.isfinite(n.to_numpy()).all()
    # % MATLAB: rand(2, 'int32') -> error (rand makes only single or double)
    with pytest.raises(ValueError, match="single' or 'double"):
        M.rand(2, "int32")
    r = M.randi(6, 100, 1, "int32")
    assert r.klass == "int32" and r.to_numpy().min() >= 1 and r.to_numpy().max() <= 6
    r = M.randi([-2, 2], 1, 50)
    assert r.size() == (1, 50) and set(r.to_numpy().ravel().tolist()) <= {-2, -1, 0, 1, 2}


@pytest.mark.usefixtures("float64")
def test_colon(check):
    # % MATLAB: 1:5 -> [1 2 3 4 5]  (a row vector)
    check(M.colon(1, 5), [[1, 2, 3, 4, 5]], "single")
    # % MATLAB: 1:2:7 -> [1 3 5 7]
    check(M.colon(1, 2, 7), [[1, 3, 5, 7]])
    # % MATLAB: 10:-3:1 -> [10 7 4 1]
    check(M.colon(10, -3, 1), [[10, 7, 4, 1]])
    # % MATLAB: size(5:1) -> [1 0];  size(1:0:5) -> [1 0]
    assert M.colon(5, 1).size() == (1, 0)
    assert M.colon(1, 0, 5).size() == (1, 0)
    # % MATLAB: 0:0.1:0.3 -> [0 0.1 0.2 0.3]  (4 elements despite rounding; last exactly 0.3)
    c = M.colon(0, 0.1, 0.3, klass="double")
    assert c.size() == (1, 4)
    assert c.to_numpy()[0, -1] == 0.3
    np.testing.assert_allclose(c.to_numpy()[0], [0, 0.1, 0.2, 0.3], rtol=0, atol=1e-16)
    # % MATLAB: 1.5:3 -> [1.5 2.5]
    check(M.colon(1.5, 3), [[1.5, 2.5]])
    check(M.colon(1, 3, klass="int32"), [[1, 2, 3]], "int32")
    with pytest.raises(TypeError):
        M.colon("a", 3)
    with pytest.raises(ValueError, match="2\\^24"):
        M.colon(2**24 - 1, 2**24 + 2)               # would not be exact in single
    assert M.colon(2**24 - 1, 2**24 + 2, klass="int32").numel() == 4


@pytest.mark.usefixtures("float64")
def test_class_conversions(check):
    # % MATLAB: int32([2.5 -2.5 3.5]) -> [3 -3 4]  (round half away from zero)
    check(M.int32([2.5, -2.5, 3.5]), [[3, -3, 4]], "int32")
    # % MATLAB: uint8([300 -5 127.5]) -> [255 0 128]  (saturation)
    check(M.uint8([300, -5, 127.5]), [[255, 0, 128]], "uint8")
    # % MATLAB: int8(NaN) -> 0;  int32(1e10) -> 2147483647
    check(M.int8(float("nan")), [[0]], "int8")
    check(M.int32(1e10), [[2147483647]], "int32")
    # % MATLAB: int8(int32(-300)) -> -128
    check(M.int8(M.int32(-300)), [[-128]], "int8")
    # % MATLAB: logical([2 0 -1]) -> [1 0 1]
    check(M.logical([2, 0, -1]), [[True, False, True]], "logical")
    # % MATLAB: logical(NaN) -> error 'NaN's cannot be converted to logicals.'
    with pytest.raises(ValueError, match="NaN"):
        M.logical(float("nan"))
    # % MATLAB: double(0.1) == 0.1 -> true;  double(single(0.1)) == 0.1 -> false
    assert M.double(0.1).to_numpy()[0, 0] == 0.1
    assert M.double(M.single(0.1)).to_numpy()[0, 0] != 0.1
    assert M.cast(M.Matrix([1.7]), "uint16").klass == "uint16"
    assert M.class_(M.zeros(1, "uint8")) == "uint8"
    with pytest.raises(ValueError, match="unknown class"):
        M.cast(M.zeros(1), "float")


@pytest.mark.usefixtures("float64")
def test_matrix_from_python_and_numpy(check, dev):
    # % MATLAB: [1 2; 3 4] -> 2x2;  [1 2 3] -> 1x3 row
    check(M.Matrix([[1, 2], [3, 4]]), [[1, 2], [3, 4]], "single")
    check(M.Matrix([1, 2, 3]), [[1, 2, 3]])
    check(M.Matrix(5), [[5]])
    check(M.Matrix([True, False]), [[True, False]], "logical")
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    m = M.Matrix(x)
    check(m, x, "double")
    assert m.device == dev
    np.testing.assert_array_equal(M.Matrix(x, "int32").to_numpy(), x)
    assert M.asmatrix(m) is m


def test_creation_bad_input():
    with pytest.raises(ValueError, match="unknown class"):
        M.zeros(2, "float")
    with pytest.raises(TypeError, match="last argument"):
        M.zeros("single", 2)
    with pytest.raises(ValueError, match="integer"):
        M.zeros(2.5)  # % MATLAB: zeros(2.5) -> error 'Size inputs must be integers.'
    with pytest.raises(TypeError):
        M.zeros(None)
    with pytest.raises(TypeError):
        M.Matrix("abc")
    # % MATLAB: [1 2; 3] -> error 'Dimensions of arrays being concatenated are not consistent.'
    with pytest.raises(ValueError, match="different lengths"):
        M.Matrix([[1, 2], [3]])
    with pytest.raises(TypeError, match="class name"):
        M.cast(M.zeros(1), 3)
