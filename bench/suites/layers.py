"""``layers``: forward and backward time of single layers (nigiri.nn.functional).

LeNet's layers at batch 64 (Caffe's MNIST LeNet) plus a ResNet-style 3x3 convolution
and batch normalisation. Forward tasks return the output; backward tasks the input
gradient and the weight gradients, flattened and concatenated. Each result is checked
against float64 NumPy (nigiri's composites in float64) before timing. Backends run
their fast path when they register one, the composite otherwise. PyTorch peers run
``torch.nn.functional`` (backward through ``torch.autograd.grad`` on a kept graph).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..registry import SuiteContext, Task, register_suite
from ..targets import Unsupported


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str                        # conv, pool, linear, relu, xent, bn
    shapes: tuple[tuple[int, ...], ...]
    opts: dict[str, Any] = field(default_factory=dict)
    flops: float = 0.0


def _conv_flops(n: int, c: int, o: int, k: int, ho: int, wo: int) -> float:
    return 2.0 * n * o * ho * wo * c * k * k


SPECS = (
    Spec("lenet conv1", "conv", ((64, 1, 28, 28), (20, 1, 5, 5), (20,)), {"need_dx": False},
         _conv_flops(64, 1, 20, 5, 24, 24)),
    Spec("lenet pool1", "pool", ((64, 20, 24, 24),), {"k": 2}),
    Spec("lenet conv2", "conv", ((64, 20, 12, 12), (50, 20, 5, 5), (50,)), {},
         _conv_flops(64, 20, 50, 5, 8, 8)),
    Spec("lenet pool2", "pool", ((64, 50, 8, 8),), {"k": 2}),
    Spec("lenet ip1", "linear", ((64, 800), (500, 800), (500,)), {}, 2.0 * 64 * 800 * 500),
    Spec("lenet relu1", "relu", ((64, 500),)),
    Spec("lenet loss", "xent", ((64, 10),)),
    Spec("conv3x3 64ch 32x32 b8", "conv", ((8, 64, 32, 32), (64, 64, 3, 3), (64,)), {"padding": 1},
         _conv_flops(8, 64, 64, 3, 32, 32)),
    Spec("batchnorm 64ch 32x32 b8", "bn", ((8, 64, 32, 32), (64,), (64,))),
)
QUICK = ("lenet conv2", "lenet pool1", "lenet ip1", "lenet loss")


def _host(spec: Spec) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(zlib.crc32(spec.name.encode()))
    arrays = [rng.standard_normal(s).astype(np.float32) for s in spec.shapes]
    if spec.kind in ("conv", "linear"):
        fan_in = math.prod(spec.shapes[1][1:])
        arrays[1] *= 1.0 / math.sqrt(fan_in)
    if spec.kind == "xent":
        arrays.append(rng.integers(0, spec.shapes[0][1], spec.shapes[0][0]).astype(np.int64))
    if spec.kind == "bn":
        arrays[1] = np.abs(arrays[1]) + 0.5
    out_shape = _forward_ng(spec, [__import__("nigiri").asarray(a) for a in arrays]).shape
    arrays.append(rng.standard_normal(out_shape).astype(np.float32))  # the output gradient
    return tuple(arrays)


# ------------------------------------------------------------------ nigiri
def _forward_ng(spec: Spec, a: list[Any]) -> Any:
    import nigiri as ng
    from nigiri.nn import functional as F

    o = spec.opts
    if spec.kind == "conv":
        p = o.get("padding", 0)
        return F.conv2d(a[0], a[1], a[2], (1, 1), (p, p))[0]
    if spec.kind == "pool":
        return F.pool2d(a[0], "max", (o["k"],) * 2, (o["k"],) * 2, need_index=False)[0]
    if spec.kind == "linear":
        return F.linear(a[0], a[1], a[2])
    if spec.kind == "relu":
        return F.relu(a[0])
    if spec.kind == "xent":
        return F.softmax_cross_entropy(a[0], a[1])[0]
    rm = ng.zeros((a[0].shape[1],), dtype=a[0].dtype, device=a[0].device)
    rv = ng.ones((a[0].shape[1],), dtype=a[0].dtype, device=a[0].device)
    return F.batch_norm(a[0], a[1], a[2], rm, rv, 0.1, 1e-5, True)[0]


def _backward_ng(spec: Spec, a: list[Any]) -> Callable[[], list[Any]]:
    """Run forward once (kept state) and return the backward callable."""
    from nigiri.nn import functional as F

    o = spec.opts
    dy = a[-1]
    if spec.kind == "conv":
        p = o.get("padding", 0)
        _, saved = F.conv2d(a[0], a[1], a[2], (1, 1), (p, p))
        need = (o.get("need_dx", True), True, True)
        return lambda: [g for g in F.conv2d_backward(a[0], a[1], dy, (1, 1), (p, p), need=need,
                                                     saved=saved) if g is not None]
    if spec.kind == "pool":
        k = (o["k"],) * 2
        _, idx = F.pool2d(a[0], "max", k, k)
        return lambda: [F.pool2d_backward(dy, a[0], idx, "max", k, k)]
    if spec.kind == "linear":
        return lambda: list(F.linear_backward(dy, a[0], a[1]))
    if spec.kind == "relu":
        y = F.relu(a[0])
        return lambda: [F.relu_backward(dy, y)]
    if spec.kind == "xent":
        _, probs = F.softmax_cross_entropy(a[0], a[1])
        return lambda: [F.softmax_cross_entropy_backward(probs, a[1], dy)]
    import nigiri as ng

    rm = ng.zeros((a[0].shape[1],), dtype=a[0].dtype, device=a[0].device)
    rv = ng.ones((a[0].shape[1],), dtype=a[0].dtype, device=a[0].device)
    _, mean, invstd = F.batch_norm(a[0], a[1], a[2], rm, rv, 0.1, 1e-5, True)
    return lambda: list(F.batch_norm_backward(dy, a[0], a[1], mean, invstd))


def _flat(arrs: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(v, np.float64).reshape(-1) for v in arrs])


def _reference(spec: Spec, backward: bool) -> Callable[..., np.ndarray]:
    def ref(*host: np.ndarray) -> np.ndarray:
        import nigiri as ng
        from nigiri.nn import functional as F

        a = [ng.asarray(h.astype(np.float64) if h.dtype.kind == "f" else h) for h in host]
        with F.use_fast_paths(False):
            if not backward:
                return ng.to_numpy(_forward_ng(spec, a)).astype(np.float64)
            return _flat([ng.to_numpy(g) for g in _backward_ng(spec, a)()])
    return ref


def _check(got: np.ndarray, ref: np.ndarray, inputs: tuple) -> tuple[bool, float, float]:
    if np.shape(got) != np.shape(ref):
        return False, math.inf, 0.0
    err = float(np.max(np.abs(np.asarray(got, np.float64) - ref))) if ref.size else 0.0
    bound = 1e-4 * max(1.0, float(np.max(np.abs(ref))) if ref.size else 1.0)
    return err <= bound, err, bound


# ------------------------------------------------------------------ torch
def _torch_fns(spec: Spec, t: list[Any]) -> tuple[Callable[[], Any], list[Any]]:
    import torch
    import torch.nn.functional as TF

    o = spec.opts
    if spec.kind == "conv":
        return (lambda: TF.conv2d(t[0], t[1], t[2], padding=o.get("padding", 0))), \
            ([t[1], t[2]] if not o.get("need_dx", True) else [t[0], t[1], t[2]])
    if spec.kind == "pool":
        return (lambda: TF.max_pool2d(t[0], o["k"])), [t[0]]
    if spec.kind == "linear":
        return (lambda: TF.linear(t[0], t[1], t[2])), [t[0], t[1], t[2]]
    if spec.kind == "relu":
        return (lambda: torch.relu(t[0])), [t[0]]
    if spec.kind == "xent":
        return (lambda: TF.cross_entropy(t[0], t[1], reduction="none")), [t[0]]
    c = t[0].shape[1]
    rm, rv = torch.zeros(c, device=t[0].device), torch.ones(c, device=t[0].device)
    return (lambda: TF.batch_norm(t[0], rm, rv, t[1], t[2], training=True)), [t[0], t[1], t[2]]


def _bind(spec: Spec, backward: bool):
    def bind(target: Any, host: tuple) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
        if target.kind == "nigiri":
            import nigiri as ng

            a = [ng.asarray(h, device=target.spec) for h in host]
            if not backward:
                return (lambda: _forward_ng(spec, a)), ng.to_numpy
            call = _backward_ng(spec, a)
            return call, lambda gs: _flat([ng.to_numpy(g) for g in gs])
        if target.name.startswith("torch:"):
            import torch

            dev = target.name.split(":", 1)[1]
            t = [torch.tensor(h, device=dev) for h in host]
            for v in t[:-1]:
                if v.dtype.is_floating_point:
                    v.requires_grad_(True)
            fwd, wrt = _torch_fns(spec, t)
            if not backward:
                def run_fwd() -> Any:
                    with torch.no_grad():
                        return fwd()
                return run_fwd, lambda y: y.detach().cpu().numpy()
            y = fwd()
            dy = t[-1]
            return (lambda: torch.autograd.grad(y, wrt, dy, retain_graph=True),
                    lambda gs: _flat([g.detach().cpu().numpy() for g in gs]))
        raise Unsupported(f"{target.name} has no nn layers")
    return bind


def _runs(target: Any) -> bool | str:
    return True if target.kind == "nigiri" or target.name.startswith("torch:") else "no nn layers"


@register_suite("layers", description="nn layer forward / backward (LeNet b64, ResNet-style conv and "
                "batch norm)", metric="ms")
def tasks(ctx: SuiteContext) -> list[Task]:
    out = []
    for spec in SPECS:
        if ctx.quick and spec.name not in QUICK:
            continue
        for backward in (False, True):
            out.append(Task(
                name=f"{spec.name} {'backward' if backward else 'forward'}",
                inputs=lambda spec=spec: _host(spec), reference=_reference(spec, backward),
                check=_check, bind=_bind(spec, backward), targets=_runs, group=spec.name,
                flops=spec.flops * (2 if backward else 1),
                params={"layer": spec.name, "pass": "backward" if backward else "forward",
                        "shapes": [list(s) for s in spec.shapes]}))
    return out
