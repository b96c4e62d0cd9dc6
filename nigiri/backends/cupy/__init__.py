"""The cupy backend: CUDA through CuPy, cuBLAS, cuDNN (optional) and our own kernels.

Importable without CuPy; ``CupyBackend.device_count()`` then raises
``BackendUnavailableError`` saying "cupy not installed" or "no CUDA device".
"""

from .backend import CupyBackend

BACKEND = CupyBackend

__all__ = ["CupyBackend", "BACKEND"]
