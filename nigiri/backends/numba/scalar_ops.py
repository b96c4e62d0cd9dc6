"""Scalar helpers with NumPy's exact edge semantics, called from generated kernels.

Each is a small Numba function inlined into the elementwise kernels that
``_codegen`` generates from the op table. Integer helpers compute in 64 bits and
rely on the kernel's store to wrap to the result dtype (two's complement), which
gives the contract's overflow rule; signed and unsigned variants are separate because
Numba turns a mix of int64 and uint64 into float64.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._half import h2f

# ruff: noqa: ANN001, ANN201  (compiled helpers: types come from Numba's inference)


@njit(cache=True)
def ifloordiv(a, b):  # pragma: no cover - compiled
    a, b = np.int64(a), np.int64(b)
    if b == 0:
        return np.int64(0)
    if b == -1:
        return -a  # wraps for the minimum value, as NumPy does
    return a // b


@njit(cache=True)
def ufloordiv(a, b):  # pragma: no cover - compiled
    a, b = np.uint64(a), np.uint64(b)
    if b == 0:
        return np.uint64(0)
    return a // b


@njit(cache=True)
def iremainder(a, b):  # pragma: no cover - compiled
    a, b = np.int64(a), np.int64(b)
    if b == 0 or b == -1:
        return np.int64(0)
    return a % b


@njit(cache=True)
def uremainder(a, b):  # pragma: no cover - compiled
    a, b = np.uint64(a), np.uint64(b)
    if b == 0:
        return np.uint64(0)
    return a % b


@njit(cache=True)
def ipow(a, b):  # pragma: no cover - compiled
    """Signed integer power; negative exponents give 1 // a**|b| (truncated)."""
    base, e = np.int64(a), np.int64(b)
    if e < 0:
        if base == 1:
            return np.int64(1)
        if base == -1:
            return np.int64(-1) if e & 1 else np.int64(1)
        return np.int64(0)
    r = np.int64(1)
    while e > 0:
        if e & 1:
            r = r * base
        base = base * base
        e >>= 1
    return r


@njit(cache=True)
def upow(a, b):  # pragma: no cover - compiled
    base, e = np.uint64(a), np.uint64(b)
    r = np.uint64(1)
    one = np.uint64(1)
    while e > 0:
        if e & one:
            r = r * base
        base = base * base
        e = e >> one
    return r


@njit(cache=True)
def ilshift(a, b, bits):  # pragma: no cover - compiled
    a, b = np.int64(a), np.int64(b)
    if b >= bits or b < 0:
        return np.int64(0)
    return a << b


@njit(cache=True)
def irshift(a, b, bits):  # pragma: no cover - compiled
    a, b = np.int64(a), np.int64(b)
    if b >= bits or b < 0:
        return np.int64(-1) if a < 0 else np.int64(0)
    return a >> b


@njit(cache=True)
def ulshift(a, b, bits):  # pragma: no cover - compiled
    a, b = np.uint64(a), np.uint64(b)
    if b >= np.uint64(bits):
        return np.uint64(0)
    return a << b


@njit(cache=True)
def urshift(a, b, bits):  # pragma: no cover - compiled
    a, b = np.uint64(a), np.uint64(b)
    if b >= np.uint64(bits):
        return np.uint64(0)
    return a >> b


@njit(cache=True)
def isign(a):  # pragma: no cover - compiled
    return (a > 0) - (a < 0)


@njit(cache=True)
def fsign(a):  # pragma: no cover - compiled
    s = np.sign(a)
    return s if s != 0 else s * s  # +0.0 for -0.0, as NumPy gives


@njit(cache=True)
def csign(a):  # pragma: no cover - compiled
    """NumPy 2's complex sign: z / |z|, 0 for 0, NaN where either part is NaN."""
    r = abs(a)
    if r == 0:
        return a * 0
    if r != r or np.isinf(r):
        if a.real != a.real or a.imag != a.imag:
            return complex(np.nan, np.nan)
        return a / r
    return a / r


@njit(cache=True)
def fmaximum(a, b):  # pragma: no cover - compiled
    return a if ((a > b) | (a != a)) else b


