"""Test inputs: seeded, domain-aware host data and the views applied on each device.

An ``Input`` is a host NumPy base array plus a *view recipe* (slices with steps,
negative steps, transposes) applied through the nigiri API after the base has been
moved to a device. The same base goes to the backend under test and to the reference
(each gets its own copy, so in-place cases cannot leak between them), so both compute
on identical, identically laid-out data. Data is never all zeros.

Domains are the op table's ``domain`` column (``nigiri.arrays.optable``): ``any``,
``positive``, ``nonneg``, ``unit``, ``ge1``, ``gt-1``, ``small``, ``nonzero2``
(second argument nonzero), ``shift`` (second argument in ``0..bits-1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Input", "values", "edge_values", "edge_pairs", "materialize", "host_view",
           "literal", "rng_for", "ensure_nonzero"]


@dataclass(frozen=True)
class Input:
    """One input of a case.

    ``base`` is host data; ``view`` a tuple of steps, each ``("getitem", key)`` or
    ``("permute", axes)``, applied with the nigiri API on the device (and with NumPy on
    the host copy for tolerance computations). ``scalar`` marks a Python scalar operand
    (``base`` is then a 0-d array whose ``.item()`` is used).
    """

    base: np.ndarray
    view: tuple = ()
    scalar: bool = False
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return host_view(self).shape

    @property
    def dtype(self) -> np.dtype:
        return self.base.dtype


def rng_for(*parts: Any) -> np.random.Generator:
    """A generator seeded from a stable hash of ``parts`` (case id, role, ...)."""
    import zlib

    seed = zlib.crc32("|".join(str(p) for p in parts).encode())
    return np.random.default_rng(seed)


def ensure_nonzero(a: np.ndarray) -> np.ndarray:
    """Never all zeros (or all False): set the first element to one if needed."""
    if a.size and not np.any(a):
        a.reshape(-1)[0] = 1 if a.dtype.kind != "b" else True
    return a


def _real_dtype(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype == np.complex64 else (
        np.dtype(np.float64) if dtype == np.complex128 else dtype)


def _float_values(rng: np.random.Generator, dtype: np.dtype, n: int, domain: str,
                  role: int) -> np.ndarray:
    if domain in ("positive", "nonneg"):
        out = 10.0 ** rng.uniform(-3, 3, n) if dtype != np.float16 else 10.0 ** rng.uniform(-2, 2, n)
        if domain == "nonneg":
            out[rng.random(n) < 0.1] = 0.0
        # values near 1 (the branch point of log)
        near = rng.random(n) < 0.15
        out[near] = 1.0 + rng.uniform(-1e-3, 1e-3, int(near.sum()))
    elif domain == "unit":
        out = rng.uniform(-0.999, 0.999, n)
        near = rng.random(n) < 0.15
        out[near] = np.sign(rng.uniform(-1, 1, int(near.sum()))) * (1 - 10.0 ** rng.uniform(-3, -1, int(near.sum())))
    elif domain == "ge1":
        out = 1.0 + 10.0 ** rng.uniform(-3, 2.5, n)
    elif domain == "gt-1":
        out = -1.0 + 10.0 ** rng.uniform(-3, 1.5, n)
    elif domain == "small":
        out = rng.uniform(-4, 4, n)
        if role == 1:  # integral exponents for pow, so negative bases are defined
            pool = rng.random(n) < 0.3
            out[pool] = rng.integers(-3, 4, int(pool.sum()))
    else:  # any, and the first argument of nonzero2
        mag = 10.0 ** rng.uniform(-2, 2, n)
        out = rng.standard_normal(n) * mag
        pool = rng.random(n) < 0.3  # half-integers in a small pool: ties, rounding edges
        out[pool] = rng.integers(-8, 9, int(pool.sum())) / 2.0
    if domain == "nonzero2" and role == 1:
        out[out == 0] = 1.5
    return out.astype(dtype)


def _int_values(rng: np.random.Generator, dtype: np.dtype, n: int, domain: str,
                role: int) -> np.ndarray:
    info = np.iinfo(dtype)
    if domain == "shift" and role == 1:
        return rng.integers(0, info.bits, n).astype(dtype)
    if domain == "small":
        lo = 0 if info.min == 0 else (-3 if role == 1 else -4)
        hi = 6 if role == 1 else 5
        return rng.integers(lo, hi, n).astype(dtype)
    small = rng.integers(max(info.min, -50), 51, n)
    wide = rng.integers(info.min, info.max, n, dtype=dtype, endpoint=True)
    out = np.where(rng.random(n) < 0.5, small, wide).astype(dtype)
    if domain == "nonzero2" and role == 1:
        out[out == 0] = 3
    return out


def values(rng: np.random.Generator, dtype: Any, shape: tuple[int, ...],
           domain: str = "any", role: int = 0) -> np.ndarray:
    """Fresh random data of ``dtype`` and ``shape`` in ``domain`` for argument ``role``
    (0 for the first argument, 1 for the second); never all zeros."""
    dtype = np.dtype(dtype)
    n = math.prod(shape)
    if dtype.kind == "b":
        out = rng.random(n) < 0.5
        if n >= 2:
            out[0], out[1] = True, False
    elif dtype.kind in "iu":
        out = _int_values(rng, dtype, n, domain, role)
    elif dtype.kind == "f":
        out = _float_values(rng, dtype, n, domain, role)
    else:
        rdt = _real_dtype(dtype)
        re = _float_values(rng, rdt, n, "small" if domain == "small" else "any", role)
        im = _float_values(rng, rdt, n, "small", role)
        im = np.where(np.abs(im) < 0.1, np.float32(0.5), im)  # keep off branch cuts
        out = (re + 1j * im.astype(np.float64)).astype(dtype)
    return ensure_nonzero(np.asarray(out).reshape(shape))


def _float_edges(dtype: np.dtype, domain: str) -> list[float]:
    fi = np.finfo(dtype)
    base = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5,
            3.0, float(fi.max), -float(fi.max), float(fi.tiny), -float(fi.tiny)]
    one_up = float(np.nextafter(dtype.type(1), dtype.type(2)))
    one_dn = float(np.nextafter(dtype.type(1), dtype.type(0)))
    extra = {
        "positive": [one_up, one_dn, 1e-3],
        "nonneg": [one_up, one_dn],
        "unit": [one_dn, -one_dn, 0.999],
        "ge1": [one_up, 1.001],
        "gt-1": [-one_dn, -0.999],
    }.get(domain, [])
    return base + extra


def edge_values(dtype: Any, domain: str = "any", role: int = 0) -> np.ndarray:
    """Special values for ``dtype``: NaN, +-inf, +-0.0, +-1, half-integers, the
    largest and smallest normal values, and the domain's branch points (floats);
    zero, +-1, min, max (integers); both bools."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.array([False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if domain == "shift" and role == 1:
            vals = [0, 1, info.bits - 1, info.bits, info.bits + 5]
        elif info.min == 0:
            vals = [0, 1, 2, 7, info.max, info.max - 1, info.max // 2, info.max // 2 + 1]
        else:
            vals = [0, 1, -1, 2, -2, 7, -7, info.min, info.max, info.min + 1, info.max - 1]
        return np.array(vals, dtype=dtype)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):
            return np.array(_float_edges(dtype, domain), dtype=dtype)
    rdt = _real_dtype(dtype)
    parts = [0.0, -0.0, 1.0, -1.0, 0.5, np.inf, np.nan]
    vals = [complex(a, b) for a in parts for b in parts]
    with np.errstate(invalid="ignore"):
        out = np.empty(len(vals), dtype)
        out.real = np.array([v.real for v in vals], rdt)
        out.imag = np.array([v.imag for v in vals], rdt)
    return out


