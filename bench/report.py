"""Markdown tables from result JSON (``python -m bench report DIR...``).

Rows are tasks, columns are targets. A cell shows the median in the suite's unit with
the interquartile range as a percentage, the figure relative to the device's ceiling
where one is known (GEMM: % of peak; elementwise: % of the best copy bandwidth on the
same kind of device), and the speed relative to the baseline column
(baseline time / this time: above 1 is faster). Anything that was not timed says why,
with the message as a footnote. Several runs are compared by relabelling their targets
``target @ run`` and showing them in one table.
"""

from __future__ import annotations

import copy
import os
from typing import Any

__all__ = ["annotate", "markdown", "merge_runs", "value_of"]

UNIT_LABEL = {"ms": "ms per call", "us": "us per call", "GFLOP/s": "GFLOP/s", "GB/s": "GB/s"}

_STATUS_TEXT = {"wrong": "WRONG", "unsupported": "unsupported", "error": "error",
                "skipped": "skipped", "unavailable": "n/a"}


def value_of(rec: dict[str, Any], metric: str) -> float | None:
    """The record's figure in ``metric`` units (None when not timed)."""
    if rec.get("status") != "ok":
        return None
    med = rec["timing"]["median_s"]
    if metric == "ms":
        return med * 1e3
    if metric == "us":
        return med * 1e6
    if metric == "GFLOP/s":
        return rec.get("gflops")
    if metric == "GB/s":
        return rec.get("gbs")
    raise ValueError(f"unknown metric {metric!r}")


def _peak_for(result: dict[str, Any], device_class: str) -> float | None:
    meta = result.get("meta", {})
    if device_class == "gpu":
        gpus = meta.get("gpus") or []
        peak = gpus[0].get("peak") if gpus else None
        return peak.get("gflops") if peak else None
    peak = meta.get("cpu_peak")
    return peak.get("gflops") if peak else None


def annotate(result: dict[str, Any]) -> dict[str, Any]:
    """Add derived figures to the records (in place): ``pct_peak`` for GFLOP/s
    suites, ``pct_copy`` for GB/s suites that have a ``copy`` task."""
    classes = {t["name"]: t.get("device_class", "cpu") for t in result["targets"]}
    tasks = {t["name"]: t for t in result["tasks"]}
    if result["metric"] == "GFLOP/s":
        for rec in result["records"]:
            peak = _peak_for(result, classes.get(rec["target"], "cpu"))
            if rec.get("gflops") and peak:
                rec["pct_peak"] = 100.0 * rec["gflops"] / peak
    copy_best: dict[tuple[str, str], float] = {}
    for rec in result["records"]:
        task = tasks.get(rec["task"], {})
        if task.get("params", {}).get("op") == "copy" and rec.get("gbs"):
            key = (classes.get(rec["target"], "cpu"), task.get("group", ""))
            copy_best[key] = max(copy_best.get(key, 0.0), rec["gbs"])
    if copy_best:
        for rec in result["records"]:
            key = (classes.get(rec["target"], "cpu"), tasks.get(rec["task"], {}).get("group", ""))
            if rec.get("gbs") and key in copy_best:
                rec["pct_copy"] = 100.0 * rec["gbs"] / copy_best[key]
        result.setdefault("extra", {})["copy_bandwidth_gbs"] = {
            f"{k[0]} {k[1]}".strip(): v for k, v in copy_best.items()}
    return result


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


class _Notes:
    def __init__(self) -> None:
        self.items: list[str] = []

    def ref(self, text: str) -> str:
        if text not in self.items:
            self.items.append(text)
        return f"[{self.items.index(text) + 1}]"


def _cell(rec: dict[str, Any] | None, base: dict[str, Any] | None, metric: str,
          notes: _Notes) -> str:
    if rec is None:
        return ""
    status = rec.get("status")
    if status != "ok":
        text = _STATUS_TEXT.get(status, status or "?")
        if status == "unavailable":
            return text
        return f"{text} {notes.ref(rec.get('message') or status)}"
    v = value_of(rec, metric)
    t = rec["timing"]
    spread = 100.0 * t["iqr_s"] / t["median_s"] if t["median_s"] else 0.0
    out = f"{_fmt(v)} ±{spread:.0f}%"
    if metric == "us":  # tiny calls: the minimum shows the cost without preemption
        out += f" (min {_fmt(t['min_s'] * 1e6)})"
    if "pct_peak" in rec:
        out += f" ({rec['pct_peak']:.0f}% peak)"
    if "pct_copy" in rec:
        out += f" ({rec['pct_copy']:.0f}% copy)"
    if base is not None and base.get("status") == "ok" and base is not rec:
        if metric == "us":
            out += f" (+{_fmt(v - value_of(base, 'us'))})" if v >= value_of(base, "us") \
                else f" ({_fmt(v - value_of(base, 'us'))})"
        ratio = base["timing"]["median_s"] / t["median_s"]
        out += f" · {ratio:.2f}×"
    elif base is rec:
        out += " · 1×"
    return out


