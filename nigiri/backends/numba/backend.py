"""The ``numba`` backend: host NumPy buffers, Numba-compiled kernels.

Buffers are ordinary NumPy arrays, so views (slice_view, permute, reshape,
broadcast_to) are NumPy views and host transfers are zero-copy; every compute
primitive runs a Numba kernel (``cache=True``, compiled lazily per dtype on first use,
parallel with ``prange`` for large arrays). Matmul uses BLAS through Numba's
``np.dot`` for float32/64 and complex. Linear-algebra decompositions are left to the
array layer's counted host path (``capabilities.host_linalg``).

Threads: kernels over at least ``_layout.PAR_MIN`` elements run in parallel on
Numba's thread pool (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``); with one
thread the serial kernels run instead. On an oversubscribed machine fork-join
parallelism stalls on descheduled workers (the benchmark measured 10-30x slowdowns
at load 7 on 2 cores), so there set ``NUMBA_NUM_THREADS=1``.
"""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np

from ..capabilities import Capabilities
from ..contract import Backend
from ..host import HostBufferMixin
from . import elementwise as _ew
from . import indexing as _ix
from . import matmul as _mm
from . import random as _rng
from . import reductions as _red
from . import scans as _scan
from . import sorting as _sort

__all__ = ["NumbaBackend", "UNSUPPORTED"]

#: what this backend declares it does not implement (primitive:dtype-kind), with why
UNSUPPORTED: dict[str, str] = {
    "sort:complex": "complex values have no order in the Array API; not implemented",
    "argsort:complex": "complex values have no order in the Array API; not implemented",
    "searchsorted:complex": "complex values have no order in the Array API; not implemented",
    "arg_reduce:complex": "complex values have no order in the Array API; not implemented",
}


class NumbaBackend(HostBufferMixin, Backend):
    """Parallel CPU kernels compiled by Numba (one device, ``numba``)."""

    name = "numba"
    single_device = True
    install_hint = 'pip install "nigiri[numba]"'

    def __init__(self, index: int = 0) -> None:
        super().__init__(index)
        from .nn_fast_paths import register_all

        names = register_all(self)
        self.capabilities = Capabilities(
            zero_copy_host=True, host_linalg=True,
            unsupported=frozenset(UNSUPPORTED), fast_paths=frozenset(names),
        )

    @classmethod
    def device_count(cls) -> int:
        return 1

    @classmethod
    def device_kinds(cls) -> list[str]:
        return ["cpu"]

    @classmethod
    def versions(cls) -> dict[str, str]:
        import llvmlite
        import numba

        return {"numpy": np.__version__, "numba": numba.__version__,
                "llvmlite": llvmlite.__version__}

    def describe(self) -> dict[str, Any]:
        import numba

        from ._codegen import kernel_dir

        return {"device": self.device_name, "kind": "cpu", "name": _cpu_name(),
                "threads": numba.get_num_threads(),
                "threading_layer": _threading_layer(),
                "kernel_cache": kernel_dir(), "cpus": os.cpu_count(),
                "matmul": "BLAS (Numba np.dot, SciPy)" if _mm.have_blas()
                else "loop kernels (SciPy missing: no BLAS for Numba)"}

    # allocation and transfer --------------------------------------------------
    def empty(self, shape, dtype):
        try:
            return np.empty(shape, dtype)
        except MemoryError:
            raise MemoryError(
                f"device {self.device_name}: cannot allocate {np.dtype(dtype).name} "
                f"buffer of shape {tuple(shape)}"
            ) from None

    def full(self, shape, value, dtype):
        return _ew.fill(tuple(shape), value, np.dtype(dtype))

    def iota(self, n, dtype):
        return _ew.iota(int(n), np.dtype(dtype))

    def from_host(self, array, copy):
        if not copy:
            return array
        out = np.empty(array.shape, array.dtype)
        _ew.cast_into(out, array)
        return out

    def to_host(self, buf):
        return buf

    def copy(self, buf):
        return self.astype(buf, buf.dtype)

    def astype(self, buf, dtype):
        out = np.empty(buf.shape, dtype)
        _ew.cast_into(out, buf)
        return out

    def copy_into(self, dst, src):
        if isinstance(src, np.ndarray) and np.shares_memory(dst, src):
            src = self.copy(src)
        _ew.cast_into(dst, src)

    # views (NumPy views: data movement only) ----------------------------------
    def slice_view(self, buf, key):
        return buf[tuple(key) + (Ellipsis,)]

    def permute(self, buf, axes):
        return buf.transpose(axes)

    def reshape(self, buf, shape, copy):
        if copy:
            return self.copy(buf).reshape(shape)
        out = buf.view()
        try:
            out.shape = shape
        except AttributeError:
            if copy is False:
                raise ValueError("cannot reshape without copying the data") from None
            return self.copy(buf).reshape(shape)
        return out

    def broadcast_to(self, buf, shape):
        return np.broadcast_to(buf, shape)

    # elementwise -----------------------------------------------------------
    def unary(self, op, x):
        return _ew.unary(op, x)

    def binary(self, op, x1, x2):
        return _ew.binary(op, x1, x2)

    def where(self, cond, x1, x2):
        return _ew.where(cond, x1, x2)

    # reductions and scans --------------------------------------------------
    def reduce(self, op, x, axes, keepdims, dtype):
        return _red.reduce(op, x, tuple(axes), keepdims, np.dtype(dtype))

    def arg_reduce(self, op, x, axis, keepdims):
        if x.dtype.kind == "c":
            raise self.unsupported("arg_reduce", x.dtype)
        return _red.arg_reduce(op, x, axis, keepdims)

    def cumulative(self, op, x, axis, dtype):
        return _scan.cumulative(op, x, axis, np.dtype(dtype))

    # linear algebra --------------------------------------------------------
    def matmul(self, x1, x2):
        return _mm.matmul(x1, x2)

    # indexing --------------------------------------------------------------
    def gather(self, x, indices):
        return _ix.gather(x, tuple(indices))

    def scatter(self, x, indices, values):
        _ix.scatter(x, tuple(indices), values)

    def nonzero(self, x):
        return _ix.nonzero(x)

    # sorting ---------------------------------------------------------------
    def sort(self, x, axis, descending):
        return _sort.sort(self, x, axis, descending)

    def argsort(self, x, axis, descending):
        return _sort.argsort(self, x, axis, descending)

    def searchsorted(self, x1, x2, side):
        return _sort.searchsorted(self, x1, x2, side)

    # random ----------------------------------------------------------------
    def philox(self, key, counter, n):
        return _rng.philox(key, counter, n)



def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip() + " (Numba CPU kernels)"
    except OSError:
        pass
    return (platform.processor() or platform.machine()) + " (Numba CPU kernels)"


def _threading_layer() -> str:
    import numba

    try:
        return numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        return str(numba.config.THREADING_LAYER)
