"""Creation functions of the standard plus transfers (``to_device``, ``from_dlpack``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import dtypes as _dt
from ._helpers import check_supported_dtype
from .array import Array
from .device import default_backend, resolve_device

__all__ = [
    "asarray", "empty", "empty_like", "zeros", "zeros_like", "ones", "ones_like",
    "full", "full_like", "arange", "linspace", "eye", "meshgrid", "tril", "triu",
    "from_dlpack", "to_device", "to_numpy",
]


def normalize_shape(shape: Any, fn: str) -> tuple[int, ...]:
    """A shape argument (int or sequence of ints) as a tuple of non-negative ints."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{fn}: shape must be an int or a tuple of ints, got {type(shape).__name__}")
    out = []
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise TypeError(f"{fn}: shape entries must be ints, got {d!r}")
        if d < 0:
            raise ValueError(f"{fn}: negative dimension {d} in shape {tuple(shape)}")
        out.append(int(d))
    return tuple(out)


def _dtype_arg(dtype: Any, default: np.dtype, fn: str) -> np.dtype:
    return default if dtype is None else _dt.normalize_dtype(dtype, fn)


def _infer_host_dtype(host: np.ndarray, obj: Any, fn: str) -> np.dtype:
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        dt = host.dtype
        if dt not in _dt.ALL_DTYPES:
            raise TypeError(f"{fn}: NumPy dtype {dt} has no nigiri equivalent")
        return dt
    kind = host.dtype.kind
    if kind == "b":
        return _dt.bool_
    if kind in "iu":
        return host.dtype if host.dtype == _dt.uint64 else _dt.DEFAULT_INT
    if kind == "f":
        return _dt.DEFAULT_FLOAT
    if kind == "c":
        return _dt.DEFAULT_COMPLEX
    raise TypeError(
        f"{fn}: cannot make an array from {type(obj).__name__} (NumPy inferred {host.dtype})"
    )


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None,
            copy: bool | None = None) -> Array:
    """Convert ``obj`` (Array, NumPy array, nested sequence, scalar, buffer) to an Array.

    Python floats become float32 (the default float), ints int64, complex complex64.
    ``copy=None`` copies only when needed; ``copy=False`` raises ValueError if a copy
    is needed; ``copy=True`` always copies.
    """
    if copy not in (None, True, False):
        raise TypeError(f"asarray: copy must be None, True or False, got {copy!r}")
    if isinstance(obj, Array):
        out = obj
        if device is not None:
            be = resolve_device(device)
            if be is not obj._be:
                if copy is False and not (be.capabilities.zero_copy_host and obj._be.capabilities.zero_copy_host):
                    raise ValueError("asarray: copy=False but the array is on another device")
                out = to_device(obj, be)
        if dtype is not None:
            dt = _dt.normalize_dtype(dtype, "asarray")
            if dt != out.dtype:
                if copy is False:
                    raise ValueError("asarray: copy=False but a dtype conversion needs a copy")
                check_supported_dtype(out._be, dt, "asarray")
                return Array._new(out._be.astype(out._buf, dt), out._be)
        if copy and (out is obj or out._be.capabilities.zero_copy_host):
            # also after a zero-copy move between host backends: copy=True never aliases
            return Array._new(out._be.copy(out._buf), out._be)
        return out
    be = resolve_device(device)
    if isinstance(obj, (bool, int, float, complex)) and dtype is None:
        if isinstance(obj, int) and not isinstance(obj, bool) and not -2**63 <= obj < 2**63:
            raise OverflowError(f"asarray: Python int {obj} does not fit int64")
    if hasattr(obj, "__dlpack__") and not isinstance(obj, (np.ndarray, np.generic)):
        try:
            host = np.from_dlpack(obj)
        except (BufferError, TypeError, RuntimeError):
            host = np.asarray(obj)
    else:
        try:
            host = np.asarray(obj)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"asarray: cannot convert {type(obj).__name__}: {exc}") from None
    if host.dtype == object:
        raise TypeError(f"asarray: cannot convert {type(obj).__name__} to an array (ragged or non-numeric)")
    dt = _infer_host_dtype(host, obj, "asarray") if dtype is None else _dt.normalize_dtype(dtype, "asarray")
    check_supported_dtype(be, dt, "asarray")
    fresh = not isinstance(obj, np.ndarray)
    if host.dtype != dt:
        if copy is False and not fresh:
            raise ValueError("asarray: copy=False but a dtype conversion needs a copy")
        with np.errstate(all="ignore"):
            host = host.astype(dt)
        fresh = True
    if copy is False and not fresh and not be.capabilities.zero_copy_host:
        raise ValueError(f"asarray: copy=False but {be.device_name} needs a copy of host data")
    return Array._new(be.from_host(host, copy=bool(copy) and not fresh), be)


