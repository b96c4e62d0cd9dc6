"""The numba backend: parallel CPU kernels compiled by Numba (``pip install "nigiri[numba]"``).

Importing this package imports Numba but compiles nothing: kernels compile lazily per
dtype on first use and are cached on disk.
"""

try:
    import numba  # noqa: F401
except ImportError as exc:  # the registry turns this into BackendUnavailableError
    raise ImportError(f"the numba backend needs the numba package ({exc})") from exc

from .backend import NumbaBackend

BACKEND = NumbaBackend

__all__ = ["NumbaBackend", "BACKEND"]
