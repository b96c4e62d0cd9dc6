"""Check a layer's backward against float64 central differences.

For custom layers too: ``make_layer("my_type", params, [input shapes])`` builds and
initialises one layer with random float64 weights; ``check_gradients(layer, inputs)``
compares its backward (inputs and weights) with numerical gradients of
``sum(R * forward(inputs))`` for a random ``R`` and raises ``AssertionError`` naming the
input or weight that disagrees. Runs on the numpy backend.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import nigiri as ng
from nigiri.nn.layers.base import Context, layer_type


__all__ = ["make_layer", "check_gradients"]


def make_layer(type_name: str, params: dict[str, Any], in_shapes: Sequence[tuple[int, ...]],
               *, seed: int = 0, device: Any = "numpy", dtype: Any = np.float64,
               n_outputs: int = 1) -> Any:
    """Build, set up and initialise one layer with random weights of ``dtype``."""
    cls = layer_type(type_name)
    inputs = [f"in{i}" for i in range(len(in_shapes))]
    outputs = [f"out{i}" for i in range(n_outputs)]
    layer = cls("L", params, inputs, outputs, None, type_name=type_name)
    layer.setup([tuple(s) for s in in_shapes])
    rng = np.random.default_rng(seed)
    for store, specs in ((layer.weights, layer.weight_specs), (layer.buffers, layer.buffer_specs)):
        for name, (shape, _, _) in specs.items():
            host = rng.standard_normal(shape)
            if name == "running_var":
                host = np.abs(host) + 0.5
            store[name] = ng.asarray(host.astype(dtype), device=device)
    layer.need_input_grad = [True] * len(inputs)
    return layer


def _as(host: np.ndarray, device: Any) -> Any:
    return ng.asarray(host, device=device)


def run(layer: Any, xs: Sequence[np.ndarray], train: bool = True, device: Any = "numpy",
        rng: Any = None) -> list[np.ndarray]:
    ctx = Context(train=train, rng=rng)
    ys = layer.forward([_as(x, device) for x in xs], ctx)
    return [ng.to_numpy(y) for y in ys]


def check_gradients(layer: Any, xs: Sequence[np.ndarray], *, train: bool = True,
                    wrt_inputs: Sequence[int] | None = None, eps: float = 1e-6,
                    rtol: float = 1e-5, atol: float = 1e-7, seed: int = 1,
                    rng_seed: int | None = None) -> None:
    """Compare backward with central differences of ``sum(R * forward)`` (float64)."""
    rs = np.random.default_rng(seed)
    xs = [np.array(x, copy=True) for x in xs]
    gen = (lambda: ng.random.Generator(rng_seed)) if rng_seed is not None else (lambda: None)
    ys = run(layer, xs, train, rng=gen())
    weights_r = [rs.standard_normal(y.shape) for y in ys]
    buffers = {k: ng.to_numpy(v).copy() for k, v in layer.buffers.items()}

    def objective() -> float:
        for k, v in buffers.items():  # running statistics must not drift between probes
            layer.buffers[k] = ng.asarray(v.copy())
        out = run(layer, xs, train, rng=gen())
        return float(sum(np.sum(r * y) for r, y in zip(weights_r, out)))

    objective()
    dys = [ng.asarray(r) for r in weights_r]
    layer.grads = {}
    dxs = layer.backward(dys, Context(train=train, rng=None))
    analytic_x = [None if d is None else ng.to_numpy(d) for d in dxs]
    analytic_w = {k: ng.to_numpy(v) for k, v in layer.grads.items()}
    idx = range(len(xs)) if wrt_inputs is None else wrt_inputs
    for i in idx:
        num = np.zeros_like(xs[i])
        flat = xs[i].reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            fp = objective()
            flat[j] = old - eps
            fm = objective()
            flat[j] = old
            num.reshape(-1)[j] = (fp - fm) / (2 * eps)
        if analytic_x[i] is None:
            raise AssertionError(f"input {i}: backward returned no gradient")
        np.testing.assert_allclose(analytic_x[i], num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
    for name, w in layer.weights.items():
        host = ng.to_numpy(w).copy()
        num = np.zeros_like(host)
        flat = host.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            for sign in (1, -1):
                flat[j] = old + sign * eps
                layer.weights[name] = ng.asarray(host.copy())
                val = objective()
                num.reshape(-1)[j] += sign * val / (2 * eps)
            flat[j] = old
        layer.weights[name] = ng.asarray(host)
        if name not in analytic_w:
            raise AssertionError(f"weight {name}: backward set no gradient")
        np.testing.assert_allclose(analytic_w[name], num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of weight {name}")
