"""Shared helpers of the cupy backend tests: the GPU skip marker, op-table inputs
(domain-aware values plus edge values) and the tolerance check against the numpy
reference backend."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri
from nigiri.arrays.optable import OPS, TOLERANCE_ULPS
from nigiri.backends.cupy import _runtime

ALL_DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int16, np.int32, np.int64,
                                    np.uint8, np.uint16, np.uint32, np.uint64, np.float16,
                                    np.float32, np.float64, np.complex64, np.complex128)]


def gpu_reason() -> str | None:
    try:
        _runtime.device_count()
    except nigiri.BackendUnavailableError:
        return "no CUDA device"
    return None


GPU_REASON = gpu_reason()
gpu = pytest.mark.skipif(GPU_REASON is not None, reason=GPU_REASON or "")


def seeded(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5]


def float_values(dtype, domain, n, rng):
    if domain == "positive":
        v = rng.uniform(0.01, 20.0, n)
    elif domain == "nonneg":
        v = rng.uniform(0.0, 20.0, n)
    elif domain == "unit":
        v = rng.uniform(-0.99, 0.99, n)
    elif domain == "ge1":
        v = rng.uniform(1.0, 20.0, n)
    elif domain == "gt-1":
        v = rng.uniform(-0.99, 20.0, n)
    elif domain == "small":
        v = rng.uniform(-5.0, 5.0, n)
    else:
        v = rng.standard_normal(n) * 10.0
    return v


def op_inputs(op, dtype, rng, n=257):
    """Operands for an op-table op: domain-aware random values plus edge values."""
    spec = OPS[op]
    kind = dtype.kind
    if kind == "b":
        return [rng.integers(0, 2, n).astype(bool) for _ in range(spec.arity)]
    if kind in "iu":
        info = np.iinfo(dtype)
        edge = np.array([int(info.min), int(info.max), 0, 1, 2, int(info.max) - 1] +
                        ([-1, -2, int(info.min) + 1] if kind == "i" else []), dtype=dtype)
        if op == "pow":
            base = rng.integers(-4 if kind == "i" else 0, 5, n)
            exp = rng.integers(-3 if kind == "i" else 0, 12, n)
            return [base.astype(dtype), exp.astype(dtype)]
        if op in ("bitwise_left_shift", "bitwise_right_shift"):
            bits = dtype.itemsize * 8
            a = rng.integers(info.min, int(info.max) + 1, n, dtype=np.int64 if kind == "i" else np.uint64)
            s = rng.integers(0, bits + 4, n)
            return [a.astype(dtype), s.astype(dtype)]
        lo, hi = (max(int(info.min), -1000), min(int(info.max), 1000)) if op in (
            "multiply", "square") else (int(info.min), int(info.max))
        vals = []
        for _ in range(spec.arity):
            a = rng.integers(lo, hi, n, dtype=np.int64 if kind == "i" else np.uint64,
                             endpoint=True).astype(dtype)
            a[: len(edge)] = edge.astype(dtype)
            vals.append(a)
        if spec.arity == 2:
            vals[1][:: 7] = 0  # integer division/remainder by zero
            if kind == "i":
                vals[1][3:: 11] = -1
        return vals
    vals = []
    for i in range(spec.arity):
        v = float_values(dtype, spec.domain if not (spec.domain == "nonzero2" and i == 0) else "any", n, rng)
        if kind == "c":
            v = v + 1j * float_values(dtype, spec.domain, n, rng)
        a = v.astype(dtype)
        if kind == "f":  # NaN/inf/signed zeros (complex specials follow C99 Annex G: not compared)
            sp = np.array(SPECIAL, dtype=np.float64)
            if i == 1:
                sp = np.roll(sp, 3)
            a[: len(sp)] = sp.astype(dtype)
        vals.append(a)
    return vals


def assert_match(got, want, tol: str, what: str, scale=None):
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype} != {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if want.dtype.kind in "biu" or tol == "exact" and want.dtype.kind not in "fc":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    if want.dtype.kind == "c":
        if tol == "exact":
            np.testing.assert_array_equal(got, want, err_msg=what)
            return
        ulps = 2 * TOLERANCE_ULPS[tol] + 2
        eps = np.finfo(want.dtype).eps
        err = np.abs(got.astype(np.complex128) - want)
        scale = np.maximum(np.abs(want.astype(np.complex128)), eps)
        bad = np.flatnonzero(~(err <= ulps * eps * scale) & ~(np.isnan(got) & np.isnan(want)))
        assert bad.size == 0, f"{what}: got {got.flat[bad[:4]]} want {want.flat[bad[:4]]}"
        return
    g, w = got.astype(np.float64), want.astype(np.float64)
    nan_g, nan_w = np.isnan(g), np.isnan(w)
    bad = np.flatnonzero(nan_g != nan_w)
    assert bad.size == 0, f"{what}: NaN mismatch at {bad[:5]}: got {got.flat[bad[:5]]}, want {want.flat[bad[:5]]}"
    fin = ~nan_w
    if tol == "exact":
        np.testing.assert_array_equal(got[fin], want[fin], err_msg=what)
        return
    ulps = 2 * TOLERANCE_ULPS[tol] + 2
    eps = np.finfo(want.dtype).eps
    inf = np.isinf(w) & fin
    assert np.array_equal(g[inf], w[inf]), f"{what}: inf mismatch"
    fin &= ~np.isinf(w)
    mag = np.abs(w) if scale is None else np.maximum(np.abs(w), scale)
    scale = np.maximum(mag[fin], np.finfo(want.dtype).tiny)
    err = np.abs(g[fin] - w[fin])
    ok = err <= ulps * eps * np.maximum(scale, eps)
    bad = np.flatnonzero(~ok)
    assert bad.size == 0, (f"{what}: {bad.size} values off by more than {ulps} ulp, e.g. "
                           f"got {g[fin][bad[:4]]} want {w[fin][bad[:4]]}")


def op_cases(arity):
    from nigiri.arrays import dtypes as dt

    out = []
    for op, spec in OPS.items():
        if spec.arity != arity:
            continue
        category = "numeric" if op == "divide" else spec.category
        for dtype in sorted(dt.CATEGORIES[category], key=lambda d: d.num):
            if op == "divide" and dtype.kind in "iu":
                continue  # the array layer casts to float first
            out.append(pytest.param(op, np.dtype(dtype), id=f"{op}-{np.dtype(dtype).name}"))
    return out
