"""The primitive contract every backend implements (DESIGN section 3).

The whole public API is composed in ``nigiri.arrays`` from these primitives, so a new
backend implements this class and nothing else. Primitives take and return *buffers*:
the backend's own array objects (NumPy arrays, CuPy arrays, pyopencl arrays, ...),
never ``nigiri.Array``. Every buffer exposes ``.shape`` (tuple of ints) and ``.dtype``
(a NumPy dtype); views expose the same.

What a backend may assume, for every primitive: the array layer has already validated
dtypes, shapes, axes and indices; inputs are already cast to the computation dtype;
shapes are broadcast-compatible where a primitive broadcasts; axes are non-negative and
in range; indices are in bounds and non-negative. A backend never re-implements dtype
promotion or validation. What a backend must guarantee: results have exactly the dtype
documented; a "view" aliases its base exactly as NumPy's basic slicing does, so writes
through a view change the base (and vice versa); a "new" buffer aliases nothing.

A backend that lacks a primitive for a dtype raises ``NotImplementedError`` through
``self.unsupported(primitive, dtype)`` (never a silent host fallback); any host round
trip it does internally is counted with ``self.count_host_round_trip()``.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

import numpy as np

from .capabilities import Capabilities

__all__ = ["Backend", "PRIMITIVES", "OPTIONAL_PRIMITIVES", "REDUCE_OPS", "FAST_PATHS"]

Shape = tuple[int, ...]

#: Reductions understood by ``Backend.reduce``.
REDUCE_OPS = ("sum", "prod", "max", "min", "any", "all")

#: Fast-path names of DESIGN section 3 (``Backend.fast_path`` looks them up).
FAST_PATHS = (
    "conv2d_forward", "conv2d_backward", "pool2d_forward", "pool2d_backward",
    "softmax_xent_forward", "softmax_xent_backward", "batchnorm_forward",
    "batchnorm_backward", "sgd_update", "adam_update", "quantize_int8",
    "dequantize_int8", "softmax", "logsumexp",
)


class Backend:
    """Base class of a backend bound to one device.

    Subclasses set ``name`` and implement ``device_count`` plus the primitives.
    One instance exists per device (``numpy``, ``opencl:1``, ...); the registry
    creates and caches them.
    """

    #: registry name (``numpy``, ``numba``, ``opencl``, ``cupy``, ...)
    name: ClassVar[str] = "abstract"
    #: True when the family has exactly one device, printed without an index
    single_device: ClassVar[bool] = False
    #: pip extra that installs this backend, for error messages
    install_hint: ClassVar[str] = ""

    def __init__(self, index: int = 0) -> None:
        self.index = index
        self.device_name = self.name if self.single_device else f"{self.name}:{index}"
        self.capabilities: Capabilities = Capabilities()
        self.counters: dict[str, int] = {"host_round_trips": 0}
        self._fast_paths: dict[str, Callable[..., Any]] = {}

    # ----------------------------------------------------------------- family level
    @classmethod
    def device_count(cls) -> int:
        """Number of devices of this family; raise ``BackendUnavailableError`` with the
        reason and the install hint when the family cannot be used here."""
        raise NotImplementedError(f"backend {cls.name!r} does not implement device_count")

    @classmethod
    def versions(cls) -> dict[str, str]:
        """Library and driver versions relevant to this backend, for reports."""
        return {"numpy": np.__version__}

    def describe(self) -> dict[str, Any]:
        """A plain-data description of this device (name, memory, ...)."""
        return {"device": self.device_name}

    # ------------------------------------------------------------------- helpers
    def unsupported(self, primitive: str, dtype: Any = None) -> NotImplementedError:
        """The error to raise for a primitive (and dtype) this backend lacks."""
        what = f" for dtype {np.dtype(dtype).name}" if dtype is not None else ""
        return NotImplementedError(
            f"backend {self.device_name!r} does not implement primitive {primitive!r}{what}"
        )

    def count_host_round_trip(self, n: int = 1) -> None:
        """Record that a primitive moved data through the host (``nigiri.stats()``)."""
        self.counters["host_round_trips"] += n

    def register_fast_path(self, name: str, fn: Callable[..., Any]) -> None:
        """Register a fast path (DESIGN section 3 table) under ``name``."""
        self._fast_paths[name] = fn

    def stats(self) -> dict[str, Any]:
        """Counters for ``nigiri.stats()``: host round trips, pool use, ..."""
        return dict(self.counters)

    # ====================================================================
    # Allocation and host transfer
    # ====================================================================
    def empty(self, shape: Shape, dtype: np.dtype) -> Any:
        """Return a new C-contiguous buffer of ``shape`` and ``dtype`` with unspecified
        contents. ``shape`` is a tuple of non-negative ints (possibly empty or
        containing zeros). Out of memory raises ``MemoryError`` naming device and size."""
        raise self.unsupported("empty")

    def full(self, shape: Shape, value: Any, dtype: np.dtype) -> Any:
        """Return a new C-contiguous buffer filled with ``value``, a Python or NumPy
        scalar already representable in ``dtype``."""
        raise self.unsupported("full")

    def iota(self, n: int, dtype: np.dtype) -> Any:
        """Return a new 1-d buffer ``[0, 1, ..., n-1]`` of ``dtype`` (``arange``,
        ``eye``, ``tril`` and ``linspace`` are composed from it)."""
        raise self.unsupported("iota")

    def from_host(self, array: np.ndarray, copy: bool) -> Any:
        """Return a buffer holding the contents of the host NumPy ``array`` (any
        strides, any supported dtype). With ``copy=False`` a host backend may return
        ``array`` itself (zero-copy); a device backend always copies."""
        raise self.unsupported("from_host")

    def to_host(self, buf: Any) -> np.ndarray:
        """Return the contents of ``buf`` as a host NumPy array with the same shape
        and dtype. Host backends may return ``buf`` itself (aliasing); device
        backends return a fresh array (after waiting for queued work)."""
        raise self.unsupported("to_host")

    def copy(self, buf: Any) -> Any:
        """Return a new C-contiguous buffer with the same contents (materialises
        views, broadcast views and negative strides)."""
        raise self.unsupported("copy")

    def astype(self, buf: Any, dtype: np.dtype) -> Any:
        """Return a new buffer converted to ``dtype`` with C casting semantics
        (float to int truncates toward zero; NaN to int is unspecified; int to
        narrower int wraps; to bool is ``!= 0``)."""
        raise self.unsupported("astype")

    def copy_into(self, dst: Any, src: Any) -> None:
        """Write ``src`` into ``dst`` in place (``dst[...] = src``). ``dst`` may be a
        view; ``src`` has the same dtype and a shape broadcastable to ``dst.shape``
        (it may also be a NumPy scalar). Overlap between ``src`` and ``dst`` is
        allowed and behaves as if ``src`` were copied first."""
        raise self.unsupported("copy_into")

    # ====================================================================
    # Views
    # ====================================================================
    def slice_view(self, buf: Any, key: tuple) -> Any:
        """Return a view of ``buf`` for a basic index ``key``: one entry per leading
        axis, each a ``slice`` with normalised ints (start, stop, step; step may be
        negative, stop may be None for a negative step running past 0) or a
        non-negative ``int`` (removes the axis). Axes past ``len(key)`` are kept."""
        raise self.unsupported("slice_view")

    def permute(self, buf: Any, axes: tuple[int, ...]) -> Any:
        """Return a view with axes permuted (``axes`` is a permutation of
        ``range(ndim)``)."""
        raise self.unsupported("permute")

    def reshape(self, buf: Any, shape: Shape, copy: bool | None) -> Any:
        """Return ``buf`` reshaped (C order) to ``shape`` (same size, no -1). A view
        when the strides allow it and ``copy`` is not True, a new buffer otherwise;
        ``copy=False`` when no view is possible raises ``ValueError``."""
        raise self.unsupported("reshape")

    def broadcast_to(self, buf: Any, shape: Shape) -> Any:
        """Return a read-only-by-convention view of ``buf`` broadcast to ``shape``
        (zero strides); the array layer never writes through it."""
        raise self.unsupported("broadcast_to")

    # ====================================================================
    # Elementwise
    # ====================================================================
    def unary(self, op: str, x: Any) -> Any:
        """Apply the op-table unary ``op`` to ``x`` and return a new buffer of the
        op table's result dtype. Floating ops follow IEEE (NaN/inf propagate)."""
        raise self.unsupported("unary")

    def binary(self, op: str, x1: Any, x2: Any) -> Any:
        """Apply the op-table binary ``op``; ``x1``/``x2`` have the same dtype (or one
        is a NumPy scalar of that dtype) and broadcastable shapes. Returns a new
        buffer of the broadcast shape. Integer division/remainder by zero give 0;
        integer overflow wraps; integer ``pow`` with a negative exponent gives
        ``1 // x1**|x2|`` (so 0 unless ``|x1| == 1``); shifts by >= the bit width
        give 0 (or -1 for a negative ``x1 >> n``)."""
        raise self.unsupported("binary")

    def where(self, cond: Any, x1: Any, x2: Any) -> Any:
        """Return a new buffer ``x1`` where ``cond`` else ``x2``; ``cond`` is bool,
        ``x1``/``x2`` share a dtype (or are NumPy scalars of it), shapes broadcast."""
        raise self.unsupported("where")

    # ====================================================================
    # Reductions and scans
    # ====================================================================
    def reduce(self, op: str, x: Any, axes: tuple[int, ...], keepdims: bool,
               dtype: np.dtype) -> Any:
        """Reduce ``x`` over ``axes`` (sorted, unique, possibly empty meaning no
        reduction) with ``op`` in ``REDUCE_OPS``, accumulating and returning
        ``dtype`` (the input dtype already cast for sum/prod; bool for any/all).
        max/min propagate NaN; the array layer rejects max/min over empty axes."""
        raise self.unsupported("reduce")

    def arg_reduce(self, op: str, x: Any, axis: int | None, keepdims: bool) -> Any:
        """Return int64 indices of the maximum (``argmax``) or minimum (``argmin``)
        along ``axis`` (None: of the flattened C-order array). Ties give the first
        index; a NaN counts as the extreme (the first NaN wins)."""
        raise self.unsupported("arg_reduce")

    def cumulative(self, op: str, x: Any, axis: int, dtype: np.dtype) -> Any:
        """Inclusive scan ``cumsum`` or ``cumprod`` along ``axis`` in ``dtype``."""
        raise self.unsupported("cumulative")

    # ====================================================================
    # Linear algebra
    # ====================================================================
    def matmul(self, x1: Any, x2: Any) -> Any:
        """Matrix product with NumPy ``matmul`` semantics for inputs of ndim >= 2
        (the array layer adds and removes the 1-d axes); batch dimensions broadcast;
        both inputs share a dtype. float32 is computed in IEEE float32 unless TF32
        has been allowed (``nigiri.use(allow_tf32=True)``)."""
        raise self.unsupported("matmul")

    def linalg(self, op: str, *bufs: Any, **kwargs: Any) -> Any:
        """Optional decompositions: ``inv``, ``solve``, ``det``, ``slogdet``,
        ``cholesky`` (upper: bool), ``qr`` (mode), ``svd`` (full_matrices),
        ``svdvals``, ``eigh``, ``eigvalsh``, each on stacks of matrices of a
        floating dtype, returning buffers (a tuple where NumPy returns several).
        A backend without them sets ``capabilities.host_linalg`` and the array layer
        runs them on the host, counted."""
        raise self.unsupported("linalg")

    # ====================================================================
    # Indexing
    # ====================================================================
    def gather(self, x: Any, indices: tuple[Any, ...]) -> Any:
        """Return ``x[i0, i1, ..., ik]`` for ``k = len(indices)`` int64 index buffers
        of one (already broadcast) shape, in bounds and non-negative, applied to the
        leading ``k`` axes. Result shape: index shape + ``x.shape[k:]``."""
        raise self.unsupported("gather")

    def scatter(self, x: Any, indices: tuple[Any, ...], values: Any) -> None:
        """In place: ``x[i0, ..., ik] = values`` with the conventions of ``gather``;
        ``values`` has ``x``'s dtype and the gather result shape. ``x`` may be a view
        and the write must land in its base. With duplicate indices any one of the
        written values may win."""
        raise self.unsupported("scatter")

    def nonzero(self, x: Any) -> tuple[Any, ...]:
        """Return one int64 buffer per axis with the C-order coordinates of the
        non-zero (True) elements of ``x`` (``ndim >= 1``)."""
        raise self.unsupported("nonzero")

    # ====================================================================
    # Sorting and searching
    # ====================================================================
    def sort(self, x: Any, axis: int, descending: bool) -> Any:
        """Return a new buffer sorted along ``axis``. Stable; NaN sorts last when
        ascending; descending is the exact reverse order of an ascending stable sort
        with ties kept in their original order."""
        raise self.unsupported("sort")

    def argsort(self, x: Any, axis: int, descending: bool) -> Any:
        """Return the int64 indices that ``sort`` would use (same stability and NaN
        rules)."""
        raise self.unsupported("argsort")

    def searchsorted(self, x1: Any, x2: Any, side: str) -> Any:
        """Return int64 insertion points of ``x2`` into the sorted 1-d ``x1``
        (``side`` ``left`` or ``right``; NaN sorts last). Same dtype for both."""
        raise self.unsupported("searchsorted")

    # ====================================================================
    # Random numbers
    # ====================================================================
    def philox(self, key: tuple[int, int], counter: int, n: int) -> Any:
        """Return a new uint32 buffer of ``n`` words of the Philox4x32-10 stream for
        the 64-bit ``key`` (two uint32 words) starting at 128-bit block ``counter``
        (counter words: low 32 bits of counter+i, high 32 bits, 0, 0). Word ``j`` is
        output lane ``j % 4`` of block ``counter + j // 4``; bit-identical on every
        backend (Random123's known-answer vectors pin it)."""
        raise self.unsupported("philox")

    # ====================================================================
    # Device control and interchange
    # ====================================================================
    def synchronize(self) -> None:
        """Block until all work queued on this device has finished."""
        raise self.unsupported("synchronize")

    def to_dlpack(self, buf: Any, stream: Any = None) -> Any:
        """Return a DLPack capsule exporting ``buf`` (``__dlpack__``), zero-copy."""
        raise self.unsupported("to_dlpack")

    def dlpack_device(self, buf: Any) -> tuple[int, int]:
        """Return ``(device_type, device_id)`` per the DLPack spec for ``buf``."""
        raise self.unsupported("dlpack_device")

    def from_dlpack(self, obj: Any) -> Any:
        """Return a buffer sharing memory with ``obj`` (an object with
        ``__dlpack__`` that lives on this device)."""
        raise self.unsupported("from_dlpack")

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        """Return the registered fast path ``name`` (FAST_PATHS) or None."""
        return self._fast_paths.get(name)


