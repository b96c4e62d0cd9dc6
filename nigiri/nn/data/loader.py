"""Batching: seeded shuffling, resumable epochs, and a prefetching iterator.

The loader hands out *raw* host batches converted to device arrays: images keep their
stored dtype (uint8 for MNIST, so a quarter of the bytes cross to the device) and the
network's data layer scales and normalises them on the device. The order of epoch ``e``
is a pure function of ``(seed, e)``, so a run resumed from a checkpoint sees exactly
the batches it would have seen.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Iterator

import numpy as np

__all__ = ["DataLoader", "epoch_order"]


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool) -> np.ndarray:
    """The sample order of one epoch: a permutation seeded by ``(seed, epoch)``."""
    if not shuffle:
        return np.arange(n)
    rng = np.random.Generator(np.random.PCG64([int(seed) & 0xFFFFFFFF, int(epoch)]))
    return rng.permutation(n)


class DataLoader:
    """Iterate over ``(images, labels)`` in batches on a device.

    ``images``: host array ``[N, ...]`` (for images ``[N, C, H, W]`` or ``[N, H, W]``,
    the latter gets a channel axis); ``labels``: ``[N]`` integers. ``prefetch`` batches
    are gathered on a background thread while the current one is used (0 disables it).
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, *,
                 shuffle: bool = False, seed: int = 0, drop_last: bool = False,
                 device: Any = None, prefetch: int = 2) -> None:
        images = np.asarray(images)
        labels = np.asarray(labels)
        if images.ndim == 3:
            images = images[:, None, :, :]
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise ValueError(f"DataLoader: labels must be a 1-d integer array, got "
                             f"shape {labels.shape} dtype {labels.dtype}")
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"DataLoader: {images.shape[0]} images but {labels.shape[0]} labels")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if isinstance(prefetch, bool) or not isinstance(prefetch, int) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be an int >= 0, got {prefetch!r}")
        self.images = images
        self.labels = labels.astype(np.int64, copy=False)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = int(seed)
        self.drop_last = drop_last
        self.device = device
        self.prefetch = prefetch
        self.epoch = 0

    def __len__(self) -> int:
        n = self.images.shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    @property
    def num_samples(self) -> int:
        """Samples per epoch (excluding a dropped last partial batch)."""
        return len(self) * self.batch_size if self.drop_last else self.images.shape[0]

    def set_epoch(self, epoch: int) -> None:
        """Select the shuffling order of ``epoch`` for the next iteration."""
        self.epoch = int(epoch)

    def _host_batches(self, start: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = epoch_order(self.images.shape[0], self.seed, self.epoch, self.shuffle)
        for b in range(start, len(self)):
            idx = order[b * self.batch_size:(b + 1) * self.batch_size]
            if not self.shuffle:
                sl = slice(idx[0], idx[-1] + 1)
                yield np.ascontiguousarray(self.images[sl]), self.labels[sl].copy()
            else:
                yield self.images[idx], self.labels[idx]

    def _to_device(self, batch: tuple[np.ndarray, np.ndarray]) -> tuple[Any, Any]:
        import nigiri as ng

        x, y = batch
        return ng.asarray(x, device=self.device), ng.asarray(y, device=self.device)

    def iterate(self, start_batch: int = 0) -> Iterator[tuple[Any, Any]]:
        """Batches of the current epoch from ``start_batch`` on (for resuming)."""
        source = self._host_batches(start_batch)
        if self.prefetch == 0:
            for batch in source:
                yield self._to_device(batch)
            return
        yield from _prefetched(source, self.prefetch, self._to_device)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return self.iterate(0)


_DONE = object()


def _prefetched(source: Iterator[Any], depth: int, convert: Any) -> Iterator[Any]:
    """Run ``source`` on a daemon thread, ``depth`` items ahead; errors re-raise here.

    Stopping early (``break``, an exception, Ctrl-C) stops the thread promptly.
    """
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def worker() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises
            q.put(exc)

    thread = threading.Thread(target=worker, name="nigiri-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield convert(item)
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                pass
            thread.join(timeout=0.05)
