"""nigiri.nn: deep learning on the nigiri array API (any backend).

Layers with explicit forward/backward (``nigiri.nn.layers``, pure functions in
``nigiri.nn.functional``), networks defined in JSON (``Network.from_json``), optimizers
(``nigiri.nn.optim``), safetensors weights and checkpoints (``nigiri.nn.io``), MNIST
data (``nigiri.nn.data``), training (``Trainer``, ``evaluate``, ``predict``) and a model
zoo (``nigiri.nn.zoo``: lenet, vgg16, resnet18/50/152)::

    import nigiri.nn as nn
    net = nn.Network.from_json("lenet", device="numpy", batch_size=64)
    data = nn.load_dataset("mnist")                 # offline 5,000-digit subset
    train, test = data.loaders(64, seed=0)
    opt = nn.make_optimizer("momentum", lr=0.05, weight_decay=5e-4,
                            schedule=nn.make_schedule("cosine", total_steps=10 * len(train)))
    nn.Trainer(net, opt, train, test, epochs=10, out_dir="runs/lenet").fit()
    print(nn.evaluate(net, test))                   # {'accuracy': ..., 'loss': ...}
"""

from __future__ import annotations

from .data import DataLoader, load_dataset
from .graph import Network
from .io import load_checkpoint, load_weights, save_checkpoint, save_weights
from .layers import Layer, register_layer
from .optim import SGD, Adam, make_optimizer, make_schedule
from .train import Trainer, evaluate, predict

__all__ = ["Network", "Layer", "register_layer", "Trainer", "evaluate", "predict",
           "DataLoader", "load_dataset", "SGD", "Adam", "make_optimizer", "make_schedule",
           "save_weights", "load_weights", "save_checkpoint", "load_checkpoint"]
