"""``linear``: fully connected; inputs of any rank are flattened to ``[N, features]``."""

from __future__ import annotations

import math
from typing import Any

import nigiri as ng

from .. import functional as F
from ..init import check_init
from .base import Context, Layer, Shape, Spec, register_layer

__all__ = ["Linear"]


@register_layer
class Linear(Layer):
    """``y = x @ W.T + b`` with ``W`` of shape ``[out, in]``."""

    type_name = "linear"
    aliases = ("inner_product", "fully_connected")
    PARAMS = {
        "out_features": Spec("posint", required=True, aliases=("out_size", "num_output")),
        "in_features": Spec("int?", None, doc="checked when given"),
        "in_shape": Spec("ints", None, doc="Sukiyaki2: per-sample input shape, checked by size"),
        "bias": Spec("bool", True),
        "weight_init": Spec("init", "default", aliases=("weight_filler",)),
        "bias_init": Spec("init", "default", aliases=("bias_filler",)),
    }

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        if len(shape) < 2:
            raise self.error("inputs", f"expected a batch of at least 2 dimensions, got {shape}")
        n, fin = shape[0], math.prod(shape[1:])
        cfg = self.cfg
        if cfg["in_features"] is not None and cfg["in_features"] != fin:
            raise self.error("params.in_features", f"is {cfg['in_features']} but the input "
                                                   f"{self.inputs[0]!r} has {fin} features "
                                                   f"(shape {shape[1:]})")
        if cfg["in_shape"] is not None and math.prod(cfg["in_shape"]) != fin:
            raise self.error("params.in_shape", f"{cfg['in_shape']} holds "
                             f"{math.prod(cfg['in_shape'])} values but the input has {fin}")
        for fld in ("weight_init", "bias_init"):
            try:
                check_init(cfg[fld])
            except ValueError as exc:
                raise self.error(f"params.{fld}", str(exc)) from None
        o = cfg["out_features"]
        fans = {"fan_in": fin, "fan_out": o}
        self.weight_specs = {"weight": ((o, fin), cfg["weight_init"], fans)}
        if cfg["bias"]:
            self.weight_specs["bias"] = ((o,), cfg["bias_init"], fans)
        return [(n, o)]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        self._shape = tuple(x.shape)
        if x.ndim != 2:
            x = ng.reshape(x, (x.shape[0], -1))
        self._x = x
        return [F.linear(x, self.weights["weight"], self.weights.get("bias"))]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        dx, dw, db = F.linear_backward(dys[0], self._x, self.weights["weight"],
                                       self.need_input_grad[0], "bias" in self.weights)
        self.grads["weight"] = dw
        if db is not None:
            self.grads["bias"] = db
        if dx is not None and len(self._shape) != 2:
            dx = ng.reshape(dx, self._shape)
        return [dx]

    def release(self) -> None:
        self._x = None
