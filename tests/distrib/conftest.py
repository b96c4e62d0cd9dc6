"""Fixtures of the distributed tests: in-process clusters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the test modules import their helpers (dist_helpers.py) under --import-mode=importlib
sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest.importorskip("distributed", reason="the distributed extra is not installed")


@pytest.fixture
def threaded_cluster():
    """A factory of in-process clusters (workers are threads); all closed at the end."""
    from nigiri.distributed import start_local_cluster

    made = []

    def make(n: int, backends=None):
        cluster, client = start_local_cluster(n, backends=backends, processes=False)
        made.append((cluster, client))
        return cluster, client

    yield make
    for cluster, client in made:
        client.close()
        cluster.close()
