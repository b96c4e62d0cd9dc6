"""nn's layer cases through the conformance layer API (when nigiri.conformance has it)."""

from __future__ import annotations

import pytest

layers_api = pytest.importorskip("nigiri.conformance.layers",
                                 reason="nigiri.conformance (layer API) is not installed in this tree")


def _names() -> list[str]:
    return sorted(n for n in layers_api.layer_cases() if n.startswith("nn."))


def test_cases_are_registered() -> None:
    names = _names()
    assert "nn.convolution_2d" in names and "nn.softmax_cross_entropy" in names and len(names) >= 16


@pytest.mark.parametrize("name", _names() if hasattr(layers_api, "layer_cases") else [])
def test_layer_case_on_reference(name: str) -> None:
    results = layers_api.check_layer(name, "numpy")  # forward, backward, numerical gradients
    bad = [f"{r.case_id}: {r.message}" for r in results if r.status not in ("pass", "skip")]
    assert not bad, bad
