"""Correctly rounded float64 ``exp`` and ``log1p`` in OpenCL C, for ``logaddexp``.

float64 ``logaddexp(a, b) = a + log1p(exp(b - a))`` cancels when the result is near 0:
then every ULP of error in the device's ``exp``/``log1p`` (OpenCL allows 3 and 2 ULP;
NVIDIA's driver uses them) becomes several ULPs of the result, and NumPy, whose libm
calls are (nearly) correctly rounded, disagrees by 8 ULP and more (measured on the H100).
No wider type exists on the device, so these helpers evaluate in double-double
arithmetic (error-free transformations with ``fma``) and round once:

- ``nig_exp_cr(x)``, x <= 0: ``k = rint(x / ln 2)``, ``r = x - k ln 2`` in double-double,
  ``expm1(r / 256)`` by a degree-10 Taylor polynomial with double-double coefficients,
  eight squarings in expm1 form (``s <- s (s + 2)``), then ``2**k (1 + s)``.
- ``nig_log1p_cr(e)``, 0 <= e <= 1: the device's ``log1p`` then one Newton step on
  ``expm1(y) = e`` with the double-double ``expm1`` (quadratic convergence: the few-ULP
  start becomes ~1e-32 relative before the final rounding).

Hand-written because no OpenCL library ships double-double math; the constants are
generated here from exact fractions.
"""

from __future__ import annotations

from fractions import Fraction
from math import factorial

__all__ = ["DD_HELPERS"]


def _dd(value: Fraction) -> tuple[str, str]:
    """(hi, lo) doubles with hi + lo == value to ~2**-106, as C hex literals."""
    hi = float(value)
    lo = float(value - Fraction(hi))
    return hi.hex(), lo.hex()


def _ln2() -> Fraction:
    # ln 2 = sum 1 / (k 2**k), k >= 1, to far beyond double-double precision
    return sum((Fraction(1, k * 2**k) for k in range(1, 130)), Fraction(0))


def _source() -> str:
    ln2_hi, ln2_lo = _dd(_ln2())
    # Horner from 1/10! down to 1/2!: s = r + r^2 (1/2! + r (1/3! + ...))
    coeffs = [_dd(Fraction(1, factorial(n))) for n in range(10, 1, -1)]
    horner = "\n".join(
        f"    p = nig_dd_add(nig_dd_mul(p, r), (double2)({hi}, {lo}));" for hi, lo in coeffs[1:]
    )
    return f"""
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
inline double2 nig_two_sum(double a, double b) {{
    double s = a + b; double bb = s - a;
    return (double2)(s, (a - (s - bb)) + (b - bb));
}}
inline double2 nig_qts(double a, double b) {{
    double s = a + b;
    return (double2)(s, b - (s - a));
}}
inline double2 nig_dd_add(double2 x, double2 y) {{
    double2 s = nig_two_sum(x.x, y.x);
    double2 t = nig_two_sum(x.y, y.y);
    s = nig_qts(s.x, s.y + t.x);
    return nig_qts(s.x, s.y + t.y);
}}
inline double2 nig_dd_mul(double2 x, double2 y) {{
    double p = x.x * y.x;
    double e = fma(x.x, y.x, -p) + (x.x * y.y + x.y * y.x);
    return nig_qts(p, e);
}}
/* expm1(r) in double-double, |r| <= 0.75 */
inline double2 nig_dd_expm1(double2 r) {{
    r = (double2)(r.x * 0x1p-8, r.y * 0x1p-8);
    double2 p = (double2)({coeffs[0][0]}, {coeffs[0][1]});
{horner}
    double2 s = nig_dd_add(r, nig_dd_mul(nig_dd_mul(r, r), p));
    for (int i = 0; i < 8; i++) s = nig_dd_mul(s, nig_dd_add(s, (double2)(2.0, 0.0)));
    return s;
}}
/* exp(x) correctly rounded (up to ~1e-25 relative before rounding), x <= 0 */
inline double nig_exp_cr(double x) {{
    if (!(x >= -700.0)) return exp(x);  /* subnormal range, -inf, NaN */
    double k = rint(x * M_LOG2E);
    double2 r = nig_dd_add((double2)(x, 0.0),
                           nig_dd_mul((double2)(-k, 0.0), (double2)({ln2_hi}, {ln2_lo})));
    double2 e = nig_dd_add((double2)(1.0, 0.0), nig_dd_expm1(r));
    return ldexp(e.x, (int)k);
}}
/* log1p(e) correctly rounded (to ~1e-30 relative before rounding), 0 <= e <= 1 */
inline double nig_log1p_cr(double e) {{
    double y = log1p(e);
    if (!(e >= 0x1p-900)) return y;  /* 0, tiny (log1p(e) == e), NaN */
    double2 s = nig_dd_expm1((double2)(y, 0.0));
    double2 d = nig_dd_add((double2)(e, 0.0), (double2)(-s.x, -s.y));
    return y + (d.x + d.y) / (1.0 + e);
}}
"""


#: the helper functions (put before a kernel that calls them)
DD_HELPERS = _source()
