"""The elementwise op table: one row per elementwise function of the standard.

This module is pure data (it imports nothing from nigiri) so that backends can read it
to build their kernel lists, ``nigiri.arrays.elementwise`` generates the API functions
and docstrings from it, and the conformance suite generates cases and tolerances.

Columns:
    name      the Array API name (also the primitive op name passed to backends)
    arity     1 or 2
    category  dtype category the inputs must belong to (see ``dtypes.CATEGORIES``)
    result    "same" (the promoted input dtype), "bool", or "real" (the real dtype
              of a complex input, the input dtype otherwise)
    numpy     the NumPy ufunc that the reference backend calls
    domain    input domain for generated test data: "any", "positive", "nonneg",
              "unit" (open interval -1..1), "ge1", "gt-1", "nonzero2" (second
              argument nonzero), "shift" (second argument in 0..bits-1), "small"
    tol       tolerance class: "exact", "basic" (<= 1 ULP), "div" (<= 3 ULP),
              "transcendental" (<= 4 ULP), "special" (<= 16 ULP)
    doc       one line for the generated docstring
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Op", "OPS", "UNARY", "BINARY", "TOLERANCE_ULPS"]


class Op(NamedTuple):
    name: str
    arity: int
    category: str
    result: str
    numpy: str
    domain: str
    tol: str
    doc: str


# ULP bounds per tolerance class (DESIGN section 5).
TOLERANCE_ULPS = {"exact": 0, "basic": 1, "div": 3, "transcendental": 4, "special": 16}

_ROWS = [
    # unary
    ("abs", 1, "numeric", "real", "absolute", "any", "basic", "Absolute value."),
    ("acos", 1, "floating-point", "same", "arccos", "unit", "transcendental", "Inverse cosine."),
    ("acosh", 1, "floating-point", "same", "arccosh", "ge1", "transcendental", "Inverse hyperbolic cosine."),
    ("asin", 1, "floating-point", "same", "arcsin", "unit", "transcendental", "Inverse sine."),
    ("asinh", 1, "floating-point", "same", "arcsinh", "any", "transcendental", "Inverse hyperbolic sine."),
    ("atan", 1, "floating-point", "same", "arctan", "any", "transcendental", "Inverse tangent."),
    ("atanh", 1, "floating-point", "same", "arctanh", "unit", "transcendental", "Inverse hyperbolic tangent."),
    ("bitwise_invert", 1, "integer or boolean", "same", "invert", "any", "exact", "Bitwise NOT."),
    ("ceil", 1, "real numeric", "same", "ceil", "any", "exact", "Round toward +infinity."),
    ("conj", 1, "numeric", "same", "conjugate", "any", "exact", "Complex conjugate."),
    ("cos", 1, "floating-point", "same", "cos", "small", "transcendental", "Cosine."),
    ("cosh", 1, "floating-point", "same", "cosh", "small", "transcendental", "Hyperbolic cosine."),
    ("exp", 1, "floating-point", "same", "exp", "small", "transcendental", "Exponential."),
    ("expm1", 1, "floating-point", "same", "expm1", "small", "transcendental", "exp(x) - 1, accurate near 0."),
    ("floor", 1, "real numeric", "same", "floor", "any", "exact", "Round toward -infinity."),
    ("imag", 1, "complex floating-point", "real", "imag", "any", "exact", "Imaginary part."),
    ("isfinite", 1, "numeric", "bool", "isfinite", "any", "exact", "True where finite."),
    ("isinf", 1, "numeric", "bool", "isinf", "any", "exact", "True where infinite."),
    ("isnan", 1, "numeric", "bool", "isnan", "any", "exact", "True where NaN."),
    ("log", 1, "floating-point", "same", "log", "positive", "transcendental", "Natural logarithm."),
    ("log1p", 1, "floating-point", "same", "log1p", "gt-1", "transcendental", "log(1 + x), accurate near 0."),
    ("log2", 1, "floating-point", "same", "log2", "positive", "transcendental", "Base-2 logarithm."),
    ("log10", 1, "floating-point", "same", "log10", "positive", "transcendental", "Base-10 logarithm."),
    ("logical_not", 1, "boolean", "bool", "logical_not", "any", "exact", "Logical NOT."),
    ("negative", 1, "numeric", "same", "negative", "any", "exact", "Numerical negative."),
    ("positive", 1, "numeric", "same", "positive", "any", "exact", "Numerical positive (a copy)."),
    ("real", 1, "numeric", "real", "real", "any", "exact", "Real part."),
    ("round", 1, "numeric", "same", "round", "any", "exact", "Round half to even."),
    ("sign", 1, "numeric", "same", "sign", "any", "exact", "Sign (x/|x| for complex)."),
    ("signbit", 1, "real floating-point", "bool", "signbit", "any", "exact", "True where the sign bit is set."),
    ("sin", 1, "floating-point", "same", "sin", "small", "transcendental", "Sine."),
    ("sinh", 1, "floating-point", "same", "sinh", "small", "transcendental", "Hyperbolic sine."),
    ("square", 1, "numeric", "same", "square", "any", "basic", "x * x."),
    ("sqrt", 1, "floating-point", "same", "sqrt", "nonneg", "div", "Square root."),
    ("tan", 1, "floating-point", "same", "tan", "small", "transcendental", "Tangent."),
    ("tanh", 1, "floating-point", "same", "tanh", "any", "transcendental", "Hyperbolic tangent."),
    ("trunc", 1, "real numeric", "same", "trunc", "any", "exact", "Round toward zero."),
    # binary
    ("add", 2, "numeric", "same", "add", "any", "basic", "x1 + x2."),
    ("atan2", 2, "real floating-point", "same", "arctan2", "any", "special", "Quadrant-aware arctan(x1 / x2)."),
    ("bitwise_and", 2, "integer or boolean", "same", "bitwise_and", "any", "exact", "Bitwise AND."),
    ("bitwise_left_shift", 2, "integer", "same", "left_shift", "shift", "exact", "x1 << x2."),
    ("bitwise_or", 2, "integer or boolean", "same", "bitwise_or", "any", "exact", "Bitwise OR."),
    ("bitwise_right_shift", 2, "integer", "same", "right_shift", "shift", "exact", "x1 >> x2 (arithmetic for signed)."),
    ("bitwise_xor", 2, "integer or boolean", "same", "bitwise_xor", "any", "exact", "Bitwise XOR."),
    ("copysign", 2, "real floating-point", "same", "copysign", "any", "exact", "|x1| with the sign of x2."),
    ("divide", 2, "floating-point", "same", "divide", "nonzero2", "div", "True division x1 / x2 (integer inputs compute in the default float dtype)."),
    ("equal", 2, "any", "bool", "equal", "any", "exact", "x1 == x2."),
    ("floor_divide", 2, "real numeric", "same", "floor_divide", "nonzero2", "div", "Floor of x1 / x2 (0 for integer division by 0)."),
    ("greater", 2, "real numeric", "bool", "greater", "any", "exact", "x1 > x2."),
    ("greater_equal", 2, "real numeric", "bool", "greater_equal", "any", "exact", "x1 >= x2."),
    ("hypot", 2, "real floating-point", "same", "hypot", "any", "div", "sqrt(x1**2 + x2**2) without overflow."),
    ("less", 2, "real numeric", "bool", "less", "any", "exact", "x1 < x2."),
    ("less_equal", 2, "real numeric", "bool", "less_equal", "any", "exact", "x1 <= x2."),
    ("logaddexp", 2, "real floating-point", "same", "logaddexp", "small", "transcendental", "log(exp(x1) + exp(x2)), stable."),
    ("logical_and", 2, "boolean", "bool", "logical_and", "any", "exact", "Logical AND."),
    ("logical_or", 2, "boolean", "bool", "logical_or", "any", "exact", "Logical OR."),
    ("logical_xor", 2, "boolean", "bool", "logical_xor", "any", "exact", "Logical XOR."),
    ("maximum", 2, "real numeric", "same", "maximum", "any", "exact", "Elementwise maximum (NaN propagates)."),
    ("minimum", 2, "real numeric", "same", "minimum", "any", "exact", "Elementwise minimum (NaN propagates)."),
    ("multiply", 2, "numeric", "same", "multiply", "any", "basic", "x1 * x2."),
    ("nextafter", 2, "real floating-point", "same", "nextafter", "any", "exact", "Next representable value after x1 toward x2."),
    ("not_equal", 2, "any", "bool", "not_equal", "any", "exact", "x1 != x2."),
    ("pow", 2, "numeric", "same", "power", "small", "special", "x1 ** x2 (integer: negative exponents give 1/x1**|x2| truncated)."),
    ("remainder", 2, "real numeric", "same", "remainder", "nonzero2", "div", "Remainder with the sign of x2 (0 for integer x2 == 0)."),
    ("subtract", 2, "numeric", "same", "subtract", "any", "basic", "x1 - x2."),
]

OPS: dict[str, Op] = {row[0]: Op(*row) for row in _ROWS}
UNARY: tuple[str, ...] = tuple(name for name, op in OPS.items() if op.arity == 1)
BINARY: tuple[str, ...] = tuple(name for name, op in OPS.items() if op.arity == 2)
