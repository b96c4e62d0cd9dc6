"""OpenCL C for every op of the elementwise op table (``nigiri.arrays.optable``).

``unary_expr``/``binary_expr`` return ``(helpers, expression)``: C helper functions
to put before the kernel and an expression in ``a`` (and ``b``) of the compute type.
The semantics are NumPy's, including the contract's edge rules: integer arithmetic
wraps (done in unsigned: signed overflow is undefined in C), integer division and
remainder by zero give 0, shifts by >= the bit width give 0 or -1, integer ``pow``
with a negative exponent gives ``1 // x1**|x2|``; float floor_divide/remainder/
logaddexp/maximum/minimum/sign follow NumPy's scalar loops.
"""

from __future__ import annotations

import numpy as np

from .cltypes import BITS, COMPUTE, STORAGE, UNSIGNED, WIDE, key, kind
from .ddmath import DD_HELPERS

__all__ = ["unary_expr", "binary_expr", "result_dtype", "vectorizable", "VECTORIZABLE"]

_FLOAT_FUNCS = {
    "acos": "acos", "acosh": "acosh", "asin": "asin", "asinh": "asinh", "atan": "atan",
    "atanh": "atanh", "cos": "cos", "cosh": "cosh", "exp": "exp", "expm1": "expm1",
    "log": "log", "log1p": "log1p", "log2": "log2", "log10": "log10", "sin": "sin",
    "sinh": "sinh", "tan": "tan", "tanh": "tanh", "sqrt": "sqrt", "ceil": "ceil",
    "floor": "floor", "trunc": "trunc", "round": "rint",
}
_BOOL_RESULT = {"isfinite", "isinf", "isnan", "logical_not", "signbit", "equal", "not_equal",
                "greater", "greater_equal", "less", "less_equal", "logical_and",
                "logical_or", "logical_xor"}


#: math-builtin ops, valid on OpenCL vector types as written; on CPUs they run as
#: explicit vectors (PoCL vectorises plain arithmetic itself, but not builtin calls:
#: measured 10-25x for exp/tanh/floor, no gain for + or abs, a loss for +)
VECTORIZABLE = frozenset(_FLOAT_FUNCS) | {"atan2", "copysign", "hypot", "pow"}


def vectorizable(op: str, dtype: np.dtype) -> bool:
    """True when ``op`` on ``dtype`` may run on explicit float vectors."""
    return op in VECTORIZABLE and np.dtype(dtype) in (np.float32, np.float64)


def result_dtype(op: str, dtype: np.dtype) -> np.dtype:
    """The op table's result dtype for a real input dtype."""
    return np.dtype(bool) if op in _BOOL_RESULT else np.dtype(dtype)


def _wrap(dtype: np.dtype, expr: str) -> str:
    """Reinterpret the wide-unsigned ``expr`` as the storage integer type."""
    name = key(dtype)
    return f"as_{STORAGE[name]}(({UNSIGNED[name]})({expr}))"


def _w(dtype: np.dtype, v: str) -> str:
    return f"(({WIDE[key(dtype)]})({v}))"


def unary_expr(op: str, dtype: np.dtype) -> tuple[str, str]:
    """Helpers and expression for unary ``op`` on ``a`` of ``dtype``."""
    k = kind(dtype)
    c = COMPUTE[key(dtype)]
    if k == "f":
        if op == "tanh":
            # Beyond these |a| the correctly rounded tanh is exactly +-1 (1 - tanh(a) <
            # half an ULP of 1), as NumPy returns; PoCL's builtin returns 1 - ULP there,
            # which turns 1 - tanh(a)**2 (the tanh gradient) from 0 into 1.2e-7.
            # sign() is +-1 on that branch (no NaN or 0 reaches it) and valid on vectors.
            t = "19.07" if c == "double" else "9.02f"
            return "", f"(fabs(a) >= {t} ? sign(a) : tanh(a))"
        if op in _FLOAT_FUNCS:
            return "", f"{_FLOAT_FUNCS[op]}(a)"
        table = {
            "abs": "fabs(a)", "negative": "-a", "positive": "a", "conj": "a", "real": "a",
            "square": "a * a", "isfinite": "(uchar)(isfinite(a) != 0)",
            "isinf": "(uchar)(isinf(a) != 0)", "isnan": "(uchar)(isnan(a) != 0)",
            "signbit": "(uchar)(signbit(a) != 0)",
            "sign": f"(a > 0 ? ({c})1 : (a < 0 ? ({c})-1 : (a == 0 ? ({c})0 : a)))",
        }
        return "", table[op]
    if op == "logical_not":
        return "", "(uchar)(a == 0)"
    if op == "bitwise_invert":
        return "", "(uchar)(a == 0)" if k == "b" else f"({c})(~a)"
    if op in ("ceil", "floor", "trunc", "round", "positive", "conj", "real"):
        return "", "a"
    if op in ("isfinite",):
        return "", "(uchar)1"
    if op in ("isinf", "isnan", "signbit"):
        return "", "(uchar)0"
    if op == "negative":
        return "", _wrap(dtype, f"{_w(dtype, 0)} - {_w(dtype, 'a')}")
    if op == "abs":
        if k == "u":
            return "", "a"
        return "", _wrap(dtype, f"a < 0 ? {_w(dtype, 0)} - {_w(dtype, 'a')} : {_w(dtype, 'a')}")
    if op == "square":
        return "", _wrap(dtype, f"{_w(dtype, 'a')} * {_w(dtype, 'a')}")
    if op == "sign":
        return "", f"({c})(a > 0)" if k == "u" else f"({c})((a > 0) - (a < 0))"
    raise KeyError(f"no OpenCL code for unary op {op!r} on {key(dtype)}")


