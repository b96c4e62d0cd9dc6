"""How each op-table elementwise op runs on CUDA, per dtype (pure data, no CuPy).

Most ops are one CuPy ufunc (a single cached kernel per dtype, launched from Cython,
which is the shortest launch path CuPy has). Where CuPy's ufunc semantics differ from
the reference (``backends/numpy``) we run our own ``ElementwiseKernel`` with the
contract's edge rules: integer division/remainder by zero give 0 (and ``MIN // -1``
wraps), integer ``pow`` with a negative exponent gives ``1 // x**|n|``, shifts by the
bit width or more give 0 (or -1), ``maximum``/``minimum`` propagate NaN exactly as
NumPy does (including which zero wins), ``sign`` keeps NaN and gives ``z/|z|`` for
complex, ``nextafter`` on float16 steps float16 (CuPy would step float32).

Subnormals: CuPy appends ``-ftz=true`` to the options of EVERY kernel it compiles
(``cupy/cuda/compiler.py``, after the caller's own options, so ``options=('-ftz=false',)``
cannot undo it), which flushes float32 subnormal inputs and results to zero. NumPy keeps
them (IEEE gradual underflow). Our float32 arithmetic therefore goes through inline PTX
without the ``.ftz`` modifier (``mul.rn.f32``, ``div.rn.f32``, ``cvt.f64.f32`` ...), which
no compile option can reach; float32 transcendentals that can produce subnormals
(``atan2``, ``pow``) are evaluated in double and rounded once with ``cvt.rn.f32.f64``.
Complex ``divide``/``pow``/``expm1``/``log2``/``abs`` follow NumPy's own algorithms
(``npymath``), so inf/nan and signed-zero results match C99 Annex G as NumPy has them.
"""

from __future__ import annotations

import numpy as np

from ...arrays.optable import OPS

