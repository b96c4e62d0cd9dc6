"""Arithmetic, matrix operators, comparisons and logic against MATLAB results."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri.matlab as M

R = M.Matrix  # a row/matrix literal: R([1, 2, 3]) is MATLAB's [1 2 3]


def test_elementwise_and_implicit_expansion(check):
    # % MATLAB: [1 2 3] + [10; 20] -> [11 12 13; 21 22 23]
    check(M.plus(R([1, 2, 3]), R([[10], [20]])), [[11, 12, 13], [21, 22, 23]], "single")
    check(R([1, 2, 3]) + R([[10], [20]]), [[11, 12, 13], [21, 22, 23]])
    check(2 - R([1, 2]), [[1, 0]])                 # % MATLAB: 2 - [1 2] -> [1 0]
    check(M.minus(R([1, 2]), 2), [[-1, 0]])        # % MATLAB: [1 2] - 2 -> [-1 0]
    check(M.times(R([1, 2, 3]), R([4, 5, 6])), [[4, 10, 18]])  # % MATLAB: [1 2 3] .* [4 5 6]
    check(R([1, 2, 3]).times(2), [[2, 4, 6]])
    check(M.rdivide(R([1, 2]), R([4, 8])), [[0.25, 0.25]])     # % MATLAB: [1 2] ./ [4 8]
    check(M.ldivide(R([2, 4]), R([1, 1])), [[0.5, 0.25]])      # % MATLAB: [2 4] .\ [1 1]
    check(M.power(R([1, 2, 3]), 2), [[1, 4, 9]])               # % MATLAB: [1 2 3] .^ 2
    check(M.power(2, R([1, 2, 3])), [[2, 4, 8]])               # % MATLAB: 2 .^ [1 2 3]
    check(-R([1, -2]), [[-1, 2]])                              # % MATLAB: -[1 -2]
    B = M.reshape(M.colon(1, 8), 2, 2, 2)
    # % MATLAB: reshape(1:8,2,2,2) + [10 20] -> pages [11 23; 12 24] and [15 27; 16 28]
    check((B + R([10, 20])).get(":", ":", 2), [[15, 27], [16, 28]])
    # % MATLAB: [1 2] + [1 2 3] -> error 'Matrix dimensions must agree.'
    with pytest.raises(ValueError, match="dimensions must agree.*1x2 and 1x3"):
        R([1, 2]) + R([1, 2, 3])


@pytest.mark.usefixtures("float64")
def test_class_rules(check):
    # % MATLAB: uint8(200) + 100 -> 255;  uint8(5) - 10 -> 0
    check(M.uint8(200) + 100, [[255]], "uint8")
    check(M.uint8(5) - 10, [[0]], "uint8")
    # % MATLAB: int32(7) / 2 -> 4;  int32(-7) / 2 -> -4  (round half away from zero)
    check(M.int32(7) / 2, [[4]], "int32")
    check(M.rdivide(M.int32(-7), 2), [[-4]], "int32")
    # % MATLAB: int32(5) / 0 -> 2147483647;  int32(0) / 0 -> 0
    check(M.rdivide(M.int32(5), 0), [[2147483647]], "int32")
    check(M.rdivide(M.int32(0), 0), [[0]], "int32")
    # % MATLAB: -int8(-128) -> 127;  int8(-128) * -1 -> 127
    check(-M.int8(-128), [[127]], "int8")
    check(M.int8(-128) * -1, [[127]], "int8")
    # % MATLAB: int8(1) + single(1.6) -> int8 3;  class(single(1) + double(1)) -> 'single'
    check(M.int8(1) + M.single(1.6), [[3]], "int8")
    assert (M.single(1) + M.double(1)).klass == "single"
    # % MATLAB: true + true -> 2 (class double);  -true -> -1 (double)
    check(M.logical(1) + M.logical(1), [[2]], "double")
    check(-M.logical(1), [[-1]], "double")
    # % MATLAB: int8(1) + int16(1) -> error 'Integers can only be combined with integers of the same class, or scalar doubles.'
    with pytest.raises(TypeError, match="same class"):
        M.int8(1) + M.int16(1)


@pytest.mark.usefixtures("float64")
def test_mtimes_mldivide_mrdivide_mpower(check):
    A = R([[1, 2], [3, 4]])
    check(A * R([[5], [6]]), [[17], [39]])         # % MATLAB: [1 2; 3 4] * [5; 6] -> [17; 39]
    check(M.mtimes(A, A), [[7, 10], [15, 22]])     # % MATLAB: [1 2; 3 4] * [1 2; 3 4]
    check(A @ A, [[7, 10], [15, 22]])
    check(2 * R([1, 2]), [[2, 4]])                 # % MATLAB: 2 * [1 2] -> [2 4]
    check(R([[1], [2]]) * R([3, 4]), [[3, 4], [6, 8]])  # % MATLAB: [1; 2] * [3 4] (outer)
    assert (M.single(A) * M.double(A)).klass == "single"
    # % MATLAB: [1 2 3] * [1 2] -> error 'Inner matrix dimensions must agree.'
    with pytest.raises(ValueError, match="Inner matrix dimensions"):
        R([1, 2, 3]) * R([1, 2])
    # % MATLAB: int32([1 2; 3 4]) * int32([1; 1]) -> error (integer MTIMES needs a scalar)
    with pytest.raises(TypeError, match="integer"):
        M.int32(A) * M.int32(R([[1], [1]]))
    check(M.int32(A) * 2, [[2, 4], [6, 8]], "int32")
    with pytest.raises(ValueError, match="2-D"):
        M.zeros(2, 2, 2) * M.zeros(2, 2)
    # % MATLAB: [2 0; 0 4] \ [2; 4] -> [1; 1]
    check(M.mldivide(R([[2, 0], [0, 4]]), R([[2], [4]])), [[1], [1]])
    # % MATLAB: [4 -2; 1 1] \ [2; 3] -> [4/3; 5/3]
    check(M.mldivide(R([[4, -2], [1, 1]], "double"), R([[2], [3]], "double")), [[4 / 3], [5 / 3]], "double")
    # % MATLAB: [1 0; 0 1; 1 1] \ [1; 2; 3] -> [1; 2]  (least squares)
    check(M.mldivide(R([[1, 0], [0, 1], [1, 1]]), R([[1], [2], [3]])), [[1], [2]])
    check(M.mldivide(2, R([4, 6])), [[2, 3]])      # % MATLAB: 2 \ [4 6] -> [2 3]
    with pytest.raises(ValueError, match="singular"):
        M.mldivide(R([[1, 2], [2, 4]]), R([[1], [1]]))
    with pytest.raises(ValueError, match="underdetermined"):
        M.mldivide(R([[1, 2]]), R([[1]]))
    with pytest.raises(ValueError, match="dimensions must agree"):
        M.mldivide(A, R([1, 2]))
    # % MATLAB: [1 2] / [1 0; 0 2] -> [1 1];  [4 6] / 2 -> [2 3]
    check(R([1, 2]) / R([[1, 0], [0, 2]]), [[1, 1]])
    check(R([4, 6]) / 2, [[2, 3]])
    # % MATLAB: 2 / [1 2] -> error 'Matrix dimensions must agree.'
    with pytest.raises(ValueError, match="dimensions must agree"):
        2 / R([1, 2])
    # % MATLAB: [1 1; 0 1]^3 -> [1 3; 0 1];  [1 2; 3 4]^-1 -> [-2 1; 1.5 -0.5];  2^3 -> 8
    check(R([[1, 1], [0, 1]]) ** 3, [[1, 3], [0, 1]])
    check(M.mpower(A, -1), [[-2, 1], [1.5, -0.5]])
    check(M.mpower(A, 0), [[1, 0], [0, 1]])
    check(M.Matrix(2) ** 3, [[8]])
    with pytest.raises(ValueError, match="square"):
        R([1, 2]) ** 2                             # % MATLAB: [1 2]^2 -> error (must be square)
    with pytest.raises(ValueError, match="non-integer"):
        A ** 0.5


def test_transpose(check):
    A = R([[1, 2], [3, 4]])
    check(A.t(), [[1, 3], [2, 4]])                 # % MATLAB: [1 2; 3 4].' -> [1 3; 2 4]
    check(M.transpose(R([1, 2, 3])), [[1], [2], [3]])
    with pytest.raises(ValueError, match="2-D"):
        M.zeros(2, 2, 2).t()                       # % MATLAB: error 'Transpose on ND array is not defined.'


def test_complex_transpose(check):
    import nigiri as ng

    if not ng.__array_namespace_info__().capabilities()["device"]["complex"]:
        pytest.skip("the test device has no complex dtypes (capability 'complex' is False)")
    z = M.Matrix([[1 + 2j, 3j]])
    np.testing.assert_allclose(M.ctranspose(z).to_numpy(), [[1 - 2j], [-3j]])  # % MATLAB: [1+2i 3i]'
    np.testing.assert_allclose(z.t().to_numpy(), [[1 + 2j], [3j]])             # % MATLAB: [1+2i 3i].'


def test_comparisons_and_logic(check):
    check(R([1, 2, 3]) > 2, [[False, False, True]], "logical")    # % MATLAB: [1 2 3] > 2 -> [0 0 1]
    check(M.eq(R([1, 2, 3]), R([[1], [2]])), [[1, 0, 0], [0, 1, 0]], "logical")  # % MATLAB: [1 2 3] == [1; 2]
    check(M.int32(3) == 3.5, [[False]])           # % MATLAB: int32(3) == 3.5 -> 0
    check(M.single(0.5) == 0.5, [[True]])          # % MATLAB: single(0.5) == 0.5 -> 1
    check(R([1, 2]) != R([1, 3]), [[False, True]])
    check(R([1, 2]) <= 1, [[True, False]])
    check(R([1, 2]) >= 2, [[False, True]])
    check(R([1, 2]) < R([2, 2]), [[True, False]])
    check(M.uint8(200) > M.int8(-1), [[True]])     # mixed integer classes compare exactly
    check(R([1, 0, 2]) & R([1, 1, 0]), [[1, 0, 0]], "logical")   # % MATLAB: [1 0 2] & [1 1 0] -> [1 0 0]
    check(R([0, 0, 1]) | 0, [[0, 0, 1]], "logical")               # % MATLAB: [0 0 1] | 0 -> [0 0 1]
    check(~R([1, 0]), [[0, 1]], "logical")                        # % MATLAB: ~[1 0] -> [0 1]
    check(M.xor(True, M.logical([1, 0])), [[0, 1]], "logical")   # % MATLAB: xor(true, [true false]) -> [0 1]
    # % MATLAB: NaN & 1 -> error 'NaN's cannot be converted to logicals.'
    with pytest.raises(ValueError, match="NaN"):
        M.Matrix(float("nan")) & 1
    # % MATLAB: if [1 1] -> taken;  if [1 0] -> not taken;  if [] -> not taken
    assert bool(R([1, 1])) and not bool(R([1, 0])) and not bool(M.zeros(0, 0))


@pytest.mark.usefixtures("float64")
def test_elementwise_functions(check):
    check(M.round(R([2.5, -2.5, 0.4])), [[3, -3, 0]])   # % MATLAB: round([2.5 -2.5 0.4]) -> [3 -3 0]
    check(M.fix(R([-2.5, 2.5])), [[-2, 2]])             # % MATLAB: fix([-2.5 2.5]) -> [-2 2]
    check(M.floor(R([-2.5])), [[-3]])
    check(M.ceil(R([-2.5])), [[-2]])
    check(abs(M.int8(-128)), [[127]], "int8")           # % MATLAB: abs(int8(-128)) -> 127
    check(M.sign(R([-3, 0, 2])), [[-1, 0, 1]])
    check(M.sqrt(R([4, 9])), [[2, 3]])                  # % MATLAB: sqrt([4 9]) -> [2 3]
    check(M.sqrt(M.logical(1)), [[1]], "double")        # % MATLAB: class(sqrt(true)) -> 'double'
    check(M.exp(M.zeros(1, 2)), [[1, 1]])
    check(M.log(R([1])), [[0]])
    check(M.sin(M.zeros(1)), [[0]])
    check(M.cos(M.zeros(1)), [[1]])
    check(M.tan(M.zeros(1)), [[0]])
    check(M.tanh(M.zeros(1)), [[0]])
    # % MATLAB: sqrt(int32(4)) -> error (integer classes are not supported)
    with pytest.raises(TypeError, match="single or double"):
        M.sqrt(M.int32(4))


def test_operand_errors():
    with pytest.raises(TypeError):
        R([1, 2]) + "a"
    with pytest.raises(TypeError):
        M.plus(R([1]), object())