def empty(shape: Any, *, dtype: Any = None, device: Any = None) -> Array:
    """Uninitialised array of ``shape`` (default dtype float32)."""
    be = resolve_device(device)
    dt = _dtype_arg(dtype, _dt.DEFAULT_FLOAT, "empty")
    check_supported_dtype(be, dt, "empty")
    return Array._new(be.empty(normalize_shape(shape, "empty"), dt), be)


def _fill_dtype(value: Any, fn: str) -> np.dtype:
    if isinstance(value, bool):
        return _dt.bool_
    if isinstance(value, int):
        return _dt.DEFAULT_INT
    if isinstance(value, float):
        return _dt.DEFAULT_FLOAT
    if isinstance(value, complex):
        return _dt.DEFAULT_COMPLEX
    if isinstance(value, Array) and value.ndim == 0:
        return value.dtype
    raise TypeError(f"{fn}: fill_value must be a bool, int, float or complex, got {type(value).__name__}")


def _fill_value(value: Any, dt: np.dtype, fn: str) -> Any:
    if isinstance(value, Array):
        value = value._be.to_host(value._buf)[()].item()
    if dt.kind in "iu" and isinstance(value, float):
        raise TypeError(f"{fn}: cannot fill an integer array ({dt.name}) with float {value!r}")
    if dt.kind != "c" and isinstance(value, complex):
        raise TypeError(f"{fn}: cannot fill a {dt.name} array with complex {value!r}")
    try:
        return dt.type(value)
    except OverflowError:
        raise OverflowError(f"{fn}: fill value {value!r} is out of range for {dt.name}") from None


def full(shape: Any, fill_value: Any, *, dtype: Any = None, device: Any = None) -> Array:
    """Array of ``shape`` filled with ``fill_value`` (dtype inferred from the value)."""
    be = resolve_device(device)
    dt = _fill_dtype(fill_value, "full") if dtype is None else _dt.normalize_dtype(dtype, "full")
    check_supported_dtype(be, dt, "full")
    value = _fill_value(fill_value, dt, "full")
    return Array._new(be.full(normalize_shape(shape, "full"), value, dt), be)


def zeros(shape: Any, *, dtype: Any = None, device: Any = None) -> Array:
    """Array of zeros (default dtype float32)."""
    dt = _dtype_arg(dtype, _dt.DEFAULT_FLOAT, "zeros")
    return full(shape, False if dt == _dt.bool_ else 0, dtype=dt, device=device)


def ones(shape: Any, *, dtype: Any = None, device: Any = None) -> Array:
    """Array of ones (default dtype float32)."""
    dt = _dtype_arg(dtype, _dt.DEFAULT_FLOAT, "ones")
    return full(shape, True if dt == _dt.bool_ else 1, dtype=dt, device=device)


def _like(x: Any, dtype: Any, device: Any, fn: str) -> tuple[np.dtype, Any]:
    if not isinstance(x, Array):
        raise TypeError(f"{fn}: expected a nigiri Array, got {type(x).__name__}")
    return (x.dtype if dtype is None else _dt.normalize_dtype(dtype, fn),
            x._be if device is None else device)


def empty_like(x: Array, /, *, dtype: Any = None, device: Any = None) -> Array:
    """Uninitialised array with the shape (and by default dtype, device) of ``x``."""
    dt, dev = _like(x, dtype, device, "empty_like")
    return empty(x.shape, dtype=dt, device=dev)


def zeros_like(x: Array, /, *, dtype: Any = None, device: Any = None) -> Array:
    """Zeros shaped like ``x``."""
    dt, dev = _like(x, dtype, device, "zeros_like")
    return zeros(x.shape, dtype=dt, device=dev)


