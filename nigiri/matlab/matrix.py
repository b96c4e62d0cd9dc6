"""``Matrix``: an ``ng.Array`` with MATLAB semantics (1-based, column-major, >= 2-d).

Python operators follow MATLAB, not NumPy, so ported code keeps its meaning:
``A * B`` and ``A @ B`` are ``mtimes`` (matrix product; elementwise when one side is a
scalar), ``A / B`` is ``mrdivide``, ``A ** p`` is ``mpower``, ``+ -`` are ``plus`` /
``minus`` with implicit expansion, ``== ~= < <= > >=`` (``!=`` for ``~=``) give logical
matrices, ``& | ~`` are ``and`` / ``or`` / ``not``. The elementwise ``.*``, ``./``,
``.\\`` and ``.^`` are the methods ``A.times(B)``, ``A.rdivide(B)``, ``A.ldivide(B)``
and ``A.power(B)`` (and the functions of the same names). ``A[...]`` is refused: use
``A.get(...)`` / ``A.set(..., value)``, whose indices are 1-based.

Value semantics: ``A.set`` changes ``A`` in place (the Python object), but never any
other Matrix, even one made from ``A`` by a view such as ``A.t()`` or ``reshape``: a
Matrix copies its data before its first write unless it is the sole owner.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nigiri as ng

from . import _classes as C
from ._layout import canonical, canonical_shape, size_of

__all__ = ["Matrix", "asmatrix"]


class Matrix:
    """A MATLAB-style matrix on one nigiri device.

    ``Matrix(data, klass=None, *, device=None)``: ``data`` is a Matrix, an ``ng.Array``
    or NumPy array (``x[i, j]`` becomes ``A(i+1, j+1)``; a 1-d array becomes a row
    vector), a Python number or nested lists (rows first, as MATLAB's ``[1 2; 3 4]``
    is ``[[1, 2], [3, 4]]``). Python numbers become class ``'single'`` unless ``klass``
    says otherwise; booleans become ``'logical'``; arrays keep their dtype's class.
    """

    __slots__ = ("_a", "_owned", "__weakref__")
    __hash__ = None  # type: ignore[assignment]
    __array_priority__ = 2000  # NumPy defers binary operators to us
    __array_ufunc__ = None  # ... and never applies its ufuncs to a Matrix

    def __init__(self, data: Any, klass: str | None = None, *, device: Any = None) -> None:
        other = asmatrix(data, klass, device=device, copy=True)
        self._a = other._a
        self._owned = True

    @classmethod
    def _wrap(cls, storage: ng.Array, owned: bool = False) -> "Matrix":
        obj = object.__new__(cls)
        obj._a = canonical(storage)
        obj._owned = owned
        return obj

    def _storage_view(self) -> ng.Array:
        """The storage array, handed out to something that may alias it: the next
        ``set`` on this Matrix then copies first."""
        self._owned = False
        return self._a

    def _ensure_owned(self) -> None:
        if not self._owned:
            self._a = ng.asarray(self._a, copy=True)
            self._owned = True

    # attributes --------------------------------------------------------------------
    @property
    def klass(self) -> str:
        """The MATLAB class: 'single', 'double', 'int32', 'logical', ..."""
        return C.class_of_dtype(self._a.dtype)

    @property
    def dtype(self) -> Any:
        """The nigiri dtype of the elements."""
        return self._a.dtype

    @property
    def device(self) -> Any:
        """The nigiri device holding the data."""
        return self._a.device

    @property
    def array(self) -> ng.Array:
        """The data as an ``ng.Array`` in MATLAB order (``array[i, j] == A(i+1, j+1)``;
        a view sharing memory with this Matrix)."""
        a = self._storage_view()
        return ng.permute_dims(a, tuple(range(a.ndim - 1, -1, -1)))

    def to_numpy(self) -> np.ndarray:
        """A NumPy array in MATLAB order (``x[i, j] == A(i+1, j+1)``), Fortran-ordered."""
        return np.asarray(ng.to_numpy(self._a)).T

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        host = np.asarray(self._a).T  # raises for arrays off the host, as ng.Array does
        if copy:
            host = host.copy(order="F")
        return host if dtype is None else host.astype(dtype)

    def to_list_1d(self, fn: str) -> list[Any]:
        """The elements in column-major order as Python values (host transfer)."""
        return ng.to_numpy(ng.reshape(self._a, (-1,))).tolist()

    def size(self, dim: Any = None, *, nargout: int | None = None) -> Any:
        """``size(A)``; see ``nigiri.matlab.size``."""
        from .shape import size

        return size(self, dim, nargout=nargout)

    def numel(self) -> int:
        """Number of elements."""
        return self._a.size

    def ndims(self) -> int:
        """Number of dimensions (at least 2)."""
        return self._a.ndim

    def _size_str(self) -> str:
        return "x".join(str(d) for d in size_of(self._a))

    # conversion to Python scalars -------------------------------------------------------
    def _scalar(self, fn: str) -> Any:
        if self._a.size != 1:
            raise TypeError(f"{fn}() needs a 1x1 matrix, got {self._size_str()}")
        return ng.to_numpy(ng.reshape(self._a, (-1,)))[0]

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __index__(self) -> int:
        if self.klass not in ("single", "double") and not C.is_int_class(self.klass):
            raise TypeError(f"a {self.klass} matrix cannot be used as an integer")
        v = self._scalar("index")
        if float(v) != int(v):
            raise TypeError(f"{v} is not an integer")
        return int(v)

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __bool__(self) -> bool:
        """MATLAB truth: non-empty and every element non-zero (NaN is an error)."""
        if self._a.size == 0:
            return False
        from .arith import to_logical

        return bool(ng.all(to_logical(self, "if")._a))

    def __len__(self) -> int:
        raise TypeError("len() of a Matrix is ambiguous; use A.numel(), A.size(dim) or "
                        "nigiri.matlab.length(A)")

    def __iter__(self) -> Any:
        raise TypeError("a Matrix is not iterable; index it with A.get(...) (1-based)")

    def __getitem__(self, key: Any) -> Any:
        raise TypeError("Matrix does not support [] indexing; use A.get(...) and "
                        "A.set(..., value) with MATLAB's 1-based indices")

    def __setitem__(self, key: Any, value: Any) -> None:
        self.__getitem__(key)

    def __repr__(self) -> str:
        from .display import matrix_repr

        return matrix_repr(self)

    __str__ = __repr__

    # indexing ---------------------------------------------------------------------------
    def get(self, *subs: Any) -> "Matrix":
        """``A(subs...)``: 1-based scalars, ``':'``, ranges (``M.colon``), index
        vectors, logical masks; one subscript indexes linearly in column-major order."""
        from .indexing import get

        return get(self, *subs)

    def set(self, *subs_and_value: Any) -> "Matrix":
        """``A(subs...) = value`` in place (growing ``A`` as MATLAB does); returns A."""
        from .indexing import set_

        if not subs_and_value:
            raise TypeError("set: expected subscripts followed by a value")
        set_(self, subs_and_value[:-1], subs_and_value[-1])
        return self

    # shape methods ---------------------------------------------------------------------
    def t(self) -> "Matrix":
        """Transpose ``A.'`` (non-conjugating)."""
        from .linalg import transpose

        return transpose(self)

    def ctranspose(self) -> "Matrix":
        """Complex conjugate transpose ``A'``."""
        from .linalg import ctranspose

        return ctranspose(self)

    def reshape(self, *dims: Any) -> "Matrix":
        """Column-major reshape; see ``nigiri.matlab.reshape``."""
        from .shape import reshape

        return reshape(self, *dims)

    def copy(self) -> "Matrix":
        """A copy that shares nothing with this Matrix."""
        return Matrix._wrap(ng.asarray(self._a, copy=True), owned=True)

    def astype(self, klass: str) -> "Matrix":
        """This matrix converted to class ``klass`` (MATLAB rounding/saturation)."""
        from .creation import cast

        return cast(self, klass)