@njit(cache=True)
def fminimum(a, b):  # pragma: no cover - compiled
    return a if ((a < b) | (a != a)) else b


@njit(cache=True)
def ffloordiv(a, b):  # pragma: no cover - compiled
    """NumPy's npy_floor_divide for floats."""
    if b == 0:
        return a / b
    mod = np.fmod(a, b)
    div = (a - mod) / b
    if mod != 0:
        if (b < 0) != (mod < 0):
            div -= 1
    if div != 0:
        fl = np.floor(div)
        if div - fl > 0.5:
            fl += 1
        return fl
    return np.copysign(a - a, a / b)


@njit(cache=True)
def fremainder(a, b):  # pragma: no cover - compiled
    """NumPy's npy_remainder for floats (sign of the divisor)."""
    mod = np.fmod(a, b)
    if b == 0:
        return mod
    if mod != 0:
        if (b < 0) != (mod < 0):
            mod += b
    else:
        mod = np.copysign(a - a, b)
    return mod


@njit(cache=True)
def frint(a):  # pragma: no cover - compiled
    """Round half to even, keeping the sign of zero (NumPy's rint)."""
    if not np.isfinite(a):
        return a
    f = np.floor(a)
    d = a - f
    if d > 0.5 or (d == 0.5 and np.fmod(f, 2) != 0):
        f += 1
    return np.copysign(f, a)


@njit(cache=True)
def cdiv(a, b):  # pragma: no cover - compiled
    """NumPy's complex division (Smith's method; x/0 gives inf/nan, no error)."""
    ar, ai, br, bi = a.real, a.imag, b.real, b.imag
    abr, abi = abs(br), abs(bi)
    if abr >= abi:
        if abr == 0 and abi == 0:
            return complex(ar / abr, ai / abr)
        rat = bi / br
        scl = 1.0 / (br + bi * rat)
        return complex((ar + ai * rat) * scl, (ai - ar * rat) * scl)
    rat = br / bi
    scl = 1.0 / (bi + br * rat)
    return complex((ar * rat + ai) * scl, (ai * rat - ar) * scl)


@njit(cache=True)
def flogaddexp(a, b):  # pragma: no cover - compiled
    """NumPy's npy_logaddexp."""
    if a == b:
        return a + 0.6931471805599453
    d = a - b
    if d > 0:
        return a + np.log1p(np.exp(-d))
    if d <= 0:
        return b + np.log1p(np.exp(d))
    return d


@njit(cache=True)
def fsignbit(a):  # pragma: no cover - compiled
    return np.copysign(1.0, a) < 0


@njit(cache=True)
def cexpm1(z):  # pragma: no cover - compiled
    """NumPy's nc_expm1 (accurate real part near 0)."""
    x, y = z.real, z.imag
    a = np.sin(y / 2)
    return complex(np.expm1(x) * np.cos(y) - 2 * a * a, np.exp(x) * np.sin(y))


@njit(cache=True)
def clog1p(z):  # pragma: no cover - compiled
    """NumPy's nc_log1p."""
    x, y = z.real + 1, z.imag
    return complex(np.log(np.hypot(x, y)), np.arctan2(y, x))


@njit(cache=True)
def ctanh(z):  # pragma: no cover - compiled
    """NumPy's npy_ctanh (Kahan's formula; no overflow for large |Re z|)."""
    x, y = z.real, z.imag
    if abs(x) > 22.0:
        e = np.exp(-2.0 * abs(x))
        return complex(np.copysign(1.0, x), 4.0 * np.sin(y) * np.cos(y) * e)
    t = np.tan(y)
    beta = 1.0 + t * t
    s = np.sinh(x)
    rho = np.sqrt(1.0 + s * s)
    den = 1.0 + beta * s * s
    return complex((beta * rho * s) / den, t / den)


