"""The conformance suite on the backend under test (``pytest --nigiri-backend NAME``),
and capability skips on the fake device without float64."""

from __future__ import annotations

import os

import pytest

from nigiri.conformance.runner import run_backend


def _show(report) -> str:
    return "\n".join(f"{r.case_id}: {r.message.splitlines()[0] if r.message else ''}"
                     for r in report.unexpected()[:20])


def test_quick_tier_on_test_backend(nigiri_backend):
    report = run_backend(nigiri_backend, quick=True)
    assert report.available, report.reason
    assert report.ok, _show(report)
    assert report.counts()["run"] > 300


@pytest.mark.slow
def test_full_tier_on_test_backend(nigiri_backend):
    """Full tier; Hypothesis examples per op from NIGIRI_CONFORMANCE_EXAMPLES (default 10)."""
    n = int(os.environ.get("NIGIRI_CONFORMANCE_EXAMPLES", "10"))
    report = run_backend(nigiri_backend, max_examples=n)
    assert report.ok, _show(report)
    assert report.counts()["run"] > 7000


def test_device_without_float64_skips_with_capability_reason():
    report = run_backend("fake:1", quick=False, max_examples=0, layers=False,
                         pattern=r"^(add|sum|matmul|astype)\[")
    skipped = [r for r in report.results if r.status == "skip"]
    assert skipped and all("(capabilities)" in r.message for r in skipped)
    assert all(any(d in r.message for d in ("float64", "complex128", "float16")) for r in skipped)
    assert any("float64" in r.case_id for r in skipped)
    assert report.ok, _show(report)
    assert any(r.status == "pass" and "float32" in r.case_id for r in report.results)
