"""Loading the optional cuDNN frontend (``pip install "nigiri[cudnn]"``).

The ``nvidia-cudnn-frontend`` wheel holds only the frontend; the cuDNN library itself
(``libcudnn.so.9``) comes from the ``nvidia-cudnn-cu12``/``-cu13`` wheel, from PyTorch's
own copy, or from a system install. The frontend looks on ``LD_LIBRARY_PATH``, in its
own site-packages folder, and then asks the dynamic loader for ``libcudnn.so.9``. We
add one step before it: look for ``nvidia/cudnn/lib`` (and ``torch/lib``) in every
``sys.path`` folder and load ``libcudnn.so.9`` from the first one found with
``RTLD_GLOBAL``, so the frontend's own ``dlopen("libcudnn.so.9")`` finds it already
loaded. Nothing here raises: ``load()`` returns the module or None, and ``reason()``
says why it is None.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import os
import sys
from typing import Any, Iterable

__all__ = ["candidate_dirs", "find_libcudnn", "load", "reason", "versions"]

_LIB_NAMES = ("libcudnn.so.9", "libcudnn.so")
_SUBDIRS = (os.path.join("nvidia", "cudnn", "lib"), os.path.join("torch", "lib"))

_state: dict[str, Any] = {"done": False, "module": None, "reason": "", "lib": None}


def candidate_dirs(paths: Iterable[str] | None = None) -> list[str]:
    """Folders that may hold ``libcudnn.so.9``: LD_LIBRARY_PATH entries first, then
    ``nvidia/cudnn/lib`` and ``torch/lib`` under each ``sys.path`` folder."""
    out: list[str] = []
    for entry in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep):
        if entry and entry not in out:
            out.append(entry)
    for base in (sys.path if paths is None else paths):
        for sub in _SUBDIRS:
            folder = os.path.join(base or ".", sub)
            if folder not in out:
                out.append(folder)
    return out


def find_libcudnn(paths: Iterable[str] | None = None) -> str | None:
    """Path of the first ``libcudnn.so.9`` (or ``libcudnn.so``) in ``candidate_dirs``."""
    for folder in candidate_dirs(paths):
        for name in _LIB_NAMES:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                return path
    return None


def load() -> Any:
    """The ``cudnn`` frontend module with its library loaded, or None (see ``reason``)."""
    if _state["done"]:
        return _state["module"]
    _state["done"] = True
    try:
        spec = importlib.util.find_spec("cudnn")
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        _state["reason"] = ('nvidia-cudnn-frontend not installed (pip install "nigiri[cudnn]"); '
                            "using im2col + cuBLAS convolutions")
        return None
    lib = find_libcudnn()
    if lib is not None:
        try:
            _state["lib"] = ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            _state["reason"] = f"found {lib} but could not load it: {exc}"
            return None
    try:
        module = importlib.import_module("cudnn")
        version = int(module.backend_version())
    except Exception as exc:  # frontend present but no loadable libcudnn
        where = lib or "no libcudnn.so.9 in LD_LIBRARY_PATH, nvidia/cudnn/lib or torch/lib"
        _state["reason"] = (f"cuDNN frontend found but cuDNN did not load ({where}): "
                            f"{type(exc).__name__}: {exc}; install nvidia-cudnn-cu12 (or -cu13) "
                            "or put the folder of libcudnn.so.9 on LD_LIBRARY_PATH")
        return None
    if version < 8000:
        _state["reason"] = f"cuDNN {version} is too old (need 8 or later)"
        return None
    _state["module"] = module
    _state["reason"] = ""
    return module


def reason() -> str:
    """Why ``load()`` returned None ('' when it did not, or was not called)."""
    return _state["reason"]


def versions() -> dict[str, str]:
    """cuDNN frontend and library versions, when loaded."""
    module = _state["module"]
    if module is None:
        return {}
    out = {"cudnn": str(module.backend_version_string()) if hasattr(
        module, "backend_version_string") else str(module.backend_version())}
    try:
        from importlib import metadata

        out["cudnn_frontend"] = metadata.version("nvidia-cudnn-frontend")
    except Exception:
        pass
    if _state["lib"] is not None:
        out["cudnn_library"] = str(_state["lib"]._name)
    return out


def reset() -> None:
    """Forget the outcome (tests)."""
    _state.update(done=False, module=None, reason="", lib=None)
