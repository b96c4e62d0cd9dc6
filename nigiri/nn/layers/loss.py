"""Losses (``softmax_cross_entropy``, ``loss`` = mean squared error) and ``accuracy``.

Loss layers output a 0-d array; the network starts backward from them with the
gradient ``loss_weight`` (times the micro-batch share when accumulating).
"""

from __future__ import annotations

from typing import Any

import nigiri as ng

from .. import functional as F
from .base import Context, Layer, Shape, Spec, register_layer

__all__ = ["SoftmaxCrossEntropy", "MeanSquaredError", "Accuracy"]


def _check_labels(layer: Layer, scores: Shape, labels: Shape) -> None:
    if len(scores) != 2:
        raise layer.error("inputs", f"scores {layer.inputs[0]!r} must be [N, classes], got "
                                    f"shape {scores}")
    if labels != (scores[0],):
        raise layer.error("inputs", f"labels {layer.inputs[1]!r} must have shape "
                                    f"({scores[0]},), got {labels}")


@register_layer
class SoftmaxCrossEntropy(Layer):
    """Mean cross-entropy of softmax(scores) against integer labels (stable)."""

    type_name = "softmax_cross_entropy"
    aliases = ("softmax_with_loss",)
    n_inputs = (2, 2)
    is_loss = True
    PARAMS = {
        "ignore_label": Spec("int?", None, aliases=("ignore_index",),
                             doc="samples with this label add no loss"),
        "loss_weight": Spec("float", 1.0),
    }

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        _check_labels(self, in_shapes[0], in_shapes[1])
        return [()]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        scores, labels = xs
        ignore = self.cfg["ignore_label"]
        per, probs = F.softmax_cross_entropy(scores, labels, ignore)
        if ignore is None:
            self._count = float(scores.shape[0])
        else:
            self._count = ng.maximum(ng.sum(ng.astype(labels != ignore, scores.dtype)), 1.0)
        self._probs, self._labels, self._n = probs, labels, scores.shape[0]
        return [ng.sum(per) / self._count]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        per = ng.broadcast_to(ng.reshape(dys[0] / self._count, (1,)), (self._n,))
        per = ng.asarray(per, copy=True)
        return [F.softmax_cross_entropy_backward(self._probs, self._labels, per,
                                                 self.cfg["ignore_label"]), None]

    def release(self) -> None:
        self._probs = self._labels = self._count = None


@register_layer
class MeanSquaredError(Layer):
    """Sukiyaki2's ``loss``: mean squared error over all elements."""

    type_name = "loss"
    aliases = ("mse", "mean_squared_error")
    n_inputs = (2, 2)
    is_loss = True
    PARAMS = {"loss_weight": Spec("float", 1.0)}

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        if in_shapes[0] != in_shapes[1]:
            raise self.error("inputs", f"prediction {self.inputs[0]!r} {in_shapes[0]} and "
                                       f"target {self.inputs[1]!r} {in_shapes[1]} differ in shape")
        return [()]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x, t = xs
        if t.dtype != x.dtype:
            t = ng.astype(t, x.dtype)
        self._x, self._t = x, t
        return [F.mse(x, t)]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        dx, dt = F.mse_backward(dys[0], self._x, self._t)
        return [dx, dt if self.need_input_grad[1] else None]

    def release(self) -> None:
        self._x = self._t = None


@register_layer
class Accuracy(Layer):
    """Fraction of samples whose label is among the ``top_k`` highest scores."""

    type_name = "accuracy"
    n_inputs = (2, 2)
    is_metric = True
    PARAMS = {
        "top_k": Spec("posint", 1),
        "ignore_label": Spec("int?", None, aliases=("ignore_index",)),
    }

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        _check_labels(self, in_shapes[0], in_shapes[1])
        if self.cfg["top_k"] > in_shapes[0][1]:
            raise self.error("params.top_k", f"{self.cfg['top_k']} exceeds the "
                                             f"{in_shapes[0][1]} classes")
        return [()]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        correct, counted = F.accuracy(xs[0], xs[1], self.cfg["top_k"], self.cfg["ignore_label"])
        self.counts = (correct, counted)
        return [correct / ng.maximum(counted, 1.0)]

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        return [None, None]
