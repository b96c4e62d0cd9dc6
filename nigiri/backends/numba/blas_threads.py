"""Hold BLAS to one thread while Numba's thread pool makes the BLAS calls.

The numba backend's convolutions and mid-size matrix products call BLAS from every
Numba worker at once (``np.dot`` inside ``prange`` tasks). BLAS's own threads would
then compete with Numba's for the same cores; and alternating the two pools (a
parallel Numba kernel, then a multithreaded BLAS call) waited for a scheduler tick at
each switch, because Numba's OpenMP workers spin after a parallel region.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["one_blas_thread"]


class _OneBlasThread:
    """Hold every loaded BLAS to one thread while a task loop runs (its tasks call
    BLAS from all of Numba's threads at once). Re-entrant across Python threads: the
    first to enter sets the limit, the last to leave restores it. threadpoolctl finds
    the libraries once; its per-library controllers then cost about 1 us a call
    (its ``limit()`` context took 12 us, as much as a small GEMM)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._libs: list[Any] | None = None
        self._saved: list[int] = []

    def _blas_libs(self) -> list[Any]:
        if self._libs is None:
            import scipy.linalg.cython_blas  # noqa: F401  (the BLAS Numba's np.dot calls)
            try:
                from threadpoolctl import ThreadpoolController
            except ImportError:  # installed without the numba extra: correct, slower
                self._libs = []
                return self._libs
            self._libs = [lib for lib in ThreadpoolController().lib_controllers
                          if lib.user_api == "blas"]
        return self._libs

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                libs = self._blas_libs()
                self._saved = [lib.get_num_threads() for lib in libs]
                for lib, n in zip(libs, self._saved):
                    if n != 1:
                        lib.set_num_threads(1)
            self._depth += 1

    def __exit__(self, *exc: Any) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for lib, n in zip(self._blas_libs(), self._saved):
                    if n != 1:
                        lib.set_num_threads(n)


#: the process-wide guard (``with one_blas_thread:``)
one_blas_thread = _OneBlasThread()