@njit(cache=True)
def cpow(a, b):  # pragma: no cover - compiled
    """NumPy's nc_pow: exact repeated products for small integer exponents, else
    exp(b log a) in double precision."""
    a = np.complex128(a)
    b = np.complex128(b)
    if b.real == 0.0 and b.imag == 0.0:
        return complex(1.0, 0.0)
    if a.real == 0.0 and a.imag == 0.0:
        if b.real > 0.0 and b.imag == 0.0:
            return complex(0.0, 0.0)
        return complex(np.nan, np.nan)
    if b.imag == 0.0 and abs(b.real) < 100.0 and b.real == np.floor(b.real):
        n = int(b.real)
        if n == 1:
            return a
        if n == 2:
            return a * a
        if n == 3:
            return a * a * a
        m = abs(n)
        r = complex(1.0, 0.0)
        p = a
        mask = 1
        while mask <= m:
            if m & mask:
                r = r * p
            mask <<= 1
            p = p * p
        if n < 0:
            r = cdiv(complex(1.0, 0.0), r)
        return r
    return np.exp(b * np.log(a))


@njit(cache=True)
def hnextafter(a, b):  # pragma: no cover - compiled
    """nextafter on float16 bits (uint16 in, uint16 out)."""
    ia, ib = np.int64(a), np.int64(b)
    a_nan = (ia & 0x7C00) == 0x7C00 and (ia & 0x03FF) != 0
    b_nan = (ib & 0x7C00) == 0x7C00 and (ib & 0x03FF) != 0
    if a_nan:
        return np.uint16(ia)
    if b_nan:
        return np.uint16(ib)
    fa, fb = h2f(np.uint16(ia)), h2f(np.uint16(ib))
    if fa == fb:
        return np.uint16(ia)  # NumPy's npy_half_nextafter returns x when x == y
    if (ia & 0x7FFF) == 0:
        return np.uint16((ib & 0x8000) | 1)
    if (fa < fb) == (fa > 0):
        return np.uint16(ia + 1)
    return np.uint16(ia - 1)


@njit(cache=True)
def hmaximum(a, b):  # pragma: no cover - compiled
    """NumPy's float16 maximum: a >= b (or a NaN) keeps a."""
    return a if ((a >= b) | (a != a)) else b


@njit(cache=True)
def hminimum(a, b):  # pragma: no cover - compiled
    return a if ((a <= b) | (a != a)) else b


@njit(cache=True)
def _sqr2(a):  # pragma: no cover - compiled
    """a*a as an unevaluated sum hi + lo (Dekker's product on a Veltkamp split)."""
    hi = a * a
    c = 134217729.0 * a  # 2**27 + 1
    ah = c - (c - a)
    al = a - ah
    return hi, ((ah * ah - hi) + 2.0 * ah * al) + al * al


@njit(cache=True)
def clog(z):  # pragma: no cover - compiled
    """Complex natural log as accurate as glibc's clog, which NumPy calls.

    Numba's cmath computes log(hypot(x, y)), whose real part loses all relative
    accuracy when |z| is close to 1 (93 ULP measured). There we form x*x + y*y - 1
    in double-double (exact squares, Sterbenz-exact subtraction) and take half its
    log1p, as glibc does; everywhere else the plain formula is already accurate.
    """
    x, y = z.real, z.imag
    if not (np.isfinite(x) and np.isfinite(y)):
        return np.log(z)
    ax, ay = max(abs(x), abs(y)), min(abs(x), abs(y))
    if not (0.5 <= ax <= 1.5 and ay < 1.0):
        return np.log(z)
    xh, xl = _sqr2(ax)
    yh, yl = _sqr2(ay)
    t = xh - 1.0  # exact: xh is within [0.25, 2.25] and t = 0 near xh = 1
    s = t + yh  # two-sum of t and yh
    bb = s - t
    err = (t - (s - bb)) + (yh - bb)
    m = s + (err + xl + yl)
    if m < -0.5 or m > 1.0:  # far from the unit circle: the plain form is accurate
        return np.log(z)
    return complex(0.5 * np.log1p(m), np.arctan2(y, x))


@njit(cache=True)
def clog2(z):  # pragma: no cover - compiled
    """NumPy's nc_log2: clog scaled by log2(e) component-wise."""
    r = clog(z)
    return complex(r.real * 1.4426950408889634, r.imag * 1.4426950408889634)


@njit(cache=True)
def clog10(z):  # pragma: no cover - compiled
    """NumPy's nc_log10: clog scaled by log10(e) component-wise."""
    r = clog(z)
    return complex(r.real * 0.4342944819032518, r.imag * 0.4342944819032518)
