"""The random stream of a network (dropout masks, augmentation offsets).

Counter-based (Philox4x32-10 through the contract's ``philox`` primitive), so the
numbers are bit-identical on every backend and the whole state is two integers
(``seed``, ``counter``) that a checkpoint stores as JSON: resuming continues the very
same stream.
"""

from __future__ import annotations

from typing import Any

import nigiri as ng
from nigiri.arrays.array import Array
from nigiri.arrays.device import resolve_device

__all__ = ["NNRandom"]

_SCALE24 = 1.0 / (1 << 24)


class NNRandom:
    """A seeded, resumable random stream producing nigiri Arrays on any device."""

    def __init__(self, seed: int = 0, counter: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0 or seed >= 1 << 64:
            raise ValueError(f"NNRandom: seed must be an int in [0, 2**64), got {seed!r}")
        self.seed = seed
        self.counter = int(counter)
        # a distinct key from data shuffling / initialisation streams of the same seed
        mixed = (seed * 0x9E3779B97F4A7C15 + 0x6E6E) & 0xFFFFFFFFFFFFFFFF
        self._key = (mixed & 0xFFFFFFFF, mixed >> 32)

    def state(self) -> dict[str, int]:
        """JSON-able state: ``{"seed": ..., "counter": ...}``."""
        return {"seed": self.seed, "counter": self.counter}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "NNRandom":
        """Rebuild a stream from ``state()``."""
        try:
            return cls(int(state["seed"]), int(state["counter"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad RNG state {state!r}: {exc}") from None

    def _words(self, n: int, device: Any) -> Array:
        be = resolve_device(device)
        buf = be.philox(self._key, self.counter, n)
        self.counter += (n + 3) // 4
        return Array._new(buf, be)

    def uniform(self, shape: tuple[int, ...], *, device: Any = None) -> Array:
        """float32 uniform on [0, 1): the top 24 bits of each word times 2**-24."""
        n = 1
        for d in shape:
            n *= int(d)
        words = self._words(n, device)
        u = ng.astype(words >> 8, ng.float32) * _SCALE24
        return ng.reshape(u, tuple(shape))

    def integers(self, low: int, high: int, shape: tuple[int, ...], *,
                 device: Any = None) -> Array:
        """int64 in ``[low, high)`` by multiply-shift of 24-bit words (exact integer
        arithmetic; ``high - low <= 2**24``, bias below ``range * 2**-24``)."""
        span = int(high) - int(low)
        if span <= 0 or span > 1 << 24:
            raise ValueError(f"NNRandom.integers: need 0 < high - low <= 2**24, got {low}..{high}")
        n = 1
        for d in shape:
            n *= int(d)
        top = ng.astype(self._words(n, device) >> 8, ng.int64)
        return ng.reshape(((top * span) >> 24) + int(low), tuple(shape))
