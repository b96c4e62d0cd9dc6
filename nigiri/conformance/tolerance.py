"""The tolerance model of the conformance suite, written down in one place.

Every comparison of a backend's result with the numpy reference goes through
``compare(got, ref, tol)``; each case names one of the tolerances below. The rules
(DESIGN section 5):

* **Exact** -- integer, bool, indexing, sorting, sets and data-movement ops (copy,
  views, reshape, concat, gather/scatter, casts between integer types, comparisons,
  rounding functions). Values must be identical; NaN equals NaN (the sign and payload
  of a NaN are not compared); the sign of a zero *is* compared (``-0.0 != 0.0``)
  because IEEE 754 defines it for every op of this class.
* **Ulp(n)** -- elementwise floating ops. The distance between ``got`` and ``ref`` is
  counted in units in the last place: the number of representable values of the
  result dtype between them (so the bound holds the same near zero, for subnormals and
  at every binade). ``n`` comes from the op table's tolerance class
  (``nigiri.arrays.optable.TOLERANCE_ULPS``): basic (+ - * casts) 1, div (/ sqrt
  hypot floor_divide remainder) 3, transcendental (exp log trig tanh ...) 4, special
  (pow atan2 erf lgamma ...) 16. NaN must meet NaN and an infinity the same infinity.
  The sign of zero is compared for the exact, basic and div classes (IEEE defines it
  there) and not for transcendental/special functions, whose signed-zero results are
  only a recommendation (C99 Annex F). Complex results are compared norm-wise:
  ``|got - ref|`` in units of the spacing of ``|ref|`` in the real dtype, because the
  component-wise error of e.g. a complex product is unbounded under cancellation;
  the bound for complex results is 4x the class bound (a complex product is four real
  products and two sums: its norm-wise error is up to sqrt(5) eps, i.e. ~2.2 in
  these units, before the reference's own rounding; division and the complex
  transcendental functions compose more real operations). Complex values with an
  infinite part are compared part by part (infinities exactly, the other part within
  the bound), since their magnitude carries no information about the finite part.
* **Bound(scale)** -- reductions, scans, matmul and everything built on them (mean,
  var, linalg): ``|got - ref| <= scale`` element by element, with ``scale`` computed
  from the inputs by ``sum_bound``: ``c * eps * sqrt(n) * sum|x_i|`` for random data
  (c = 4: the probabilistic bound of pairwise/blocked summation, for both sides'
  errors together) and ``n * eps * sum|x_i|`` (the worst-case bound of any summation
  order) for adversarial Hypothesis data. ``n`` is the reduction length and
  ``sum|x_i|`` the sum of absolute values of the reduced terms (for matmul
  ``|A| @ |B|``; for a product, the product of absolute values). Never a flat rtol.

The worst error of a case is reported in the unit of its tolerance: ULP for Ulp
(and Exact on floats), "bound" (fraction of the allowed error, 1.0 = at the limit)
for Bound, and the number of mismatching elements for Exact on integers/bools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Exact", "Ulp", "Bound", "Tolerance", "Verdict", "compare", "ulp_distance",
    "sum_bound", "matmul_bound", "ulps_for_class", "EXACT",
]


@dataclass(frozen=True)
class Exact:
    """Identical values (NaN == NaN; signed zeros compared)."""

    signed_zero: bool = True

    def describe(self) -> str:
        return "exact"


@dataclass(frozen=True)
class Ulp:
    """At most ``n`` units in the last place of the result dtype (``complex_n`` for
    complex results, measured norm-wise; default ``4 * n``)."""

    n: int
    signed_zero: bool = True
    complex_n: int | None = None

    def describe(self) -> str:
        return f"<= {self.n} ulp"

    def bound_for(self, dtype: Any) -> int:
        if np.dtype(dtype).kind == "c":
            return self.complex_n if self.complex_n is not None else 4 * self.n
        return self.n


@dataclass(frozen=True)
class Bound:
    """``|got - ref| <= scale`` elementwise; ``scale`` broadcasts to the result."""

    scale: Any
    what: str = "bound"

    def describe(self) -> str:
        return self.what


Tolerance = Exact | Ulp | Bound
EXACT = Exact()


def ulps_for_class(tol_class: str) -> Tolerance:
    """The tolerance of an op-table tolerance class."""
    from ..arrays.optable import TOLERANCE_ULPS

    n = TOLERANCE_ULPS[tol_class]
    if n == 0:
        return EXACT
    return Ulp(n, signed_zero=tol_class in ("basic", "div"))


@dataclass
class Verdict:
    """The outcome of one comparison: ok, the worst error and its unit, a message."""

    ok: bool
    worst: float = 0.0
    unit: str = ""
    message: str = ""


def _real_of(dtype: np.dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind == "c":
        return np.dtype(np.float32) if dt.itemsize == 8 else np.dtype(np.float64)
    return dt


def sum_bound(abs_sum: Any, n: int, dtype: Any, *, c: float = 4.0,
              adversarial: bool = False) -> Bound:
    """The reduction bound: ``c*eps*sqrt(n)*abs_sum`` (random data) or
    ``n*eps*abs_sum`` (adversarial data); ``eps`` of ``dtype`` (its real part)."""
    eps = float(np.finfo(_real_of(dtype)).eps)
    n = max(int(n), 1)
    factor = n * eps if adversarial else c * eps * np.sqrt(n)
    what = f"{'n' if adversarial else f'{c:g}*sqrt(n)'}*eps*sum|x|"
    return Bound(np.asarray(abs_sum, dtype=np.float64) * factor, what)


def matmul_bound(a: np.ndarray, b: np.ndarray, dtype: Any, *, c: float = 4.0,
                 adversarial: bool = False) -> Bound:
    """The matmul bound with ``abs_sum = |A| @ |B|`` and ``n`` the inner dimension."""
    abs_sum = np.matmul(np.abs(a).astype(np.float64), np.abs(b).astype(np.float64))
    return sum_bound(abs_sum, a.shape[-1] if a.ndim else 1, dtype, c=c, adversarial=adversarial)


def _ordered(x: np.ndarray) -> np.ndarray:
    """Map floats to int64 values whose order and differences count representable
    values (+0 and -0 both map to 0); the result lies in (-2**63, 2**63)."""
    ibits = {2: np.int16, 4: np.int32, 8: np.int64}[x.dtype.itemsize]
    i = x.view(ibits).astype(np.int64)
    lo = np.int64(np.iinfo(ibits).min)
    return np.where(i < 0, lo - i, i)


def ulp_distance(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Number of representable values between ``got`` and ``ref`` (real floats of the
    same dtype; NaN positions give 0 when both are NaN and inf when only one is).
    Exact up to 2**53; computed in integers so float64 neighbours count as 1."""
    got = np.ascontiguousarray(got)
    ref = np.ascontiguousarray(ref)
    a, b = _ordered(got), _ordered(ref)
    same = (a >= 0) == (b >= 0)
    with np.errstate(over="ignore"):
        d_same = np.abs(np.where(same, a - b, 0)).astype(np.float64)
    d_opp = np.abs(a).astype(np.float64) + np.abs(b).astype(np.float64)
    d = np.where(same, d_same, d_opp)
    gn, rn = np.isnan(got), np.isnan(ref)
    d = np.where(gn & rn, 0.0, d)
    return np.where(gn ^ rn, np.inf, d)