def _float_divmod_helpers(c: str) -> str:
    # NumPy's npy_divmod (npymath): the same branches, so results match bit for bit.
    return f"""
inline {c} nig_floordiv_{c}({c} a, {c} b) {{
    if (b == 0) return a / b;
    {c} mod = fmod(a, b);
    {c} div = (a - mod) / b;
    if (mod != 0) {{ if ((b < 0) != (mod < 0)) {{ mod += b; div -= 1; }} }}
    {c} fl;
    if (div != 0) {{ fl = floor(div); if (div - fl > ({c})0.5) fl += 1; }}
    else {{ fl = copysign(({c})0, a / b); }}
    return fl;
}}
inline {c} nig_remainder_{c}({c} a, {c} b) {{
    {c} mod = fmod(a, b);
    if (b == 0) return mod;
    if (mod != 0) {{ if ((b < 0) != (mod < 0)) mod += b; }}
    else {{ mod = copysign(({c})0, b); }}
    return mod;
}}
"""


def _int_helpers(dtype: np.dtype) -> str:
    name = key(dtype)
    c, w, bits = COMPUTE[name], WIDE[name], BITS[name]
    u = UNSIGNED[name]
    signed = kind(dtype) == "i"
    neg1 = "b == -1" if signed else "0"
    floordiv = (
        "if (b == 0) return 0;\n"
        + (f"    if (b == -1) return {_wrap(dtype, f'({w})0 - ({w})a')};\n" if signed else "")
        + f"    {c} q = a / b;\n"
        + ("    if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;\n" if signed else "")
        + "    return q;"
    )
    remainder = (
        f"if (b == 0 || {neg1}) return 0;\n    {c} r = a % b;\n"
        + ("    if (r != 0 && ((r < 0) != (b < 0))) r += b;\n" if signed else "")
        + "    return r;"
    )
    negexp = ("if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);"
              if signed else "")
    rshift_neg = f"(a < 0 ? ({c})-1 : ({c})0)" if signed else f"({c})0"
    rshift_val = f"(a < 0 ? ({c})(~((~a) >> b)) : ({c})(a >> b))" if signed else f"({c})(a >> b)"
    return f"""
inline {c} nig_floordiv_{name}({c} a, {c} b) {{
    {floordiv}
}}
inline {c} nig_remainder_{name}({c} a, {c} b) {{
    {remainder}
}}
inline {c} nig_pow_{name}({c} a, {c} b) {{
    {negexp}
    {w} r = 1, base = ({w})a; {u} e = ({u})b;
    while (e) {{ if (e & 1) r *= base; base *= base; e >>= 1; }}
    return {_wrap(dtype, 'r')};
}}
inline {c} nig_lshift_{name}({c} a, {c} b) {{
    return (({u})b < {bits}) ? {_wrap(dtype, f'({w})a << ({u})b')} : ({c})0;
}}
inline {c} nig_rshift_{name}({c} a, {c} b) {{
    return (({u})b < {bits}) ? {rshift_val} : {rshift_neg};
}}
"""


