"""``nigiri conformance`` / ``python -m nigiri.conformance``: run the suite, print the
ops x backends table and a summary, optionally write JSON; non-zero exit status when
anything unexpected fails (a failure, a broken case, or a known failure that passed)
or when a backend named explicitly is unavailable."""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nigiri conformance",
        description="Check that backends agree with the numpy reference.",
    )
    p.add_argument("--backend", default="all",
                   help="NAME, NAME:INDEX, a comma-separated list, or 'all' (default: all)")
    p.add_argument("--quick", action="store_true",
                   help="the quick probe tier (all primitives at a few shapes)")
    p.add_argument("--max-examples", type=int, default=100, metavar="N",
                   help="Hypothesis examples per op in the full tier (default 100; 0 skips them)")
    p.add_argument("--json", metavar="FILE", help="write every result, with reproducers, to FILE")
    p.add_argument("--case", metavar="REGEX", help="only cases whose id matches REGEX")
    p.add_argument("--xfail", metavar="FILE", help="an extra known-failure list")
    p.add_argument("--seed", type=int, default=None, help="Hypothesis seed (default fixed)")
    p.add_argument("--no-layers", action="store_true", help="skip the nn layer cases")
    p.add_argument("--problems-only", action="store_true",
                   help="table rows only for ops that are not a clean pass")
    p.add_argument("--plain", action="store_true", help="plain-text table even if rich is installed")
    p.add_argument("--list", action="store_true",
                   help="print the ids of the cases the tier would run (after --case) and exit")
    return p


def _progress(spec: str):
    """A one-line live counter on stderr (terminals only)."""
    state = {"n": 0, "bad": 0, "t": 0.0}

    def show(res) -> None:
        state["n"] += 1
        state["bad"] += res.status in ("fail", "error")
        now = time.perf_counter()
        if now - state["t"] > 0.2:
            state["t"] = now
            print(f"\r  {spec}: {state['n']} results, {state['bad']} failing, at {res.case_id[:40]:40}",
                  end="", file=sys.stderr, flush=True)

    return show


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0: everything as expected)."""
    args = build_parser().parse_args(argv)
    if args.max_examples < 0:
        print("nigiri conformance: --max-examples must be >= 0", file=sys.stderr)
        return 2
    from . import report, runner

    try:
        specs = runner.resolve_specs(args.backend)
    except Exception as exc:
        print(f"nigiri conformance: {exc}", file=sys.stderr)
        return 2
    if not specs:
        print("nigiri conformance: --backend names no backend", file=sys.stderr)
        return 2
    if args.list:
        import re

        try:
            rx = re.compile(args.case) if args.case else None
        except re.error as exc:
            print(f"nigiri conformance: bad --case regex: {exc}", file=sys.stderr)
            return 2
        tier = "quick" if args.quick else "full"
        for c in runner.collect():
            if tier in c.tiers and (rx is None or rx.search(c.id)):
                print(c.id)
        return 0
    explicit = args.backend.strip() != "all"
    reports = []
    t0 = time.perf_counter()
    for spec, reason in specs:
        if reason is not None:
            reports.append(runner.BackendReport(spec, available=False, reason=reason))
            continue
        print(f"running {'quick' if args.quick else 'full'} tier on {spec} ...",
              file=sys.stderr, flush=True)
        try:
            rep = runner.run_backend(spec, quick=args.quick, max_examples=args.max_examples,
                                     pattern=args.case, xfail_file=args.xfail,
                                     layers=not args.no_layers, seed=args.seed,
                                     progress=_progress(spec) if sys.stderr.isatty() else None)
        except ValueError as exc:  # an unknown backend name, a bad regex
            print(f"nigiri conformance: {exc}", file=sys.stderr)
            return 2
        if sys.stderr.isatty():
            print("\r" + " " * 100 + "\r", end="", file=sys.stderr)
        reports.append(rep)
    report.render(reports, sys.stdout, use_rich=False if args.plain else None,
                  only_problems=args.problems_only)
    print(f"total {time.perf_counter() - t0:.1f} s")
    if args.json:
        report.write_json(reports, args.json, list(argv) if argv is not None else sys.argv[1:])
        print(f"wrote {args.json}")
    failed = any(r.available and not r.ok for r in reports)
    missing = explicit and any(not r.available for r in reports)
    return 1 if failed or missing else 0
