"""Optimizers and schedules: update rules, PyTorch parity, gradient accumulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nigiri as ng
from nigiri.nn import Network
from nigiri.nn.optim import SGD, Adam, Schedule, make_optimizer, make_schedule, optimizer_from_config


def _run(opt, steps: int = 4, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal((3, 4)).astype(np.float32)
    params = {"w": ng.asarray(p0.copy())}
    history = []
    for _ in range(steps):
        g = rng.standard_normal((3, 4)).astype(np.float32)
        opt.step(params, {"w": ng.asarray(g)})
        history.append(ng.to_numpy(params["w"]).copy())
    return history


def _reference(kind: str, steps: int = 4, seed: int = 0, lr: float = 0.1, m: float = 0.9,
               wd: float = 0.01, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.standard_normal((3, 4))
    v = np.zeros_like(p)
    mm = np.zeros_like(p)
    vv = np.zeros_like(p)
    out = []
    for t in range(1, steps + 1):
        g = rng.standard_normal((3, 4)).astype(np.float32).astype(np.float64)
        if kind in ("momentum", "nesterov"):
            d = g + wd * p
            v = m * v + d
            p = p - lr * (d + m * v if kind == "nesterov" else v)
        elif kind == "sgd":
            p = p - lr * (g + wd * p)
        else:
            if kind == "adamw":
                p = p * (1 - lr * wd)
            else:
                g = g + wd * p
            mm = b1 * mm + (1 - b1) * g
            vv = b2 * vv + (1 - b2) * g * g
            p = p - lr * (mm / (1 - b1 ** t)) / (np.sqrt(vv / (1 - b2 ** t)) + eps)
        out.append(p.copy())
    return out


@pytest.mark.parametrize("kind", ["sgd", "momentum", "nesterov", "adam", "adamw"])
def test_update_rules(kind: str) -> None:
    opt = make_optimizer(kind, lr=0.1, momentum=0.9, weight_decay=0.01)
    got = _run(opt)
    ref = _reference(kind)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
    assert opt.step_count == 4


@pytest.mark.parametrize("kind", ["momentum", "nesterov", "adam", "adamw"])
def test_matches_pytorch(kind: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    p0 = rng.standard_normal((5, 3)).astype(np.float32)
    grads = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(5)]
    tp = torch.nn.Parameter(torch.tensor(p0.copy()))
    if kind in ("momentum", "nesterov"):
        topt = torch.optim.SGD([tp], lr=0.05, momentum=0.8, weight_decay=1e-3, nesterov=kind == "nesterov")
    else:
        cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
        topt = cls([tp], lr=0.05, weight_decay=1e-3)
    opt = make_optimizer(kind, lr=0.05, momentum=0.8, weight_decay=1e-3)
    params = {"p": ng.asarray(p0.copy())}
    for g in grads:
        tp.grad = torch.tensor(g)
        topt.step()
        opt.step(params, {"p": ng.asarray(g)})
    np.testing.assert_allclose(ng.to_numpy(params["p"]), tp.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_schedules() -> None:
    s = make_schedule("cosine", total_steps=10)
    assert s.factor(0) == 1.0 and abs(s.factor(5) - 0.5) < 1e-12 and s.factor(10) == 0.0
    assert s.factor(99) == 0.0
    s = make_schedule("cosine", total_steps=10, min_factor=0.1, warmup_steps=2)
    assert s.factor(0) == pytest.approx(0.5) and s.factor(10) == pytest.approx(0.1)
    s = make_schedule("step", step_size=3, gamma=0.5)
    assert [s.factor(i) for i in range(7)] == [1, 1, 1, 0.5, 0.5, 0.5, 0.25]
    assert make_schedule(None).factor(1000) == 1.0
    assert Schedule(**s.config()).factor(6) == 0.25
    opt = SGD(lr=0.2, schedule=make_schedule("cosine", total_steps=4))
    lrs = []
    for _ in range(4):
        lrs.append(opt.lr)
        opt.step({}, {})
    assert lrs == pytest.approx([0.2 * 0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(4)])


@pytest.mark.parametrize("bad, match", [
    (lambda: SGD(lr=-1), "lr must be >= 0"),
    (lambda: SGD(lr=0.1, momentum=1.0), r"momentum must be in \[0.0, 1.0\)"),
    (lambda: SGD(lr=0.1, nesterov=True), "nesterov needs momentum"),
    (lambda: Adam(lr=0.1, betas=(0.9, 1.5)), "beta2"),
    (lambda: make_optimizer("rmsprop", lr=0.1), "unknown optimizer 'rmsprop'"),
    (lambda: make_schedule("linear"), "unknown schedule"),
    (lambda: make_schedule("cosine"), "total_steps >= 1"),
    (lambda: SGD(lr=float("nan")), "finite"),
])
def test_bad_settings(bad, match) -> None:
    with pytest.raises(ValueError, match=match):
        bad()


def test_state_roundtrip() -> None:
    opt = make_optimizer("adamw", lr=0.01, weight_decay=0.1,
                         schedule=make_schedule("cosine", total_steps=7))
    _run(opt, steps=2)
    clone = optimizer_from_config(opt.config())
    clone.load_state(opt.config(), {k: ng.to_numpy(v) for k, v in opt.state_arrays().items()}, "numpy")
    assert clone.step_count == 2 and clone.lr == opt.lr
    a, b = _run(opt, steps=2, seed=5), _run(clone, steps=2, seed=5)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    with pytest.raises(ValueError, match="not 'sgd'"):
        SGD(lr=1.0).load_state(opt.config(), {}, "numpy")


NET = [
    {"type": "data", "name": "data", "outputs": ["data", "label"], "params": {"shape": [2, 5, 5]}},
    {"type": "convolution_2d", "name": "c", "inputs": ["data"], "params": {"out_channels": 3, "kernel_size": 3}},
    {"type": "relu", "name": "r", "inputs": ["c"]},
    {"type": "pooling_2d", "name": "p", "inputs": ["r"], "params": {"kernel_size": 2, "ceil_mode": True}},
    {"type": "linear", "name": "fc", "inputs": ["p"], "params": {"out_features": 4}},
    {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc", "label"]},
]


@pytest.mark.parametrize("kind", ["momentum", "adamw"])
def test_gradient_accumulation_equals_large_batch(kind: str) -> None:
    from nigiri.nn.data import DataLoader
    from nigiri.nn.train import Trainer

    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 2, 5, 5)).astype(np.float32)
    y = rng.integers(0, 4, 24)
    results = []
    for accumulate in (1, 3, 5):  # 5 does not divide the batch of 12: unequal micro-batches
        net = Network.from_json(NET, seed=1)
        opt = make_optimizer(kind, lr=0.1, weight_decay=0.01)
        loader = DataLoader(x, y, 12, shuffle=True, seed=2, prefetch=0)
        Trainer(net, opt, loader, epochs=2, accumulate=accumulate, progress=False, log=None).fit()
        results.append({k: ng.to_numpy(v) for k, v in net.params().items()})
    for other in results[1:]:
        for k in results[0]:
            np.testing.assert_allclose(other[k], results[0][k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_network_backward_accumulate_sums() -> None:
    net = Network.from_json(NET, seed=1)
    rng = np.random.default_rng(0)
    x = ng.asarray(rng.standard_normal((6, 2, 5, 5)).astype(np.float32))
    y = ng.asarray(rng.integers(0, 4, 6))
    net.forward((x, y))
    full = {k: ng.to_numpy(v) for k, v in net.backward().items()}
    net.forward((x[:2], y[:2]))
    net.backward(loss_scale=2 / 6)
    net.forward((x[2:], y[2:]))
    acc = net.backward(loss_scale=4 / 6, accumulate=True)
    for k, v in full.items():
        np.testing.assert_allclose(ng.to_numpy(acc[k]), v, rtol=1e-5, atol=1e-7)
