"""The benchmark suite (issue 8): every suite runs in --quick mode on the numpy backend
and produces sane JSON, markdown and plots. No speed is asserted here (DESIGN 9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # bench/ lives in the checkout, not in the installed package
    sys.path.insert(0, ROOT)

from bench import cli, registry, runner, targets, timer  # noqa: E402
from bench.checks import close, exact, matmul_bound, reduce_bound  # noqa: E402
from bench.overhead import verdicts  # noqa: E402
from bench.report import markdown, merge_runs  # noqa: E402

SUITES = ("table1", "gemm", "elementwise", "reduce", "overhead", "transfer")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """This module's suites, quick, on ng:numpy plus the numpy peer, in one run folder
    (the nn suites `layers` and `train` are tested with nn)."""
    out = tmp_path_factory.mktemp("run")
    rc = cli.main([",".join(SUITES), "--backends", "numpy", "--peers", "numpy", "--quick", "--quiet",
                   "--out", str(out)])
    assert rc == 0
    return out


def test_registry_lists_the_builtin_suites():
    names = registry.suite_names()
    assert names[:len(SUITES)] == list(SUITES)


@pytest.mark.parametrize("suite", SUITES)
def test_suite_json_is_complete_and_sane(quick_run, suite):
    data = json.loads((quick_run / f"{suite}.json").read_text())
    assert data["suite"] == suite and data["quick"] is True and data["schema"] == runner.SCHEMA
    assert [t["name"] for t in data["targets"]] == ["ng:numpy", "numpy"]
    assert data["baseline"] == "numpy"
    meta = data["meta"]
    for key in ("date", "cpu", "env", "blas", "git", "python", "numpy"):
        assert key in meta
    assert meta["cpu"]["usable_cpus"] >= 1
    for phase in ("start", "end"):
        assert data["load"][phase]["cpus"] >= 1
    tasks = [t["name"] for t in data["tasks"]]
    assert tasks and len(set(tasks)) == len(tasks)
    recs = {(r["task"], r["target"]): r for r in data["records"]}
    assert len(recs) == len(tasks) * 2
    for task in data["tasks"]:
        for target in ("ng:numpy", "numpy"):
            rec = recs[(task["name"], target)]
            if rec["status"] == "skipped":  # only the zero-copy device->host rows
                assert suite == "transfer" and "zero-copy" in rec["message"]
                continue
            assert rec["status"] == "ok", rec
            assert rec["check"]["ok"] is True
            t = rec["timing"]
            assert len(t["samples_s"]) == t["n"] >= timer.QUICK.min_repeats
            assert all(s > 0 for s in t["samples_s"])
            assert t["q1_s"] <= t["median_s"] <= t["q3_s"]
            if task["flops"]:
                assert rec["gflops"] > 0
            if task["bytes"]:
                assert rec["gbs"] > 0


@pytest.mark.parametrize("suite", SUITES)
def test_suite_markdown_and_plot(quick_run, suite):
    data = json.loads((quick_run / f"{suite}.json").read_text())
    md = (quick_run / f"{suite}.md").read_text()
    assert md.startswith(f"## {suite}:")
    assert "| task | ng:numpy | numpy (baseline) |" in md
    for task in data["tasks"]:
        assert f"| {task['name']} |" in md
    assert "· 1×" in md  # the baseline column
    pytest.importorskip("matplotlib", reason="plots need matplotlib (the dev extra)")
    png = (quick_run / f"{suite}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_gemm_throughput_plot_and_peak(quick_run):
    md = (quick_run / "gemm.md").read_text()
    data = json.loads((quick_run / "gemm.json").read_text())
    if data["meta"]["cpu_peak"]:
        assert "% peak)" in md
    pytest.importorskip("matplotlib", reason="plots need matplotlib (the dev extra)")
    assert (quick_run / "gemm-throughput.png").stat().st_size > 1000


def test_elementwise_percent_of_copy(quick_run):
    md = (quick_run / "elementwise.md").read_text()
    assert "% copy)" in md and "Copy bandwidth used as 100%" in md


def test_overhead_import_time_and_verdicts(quick_run):
    data = json.loads((quick_run / "overhead.json").read_text())
    imp = data["extra"]["import_nigiri"]
    assert 0 < imp["median_s"] < 30
    lines = verdicts(data)
    assert any(line.startswith("add 100") and "ng:numpy" in line for line in lines)
    assert any(line.startswith("import nigiri:") for line in lines)


def test_table1_reference_row_is_shown(quick_run):
    md = (quick_run / "table1.md").read_text()
    assert "Hidaka" in md  # the paper's source line, with or without its figures


def test_index_and_report_regeneration(quick_run, tmp_path):
    assert (quick_run / "index.md").exists()
    before = (quick_run / "table1.md").read_text()
    (quick_run / "table1.md").unlink()
    assert cli.main(["report", str(quick_run)]) == 0
    assert (quick_run / "table1.md").read_text() == before


def test_report_compares_two_runs(quick_run, tmp_path):
    out = tmp_path / "cmp"
    assert cli.main(["report", str(quick_run), str(quick_run), "--out", str(out)]) == 0
    md = (out / "table1.md").read_text()
    assert "ng:numpy @ 1:" in md and "ng:numpy @ 2:" in md
    assert (out / "index.md").exists()


def test_unavailable_backend_and_missing_peer_are_columns(tmp_path, monkeypatch):
    monkeypatch.setitem(targets._PEER_MODULES, "cupy", "nigiri_bench_no_such_module")
    out = tmp_path / "r"
    rc = cli.main(["overhead", "--backends", "numpy,no_such_backend_xyz", "--quick", "--quiet",
                   "--out", str(out)])
    assert rc == 2  # an unknown backend name is a usage error, not a silent drop
    rc = cli.main(["table1", "--backends", "numpy", "--peers", "numpy,cupy", "--quick",
                   "--quiet", "--out", str(out)])
    assert rc == 0
    data = json.loads((out / "table1.json").read_text())
    cupy = next(t for t in data["targets"] if t["name"] == "cupy")
    assert cupy["available"] is False and cupy["reason"] == "not installed"
    assert {r["status"] for r in data["records"] if r["target"] == "cupy"} == {"unavailable"}
    assert "cupy: not installed" in (out / "table1.md").read_text()


def test_backend_that_cannot_load_is_reported_with_reason():
    from nigiri.backends import register_backend, unregister_backend

    register_backend("benchbroken", "nigiri_bench_no_such_module:BACKEND")
    try:
        (t,) = targets.nigiri_targets(["benchbroken"])
    finally:
        unregister_backend("benchbroken")
    assert t.available is False and "nigiri_bench_no_such_module" in t.reason


class _WrongNumpy(targets.NumpyPeer):
    def op(self, name):
        fn = super().op(name)
        return lambda a, b: fn(a, b) + np.float32(1e-3)


def test_wrong_result_is_never_timed():
    from bench.suites._common import binary_task

    suite = registry.Suite("t", "test", lambda ctx: [binary_task("add", (64,))])
    wrong = _WrongNumpy()
    wrong.name = "wrong"
    res = runner.run_suite(suite, [targets.NumpyPeer(), wrong], timer.QUICK, quick=True,
                           verbose=False)
    by = {r["target"]: r for r in res["records"]}
    assert by["numpy"]["status"] == "ok"
    assert by["wrong"]["status"] == "wrong" and "timing" not in by["wrong"]
    assert "WRONG [1]" in markdown(res)


def test_unsupported_op_is_reported():
    from bench.suites._common import unary_task

    class NoLog(targets.NumpyPeer):
        def op(self, name):
            raise targets.Unsupported("no log here")

    suite = registry.Suite("t", "test", lambda ctx: [unary_task("log", (8,))])
    t = NoLog()
    t.name = "nolog"
    res = runner.run_suite(suite, [t], timer.QUICK, quick=True, verbose=False)
    assert res["records"][0]["status"] == "unsupported"
    assert res["records"][0]["message"] == "no log here"


def test_timer_counts_and_synchronises():
    calls = {"fn": 0, "sync": 0}

    def fn():
        calls["fn"] += 1

    def sync():
        calls["sync"] += 1

    cfg = timer.TimerConfig(warmup_calls=2, warmup_s=0.0, min_repeats=5, min_time_s=0.0,
                            max_time_s=1.0, min_sample_s=1e-4, max_number=50)
    m = timer.measure(fn, sync, cfg)
    assert len(m.samples_s) == 5 and m.clock == "wall+sync"
    assert 1 <= m.number <= 50
    assert calls["sync"] >= 1 + 5  # after warm-up and after every sample
    s = timer.summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert s["median_s"] == 3.0 and s["q1_s"] == 2.0 and s["q3_s"] == 4.0 and s["iqr_s"] == 2.0


def test_timer_uses_device_events_when_offered():
    def events(fn, number):
        for _ in range(number):
            fn()
        return 1e-3 * number

    cfg = timer.TimerConfig(warmup_calls=1, warmup_s=0.0, min_repeats=3, min_time_s=0.0,
                            max_time_s=1.0, min_sample_s=1e-5, max_number=10)
    m = timer.measure(lambda: None, lambda: None, cfg, events)
    assert m.clock == "cuda-events" and all(abs(s - 1e-3) < 1e-12 for s in m.samples_s)
    assert len(m.wall_samples_s) == 3


def test_checks_catch_errors_of_the_size_that_matters():
    a = np.random.default_rng(0).uniform(0, 1, (64, 256)).astype(np.float32)
    b = np.random.default_rng(1).uniform(0, 1, (256, 32)).astype(np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    assert matmul_bound()(a @ b, ref, (a, b))[0]
    # a TF32-sized error (10-bit mantissa) must fail
    tf32 = ref * (1 + 2.0 ** -11)
    assert not matmul_bound()(tf32.astype(np.float32), ref, (a, b))[0]
    x = np.random.default_rng(2).uniform(-1, 1, 10_000).astype(np.float32)
    assert reduce_bound(None)(np.sum(x), np.sum(x.astype(np.float64)), (x,))[0]
    assert not reduce_bound(None)(np.float32(np.sum(x) + 1.0), np.sum(x.astype(np.float64)), (x,))[0]
    assert close()(np.float32([1, 2]), np.array([1.0, 2.0]), ())[0]
    assert not close()(np.float32([1, 2]), np.array([1.0, 2.001]), ())[0]
    assert not exact()(np.float32([1, 2]), np.array([1.0]), ())[0]


def test_merge_runs_labels_targets():
    res = {"suite": "s", "description": "d", "metric": "ms", "baseline": "numpy",
           "targets": [{"name": "numpy"}], "tasks": [{"name": "t"}],
           "records": [{"task": "t", "target": "numpy", "status": "error", "message": "x"}]}
    merged = merge_runs([res, json.loads(json.dumps(res))], ["a", "b"])
    assert [t["name"] for t in merged["targets"]] == ["numpy @ a", "numpy @ b"]
    assert merged["baseline"] == "numpy @ a"


def test_cli_errors_are_clear(capsys):
    assert cli.main(["no_such_suite"]) == 2
    assert "unknown suite 'no_such_suite'" in capsys.readouterr().err
    assert cli.main(["report", "/nonexistent/folder"]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert cli.main(["table1", "--backends", "numpy", "--baseline", "nope", "--quick"]) == 2
    assert "--baseline 'nope'" in capsys.readouterr().err


def test_python_dash_m_bench_list_runs():
    res = subprocess.run([sys.executable, "-m", "bench", "list"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0
    for suite in SUITES:
        assert suite in res.stdout
