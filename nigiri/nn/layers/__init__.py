"""Layers: one family per file; all register their type names on import.

Built-in types: ``data`` (``mnist_data``, ``blob_data``), ``data_augmentation``,
``convolution_2d``, ``pooling_2d``, ``global_average_pooling``, ``relu``, ``sigmoid``,
``tanh``, ``softmax``, ``linear``, ``softmax_cross_entropy``, ``loss`` (mean squared
error), ``accuracy``, ``dropout``, ``batch_normalization``, ``flatten``, ``reshape``,
``concat``, ``add`` (``plus``), ``branch``.
"""

from __future__ import annotations

from .activation import ReLU, Sigmoid, Softmax, Tanh
from .base import Context, Layer, LayerError, Spec, layer_type, layer_types, register_layer
from .convolution import Convolution2D
from .data import Data, DataAugmentation
from .dropout import Dropout
from .linear import Linear
from .loss import Accuracy, MeanSquaredError, SoftmaxCrossEntropy
from .normalization import BatchNormalization
from .pooling import GlobalAveragePooling, Pooling2D
from .structure import Add, Branch, Concat, Flatten, Reshape

__all__ = [
    "Layer", "Spec", "Context", "LayerError", "register_layer", "layer_type", "layer_types",
    "Data", "DataAugmentation", "Convolution2D", "Pooling2D", "GlobalAveragePooling",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "Linear", "SoftmaxCrossEntropy",
    "MeanSquaredError", "Accuracy", "Dropout", "BatchNormalization", "Flatten", "Reshape",
    "Concat", "Add", "Branch",
]
