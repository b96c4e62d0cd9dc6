"""Seeded random numbers, the same stream on every backend (DESIGN section 3).

One counter-based generator: Philox4x32-10 with the 64-bit key taken from the seed and
the counter from the stream position (in 128-bit blocks). Each draw consumes whole
blocks, so the stream depends only on (seed, sequence of draws), never on the backend.
Uniform float32 = top 24 bits x 2^-24; float64 = 53 bits from two words; integers =
(64-bit word pair) mod range; normals = Box-Muller on pairs of words. Integers and
uniforms are bit-identical everywhere; normals agree within the transcendental bound.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

import numpy as np

from . import dtypes as _dt
from ._helpers import check_supported_dtype
from .array import Array
from .creation import normalize_shape
from .device import resolve_device

__all__ = ["Generator", "default_rng", "seed", "normal", "uniform", "integers",
           "permutation", "bernoulli", "random"]

_TWO_PI = 2.0 * math.pi


def _shape(size: Any) -> tuple[int, ...]:
    return () if size is None else normalize_shape(size, "random")


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


class Generator:
    """A Philox4x32-10 stream bound to one device.

    ``Generator(seed, device=...)``; draws advance the stream. ``state()`` and
    ``set_state()`` save and restore the position (checkpoints use them).
    """

    def __init__(self, seed: int | None = None, *, device: Any = None) -> None:
        if seed is None:
            seed = secrets.randbits(64)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise TypeError(f"Generator: seed must be a non-negative int, got {seed!r}")
        seed = int(seed)
        if seed >= 2**64:
            raise ValueError(f"Generator: seed must be below 2**64, got {seed}")
        self._seed = seed
        self._key = (seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF)
        self._counter = 0
        self._be = resolve_device(device)

    # state ----------------------------------------------------------------------
    @property
    def device(self) -> Any:
        """The device this generator draws on."""
        from .device import device_of

        return device_of(self._be)

    def state(self) -> dict[str, int]:
        """The generator's position: ``{'seed': ..., 'counter': ...}``."""
        return {"seed": self._seed, "counter": self._counter}

    def set_state(self, state: dict[str, int]) -> None:
        """Restore a position saved with ``state()``."""
        try:
            seed, counter = int(state["seed"]), int(state["counter"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"set_state: expected {{'seed': int, 'counter': int}}, got {state!r}") from None
        if seed < 0 or counter < 0:
            raise ValueError(f"set_state: seed and counter must be non-negative, got {state!r}")
        self._seed = seed
        self._key = (seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF)
        self._counter = counter

    def _words(self, n: int) -> Any:
        buf = self._be.philox(self._key, self._counter, n)
        self._counter += (n + 3) // 4
        return buf

    # uniform bits -----------------------------------------------------------------
    def _unit(self, n: int, dt: np.dtype, open_low: bool = False) -> Any:
        """``n`` uniforms in [0, 1) (or (0, 1] with ``open_low``) of dtype ``dt``."""
        be = self._be
        if dt == _dt.float64:
            w = self._words(2 * n)
            w = be.reshape(w, (n, 2), None)
            hi = be.astype(be.binary("bitwise_right_shift", be.slice_view(w, (slice(None), 0)), np.uint32(5)), _dt.float64)
            lo = be.astype(be.binary("bitwise_right_shift", be.slice_view(w, (slice(None), 1)), np.uint32(6)), _dt.float64)
            val = be.binary("add", be.binary("multiply", hi, np.float64(2.0**26)), lo)
            scale = np.float64(2.0**-53)
        else:
            w = self._words(n)
            val = be.astype(be.binary("bitwise_right_shift", w, np.uint32(8)), dt)
            scale = dt.type(2.0**-24)
        if open_low:
            val = be.binary("add", val, dt.type(1))
        return be.binary("multiply", val, scale)

    def _float_dtype(self, dtype: Any, fn: str) -> np.dtype:
        dt = _dt.DEFAULT_FLOAT if dtype is None else _dt.normalize_dtype(dtype, fn)
        if dt not in (_dt.float32, _dt.float64):
            raise TypeError(f"{fn}: dtype must be float32 or float64, got {dt.name}")
        check_supported_dtype(self._be, dt, fn)
        return dt

    # draws --------------------------------------------------------------------------
    def random(self, size: Any = None, *, dtype: Any = None) -> Array:
        """Uniform floats in [0, 1)."""
        dt = self._float_dtype(dtype, "random")
        shape = _shape(size)
        buf = self._unit(_numel(shape), dt)
        return Array._new(self._be.reshape(buf, shape, None), self._be)

    def uniform(self, low: float = 0.0, high: float = 1.0, size: Any = None, *,
                dtype: Any = None) -> Array:
        """Uniform floats in [low, high)."""
        for v, name in ((low, "low"), (high, "high")):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"uniform: {name} must be a number, got {v!r}")
        if not high >= low:
            raise ValueError(f"uniform: high ({high}) must be >= low ({low})")
        dt = self._float_dtype(dtype, "uniform")
        shape = _shape(size)
        be = self._be
        u = self._unit(_numel(shape), dt)
        out = be.binary("add", be.binary("multiply", u, dt.type(high - low)), dt.type(low))
        return Array._new(be.reshape(out, shape, None), be)

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None, *,
               dtype: Any = None) -> Array:
        """Normal (Gaussian) samples by Box-Muller on pairs of uniforms."""
        for v, name in ((loc, "loc"), (scale, "scale")):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(f"normal: {name} must be a number, got {v!r}")
        if scale < 0:
            raise ValueError(f"normal: scale must be non-negative, got {scale}")
        dt = self._float_dtype(dtype, "normal")
        shape = _shape(size)
        n = _numel(shape)
        be = self._be
        pairs = (n + 1) // 2
        u = be.reshape(self._unit(2 * pairs, dt, open_low=True), (pairs, 2), None)
        u1 = be.slice_view(u, (slice(None), 0))
        u2 = be.slice_view(u, (slice(None), 1))
        r = be.unary("sqrt", be.binary("multiply", be.unary("log", u1), dt.type(-2.0)))
        theta = be.binary("multiply", u2, dt.type(_TWO_PI))
        z = be.empty((pairs, 2), dt)
        be.copy_into(be.slice_view(z, (slice(None), 0)), be.binary("multiply", r, be.unary("cos", theta)))
        be.copy_into(be.slice_view(z, (slice(None), 1)), be.binary("multiply", r, be.unary("sin", theta)))
        z = be.slice_view(be.reshape(z, (2 * pairs,), None), (slice(0, n, 1),))
        if scale != 1.0:
            z = be.binary("multiply", z, dt.type(scale))
        if loc != 0.0:
            z = be.binary("add", z, dt.type(loc))
        return Array._new(be.reshape(be.copy(z), shape, None), be)

    def _u64(self, n: int) -> Any:
        be = self._be
        w = be.reshape(self._words(2 * n), (n, 2), None)
        hi = be.astype(be.slice_view(w, (slice(None), 0)), _dt.uint64)
        lo = be.astype(be.slice_view(w, (slice(None), 1)), _dt.uint64)
        return be.binary("bitwise_or", be.binary("bitwise_left_shift", hi, np.uint64(32)), lo)

    def integers(self, low: int, high: int | None = None, size: Any = None, *,
                 dtype: Any = None, endpoint: bool = False) -> Array:
        """Uniform integers in [low, high) (or [low, high] with ``endpoint``)."""
        if high is None:
            low, high = 0, low
        for v, name in ((low, "low"), (high, "high")):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"integers: {name} must be an int, got {v!r}")
        low, high = int(low), int(high) + (1 if endpoint else 0)
        if high <= low:
            raise ValueError(f"integers: empty range [{low}, {high})")
        dt = _dt.DEFAULT_INT if dtype is None else _dt.normalize_dtype(dtype, "integers")
        if dt.kind not in "iu":
            raise TypeError(f"integers: dtype must be an integer dtype, got {dt.name}")
        info = np.iinfo(dt)
        if low < info.min or high - 1 > info.max:
            raise ValueError(f"integers: range [{low}, {high}) does not fit {dt.name}")
        span = high - low
        if span > 2**64:
            raise ValueError("integers: the range must span at most 2**64 values")
        shape = _shape(size)
        be = self._be
        x = self._u64(_numel(shape))
        if span < 2**64:
            x = be.binary("remainder", x, np.uint64(span))
        # add low in uint64 arithmetic (wraps), then reinterpret in the target dtype
        x = be.binary("add", x, np.uint64(low % 2**64))
        out = be.astype(x, dt)
        return Array._new(be.reshape(out, shape, None), be)

    def permutation(self, x: Any) -> Array:
        """A random permutation of ``range(x)`` (int) or of an Array's first axis."""
        be = self._be
        if isinstance(x, Array):
            n = x.shape[0] if x.ndim else None
            if n is None:
                raise ValueError("permutation: expected an array of at least one dimension")
        elif isinstance(x, (int, np.integer)) and not isinstance(x, bool):
            n = int(x)
            if n < 0:
                raise ValueError(f"permutation: n must be non-negative, got {n}")
        else:
            raise TypeError(f"permutation: expected an int or an Array, got {type(x).__name__}")
        keys = self._u64(n)
        perm = be.argsort(keys, 0, False)
        if isinstance(x, Array):
            if x._be is not be:
                raise ValueError(f"permutation: the array is on {x._be.device_name}, the generator on {be.device_name}")
            from .indexing import take

            return take(x, Array._new(perm, be), axis=0)
        return Array._new(perm, be)

    def bernoulli(self, p: float = 0.5, size: Any = None, *, dtype: Any = None) -> Array:
        """Bernoulli samples: True (or 1) with probability ``p``."""
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"bernoulli: p must be a probability in [0, 1], got {p!r}")
        shape = _shape(size)
        be = self._be
        u = self._unit(_numel(shape), _dt.float32)
        mask = be.binary("less", u, np.float32(p))
        dt = _dt.bool_ if dtype is None else _dt.normalize_dtype(dtype, "bernoulli")
        check_supported_dtype(be, dt, "bernoulli")
        out = mask if dt == _dt.bool_ else be.astype(mask, dt)
        return Array._new(be.reshape(out, shape, None), be)