def _first_bad(mask: np.ndarray, got: np.ndarray, ref: np.ndarray, what: str) -> str:
    idx = np.argwhere(mask)
    count = int(mask.sum())
    if got.ndim == 0:
        return f"{what}: got {got[()]!r}, expected {ref[()]!r}"
    first = tuple(int(v) for v in idx[0])
    return (f"{what} at {count} of {mask.size} elements; first at index {first}: "
            f"got {got[first]!r}, expected {ref[first]!r}")


def _signed_zero_mismatch(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    if got.dtype.kind == "c":
        return (_signed_zero_mismatch(got.real, ref.real)
                | _signed_zero_mismatch(got.imag, ref.imag))
    zero = (got == 0) & (ref == 0)
    return zero & (np.signbit(got) != np.signbit(ref))


def _nan_mask(x: np.ndarray) -> np.ndarray:
    return np.isnan(x) if x.dtype.kind in "fc" else np.zeros(x.shape, bool)


def compare(got: np.ndarray, ref: np.ndarray, tol: Tolerance) -> Verdict:
    """Compare two host arrays of the same dtype and shape under ``tol``.

    The caller has already checked dtype and shape. Returns a ``Verdict`` with the
    worst error in the tolerance's unit and a message naming the first mismatch.
    """
    with np.errstate(all="ignore"):  # infinities and NaN are data here
        return _compare(got, ref, tol)


def _compare(got: np.ndarray, ref: np.ndarray, tol: Tolerance) -> Verdict:
    got = np.asarray(got)
    ref = np.asarray(ref)
    if got.size == 0:
        return Verdict(True, 0.0, _unit(tol, ref.dtype))
    kind = ref.dtype.kind
    if kind not in "fc":
        bad = got != ref
        n_bad = int(bad.sum())
        if n_bad:
            return Verdict(False, float(n_bad), "mismatches", _first_bad(bad, got, ref, "values differ"))
        return Verdict(True, 0.0, "mismatches")
    # NaN and infinities must match exactly under every tolerance
    gn, rn = _nan_mask(got), _nan_mask(ref)
    if np.any(gn != rn):
        what = "NaN not propagated" if np.any(rn & ~gn) else "spurious NaN"
        return Verdict(False, float("inf"), _unit(tol, ref.dtype), _first_bad(gn != rn, got, ref, what))
    both = ~(gn | rn)
    if kind == "c":
        part = both & ~(np.isfinite(got) & np.isfinite(ref))
        if np.any(part):  # an infinite component: compare the components one by one
            v = _complex_components(got[part], ref[part], tol, part, ref.shape)
            if not v.ok:
                return v
            got = got.copy()
            got[part] = ref[part]
    ginf, rinf = ~np.isfinite(got) & both, ~np.isfinite(ref) & both
    inf_bad = (ginf | rinf) & (got != ref)
    if np.any(inf_bad):
        return Verdict(False, float("inf"), _unit(tol, ref.dtype), _first_bad(inf_bad, got, ref, "infinity mismatch"))
    finite = both & ~(ginf | rinf)
    if isinstance(tol, Exact) or (isinstance(tol, Ulp) and tol.n == 0):
        bad = finite & (got != ref)
        if tol.signed_zero:
            bad |= finite & _signed_zero_mismatch(got, ref)
        if np.any(bad):
            worst = _worst_ulp(got, ref, finite)
            return Verdict(False, worst, "ulp", _first_bad(bad, got, ref, "values differ (exact)"))
        return Verdict(True, 0.0, "ulp")
    if isinstance(tol, Ulp):
        limit = tol.bound_for(ref.dtype)
        err = _ulp_errors(got, ref)
        err = np.where(finite, err, 0.0)
        bad = err > limit
        if tol.signed_zero:
            bad |= finite & _signed_zero_mismatch(got, ref)
        worst = float(err.max()) if err.size else 0.0
        if np.any(bad):
            return Verdict(False, worst, "ulp", _first_bad(bad, got, ref, f"error above {limit} ulp (worst {worst:.3g} ulp)"))
        return Verdict(True, worst, "ulp")
    if isinstance(tol, Bound):
        scale = np.broadcast_to(np.asarray(tol.scale, dtype=np.float64), ref.shape)
        diff = np.abs(got.astype(np.complex128 if kind == "c" else np.float64)
                      - ref.astype(np.complex128 if kind == "c" else np.float64))
        diff = np.where(finite, diff, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            units = np.where(diff == 0, 0.0, np.where(scale > 0, diff / scale, np.inf))
        bad = diff > scale
        worst = float(units.max()) if units.size else 0.0
        if np.any(bad):
            return Verdict(False, worst, "bound", _first_bad(bad, got, ref, f"error above {tol.what} (worst {worst:.3g}x the bound)"))
        return Verdict(True, worst, "bound")
    raise TypeError(f"compare: unknown tolerance {tol!r}")


def _complex_components(got: np.ndarray, ref: np.ndarray, tol: Tolerance, part: np.ndarray,
                        shape: tuple[int, ...]) -> Verdict:
    """Elements with an infinite component: each component must match (infinities
    exactly, finite parts within the tolerance applied to the real dtype)."""
    if isinstance(tol, Ulp):
        sub: Tolerance = Ulp(tol.bound_for(ref.dtype), tol.signed_zero)
    elif isinstance(tol, Bound):
        sub = Bound(np.broadcast_to(np.asarray(tol.scale, dtype=np.float64), shape)[part], tol.what)
    else:
        sub = tol
    for name in ("real", "imag"):
        v = compare(getattr(got, name), getattr(ref, name), sub)
        if not v.ok:
            v.message = f"{name} parts of complex values with an infinite part: {v.message}"
            return v
    return Verdict(True, 0.0, _unit(tol, ref.dtype))


def _unit(tol: Tolerance, dtype: np.dtype) -> str:
    if isinstance(tol, Bound):
        return "bound"
    return "ulp" if np.dtype(dtype).kind in "fc" else "mismatches"


def _ulp_errors(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    if ref.dtype.kind != "c":
        return ulp_distance(got, ref)
    rdt = _real_of(ref.dtype)
    mag = np.abs(ref).astype(rdt)
    spacing = np.spacing(np.maximum(mag, np.finfo(rdt).tiny)).astype(np.float64)
    diff = np.abs(got.astype(np.complex128) - ref.astype(np.complex128))
    return diff / spacing


def _worst_ulp(got: np.ndarray, ref: np.ndarray, finite: np.ndarray) -> float:
    err = np.where(finite, _ulp_errors(got, ref), 0.0)
    return float(err.max()) if err.size else 0.0
