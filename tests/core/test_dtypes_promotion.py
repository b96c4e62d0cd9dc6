"""Promotion table: the standard's same-kind table (array-api-strict as oracle) and
PyTorch's mixed-kind rules; weak Python scalars."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nigiri as ng
from nigiri.arrays import dtypes as D

strict = pytest.importorskip("array_api_strict", reason="array-api-strict is the promotion oracle")

NAMES = [d.name for d in D.ALL_DTYPES]


def _kind(d):
    return "b" if d.kind == "b" else ("i" if d.kind in "iu" else d.kind)


SAME_KIND = [(a, b) for a, b in itertools.product(D.ALL_DTYPES, repeat=2)
             if _kind(a) == _kind(b) and not (D.uint64 in (a, b) and {a.kind, b.kind} == {"i", "u"})
             and D.float16 not in (a, b)]  # float16 is a nigiri extra, not in the standard


def test_float16_promotes_like_the_other_floats():
    assert D.promote(D.float16, D.float32) == D.float32
    assert D.promote(D.float16, D.float16) == D.float16
    assert D.promote(D.float16, D.complex64) == D.complex64


@pytest.mark.parametrize("a,b", SAME_KIND, ids=lambda d: d.name)
def test_same_kind_matches_array_api_strict(a, b):
    expected = strict.result_type(getattr(strict, a.name), getattr(strict, b.name))
    assert D.promote(a, b) == np.dtype(expected._np_dtype)


@pytest.mark.parametrize("f", D.REAL_FLOAT + D.COMPLEX, ids=str)
@pytest.mark.parametrize("i", D.INTEGER + (D.bool_,), ids=str)
def test_int_or_bool_with_float_gives_the_float(i, f):
    assert D.promote(i, f) == f
    assert D.promote(f, i) == f


def test_real_with_complex_gives_complex_of_at_least_that_precision():
    assert D.promote(D.float64, D.complex64) == D.complex128
    assert D.promote(D.float32, D.complex64) == D.complex64
    assert D.promote(D.float16, D.complex128) == D.complex128


@pytest.mark.parametrize("s", D.SIGNED, ids=str)
def test_uint64_with_signed_is_a_type_error(s):
    with pytest.raises(TypeError, match="uint64"):
        D.promote(D.uint64, s)
    with pytest.raises(TypeError, match="explicit"):
        ng.add(ng.ones(2, dtype=ng.uint64), ng.ones(2, dtype=s))


def test_python_scalars_are_weak():
    x = ng.ones(3, dtype=ng.int8)
    assert (x + 1).dtype == ng.int8
    assert (x * 2.5).dtype == ng.float32  # int array with a float scalar: default float
    assert (ng.ones(3, dtype=ng.float16) + 1.0).dtype == ng.float16
    assert (ng.ones(3) + 1j).dtype == ng.complex64
    assert (ng.ones(3, dtype=ng.float64) + 1j).dtype == ng.complex128
    assert (ng.asarray([True, False]) & True).dtype == ng.bool


def test_scalar_out_of_range_is_an_overflow_error():
    with pytest.raises(OverflowError, match="int8"):
        ng.ones(2, dtype=ng.int8) + 300


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NAMES), st.sampled_from(NAMES))
def test_binary_result_dtype_follows_the_table(a, b):
    da, db = np.dtype(a), np.dtype(b)
    x, y = ng.ones(2, dtype=da), ng.ones(2, dtype=db)
    try:
        expected = D.promote(da, db)
    except TypeError:
        with pytest.raises(TypeError):
            ng.multiply(x, y)
        return
    if expected.kind == "b":
        with pytest.raises(TypeError, match="numeric"):
            ng.multiply(x, y)
        return
    assert ng.multiply(x, y).dtype == expected
    assert ng.equal(x, y).dtype == ng.bool


def test_result_type_can_cast_finfo_iinfo():
    assert ng.result_type(ng.int8, ng.uint8) == ng.int16
    assert ng.result_type(ng.ones(1, dtype=ng.int32), 1.0) == ng.float32
    assert ng.can_cast(ng.int8, ng.int32) and not ng.can_cast(ng.int32, ng.int8)
    assert ng.finfo(ng.float32).eps == float(np.finfo(np.float32).eps)
    assert ng.iinfo(ng.uint8).max == 255
    with pytest.raises(TypeError, match="floating-point"):
        ng.finfo(ng.int32)
    assert ng.isdtype(ng.float32, "real floating") and not ng.isdtype(ng.int8, ("bool", "real floating"))
    with pytest.raises(ValueError, match="unknown kind"):
        ng.isdtype(ng.float32, "floaty")


def test_default_dtypes_are_float32_int64():
    assert ng.asarray(1.5).dtype == ng.float32
    assert ng.asarray([1, 2]).dtype == ng.int64
    assert ng.asarray(1j).dtype == ng.complex64
    assert ng.zeros(3).dtype == ng.float32
    assert ng.arange(3.0).dtype == ng.float32
    info = ng.__array_namespace_info__()
    assert info.default_dtypes()["real floating"] == ng.float32
