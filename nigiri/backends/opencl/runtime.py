"""One device's OpenCL runtime: context, queue, memory pool, compiled-kernel cache.

Generators put related kernels (all unary ops of a dtype and layout, all casts from a
dtype, ...) into one program: building a program has a fixed cost (PoCL spends about
0.1 s even on a cache hit) that one build then spreads over the whole family.

Programs are built once per (context, source, options) and kept in memory. On disk,
the driver's own source-build cache serves later processes (PoCL's kcache under
~/.cache/pocl, NVIDIA's ComputeCache; pyopencl defers to these where the ICD has one
and keeps its own binary cache for the others).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Sequence

import numpy as np

from .platform import device_facts, import_cl

__all__ = ["Runtime"]


class Runtime:
    """Context, in-order queue, pooled allocator and kernel cache of one device."""

    def __init__(self, device: Any, device_name: str) -> None:
        cl = import_cl()
        import pyopencl.tools as cl_tools

        self.cl = cl
        self.device = device
        self.device_name = device_name
        self.facts = device_facts(device)
        self.ctx = cl.Context([device])
        self.queue = cl.CommandQueue(self.ctx)
        self.pool = cl_tools.MemoryPool(cl_tools.ImmediateAllocator(self.queue))
        self.max_alloc = self.facts["max_buffer_bytes"]
        self.max_wg = self.facts["max_work_group_size"]
        opts = []
        if device.single_fp_config & cl.device_fp_config.CORRECTLY_ROUNDED_DIVIDE_SQRT:
            opts.append("-cl-fp32-correctly-rounded-divide-sqrt")
        self.options = tuple(opts)
        self._kernels: dict[tuple, Any] = {}
        self._programs: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        # a pyopencl kernel call sets arguments, then enqueues: two threads sharing a
        # cached kernel object must not interleave those steps
        self._launch_lock = threading.Lock()
        self.compiles = 0

    # ------------------------------------------------------------------ memory
    def alloc(self, nbytes: int) -> Any:
        """A device allocation of ``nbytes`` (MemoryError naming device and sizes)."""
        if nbytes > self.max_alloc:
            raise MemoryError(
                f"device {self.device_name} ({self.facts['name']}): a buffer of {nbytes} bytes "
                f"exceeds the device's maximum allocation size of {self.max_alloc} bytes "
                f"(CL_DEVICE_MAX_MEM_ALLOC_SIZE)"
            )
        try:
            return self.pool.allocate(max(int(nbytes), 16))
        except self.cl.Error as exc:
            self.pool.free_held()
            try:
                return self.pool.allocate(max(int(nbytes), 16))
            except self.cl.Error:
                raise MemoryError(
                    f"device {self.device_name} ({self.facts['name']}): out of memory "
                    f"allocating {nbytes} bytes ({exc})"
                ) from exc

    # ----------------------------------------------------------------- kernels
    def kernel(self, source: str, name: str, arg_dtypes: Sequence[Any],
               options: Sequence[str] = ()) -> Any:
        """The compiled kernel ``name`` of ``source`` (built once, then cached).

        ``arg_dtypes`` gives the NumPy dtype of each scalar argument and None for
        buffers (pyopencl then skips per-call type inspection).
        """
        key = (source, name, tuple(options))
        k = self._kernels.get(key)
        if k is not None:
            return k
        with self._lock:
            k = self._kernels.get(key)
            if k is None:
                pkey = (source, tuple(options))
                prog = self._programs.get(pkey)
                if prog is None:
                    prog = self._programs[pkey] = self._build(source, tuple(options) + self.options)
                k = self.cl.Kernel(prog, name)
                k.set_scalar_arg_dtypes(list(arg_dtypes))
                self._kernels[key] = k
        return k

    def _build(self, source: str, options: tuple[str, ...]) -> Any:
        cl = self.cl
        self.compiles += 1
        try:
            return cl.Program(self.ctx, source).build(options=list(options))
        except cl.Error as exc:
            digest = hashlib.sha1(source.encode()).hexdigest()[:10]
            raise RuntimeError(
                f"OpenCL kernel build failed on {self.device_name} ({self.facts['name']}), "
                f"source {digest}: {exc}\n--- source ---\n{source}"
            ) from exc

    def launch(self, kernel: Any, gsize: Sequence[int], lsize: Sequence[int] | None,
               *args: Any) -> Any:
        """Enqueue ``kernel``; skipped when the global size is empty."""
        if any(g == 0 for g in gsize):
            return None
        with self._launch_lock:
            return kernel(self.queue, tuple(gsize), None if lsize is None else tuple(lsize),
                          *args)

    def launch1d(self, kernel: Any, n: int, *args: Any, local: int = 256) -> Any:
        """Enqueue a 1-d kernel over ``n`` items (global size rounded up to ``local``)."""
        if n == 0:
            return None
        local = min(local, self.max_wg)
        g = (n + local - 1) // local * local
        with self._launch_lock:
            return kernel(self.queue, (g,), (local,), *args)

    def launch_exact(self, kernel: Any, n: int, *args: Any, local: int = 256) -> None:
        """Enqueue a 1-d kernel over exactly ``n`` items, for kernels without a bounds
        check: full work-groups first, then the remainder as one smaller work-group at
        a global offset. (A ``gid < n`` guard stops PoCL vectorising across work-items:
        a 1M-element add runs about 6x slower with it.)"""
        local = min(local, self.max_wg)
        main = n // local * local
        with self._launch_lock:
            if main:
                kernel(self.queue, (main,), (local,), *args)
            if n - main:
                kernel(self.queue, (n - main,), (n - main,), *args, global_offset=(main,))

    def launch_tail(self, kernel: Any, start: int, n: int, *args: Any) -> None:
        """Enqueue items ``start .. n-1`` of a 1-d kernel as one work-group."""
        if n > start:
            with self._launch_lock:
                kernel(self.queue, (n - start,), (n - start,), *args, global_offset=(start,))

    def finish(self) -> None:
        self.queue.finish()


def np_scalar(dtype: Any, value: Any) -> Any:
    """A NumPy scalar of ``dtype`` (helper for kernel arguments)."""
    return np.dtype(dtype).type(value)
