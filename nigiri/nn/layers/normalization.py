"""``batch_normalization`` with running statistics (train / test phase)."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from .base import Context, Layer, Shape, Spec, register_layer

__all__ = ["BatchNormalization"]


@register_layer
class BatchNormalization(Layer):
    """Normalise over the batch (and spatial axes) per channel; ``[N, C]`` or NCHW.

    Weights ``weight`` (gamma, init 1) and ``bias`` (beta, init 0); buffers
    ``running_mean`` and ``running_var`` (PyTorch's momentum convention).
    """

    type_name = "batch_normalization"
    aliases = ("batch_norm", "batchnorm")
    PARAMS = {
        "momentum": Spec("float", 0.1),
        "eps": Spec("float", 1e-5),
        "affine": Spec("bool", True),
        "num_features": Spec("int?", None, aliases=("in_size",), doc="checked when given"),
        "target_dim": Spec("any", None, doc="Sukiyaki2's channel axis; NCHW uses axis 1"),
    }

    def setup(self, in_shapes: list[Shape]) -> list[Shape]:
        shape = in_shapes[0]
        if len(shape) not in (2, 4):
            raise self.error("inputs", f"expected [N, C] or [N, C, H, W], got shape {shape}")
        c = shape[1]
        if self.cfg["num_features"] is not None and self.cfg["num_features"] != c:
            raise self.error("params.num_features", f"is {self.cfg['num_features']} but the "
                             f"input {self.inputs[0]!r} has {c} channels")
        if not 0.0 <= self.cfg["momentum"] <= 1.0:
            raise self.error("params.momentum", f"must be in [0, 1], got {self.cfg['momentum']}")
        if self.cfg["eps"] <= 0:
            raise self.error("params.eps", f"must be > 0, got {self.cfg['eps']}")
        fans = {"fan_in": c, "fan_out": c}
        self.weight_specs = {"weight": ((c,), "ones", fans), "bias": ((c,), "zeros", fans)}
        self.buffer_specs = {"running_mean": ((c,), "zeros", fans),
                             "running_var": ((c,), "ones", fans)}
        return [shape]

    def forward(self, xs: list[Any], ctx: Context) -> list[Any]:
        x = xs[0]
        gamma, beta = self.weights["weight"], self.weights["bias"]
        if not self.cfg["affine"]:
            gamma, beta = self._fixed(gamma, beta)
        y, mean, invstd = F.batch_norm(x, gamma, beta, self.buffers["running_mean"],
                                       self.buffers["running_var"], self.cfg["momentum"],
                                       self.cfg["eps"], ctx.train)
        self._x, self._mean, self._invstd, self._train = x, mean, invstd, ctx.train
        return [y]

    def _fixed(self, gamma: Any, beta: Any) -> tuple[Any, Any]:
        import nigiri as ng

        return ng.ones_like(gamma), ng.zeros_like(beta)

    def backward(self, dys: list[Any], ctx: Context) -> list[Any]:
        gamma = self.weights["weight"]
        if not self.cfg["affine"]:
            gamma, _ = self._fixed(gamma, self.weights["bias"])
        dx, dgamma, dbeta = F.batch_norm_backward(dys[0], self._x, gamma, self._mean,
                                                  self._invstd, self._train)
        if self.cfg["affine"]:
            self.grads["weight"], self.grads["bias"] = dgamma, dbeta
        return [dx]

    def release(self) -> None:
        self._x = self._mean = self._invstd = None
