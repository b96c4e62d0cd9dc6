"""``pooling_2d`` (max / average, stride, padding, ceil mode) and
``global_average_pooling``."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .base import Context, Layer, Shape, Spec, pair, register_layer

__all__ = ["Pooling2D", "GlobalAveragePooling"]


@register_layer
class Pooling2D(Layer):
    """Max or average pooling over ``kernel_size`` windows (NCHW)."""

    type_name = "pooling_2d"
    PARAMS = {
        "mode": Spec("str", "max", aliases=("type", "pool"), choices=("max", "avg", "average", "ave")),
        "kernel_size": Spec("pair", required=True, aliases=("ksize", "kernel")),
        "stride": Spec("pair", None, doc="default: the kernel size"),
        "padding": Spec("pair", 0, aliases=("pad",)),
        "ceil_mode": Spec("bool", False),
        "count_include_pad": Spec("bool", True, doc="average: divide by the padded window"),
    }

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        if len(shape) != 4:
            raise self.error("inputs", f"expected an NCHW input, got shape {shape}")
        n, c, h, w = shape
        self.kind = "max" if self.cfg["mode"] == "max" else "avg"
        self.k = pair(self.cfg["kernel_size"])
        self.s = self.k if self.cfg["stride"] is None else pair(self.cfg["stride"])
        self.p = pair(self.cfg["padding"])
        if min(self.k) < 1 or min(self.s) < 1:
            raise self.error("params.kernel_size", "kernel and stride must be >= 1")
        if self.p[0] > self.k[0] // 2 or self.p[1] > self.k[1] // 2:
            raise self.error("params.padding", f"{list(self.p)} must be at most half the "
                                               f"kernel {list(self.k)}")
        ho = F.pool_out_size(h, self.k[0], self.s[0], self.p[0], self.cfg["ceil_mode"])
        wo = F.pool_out_size(w, self.k[1], self.s[1], self.p[1], self.cfg["ceil_mode"])
        if ho < 1 or wo < 1:
            raise self.error("params.kernel_size", f"window {list(self.k)} does not fit the "
                                                   f"{h}x{w} input {self.inputs[0]!r}")
        return [(n, c, ho, wo)]

    def describe(self) -> str:
        return f"{self.kind} {self.k[0]}x{self.k[1]} s{self.s[0]}" + (
            f" p{self.p[0]}" if self.p != (0, 0) else "") + (" ceil" if self.cfg["ceil_mode"] else "")

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        y, idx = F.pool2d(x, self.kind, self.k, self.s, self.p, self.cfg["ceil_mode"],
                          self.cfg["count_include_pad"], need_index=ctx.train)
        self._x, self._idx = x, idx
        return [y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        dx = F.pool2d_backward(dys[0], self._x, self._idx, self.kind, self.k, self.s, self.p,
                               self.cfg["ceil_mode"], self.cfg["count_include_pad"])
        return [dx]

    def release(self) -> None:
        self._x = self._idx = None


@register_layer
class GlobalAveragePooling(Layer):
    """Mean over the spatial axes: ``[N, C, H, W] -> [N, C]``."""

    type_name = "global_average_pooling"
    aliases = ("global_avg_pooling",)
    PARAMS: dict[str, Spec] = {}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        if len(shape) != 4:
            raise self.error("inputs", f"expected an NCHW input, got shape {shape}")
        return [shape[:2]]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        self._shape = tuple(xs[0].shape)
        return [F.global_avg_pool(xs[0])]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [F.global_avg_pool_backward(dys[0], self._shape)]
