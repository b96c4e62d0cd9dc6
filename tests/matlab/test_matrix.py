"""The Matrix object: conversions, display, methods and refusals."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
import nigiri.matlab as M


def test_conversions_and_display():
    A = M.reshape(M.colon(1, 6), 2, 3)
    assert float(A.get(2, 3)) == 6.0 and int(A.get(1, 2)) == 3
    assert range(M.Matrix(3)) == range(3)          # __index__ of a 1x1 integral value
    x = A.array                                     # an ng.Array in MATLAB order
    assert isinstance(x, ng.Array) and x.shape == (2, 3)
    np.testing.assert_array_equal(ng.to_numpy(x), [[1, 3, 5], [2, 4, 6]])
    assert A.to_numpy().flags.f_contiguous          # MATLAB memory layout
    text = repr(A)
    assert "2x3 single" in text and "1.  3.  5." in text
    assert "(:,:,2)" in repr(M.zeros(1, 1, 2))
    assert repr(M.zeros(0, 3)).endswith("[]")
    assert M.Matrix(np.float32(2)).klass == "single"
    with pytest.raises(TypeError, match="1x1"):
        float(A)
    with pytest.raises(TypeError):
        len(A)
    with pytest.raises(TypeError, match="not iterable"):
        list(A)
    with pytest.raises(TypeError):
        M.Matrix(np.zeros(2, dtype=np.float16))
    with pytest.raises(TypeError):
        M.Matrix({"a": 1})
    with pytest.raises(TypeError):
        hash(A)
    assert (A == None) is False and (A != "text") is True  # noqa: E711  (not elementwise)
    assert A not in [None, "x"]


def test_array_property_shares_then_copies_on_write():
    A = M.zeros(2, 2)
    x = A.array
    A.set(1, 1, 5)                                  # A copies first: x keeps its zeros
    assert float(ng.to_numpy(x)[0, 0]) == 0.0
    assert float(A.get(1, 1)) == 5.0


def test_methods_mirror_functions():
    A = M.Matrix([[1, 2], [3, 4]])
    np.testing.assert_array_equal(A.plus(1).to_numpy(), [[2, 3], [4, 5]])
    np.testing.assert_array_equal(A.mtimes(A).to_numpy(), [[7, 10], [15, 22]])
    np.testing.assert_array_equal(A.sum(2).to_numpy(), [[3], [7]])
    np.testing.assert_array_equal(A.repmat(1, 2).to_numpy(), [[1, 2, 1, 2], [3, 4, 3, 4]])
    assert A.copy().to_numpy().tolist() == A.to_numpy().tolist()
    assert A.astype("int8").klass == "int8"
    assert A.ndims() == 2 and A.size(nargout=1) == (2, 2)  # % MATLAB: [s] = size(A) -> [2 2]


def test_results_never_alias_their_inputs(dev):
    A = M.Matrix([[1, 2], [3, 4]])
    P = A ** 1                                      # matrix power 1
    P.set(1, 1, 100)
    assert float(A.get(1, 1)) == 1.0
    E = M.zeros(0, 0)
    C = M.cat(1, E, E)
    C.set(1, 5)
    assert E.size() == (0, 0)
    # gpuArray goes to the test device (ng.use), i.e. shares A's buffer: copy-on-write
    assert str(M.accelerator()) == str(dev)
    for make in (lambda: M.squeeze(A), lambda: M.reshape(A, 4, 1), lambda: M.permute(A, [2, 1]),
                 lambda: M.repmat(A, 1, 1), lambda: M.gather(A), lambda: M.sum(A, 3),
                 lambda: M.max(A, [], 3), lambda: A.t().t(), lambda: M.gpuArray(A)):
        B = make()
        B.set(1, -7)
        assert float(A.get(1, 1)) == 1.0