def _machine_lines(result: dict[str, Any]) -> list[str]:
    meta = result.get("meta", {})
    cpu = meta.get("cpu", {})
    lines = [f"- date: {meta.get('date', '?')}; git {str((meta.get('git') or {}).get('commit'))[:10]}"
             f"{' (dirty)' if (meta.get('git') or {}).get('dirty') else ''}; python {meta.get('python')}, "
             f"numpy {meta.get('numpy')}" + ("; **quick mode** (small sizes, few repeats)" if result.get("quick") else "")]
    peak = meta.get("cpu_peak")
    lines.append(f"- CPU: {cpu.get('model')} ({cpu.get('usable_cpus')} usable of {cpu.get('logical_cpus')} "
                 f"logical CPUs, {cpu.get('memory_gib')} GiB)"
                 + (f"; estimated fp32 peak {_fmt(peak['gflops'])} GFLOP/s = {peak['formula']}" if peak else ""))
    for g in meta.get("gpus") or []:
        pk = g.get("peak")
        lines.append(f"- GPU: {g['name']}, driver {g['driver']}, {g['memory']}"
                     + (f"; fp32 peak {_fmt(pk['gflops'])} GFLOP/s, {_fmt(pk['bandwidth_gbs'])} GB/s ({pk['source']})" if pk else ""))
    blas = [b for b in meta.get("blas", []) if b.get("user_api") == "blas"]
    if blas:
        lines.append("- BLAS: " + "; ".join(
            f"{b.get('internal_api')} {b.get('version')} kernel {b.get('architecture')}, "
            f"{b.get('num_threads')} threads ({b.get('file')})" for b in blas))
    if meta.get("threads_limit"):
        lines.append(f"- threads: limited to {meta['threads_limit']} per library (--threads) for every column")
    envs = meta.get("env") or {}
    lines.append("- threading env: " + (", ".join(f"{k}={v}" for k, v in envs.items()) or "none set"))
    load = result.get("load", {})
    s, e = load.get("start", {}), load.get("end", {})
    lines.append(f"- machine load (cores busy with other processes): start {s.get('busy_cores_other')}, "
                 f"end {e.get('busy_cores_other')}; loadavg start {s.get('loadavg')}, end {e.get('loadavg')}")
    if load.get("warning"):
        lines.append(f"- **WARNING: {load['warning']}**")
    return lines


def _reference_columns(result: dict[str, Any]) -> tuple[list[str], dict[str, dict[str, Any]], str | None]:
    ref = result.get("reference_row")
    if not ref:
        return [], {}, None
    rows = ref.get("rows") or {}
    note = None
    if not rows:
        note = f"Paper reference ({ref.get('source', '?')}): not available. {ref.get('note', '')}"
    return list(rows), rows, note


