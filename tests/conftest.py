"""Shared pytest set-up: the fake backend, the backend under test, and global state
reset around every test.

``pytest --nigiri-backend NAME`` (or ``NIGIRI_TEST_BACKEND=NAME``) runs the whole
suite with ``NAME`` (``numba``, ``opencl:1``, ...) as the default device of every test
(through ``NIGIRI_BACKEND``); the default is ``numpy``. Around every test the device
selection (``nigiri.use`` contexts, the cached environment choice, TF32 permission),
the module-level random generators and the probe's in-memory verdicts are reset, and
environment changes a test makes are undone by ``monkeypatch``.
"""

from __future__ import annotations

import os

import pytest

import nigiri.backends as registry
from nigiri import _config
from nigiri.arrays import device as _device
from nigiri.arrays import random as _random
from nigiri.backends.fake import FakeBackend


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--nigiri-backend", action="store", default=None, metavar="NAME",
        help="run the tests with NAME (numpy, numba, opencl:1, ...) as the default "
             "device (default: $NIGIRI_TEST_BACKEND or numpy)",
    )


def _backend_spec(config: pytest.Config) -> str:
    return config.getoption("--nigiri-backend") or _config.test_backend() or "numpy"


def pytest_configure(config: pytest.Config) -> None:
    spec = _backend_spec(config)
    config._nigiri_backend = spec  # type: ignore[attr-defined]
    if spec.split(":")[0] == "fake":
        registry.register_backend("fake", FakeBackend)
    try:
        registry.get_device(spec)
    except Exception as exc:  # an unusable backend is a usage error, not 1000 failures
        raise pytest.UsageError(f"--nigiri-backend {spec}: {exc}") from None


def pytest_report_header(config: pytest.Config) -> str:
    return f"nigiri test backend: {config._nigiri_backend}"  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def nigiri_backend(request: pytest.FixtureRequest) -> str:
    """The device spec the suite runs on (``--nigiri-backend``)."""
    return request.config._nigiri_backend  # type: ignore[attr-defined]


def _reset() -> None:
    _device.reset_state()
    _random.reset()
    probe = __import__("sys").modules.get("nigiri.conformance.probe")
    if probe is not None:
        probe.clear_memory_cache()


@pytest.fixture(scope="session")
def _nigiri_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("nigiri-cache"))


@pytest.fixture(autouse=True)
def _reset_global_state(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
                        _nigiri_cache_dir: str):
    """Fresh selection state, seeds and the fake backend for every test; the backend
    under test is the default device."""
    registry.register_backend("fake", FakeBackend)
    monkeypatch.setenv("NIGIRI_BACKEND", request.config._nigiri_backend)  # type: ignore[attr-defined]
    if "NIGIRI_CACHE_DIR" not in os.environ:  # never write probe verdicts to the user's cache
        monkeypatch.setenv("NIGIRI_CACHE_DIR", _nigiri_cache_dir)
    _reset()
    yield
    _reset()
    registry.unregister_backend("fake")
