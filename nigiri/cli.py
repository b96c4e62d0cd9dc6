"""The ``nigiri`` command: backends, conformance, train, evaluate, summary, data,
worker, bench. It only parses arguments; each subcommand calls a Python API."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from typing import Any

__all__ = ["main"]


def _fmt_bytes(n: Any) -> str:
    if not n:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def cmd_backends(args: argparse.Namespace) -> int:
    """Print every backend: available or why not, devices, capabilities, versions."""
    from . import backends

    records = backends.info()
    if args.json:
        print(json.dumps(records, indent=2, default=str))
        return 0
    for rec in records:
        versions = ", ".join(f"{k} {v}" for k, v in rec["versions"].items())
        if rec["available"]:
            print(f"{rec['backend']}: available ({versions})")
            for d in rec["devices"]:
                caps = d["capabilities"]
                flags = [k for k in ("float64", "float16", "complex", "fuse") if caps.get(k)]
                extra = []
                if caps.get("host_linalg"):
                    extra.append("linalg via host")
                if caps.get("unsupported"):
                    extra.append("unsupported: " + ", ".join(caps["unsupported"]))
                name = d.get("name", "")
                kind = d.get("kind", "")
                platform = f" [{d['platform']}]" if d.get("platform") else ""
                print(f"  {d['device']:<10} {kind:<4} {name}{platform}")
                print(f"             dtypes+: {', '.join(flags) or 'none'}; memory "
                      f"{_fmt_bytes(caps.get('memory_bytes'))}, max buffer "
                      f"{_fmt_bytes(caps.get('max_buffer_bytes'))}"
                      + (f"; {'; '.join(extra)}" if extra else ""))
        else:
            print(f"{rec['backend']}: unavailable - {rec['reason']}")
    return 0


def _forward(module: str, argv: list[str]) -> int:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        print(f"nigiri: {module} is not available: {exc}", file=sys.stderr)
        return 2
    return int(mod.main(argv) or 0)


def cmd_bench(argv: list[str]) -> int:
    """Forward to ``python -m bench`` when run from a checkout."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isdir(os.path.join(root, "bench")):
        print("nigiri bench: the benchmark suite lives in the source checkout "
              "(bench/); run it from a clone of the repository", file=sys.stderr)
        return 2
    return subprocess.call([sys.executable, "-m", "bench", *argv], cwd=root)


_FORWARDED = {
    "conformance": "nigiri.conformance.cli",
    "worker": "nigiri.distributed.cli",
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nigiri`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _FORWARDED:
        return _forward(_FORWARDED[argv[0]], argv[1:])
    if argv and argv[0] == "bench":
        return cmd_bench(argv[1:])
    parser = argparse.ArgumentParser(prog="nigiri", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("backends", help="list backends, devices and capabilities")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_backends)
    sub.add_parser("conformance", help="run the conformance suite (see --help)")
    sub.add_parser("bench", help="run benchmarks from a checkout (python -m bench)")
    try:
        nn_cli = importlib.import_module("nigiri.nn.cli")
    except ImportError:
        nn_cli = None
    if nn_cli is not None:
        nn_cli.add_subcommands(sub)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed subcommand: its exit status; 130 on Ctrl-C; a one-line error and 2
    on bad input (no traceback)."""
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, TypeError, FileNotFoundError, RuntimeError) as exc:
        print(f"nigiri {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
