"""``convolution_2d``: NCHW convolution with stride, padding, dilation, groups, bias."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..init import check_init
from .base import Context, Layer, Shape, Spec, pair, register_layer

__all__ = ["Convolution2D"]


@register_layer
class Convolution2D(Layer):
    """2-d convolution: weight ``[O, C/groups, kh, kw]``, bias ``[O]``."""

    type_name = "convolution_2d"
    PARAMS = {
        "out_channels": Spec("posint", required=True, aliases=("out_size", "num_output")),
        "in_channels": Spec("int?", None, aliases=("in_size",), doc="checked when given"),
        "kernel_size": Spec("pair", required=True, aliases=("ksize", "kernel")),
        "stride": Spec("pair", 1),
        "padding": Spec("pair", 0, aliases=("pad",)),
        "dilation": Spec("pair", 1),
        "groups": Spec("posint", 1, aliases=("group",)),
        "bias": Spec("bool", True),
        "weight_init": Spec("init", "default", aliases=("weight_filler",)),
        "bias_init": Spec("init", "default", aliases=("bias_filler",)),
    }

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        if len(shape) != 4:
            raise self.error("inputs", f"expected an NCHW input, got shape {shape}")
        n, c, h, w = shape
        cfg = self.cfg
        o, g = cfg["out_channels"], cfg["groups"]
        if cfg["in_channels"] is not None and cfg["in_channels"] != c:
            raise self.error("params.in_channels", f"is {cfg['in_channels']} but the input "
                                                   f"{self.inputs[0]!r} has {c} channels")
        if c % g or o % g:
            raise self.error("params.groups", f"{g} does not divide in_channels {c} and "
                                              f"out_channels {o}")
        self.k, self.s = pair(cfg["kernel_size"]), pair(cfg["stride"])
        self.p, self.d = pair(cfg["padding"]), pair(cfg["dilation"])
        for fld, val in (("kernel_size", self.k), ("stride", self.s), ("dilation", self.d)):
            if min(val) < 1:
                raise self.error(f"params.{fld}", f"must be >= 1, got {list(val)}")
        ho = F.conv_out_size(h, self.k[0], self.s[0], self.p[0], self.d[0])
        wo = F.conv_out_size(w, self.k[1], self.s[1], self.p[1], self.d[1])
        if ho < 1 or wo < 1:
            raise self.error("params.kernel_size", f"kernel {list(self.k)} (dilation "
                             f"{list(self.d)}, padding {list(self.p)}) does not fit the "
                             f"{h}x{w} input {self.inputs[0]!r}")
        for fld in ("weight_init", "bias_init"):
            try:
                check_init(cfg[fld])
            except ValueError as exc:
                raise self.error(f"params.{fld}", str(exc)) from None
        kk = self.k[0] * self.k[1]
        fans = {"fan_in": c // g * kk, "fan_out": o // g * kk}
        self.weight_specs = {"weight": ((o, c // g) + self.k, cfg["weight_init"], fans)}
        if cfg["bias"]:
            self.weight_specs["bias"] = ((o,), cfg["bias_init"], fans)
        return [(n, o, ho, wo)]

    def describe(self) -> str:
        s = f"{self.k[0]}x{self.k[1]}"
        if self.s != (1, 1):
            s += f" s{self.s[0]}" if self.s[0] == self.s[1] else f" s{list(self.s)}"
        if self.p != (0, 0):
            s += f" p{self.p[0]}" if self.p[0] == self.p[1] else f" p{list(self.p)}"
        if self.d != (1, 1):
            s += f" d{list(self.d)}"
        if self.cfg["groups"] > 1:
            s += f" g{self.cfg['groups']}"
        return s

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        y, saved = F.conv2d(x, self.weights["weight"], self.weights.get("bias"), self.s, self.p,
                            self.d, self.cfg["groups"])
        self._x, self._saved = x, saved
        return [y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        need = (self.need_input_grad[0], True, "bias" in self.weights)
        dx, dw, db = F.conv2d_backward(self._x, self.weights["weight"], dys[0], self.s, self.p,
                                       self.d, self.cfg["groups"], need, self._saved)
        self.grads["weight"] = dw
        if db is not None:
            self.grads["bias"] = db
        return [dx]

    def release(self) -> None:
        self._x = self._saved = None
