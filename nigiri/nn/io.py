"""Weights and checkpoints in safetensors format (never pickle), written atomically.

A weights file holds ``layer.param`` tensors (float32) and metadata naming the network.
A checkpoint file adds the optimizer's slots (``optim/slot/layer.param``) and, as JSON
metadata, the network definition, the optimizer configuration and step, the trainer's
position (epoch, batch, step), the RNG state and the history: everything a resumed run
needs to produce the very losses an uninterrupted run would have.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import nigiri as ng

from .._atomic import atomic_write_bytes

__all__ = ["save_weights", "load_weights", "save_checkpoint", "load_checkpoint", "Checkpoint",
           "read_safetensors", "latest_checkpoint", "CHECKPOINT_GLOB"]

WEIGHTS_FORMAT = "nigiri-weights"
CHECKPOINT_FORMAT = "nigiri-checkpoint"
CHECKPOINT_GLOB = "checkpoint-*.safetensors"


def _to_host(arrays: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: np.ascontiguousarray(ng.to_numpy(v)) for k, v in arrays.items()}


def _write(path: str | os.PathLike[str], tensors: dict[str, np.ndarray],
           metadata: dict[str, str]) -> Path:
    from safetensors.numpy import save

    return atomic_write_bytes(path, save(tensors, metadata=metadata))


def read_safetensors(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """All tensors and the metadata of a safetensors file (``ValueError`` if malformed)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        with safe_open(str(path), framework="np") as fh:
            meta = dict(fh.metadata() or {})
            tensors = {k: fh.get_tensor(k) for k in fh.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a valid safetensors file ({exc})") from None
    return tensors, meta


def save_weights(net: Any, path: str | os.PathLike[str]) -> Path:
    """Write the network's parameters and buffers to a safetensors file."""
    meta = {"format": WEIGHTS_FORMAT, "network": net.name, "nigiri_version": ng.__version__}
    return _write(path, _to_host(net.state()), meta)


def load_weights(net: Any, path: str | os.PathLike[str]) -> None:
    """Load a weights file (or the weights of a checkpoint) into ``net``.

    Names and shapes must match exactly; otherwise ``ValueError`` lists every missing,
    unexpected and mis-shaped tensor.
    """
    tensors, meta = read_safetensors(path)
    if meta.get("format") == CHECKPOINT_FORMAT:
        tensors = {k[len("model/"):]: v for k, v in tensors.items() if k.startswith("model/")}
    net.set_state(tensors, source=f"weights in {path}")


@dataclass
class Checkpoint:
    """A loaded checkpoint: model tensors, optimizer state and trainer metadata."""

    path: Path
    model: dict[str, np.ndarray]
    optimizer_arrays: dict[str, np.ndarray]
    network: dict[str, Any]
    optimizer: dict[str, Any] | None
    trainer: dict[str, Any] = field(default_factory=dict)

    @property
    def step(self) -> int:
        """Optimizer steps taken when the checkpoint was written."""
        return int(self.trainer.get("step", 0))


def save_checkpoint(path: str | os.PathLike[str], net: Any, optimizer: Any = None,
                    trainer: dict[str, Any] | None = None) -> Path:
    """Write weights, optimizer state and trainer state to one file, atomically."""
    tensors = {f"model/{k}": v for k, v in _to_host(net.state()).items()}
    meta = {"format": CHECKPOINT_FORMAT, "version": "1", "nigiri_version": ng.__version__,
            "network": json.dumps(net.definition),
            "trainer": json.dumps(trainer or {})}
    if optimizer is not None:
        tensors.update({f"optim/{k}": v for k, v in _to_host(optimizer.state_arrays()).items()})
        meta["optimizer"] = json.dumps(optimizer.config())
    return _write(path, tensors, meta)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint file (or the latest checkpoint in a training ``--out`` folder)."""
    path = Path(path)
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            raise FileNotFoundError(f"no checkpoint ({CHECKPOINT_GLOB}) in {path}")
        path = found
    tensors, meta = read_safetensors(path)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a nigiri checkpoint (format {meta.get('format')!r}); "
                         "weights files load with load_weights")
    try:
        network = json.loads(meta["network"])
        trainer = json.loads(meta.get("trainer", "{}"))
        optim = json.loads(meta["optimizer"]) if "optimizer" in meta else None
    except (KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: corrupt checkpoint metadata ({exc})") from None
    model = {k[6:]: v for k, v in tensors.items() if k.startswith("model/")}
    opt_arrays = {k[6:]: v for k, v in tensors.items() if k.startswith("optim/")}
    return Checkpoint(path, model, opt_arrays, network, optim, trainer)


def _checkpoint_step(path: Path) -> int:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="np") as fh:
            meta = fh.metadata() or {}
        return int(json.loads(meta.get("trainer", "{}")).get("step", -1))
    except (SafetensorError, OSError, ValueError):
        return -2


def latest_checkpoint(folder: str | os.PathLike[str]) -> Path | None:
    """The checkpoint in ``folder`` with the most optimizer steps (newest on ties)."""
    best = None
    for p in Path(folder).glob(CHECKPOINT_GLOB):
        key = (_checkpoint_step(p), p.stat().st_mtime)
        if key[0] >= 0 and (best is None or key > best[0]):
            best = (key, p)
    return None if best is None else best[1]
