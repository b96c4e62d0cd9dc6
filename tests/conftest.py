"""Shared pytest set-up: the fake backend, and global state reset around every test."""

from __future__ import annotations

import pytest

import nigiri.backends as registry
from nigiri.arrays import device as _device
from nigiri.arrays import random as _random
from nigiri.backends.fake import FakeBackend


@pytest.fixture(autouse=True)
def _reset_global_state(monkeypatch):
    """Fresh selection state, seeds and the fake backend for every test."""
    registry.register_backend("fake", FakeBackend)
    _device.reset_state()
    _random.reset()
    yield
    _device.reset_state()
    _random.reset()
    registry.unregister_backend("fake")
