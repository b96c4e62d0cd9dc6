"""Random numbers: the same seed gives the same stream on every backend.

Integers, uniforms, permutations and Bernoulli draws are compared bit for bit with
the reference; normals (Box-Muller: log, sqrt, cos/sin, multiply) within the
``special`` class bound (16 ulp). Moment cases check the backend's own samples:
the mean and variance of 200,000 draws within 6 standard errors of their exact values
(a correct generator fails this with probability below 1e-8; the seed is fixed, so
the verdict is deterministic).
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from ..case import Case
from ..tolerance import Verdict, ulps_for_class
from ._util import mk

__all__ = ["cases"]

G = "random"
_RNG = "ng.random.default_rng({seed}, device=device)"


def moments_check(dist: str, n: int) -> Any:
    """A ``check`` on the backend's sample: mean and variance within 6 standard errors."""
    mean, var, var4 = {
        "normal": (0.0, 1.0, 3.0),          # E[(x-m)^4] = 3 for N(0,1)
        "uniform": (0.5, 1 / 12, 1 / 80),   # E[(U-1/2)^4] = 1/80
    }[dist]

    def check(got: Any, ref: Any, hosts: list) -> Verdict:
        if got[0] != "array" or got[1] != ref[1] or got[2] != ref[2]:
            return Verdict(False, message=f"result {got[1]}{got[2]} (expected {ref[1]}{ref[2]})")
        x = got[3].astype(np.float64).reshape(-1)
        if not np.all(np.isfinite(x)):
            return Verdict(False, message="non-finite samples")
        m, v = float(x.mean()), float(x.var())
        se_m = math.sqrt(var / n)
        se_v = math.sqrt((var4 - var * var) / n)
        zm, zv = abs(m - mean) / se_m, abs(v - var) / se_v
        worst = max(zm, zv) / 6.0
        if worst > 1.0:
            return Verdict(False, worst, "bound", f"{dist} sample mean {m:.5g} (z={zm:.1f}), "
                           f"variance {v:.5g} (z={zv:.1f}); limit 6 standard errors")
        return Verdict(True, worst, "bound")

    return check


def cases() -> Iterator[Case]:
    g = _RNG.format(seed=20240607)
    exact = [
        ("integers", "int64-small", f"{g}.integers(0, 1000, size=(4, 250))", True),
        ("integers", "int64-full", f"{g}.integers(-2**63, 2**63 - 1, size=300, endpoint=True)", False),
        ("integers", "int8", f"{g}.integers(-128, 128, size=300, dtype=ng.int8)", False),
        ("integers", "uint64", f"{g}.integers(0, 2**64 - 1, size=300, dtype=ng.uint64)", False),
        ("integers", "uint32-odd-range", f"{g}.integers(7, 1000003, size=301, dtype=ng.uint32)", False),
        ("random", "float32", f"{g}.random(1001)", True),
        ("random", "float64", f"{g}.random((3, 333), dtype=ng.float64)", False),
        ("uniform", "float32", f"{g}.uniform(-2.0, 3.0, size=999)", True),
        ("uniform", "float64", f"{g}.uniform(-1.0, 1.0, size=64, dtype=ng.float64)", False),
        ("permutation", "int", f"{g}.permutation(257)", True),
        ("permutation", "array", f"{g}.permutation(ng.arange(40, device=device) * 3)", False),
        ("bernoulli", "bool", f"{g}.bernoulli(0.3, size=500)", True),
        ("bernoulli", "float32", f"{g}.bernoulli(0.7, size=(10, 10), dtype=ng.float32)", False),
        ("integers", "stream-continues",
         f"rng = {g}\na = rng.integers(0, 100, size=7)\nb = rng.random(5)\nc = rng.integers(0, 9, size=3)\n"
         "out = (a, b, c)", False),
        ("integers", "state-restore",
         f"rng = {g}\ns = rng.state()\na = rng.random(9)\nrng.set_state(s)\nout = (a, rng.random(9))", False),
    ]
    for op, label, code, quick in exact:
        dts = (np.dtype("float64"),) if "float64" in code else ()
        yield mk(f"{op}[{label}]", op, G, (), code, quick=quick, dtypes=dts)
    normal = ulps_for_class("special")
    yield mk("normal[float32]", "normal", G, (), f"{g}.normal(size=1001)", tol=normal, quick=True)
    yield mk("normal[float64]", "normal", G, (), f"{g}.normal(0.5, 2.0, size=(7, 9), dtype=ng.float64)",
             tol=normal, dtypes=(np.dtype("float64"),))
    n = 200_000
    yield mk("normal[moments]", "normal", G, (), f"{_RNG.format(seed=99)}.normal(size={n})",
             check=moments_check("normal", n))
    yield mk("uniform[moments]", "uniform", G, (), f"{_RNG.format(seed=98)}.random({n})",
             check=moments_check("uniform", n))
    yield mk("integers[bad-range]", "integers", G, (), f"{g}.integers(5, 5)", raises=ValueError)
    yield mk("normal[int-dtype]", "normal", G, (), f"{g}.normal(size=3, dtype=ng.int32)", raises=TypeError)