def _method(module: str, name: str, doc: str) -> Any:
    def fn(self: Matrix, *args: Any, **kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(f"nigiri.matlab.{module}"), name)(self, *args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def _reflect(module: str, name: str) -> Any:
    def fn(self: Matrix, other: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(f"nigiri.matlab.{module}"), name)(other, self)

    fn.__name__ = f"r{name}"
    return fn


_METHODS = {
    "arith": ["plus", "minus", "times", "rdivide", "ldivide", "power", "uminus", "eq",
              "ne", "lt", "le", "gt", "ge", "and_", "or_", "not_", "xor"],
    "linalg": ["mtimes", "mldivide", "mrdivide", "mpower"],
    "reduce": ["sum", "mean", "prod", "max", "min", "argmax", "argmin", "any", "all"],
    "shape": ["permute", "ipermute", "repmat", "squeeze", "isempty", "isscalar",
              "isvector", "length"],
    "find": ["find"],
}
for _mod, _names in _METHODS.items():
    for _n in _names:
        setattr(Matrix, _n, _method(_mod, _n, f"``nigiri.matlab.{_n}(A, ...)`` as a method."))

_OPERATORS = {
    "__add__": ("arith", "plus"), "__sub__": ("arith", "minus"),
    "__mul__": ("linalg", "mtimes"), "__matmul__": ("linalg", "mtimes"),
    "__truediv__": ("linalg", "mrdivide"), "__pow__": ("linalg", "mpower"),
    "__lt__": ("arith", "lt"),
    "__le__": ("arith", "le"), "__gt__": ("arith", "gt"), "__ge__": ("arith", "ge"),
    "__and__": ("arith", "and_"), "__or__": ("arith", "or_"),
}
for _dunder, (_mod, _n) in _OPERATORS.items():
    setattr(Matrix, _dunder, _method(_mod, _n, f"``{_n}`` (MATLAB semantics)."))
for _dunder, (_mod, _n) in {"__radd__": ("arith", "plus"), "__rsub__": ("arith", "minus"),
                            "__rmul__": ("linalg", "mtimes"), "__rmatmul__": ("linalg", "mtimes"),
                            "__rtruediv__": ("linalg", "mrdivide"),
                            "__rpow__": ("linalg", "mpower"), "__rand__": ("arith", "and_"),
                            "__ror__": ("arith", "or_")}.items():
    setattr(Matrix, _dunder, _reflect(_mod, _n))
_CONVERTIBLE = (Matrix, bool, int, float, complex, list, tuple, np.ndarray, np.generic, ng.Array)


def _equality(name: str) -> Any:
    method = _method("arith", name, f"``{name}`` (elementwise, a logical Matrix).")

    def fn(self: Matrix, other: Any) -> Any:
        if not isinstance(other, _CONVERTIBLE):
            return NotImplemented  # ``A == None`` is False, as for other Python objects
        return method(self, other)

    fn.__name__ = f"__{name}__"
    return fn


Matrix.__eq__ = _equality("eq")  # type: ignore[assignment,method-assign]
Matrix.__ne__ = _equality("ne")  # type: ignore[assignment,method-assign]
Matrix.__neg__ = _method("arith", "uminus", "``-A``.")  # type: ignore[attr-defined]
Matrix.__pos__ = lambda self: self  # type: ignore[attr-defined]
Matrix.__invert__ = _method("arith", "not_", "``~A`` (logical not).")  # type: ignore[attr-defined]
Matrix.__abs__ = _method("elfun", "abs", "``abs(A)``.")  # type: ignore[attr-defined]


def _target(device: Any) -> Any:
    return device if device is not None else ng.__array_namespace_info__().default_device()


def _from_host(host: np.ndarray, klass: str | None, device: Any, fn: str) -> ng.Array:
    """Host data converted with MATLAB's rules on the host, then sent to the device."""
    if host.dtype.kind not in "biufc":
        raise TypeError(f"{fn}: cannot convert data of type {host.dtype} to a matrix")
    if host.dtype.kind == "c" and klass is not None and not C.is_float_class(klass):
        raise TypeError(f"{fn}: complex data cannot be converted to class {klass!r}")
    if host.dtype.kind == "c":
        single = klass == "single" or (klass is None and host.dtype != np.complex128)
        host = host.astype(np.complex64 if single else np.complex128)
        return ng.asarray(host, device=_target(device))
    x = ng.asarray(host, device="numpy")
    if klass is not None:
        x = C.cast_array(x, klass, fn)
    return ng.asarray(x, device=_target(device))


def _from_python(data: Any, klass: str | None, device: Any, fn: str) -> ng.Array:
    try:
        host = np.asarray(data)
    except ValueError:
        raise ValueError(f"{fn}: the rows have different lengths (MATLAB: dimensions of arrays "
                         "being concatenated are not consistent)") from None
    if host.dtype == object:
        raise TypeError(f"{fn}: cannot convert {type(data).__name__} to a matrix (ragged or non-numeric)")
    if klass is None and host.dtype.kind in "iuf":
        klass = C.DEFAULT_CLASS
    if klass is None and host.dtype.kind == "c":
        host = host.astype(np.complex64)
    return _from_host(host, klass, device, fn)


def asmatrix(data: Any, klass: str | None = None, *, device: Any = None,
             copy: bool = False) -> Matrix:
    """``data`` as a Matrix (see ``Matrix``); a Matrix is returned as is when no
    conversion, transfer or copy is needed."""
    fn = "asmatrix"
    if klass is not None:
        C.parse_class(klass, fn)
    if isinstance(data, Matrix):
        out = data
        if device is not None:
            out = Matrix._wrap(ng.asarray(out._storage_view(), device=device))
        if klass is not None and klass != out.klass:
            out = Matrix._wrap(C.cast_array(out._a, klass, fn), owned=True)
        if copy and out is data:
            out = data.copy()
        return out
    if isinstance(data, ng.Array):
        x = data if device is None else ng.asarray(data, device=device)
        if klass is not None:
            x = C.cast_array(x, klass, fn)
        else:
            C.class_of_dtype(x.dtype)  # rejects float16
    elif isinstance(data, np.ndarray):
        if klass is None and data.dtype.kind in "biuf":
            C.class_of_dtype(data.dtype)  # rejects float16
        x = _from_host(data, klass, device, fn)
    elif isinstance(data, (bool, int, float, complex, list, tuple, np.generic)):
        x = _from_python(data, klass, device, fn)
    else:
        raise TypeError(f"{fn}: cannot convert {type(data).__name__} to a matrix")
    if x.ndim == 0:
        x = ng.reshape(x, (1, 1))
    elif x.ndim == 1:
        x = ng.reshape(x, (1, x.shape[0]))
    storage = ng.permute_dims(x, tuple(range(x.ndim - 1, -1, -1)))
    storage = ng.reshape(storage, canonical_shape(storage.shape))
    owned = False
    if copy:
        storage = ng.asarray(storage, copy=True)
        owned = True
    return Matrix._wrap(storage, owned=owned)
