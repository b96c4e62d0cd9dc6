"""Shared data generators and comparisons for the numba backend tests."""

from __future__ import annotations

import numpy as np

INTS = [np.dtype(f"{k}{b}") for k in ("int", "uint") for b in (8, 16, 32, 64)]
FLOATS = [np.dtype(n) for n in ("float16", "float32", "float64")]
COMPLEX = [np.dtype(n) for n in ("complex64", "complex128")]
ALL = [np.dtype(bool)] + INTS + FLOATS + COMPLEX


def data(rng: np.random.Generator, dtype: np.dtype, shape: tuple[int, ...],
         domain: str = "any", special: bool = True, second: bool = False) -> np.ndarray:
    """Fresh random data of ``dtype`` in an op-table ``domain`` (never all zeros)."""
    n = int(np.prod(shape))
    if dtype.kind == "b":
        return rng.integers(0, 2, n).astype(bool).reshape(shape)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if domain == "shift":
            if second:
                return rng.integers(0, info.bits + 3, n).astype(dtype).reshape(shape)
        if domain == "small":
            lo = -3 if dtype.kind == "i" else 0
            return rng.integers(lo, 6, n).astype(dtype).reshape(shape)
        vals = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
        small = rng.integers(max(info.min, -20), 21, n).astype(dtype)
        vals = np.where(rng.random(n) < 0.5, small, vals)
        edge = np.array([0, 1, info.max, info.min] + ([-1] if dtype.kind == "i" else []), dtype)
        vals[: min(n, edge.size)] = edge[: min(n, edge.size)]
        rng.shuffle(vals)
        return vals.reshape(shape)
    real = np.dtype(np.float64)
    x = rng.standard_normal(n).astype(real) * 3
    if domain == "positive":
        x = np.abs(x) + 1e-3
    elif domain == "nonneg":
        x = np.abs(x)
    elif domain == "unit":
        x = np.tanh(x) * 0.999
    elif domain == "ge1":
        x = 1 + np.abs(x)
    elif domain == "gt-1":
        x = np.abs(x) - 0.9
    elif domain == "small":
        x = x / 3
    elif domain == "nonzero2" and second:
        x = np.where(np.abs(x) < 0.1, 0.5, x)
    if dtype.kind == "c":
        y = rng.standard_normal(n) * (0.3 if domain in ("small", "unit") else 1.5)
        if domain in ("positive", "ge1", "nonneg", "gt-1"):
            y = y * 0.5
        return (x + 1j * y).astype(dtype).reshape(shape)
    out = x.astype(dtype)
    if special and domain == "any" and n >= 8:
        sp = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0], dtype)
        pos = rng.choice(n, size=min(n // 4, sp.size), replace=False)
        out[pos] = sp[: pos.size]
    return out.reshape(shape)


def ulp_diff(got: np.ndarray, ref: np.ndarray) -> float:
    """Largest difference in units of the reference's last place (NaN/inf must match)."""
    got, ref = np.asarray(got), np.asarray(ref)
    if got.dtype.kind == "c":  # ULPs of |ref| (component-wise would flag cancellation)
        fin = np.isfinite(ref)
        if not np.array_equal(fin, np.isfinite(got)):
            return np.inf
        r, g = ref[fin].astype(np.complex128), got[fin].astype(np.complex128)
        if not r.size:
            return 0.0
        real = np.dtype(ref.dtype.char.lower())
        sp = np.spacing(np.maximum(np.abs(r), np.finfo(real).tiny).astype(real))
        return float(np.max(np.abs(g - r) / sp.astype(np.float64)))
    nan_g, nan_r = np.isnan(got), np.isnan(ref)
    if not np.array_equal(nan_g, nan_r):
        return np.inf
    fin = np.isfinite(ref) & ~nan_r
    inf_ok = np.array_equal(got[~fin & ~nan_r], ref[~fin & ~nan_r])
    if not inf_ok:
        return np.inf
    if not fin.any():
        return 0.0
    g, r = got[fin].astype(np.float64), ref[fin].astype(np.float64)
    tiny = np.finfo(ref.dtype).tiny
    with np.errstate(over="ignore"):  # spacing of the largest float is inf: ratio 0
        sp = np.spacing(np.maximum(np.abs(ref[fin]), tiny).astype(ref.dtype)).astype(np.float64)
    return float(np.max(np.abs(g - r) / sp)) if g.size else 0.0


def assert_same(got: np.ndarray, ref: np.ndarray, ulps: float = 0, what: str = "") -> None:
    """dtype, then shape, then values (exact, or within ``ulps``)."""
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.dtype == ref.dtype, f"{what}: dtype {got.dtype} != {ref.dtype}"
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    if ref.dtype.kind in "fc":
        d = ulp_diff(got, ref)
        if ulps == 0 and ref.dtype.kind == "f":
            same = (got == ref) | (np.isnan(got) & np.isnan(ref))
            assert same.all(), f"{what}: values differ: {got[~same][:5]} vs {ref[~same][:5]}"
            return
        assert d <= max(ulps, 0), f"{what}: {d} ULP > {ulps}"
    else:
        assert np.array_equal(got, ref), f"{what}: values differ: {got.ravel()[:8]} vs {ref.ravel()[:8]}"
