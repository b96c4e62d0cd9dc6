"""The cupy backend: the primitive contract on CuPy arrays (one instance per GPU).

Buffers are ``cupy.ndarray``; views are CuPy views, so aliasing is exactly NumPy's.
This module imports without CuPy (``device_count`` then says why the backend is
unavailable); the modules that need CuPy are imported only when it is present.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..capabilities import Capabilities
from ..contract import Backend
from . import _runtime

try:  # the GPU half: only where CuPy imports
    import cupy as cp
    import cupyx

    from . import _blas, _elementwise, _philox, _reduce
    from ._memory import OOM, guard, oom_error, pool_stats
    _IMPORT_ERROR: BaseException | None = None
except Exception as _exc:  # ImportError, or a broken CUDA install failing inside cupy
    cp = None
    _IMPORT_ERROR = _exc

    def guard(fn):  # type: ignore[no-redef]
        return fn

__all__ = ["CupyBackend"]

_KDLCUDA, _KDLCUDAMANAGED = 2, 13


class CupyBackend(Backend):
    """CUDA devices through CuPy (``cupy:0``, ``cupy:1``, ...)."""

    name = "cupy"
    install_hint = _runtime.INSTALL_HINT

    def __init__(self, index: int = 0) -> None:
        super().__init__(index)
        _runtime.load()
        if cp is None:
            raise _runtime.BackendUnavailableError(
                f"backend 'cupy' is not available: its CUDA modules failed to import "
                f"({type(_IMPORT_ERROR).__name__}: {_IMPORT_ERROR})"
            )
        self._device = cp.cuda.Device(index)
        self._multi = _runtime.device_count() > 1
        self._use()
        props = cp.cuda.runtime.getDeviceProperties(index)
        self._props = props
        self._unary: dict[tuple[str, np.dtype], Any] = {}
        self._binary: dict[tuple[str, np.dtype], Any] = {}
        from . import nn  # registers the fast paths (needs the device set up)

        names = nn.register(self)
        total = int(props.get("totalGlobalMem", 0)) or None
        self.capabilities = Capabilities(
            float64=True, float16=True, complex=True, max_buffer_bytes=total,
            memory_bytes=total, host_linalg=False, fuse=False, zero_copy_host=False,
            fast_paths=frozenset(names),
        )

    def _use(self) -> None:
        if self._multi:
            self._device.use()

    # ------------------------------------------------------------ family level
    @classmethod
    def device_count(cls) -> int:
        return _runtime.device_count()

    @classmethod
    def device_kinds(cls) -> list[str]:
        return ["gpu"] * _runtime.device_count()

    @classmethod
    def versions(cls) -> dict[str, str]:
        out = {"numpy": np.__version__}
        out.update(_runtime.versions())
        return out

    def describe(self) -> dict[str, Any]:
        p = self._props
        name = p.get("name", b"")
        from . import _cudnn_loader

        cudnn = _cudnn_loader.load()
        return {
            "device": self.device_name, "kind": "gpu",
            "name": name.decode() if isinstance(name, bytes) else str(name),
            "compute_capability": f"{p.get('major', '?')}.{p.get('minor', '?')}",
            "memory_bytes": int(p.get("totalGlobalMem", 0)),
            "multiprocessors": int(p.get("multiProcessorCount", 0)),
            "cudnn": "yes" if cudnn is not None else f"no: {_cudnn_loader.reason()}",
        }

    def stats(self) -> dict[str, Any]:
        self._use()
        out = dict(self.counters)
        out.update(pool_stats())
        return out

    # ------------------------------------------------- allocation and transfer
    @guard
    def empty(self, shape, dtype):
        self._use()
        return cp.empty(shape, dtype)

    @guard
    def full(self, shape, value, dtype):
        self._use()
        return cp.full(shape, value, dtype)

    @guard
    def iota(self, n, dtype):
        self._use()
        return cp.arange(n, dtype=dtype)

    @guard
    def from_host(self, array, copy):
        self._use()
        return cp.asarray(array)

    def to_host(self, buf):
        self._use()
        return buf.get()

    @guard
    def copy(self, buf):
        self._use()
        return buf.copy()

    @guard
    def astype(self, buf, dtype):
        self._use()
        return buf.astype(dtype)

    @guard
    def copy_into(self, dst, src):
        self._use()
        if isinstance(src, cp.ndarray) and cp.may_share_memory(dst, src):
            src = src.copy()
        dst[...] = src

    # ------------------------------------------------------------------- views
    def slice_view(self, buf, key):
        return buf[tuple(key) + (Ellipsis,)]

    def permute(self, buf, axes):
        return buf.transpose(axes)

    @guard
    def reshape(self, buf, shape, copy):
        self._use()
        if copy:
            return buf.copy().reshape(shape)
        if copy is False:
            out = buf.view()
            try:
                out.shape = shape
            except (AttributeError, ValueError):
                raise ValueError("cannot reshape without copying the data") from None
            return out
        return buf.reshape(shape)

    def broadcast_to(self, buf, shape):
        if not isinstance(buf, cp.ndarray):  # the array layer may pass a NumPy scalar
            self._use()
            buf = cp.asarray(buf)
        return cp.broadcast_to(buf, shape)

    # ------------------------------------------------------------- elementwise
    def unary(self, op, x):
        fn = self._unary.get((op, x.dtype))
        if fn is None:
            fn = self._unary[op, x.dtype] = _elementwise.build(op, x.dtype, 1, self.unsupported)
        if self._multi:
            self._device.use()
        try:
            return fn(x)
        except OOM as exc:
            raise oom_error(self.device_name, exc) from exc

    def binary(self, op, x1, x2):
        fn = self._binary.get((op, x1.dtype))
        if fn is None:
            fn = self._binary[op, x1.dtype] = _elementwise.build(
                op, x1.dtype, 2, self.unsupported)
        if self._multi:
            self._device.use()
        try:
            return fn(x1, x2)
        except OOM as exc:
            raise oom_error(self.device_name, exc) from exc

    @guard
    def where(self, cond, x1, x2):
        self._use()
        return cp.where(cond, x1, x2)

    # -------------------------------------------------------------- reductions
    @guard
    def reduce(self, op, x, axes, keepdims, dtype):
        self._use()
        return _reduce.reduce(op, x, tuple(axes), keepdims, np.dtype(dtype))

    @guard
    def arg_reduce(self, op, x, axis, keepdims):
        self._use()
        if x.dtype.kind == "c":
            raise self.unsupported(op, x.dtype)
        return _reduce.arg_reduce(op, x, axis, keepdims)

    @guard
    def cumulative(self, op, x, axis, dtype):
        self._use()
        return _reduce.cumulative(op, x, axis, np.dtype(dtype))

    # ----------------------------------------------------------- linear algebra
    def matmul(self, x1, x2):
        if self._multi:
            self._device.use()
        try:
            return _blas.matmul(x1, x2)
        except OOM as exc:
            raise oom_error(self.device_name, exc) from exc

    @guard
    def linalg(self, op, *bufs, **kwargs):
        self._use()
        if any(b.dtype == np.float16 for b in bufs):
            raise self.unsupported(f"linalg.{op}", np.float16)
        la = cp.linalg
        # errstate(linalg="raise") makes singular / non-positive-definite input raise
        # numpy.linalg.LinAlgError as NumPy does; it reads cuSOLVER's status word back
        # to the host, which we count as a host round trip.
        with cupyx.errstate(linalg="raise"):
            self.count_host_round_trip()
            a = bufs[0]
            if op == "cholesky":
                out = la.cholesky(a)
                if kwargs.get("upper"):
                    out = cp.conj(cp.swapaxes(out, -1, -2)).copy()
                return out
            if op == "qr":
                return tuple(la.qr(a, mode=kwargs.get("mode", "reduced")))
            if op == "svd":
                return tuple(la.svd(a, full_matrices=kwargs.get("full_matrices", True)))
            if op == "svdvals":
                return la.svd(a, compute_uv=False)
            if op == "eigh":
                return tuple(la.eigh(a))
            if op == "eigvalsh":
                return la.eigvalsh(a)
            if op == "slogdet":
                return tuple(la.slogdet(a))
            if op == "solve":
                return la.solve(a, bufs[1])
            if op == "inv":
                return la.inv(a)
            if op == "det":
                return cp.asarray(la.det(a))
        raise self.unsupported(f"linalg.{op}")

    # ---------------------------------------------------------------- indexing
    @guard
    def gather(self, x, indices):
        self._use()
        return x[tuple(indices)]

    @guard
    def scatter(self, x, indices, values):
        self._use()
        x[tuple(indices)] = values

    @guard
    def nonzero(self, x):
        self._use()
        return tuple(i.astype(np.int64, copy=False) for i in cp.nonzero(x))

    # ----------------------------------------------------------------- sorting
    # CuPy sorts with thrust's stable merge sort and a NaN-last comparator.
    @guard
    def sort(self, x, axis, descending):
        self._use()
        if not descending:
            return cp.sort(x, axis=axis)
        return cp.take_along_axis(x, self.argsort(x, axis, True), axis=axis)

    @guard
    def argsort(self, x, axis, descending):
        self._use()
        if not descending:
            return cp.argsort(x, axis=axis).astype(np.int64, copy=False)
        # the exact reverse of a stable ascending sort, ties kept in original order
        n = x.shape[axis]
        idx = cp.argsort(cp.flip(x, axis=axis), axis=axis)
        return (n - 1 - cp.flip(idx, axis=axis)).astype(np.int64, copy=False)

    @guard
    def searchsorted(self, x1, x2, side):
        self._use()
        return cp.searchsorted(x1, x2, side=side).astype(np.int64, copy=False)

    # ------------------------------------------------------------------ random
    @guard
    def philox(self, key, counter, n):
        self._use()
        return _philox.philox(key, counter, n)

    # ---------------------------------------------------- device and interchange
    def synchronize(self):
        self._device.synchronize()

    def to_dlpack(self, buf, stream=None):
        return buf.__dlpack__(stream=stream)

    def dlpack_device(self, buf):
        return tuple(int(v) for v in buf.__dlpack_device__())

    def from_dlpack(self, obj):
        self._use()
        dev = getattr(obj, "__dlpack_device__", None)
        if dev is not None:
            kind, index = (int(v) for v in dev())
            if kind not in (_KDLCUDA, _KDLCUDAMANAGED) or index != self.index:
                raise ValueError(
                    f"from_dlpack: the object lives on DLPack device ({kind}, {index}), "
                    f"not on {self.device_name} (CUDA device {self.index}); move it there "
                    "first, e.g. nigiri.asarray(numpy.from_dlpack(obj), device=...)"
                )
        return cp.from_dlpack(obj)
