"""``npy_read`` / ``npy_write``: ``.npy`` files in MATLAB order.

Layout: ``npy_write(path, A)`` writes an ``.npy`` whose header shape is ``size(A)``
(at least 2 entries, trailing singletons dropped) with C-order data, so that NumPy's
``np.load(path)[i, j, ...]`` is ``A(i+1, j+1, ...)``. ``npy_read`` maps any ``.npy``
(C or Fortran order, e.g. written by NumPy or by npy-matlab's ``writeNPY``) the same
way: ``x[i, j, ...]`` becomes ``A(i+1, j+1, ...)``; a 1-d file becomes a row vector and
a 0-d file a 1x1 matrix. Writes are atomic and malformed files raise ValueError naming
the file (``nigiri.save`` / ``nigiri.load``).
"""

from __future__ import annotations

from typing import Any

import nigiri as ng

from .matrix import Matrix, asmatrix

__all__ = ["npy_read", "npy_write"]


def npy_write(path: Any, a: Any) -> None:
    """Write ``A`` to an ``.npy`` file (see the module docstring for the layout)."""
    x = asmatrix(a)
    ng.save(path, x.array)


def npy_read(path: Any, *, device: Any = None) -> Matrix:
    """Read an ``.npy`` file as a Matrix on ``device`` (default: the current device)."""
    data = ng.load(path, device=device)
    if not isinstance(data, ng.Array):
        raise ValueError(f"npy_read: {path}: expected an .npy file, got an .npz archive")
    return asmatrix(data)
