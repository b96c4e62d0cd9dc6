"""8-bit gradient compression with error feedback (after Dettmers 2016).

Each gradient tensor is flattened and cut into blocks of ``BLOCK`` values; a block is
sent as int8 codes ``q = rint(v / s)`` with one float32 scale ``s = max|v| / 127``
(symmetric linear quantization, round to nearest). The rounding error ``v - q*s`` is
kept on the worker (error feedback) and added to the next gradient that worker sends,
so no part of the gradient is lost for good and SGD still converges. Dettmers' paper
uses a dynamic tree code; a per-block linear code with error feedback is simpler,
vectorises in NumPy and reaches the same accuracy on our networks (see bench/).

Wire size: ``n`` bytes of codes plus ``4 * ceil(n / BLOCK)`` bytes of scales, i.e.
``4 / (1 + 4 / BLOCK)`` = 3.98x fewer than float32 for ``BLOCK = 1024``.

The quantizer runs on the host in NumPy: the gradient has to reach host memory to be
sent anyway, and the codes are what crosses the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["BLOCK", "COMPRESSORS", "Int8Tensor", "quantize_int8", "dequantize_int8",
           "ErrorFeedback", "payload_bytes", "check_compress"]

#: values per quantization block (one float32 scale each)
BLOCK = 1024
#: accepted ``compress=`` values
COMPRESSORS = ("none", "int8")


def check_compress(value: Any) -> str:
    """Validate a ``compress`` setting; returns it."""
    if value not in COMPRESSORS:
        raise ValueError(f"compress must be one of {', '.join(COMPRESSORS)}, got {value!r}")
    return str(value)


@dataclass
class Int8Tensor:
    """One quantized tensor as sent: int8 codes, per-block scales, original shape."""

    q: np.ndarray
    scale: np.ndarray
    shape: tuple[int, ...]
    block: int = BLOCK

    @property
    def nbytes(self) -> int:
        return int(self.q.nbytes + self.scale.nbytes)


def quantize_int8(v: np.ndarray, block: int = BLOCK) -> tuple[Int8Tensor, np.ndarray]:
    """Quantize float32 ``v``; returns the codes and the rounding error ``v - deq(q)``."""
    if block < 1:
        raise ValueError(f"quantize_int8: block must be >= 1, got {block}")
    v = np.asarray(v, dtype=np.float32)  # (ascontiguousarray would make 0-d arrays 1-d)
    flat = v.reshape(-1)
    n = flat.size
    nb = max(1, -(-n // block))
    padded = np.zeros(nb * block, np.float32)
    padded[:n] = flat
    blocks = padded.reshape(nb, block)
    amax = np.max(np.abs(blocks), axis=1)
    scale = (amax / np.float32(127.0)).astype(np.float32)
    safe = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    q = np.clip(np.rint(blocks / safe[:, None]), -127, 127).astype(np.int8)
    deq = (q.astype(np.float32) * scale[:, None]).reshape(-1)[:n]
    err = (flat - deq).reshape(v.shape)
    return Int8Tensor(q.reshape(-1)[:n].copy(), scale, tuple(v.shape), block), err


def dequantize_int8(t: Int8Tensor) -> np.ndarray:
    """The float32 tensor that ``t`` encodes."""
    n = t.q.size
    nb = t.scale.size
    padded = np.zeros(nb * t.block, np.float32)
    padded[:n] = t.q.astype(np.float32)
    out = (padded.reshape(nb, t.block) * t.scale[:, None]).reshape(-1)[:n]
    return out.reshape(t.shape)


class ErrorFeedback:
    """The residuals of one worker for one training run: ``compress(name, g)`` adds
    the residual kept for ``name``, quantizes, and keeps the new rounding error."""

    def __init__(self, block: int = BLOCK) -> None:
        self.block = block
        self.residual: dict[str, np.ndarray] = {}

    def compress(self, name: str, g: np.ndarray) -> Int8Tensor:
        r = self.residual.get(name)
        v = g if r is None else g + r
        t, err = quantize_int8(v, self.block)
        self.residual[name] = err
        return t


def payload_bytes(obj: Any) -> int:
    """Bytes of array data in a (nested) payload: what crosses the network, less the
    small framing Dask adds."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, Int8Tensor):
        return obj.nbytes
    if isinstance(obj, dict):
        return sum(payload_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(payload_bytes(v) for v in obj)
    return 0