def edge_pairs(dtype: Any, domain: str = "any") -> tuple[np.ndarray, np.ndarray]:
    """All pairs of edge values (the second argument from its own edge set)."""
    a = edge_values(dtype, domain, 0)
    b = edge_values(dtype, domain, 1)
    if np.dtype(dtype).kind == "c":  # keep the cross product small
        a, b = a[::3], b[::3]
    x1 = np.repeat(a, b.size)
    x2 = np.tile(b, a.size)
    return x1, x2


def host_view(inp: Input) -> Any:
    """The input as the case sees it, computed with NumPy on the host."""
    if inp.scalar:
        return inp.base.item()
    out = inp.base
    for step, arg in inp.view:
        out = out[arg] if step == "getitem" else np.transpose(out, arg)
    return out


def materialize(inp: Input, device: Any) -> Any:
    """The input on ``device``: a fresh copy of the base moved with ``ng.asarray``,
    then the view recipe applied with the nigiri API (so views are the device's)."""
    import nigiri as ng

    if inp.scalar:
        return inp.base.item()
    out = ng.asarray(np.array(inp.base, copy=True), device=device)
    for step, arg in inp.view:
        if step == "getitem":
            out = out[arg]
        elif tuple(arg) == (1, 0):
            out = out.T
        else:
            out = ng.permute_dims(out, arg)
    return out


def _key_repr(key: Any) -> str:
    def one(k: Any) -> str:
        if isinstance(k, slice):
            parts = ["" if v is None else str(v) for v in (k.start, k.stop)]
            s = ":".join(parts)
            return s + (f":{k.step}" if k.step is not None else "")
        if k is Ellipsis:
            return "..."
        if k is None:
            return "None"
        return repr(k)

    if not isinstance(key, tuple):
        key = (key,)
    return ", ".join(one(k) for k in key)


def literal(inp: Input, name: str, device: str) -> str:
    """Python source that rebuilds the input on ``device`` (for reproducers)."""
    if inp.scalar:
        return f"{name} = {inp.base.item()!r}"
    with np.printoptions(threshold=10**9, floatmode="unique", linewidth=100):
        body = np.array2string(inp.base, separator=", ")
    body = body.replace("nan", "np.nan").replace("inf", "np.inf")
    src = f"{name} = ng.asarray(np.array({body}, dtype={inp.base.dtype.name!r}), device={device!r})"
    for step, arg in inp.view:
        if step == "getitem":
            src += f"[{_key_repr(arg)}]"
        elif tuple(arg) == (1, 0):
            src += ".T"
        else:
            src = f"{name} = ng.permute_dims({src.split(' = ', 1)[1]}, {tuple(arg)!r})"
    return src
