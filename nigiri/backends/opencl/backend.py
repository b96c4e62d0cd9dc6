"""The OpenCL backend (pyopencl): every contract primitive as OpenCL C kernels.

Buffers are ``CLBuffer`` views of pooled device allocations. Kernels are generated
per (operation, dtypes, layout class) by the modules next to this one (elementwise,
reduce, scan, sort, indexing, gemm, nn) or read from ``kernels/*.cl``, compiled once
per context and cached in memory and on disk. Decompositions (``linalg``) run on the
host through the array layer (``capabilities.host_linalg``), counted there.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np

from ..capabilities import Capabilities
from ..contract import Backend
from . import cltypes as ct
from . import elementwise as ew
from .buffer import CLBuffer, c_strides, collapse
from .gemm import default_config, direct_into, tiled_into, use_tiled
from .indexing import gather_into, nonzero_coords, scatter_from
from ...arrays.optable import OPS
from .opcodes import binary_expr, result_dtype, unary_expr, vectorizable
from .platform import device_facts, import_cl, list_devices
from .reduce import arg_reduce_into, reduce_into
from .runtime import Runtime
from .scan import scan_into
from .sort import searchsorted_into, sort_rows
from .views import broadcast_view, permute_view, reshape_strides, slice_key

__all__ = ["OpenCLBackend"]

_PHILOX_CL = (pathlib.Path(__file__).with_name("kernels") / "philox.cl").read_text()
_IDENTITY = {"sum": 0, "prod": 1, "any": False, "all": True}
_TUNE_THRESHOLD = 2**27  # m*n*k from which the first tiled matmul runs the autotuner


class OpenCLBackend(Backend):
    """One OpenCL device (``opencl:0``, ``opencl:1``, ...)."""

    name = "opencl"
    install_hint = 'pip install "nigiri[opencl]"'

    def __init__(self, index: int = 0) -> None:
        super().__init__(index)
        self.rt = Runtime(list_devices()[index], self.device_name)
        f = self.rt.facts
        self._gemm_cfg: dict[np.dtype, dict] = {}
        self._gemm_small: dict[np.dtype, dict] = {}
        from .nn import register_fast_paths

        names = register_fast_paths(self)
        self.capabilities = Capabilities(
            float64=f["float64"], float16=f["float16"], complex=False,
            max_buffer_bytes=f["max_buffer_bytes"], memory_bytes=f["memory_bytes"],
            host_linalg=True, fuse=False, zero_copy_host=False,
            unsupported=frozenset({"linalg", "to_dlpack", "dlpack_device", "from_dlpack"}),
            fast_paths=frozenset(names),
        )

    # ----------------------------------------------------------------- family
    @classmethod
    def device_count(cls) -> int:
        return len(list_devices())

    @classmethod
    def device_kinds(cls) -> list[str]:
        """'gpu' or 'cpu' per device index (accelerators count as 'gpu')."""
        return ["cpu" if device_facts(d)["kind"] == "cpu" else "gpu" for d in list_devices()]

    @classmethod
    def versions(cls) -> dict[str, str]:
        out = {"numpy": np.__version__}
        try:
            cl = import_cl()
            out["pyopencl"] = cl.VERSION_TEXT
            for d in list_devices():
                f = device_facts(d)
                out[f"platform:{f['platform']}"] = f["platform_version"]
        except Exception as exc:  # versions never raise: they are for reports
            out["pyopencl"] = f"unavailable ({exc})"
        return out

    def describe(self) -> dict[str, Any]:
        f = self.rt.facts
        return {"device": self.device_name, **f}

    # ---------------------------------------------------------------- helpers
    def _alloc(self, shape: tuple[int, ...], dtype: Any) -> CLBuffer:
        dtype = np.dtype(dtype)
        shape = tuple(int(n) for n in shape)
        size = 1
        for n in shape:
            size *= n
        return CLBuffer(self.rt.alloc(size * dtype.itemsize), 0, shape, c_strides(shape), dtype)

    def _contig(self, buf: CLBuffer) -> CLBuffer:
        """``buf`` itself when C-contiguous at offset 0, else a device copy."""
        return buf if buf.is_contiguous and buf.offset == 0 else self.copy(buf)

    # --------------------------------------------------------- kernel families
    def _dtypes(self) -> list[np.dtype]:
        names = [n for n in ct.STORAGE
                 if (n != "float64" or self.rt.facts["float64"])
                 and (n != "float16" or self.rt.facts["float16"])]
        return [np.dtype(n) for n in names]

    def _cast(self, out: CLBuffer, src: CLBuffer) -> None:
        """``out[...] = src`` converted to ``out``'s dtype (all casts from one dtype and
        layout share a program)."""
        sdt = src.dtype
        fam = ("cast", sdt, self.rt.facts["float64"], self.rt.facts["float16"])
        ew.run(self.rt, out, [src], ct.convert(sdt, out.dtype, "a"), family=fam,
               name=out.dtype.name, members=lambda: [
                   (d.name, d, ct.convert(sdt, d, "a"), "") for d in self._dtypes()])

    def _op_members(self, arity: int, dtype: np.dtype) -> list[tuple]:
        out = []
        fp64 = self.rt.facts["float64"]
        for op, spec in OPS.items():
            if spec.arity != arity:
                continue
            try:
                helpers, expr = unary_expr(op, dtype) if arity == 1 else binary_expr(op, dtype, fp64)
            except KeyError:
                continue
            out.append((op, result_dtype(op, dtype), expr, helpers))
        return out

    # ------------------------------------------------------ allocation, transfer
    def empty(self, shape, dtype):
        return self._alloc(shape, dtype)

    def full(self, shape, value, dtype):
        out = self._alloc(shape, dtype)
        ew.run(self.rt, out, [value], "a", in_dtypes=[out.dtype])
        return out

    def iota(self, n, dtype):
        out = self._alloc((n,), dtype)
        ew.run(self.rt, out, [], ct.convert(np.dtype(np.int64), out.dtype, "(long)gid"))
        return out

    def from_host(self, array, copy):
        # np.ascontiguousarray would turn a 0-d array into shape (1,): keep the shape
        host = np.asarray(array, order="C")
        out = self._alloc(host.shape, host.dtype)
        if host.size:
            self.rt.cl.enqueue_copy(self.rt.queue, out.base, host)
        return out

    def to_host(self, buf):
        out = np.empty(buf.shape, buf.dtype)
        if buf.size == 0:
            return out
        src = buf if buf.is_contiguous else self.copy(buf)
        self.rt.cl.enqueue_copy(self.rt.queue, out, src.base,
                                src_offset=src.offset * src.dtype.itemsize)
        return out

    def copy(self, buf):
        return self.astype(buf, buf.dtype)

    def astype(self, buf, dtype):
        out = self._alloc(buf.shape, dtype)
        self._cast(out, buf)
        return out

    def copy_into(self, dst, src):
        if isinstance(src, CLBuffer):
            if dst.overlaps(src):
                src = self.copy(src)
            self._cast(dst, src)
        else:
            ew.run(self.rt, dst, [src], "a", in_dtypes=[dst.dtype])

    # ------------------------------------------------------------------ views
    def slice_view(self, buf, key):
        return slice_key(buf, key)

    def permute(self, buf, axes):
        return permute_view(buf, tuple(axes))

    def reshape(self, buf, shape, copy):
        shape = tuple(int(n) for n in shape)
        if copy:
            src = self.copy(buf)
            return src.view(0, shape, c_strides(shape))
        strides = reshape_strides(buf.shape, buf.strides, shape)
        if strides is None:
            if copy is False:
                raise ValueError("cannot reshape without copying the data")
            src = self.copy(buf)
            return src.view(0, shape, c_strides(shape))
        return buf.view(buf.offset, shape, strides)

    def broadcast_to(self, buf, shape):
        shape = tuple(int(n) for n in shape)
        if not isinstance(buf, CLBuffer):  # the array layer may pass a NumPy scalar
            value = np.asarray(buf)
            return self.full(shape, value[()], value.dtype)
        return broadcast_view(buf, shape)

    # ------------------------------------------------------------ elementwise
    def unary(self, op, x):
        out = self._alloc(x.shape, result_dtype(op, x.dtype))
        helpers, expr = unary_expr(op, x.dtype)
        ew.run(self.rt, out, [x], expr, helpers, family=("unary", x.dtype), name=op,
               members=lambda: self._op_members(1, x.dtype),
               vectorizable=vectorizable(op, x.dtype))
        return out

    def binary(self, op, x1, x2):
        dtype = x1.dtype if isinstance(x1, CLBuffer) else x2.dtype
        dtype = np.dtype(dtype)
        shapes = [b.shape for b in (x1, x2) if isinstance(b, CLBuffer)]
        shape = np.broadcast_shapes(*shapes)
        out = self._alloc(shape, result_dtype(op, dtype))
        fp64 = self.rt.facts["float64"]
        helpers, expr = binary_expr(op, dtype, fp64)
        ew.run(self.rt, out, [x1, x2], expr, helpers, in_dtypes=[dtype, dtype],
               family=("binary", dtype, fp64), name=op,
               members=lambda: self._op_members(2, dtype), vectorizable=vectorizable(op, dtype))
        return out

    def where(self, cond, x1, x2):
        dtype = np.dtype(x1.dtype if isinstance(x1, CLBuffer) else
                         (x2.dtype if isinstance(x2, CLBuffer) else np.asarray(x1).dtype))
        shapes = [b.shape for b in (cond, x1, x2) if isinstance(b, CLBuffer)]
        out = self._alloc(np.broadcast_shapes(*shapes) if shapes else (), dtype)
        ew.run(self.rt, out, [cond, x1, x2], "(a ? b : c)",
               in_dtypes=[np.dtype(bool), dtype, dtype])
        return out

    # ------------------------------------------------------ reductions, scans
    def reduce(self, op, x, axes, keepdims, dtype):
        dtype = np.dtype(dtype)
        axes = tuple(sorted(axes))
        if not axes:
            if op in ("any", "all"):
                return self.astype(x, np.dtype(bool))
            return self.astype(x, dtype) if op in ("sum", "prod") else self.copy(x)
        kept = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        out = self._alloc(kept, dtype)
        k = 1
        for i in axes:
            k *= x.shape[i]
        if out.size:
            if k == 0:
                ew.run(self.rt, out, [_IDENTITY[op]], "a", in_dtypes=[dtype])
            else:
                reduce_into(self.rt, op, x, axes, out)
        if keepdims:
            shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
            return out.view(0, shape, c_strides(shape))
        return out

    def arg_reduce(self, op, x, axis, keepdims):
        axes = tuple(range(x.ndim)) if axis is None else (axis,)
        kept = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        out = self._alloc(kept, np.int64)
        if out.size:
            arg_reduce_into(self.rt, op, x, axes, out)
        if keepdims:
            shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
            return out.view(0, shape, c_strides(shape))
        return out

    def cumulative(self, op, x, axis, dtype):
        out = self._alloc(x.shape, dtype)
        scan_into(self.rt, op, x, axis, out)
        return out

    # ----------------------------------------------------------------- matmul
    def gemm_config(self, dtype: np.dtype, work: int = 0) -> dict:
        """Tile parameters for the tiled GEMM: tuned (disk cache or, for large work,
        a tuning run now) or the device-kind default."""
        from .autotune import cached_config, tune

        dtype = np.dtype(dtype)
        cfg = self._gemm_cfg.get(dtype)
        if cfg is not None:
            return cfg
        cfg = cached_config(self.rt, dtype)
        if cfg is None and work >= _TUNE_THRESHOLD:
            cfg = tune(self.rt, dtype, self._alloc)["config"]
        if cfg is None:
            return default_config(self.rt, dtype)
        self._gemm_cfg[dtype] = cfg
        return cfg

    def gemm_small_config(self, dtype: np.dtype) -> dict | None:
        """Small-tile parameters for products with fewer big tiles than compute units:
        the tuner's best small-tile candidate, else the first valid one."""
        from .autotune import cached_small_config
        from .gemm import GPU_CANDIDATES, valid

        dtype = np.dtype(dtype)
        cfg = self._gemm_small.get(dtype)
        if cfg is None:
            cfg = cached_small_config(self.rt, dtype) or next(
                (c for c in GPU_CANDIDATES
                 if c["MWG"] * c["NWG"] <= 64 * 64 and valid(c, dtype, self.rt)), None)
            if cfg is None:
                return None
            self._gemm_small[dtype] = cfg
        return cfg

    def tune_gemm(self, dtype: Any = np.float32, size: int | None = None,
                  candidates: list[dict] | None = None) -> dict[str, Any]:
        """Run the GEMM autotuner now (stores the choice on disk) and return its record."""
        from .autotune import tune

        rec = tune(self.rt, np.dtype(dtype), self._alloc, size=size, candidates=candidates)
        self._gemm_cfg[np.dtype(dtype)] = rec["config"]
        self._gemm_small.pop(np.dtype(dtype), None)
        if rec.get("small_config"):
            self._gemm_small[np.dtype(dtype)] = rec["small_config"]
        return rec

    def matmul(self, x1, x2):
        m, k = x1.shape[-2:]
        n = x2.shape[-1]
        bshape = np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
        out = self._alloc(bshape + (m, n), x1.dtype)
        if out.size == 0:
            return out
        if k == 0:
            ew.run(self.rt, out, [0], "a", in_dtypes=[out.dtype])
            return out
        a = broadcast_view(x1, bshape + (m, k))
        b = broadcast_view(x2, bshape + (k, n))
        nb = len(bshape)
        cshape, (sa, sb) = collapse(bshape, [a.strides[:nb], b.strides[:nb]])
        if len(cshape) > 1:
            a, b = self.copy(a), self.copy(b)
            cshape, (sa, sb) = collapse(bshape, [a.strides[:nb], b.strides[:nb]])
        batch = cshape[0] if cshape else 1
        sa0 = sa[0] if cshape else 0
        sb0 = sb[0] if cshape else 0
        a3 = a.view(a.offset, (batch, m, k), (sa0,) + a.strides[-2:])
        b3 = b.view(b.offset, (batch, k, n), (sb0,) + b.strides[-2:])
        c3 = out.view(0, (batch, m, n), (m * n, n, 1))
        if use_tiled(out.dtype, m, n, k):
            cfg = self.gemm_config(out.dtype, m * n * k)
            if cfg["KERNEL"] == 0 and self.rt.facts["kind"] != "cpu":
                tiles = -(-m // cfg["MWG"]) * -(-n // cfg["NWG"]) * batch
                if tiles < self.rt.facts["compute_units"]:
                    cfg = self.gemm_small_config(out.dtype) or cfg
            tiled_into(self.rt, cfg, a3, b3, c3, self._alloc)
        else:
            direct_into(self.rt, a3, b3, c3)
        return out

    # --------------------------------------------------------------- indexing
    def gather(self, x, indices):
        idx = [self._contig(i) for i in indices]
        k = len(idx)
        out = self._alloc(tuple(idx[0].shape) + tuple(x.shape[k:]), x.dtype)
        gather_into(self.rt, x, idx, out)
        return out

    def scatter(self, x, indices, values):
        idx = [self._contig(i) for i in indices]
        if isinstance(values, CLBuffer):
            if values.overlaps(x):
                values = self.copy(values)
        else:
            values = self.full((), values, x.dtype)
        shape = tuple(idx[0].shape) + tuple(x.shape[len(idx):])
        if values.shape != shape:
            values = broadcast_view(values, shape)
        scatter_from(self.rt, x, idx, values)

    def nonzero(self, x):
        if x.size == 0:
            return tuple(self._alloc((0,), np.int64) for _ in x.shape)
        flags = self._alloc((x.size,), np.int64)
        flat = flags.view(0, x.shape, c_strides(x.shape))
        ew.run(self.rt, flat, [x], "(long)(a != 0)")
        incl = self._alloc((x.size,), np.int64)
        scan_into(self.rt, "cumsum", flags, 0, incl)
        return nonzero_coords(self.rt, incl, x.shape, self._alloc, self.count_host_round_trip)

    # ---------------------------------------------------------------- sorting
    def _sorted(self, x, axis, descending, want_indices):
        dtype = np.dtype(np.int64) if want_indices else x.dtype
        out = self._alloc(x.shape, dtype)
        if x.size == 0:
            return out
        keys, idx, _ = sort_rows(self.rt, x, axis, descending, self._alloc)
        perm = tuple(i for i in range(x.ndim) if i != axis) + (axis,)
        dst = permute_view(out, perm)
        self._cast(dst, idx if want_indices else keys)
        return out

    def sort(self, x, axis, descending):
        return self._sorted(x, axis, descending, False)

    def argsort(self, x, axis, descending):
        return self._sorted(x, axis, descending, True)

    def searchsorted(self, x1, x2, side):
        q = self._contig(x2)
        out = self._alloc(x2.shape, np.int64)
        if out.size:
            searchsorted_into(self.rt, x1, q, side, out)
        return out

    # ----------------------------------------------------------------- random
    def philox(self, key, counter, n):
        out = self._alloc((n,), np.uint32)
        if n:
            kern = self.rt.kernel(_PHILOX_CL, "philox",
                                  [None, np.uint64, np.uint32, np.uint32, np.uint64])
            nblocks = (n + 3) // 4
            self.rt.launch1d(kern, nblocks, out.base, n, int(key[0]) & 0xFFFFFFFF,
                             int(key[1]) & 0xFFFFFFFF, int(counter) % 2**64)
        return out

    # ---------------------------------------------------------- device control
    def synchronize(self):
        self.rt.finish()

    def stats(self):
        out = dict(self.counters)
        out["kernel_compiles"] = self.rt.compiles
        out["pool_held_blocks"] = int(self.rt.pool.held_blocks)
        out["pool_active_blocks"] = int(self.rt.pool.active_blocks)
        return out
