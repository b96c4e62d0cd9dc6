"""Rendering of conformance reports: the ops x backends table, summaries, JSON."""

from __future__ import annotations

import datetime
import json
import os
import platform
import tempfile
from typing import Any, TextIO

from .case import UNEXPECTED, Result
from .runner import BackendReport

__all__ = ["op_cells", "render", "summary_line", "write_json", "failure_details"]


def _fmt_worst(results: list[Result]) -> str:
    worst: dict[str, float] = {}
    for r in results:
        if r.worst is None or not r.unit or r.unit == "mismatches":
            continue
        worst[r.unit] = max(worst.get(r.unit, 0.0), r.worst)
    parts = []
    if "ulp" in worst:
        parts.append(f"{worst['ulp']:.3g} ulp")
    if "bound" in worst:
        parts.append(f"{worst['bound']:.2g} bnd")
    return ", ".join(parts)


def op_cells(report: BackendReport) -> dict[str, tuple[str, str]]:
    """Per op: (status, cell text). Status is the most severe of its cases."""
    by_op: dict[str, list[Result]] = {}
    for r in report.results:
        by_op.setdefault(r.op, []).append(r)
    out = {}
    for op, rs in by_op.items():
        bad = [r for r in rs if r.status in UNEXPECTED]
        ran = [r for r in rs if r.status != "skip"]
        worst = _fmt_worst([r for r in rs if r.status == "pass"])
        if bad:
            kinds = sorted({r.status for r in bad})
            out[op] = ("fail", f"FAIL {len(bad)}/{len(ran)} ({'/'.join(kinds)})")
        elif any(r.status == "xfail" for r in rs):
            n = sum(r.status == "xfail" for r in rs)
            out[op] = ("xfail", f"xfail {n}/{len(ran)}" + (f"; {worst}" if worst else ""))
        elif not ran:
            out[op] = ("skip", f"skipped ({rs[0].message})")
        else:
            nskip = len(rs) - len(ran)
            text = f"pass {len(ran)}" + (f" ({worst})" if worst else "")
            if nskip:
                text += f", {nskip} skipped"
            out[op] = ("pass", text)
    return out


def summary_line(report: BackendReport) -> str:
    """One line per device: counts and seconds per tier."""
    if not report.available:
        return f"{report.spec}: unavailable ({report.reason})"
    c = report.counts()
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items() if k != "total")
    status = "OK" if report.ok else "FAILED"
    return (f"{report.device}: {status}: {c['run']} run, {c['pass']} passed, "
            f"{c['fail'] + c['error']} failed, {c['xfail']} xfailed, {c['xpass']} xpassed, "
            f"{c['skip']} skipped in {report.seconds.get('total', 0.0):.1f} s ({secs})")


def failure_details(reports: list[BackendReport], limit: int = 20) -> list[str]:
    """Blocks describing unexpected results, each with its reproducer."""
    out = []
    for rep in reports:
        bad = rep.unexpected()
        for r in bad[:limit]:
            block = [f"--- {r.status.upper()}: {r.case_id} on {r.backend} (op {r.op})",
                     r.message.rstrip()]
            if r.reproducer:
                block += ["reproducer:", r.reproducer]
            out.append("\n".join(block))
        if len(bad) > limit:
            out.append(f"... and {len(bad) - limit} more unexpected results on "
                       f"{rep.device} (write them all with --json FILE)")
    return out


def _rows(reports: list[BackendReport]) -> tuple[list[str], list[str], dict]:
    cols = [r.device or r.spec for r in reports if r.available]
    cells = {r.device or r.spec: op_cells(r) for r in reports if r.available}
    ops: list[str] = []
    for r in reports:
        for res in r.results:
            if res.op not in ops:
                ops.append(res.op)
    return ops, cols, cells


def render(reports: list[BackendReport], stream: TextIO, *, use_rich: bool | None = None,
           only_problems: bool = False) -> None:
    """Print the ops x backends table, unavailable backends, failures, summaries."""
    ops, cols, cells = _rows(reports)
    if only_problems:
        ops = [op for op in ops if any(cells[c].get(op, ("pass",))[0] != "pass" for c in cols)]
        if not ops and cols:
            stream.write(f"no problems: every op passed on {', '.join(cols)}\n")
            cols = []
    rich_console = None
    if use_rich is not False:
        try:
            from rich.console import Console
            from rich.table import Table

            rich_console = Console(file=stream, width=max(100, 30 + 34 * len(cols)))
        except ImportError:
            rich_console = None
    if rich_console is not None and cols:
        table = Table(title="nigiri conformance", show_lines=False)
        table.add_column("op")
        for c in cols:
            table.add_column(c)
        style = {"pass": "green", "fail": "bold red", "xfail": "yellow", "skip": "dim"}
        for op in ops:
            row = [op]
            for c in cols:
                st, text = cells[c].get(op, ("skip", "-"))
                row.append(f"[{style[st]}]{text}[/]")
            table.add_row(*row)
        rich_console.print(table)
    elif cols:
        width = max([len(op) for op in ops] + [2]) + 2
        colw = [max([len(c)] + [len(cells[c].get(op, ("", "-"))[1]) for op in ops]) + 2 for c in cols]
        stream.write("op".ljust(width) + "".join(c.ljust(w) for c, w in zip(cols, colw)) + "\n")
        for op in ops:
            stream.write(op.ljust(width) + "".join(
                cells[c].get(op, ("", "-"))[1].ljust(w) for c, w in zip(cols, colw)) + "\n")
    for block in failure_details(reports):
        stream.write("\n" + block + "\n")
    for rep in reports:
        if rep.unused_xfails and "hypothesis" in rep.seconds:  # full tier only
            stream.write(f"note: xfail entries for {rep.device} that matched no case: "
                         f"{'; '.join(rep.unused_xfails)}\n")
    stream.write("\n")
    for rep in reports:
        stream.write(summary_line(rep) + "\n")


def write_json(reports: list[BackendReport], path: str, argv: list[str] | None = None) -> None:
    """Write the full report (every result, with reproducers) atomically to ``path``."""
    import nigiri

    doc: dict[str, Any] = {
        "tool": "nigiri conformance", "nigiri": nigiri.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(), "python": platform.python_version(),
        "argv": argv or [], "backends": [r.as_dict() for r in reports],
    }
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".conformance-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, default=str)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
