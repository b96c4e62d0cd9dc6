"""CLI, JSON report, probe cache, NIGIRI_CHECK=1 and auto selection."""

from __future__ import annotations

import json
import os
import warnings

import pytest

import nigiri.backends as registry
from nigiri.conformance import probe as probe_mod
from nigiri.conformance.cli import main

from .planted import NaNDropping, OffByULPs


@pytest.fixture
def planted_ulp():
    registry.register_backend("planted_ulp", OffByULPs)
    yield "planted_ulp"
    registry.unregister_backend("planted_ulp")


def test_cli_quick_numpy_writes_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["--backend", "numpy", "--quick", "--json", str(out), "--plain"]) == 0
    text = capsys.readouterr().out
    assert "numpy: OK:" in text and "sin" in text
    doc = json.loads(out.read_text())
    (b,) = doc["backends"]
    assert b["device"] == "numpy" and b["counts"]["fail"] == 0 and b["counts"]["run"] > 200
    assert {"case_id", "status", "worst", "unit", "reproducer"} <= set(b["results"][0])
    assert b["ops"]["sin"]["counts"]["pass"] >= 2 and "ulp" in b["ops"]["sin"]["worst"]


def test_cli_list(capsys):
    assert main(["--list", "--quick", "--case", r"^sin\["]) == 0
    ids = capsys.readouterr().out.split()
    assert "sin[float32,strided]" in ids and all(i.startswith("sin[") for i in ids)


def test_cli_fails_on_planted_bug_and_prints_reproducer(planted_ulp, capsys):
    assert main(["--backend", planted_ulp, "--quick", "--plain", "--case", r"^(sin|cos)\["]) == 1
    text = capsys.readouterr().out
    assert "FAIL" in text and "--- FAIL: sin[float32" in text
    assert f"device = '{planted_ulp}'" in text and "out = ng.sin(x1)" in text


def test_cli_all_lists_unavailable_backends(capsys):
    code = main(["--backend", "all", "--quick", "--plain", "--case", r"^add\[float32,strided\]$"])
    text = capsys.readouterr().out
    for name in registry.names():
        if name == "fake":
            continue
        assert name in text, name
    assert "fake" not in text.replace("fake backend", "")
    assert code == 0


def test_cli_explicit_unavailable_backend_fails(capsys):
    assert main(["--backend", "numpy,cupy:7", "--quick", "--case", "^add\\[float32,strided\\]$"]) == 1
    assert "cupy:7: unavailable (" in capsys.readouterr().out


def test_cli_usage_errors(capsys):
    assert main(["--backend", "numpy", "--max-examples", "-1"]) == 2
    with pytest.raises(SystemExit):
        main(["--no-such-flag"])


def test_nigiri_cli_forwards(capsys):
    from nigiri.cli import main as nigiri_main

    assert nigiri_main(["conformance", "--backend", "numpy", "--quick", "--case", r"^abs\[int32"]) == 0


def test_probe_caches_verdict_on_disk(planted_ulp, tmp_path, monkeypatch):
    monkeypatch.setenv("NIGIRI_CACHE_DIR", str(tmp_path))
    be = registry.get_device(planted_ulp)
    reason = probe_mod.probe(be)
    assert reason is not None and "sin" in reason and "planted_ulp" in reason
    path = probe_mod.cache_path(be)
    assert os.path.isfile(path) and json.load(open(path))["passed"] is False
    probe_mod.clear_memory_cache()

    def boom(*a, **k):
        raise AssertionError("the cached verdict must be used")

    monkeypatch.setattr("nigiri.conformance.runner.run_device", boom)
    assert probe_mod.probe(be) == reason
    assert probe_mod.probe(registry.get_device("numpy")) is None


def test_probe_passes_fake_device(tmp_path, monkeypatch):
    monkeypatch.setenv("NIGIRI_CACHE_DIR", str(tmp_path))
    assert probe_mod.probe(registry.get_device("fake:1")) is None


def test_nigiri_check_refuses_failing_device(planted_ulp, tmp_path, monkeypatch):
    monkeypatch.setenv("NIGIRI_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("NIGIRI_CHECK", "1")
    with pytest.raises(registry.BackendUnavailableError, match="failed the conformance probe.*sin"):
        registry.get_device(planted_ulp)
    assert registry.get_device("fake:0").device_name == "fake:0"  # a conforming device passes


def test_auto_skips_device_failing_probe(tmp_path, monkeypatch):
    monkeypatch.setenv("NIGIRI_CACHE_DIR", str(tmp_path))
    registry.register_backend("planted_nan", NaNDropping)
    monkeypatch.setattr(registry, "AUTO_ORDER", (("planted_nan", None), ("numpy", None)))
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            dev = registry.auto_device()
        assert dev.device_name == "numpy"
        assert any("planted_nan" in str(x.message) and "maximum" in str(x.message) for x in w)
    finally:
        registry.unregister_backend("planted_nan")


def test_full_tier_without_hypothesis_is_reported_as_skipped(monkeypatch):
    import builtins

    from nigiri.conformance import fuzz

    real_import = builtins.__import__

    def fake_import(name, *a, **k):
        if name == "hypothesis" or name.startswith("hypothesis."):
            raise ImportError("No module named 'hypothesis'")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    (res,) = fuzz.run(registry.get_device("numpy"), registry.get_device("numpy"), max_examples=5)
    assert res.status == "skip" and "pip install hypothesis" in res.message
