"""How each op-table elementwise op runs on CUDA, per dtype (pure data, no CuPy).

Most ops are one CuPy ufunc (a single cached kernel per dtype, launched from Cython,
which is the shortest launch path CuPy has). Where CuPy's ufunc semantics differ from
the reference (``backends/numpy``) we run our own ``ElementwiseKernel`` with the
contract's edge rules: integer division/remainder by zero give 0 (and ``MIN // -1``
wraps), integer ``pow`` with a negative exponent gives ``1 // x**|n|``, shifts by the
bit width or more give 0 (or -1), ``maximum``/``minimum`` propagate NaN exactly as
NumPy does (including which zero wins), ``sign`` keeps NaN and gives ``z/|z|`` for
complex, ``nextafter`` on float16 steps float16 (CuPy would step float32).
"""

from __future__ import annotations

import numpy as np

from ...arrays.optable import OPS

__all__ = ["CUPY_NAMES", "KERNELS", "plan", "result_dtype", "has_loop"]

#: op name -> CuPy ufunc name (NumPy's name, except round -> rint: round half to even).
CUPY_NAMES: dict[str, str] = {name: op.numpy for name, op in OPS.items()}
CUPY_NAMES["round"] = "rint"

_WIDE_S = "(unsigned long long)(long long)"

#: device functions shared by our kernels (NumPy's algorithms, so results match it)
PREAMBLE = r"""
template <typename F> __device__ F nigiri_py_floordiv(F a, F b) {
    if (!b) return a / b;
    F mod = fmod(a, b);
    F div = (a - mod) / b;
    if (mod) { if ((b < 0) != (mod < 0)) { mod += b; div -= F(1); } }
    if (div) { F fl = floor(div); if (div - fl > F(0.5)) fl += F(1); return fl; }
    return copysign(F(0), a / b);
}
template <typename F> __device__ F nigiri_py_remainder(F a, F b) {
    F mod = fmod(a, b);
    if (!b) return mod;
    if (mod) { if ((b < 0) != (mod < 0)) mod += b; }
    else mod = copysign(F(0), b);
    return mod;
}
template <typename F> __device__ F nigiri_logaddexp(F x, F y) {
    if (x == y) return x + F(0.693147180559945309417232121458176568);
    F d = x - y;
    if (d > 0) return x + log1p(exp(-d));
    if (d <= 0) return y + log1p(exp(d));
    return d;
}
template <typename U> __device__ U nigiri_nextafter_bits(U a, U b, U sign, U inf, U qnan) {
    U aa = a & ~sign, bb = b & ~sign;
    if (aa > inf || bb > inf) return qnan;
    if (a == b || (aa | bb) == 0) return b;
    if (aa == 0) return (U)((b & sign) | 1);
    bool neg = (a & sign) != 0, bneg = (b & sign) != 0;
    bool lt = (neg != bneg) ? neg : (neg ? aa > bb : aa < bb);
    return (lt != neg) ? (U)(a + 1) : (U)(a - 1);
}
// |z| for float parts: double hypot rounded once to float (as C's hypotf)
__device__ float nigiri_cabs(float re, float im) { return (float)hypot((double)re, (double)im); }
// |z| for double parts, nearly correctly rounded: double-double sum of squares
__device__ double nigiri_cabs(double re, double im) {
    double x = fabs(re), y = fabs(im);
    if (isinf(x) || isinf(y)) return __longlong_as_double(0x7ff0000000000000LL);
    if (isnan(x) || isnan(y)) return x + y;
    double m = fmax(x, y);
    if (m == 0) return 0;
    int e; frexp(m, &e);
    x = ldexp(x, -e); y = ldexp(y, -e);
    double p = x * x, ep = fma(x, x, -p), q = y * y, eq = fma(y, y, -q);
    double s = p + q, es = (p >= q) ? (p - s) + q : (q - s) + p;
    double lo = es + ep + eq;
    double r = sqrt(s);
    double rr = fma(-r, r, s);
    r = r + (rr + lo) / (2 * r);
    return ldexp(r, e);
}
template <typename C, typename F> __device__ C nigiri_csign(C z) {
    F re = z.real(), im = z.imag();
    F n = nigiri_cabs(re, im);
    F nan = (F)__longlong_as_double(0x7ff8000000000000LL);
    if (isnan(n)) return C(nan, nan);
    if (isinf(n)) {
        if (isinf(re)) return isinf(im) ? C(nan, nan) : C(copysign(F(1), re), F(0));
        return C(F(0), copysign(F(1), im));
    }
    if (n == 0) return C(F(0), F(0));
    return C(re / n, im / n);
}
"""

