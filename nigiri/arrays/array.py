"""The strict ``nigiri.Array`` object: a backend buffer bound to one device.

Arrays are created only through API functions (``asarray``, ``zeros``, ...). Operators
forward to the API functions of ``nigiri.arrays``, which validate and promote before
calling backend primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .device import Device, device_of

__all__ = ["Array"]


class Array:
    """An N-d array on one device (Python Array API standard 2023.12).

    Not constructed directly: use ``nigiri.asarray`` or a creation function.
    """

    __slots__ = ("_buf", "_be", "__weakref__")
    __hash__ = None  # type: ignore[assignment]
    __array_priority__ = 1000  # NumPy defers binary operators to us

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(
            "nigiri.Array cannot be constructed directly; use nigiri.asarray(...) "
            "or a creation function such as nigiri.zeros(...)"
        )

    @classmethod
    def _new(cls, buf: Any, be: Any) -> "Array":
        obj = object.__new__(cls)
        obj._buf = buf
        obj._be = be
        return obj

    # attributes ---------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        """The array's data type."""
        return self._buf.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return tuple(self._buf.shape)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self._buf.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        n = 1
        for d in self._buf.shape:
            n *= d
        return n

    @property
    def device(self) -> Device:
        """The device holding this array."""
        return device_of(self._be)

    @property
    def T(self) -> "Array":
        """Transpose of a 2-d array (a view)."""
        if self.ndim != 2:
            raise ValueError(f"x.T requires a 2-d array, got {self.ndim}-d; use x.mT or permute_dims")
        return Array._new(self._be.permute(self._buf, (1, 0)), self._be)

    @property
    def mT(self) -> "Array":
        """Transpose of the last two axes (a view)."""
        from .linalg import matrix_transpose

        return matrix_transpose(self)

    def __array_namespace__(self, *, api_version: str | None = None) -> Any:
        if api_version not in (None, "2021.12", "2022.12", "2023.12"):
            raise ValueError(f"unsupported Array API version {api_version!r}; nigiri implements 2023.12")
        import nigiri

        return nigiri

    # conversion ---------------------------------------------------------------
    def to_device(self, device: Any, /, *, stream: Any = None) -> "Array":
        """A copy of this array on ``device`` (zero-copy between host backends)."""
        from .creation import to_device

        return to_device(self, device)

    def astype(self, dtype: Any, /, *, copy: bool = True) -> "Array":
        """``nigiri.astype(self, dtype, copy=copy)`` as a method."""
        from .datatypes import astype

        return astype(self, dtype, copy=copy)

    def _scalar(self, kind: type, fn: str) -> Any:
        if self.size != 1 or (fn == "__index__" and self.ndim != 0):
            raise TypeError(f"{fn}() needs a 0-d (one-element) array, got shape {self.shape}")
        host = np.asarray(self._be.to_host(self._buf))
        if not self._be.capabilities.zero_copy_host:
            self._be.count_host_round_trip()
        return kind(host.reshape(-1)[0])

    def __bool__(self) -> bool:
        return self._scalar(bool, "bool")

    def __int__(self) -> int:
        if self.dtype.kind == "c":
            raise TypeError("int() of a complex array is not defined")
        if self.dtype.kind == "f":
            value = float(self._scalar(float, "int"))
            if not np.isfinite(value):
                raise (OverflowError if np.isinf(value) else ValueError)(
                    f"cannot convert {value} to int")
        return self._scalar(int, "int")

    def __float__(self) -> float:
        if self.dtype.kind == "c":
            raise TypeError("float() of a complex array is not defined; use real() first")
        return self._scalar(float, "float")

    def __complex__(self) -> complex:
        return self._scalar(complex, "complex")

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"__index__ requires an integer array, got {self.dtype.name}")
        return self._scalar(int, "__index__")

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if not self._be.capabilities.zero_copy_host:
            raise TypeError(
                f"implicit conversion of an array on {self._be.device_name} to NumPy is "
                "not allowed; use nigiri.to_numpy(x) to transfer explicitly"
            )
        host = self._be.to_host(self._buf)
        if copy:
            host = host.copy()
        return host if dtype is None else host.astype(dtype, copy=bool(copy))

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: bool | None = None) -> Any:
        return self._be.to_dlpack(self._buf, stream)

    def __dlpack_device__(self) -> tuple[int, int]:
        return self._be.dlpack_device(self._buf)

    def __reduce__(self) -> Any:
        from .io import _unpickle

        host = np.ascontiguousarray(self._be.to_host(self._buf))
        return (_unpickle, (host, self._be.device_name))

    def __repr__(self) -> str:
        host = self._be.to_host(self._buf)
        body = np.array2string(np.asarray(host), separator=", ", prefix="Array(")
        return f"Array({body}, dtype={self.dtype.name}, device={self._be.device_name!r})"

    __str__ = __repr__

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d array")
        return self._buf.shape[0]

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(self._buf.shape[0]):
            yield self[i]

    # indexing -----------------------------------------------------------------
    def __getitem__(self, key: Any) -> "Array":
        return _indexing.getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _indexing.setitem(self, key, value)

    # operators ------------------------------------------------------------------
    def __matmul__(self, other: Any) -> "Array":
        return _linalg.matmul(self, other) if isinstance(other, Array) else NotImplemented

    def __rmatmul__(self, other: Any) -> "Array":
        return _linalg.matmul(other, self) if isinstance(other, Array) else NotImplemented

    def __imatmul__(self, other: Any) -> "Array":
        result = _linalg.matmul(self, other)
        return _ew._assign_inplace(self, result, "__imatmul__")

    def __abs__(self) -> "Array":
        return _ew.abs(self)

    def __neg__(self) -> "Array":
        return _ew.negative(self)

    def __pos__(self) -> "Array":
        return _ew.positive(self)

    def __invert__(self) -> "Array":
        return _ew.bitwise_invert(self)


def _install_operators() -> None:
    pairs = {
        "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
        "floordiv": "floor_divide", "mod": "remainder", "pow": "pow",
        "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
        "lshift": "bitwise_left_shift", "rshift": "bitwise_right_shift",
    }
    for dunder, op in pairs.items():
        setattr(Array, f"__{dunder}__", _ew._forward(op))
        setattr(Array, f"__r{dunder}__", _ew._reflected(op))
        setattr(Array, f"__i{dunder}__", _ew._inplace(op))
    for dunder, op in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                       "gt": "greater", "ge": "greater_equal"}.items():
        setattr(Array, f"__{dunder}__", _ew._forward(op))


from . import elementwise as _ew  # noqa: E402  (operators need the finished class)
from . import indexing as _indexing  # noqa: E402
from . import linalg as _linalg  # noqa: E402

_install_operators()