def markdown(result: dict[str, Any]) -> str:
    """The markdown report of one suite result (annotated in place)."""
    annotate(result)
    metric = result["metric"]
    targets = [t["name"] for t in result["targets"]]
    baseline = result.get("baseline")
    recs = {(r["task"], r["target"]): r for r in result["records"]}
    notes = _Notes()
    ref_cols, ref_rows, ref_note = _reference_columns(result)
    header_names = []
    for t in result["targets"]:
        label = t["name"] + (" (baseline)" if t["name"] == baseline else "")
        if not t.get("available", True):
            label += " " + notes.ref(f"{t['name']}: {t.get('reason', 'unavailable')}")
        header_names.append(label)
    lines = [f"## {result['suite']}: {result['description']}", ""]
    lines += _machine_lines(result)
    for run in result.get("compared_runs", []):
        lines.append(f"- run `{run['label']}`: {run['date']}"
                     + (f" — WARNING: {run['load_warning']}" if run.get("load_warning") else ""))
    lines.append("")
    how = (f"Cells: median {UNIT_LABEL[metric]} ±IQR (as % of the median)"
           + ("; (% peak) = share of the device's float32 peak" if metric == "GFLOP/s" else "")
           + ("; (% copy) = share of the best copy bandwidth on the same kind of device" if metric == "GB/s" else "")
           + ("; (min x) = fastest sample, the cost without preemption on a busy machine"
              "; (+x) = median microseconds more than the baseline per call" if metric == "us" else "")
           + f"; · r× = speed relative to `{baseline}` (its time / this time: above 1 is faster). "
           "Every timed result was first checked against the NumPy float64 reference.")
    lines += [how, ""]
    if ref_note:
        lines += [f"> {ref_note}", ""]
    cols = ["task"] + [f"paper: {c} (ms)" for c in ref_cols] + header_names
    lines.append("| " + " | ".join(cols) + " |")
    lines.append("|" + "---|" * len(cols))
    for task in result["tasks"]:
        name = task["name"]
        base = recs.get((name, baseline)) if baseline else None
        row = [name]
        pkey = task.get("params", {}).get("paper_task")
        for c in ref_cols:
            v = ref_rows[c].get(pkey) if pkey else None
            row.append(_fmt(v) if isinstance(v, (int, float)) else "")
        row += [_cell(recs.get((name, t)), base, metric, notes) for t in targets]
        lines.append("| " + " | ".join(row) + " |")
    if notes.items:
        lines.append("")
        lines += [f"[{i + 1}] {text}" for i, text in enumerate(notes.items)]
    lines += _extra_lines(result)
    return "\n".join(lines) + "\n"


def _extra_lines(result: dict[str, Any]) -> list[str]:
    extra = result.get("extra") or {}
    out: list[str] = []
    if "copy_bandwidth_gbs" in extra:
        out += ["", "Copy bandwidth used as 100%: " + ", ".join(
            f"{k}: {_fmt(v)} GB/s" for k, v in extra["copy_bandwidth_gbs"].items())]
    for module in ("nigiri", "numpy"):
        rec = extra.get(f"import_{module}")
        if not rec:
            continue
        if "error" in rec:
            out += ["", f"`import {module}`: failed: {rec['error']}"]
            continue
        line = f"`import {module}` in a fresh interpreter: median {rec['median_s']:.3f} s over {len(rec['samples_s'])} runs"
        if module == "nigiri":
            target = extra.get("import_target_s", 0.3)
            verdict = "meets" if rec["median_s"] < target else "MISSES"
            line += f" ({verdict} the < {target} s target; includes importing NumPy)"
        out += ["", line]
    top = extra.get("import_nigiri_top")
    if top and "error" not in top[0]:
        out += ["", "Slowest modules under `import nigiri` (python -X importtime; self us, "
                "cumulative us): " + ", ".join(f"{r['module']} {r['self_us']:,}/{r['cumulative_us']:,}"
                                               for r in top)]
    return out


def merge_runs(results: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    """One result holding several runs of the same suite side by side: each target
    becomes ``target @ label``; the baseline is the first run's baseline."""
    if not results:
        raise ValueError("merge_runs: no results")
    for r in results:
        annotate(r)
    first = copy.deepcopy(results[0])
    first["targets"], first["records"], tasks = [], [], []
    seen: set[str] = set()
    # columns grouped by target (each run side by side); columns unavailable in a run
    # are left out here (each run's own table lists them with the reason)
    order: list[str] = []
    for res in results:
        order += [t["name"] for t in res["targets"] if t["name"] not in order]
    for base in order:
        for res, label in zip(results, labels):
            for t in res["targets"]:
                if t["name"] == base and t.get("available", True):
                    t = dict(t)
                    t["name"] = f"{t['name']} @ {label}"
                    first["targets"].append(t)
    for res, label in zip(results, labels):
        for r in res["records"]:
            r = dict(r)
            r["target"] = f"{r['target']} @ {label}"
            first["records"].append(r)
        for t in res["tasks"]:
            if t["name"] not in seen:
                seen.add(t["name"])
                tasks.append(t)
    first["tasks"] = tasks
    first["merged"] = True
    first["baseline"] = f"{results[0].get('baseline')} @ {labels[0]}"
    first["description"] += " — runs compared: " + ", ".join(labels)
    first["compared_runs"] = [{"label": lab, "date": r.get("meta", {}).get("date"),
                               "load_warning": r.get("load", {}).get("warning")}
                              for r, lab in zip(results, labels)]
    return first


def run_label(path: str) -> str:
    """A short label for a run folder (its name)."""
    return os.path.basename(os.path.normpath(path))
