"""Layers on every available backend agree with the numpy reference, and backend fast
paths agree with the composites of ``nigiri.nn.functional`` on the same backend."""

from __future__ import annotations

import numpy as np
import pytest

import nigiri as ng
import nigiri.backends as registry
from nigiri.nn import functional as F
from nigiri.nn.layers.base import Context

from nigiri.nn.gradcheck import make_layer


def _available() -> list[str]:
    found = []
    for name in ("numpy", "numba", "opencl", "cupy"):
        try:
            registry.get_device(name)
        except Exception:  # not installed here / no device: nothing to compare
            continue
        found.append(name)
    return found


BACKENDS = _available()
OTHERS = [b for b in BACKENDS if b != "numpy"]

LAYER_CASES = [
    ("convolution_2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, [(2, 3, 7, 6)]),
    ("convolution_2d", {"out_channels": 5, "kernel_size": 3, "stride": 2}, [(2, 12, 7, 6)]),
    ("convolution_2d", {"out_channels": 4, "kernel_size": [3, 2], "stride": 2, "dilation": [2, 1],
                        "groups": 2, "bias": False}, [(2, 2, 9, 8)]),
    ("pooling_2d", {"mode": "max", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(2, 3, 7, 7)]),
    ("pooling_2d", {"mode": "avg", "kernel_size": 2}, [(2, 3, 6, 6)]),
    ("linear", {"out_features": 5}, [(3, 2, 3, 2)]),
    ("batch_normalization", {}, [(4, 3, 3, 3)]),
    ("batch_normalization", {}, [(6, 5)]),
    ("relu", {}, [(3, 7)]),
    ("sigmoid", {}, [(3, 7)]),
    ("tanh", {}, [(3, 7)]),
    ("softmax", {}, [(3, 7)]),
    ("global_average_pooling", {}, [(2, 3, 4, 5)]),
    ("concat", {}, [(2, 3, 2), (2, 1, 2)]),
    ("add", {}, [(2, 3), (2, 3)]),
    ("loss", {}, [(3, 4), (3, 4)]),
]


def _run_layer(backend: str, case, xs, train: bool = True):
    type_name, params, shapes = case
    layer = make_layer(type_name, params, shapes, device=backend, dtype=np.float32)
    ctx = Context(train=train)
    ys = layer.forward([ng.asarray(x, device=backend) for x in xs], ctx)
    rng = np.random.default_rng(5)
    dys = [ng.asarray(rng.standard_normal(y.shape).astype(np.float32), device=backend) for y in ys]
    layer.grads = {}
    dxs = layer.backward(dys, ctx)
    return ([ng.to_numpy(y) for y in ys], [None if d is None else ng.to_numpy(d) for d in dxs],
            {k: ng.to_numpy(v) for k, v in layer.grads.items()},
            {k: ng.to_numpy(v) for k, v in layer.buffers.items()})


def _close(a, b, what: str) -> None:
    scale = max(1.0, float(np.max(np.abs(b))) if np.size(b) else 1.0)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * scale, err_msg=what)


@pytest.mark.skipif(not OTHERS, reason="only the numpy backend is available here")
@pytest.mark.parametrize("backend", OTHERS or ["none"])
@pytest.mark.parametrize("case", LAYER_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LAYER_CASES)])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "composite"])
def test_layer_agrees_with_numpy(backend: str, case, fast: bool) -> None:
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(s).astype(np.float32) for s in case[2]]
    ref = _run_layer("numpy", case, xs)
    with F.use_fast_paths(fast):
        got = _run_layer(backend, case, xs)
    for name, a, b in zip(("outputs", "input grads", "weight grads", "buffers"), got, ref):
        if isinstance(b, dict):
            assert set(a) == set(b)
            for k in b:
                _close(a[k], b[k], f"{name} {k}")
        else:
            for i, (u, v) in enumerate(zip(a, b)):
                if v is not None:
                    _close(u, v, f"{name} {i}")