#: The primitive names, in contract order.
PRIMITIVES: tuple[str, ...] = (
    "empty", "full", "iota", "from_host", "to_host", "copy", "astype", "copy_into",
    "slice_view", "permute", "reshape", "broadcast_to",
    "unary", "binary", "where",
    "reduce", "arg_reduce", "cumulative",
    "matmul", "linalg",
    "gather", "scatter", "nonzero",
    "sort", "argsort", "searchsorted",
    "philox",
    "synchronize", "to_dlpack", "dlpack_device", "from_dlpack",
)

#: Primitives a backend may leave out, with the declared consequence.
OPTIONAL_PRIMITIVES: dict[str, str] = {
    "linalg": "decompositions run on the host (capabilities.host_linalg), counted",
    "to_dlpack": "DLPack export unavailable on this device",
    "dlpack_device": "DLPack export unavailable on this device",
    "from_dlpack": "DLPack import unavailable on this device",
}


def implemented_primitives(cls: type[Backend]) -> set[str]:
    """Names of the primitives ``cls`` overrides (for the contract-completeness test)."""
    return {name for name in PRIMITIVES if getattr(cls, name) is not getattr(Backend, name)}


def check_sequence(seq: Sequence[int]) -> tuple[int, ...]:
    """Normalise a shape-like sequence to a tuple of Python ints."""
    return tuple(int(v) for v in seq)
