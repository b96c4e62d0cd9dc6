"""Command line: ``python -m bench SUITE ...`` and ``python -m bench report DIR...``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["main"]

USAGE = """\
python -m bench SUITE[,SUITE...]|all [--backends numpy,numba,...|all] [--peers [numpy,torch,cupy,tinygrad]]
                                     [--quick] [--out DIR] [--baseline TARGET] [--strict]
python -m bench report DIR [DIR...] [--out DIR]
python -m bench list"""


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", usage=USAGE,
                                description="nigiri backend-comparison benchmarks (bench/README.md)")
    p.add_argument("suite", help="suite name(s), comma-separated, or 'all'")
    p.add_argument("--backends", default="all",
                   help="nigiri backends or devices (numpy,numba,opencl:0,...) or 'all' (default)")
    p.add_argument("--peers", nargs="?", const="all", default=None,
                   help="also run peer libraries in the same process: all (default when the flag "
                        "is given) or a list of numpy,torch,cupy,tinygrad")
    p.add_argument("--quick", action="store_true", help="small sizes and few repeats (tests, CI)")
    p.add_argument("--out", default=None,
                   help="run folder (default bench/results/<device>-<date>)")
    p.add_argument("--baseline", default=None,
                   help="column the ratios are relative to (default: numpy when run, else the first)")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when any result is wrong or raised an error")
    p.add_argument("--threads", type=int, default=None,
                   help="limit BLAS/OpenMP/Numba/PyTorch threads to N for every target "
                        "(recorded; default: each library's own default)")
    p.add_argument("--quiet", action="store_true", help="print only the tables")
    return p


def _report_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench report", usage=USAGE,
                                description="regenerate tables and plots from result JSON; "
                                            "with several folders, compare them side by side")
    p.add_argument("dirs", nargs="+", help="run folders")
    p.add_argument("--out", default=None,
                   help="where a comparison goes (default bench/results/compare-<A>-vs-<B>)")
    return p


_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "BLIS_NUM_THREADS",
                "POCL_CPU_MAX_CU_COUNT", "POCL_MAX_PTHREAD_COUNT")
_limits: list[Any] = []


def _limit_threads_env(n: int) -> None:
    """Thread limits for libraries not loaded yet (this process only)."""
    for var in _THREAD_VARS:
        os.environ[var] = str(n)


def _limit_threads_loaded(n: int) -> None:
    """Thread limits for libraries already loaded (BLAS, OpenMP, PyTorch, Numba)."""
    try:
        import threadpoolctl

        _limits.append(threadpoolctl.threadpool_limits(limits=n))
    except ImportError:
        print("note: threadpoolctl not installed: BLAS loaded before --threads keeps its "
              "thread count", file=sys.stderr)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)
    if "numba" in sys.modules:
        try:
            sys.modules["numba"].set_num_threads(n)
        except ValueError as exc:
            print(f"note: numba.set_num_threads({n}): {exc}", file=sys.stderr)


def run_main(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    from . import env
    from .registry import get_suite, suite_names
    from .results import default_run_dir, save_result, write_index
    from .runner import run_suite
    from .targets import PEERS, nigiri_targets, peer_targets
    from .timer import FULL, QUICK

    if args.threads is not None:
        if args.threads < 1:
            print("error: --threads must be a positive integer", file=sys.stderr)
            return 2
        _limit_threads_env(args.threads)
    names = suite_names() if args.suite == "all" else _split(args.suite)
    try:
        suites = [get_suite(n) for n in names]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        targets = nigiri_targets(_split(args.backends))
    except ValueError as exc:
        print(f"error: --backends: {exc}", file=sys.stderr)
        return 2
    if args.peers is not None:
        peers = list(PEERS) if args.peers == "all" else _split(args.peers)
        try:
            targets += peer_targets(peers)
        except ValueError as exc:
            print(f"error: --peers: {exc}", file=sys.stderr)
            return 2
    if not any(t.available for t in targets):
        print("error: no available target to benchmark:\n" + "\n".join(
            f"  {t.name}: {t.reason}" for t in targets), file=sys.stderr)
        return 2
    names_avail = [t.name for t in targets]
    if args.baseline is not None and args.baseline not in names_avail:
        print(f"error: --baseline {args.baseline!r} is not a column of this run "
              f"({', '.join(names_avail)})", file=sys.stderr)
        return 2
    for t in targets:
        if not t.available:
            print(f"note: {t.name} unavailable: {t.reason}", file=sys.stderr)
    if args.threads is not None:
        _limit_threads_loaded(args.threads)
    meta = env.collect()
    meta["threads_limit"] = args.threads
    if args.threads is not None:
        meta["cpu_peak"] = env.cpu_peak_gflops(meta["cpu"], args.threads)
    meta["gpu_used"] = any(t.available and t.device_class == "gpu" for t in targets)
    folder = args.out or default_run_dir(meta)
    config = QUICK if args.quick else FULL
    bad = 0
    for suite in suites:
        result = run_suite(suite, targets, config, quick=args.quick, baseline=args.baseline,
                           verbose=not args.quiet, meta=meta)
        written = save_result(result, folder)
        bad += sum(r["status"] in ("wrong", "error") for r in result["records"])
        md = [p for p in written if p.endswith(".md")][0]
        with open(md, encoding="utf-8") as fh:
            print("\n" + fh.read())
    index = write_index(folder)
    print(f"results: {os.path.relpath(folder)} (index: {os.path.relpath(index)})")
    if bad:
        print(f"{bad} result(s) were wrong or raised; see the tables' footnotes", file=sys.stderr)
    return 1 if (bad and args.strict) else 0


def report_main(argv: list[str]) -> int:
    args = _report_parser().parse_args(argv)
    from .registry import suite_names
    from .report import merge_runs, run_label
    from .results import RESULTS_ROOT, folder_results, render_folder, render_result, write_text

    try:
        if len(args.dirs) == 1:
            written = render_folder(args.dirs[0])
            print("\n".join(os.path.relpath(p) for p in written))
            return 0
        runs = [folder_results(d) for d in args.dirs]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    labels = [run_label(d) for d in args.dirs]
    if len(set(labels)) != len(labels):
        labels = [f"{i + 1}:{lab}" for i, lab in enumerate(labels)]
    out = args.out or os.path.join(RESULTS_ROOT, "compare-" + "-vs-".join(run_label(d) for d in args.dirs))
    common = [n for n in suite_names() + sorted({r["suite"] for run in runs for r in run})
              if all(any(r["suite"] == n for r in run) for run in runs)]
    common = list(dict.fromkeys(common))
    if not common:
        print("error: the runs have no suite in common", file=sys.stderr)
        return 2
    parts = ["# Comparison: " + " vs ".join(labels), ""]
    for name in common:
        merged = merge_runs([next(r for r in run if r["suite"] == name) for run in runs], labels)
        render_result(merged, out, name)
        with open(os.path.join(out, f"{name}.md"), encoding="utf-8") as fh:
            parts.append(fh.read())
    write_text(os.path.join(out, "index.md"), "\n".join(parts))
    print("\n".join(parts))
    print(f"comparison: {os.path.relpath(out)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        from .registry import suite_names

        print("\nsuites: " + ", ".join(suite_names()))
        return 0 if argv else 2
    if argv[0] == "report":
        return report_main(argv[1:])
    if argv[0] == "list":
        from .registry import get_suite, suite_names

        for n in suite_names():
            print(f"{n:<12} {get_suite(n).description}")
        return 0
    return run_main(argv)


def _entry(*_: Any) -> None:
    raise SystemExit(main())
