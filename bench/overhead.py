"""Issue 3's overhead measurement as a script: per-call overhead of ``ng.add``,
``ng.log`` and ``ng.matmul`` on 100-element float32 arrays versus NumPy called
directly, and ``import nigiri`` time. Targets: <= 3 us per call over NumPy, import
under 0.3 s.

    python bench/overhead.py [--backends numpy] [--quick] [--out DIR]

It runs the ``overhead`` suite (``python -m bench overhead --peers numpy``), writes the
usual results folder, then prints one verdict line per target figure.
"""

from __future__ import annotations

import json
import os
import sys

if __package__ in (None, ""):  # run as a file: make the repository root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def verdicts(result: dict) -> list[str]:
    """One line per nigiri target and task: overhead over NumPy against 3 us, and the
    import time against 0.3 s."""
    extra = result.get("extra", {})
    limit = extra.get("call_target_us", 3.0)
    recs = {(r["task"], r["target"]): r for r in result["records"]}
    lines = []
    for task in result["tasks"]:
        base = recs.get((task["name"], "numpy"))
        for t in result["targets"]:
            rec = recs.get((task["name"], t["name"]))
            if t["kind"] != "nigiri" or rec is None:
                continue
            if rec["status"] != "ok" or base is None or base["status"] != "ok":
                lines.append(f"{task['name']:<22} {t['name']:<12} not measured ({rec['status']})")
                continue
            over = (rec["timing"]["median_s"] - base["timing"]["median_s"]) * 1e6
            over_min = (rec["timing"]["min_s"] - base["timing"]["min_s"]) * 1e6
            verdict = "ok" if over <= limit else "MISSES"
            lines.append(f"{task['name']:<22} {t['name']:<12} {rec['timing']['median_s'] * 1e6:7.2f} us "
                         f"= numpy {base['timing']['median_s'] * 1e6:6.2f} us + {over:6.2f} us "
                         f"({verdict}: target <= {limit} us; fastest samples: +{over_min:.2f} us)")
    imp = extra.get("import_nigiri", {})
    if "median_s" in imp:
        target = extra.get("import_target_s", 0.3)
        lines.append(f"import nigiri: {imp['median_s']:.3f} s "
                     f"({'ok' if imp['median_s'] < target else 'MISSES'}: target < {target} s)")
    return lines


def main(argv: list[str] | None = None) -> int:
    from bench.cli import main as bench_main

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--backends" not in argv:
        argv += ["--backends", "numpy"]
    if "--out" not in argv:
        from bench import env
        from bench.results import default_run_dir

        meta = env.collect()
        argv += ["--out", default_run_dir(meta)]
    out = argv[argv.index("--out") + 1]
    rc = bench_main(["overhead", "--peers", "numpy", *argv])
    if rc != 0:
        return rc
    with open(os.path.join(out, "overhead.json"), encoding="utf-8") as fh:
        result = json.load(fh)
    print("\n".join(verdicts(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