__all__ = ["CUPY_NAMES", "KERNELS", "EXTRA_PREAMBLE", "plan", "result_dtype", "has_loop"]

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
// glibc's hypot/hypotf (2.35+, no-FMA build: what NumPy's hypot and cabs call on
// x86-64), emulated step by step with _rn intrinsics so no contraction can change
// a rounding: complex sign must match NumPy exactly, and glibc's hypot is not
// always correctly rounded (one ulp off at times), so a more accurate |z| differs.
__device__ float nigiri_d2f(double a);
__device__ double nigiri_f2d(float a);
__device__ double nigiri_hypot_k(double ax, double ay) {
    double h = __dsqrt_rn(__dadd_rn(__dmul_rn(ax, ax), __dmul_rn(ay, ay)));
    double t1, t2;
    if (h <= __dmul_rn(2.0, ay)) {
        double delta = __dsub_rn(h, ay);
        t1 = __dmul_rn(ax, __dsub_rn(__dmul_rn(2.0, delta), ax));
        t2 = __dmul_rn(__dsub_rn(delta, __dmul_rn(2.0, __dsub_rn(ax, ay))), delta);
    } else {
        double delta = __dsub_rn(h, ax);
        t1 = __dmul_rn(__dmul_rn(2.0, delta), __dsub_rn(ax, __dmul_rn(2.0, ay)));
        t2 = __dadd_rn(__dmul_rn(__dsub_rn(__dmul_rn(4.0, delta), ay), ay), __dmul_rn(delta, delta));
    }
    return __dsub_rn(h, __ddiv_rn(__dadd_rn(t1, t2), __dmul_rn(2.0, h)));
}
__device__ double nigiri_cabs(double x, double y) {
    if (isinf(x) || isinf(y)) return __longlong_as_double(0x7ff0000000000000LL);
    if (isnan(x) || isnan(y)) return x + y;
    x = fabs(x); y = fabs(y);
    double ax = x < y ? y : x, ay = x < y ? x : y;
    const double scale = 2.409919865102884e-181, large = 6.703903964971299e+153;
    const double tiny = 1.4916681462400413e-154, eps = 5.551115123125783e-17;
    if (ax > large) {
        if (ay <= __dmul_rn(ax, eps)) return __dadd_rn(ax, ay);
        return __ddiv_rn(nigiri_hypot_k(__dmul_rn(ax, scale), __dmul_rn(ay, scale)), scale);
    }
    if (ay < tiny) {
        if (ax >= __ddiv_rn(ay, eps)) return __dadd_rn(ax, ay);
        return __dmul_rn(nigiri_hypot_k(__ddiv_rn(ax, scale), __ddiv_rn(ay, scale)), scale);
    }
    if (ay <= __dmul_rn(ax, eps)) return __dadd_rn(ax, ay);
    return nigiri_hypot_k(ax, ay);
}
__device__ float nigiri_cabs(float x, float y) {
    if (isinf(x) || isinf(y)) return __int_as_float(0x7f800000);
    if (isnan(x) || isnan(y)) return x + y;
    double dx = nigiri_f2d(x), dy = nigiri_f2d(y);
    return nigiri_d2f(__dsqrt_rn(__dadd_rn(__dmul_rn(dx, dx), __dmul_rn(dy, dy))));
}
// float32 arithmetic immune to CuPy's appended -ftz=true (PTX without .ftz)
__device__ float nigiri_fadd(float a, float b) { float r; asm("add.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b)); return r; }
__device__ float nigiri_fsub(float a, float b) { float r; asm("sub.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b)); return r; }
__device__ float nigiri_fmul(float a, float b) { float r; asm("mul.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b)); return r; }
__device__ float nigiri_fdiv(float a, float b) { float r; asm("div.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b)); return r; }
__device__ double nigiri_f2d(float a) { double r; asm("cvt.f64.f32 %0, %1;" : "=d"(r) : "f"(a)); return r; }
__device__ float nigiri_d2f(double a) { float r; asm("cvt.rn.f32.f64 %0, %1;" : "=f"(r) : "d"(a)); return r; }
// NumPy's complex division (Smith's algorithm, npymath), in the component type F
template <typename C, typename F> __device__ C nigiri_cdiv(C a, C b) {
    F ar = a.real(), ai = a.imag(), br = b.real(), bi = b.imag();
    F abr = fabs(br), abi = fabs(bi);
    if (abr >= abi) {
        if (abr == 0 && abi == 0) return C(ar / abr, ai / abi);
        F rat = bi / br, scl = F(1) / (br + bi * rat);
        return C((ar + ai * rat) * scl, (ai - ar * rat) * scl);
    }
    F rat = br / bi, scl = F(1) / (bi + br * rat);
    return C((ar * rat + ai) * scl, (ai * rat - ar) * scl);
}
template <typename C> __device__ C nigiri_cmul(C a, C b) {
    return C(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
}
// C99 Annex G complex multiply (GCC's __muldc3): recovers infinities that the plain
// formula turns into NaN; glibc's cpow multiplies this way
template <typename C, typename F> __device__ C nigiri_cmul_annexg(C p, C q) {
    F a = p.real(), b = p.imag(), c = q.real(), d = q.imag();
    F ac = a * c, bd = b * d, ad = a * d, bc = b * c;
    F x = ac - bd, y = ad + bc;
    if (isnan(x) && isnan(y)) {
        bool recalc = false;
        if (isinf(a) || isinf(b)) {
            a = copysign(isinf(a) ? F(1) : F(0), a); b = copysign(isinf(b) ? F(1) : F(0), b);
            if (isnan(c)) c = copysign(F(0), c);
            if (isnan(d)) d = copysign(F(0), d);
            recalc = true;
        }
        if (isinf(c) || isinf(d)) {
            c = copysign(isinf(c) ? F(1) : F(0), c); d = copysign(isinf(d) ? F(1) : F(0), d);
            if (isnan(a)) a = copysign(F(0), a);
            if (isnan(b)) b = copysign(F(0), b);
            recalc = true;
        }
        if (!recalc && (isinf(ac) || isinf(bd) || isinf(ad) || isinf(bc))) {
            if (isnan(a)) a = copysign(F(0), a);
            if (isnan(b)) b = copysign(F(0), b);
            if (isnan(c)) c = copysign(F(0), c);
            if (isnan(d)) d = copysign(F(0), d);
            recalc = true;
        }
        if (recalc) {
            F inf = (F)__longlong_as_double(0x7ff0000000000000LL);
            x = inf * (a * c - b * d); y = inf * (a * d + b * c);
        }
    }
    return C(x, y);
}
// NumPy's npy_cpow: exact special cases for b == 0, a == 0 and small integer b
template <typename C, typename F> __device__ C nigiri_cpow(C a, C b) {
    F ar = a.real(), ai = a.imag(), br = b.real(), bi = b.imag();
    if (br == 0 && bi == 0) return C(F(1), F(0));
    if (ar == 0 && ai == 0) {
        if (br > 0) return C(F(0), F(0));
        F nan = (F)__longlong_as_double(0x7ff8000000000000LL);
        return C(nan, nan);
    }
    if (bi == 0 && br > F(-100) && br < F(100) && (F)(long long)br == br) {
        long long n = (long long)br;
        if (n == 1) return a;
        if (n == 2) return nigiri_cmul(a, a);
        if (n == 3) return nigiri_cmul(a, nigiri_cmul(a, a));
        long long m = n < 0 ? -n : n, mask = 1;
        C aa(F(1), F(0)), p = a;
        while (1) {
            if (m & mask) aa = nigiri_cmul(aa, p);
            mask <<= 1;
            if (m < mask || mask <= 0) break;
            p = nigiri_cmul(p, p);
        }
        if (br < 0) aa = nigiri_cdiv<C, F>(C(F(1), F(0)), aa);
        return aa;
    }
    return exp(nigiri_cmul_annexg<C, F>(b, log(a)));  // glibc: cexp(b * clog(a))
}
// NumPy's nc_expm1 and nc_log2 (componentwise scaling of log, no complex division)
template <typename C, typename F> __device__ C nigiri_cexpm1(C x) {
    F a = sin(x.imag() / 2);
    return C(expm1(x.real()) * cos(x.imag()) - 2 * a * a, exp(x.real()) * sin(x.imag()));
}
template <typename C, typename F> __device__ C nigiri_clog2(C x) {
    C l = log(x);
    const F k = (F)1.442695040888963407359924681001892137;
    return C(l.real() * k, l.imag() * k);
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
    "fmax_nan_h": ("T x, T y", "T z", "z = (x >= y || x != x) ? x : y;"),
    "fmin_nan_h": ("T x, T y", "T z", "z = (x <= y || x != x) ? x : y;"),
    "fadd32": ("float32 x, float32 y", "float32 z", "z = nigiri_fadd(x, y);"),
    "fsub32": ("float32 x, float32 y", "float32 z", "z = nigiri_fsub(x, y);"),
    "fmul32": ("float32 x, float32 y", "float32 z", "z = nigiri_fmul(x, y);"),
    "fdiv32": ("float32 x, float32 y", "float32 z", "z = nigiri_fdiv(x, y);"),
    "atan2_32": ("float32 x, float32 y", "float32 z",
                 "z = nigiri_d2f(atan2(nigiri_f2d(x), nigiri_f2d(y)));"),
    "pow32": ("float32 x, float32 y", "float32 z",
              "z = nigiri_d2f(pow(nigiri_f2d(x), nigiri_f2d(y)));"),
    "hypot32": ("float32 x, float32 y", "float32 z", "z = nigiri_cabs(x, y);"),
    "hypot64": ("float64 x, float64 y", "float64 z", "z = nigiri_cabs(x, y);"),
    "cabs64": ("complex64 x", "float32 z", "z = nigiri_cabs(x.real(), x.imag());"),
    "cabs128": ("complex128 x", "float64 z", "z = nigiri_cabs(x.real(), x.imag());"),
    "cdiv64": ("complex64 x, complex64 y", "complex64 z",
               "complex<double> r = nigiri_cdiv<complex<double>, double>("
               "complex<double>(nigiri_f2d(x.real()), nigiri_f2d(x.imag())),"
               " complex<double>(nigiri_f2d(y.real()), nigiri_f2d(y.imag())));"
               " z = complex<float>(nigiri_d2f(r.real()), nigiri_d2f(r.imag()));"),
    "cdiv128": ("T x, T y", "T z", "z = nigiri_cdiv<T, double>(x, y);"),
    "cpow64": ("T x, T y", "T z", "z = nigiri_cpow<T, float>(x, y);"),
    "cpow128": ("T x, T y", "T z", "z = nigiri_cpow<T, double>(x, y);"),
    "cexpm1_64": ("T x", "T z", "z = nigiri_cexpm1<T, float>(x);"),
    "cexpm1_128": ("T x", "T z", "z = nigiri_cexpm1<T, double>(x);"),
    "clog2_64": ("T x", "T z", "z = nigiri_clog2<T, float>(x);"),
    "clog2_128": ("T x", "T z", "z = nigiri_clog2<T, double>(x);"),
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


# float32 ops evaluated in double (exact conversions by PTX, one rounding back): double
# arithmetic and comparisons are never flushed, and for +-*/ and sqrt the double
# result rounded once to float32 IS the correctly rounded float32 result (Figueroa:
# 53 >= 2*24 + 2), so these kernels are IEEE float32 with gradual underflow.
_F32_UNARY = {fn: f"{fn}(d)" for fn in (
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "exp", "expm1",
    "log", "log1p", "log2", "log10", "sin", "sinh", "sqrt", "tan", "tanh", "ceil",
    "floor", "trunc")}
_F32_UNARY.update({"round": "rint(d)", "negative": "-d", "square": "d * d", "abs": "fabs(d)"})
_F32_COMPARE = {"equal": "==", "not_equal": "!=", "greater": ">", "greater_equal": ">=",
                "less": "<", "less_equal": "<="}
for _op, _expr in _F32_UNARY.items():
    KERNELS["f32_" + _op] = ("float32 x", "float32 z",
                             f"double d = nigiri_f2d(x); z = nigiri_d2f({_expr});")
for _op, _cmp in _F32_COMPARE.items():
    KERNELS["f32_" + _op] = ("float32 x, float32 y", "bool z",
                             f"z = nigiri_f2d(x) {_cmp} nigiri_f2d(y);")
KERNELS["f32_copysign"] = ("float32 x, float32 y", "float32 z",
                           "z = nigiri_d2f(copysign(nigiri_f2d(x), nigiri_f2d(y)));")
KERNELS["f32_sign"] = ("float32 x", "float32 z",
                       "double d = nigiri_f2d(x);"
                       " z = (d > 0) ? 1.0f : ((d < 0) ? -1.0f : ((d == 0) ? 0.0f : x));")
# maximum/minimum pick an operand (its bits move unchanged); only the compare is in double
KERNELS["f32_maximum"] = ("float32 x, float32 y", "float32 z",
                          "double a = nigiri_f2d(x), b = nigiri_f2d(y);"
                          " z = (a > b || a != a) ? x : y;")
KERNELS["f32_minimum"] = ("float32 x, float32 y", "float32 z",
                          "double a = nigiri_f2d(x), b = nigiri_f2d(y);"
                          " z = (a < b || a != a) ? x : y;")
#: casts between float32 and float64 keep subnormals (CuPy's astype kernel flushes)
KERNELS["cast_f32_f64"] = ("float32 x", "float64 z", "z = nigiri_f2d(x);")
KERNELS["cast_f64_f32"] = ("float64 x", "float32 z", "z = nigiri_d2f(x);")

#: float32 ops run through our subnormal-preserving kernels (see the module docstring)
_F32_KERNELS = {"add": "fadd32", "subtract": "fsub32", "multiply": "fmul32",
                "divide": "fdiv32", "atan2": "atan2_32", "pow": "pow32", "hypot": "hypot32"}
_F32_KERNELS.update({op: "f32_" + op for op in (*_F32_UNARY, *_F32_COMPARE, "copysign",
                                                "sign", "maximum", "minimum")})
#: complex ops run through NumPy's algorithms (kernel name prefix; + "64"/"128")
_C_KERNELS = {"abs": "cabs", "divide": "cdiv", "pow": "cpow", "expm1": "cexpm1_",
              "log2": "clog2_"}


def _dd_source() -> str:
    """The OpenCL backend's double-double exp/log1p (``opencl/ddmath.py``, pure text)
    as CUDA: our own two-double struct, decimal literals (no hex floats needed)."""
    import re

    from ..opencl.ddmath import DD_HELPERS

    src = DD_HELPERS.replace("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n", "")
    src = src.replace("inline ", "__device__ inline ").replace("double2", "nigiri_dd")
    src = re.sub(r"\(nigiri_dd\)\(", "nigiri_make_dd(", src)
    src = re.sub(r"-?0x[0-9a-f]+(\.[0-9a-f]*)?p[-+]?\d+",
                 lambda m: repr(float.fromhex(m.group(0))), src)
    return ("struct nigiri_dd { double x, y; };\n"
            "__device__ inline nigiri_dd nigiri_make_dd(double a, double b)"
            " { nigiri_dd r; r.x = a; r.y = b; return r; }\n"
            + src.replace("M_LOG2E", "1.4426950408889634"))


#: float64 logaddexp: where a + log1p(exp(b - a)) cancels, CUDA's few-ULP exp/log1p
#: are amplified (8 ULP vs NumPy measured on the H100); there exp and log1p are
#: evaluated correctly rounded in double-double (as the OpenCL backend does)
EXTRA_PREAMBLE: dict[str, str] = {"logaddexp64": _dd_source() + r"""
__device__ double nigiri_logaddexp_cr(double a, double b) {
    if (a == b) return a + 0.693147180559945309417232121458176568;
    double t = a - b;
    if (!(t > 0) && !(t <= 0)) return t;
    double m = t > 0 ? a : b;
    double x = -fabs(t);
    double l = log1p(exp(x));
    double r = m + l;
    if (fabs(r) >= 16.0 * l) return r;
    return m + nig_log1p_cr(nig_exp_cr(x));
}
"""}
KERNELS["logaddexp64"] = ("float64 x, float64 y", "float64 z", "z = nigiri_logaddexp_cr(x, y);")


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
        size = np.dtype(dtype).itemsize
        if size == 4 and op in _F32_KERNELS:
            return "kernel", _F32_KERNELS[op]
        if op == "maximum":  # NumPy's float16 loop keeps x on ties (0 vs -0), SIMD ones y
            return "kernel", "fmax_nan_h" if size == 2 else "fmax_nan"
        if op == "minimum":
            return "kernel", "fmin_nan_h" if size == 2 else "fmin_nan"
        if size == 8 and op == "hypot":
            return "kernel", "hypot64"
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
            return "kernel", "logaddexp64" if size == 8 else "logaddexp" + half
    elif kind == "c":
        bits = "64" if np.dtype(dtype).itemsize == 8 else "128"
        if op in _C_KERNELS:
            return "kernel", _C_KERNELS[op] + bits
        if op == "sign":
            return "kernel", "csign" + bits
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
