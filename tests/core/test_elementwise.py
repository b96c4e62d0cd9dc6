"""Every op-table function against NumPy on the current device, plus operators,
in-place semantics and dtype-category errors."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
from nigiri.arrays import dtypes as D
from nigiri.arrays.optable import OPS

RNG = np.random.default_rng(1234)


def _sample(dtype: np.dtype, domain: str, shape=(5, 4)) -> np.ndarray:
    if dtype == D.bool_:
        return RNG.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = (0, 7) if domain == "shift" else (max(info.min, -100), min(info.max, 100))
        if domain == "positive":
            lo = 1
        return RNG.integers(lo, hi, shape).astype(dtype)
    if dtype.kind == "c":
        return (_sample(D.real_dtype(dtype), domain, shape) + 1j * _sample(D.real_dtype(dtype), domain, shape)).astype(dtype)
    base = {"positive": RNG.uniform(0.1, 10, shape), "nonneg": RNG.uniform(0, 10, shape),
            "unit": RNG.uniform(-0.95, 0.95, shape), "ge1": RNG.uniform(1, 10, shape),
            "gt-1": RNG.uniform(-0.9, 5, shape), "small": RNG.uniform(-3, 3, shape)}
    return base.get(domain, RNG.normal(0, 3, shape)).astype(dtype)


def _dtypes_for(category: str):
    return [d for d in D.CATEGORIES[category] if d != D.float16]


CASES = [(name, d) for name, op in OPS.items() for d in _dtypes_for(op.category)]


@pytest.mark.parametrize("name,dtype", CASES, ids=lambda v: getattr(v, "name", v))
def test_op_matches_numpy(name, dtype):
    op = OPS[name]
    a = _sample(dtype, op.domain)
    args = [a]
    if op.arity == 2:
        b = _sample(dtype, "shift" if op.domain == "shift" else "any")
        if op.domain == "nonzero2":
            b = np.where(b == 0, np.ones_like(b), b)
        if name == "pow" and dtype.kind in "iu":
            b = np.abs(b) % 4
        if name == "pow" and dtype.kind in "fc":
            a = _sample(dtype, "positive")
        args = [a, b]
    got = getattr(ng, name)(*(ng.asarray(v) for v in args))
    with np.errstate(all="ignore"):
        ref = getattr(np, op.numpy)(*args)
    if name == "divide" and dtype.kind in "iu":
        ref = (a.astype(np.float32) / b.astype(np.float32))
    ref = np.asarray(ref)
    out = ng.to_numpy(got)
    assert out.dtype == ref.dtype, (out.dtype, ref.dtype)
    assert out.shape == ref.shape
    if dtype.kind in "fc":
        np.testing.assert_allclose(out, ref, rtol=1e-5 if dtype != D.float64 else 1e-12, atol=1e-6, equal_nan=True)
    else:
        np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("name", ["sqrt", "log", "sin", "logical_not", "bitwise_invert", "atan2"])
def test_wrong_category_is_a_type_error_naming_function_category_dtype(name):
    op = OPS[name]
    bad = ng.ones(3, dtype=ng.float32) if op.category in ("boolean", "integer or boolean", "integer") else ng.asarray([True])
    args = [bad] * op.arity
    with pytest.raises(TypeError) as info:
        getattr(ng, name)(*args)
    msg = str(info.value)
    assert name in msg and op.category in msg and bad.dtype.name in msg


def test_integer_edge_semantics():
    a = ng.asarray(np.array([7, -7, 5, 127], np.int8))
    z = ng.zeros(4, dtype=ng.int8)
    assert ng.to_numpy(ng.floor_divide(a, z)).tolist() == [0, 0, 0, 0]
    assert ng.to_numpy(ng.remainder(a, z)).tolist() == [0, 0, 0, 0]
    assert ng.to_numpy(a + ng.asarray(np.array([1, 1, 1, 1], np.int8))).tolist()[-1] == -128  # wraps
    p = ng.pow(ng.asarray([2, 1, -1, -1, 0], dtype=ng.int32), ng.asarray([-1, -3, -3, -2, -1], dtype=ng.int32))
    assert ng.to_numpy(p).tolist() == [0, 1, -1, 1, 0]
    s = ng.bitwise_right_shift(ng.asarray([-8, 8], dtype=ng.int32), ng.asarray([40, 40], dtype=ng.int32))
    assert ng.to_numpy(s).tolist() == [-1, 0]
    assert ng.to_numpy(ng.bitwise_left_shift(ng.asarray([1], dtype=ng.uint8), ng.asarray([9], dtype=ng.uint8))).tolist() == [0]


def test_int_true_division_gives_default_float():
    out = ng.asarray([1, 2, 3]) / ng.asarray([2, 2, 2])
    assert out.dtype == ng.float32
    np.testing.assert_allclose(ng.to_numpy(out), [0.5, 1.0, 1.5])


def test_operators_and_reflected_scalars():
    x = ng.asarray([1.0, 2.0, 4.0])
    np.testing.assert_allclose(ng.to_numpy(2 - x), [1, 0, -2])
    np.testing.assert_allclose(ng.to_numpy(1 / x), [1, 0.5, 0.25])
    np.testing.assert_allclose(ng.to_numpy(x ** 2), [1, 4, 16])
    np.testing.assert_allclose(ng.to_numpy(-x), [-1, -2, -4])
    assert ng.to_numpy(x > 1.5).tolist() == [False, True, True]
    assert ng.to_numpy(abs(ng.asarray([-1, 2]))).tolist() == [1, 2]
    assert ng.to_numpy(~ng.asarray([True, False])).tolist() == [False, True]
    with pytest.raises(TypeError):
        x + "a"


def test_inplace_writes_through_views_and_keeps_dtype():
    base = ng.zeros((3, 3))
    view = base[1]
    view += 5
    assert ng.to_numpy(base)[1].tolist() == [5, 5, 5]
    x = ng.ones(3, dtype=ng.int32)
    with pytest.raises(TypeError, match="dtype"):
        x += 1.5
    y = ng.ones((1, 3))
    with pytest.raises(ValueError, match="shape"):
        y += ng.ones((2, 3))


def test_broadcast_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="cannot be broadcast"):
        ng.ones((2, 3)) + ng.ones((4,))


def test_clip():
    x = ng.asarray([-2.0, 0.5, 3.0, float("nan")])
    out = ng.to_numpy(ng.clip(x, 0.0, 1.0))
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0, np.nan])
    assert ng.to_numpy(ng.clip(ng.asarray([1, 5, 9]), min=3)).tolist() == [3, 5, 9]
    with pytest.raises(TypeError):
        ng.clip(ng.asarray([1, 2]), 0.5)


def test_generated_docstrings_name_category():
    assert "floating-point" in ng.sqrt.__doc__
    assert ng.add.__name__ == "add"
