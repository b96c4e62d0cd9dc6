"""Correctness checks run before any time is reported.

The bounds follow DESIGN section 5 (loosely: the conformance suite is the strict
judge; here the point is that a fast wrong answer never makes it into a table, e.g.
TF32 matmul or a float32 sum that stagnates):

- elementwise: ``|got - ref| <= rtol * |ref| + atol`` (float32: a few ULP),
- matmul: ``|got - ref| <= 4 * eps * sqrt(K) * (|A| @ |B|)`` element by element,
- reductions: ``|got - ref| <= 4 * eps * sqrt(n) * sum|x|`` over the reduced axes,
- exact: bitwise equality (data movement, argmax).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["close", "exact", "matmul_bound", "reduce_bound"]

EPS32 = float(np.finfo(np.float32).eps)


def _result(ok: bool, err: float, bound: float) -> tuple[bool, float, float]:
    return bool(ok), float(err), float(bound)


def _shape_ok(got: np.ndarray, ref: np.ndarray) -> bool:
    return np.shape(got) == np.shape(ref)


def close(rtol: float = 8 * EPS32, atol: float = 0.0):
    """Elementwise check ``|got - ref| <= rtol*|ref| + atol``; reports the worst
    error relative to the bound."""

    def check(got: np.ndarray, ref: np.ndarray, inputs: tuple) -> tuple[bool, float, float]:
        if not _shape_ok(got, ref):
            return _result(False, math.inf, 0.0)
        got64 = np.asarray(got, dtype=np.float64)
        err = np.abs(got64 - ref)
        bound = rtol * np.abs(ref) + atol
        if not np.all(np.isfinite(got64) == np.isfinite(ref)):
            return _result(False, math.inf, float(np.max(bound)))
        worst = int(np.argmax(err - bound)) if err.size else 0
        ok = bool(np.all(err <= bound)) if err.size else True
        return _result(ok, float(err.reshape(-1)[worst]) if err.size else 0.0,
                       float(bound.reshape(-1)[worst]) if err.size else 0.0)

    return check


def exact():
    """Bitwise equality (values and shape)."""

    def check(got: np.ndarray, ref: np.ndarray, inputs: tuple) -> tuple[bool, float, float]:
        if not _shape_ok(got, ref):
            return _result(False, math.inf, 0.0)
        diff = np.asarray(got) != np.asarray(ref)
        return _result(not bool(np.any(diff)), float(np.count_nonzero(diff)), 0.0)

    return check


def matmul_bound(factor: float = 4.0):
    """Matmul check: per element ``factor * eps32 * sqrt(K) * (|A| @ |B|)``."""

    def check(got: np.ndarray, ref: np.ndarray, inputs: tuple) -> tuple[bool, float, float]:
        if not _shape_ok(got, ref):
            return _result(False, math.inf, 0.0)
        a, b = (np.abs(np.asarray(x, dtype=np.float64)) for x in inputs[:2])
        k = a.shape[-1]
        bound = factor * EPS32 * math.sqrt(k) * (a @ b) + np.finfo(np.float32).tiny
        err = np.abs(np.asarray(got, dtype=np.float64) - ref)
        worst = int(np.argmax(err / bound))
        return _result(bool(np.all(err <= bound)), float(err.reshape(-1)[worst]),
                       float(bound.reshape(-1)[worst]))

    return check


def reduce_bound(axis: int | None, factor: float = 4.0):
    """Reduction check: ``factor * eps32 * sqrt(n) * sum|x|`` over the reduced axis."""

    def check(got: np.ndarray, ref: np.ndarray, inputs: tuple) -> tuple[bool, float, float]:
        if not _shape_ok(got, ref):
            return _result(False, math.inf, 0.0)
        x = np.abs(np.asarray(inputs[0], dtype=np.float64))
        n = x.size if axis is None else x.shape[axis]
        bound = factor * EPS32 * math.sqrt(n) * np.sum(x, axis=axis) + np.finfo(np.float32).tiny
        err = np.abs(np.asarray(got, dtype=np.float64) - ref)
        worst = int(np.argmax(np.reshape(err / bound, -1)))
        return _result(bool(np.all(err <= bound)), float(np.reshape(err, -1)[worst]),
                       float(np.reshape(bound, -1)[worst]))

    return check