def binary_expr(op: str, dtype: np.dtype, fp64: bool = False) -> tuple[str, str]:
    """Helpers and expression for binary ``op`` on ``a``, ``b`` of ``dtype``; ``fp64``
    says the device has doubles (float32 ``logaddexp`` then rounds each step as NumPy's
    float loop does, with correctly rounded exp and log1p)."""
    name = key(dtype)
    k = kind(dtype)
    c = COMPUTE[name]
    cmp = {"equal": "==", "not_equal": "!=", "greater": ">", "greater_equal": ">=",
           "less": "<", "less_equal": "<="}
    if op in cmp:
        return "", f"(uchar)(a {cmp[op]} b)"
    if op == "logical_and":
        return "", "(uchar)((a != 0) && (b != 0))"
    if op == "logical_or":
        return "", "(uchar)((a != 0) || (b != 0))"
    if op == "logical_xor":
        return "", "(uchar)((a != 0) != (b != 0))"
    bitops = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}
    if op in bitops and k != "f":
        return "", f"({c})(a {bitops[op]} b)"
    if k == "f":
        simple = {"add": "a + b", "subtract": "a - b", "multiply": "a * b", "divide": "a / b",
                  "atan2": "atan2(a, b)", "copysign": "copysign(a, b)",
                  "hypot": "hypot(a, b)", "nextafter": "nextafter(a, b)", "pow": "pow(a, b)",
                  "maximum": "((isnan(a) || a > b) ? a : b)",
                  "minimum": "((isnan(a) || a < b) ? a : b)"}
        if op in simple:
            return "", simple[op]
        if op in ("floor_divide", "remainder"):
            fn = "floordiv" if op == "floor_divide" else "remainder"
            return _float_divmod_helpers(c), f"nig_{fn}_{c}(a, b)"
        if op == "logaddexp" and c == "float" and fp64:
            # Near cancellation (result close to 0) the ULP error of the device's float
            # exp/log1p is amplified far beyond 4 ULP (NVIDIA's OpenCL, measured);
            # evaluating each step in double and rounding it reproduces NumPy's float
            # loop, whose glibc expf/log1pf are correctly rounded.
            helper = """
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
inline float nig_logaddexp_f64(float a, float b) {
    if (a == b) return a + M_LN2_F;
    float t = a - b;
    if (t > 0) return a + (float)log1p((double)(float)exp(-(double)t));
    if (t <= 0) return b + (float)log1p((double)(float)exp((double)t));
    return t;
}
"""
            return helper, "nig_logaddexp_f64(a, b)"
        if op == "logaddexp" and c == "double":
            # exp and log1p correctly rounded in double-double (see ddmath): the
            # device's few-ULP builtins are amplified by cancellation near 0
            helper = DD_HELPERS + """
inline double nig_logaddexp_double(double a, double b) {
    if (a == b) return a + M_LN2;
    double t = a - b;
    if (!(t > 0) && !(t <= 0)) return t;
    double m = t > 0 ? a : b;
    double x = -fabs(t);
    double l = log1p(exp(x));
    double r = m + l;
    /* |r| >= 16 l: ulp(r) >= 8 ulp(l), so the builtins' error is a fraction of an
       ULP of r; only nearer cancellation needs the slower exact path */
    if (fabs(r) >= 16.0 * l) return r;
    return m + nig_log1p_cr(nig_exp_cr(x));
}
"""
            return helper, "nig_logaddexp_double(a, b)"
        if op == "logaddexp":
            ln2 = "M_LN2" if c == "double" else "M_LN2_F"
            helper = f"""
inline {c} nig_logaddexp_{c}({c} a, {c} b) {{
    if (a == b) return a + {ln2};
    {c} t = a - b;
    if (t > 0) return a + log1p(exp(-t));
    if (t <= 0) return b + log1p(exp(t));
    return t;
}}
"""
            return helper, f"nig_logaddexp_{c}(a, b)"
        raise KeyError(f"no OpenCL code for binary op {op!r} on {name}")
    arith = {"add": "+", "subtract": "-", "multiply": "*"}
    if op in arith:
        return "", _wrap(dtype, f"{_w(dtype, 'a')} {arith[op]} {_w(dtype, 'b')}")
    if op in ("maximum", "minimum"):
        return "", f"(a {'>' if op == 'maximum' else '<'} b ? a : b)"
    fns = {"floor_divide": "floordiv", "remainder": "remainder", "pow": "pow",
           "bitwise_left_shift": "lshift", "bitwise_right_shift": "rshift"}
    if op in fns:
        return _int_helpers(dtype), f"nig_{fns[op]}_{name}(a, b)"
    raise KeyError(f"no OpenCL code for binary op {op!r} on {name}")
