"""Result folders: ``bench/results/<device>-<date>/`` with, per suite, ``<suite>.json``
(everything measured, raw samples included), ``<suite>.md`` and PNG plots, and an
``index.md`` joining the suites' tables. Files are written atomically."""

from __future__ import annotations

import datetime as _dt
import glob
import json
import os
import tempfile
from typing import Any

from . import env
from .plots import matplotlib_missing, plot_result
from .report import markdown

__all__ = ["RESULTS_ROOT", "default_run_dir", "write_text", "save_result", "load_result",
           "render_folder", "write_index"]

RESULTS_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def default_run_dir(meta: dict[str, Any]) -> str:
    """``bench/results/<device>-<YYYYMMDD-HHMM>`` (UTC)."""
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M")
    return os.path.join(RESULTS_ROOT, f"{env.device_label(meta)}-{stamp}")


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file, then rename)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_result(result: dict[str, Any], folder: str) -> list[str]:
    """Write the suite's JSON, markdown and plots into ``folder``; returns the paths."""
    name = result["suite"]
    json_path = os.path.join(folder, f"{name}.json")
    write_text(json_path, json.dumps(result, indent=1, default=str) + "\n")
    written = [json_path]
    written += render_result(result, folder)
    return written


def render_result(result: dict[str, Any], folder: str, stem: str | None = None) -> list[str]:
    """Markdown and plots for one result (JSON untouched)."""
    stem = stem or result["suite"]
    md_path = os.path.join(folder, f"{stem}.md")
    write_text(md_path, markdown(result))
    written = [md_path]
    missing = matplotlib_missing()
    if missing is None:
        written += plot_result(result, folder, stem)
    return written


def load_result(path: str) -> dict[str, Any]:
    """Read one suite JSON, with a clear error for anything else."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    for key in ("suite", "metric", "targets", "tasks", "records"):
        if not isinstance(data, dict) or key not in data:
            raise ValueError(f"{path}: not a bench result (missing {key!r})")
    return data


def folder_results(folder: str) -> list[dict[str, Any]]:
    """Every suite result in a run folder, in file-name order."""
    if not os.path.isdir(folder):
        raise ValueError(f"{folder}: not a folder")
    paths = sorted(glob.glob(os.path.join(folder, "*.json")))
    if not paths:
        raise ValueError(f"{folder}: no result JSON in this folder")
    return [load_result(p) for p in paths]


def write_index(folder: str) -> str:
    """``index.md``: every suite's table in the folder, in the suites' order."""
    from .registry import suite_names

    results = folder_results(folder)
    order = {n: i for i, n in enumerate(suite_names())}
    results.sort(key=lambda r: order.get(r["suite"], len(order)))
    parts = [f"# Benchmark results: {os.path.basename(os.path.normpath(folder))}", "",
             "Regenerate with `python -m bench report " + os.path.relpath(folder) + "`.", ""]
    for r in results:
        parts.append(markdown(r))
        for png in (f"{r['suite']}.png", f"{r['suite']}-throughput.png"):
            if os.path.exists(os.path.join(folder, png)):
                parts.append(f"![{r['suite']}]({png})\n")
    path = os.path.join(folder, "index.md")
    write_text(path, "\n".join(parts))
    return path


def render_folder(folder: str) -> list[str]:
    """Regenerate markdown, plots and the index of a run folder from its JSON."""
    written: list[str] = []
    for r in folder_results(folder):
        written += render_result(r, folder)
    written.append(write_index(folder))
    return written
