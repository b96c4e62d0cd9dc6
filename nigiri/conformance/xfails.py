"""Known failures: ``nigiri/conformance/xfail/<backend>.txt`` (package data).

One entry per line: ``case-id  # reason``. The case id may use shell wildcards
``*`` and ``?`` (``sin[float16,*]``; brackets are literal); every case it matches is expected to fail, and one that passes
is reported as ``xpass``, an error, so the lists only shrink. Blank lines and lines
starting with ``#`` are ignored. An entry without a reason is rejected: every known
failure must say why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["XfailEntry", "load", "parse", "match"]


@dataclass(frozen=True)
class XfailEntry:
    pattern: str
    reason: str
    line: int
    source: str


def parse(text: str, source: str) -> list[XfailEntry]:
    """Parse the text of an xfail list; ``ValueError`` names the file and line."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, sep, reason = line.partition("#")
        pattern, reason = pattern.strip(), reason.strip()
        if not sep or not reason:
            raise ValueError(f"{source}:{n}: an xfail entry needs a reason: 'case-id  # reason'")
        if not pattern or any(c.isspace() for c in pattern):
            raise ValueError(f"{source}:{n}: malformed case id {pattern!r}")
        out.append(XfailEntry(pattern, reason, n, source))
    return out


def load(family: str, extra: str | Path | None = None) -> list[XfailEntry]:
    """The packaged list for backend ``family`` (empty when none) plus ``extra``."""
    entries: list[XfailEntry] = []
    res = resources.files("nigiri.conformance").joinpath("xfail", f"{family}.txt")
    if res.is_file():
        entries += parse(res.read_text(encoding="utf-8"), f"xfail/{family}.txt")
    if extra is not None:
        p = Path(extra)
        entries += parse(p.read_text(encoding="utf-8"), str(p))
    return entries


def match(case_id: str, entries: list[XfailEntry]) -> XfailEntry | None:
    """The first entry whose pattern matches ``case_id`` (exactly or by wildcard)."""
    for e in entries:
        if e.pattern == case_id or _regex(e.pattern).fullmatch(case_id):
            return e
    return None


_regexes: dict[str, re.Pattern] = {}


def _regex(pattern: str) -> re.Pattern:
    rx = _regexes.get(pattern)
    if rx is None:
        body = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
        rx = _regexes[pattern] = re.compile(body)
    return rx
