"""PNG plots of a suite result (matplotlib, Agg backend).

- ``bars``: grouped bars per task, one bar per target that was timed, IQR as error
  bars; time metrics on a log axis, throughput on a linear one.
- ``gemm``: GFLOP/s against matrix size for the square GEMMs, one line per target,
  with each device's float32 peak as a dashed line where it is known.
"""

from __future__ import annotations

import os
from typing import Any

from .report import UNIT_LABEL, annotate, value_of

__all__ = ["plot_result", "matplotlib_missing"]


def matplotlib_missing() -> str | None:
    """None when matplotlib can be imported, else the reason."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        return f"matplotlib not installed ({exc}); plots skipped (pip install matplotlib)"
    return None


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _bounds(rec: dict[str, Any], metric: str) -> tuple[float, float]:
    """(low, high) error-bar extents from the quartiles, in metric units."""
    t = rec["timing"]
    v = value_of(rec, metric)
    if metric in ("ms", "us"):
        scale = 1e3 if metric == "ms" else 1e6
        return v - t["q1_s"] * scale, t["q3_s"] * scale - v
    # throughput: q1 time gives the high throughput and q3 the low one
    return v - v * t["median_s"] / t["q3_s"], v * t["median_s"] / t["q1_s"] - v


def plot_bars(result: dict[str, Any], path: str) -> str | None:
    plt = _pyplot()
    metric = result["metric"]
    recs = {(r["task"], r["target"]): r for r in result["records"]}
    tasks = [t["name"] for t in result["tasks"]]
    targets = [t["name"] for t in result["targets"]
               if any(recs.get((task, t["name"]), {}).get("status") == "ok" for task in tasks)]
    if not targets:
        return None
    width = 0.8 / len(targets)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(tasks) + 2), 4.5))
    for i, target in enumerate(targets):
        xs, ys, lo, hi = [], [], [], []
        for j, task in enumerate(tasks):
            rec = recs.get((task, target))
            if rec and rec.get("status") == "ok":
                xs.append(j - 0.4 + width * (i + 0.5))
                ys.append(value_of(rec, metric))
                a, b = _bounds(rec, metric)
                lo.append(max(a, 0.0))
                hi.append(max(b, 0.0))
        ax.bar(xs, ys, width, yerr=[lo, hi], label=target, capsize=2)
    ax.set_xticks(range(len(tasks)))
    ax.set_xticklabels(tasks, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(UNIT_LABEL[metric] + (" (lower is better)" if metric in ("ms", "us") else " (higher is better)"))
    if metric in ("ms", "us"):
        ax.set_yscale("log")
    meta = result.get("meta", {})
    ax.set_title(f"{result['suite']}: {result['description']}\n{meta.get('date', '')[:10]}, "
                 f"{meta.get('cpu', {}).get('model', '')}", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_gemm(result: dict[str, Any], path: str) -> str | None:
    plt = _pyplot()
    annotate(result)
    tasks = [t for t in result["tasks"] if t.get("group") == "square"]
    if not tasks:
        return None
    recs = {(r["task"], r["target"]): r for r in result["records"]}
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawn = False
    for t in result["targets"]:
        pts = [(task["params"]["m"], recs[(task["name"], t["name"])]["gflops"]) for task in tasks
               if recs.get((task["name"], t["name"]), {}).get("status") == "ok"]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=t["name"])
            drawn = True
    if not drawn:
        plt.close(fig)
        return None
    meta = result.get("meta", {})
    peak = meta.get("cpu_peak")
    classes = {t.get("device_class") for t in result["targets"] if t.get("available", True)}
    if peak and "cpu" in classes:
        ax.axhline(peak["gflops"], linestyle="--", color="gray",
                   label=f"CPU fp32 peak (estimated) {peak['gflops']:.0f}")
    gpus = meta.get("gpus") or []
    if gpus and gpus[0].get("peak") and "gpu" in classes:
        ax.axhline(gpus[0]["peak"]["gflops"], linestyle="--", color="black",
                   label=f"{gpus[0]['name']} fp32 peak {gpus[0]['peak']['gflops']:.0f}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("square matrix size n (n x n @ n x n, float32)")
    ax.set_ylabel("GFLOP/s (higher is better)")
    ax.set_title(f"GEMM throughput vs size — {meta.get('date', '')[:10]}", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_result(result: dict[str, Any], folder: str, stem: str | None = None) -> list[str]:
    """Draw the suite's plots into ``folder``; returns the files written."""
    stem = stem or result["suite"]
    written: list[str] = []
    if "bars" in result.get("plots", ["bars"]):
        p = plot_bars(result, os.path.join(folder, f"{stem}.png"))
        if p:
            written.append(p)
    if "gemm" in result.get("plots", []):
        p = plot_gemm(result, os.path.join(folder, f"{stem}-throughput.png"))
        if p:
            written.append(p)
    return written