FAST_CASES = {
    "conv2d": dict(x=(2, 4, 9, 8), w=(6, 2, 3, 3), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
    "pool_max": dict(x=(2, 3, 7, 7), kind="max", k=(3, 3), s=(2, 2), p=(1, 1), ceil=True),
    "pool_avg": dict(x=(2, 3, 6, 7), kind="avg", k=(2, 2), s=(2, 2), p=(0, 0), ceil=True),
}


def _fast_paths(backend: str) -> set[str]:
    be = registry.get_device(backend)
    return {n for n in ("conv2d_forward", "pool2d_forward", "softmax_xent_forward",
                        "batchnorm_forward", "sgd_update", "adam_update") if be.fast_path(n)}


def _both(fn, *args):
    with F.use_fast_paths(True):
        a = fn(*args)
    with F.use_fast_paths(False):
        b = fn(*args)
    return a, b


@pytest.mark.parametrize("backend", BACKENDS)
def test_fast_paths_agree_with_composites(backend: str) -> None:
    have = _fast_paths(backend)
    if not have:
        pytest.skip(f"backend {backend} registers no nn fast paths")
    rng = np.random.default_rng(1)
    dev = registry.get_device(backend)

    def arr(shape, kind="f"):
        if kind == "i":
            return ng.asarray(rng.integers(0, 5, shape), device=dev)
        return ng.asarray(rng.standard_normal(shape).astype(np.float32), device=dev)

    checked = []
    if "conv2d_forward" in have:
        c = FAST_CASES["conv2d"]
        x, w, b = arr(c["x"]), arr(c["w"]), arr(c["w"][:1])
        args = (c["stride"], c["padding"], c["dilation"], c["groups"])
        (yf, _), (yc, saved) = _both(F.conv2d, x, w, b, *args)
        _close(ng.to_numpy(yf), ng.to_numpy(yc), "conv2d forward")
        dy = arr(yc.shape)
        gf, gc = _both(F.conv2d_backward, x, w, dy, *args)
        for name, u, v in zip("dx dw db".split(), gf, gc):
            _close(ng.to_numpy(u), ng.to_numpy(v), f"conv2d backward {name}")
        checked.append("conv2d")
    if "pool2d_forward" in have:
        for key in ("pool_max", "pool_avg"):
            c = FAST_CASES[key]
            x = arr(c["x"])
            args = (c["kind"], c["k"], c["s"], c["p"], c["ceil"])
            (yf, idf), (yc, idc) = _both(F.pool2d, x, *args)
            _close(ng.to_numpy(yf), ng.to_numpy(yc), f"{key} forward")
            dy = arr(yc.shape)
            with F.use_fast_paths(True):
                df = F.pool2d_backward(dy, x, idf, *args)
            with F.use_fast_paths(False):
                dc = F.pool2d_backward(dy, x, idc, *args)
            _close(ng.to_numpy(df), ng.to_numpy(dc), f"{key} backward")
        checked.append("pool2d")
    if "softmax_xent_forward" in have:
        logits, labels = arr((6, 5)), arr((6,), "i")
        for ignore in (None, 2):
            (lf, pf), (lc, pc) = _both(F.softmax_cross_entropy, logits, labels, ignore)
            _close(ng.to_numpy(lf), ng.to_numpy(lc), "xent loss")
            _close(ng.to_numpy(pf), ng.to_numpy(pc), "xent probs")
            dl = arr((6,))
            gf, gc = _both(F.softmax_cross_entropy_backward, pc, labels, dl, ignore)
            _close(ng.to_numpy(gf), ng.to_numpy(gc), "xent backward")
        checked.append("softmax_xent")
    if "batchnorm_forward" in have:
        x, g, bb = arr((4, 3, 3, 3)), arr((3,)), arr((3,))
        outs = []
        for fast in (True, False):
            rm, rv = ng.zeros((3,), device=dev), ng.ones((3,), device=dev)
            with F.use_fast_paths(fast):
                y, mean, invstd = F.batch_norm(x, g, bb, rm, rv, 0.1, 1e-5, True)
                grads = F.batch_norm_backward(arr((4, 3, 3, 3)) * 0 + y, x, g, mean, invstd)
            outs.append([ng.to_numpy(v) for v in (y, mean, invstd, rm, rv, *grads)])
        for i, (u, v) in enumerate(zip(*outs)):
            _close(u, v, f"batchnorm output {i}")
        checked.append("batchnorm")
    from nigiri.nn.optim import make_optimizer

    for kind, name in (("momentum", "sgd_update"), ("nesterov", "sgd_update"), ("adamw", "adam_update")):
        if name not in have:
            continue
        p0, grads = rng.standard_normal((4, 5)).astype(np.float32), [arr((4, 5)) for _ in range(3)]
        res = []
        for fast in (True, False):
            opt = make_optimizer(kind, lr=0.1, weight_decay=0.01)
            params = {"p": ng.asarray(p0.copy(), device=dev)}
            with F.use_fast_paths(fast):
                for g in grads:
                    opt.step(params, {"p": g})
            res.append(ng.to_numpy(params["p"]))
        _close(res[0], res[1], f"{kind} update")
        checked.append(kind)
    assert checked


def test_fast_path_dispatch_and_calling_convention() -> None:
    """Fast paths registered on a device (here: the test suite's fake device, wrapping
    the composites at buffer level with DESIGN section 3's signatures) are called by
    the layers and optimizers, and training gives the numpy reference's numbers."""
    from collections import Counter

    from nigiri.arrays.array import Array
    from nigiri.nn import Network
    from nigiri.nn.optim import make_optimizer

    be = registry.get_device("fake:0")
    calls: Counter = Counter()

    def A(b):
        return None if b is None else Array._new(b, be)

    def B(a):
        return None if a is None else a._buf

    def wrap(name, fn):
        def call(*args, **kwargs):
            calls[name] += 1
            with F.use_fast_paths(False):
                return fn(*args, **kwargs)
        be.register_fast_path(name, call)

    wrap("conv2d_forward", lambda x, w, b, *, stride, padding, dilation, groups:
         B(F.conv2d(A(x), A(w), A(b), stride, padding, dilation, groups)[0]))
    wrap("conv2d_backward", lambda x, w, dy, *, stride, padding, dilation, groups, need:
         tuple(B(g) for g in F.conv2d_backward(A(x), A(w), A(dy), stride, padding, dilation, groups, need)))
    wrap("pool2d_forward", lambda x, kind, k, s, p, ceil:
         tuple(B(v) for v in F.pool2d(A(x), kind, k, s, p, ceil)))
    wrap("pool2d_backward", lambda dy, x, idx, kind, k, s, p, ceil:
         B(F.pool2d_backward(A(dy), A(x), A(idx), kind, k, s, p, ceil)))
    wrap("softmax_xent_forward", lambda logits, labels, ignore:
         tuple(B(v) for v in F.softmax_cross_entropy(A(logits), A(labels), ignore)))
    wrap("softmax_xent_backward", lambda probs, labels, dloss, ignore:
         B(F.softmax_cross_entropy_backward(A(probs), A(labels), A(dloss), ignore)))
    wrap("batchnorm_forward", lambda x, g, b, rm, rv, *, momentum, eps, training:
         tuple(B(v) for v in F.batch_norm(A(x), A(g), A(b), A(rm), A(rv), momentum, eps, training)))
    wrap("batchnorm_backward", lambda dy, x, g, mean, invstd:
         tuple(B(v) for v in F.batch_norm_backward(A(dy), A(x), A(g), A(mean), A(invstd))))

    def sgd(p, g, v, *, lr, momentum, weight_decay, nesterov):
        pa, ga, va = A(p), A(g), A(v)
        d = ga + weight_decay * pa
        va *= momentum
        va += d
        pa -= lr * (d + momentum * va if nesterov else va)

    wrap("sgd_update", sgd)
    spec = [
        {"type": "data", "name": "d", "outputs": ["x", "y"], "params": {"shape": [2, 8, 8]}},
        {"type": "convolution_2d", "name": "c", "inputs": ["x"], "params": {"out_channels": 3, "kernel_size": 3}},
        {"type": "batch_normalization", "name": "bn", "inputs": ["c"]},
        {"type": "pooling_2d", "name": "p", "inputs": ["bn"], "params": {"kernel_size": 2}},
        {"type": "linear", "name": "fc", "inputs": ["p"], "params": {"out_features": 4}},
        {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc", "y"]},
    ]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 8, 8)).astype(np.float32)
    y = rng.integers(0, 4, 5)
    losses = {}
    try:
        for dev in ("numpy", "fake:0"):
            net = Network.from_json(spec, device=dev, seed=3)
            opt = make_optimizer("momentum", lr=0.1, weight_decay=0.01)
            out = []
            for _ in range(3):
                blobs = net.forward((ng.asarray(x, device=dev), ng.asarray(y, device=dev)))
                net.backward()
                opt.step(net.params(), net.grads)
                out.append(float(blobs["loss"]))
            losses[dev] = out
    finally:
        be._fast_paths.clear()
    assert set(calls) == {"conv2d_forward", "conv2d_backward", "pool2d_forward", "pool2d_backward",
                          "softmax_xent_forward", "softmax_xent_backward", "batchnorm_forward",
                          "batchnorm_backward", "sgd_update"}
    np.testing.assert_allclose(losses["fake:0"], losses["numpy"], rtol=1e-5)
