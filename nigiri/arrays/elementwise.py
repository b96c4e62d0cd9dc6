"""Elementwise functions, generated from the op table (``optable.OPS``).

Each function validates its inputs (Array or Python scalar, dtype category, device,
broadcast shapes), decides the computation and result dtypes from the promotion table,
casts, and calls the backend's ``unary``/``binary`` primitive. The dispatch of a
same-dtype call is cached per (op, dtype, dtype) so the per-call path stays short.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import dtypes as _dt
from ._helpers import broadcast_shapes
from .array import Array
from .optable import OPS

__all__ = list(OPS) + ["clip"]

_SCALARS = (bool, int, float, complex)
# (op, dtype1, dtype2) -> computation dtype
_binary_cache: dict[tuple[str, np.dtype, np.dtype], np.dtype] = {}


def _compute_dtype(name: str, d1: np.dtype, d2: np.dtype) -> np.dtype:
    op = OPS[name]
    category = "numeric" if name == "divide" else op.category
    allowed = _dt.CATEGORIES[category]
    ct = _dt.promote(d1, d2, name)
    for d in (d1, d2):
        # a bool operand takes part in mixed-kind promotion (PyTorch: mask * x)
        if d not in allowed and not (d == _dt.bool_ and ct in allowed):
            raise TypeError(
                f"{name}: expected arrays of {category} dtype, got {d1.name} and {d2.name}"
            )
    if name == "divide" and ct.kind in "iu":
        ct = _dt.DEFAULT_FLOAT  # int / int -> the default float, as in PyTorch
    return ct


def _device_error(name: str, a: Any, b: Any) -> ValueError:
    return ValueError(
        f"{name}: arrays are on different devices ({a.device_name} and {b.device_name}); "
        "move one with x.to_device(...)"
    )


def _binary(name: str, x1: Any, x2: Any) -> Array:
    """Dispatch a binary op-table function (operands: Arrays or Python scalars)."""
    if type(x1) is Array and type(x2) is Array:
        be = x1._be
        if x2._be is not be:
            raise _device_error(name, be, x2._be)
        b1, b2 = x1._buf, x2._buf
        key = (name, b1.dtype, b2.dtype)
        ct = _binary_cache.get(key)
        if ct is None:
            ct = _binary_cache[key] = _compute_dtype(name, b1.dtype, b2.dtype)
        if b1.dtype is not ct and b1.dtype != ct:
            b1 = be.astype(b1, ct)
        if b2.dtype is not ct and b2.dtype != ct:
            b2 = be.astype(b2, ct)
        if b1.shape != b2.shape:
            broadcast_shapes(b1.shape, b2.shape, fn=name)
        return Array._new(be.binary(name, b1, b2), be)
    return _binary_scalar(name, x1, x2)


def _binary_scalar(name: str, x1: Any, x2: Any) -> Array:
    if isinstance(x1, Array) and isinstance(x2, _SCALARS):
        arr, scalar, swap = x1, x2, False
    elif isinstance(x2, Array) and isinstance(x1, _SCALARS):
        arr, scalar, swap = x2, x1, True
    elif isinstance(x1, Array) and isinstance(x2, Array):  # subclasses
        return _binary(name, Array._new(x1._buf, x1._be), Array._new(x2._buf, x2._be))
    else:
        bad = x2 if isinstance(x1, Array) else x1
        raise TypeError(
            f"{name}: expected Arrays or Python scalars (bool, int, float, complex), "
            f"got {type(bad).__name__}"
        )
    be = arr._be
    d = arr.dtype
    rd = _dt.scalar_result_dtype(d, scalar, name)
    ct = _compute_dtype(name, rd, rd)
    op = OPS[name]
    category = "numeric" if name == "divide" else op.category
    if d not in _dt.CATEGORIES[category] and not (d == _dt.bool_ and ct in _dt.CATEGORIES[category]):
        raise TypeError(f"{name}: expected an array of {category} dtype, got {d.name}")
    if not be.capabilities.supports_dtype(ct):
        raise TypeError(f"{name}: device {be.device_name} does not support dtype {ct.name}")
    buf = arr._buf if d == ct else be.astype(arr._buf, ct)
    try:
        sval = ct.type(scalar)
    except OverflowError:
        raise OverflowError(
            f"{name}: Python scalar {scalar!r} is out of range for dtype {ct.name}"
        ) from None
    out = be.binary(name, sval, buf) if swap else be.binary(name, buf, sval)
    return Array._new(out, be)


def _unary(name: str, x: Any) -> Array:
    """Dispatch a unary op-table function."""
    if type(x) is not Array:
        if isinstance(x, Array):
            x = Array._new(x._buf, x._be)
        else:
            raise TypeError(f"{name}: expected a nigiri Array, got {type(x).__name__}")
    d = x._buf.dtype
    op = OPS[name]
    if d not in _dt.CATEGORIES[op.category]:
        raise TypeError(f"{name}: expected an array of {op.category} dtype, got {d.name}")
    return Array._new(x._be.unary(name, x._buf), x._be)


def _make(name: str) -> Callable[..., Array]:
    op = OPS[name]
    if op.arity == 1:
        def fn(x: Array, /) -> Array:
            return _unary(name, x)
        sig = "x"
    else:
        def fn(x1: Any, x2: Any, /) -> Array:  # type: ignore[misc]
            return _binary(name, x1, x2)
        sig = "x1, x2"
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"{op.doc}\n\n{name}({sig}) -> Array. Inputs: {op.category} dtypes"
        f"{' (or Python scalars)' if op.arity == 2 else ''}; result dtype: "
        f"{ {'same': 'the promoted input dtype', 'bool': 'bool', 'real': 'the real dtype of the input'}[op.result] }."
        f" Elementwise, broadcasting. Tolerance class: {op.tol}."
    )
    return fn


for _name in OPS:
    globals()[_name] = _make(_name)
del _name


def _forward(name: str) -> Callable[[Array, Any], Any]:
    def method(self: Array, other: Any) -> Any:
        if not isinstance(other, (Array,) + _SCALARS):
            return NotImplemented
        return _binary(name, self, other)
    method.__name__ = f"__{name}__"
    return method


def _reflected(name: str) -> Callable[[Array, Any], Any]:
    def method(self: Array, other: Any) -> Any:
        if not isinstance(other, (Array,) + _SCALARS):
            return NotImplemented
        return _binary(name, other, self)
    return method


def _assign_inplace(x: Array, result: Array, fn: str) -> Array:
    if result.dtype != x.dtype:
        raise TypeError(
            f"{fn}: the result dtype {result.dtype.name} differs from the array's "
            f"{x.dtype.name}; in-place operations cannot change the dtype"
        )
    if result.shape != x.shape:
        raise ValueError(
            f"{fn}: the result shape {result.shape} differs from the array's {x.shape}; "
            "in-place operations cannot broadcast the left operand"
        )
    x._be.copy_into(x._buf, result._buf)
    return x


def _inplace(name: str) -> Callable[[Array, Any], Any]:
    def method(self: Array, other: Any) -> Any:
        if not isinstance(other, (Array,) + _SCALARS):
            return NotImplemented
        return _assign_inplace(self, _binary(name, self, other), f"in-place {name}")
    return method


def clip(x: Array, /, min: Any = None, max: Any = None) -> Array:
    """Clamp ``x`` to ``[min, max]`` (Array or scalar bounds; None leaves a side open).

    The result keeps ``x``'s dtype; NaN in ``x`` propagates.
    """
    from .creation import asarray

    if not isinstance(x, Array):
        raise TypeError(f"clip: expected a nigiri Array, got {type(x).__name__}")
    if x.dtype not in _dt.CATEGORIES["real numeric"]:
        raise TypeError(f"clip: expected an array of real numeric dtype, got {x.dtype.name}")
    out = x
    for bound, fn in ((min, "maximum"), (max, "minimum")):
        if bound is None:
            continue
        if isinstance(bound, Array):
            if bound.dtype != x.dtype:
                bound = bound.astype(x.dtype) if _dt.promote(bound.dtype, x.dtype, "clip") == x.dtype else None
                if bound is None:
                    raise TypeError("clip: bounds must not promote the dtype of x")
        elif isinstance(bound, (int, float)) and not isinstance(bound, bool):
            if x.dtype.kind in "iu" and isinstance(bound, float):
                raise TypeError(f"clip: a float bound cannot clip an array of {x.dtype.name}")
            if x.dtype.kind in "iu":
                info = np.iinfo(x.dtype)
                bound = int(np.clip(bound, info.min, info.max))
            bound = asarray(bound, dtype=x.dtype, device=x.device)
        else:
            raise TypeError(f"clip: bounds must be Arrays, ints, floats or None, got {type(bound).__name__}")
        out = _binary(fn, out, bound)
    if out.shape != x.shape:
        raise ValueError(f"clip: the bounds would broadcast x from {x.shape} to {out.shape}")
    if out is x:
        out = _unary("positive", x)
    return out