def ones_like(x: Array, /, *, dtype: Any = None, device: Any = None) -> Array:
    """Ones shaped like ``x``."""
    dt, dev = _like(x, dtype, device, "ones_like")
    return ones(x.shape, dtype=dt, device=dev)


def full_like(x: Array, /, fill_value: Any, *, dtype: Any = None, device: Any = None) -> Array:
    """``fill_value`` shaped like ``x`` (dtype of ``x`` unless given)."""
    dt, dev = _like(x, dtype, device, "full_like")
    return full(x.shape, fill_value, dtype=dt, device=dev)


def _real_scalar(v: Any, fn: str, name: str) -> int | float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fn}: {name} must be an int or float, got {type(v).__name__}")
    return v.item() if isinstance(v, np.generic) else v


def arange(start: Any, /, stop: Any = None, step: Any = 1, *, dtype: Any = None,
           device: Any = None) -> Array:
    """Evenly spaced values ``start, start+step, ...`` below ``stop``."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (_real_scalar(v, "arange", n) for v, n in
                         ((start, "start"), (stop, "stop"), (step, "step")))
    if step == 0:
        raise ValueError("arange: step must not be zero")
    all_int = all(isinstance(v, int) for v in (start, stop, step))
    dt = _dtype_arg(dtype, _dt.DEFAULT_INT if all_int else _dt.DEFAULT_FLOAT, "arange")
    if dt.kind not in "iuf":
        raise TypeError(f"arange: expected a real numeric dtype, got {dt.name}")
    n = max(0, math.ceil((stop - start) / step))
    be = resolve_device(device)
    check_supported_dtype(be, dt, "arange")
    buf = be.iota(n, dt)
    if step != 1:
        buf = be.binary("multiply", buf, dt.type(step))
    if start != 0:
        buf = be.binary("add", buf, dt.type(start))
    return Array._new(buf, be)


def linspace(start: Any, stop: Any, /, num: int, *, dtype: Any = None, device: Any = None,
             endpoint: bool = True) -> Array:
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive by default)."""
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    cplx = isinstance(start, complex) or isinstance(stop, complex)
    dt = _dtype_arg(dtype, _dt.DEFAULT_COMPLEX if cplx else _dt.DEFAULT_FLOAT, "linspace")
    if dt.kind not in "fc":
        raise TypeError(f"linspace: expected a floating-point dtype, got {dt.name}")
    be = resolve_device(device)
    check_supported_dtype(be, dt, "linspace")
    div = (num - 1) if endpoint else num
    step = (stop - start) / div if div > 0 else 0.0
    buf = be.astype(be.iota(num, _dt.int64), dt)
    buf = be.binary("add", be.binary("multiply", buf, dt.type(step)), dt.type(start))
    if endpoint and num > 1:
        be.copy_into(be.slice_view(buf, (num - 1,)), dt.type(stop))
    return Array._new(buf, be)


def _iota_grid(be: Any, n: int, m: int) -> Any:
    rows = be.reshape(be.iota(n, _dt.int64), (n, 1), None)
    cols = be.reshape(be.iota(m, _dt.int64), (1, m), None)
    return be.binary("subtract", cols, rows)  # j - i


def eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None,
        device: Any = None) -> Array:
    """2-d array with ones on the ``k``-th diagonal."""
    for v, name in ((n_rows, "n_rows"), (n_cols, "n_cols"), (k, "k")):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise TypeError(f"eye: {name} must be an int, got {v!r}")
    m = n_rows if n_cols is None else n_cols
    if n_rows < 0 or m < 0:
        raise ValueError(f"eye: negative size ({n_rows}, {m})")
    be = resolve_device(device)
    dt = _dtype_arg(dtype, _dt.DEFAULT_FLOAT, "eye")
    check_supported_dtype(be, dt, "eye")
    mask = be.binary("equal", _iota_grid(be, n_rows, m), np.int64(k))
    return Array._new(be.astype(mask, dt), be)