#: kernel name -> (in_params, out_params, operation) for cupy.ElementwiseKernel.
KERNELS: dict[str, tuple[str, str, str]] = {
    "floordiv_s": (
        "T x, T y", "T z",
        "if (y == 0) { z = 0; }"
        " else if (y == (T)(-1)) { z = (T)(0ULL - " + _WIDE_S + "x); }"
        " else { T q = x / y; if ((x % y != 0) && ((x < 0) != (y < 0))) q = q - 1; z = q; }",
    ),
    "floordiv_u": ("T x, T y", "T z", "z = (y == 0) ? (T)0 : (T)(x / y);"),
    "rem_s": (
        "T x, T y", "T z",
        "if (y == 0 || y == (T)(-1)) { z = 0; }"
        " else { T r = x % y; if (r != 0 && ((r < 0) != (y < 0))) r = r + y; z = r; }",
    ),
    "rem_u": ("T x, T y", "T z", "z = (y == 0) ? (T)0 : (T)(x % y);"),
    "ipow_s": (
        "T x, T y", "T z",
        "if (y < 0) { z = (x == 1) ? (T)1 : ((x == -1) ? ((y & 1) ? (T)(-1) : (T)1) : (T)0); }"
        " else { unsigned long long b = " + _WIDE_S + "x, r = 1ULL, e = " + _WIDE_S + "y;"
        " while (e) { if (e & 1ULL) r *= b; b *= b; e >>= 1; } z = (T)r; }",
    ),
    "ipow_u": (
        "T x, T y", "T z",
        "unsigned long long b = (unsigned long long)x, r = 1ULL, e = (unsigned long long)y;"
        " while (e) { if (e & 1ULL) r *= b; b *= b; e >>= 1; } z = (T)r;",
    ),
    "lshift": (
        "T x, T y", "T z",
        "z = (" + _WIDE_S + "y >= sizeof(T) * 8) ? (T)0"
        " : (T)(" + _WIDE_S + "x << (int)y);",
    ),
    "rshift_s": (
        "T x, T y", "T z",
        "z = (" + _WIDE_S + "y >= sizeof(T) * 8) ? (T)(x < 0 ? -1 : 0) : (T)(x >> (int)y);",
    ),
    "rshift_u": (
        "T x, T y", "T z",
        "z = ((unsigned long long)y >= sizeof(T) * 8) ? (T)0 : (T)(x >> (int)y);",
    ),
    "fmax_nan": ("T x, T y", "T z", "z = (x > y || x != x) ? x : y;"),
    "fmin_nan": ("T x, T y", "T z", "z = (x < y || x != x) ? x : y;"),
    "fsign": (
        "T x", "T z",
        "z = (x > (T)0) ? (T)1 : ((x < (T)0) ? (T)(-1) : ((x == (T)0) ? (T)0 : x));",
    ),
    "csign64": ("T x", "T z", "z = nigiri_csign<T, float>(x);"),
    "csign128": ("T x", "T z", "z = nigiri_csign<T, double>(x);"),
    "pyfloordiv": ("T x, T y", "T z", "z = nigiri_py_floordiv(x, y);"),
    "pyfloordiv_h": ("T x, T y", "T z", "z = (T)nigiri_py_floordiv((float)x, (float)y);"),
    "pyremainder": ("T x, T y", "T z", "z = nigiri_py_remainder(x, y);"),
    "pyremainder_h": ("T x, T y", "T z", "z = (T)nigiri_py_remainder((float)x, (float)y);"),
    "logaddexp": ("T x, T y", "T z", "z = nigiri_logaddexp(x, y);"),
    "logaddexp_h": ("T x, T y", "T z", "z = (T)nigiri_logaddexp((float)x, (float)y);"),
    "nextafter_f16": ("uint16 a, uint16 b", "uint16 z",
                      "z = nigiri_nextafter_bits<unsigned short>(a, b, 0x8000, 0x7c00, 0x7e00);"),
    "nextafter_f32": ("uint32 a, uint32 b", "uint32 z",
                      "z = nigiri_nextafter_bits<unsigned int>(a, b, 0x80000000u, 0x7f800000u,"
                      " 0x7fc00000u);"),
    "nextafter_f64": ("uint64 a, uint64 b", "uint64 z",
                      "z = nigiri_nextafter_bits<unsigned long long>(a, b, 0x8000000000000000ULL,"
                      " 0x7ff0000000000000ULL, 0x7ff8000000000000ULL);"),
    "cround": ("T x", "T z", "z = T(rint(x.real()), rint(x.imag()));"),
}


