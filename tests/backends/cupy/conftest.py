"""Fixtures of the cupy backend tests: a clean registry for simulated machines, the
cupy:0 device (skipped without CUDA) and the numpy reference backend."""

from __future__ import annotations

import os
import sys

import pytest

from nigiri import backends as registry
from nigiri.backends.cupy import _runtime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the helpers beside us
from _cupy_helpers import GPU_REASON  # noqa: E402


@pytest.fixture
def fresh_runtime(monkeypatch):
    """Forget cached CuPy/registry state before and after a simulated machine."""
    def reset():
        _runtime.reset()
        registry._classes.pop("cupy", None)
        for key in [k for k in registry._devices if k[0] == "cupy"]:
            registry._devices.pop(key)
    reset()
    yield monkeypatch
    reset()



@pytest.fixture(scope="module")
def be():
    if GPU_REASON is not None:
        pytest.skip(GPU_REASON)
    return registry.get_device("cupy:0")


@pytest.fixture(scope="module")
def ref():
    return registry.get_device("numpy")

