"""``.npy``/``.npz`` files and pickling (DESIGN section 8: never unpickle user files,
write atomically, reject malformed files with a ValueError naming file and problem)."""

from __future__ import annotations

import os
import zipfile
from typing import Any, Mapping

import numpy as np

from .._atomic import atomic_write
from . import dtypes as _dt
from .array import Array
from .creation import asarray, to_numpy

__all__ = ["save", "savez", "load"]


def _path(file: Any, fn: str) -> str:
    if not isinstance(file, (str, os.PathLike)):
        raise TypeError(f"{fn}: file must be a path (str or os.PathLike), got {type(file).__name__}")
    return os.fspath(file)


def save(file: Any, x: Array | Mapping[str, Array], /) -> None:
    """Write ``x`` to a ``.npy`` file (a mapping of arrays: an ``.npz`` file), atomically."""
    path = _path(file, "save")
    if isinstance(x, Mapping):
        savez(path, **x)
        return
    if not isinstance(x, Array):
        raise TypeError(f"save: expected a nigiri Array, got {type(x).__name__}")
    host = np.ascontiguousarray(to_numpy(x))
    atomic_write(path, lambda fh: np.save(fh, host, allow_pickle=False))


def savez(file: Any, /, **arrays: Array) -> None:
    """Write named arrays to an uncompressed ``.npz`` file, atomically."""
    path = _path(file, "savez")
    host = {}
    for name, a in arrays.items():
        if not isinstance(a, Array):
            raise TypeError(f"savez: {name!r} must be a nigiri Array, got {type(a).__name__}")
        host[name] = np.ascontiguousarray(to_numpy(a))
    atomic_write(path, lambda fh: np.savez(fh, **host))


def _check_loaded(arr: np.ndarray, path: str) -> np.ndarray:
    if arr.dtype not in _dt.ALL_DTYPES:
        raise ValueError(f"load: {path}: dtype {arr.dtype} is not supported by nigiri")
    return arr


def load(file: Any, /, *, device: Any = None) -> Array | dict[str, Array]:
    """Read a ``.npy`` file (an Array) or ``.npz`` file (a dict of Arrays) onto
    ``device``. Malformed files raise ValueError naming the file and the problem."""
    path = _path(file, "load")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(6)
    except OSError as exc:
        raise FileNotFoundError(f"load: cannot open {path}: {exc.strerror}") from None
    try:
        if magic.startswith(b"PK"):
            with np.load(path, allow_pickle=False) as npz:
                return {k: asarray(_check_loaded(npz[k], path), device=device, copy=True)
                        for k in npz.files}
        if magic != b"\x93NUMPY":
            raise ValueError("not a .npy or .npz file (bad magic bytes)")
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        msg = str(exc)
        if msg.startswith(f"load: {path}"):
            raise
        raise ValueError(f"load: {path}: malformed file: {msg}") from None
    except (EOFError, OSError, zipfile.BadZipFile, KeyError, SyntaxError) as exc:
        raise ValueError(f"load: {path}: malformed file: {type(exc).__name__}: {exc}") from None
    return asarray(_check_loaded(arr, path), device=device, copy=True)


def _unpickle(host: np.ndarray, device: str) -> Array:
    """Rebuild a pickled Array on its device (raises naming a missing backend)."""
    return asarray(host, device=device, copy=True)