def plan(op: str, dtype: np.dtype) -> tuple[str, str]:
    """How ``op`` runs for inputs of ``dtype``: ``("ufunc", cupy_name)``,
    ``("kernel", KERNELS key)``, ``("copy", "")`` (the op is the identity for this
    dtype: a fresh copy), ``("const", "true"|"false")`` (isnan/isinf/isfinite of
    integers), ``("part", "real"|"imag")`` (a copy of a complex part),
    ``("nextafter_bits", "16"|"32"|"64")`` (on unsigned views of the bits)."""
    kind = np.dtype(dtype).kind
    if op == "positive":
        return "copy", ""
    if kind in "iub" and op in ("isnan", "isinf", "isfinite"):
        return "const", "true" if op == "isfinite" else "false"
    if kind in "iu":
        signed = "s" if kind == "i" else "u"
        if op == "floor_divide":
            return "kernel", "floordiv_" + signed
        if op == "remainder":
            return "kernel", "rem_" + signed
        if op == "pow":
            return "kernel", "ipow_" + signed
        if op == "bitwise_left_shift":
            return "kernel", "lshift"
        if op == "bitwise_right_shift":
            return "kernel", "rshift_" + signed
        if op in ("floor", "ceil", "trunc", "round", "conj", "real", "positive"):
            return "copy", ""
    elif kind == "f":
        if op == "maximum":
            return "kernel", "fmax_nan"
        if op == "minimum":
            return "kernel", "fmin_nan"
        if op == "sign":
            return "kernel", "fsign"
        if op in ("conj", "real", "positive"):
            return "copy", ""
        half = "_h" if np.dtype(dtype).itemsize == 2 else ""
        if op == "nextafter":
            return "nextafter_bits", str(np.dtype(dtype).itemsize * 8)
        if op == "floor_divide":
            return "kernel", "pyfloordiv" + half
        if op == "remainder":
            return "kernel", "pyremainder" + half
        if op == "logaddexp":
            return "kernel", "logaddexp" + half
    elif kind == "c":
        if op == "sign":
            return "kernel", "csign64" if np.dtype(dtype).itemsize == 8 else "csign128"
        if op == "round":
            return "kernel", "cround"
        if op in ("real", "imag"):
            return "part", op
    elif kind == "b" and op in ("positive", "conj", "real"):
        return "copy", ""
    return "ufunc", CUPY_NAMES[op]


def result_dtype(op: str, dtype: np.dtype) -> np.dtype:
    """The dtype the op table promises for ``op`` on ``dtype`` inputs."""
    rule = OPS[op].result
    dtype = np.dtype(dtype)
    if rule == "bool":
        return np.dtype(np.bool_)
    if rule == "real" and dtype.kind == "c":
        return np.dtype(np.float32 if dtype.itemsize == 8 else np.float64)
    return dtype


def has_loop(types: list[str], dtype: np.dtype, arity: int, want: np.dtype,
             widen: bool = False) -> bool:
    """True when a ufunc type string (``'ff->f'``) takes ``arity`` inputs of exactly
    ``dtype`` (or, with ``widen``, of a type ``dtype`` casts to safely, which is exact
    for comparisons) and returns ``want`` (compared as dtypes: 'l' and 'q' are both
    int64)."""
    for sig in types:
        ins, _, outs = sig.partition("->")
        try:
            ok = all((np.dtype(c) == dtype) or (widen and np.can_cast(dtype, np.dtype(c), "safe"))
                     for c in ins)
            if len(ins) == arity and ok and np.dtype(outs[:1]) == want:
                return True
        except TypeError:  # a type char NumPy does not know (e.g. bfloat16)
            continue
    return False
