"""Elementwise functions: ``abs``, ``sign``, ``round`` (half away from zero, as in
MATLAB), ``fix``, ``floor``, ``ceil``, ``sqrt``, ``exp``, ``log``, ``sin``, ``cos``,
``tan``, ``tanh``.

Transcendental functions need a floating class (an integer class is a TypeError, as in
MATLAB; logical gives double) and are real-valued: ``sqrt(-1)`` and ``log(-1)``
give NaN where MATLAB returns complex numbers (documented difference).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

import nigiri as ng

from . import _classes as C
from .matrix import Matrix, asmatrix

__all__ = ["abs", "sign", "round", "fix", "floor", "ceil", "sqrt", "exp", "log", "sin",
           "cos", "tan", "tanh"]


def _float_input(x: Matrix, fn: str) -> ng.Array:
    k = x.klass
    if C.is_int_class(k):
        raise TypeError(f"{fn}: expected a single or double matrix, got class {k}; "
                        "convert with double() or single()")
    if k == "logical":
        return ng.astype(x._a, C.dtype_of_class(C.double_class(x.device)))
    return x._a


def _transcendental(name: str, op: Callable[[ng.Array], ng.Array]) -> Any:
    def fn(a: Any) -> Matrix:
        return Matrix._wrap(op(_float_input(asmatrix(a), name)), owned=True)

    fn.__name__ = name
    fn.__doc__ = f"``{name}(A)`` elementwise (floating classes; real-valued)."
    return fn


sqrt = _transcendental("sqrt", ng.sqrt)
exp = _transcendental("exp", ng.exp)
log = _transcendental("log", ng.log)
sin = _transcendental("sin", ng.sin)
cos = _transcendental("cos", ng.cos)
tan = _transcendental("tan", ng.tan)
tanh = _transcendental("tanh", ng.tanh)


def _integer_safe(name: str, op: Callable[[ng.Array], ng.Array], int_identity: bool) -> Any:
    def fn(a: Any) -> Matrix:
        x = asmatrix(a)
        k = x.klass
        if C.is_int_class(k):
            if int_identity:
                return x.copy()
            r = op(ng.astype(x._a, C.work_float(x.device)))
            return Matrix._wrap(C.cast_array(r, k, name), owned=True)  # saturates
        if np.dtype(x.dtype).kind == "c" and name != "abs":
            raise TypeError(f"{name}: complex matrices are not supported")
        return Matrix._wrap(op(_float_input(x, name)), owned=True)

    fn.__name__ = name
    fn.__doc__ = f"``{name}(A)`` elementwise."
    return fn


def _round(x: ng.Array) -> ng.Array:
    t = ng.trunc(x)
    return ng.where(ng.abs(x - t) >= 0.5, t + ng.sign(x), t)


abs = _integer_safe("abs", ng.abs, False)  # noqa: A001
sign = _integer_safe("sign", ng.sign, False)
round = _integer_safe("round", _round, True)  # noqa: A001
fix = _integer_safe("fix", ng.trunc, True)
floor = _integer_safe("floor", ng.floor, True)
ceil = _integer_safe("ceil", ng.ceil, True)
