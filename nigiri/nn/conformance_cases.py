"""nn layer cases for ``nigiri.conformance`` (imported by its layer runner).

Each case builds one layer from its JSON type and parameters, takes its weights as
inputs, and returns the outputs and the gradients of inputs and weights, so the
conformance suite checks forward and backward of every layer on every backend against
the numpy reference, the reference's backward against float64 numerical gradients,
and (where the case names one) the backend's fast path against the composite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nigiri.conformance.layers import register_layer_case

from .layers.base import Context, layer_type

__all__ = ["CASES"]

#: name -> (type, params, input shapes, fast path, extra host inputs)
CASES: dict[str, tuple[str, dict[str, Any], list[tuple[int, ...]], str | None]] = {
    "linear": ("linear", {"out_features": 5}, [(4, 3, 2)], None),
    "convolution_2d": ("convolution_2d", {"out_channels": 4, "kernel_size": 3, "padding": 1},
                       [(2, 3, 6, 5)], "conv2d_forward"),
    "convolution_2d_strided_grouped": ("convolution_2d", {
        "out_channels": 4, "kernel_size": [3, 2], "stride": 2, "dilation": [1, 2], "groups": 2,
        "bias": False}, [(2, 2, 7, 8)], "conv2d_forward"),
    "pooling_2d_max": ("pooling_2d", {"mode": "max", "kernel_size": 3, "stride": 2, "padding": 1,
                                      "ceil_mode": True}, [(2, 3, 6, 7)], "pool2d_forward"),
    "pooling_2d_avg": ("pooling_2d", {"mode": "avg", "kernel_size": 2}, [(2, 3, 6, 6)], "pool2d_forward"),
    "global_average_pooling": ("global_average_pooling", {}, [(2, 3, 4, 5)], None),
    "relu": ("relu", {}, [(4, 6)], None),
    "sigmoid": ("sigmoid", {}, [(4, 6)], None),
    "tanh": ("tanh", {}, [(4, 6)], None),
    "softmax": ("softmax", {}, [(4, 6)], "softmax"),
    "batch_normalization": ("batch_normalization", {}, [(4, 3, 3, 3)], "batchnorm_forward"),
    "flatten": ("flatten", {}, [(2, 3, 2, 2)], None),
    "concat": ("concat", {}, [(2, 3, 2), (2, 1, 2)], None),
    "add": ("add", {}, [(2, 3), (2, 3)], None),
    "mean_squared_error": ("loss", {}, [(3, 4), (3, 4)], None),
}


def _make_fn(type_name: str, params: dict[str, Any], shapes: list[tuple[int, ...]],
             labels: bool = False):
    n_in = len(shapes) + (1 if labels else 0)

    def fn(arrays: dict[str, Any], grads_out: list[Any] | None):
        cls = layer_type(type_name)
        layer = cls("case", params, [f"x{i}" for i in range(n_in)], ["y"], None, type_name=type_name)
        in_shapes = [tuple(arrays[f"x{i}"].shape) for i in range(n_in)]
        layer.setup(in_shapes)
        for name in layer.weight_specs:
            layer.weights[name] = arrays[name]
        import nigiri as ng

        for name, (shape, init, _) in layer.buffer_specs.items():
            fill = 1.0 if init == "ones" else 0.0
            layer.buffers[name] = ng.full(shape, fill, dtype=arrays["x0"].dtype, device=arrays["x0"].device)
        layer.need_input_grad = [True] * len(shapes) + ([False] if labels else [])
        ctx = Context(train=True)
        ys = layer.forward([arrays[f"x{i}"] for i in range(n_in)], ctx)
        if grads_out is None:
            return ys[0], None
        layer.grads = {}
        dxs = layer.backward(list(grads_out), ctx)
        grads = {f"x{i}": dxs[i] for i in range(len(shapes))}
        grads.update(layer.grads)
        return ys[0], grads

    return fn


def _weight_shapes(type_name: str, params: dict[str, Any],
                   shapes: list[tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    cls = layer_type(type_name)
    layer = cls("case", params, [f"x{i}" for i in range(len(shapes))], ["y"], None, type_name=type_name)
    layer.setup([tuple(s) for s in shapes])
    return {k: v[0] for k, v in layer.weight_specs.items()}


def _register() -> None:
    for name, (type_name, params, shapes, fast) in CASES.items():
        inputs: dict[str, Any] = {f"x{i}": s for i, s in enumerate(shapes)}
        weights = _weight_shapes(type_name, params, shapes)
        inputs.update(weights)
        fan = max(int(np.prod(s[1:])) if len(s) > 1 else 1 for s in shapes)
        register_layer_case(f"nn.{name}", _make_fn(type_name, params, shapes), inputs,
                            fan_in=max(fan, 1), fast_path=fast, replace=True)
    # the loss takes integer labels: a fixed host array (no gradient)
    labels = np.array([0, 3, 1, 4, 2, 1], dtype=np.int64)
    register_layer_case("nn.softmax_cross_entropy",
                        _make_fn("softmax_cross_entropy", {}, [(6, 5)], labels=True),
                        {"x0": (6, 5), "x1": labels}, wrt=("x0",), fan_in=5,
                        fast_path="softmax_xent_forward", replace=True)


_register()