def _tri(x: Array, k: int, lower: bool, fn: str) -> Array:
    if not isinstance(x, Array):
        raise TypeError(f"{fn}: expected a nigiri Array, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{fn}: expected an array of at least 2 dimensions, got {x.ndim}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{fn}: k must be an int, got {k!r}")
    be = x._be
    n, m = x.shape[-2:]
    grid = _iota_grid(be, n, m)
    mask = be.binary("less_equal" if lower else "greater_equal", grid, np.int64(k))
    zero = x.dtype.type(0)
    return Array._new(be.where(mask, x._buf, zero), be)


def tril(x: Array, /, *, k: int = 0) -> Array:
    """Lower triangle of the last two axes (elements above diagonal ``k`` zeroed)."""
    return _tri(x, k, True, "tril")


def triu(x: Array, /, *, k: int = 0) -> Array:
    """Upper triangle of the last two axes (elements below diagonal ``k`` zeroed)."""
    return _tri(x, k, False, "triu")


def meshgrid(*arrays: Array, indexing: str = "xy") -> list[Array]:
    """Coordinate matrices from 1-d coordinate vectors (``'xy'`` or ``'ij'``)."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    if not arrays:
        return []
    for a in arrays:
        if not isinstance(a, Array) or a.ndim != 1:
            raise TypeError("meshgrid: expected 1-d nigiri Arrays")
    from ._helpers import same_backend

    be = same_backend(arrays, "meshgrid")
    dt = arrays[0].dtype
    for a in arrays[1:]:
        if a.dtype != dt:
            raise TypeError("meshgrid: all arrays must have the same dtype")
    shape = [a.shape[0] for a in arrays]
    if indexing == "xy" and len(arrays) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, a in enumerate(arrays):
        axis = i
        if indexing == "xy" and len(arrays) > 1 and i < 2:
            axis = 1 - i
        view_shape = [1] * len(arrays)
        view_shape[axis] = a.shape[0]
        v = be.reshape(a._buf, tuple(view_shape), None)
        out.append(Array._new(be.copy(be.broadcast_to(v, tuple(shape))), be))
    return out


def to_device(x: Array, device: Any) -> Array:
    """``x`` on ``device``: the same array if already there, zero-copy between host
    backends, otherwise a transfer through the host."""
    if not isinstance(x, Array):
        raise TypeError(f"to_device: expected a nigiri Array, got {type(x).__name__}")
    be = resolve_device(device)
    if be is x._be:
        return x
    check_supported_dtype(be, x.dtype, "to_device")
    src = x._be
    host = src.to_host(x._buf)
    zero_copy = src.capabilities.zero_copy_host and be.capabilities.zero_copy_host
    return Array._new(be.from_host(host, copy=not zero_copy and src.capabilities.zero_copy_host), be)


def to_numpy(x: Array, /) -> np.ndarray:
    """The contents of ``x`` as a NumPy array (a copy for device backends; a zero-copy
    view for host backends)."""
    if not isinstance(x, Array):
        raise TypeError(f"to_numpy: expected a nigiri Array, got {type(x).__name__}")
    return np.asarray(x._be.to_host(x._buf))


def from_dlpack(x: Any, /, *, device: Any = None, copy: bool | None = None) -> Array:
    """An Array sharing memory with a DLPack-exporting object (zero-copy on CPU)."""
    if isinstance(x, Array):
        return asarray(x, device=device, copy=copy)
    if not hasattr(x, "__dlpack__") or not hasattr(x, "__dlpack_device__"):
        raise TypeError(f"from_dlpack: {type(x).__name__} does not implement the DLPack protocol")
    dev_type, dev_id = x.__dlpack_device__()
    if int(dev_type) == 1:  # kDLCPU
        host = np.from_dlpack(x)
        if device is not None:
            be = resolve_device(device)
        else:
            be = default_backend()
            if not be.capabilities.zero_copy_host:
                be = resolve_device("numpy")
        if host.dtype not in _dt.ALL_DTYPES:
            raise TypeError(f"from_dlpack: dtype {host.dtype} has no nigiri equivalent")
        return Array._new(be.from_host(host, copy=bool(copy)), be)
    if int(dev_type) in (2, 3):  # kDLCUDA, kDLCUDAHost
        be = resolve_device(device if device is not None else f"cupy:{int(dev_id)}")
        return Array._new(be.from_dlpack(x), be)
    raise BufferError(f"from_dlpack: DLPack device type {dev_type} is not supported")


