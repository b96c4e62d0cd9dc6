"""``train``: LeNet (Caffe's MNIST LeNet, nigiri's zoo) training steps at batch 64.

One task = one optimizer step (forward, backward, momentum SGD update) on a fixed batch
of real digits from the offline MNIST subset, timed per step; images/s = 64 / time.
Every target starts from the same weights; before timing, the loss of its first step
is checked against a float64 evaluation of the same network (nigiri's composites on the
numpy backend in float64). Peers: PyTorch (``torch:cpu`` / ``torch:cuda``) with the
same layers, weights and optimizer; ``numpy``, ``cupy`` and ``tinygrad`` peers have no
training step and are skipped.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..checks import close
from ..registry import SuiteContext, Task, register_suite
from ..targets import Unsupported

BATCH = 64
LR, MOMENTUM = 0.01, 0.9
_LAYERS = ("conv1", "conv2", "ip1", "ip2")


def _inputs(batch: int) -> Callable[[], tuple[np.ndarray, ...]]:
    def make() -> tuple[np.ndarray, ...]:
        from nigiri.nn import Network
        from nigiri.nn.data import load_mnist

        x, y = load_mnist(None, "train")
        net = Network.from_json("lenet", seed=0, weights=True)
        params = [np.ascontiguousarray(np.asarray(v._buf)) for v in net.params().values()]
        return (np.ascontiguousarray(x[:batch, None]), y[:batch].astype(np.int64), *params)
    return make


def _reference(x: np.ndarray, y: np.ndarray, *params: np.ndarray) -> np.ndarray:
    """The first step's loss in float64 (nigiri composites on the numpy backend)."""
    import nigiri as ng
    from nigiri.nn import functional as F

    p = [ng.asarray(a.astype(np.float64)) for a in params]
    h = ng.asarray(((x.astype(np.float64) / 255.0) - 0.1307) / 0.3081)
    with F.use_fast_paths(False):
        h, _ = F.conv2d(h, p[0], p[1])
        h, _ = F.pool2d(h, "max", (2, 2), (2, 2))
        h, _ = F.conv2d(h, p[2], p[3])
        h, _ = F.pool2d(h, "max", (2, 2), (2, 2))
        h = F.relu(F.linear(ng.reshape(h, (h.shape[0], -1)), p[4], p[5]))
        h = F.linear(h, p[6], p[7])
        loss, _ = F.softmax_cross_entropy(h, ng.asarray(y))
    return np.asarray(float(ng.mean(loss)))


def _bind_nigiri(target: Any, host: tuple) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
    import nigiri as ng
    from nigiri.nn import Network
    from nigiri.nn.optim import make_optimizer

    dev = target.spec
    net = Network.from_json("lenet", device=dev, batch_size=BATCH)
    names = list(net.params())
    net.set_state({**{k: v for k, v in zip(names, host[2:])},
                   **{k: ng.to_numpy(v) for k, v in net.buffers().items()}})
    opt = make_optimizer("momentum", lr=LR, momentum=MOMENTUM)
    x, y = ng.asarray(host[0], device=dev), ng.asarray(host[1], device=dev)

    def step() -> Any:
        blobs = net.forward((x, y), phase="train")
        net.backward()
        opt.step(net.params(), net.grads)
        return blobs["loss"]

    return step, lambda loss: np.asarray(float(ng.to_numpy(loss)))


def _bind_torch(target: Any, host: tuple) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
    import torch

    dev = target.name.split(":", 1)[1]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 20, 5), torch.nn.MaxPool2d(2), torch.nn.Conv2d(20, 50, 5),
        torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(800, 500), torch.nn.ReLU(),
        torch.nn.Linear(500, 10)).to(dev)
    mods = [model[0], model[2], model[5], model[7]]
    with torch.no_grad():
        for i, m in enumerate(mods):
            m.weight.copy_(torch.tensor(host[2 + 2 * i]))
            m.bias.copy_(torch.tensor(host[3 + 2 * i]))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    raw = torch.tensor(host[0], device=dev)
    y = torch.tensor(host[1], device=dev)

    def step() -> Any:
        x = (raw.float() * (1 / 255.0) - 0.1307) * (1 / 0.3081)  # as nigiri's data layer
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.detach()

    return step, lambda loss: np.asarray(float(loss.cpu()))


def _bind(target: Any, host: tuple) -> tuple[Callable[[], Any], Callable[[Any], np.ndarray]]:
    if target.kind == "nigiri":
        return _bind_nigiri(target, host)
    if target.name.startswith("torch:"):
        return _bind_torch(target, host)
    raise Unsupported(f"{target.name} has no training step (peer without autograd/layers)")


def _runs(target: Any) -> bool | str:
    if target.kind == "nigiri" or target.name.startswith("torch:"):
        return True
    return "no training step for this peer"


@register_suite("train", description="LeNet training step (forward+backward+momentum SGD), "
                "batch 64, offline MNIST; images/s = 64 / time", metric="ms")
def tasks(ctx: SuiteContext) -> list[Task]:
    return [Task(name=f"lenet step b{BATCH}", inputs=_inputs(BATCH), reference=_reference,
                 check=close(2e-4, 1e-5), bind=_bind, targets=_runs, group="lenet",
                 flops=_lenet_flops(BATCH), params={"batch": BATCH, "network": "lenet",
                                                    "optimizer": "momentum", "images": BATCH})]


def _lenet_flops(n: int) -> float:
    """Multiply-adds x2 of forward (x3 for forward + both backward GEMMs)."""
    macs = n * (24 * 24 * 20 * 25 + 8 * 8 * 50 * 500 + 800 * 500 + 500 * 10)
    return 2.0 * 3 * macs
