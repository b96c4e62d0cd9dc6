"""MATLAB classes (``'single'``, ``'double'``, ``'int32'``, ``'logical'``, ...) and the
MATLAB conversion and combination rules, on top of nigiri dtypes.

Rules implemented (MATLAB's, except where marked):
- float to integer conversion rounds half away from zero, saturates at the class limits
  and maps NaN to 0 (``int32(2.5) -> 3``, ``uint8(300) -> 255``, ``int8(NaN) -> 0``);
- integer to integer conversion saturates;
- converting NaN to logical is an error; any other non-zero value is true;
- binary arithmetic: single wins over double; an integer class wins over single, double
  and logical; two different integer classes are a TypeError; a Python number acts as a
  double scalar; logical operands alone give double (``true + true``).

Where MATLAB produces double from non-floating inputs (logical arithmetic, ``sum`` of
integers, ``mean``, index outputs), the facade gives double too, except on a device
without float64, where it gives single (``double_class``; documented fallback). New
matrices default to single (nigiri's default float, as in Sushi2).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import nigiri as ng

__all__ = ["CLASSES", "DEFAULT_CLASS", "dtype_of_class", "class_of_dtype", "parse_class",
           "is_int_class", "is_float_class", "result_class", "cast_array", "work_float",
           "index_dtype", "double_class"]

#: MATLAB class name -> nigiri dtype.
CLASSES: dict[str, Any] = {
    "single": ng.float32, "double": ng.float64, "logical": ng.bool,
    "int8": ng.int8, "int16": ng.int16, "int32": ng.int32, "int64": ng.int64,
    "uint8": ng.uint8, "uint16": ng.uint16, "uint32": ng.uint32, "uint64": ng.uint64,
}

#: The class of new matrices when none is given (nigiri's default float, as Sushi2).
DEFAULT_CLASS = "single"

_INT_CLASSES = frozenset(k for k in CLASSES if k.startswith(("int", "uint")))


def parse_class(klass: Any, fn: str) -> str:
    """Validate a class name argument; returns it."""
    if not isinstance(klass, str):
        raise TypeError(f"{fn}: class name must be a string such as 'single', got {type(klass).__name__}")
    if klass not in CLASSES:
        raise ValueError(f"{fn}: unknown class {klass!r}; expected one of {', '.join(CLASSES)}")
    return klass


def dtype_of_class(klass: str) -> Any:
    """The nigiri dtype of a MATLAB class name."""
    return CLASSES[klass]


_CLASS_OF = {np.dtype(d): name for name, d in CLASSES.items()}
_CLASS_OF[np.dtype(np.complex64)] = "single"
_CLASS_OF[np.dtype(np.complex128)] = "double"


def class_of_dtype(dtype: Any) -> str:
    """The MATLAB class name of a nigiri dtype (complex64 -> 'single', complex128 ->
    'double'; float16 is not a MATLAB class and is rejected)."""
    name = _CLASS_OF.get(dtype)
    if name is None:
        dt = np.dtype(dtype)
        name = _CLASS_OF.get(dt)
        if name is None:
            raise TypeError(f"nigiri.matlab: dtype {dt.name} has no MATLAB class; cast it to float32 first")
    return name


def is_int_class(klass: str) -> bool:
    """True for the eight integer classes."""
    return klass in _INT_CLASSES


def is_float_class(klass: str) -> bool:
    """True for 'single' and 'double'."""
    return klass in ("single", "double")


def result_class(classes: list[str | None], fn: str, device: Any = None) -> str:
    """The class of an arithmetic result; ``None`` stands for a Python number (a
    double scalar); ``device`` decides the double fallback (see ``double_class``)."""
    ints = [c for c in classes if c is not None and is_int_class(c)]
    if ints:
        if any(c != ints[0] for c in ints):
            raise TypeError(
                f"{fn}: integers can only be combined with integers of the same class, or "
                f"scalar doubles; got {' and '.join(sorted(set(ints)))}"
            )
        return ints[0]
    if "single" in classes:
        return "single"
    if "double" in classes:
        return "double"
    return double_class(device)  # only logical operands and Python numbers


_FLOAT64: dict[str, bool] = {}


def work_float(device: Any) -> Any:
    """The float dtype integer arithmetic is carried out in: float64 where the device
    holds it (exact for int32 and narrower), else float32."""
    key = str(device)
    has = _FLOAT64.get(key)
    if has is None:
        caps = ng.__array_namespace_info__().dtypes(device=device, kind="real floating")
        has = _FLOAT64[key] = "float64" in caps
    return ng.float64 if has else ng.float32


def double_class(device: Any) -> str:
    """'double', or 'single' on a device without float64 (``device=None``: the
    current default device)."""
    if device is None:
        device = ng.__array_namespace_info__().default_device()
    return "double" if work_float(device) == ng.float64 else "single"


def index_dtype(device: Any) -> Any:
    """The dtype of index results (``find``, ``max`` indices): double as in MATLAB,
    int32 on a device without float64 (documented fallback)."""
    return ng.float64 if work_float(device) == ng.float64 else ng.int32


def _round_half_away(x: ng.Array) -> ng.Array:
    t = ng.trunc(x)
    frac = ng.abs(x - t)  # exact in floating point
    return ng.where(frac >= 0.5, t + ng.sign(x), t)


def _saturate_float_to_int(x: ng.Array, dt: Any) -> ng.Array:
    info = np.iinfo(np.dtype(dt))
    too_hi = x >= float(info.max)  # +inf included; NaN compares false
    too_lo = x <= float(info.min)
    inside = ng.logical_and(ng.isfinite(x), ng.logical_not(ng.logical_or(too_hi, too_lo)))
    r = _round_half_away(ng.where(inside, x, ng.zeros_like(x)))  # NaN -> 0
    out = ng.astype(r, dt)
    out = ng.where(too_hi, ng.full_like(out, int(info.max)), out)
    return ng.where(too_lo, ng.full_like(out, int(info.min)), out)


def _saturate_int_to_int(x: ng.Array, dt: Any) -> ng.Array:
    src, dst = np.iinfo(np.dtype(x.dtype)), np.iinfo(np.dtype(dt))
    if src.min >= dst.min and src.max <= dst.max:
        return ng.astype(x, dt)
    y = x
    if dst.max < src.max:
        y = ng.where(y > dst.max, ng.full_like(y, int(dst.max)), y)
    if dst.min > src.min:
        y = ng.where(y < dst.min, ng.full_like(y, int(dst.min)), y)
    return ng.astype(y, dt)


def cast_array(x: ng.Array, klass: str, fn: str) -> ng.Array:
    """``x`` converted to ``klass`` with MATLAB's rounding and saturation rules (a
    new array, or ``x`` itself when it already has the class's dtype)."""
    dt = CLASSES[klass]
    if x.dtype == dt:
        return x
    kind = np.dtype(x.dtype).kind
    if kind == "c":
        if klass in ("single", "double"):
            raise TypeError(f"{fn}: complex values cannot be converted to real {klass}; take real() first")
        raise TypeError(f"{fn}: complex values cannot be converted to {klass}")
    if klass == "logical":
        if kind == "f" and bool(ng.any(ng.isnan(x))):
            raise ValueError(f"{fn}: NaN's cannot be converted to logicals")
        return x != 0
    if is_int_class(klass):
        if kind == "f":
            return _saturate_float_to_int(x, dt)
        if kind in "iu":
            return _saturate_int_to_int(x, dt)
    return ng.astype(x, dt)  # to float, or from logical
