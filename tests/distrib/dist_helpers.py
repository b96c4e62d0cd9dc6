"""Helpers of the distributed tests: a small network, learnable data, training runs."""

from __future__ import annotations

import numpy as np

#: a conv + linear network small enough that a step takes milliseconds
TINY = {"name": "tiny", "layers": [
    {"type": "data", "name": "data", "outputs": ["data", "label"],
     "params": {"shape": [1, 8, 8], "scale": 0.00392156862745098}},
    {"type": "convolution_2d", "name": "c1", "inputs": ["data"],
     "params": {"out_channels": 4, "kernel_size": 3}},
    {"type": "relu", "name": "r1", "inputs": ["c1"]},
    {"type": "linear", "name": "fc", "inputs": ["r1"], "params": {"out_features": 10}},
    {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc", "label"]}]}


def tiny_data(n: int = 96, seed: int = 0, size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Learnable synthetic digits: the label sets which pixel block is bright."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n)
    x = rng.integers(0, 60, (n, 1, size, size)).astype(np.uint8)
    for i, c in enumerate(y):
        r, q = divmod(int(c), 4)
        x[i, 0, 2 * r:2 * r + 2, 2 * q:2 * q + 2] = 255
    return x, y


def params_of(net) -> dict[str, np.ndarray]:
    import nigiri as ng

    return {k: np.array(ng.to_numpy(v)) for k, v in net.params().items()}


def train(definition, x, y, *, client=None, batch=32, epochs=2, accumulate=1, lr=0.05,
          trainer_kwargs=None, trainer_cls=None, test=None):
    """Train with momentum SGD + weight decay; the one-process Trainer when client is None."""
    from nigiri.distributed import DataParallelTrainer
    from nigiri.nn import Network
    from nigiri.nn.data.loader import DataLoader
    from nigiri.nn.optim import make_optimizer
    from nigiri.nn.train import Trainer

    net = Network.from_json(definition, seed=1, batch_size=batch)
    opt = make_optimizer("momentum", lr=lr, momentum=0.9, weight_decay=1e-4)
    dl = DataLoader(x, y, batch, shuffle=True, seed=3, prefetch=0)
    kw = {"epochs": epochs, "progress": False, "log": None, **(trainer_kwargs or {})}
    if client is None:
        tr = (trainer_cls or Trainer)(net, opt, dl, test, accumulate=accumulate, **kw)
    else:
        tr = (trainer_cls or DataParallelTrainer)(net, opt, dl, test, client=client, **kw)
    tr.fit()
    return params_of(net), tr