def default_rng(seed: int | None = None, *, device: Any = None) -> Generator:
    """A new Generator (``seed=None`` draws a seed from the OS)."""
    return Generator(seed, device=device)


_global: dict[str, Any] = {"seed": None, "gens": {}}


def seed(value: int) -> None:
    """Seed the module-level generators (one per device)."""
    Generator(value)  # validates
    _global["seed"] = int(value)
    _global["gens"] = {}


def _gen(device: Any) -> Generator:
    be = resolve_device(device)
    gens = _global["gens"]
    g = gens.get(be.device_name)
    if g is None:
        g = gens[be.device_name] = Generator(_global["seed"], device=be)
    return g


def random(size: Any = None, *, dtype: Any = None, device: Any = None) -> Array:
    """Uniform floats in [0, 1) from the module-level generator of ``device``."""
    return _gen(device).random(size, dtype=dtype)


def uniform(low: float = 0.0, high: float = 1.0, size: Any = None, *, dtype: Any = None,
            device: Any = None) -> Array:
    """Uniform floats in [low, high) from the module-level generator."""
    return _gen(device).uniform(low, high, size, dtype=dtype)


def normal(loc: float = 0.0, scale: float = 1.0, size: Any = None, *, dtype: Any = None,
           device: Any = None) -> Array:
    """Normal samples from the module-level generator."""
    return _gen(device).normal(loc, scale, size, dtype=dtype)


def integers(low: int, high: int | None = None, size: Any = None, *, dtype: Any = None,
             endpoint: bool = False, device: Any = None) -> Array:
    """Uniform integers from the module-level generator."""
    return _gen(device).integers(low, high, size, dtype=dtype, endpoint=endpoint)


def permutation(x: Any, *, device: Any = None) -> Array:
    """A random permutation from the module-level generator."""
    if isinstance(x, Array) and device is None:
        device = x._be
    return _gen(device).permutation(x)


def bernoulli(p: float = 0.5, size: Any = None, *, dtype: Any = None, device: Any = None) -> Array:
    """Bernoulli samples from the module-level generator."""
    return _gen(device).bernoulli(p, size, dtype=dtype)


def reset() -> None:
    """Forget the module-level seed and generators (tests call it between tests)."""
    _global["seed"] = None
    _global["gens"] = {}
