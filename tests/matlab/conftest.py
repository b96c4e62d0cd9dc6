"""The facade tests run on ``NIGIRI_TEST_BACKEND`` (default numpy) through ``ng.use``."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
from nigiri import _config


@pytest.fixture(autouse=True)
def _test_device():
    """Every matrix a test creates goes to the test backend."""
    with ng.use(_config.test_backend() or "numpy") as dev:
        yield dev


@pytest.fixture
def dev(_test_device):
    """The device under test."""
    return _test_device


def _check(a, expected, klass=None, size=None):
    """Assert a Matrix's size, class and values (``expected`` in MATLAB order)."""
    exp = np.asarray(expected)
    if exp.ndim < 2:
        exp = exp.reshape(1, -1) if exp.ndim == 1 else exp.reshape(1, 1)
    got = a.to_numpy()
    assert a.size() == (size if size is not None else exp.shape), (a.size(), exp.shape)
    if klass is not None:
        assert a.klass == klass
    np.testing.assert_allclose(got.astype(np.float64) if got.dtype.kind != "b" else got,
                               exp.reshape(got.shape), rtol=1e-6, atol=0)


@pytest.fixture
def check():
    """``check(A, expected, klass=None, size=None)``: size, class and values of A."""
    return _check


def _has_float64(device) -> bool:
    return "float64" in ng.__array_namespace_info__().dtypes(device=device, kind="real floating")


@pytest.fixture
def float64(_test_device):
    """Skip (naming the capability) on a device without float64: the test uses 'double'."""
    if not _has_float64(_test_device):
        pytest.skip(f"device {_test_device} lacks float64 (class 'double')")


@pytest.fixture
def index_class(_test_device):
    """The class of index outputs: double, or int32 on a device without float64."""
    return "double" if _has_float64(_test_device) else "int32"
