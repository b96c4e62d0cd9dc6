"""Data sets for nigiri.nn: MNIST (IDX files or the offline 5,000-digit subset),
IDX reading/writing, and the batching ``DataLoader``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .idx import read_idx, write_idx
from .loader import DataLoader
from .mnist import download_mnist, load_mnist, verify_mnist

__all__ = ["DataLoader", "Dataset", "load_dataset", "DATASETS", "read_idx", "write_idx",
           "load_mnist", "download_mnist", "verify_mnist"]

DATASETS = ("mnist",)


@dataclass
class Dataset:
    """Train and test arrays of one data set (host, raw dtype) and a description."""

    name: str
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    num_classes: int

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Per-sample shape as the loader delivers it (channels first)."""
        s = self.train_images.shape[1:]
        return (1,) + tuple(s) if len(s) == 2 else tuple(s)

    def loaders(self, batch_size: int, *, seed: int = 0, device: Any = None,
                eval_batch_size: int | None = None, prefetch: int = 2) -> tuple[DataLoader, DataLoader]:
        """A shuffling train loader (seeded) and an ordered test loader."""
        train = DataLoader(self.train_images, self.train_labels, batch_size, shuffle=True,
                           seed=seed, device=device, prefetch=prefetch)
        test = DataLoader(self.test_images, self.test_labels, eval_batch_size or max(batch_size, 256),
                          shuffle=False, device=device, prefetch=prefetch)
        return train, test


def load_dataset(name: str, data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """Load data set ``name`` (``mnist``) from ``data_dir`` or its offline default."""
    if name != "mnist":
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    tx, ty = load_mnist(data_dir, "train")
    vx, vy = load_mnist(data_dir, "test")
    source = str(data_dir) if data_dir is not None else "offline 5,000-digit MNIST subset"
    return Dataset("mnist", tx, ty, vx, vy, source, 10)
