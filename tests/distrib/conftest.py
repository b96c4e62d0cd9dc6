"""Fixtures of the distributed tests: in-process clusters."""

from __future__ import annotations

import pytest

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
