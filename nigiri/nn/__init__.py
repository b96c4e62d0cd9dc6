"""nigiri.nn: deep learning on the nigiri array API (any backend).

Layers with explicit forward/backward (``nigiri.nn.layers``), networks defined in JSON
(``Network.from_json``), optimizers (``nigiri.nn.optim``), safetensors weights and
checkpoints (``nigiri.nn.io``), MNIST data (``nigiri.nn.data``), a trainer
(``Trainer``, ``evaluate``, ``predict``) and a model zoo (``nigiri.nn.zoo``).
"""

from __future__ import annotations

from .graph import Network
from .layers import Layer, register_layer

__all__ = ["Network", "Layer", "register_layer"]
