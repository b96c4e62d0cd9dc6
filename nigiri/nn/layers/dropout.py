"""``dropout``: zero a seeded random fraction in the train phase, identity in test."""

from __future__ import annotations

from typing import Any

from .base import Context, Layer, Shape, Spec, register_layer

__all__ = ["Dropout"]


@register_layer
class Dropout(Layer):
    """Inverted dropout: kept values are scaled by ``1 / (1 - ratio)``."""

    type_name = "dropout"
    PARAMS = {"ratio": Spec("float", 0.5, aliases=("p", "rate", "dropout_ratio"))}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        if not 0.0 <= self.cfg["ratio"] < 1.0:
            raise self.error("params.ratio", f"must be in [0, 1), got {self.cfg['ratio']}")
        return [in_shapes[0]]

    def describe(self) -> str:
        return f"ratio {self.cfg['ratio']}"

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        ratio = float(self.cfg["ratio"])
        if not ctx.train or ratio == 0.0:
            self._mask = None
            return [x]
        if ctx.rng is None:
            raise self.error("phase", "dropout in the train phase needs the network's RNG")
        keep = ctx.rng.bernoulli(1.0 - ratio, tuple(x.shape), dtype=x.dtype)
        self._mask = keep * (1.0 / (1.0 - ratio))
        return [x * self._mask]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [dys[0] if self._mask is None else dys[0] * self._mask]

    def release(self) -> None:
        self._mask = None
