"""Element-wise activations (``relu``, ``sigmoid``, ``tanh``) and ``softmax``."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .base import Context, Layer, Shape, Spec, register_layer

__all__ = ["ReLU", "Sigmoid", "Tanh", "Softmax"]


class _Elementwise(Layer):
    PARAMS: dict[str, Spec] = {}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        return [in_shapes[0]]

    def release(self) -> None:
        self._y = None


@register_layer
class ReLU(_Elementwise):
    """max(x, 0)."""

    type_name = "relu"

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        self._y = F.relu(xs[0])
        return [self._y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [F.relu_backward(dys[0], self._y)]


@register_layer
class Sigmoid(_Elementwise):
    """1 / (1 + exp(-x))."""

    type_name = "sigmoid"

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        self._y = F.sigmoid(xs[0])
        return [self._y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [F.sigmoid_backward(dys[0], self._y)]


@register_layer
class Tanh(_Elementwise):
    """Hyperbolic tangent."""

    type_name = "tanh"

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        self._y = F.tanh(xs[0])
        return [self._y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [F.tanh_backward(dys[0], self._y)]


@register_layer
class Softmax(_Elementwise):
    """Softmax along ``axis`` (default 1, the class axis)."""

    type_name = "softmax"
    PARAMS = {"axis": Spec("int", 1)}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        nd = len(in_shapes[0])
        if not -nd <= self.cfg["axis"] < nd:
            raise self.error("params.axis", f"{self.cfg['axis']} is out of range for a "
                                            f"{nd}-d input")
        return [in_shapes[0]]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        self._y = F.softmax(xs[0], axis=self.cfg["axis"])
        return [self._y]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [F.softmax_backward(dys[0], self._y, axis=self.cfg["axis"])]
