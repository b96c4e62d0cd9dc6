"""What a device can do, as data (DESIGN section 4).

Conformance skips with the capability as its reason; the array layer raises a clear
``TypeError`` for a dtype the device cannot hold. Backends build one ``Capabilities``
per device and never change it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Capabilities"]


@dataclass(frozen=True)
class Capabilities:
    """Facts about one device.

    float64/float16/complex: whether the device holds those dtypes.
    max_buffer_bytes / memory_bytes: the largest single allocation and total memory
    (None when unknown or unbounded by anything but the host).
    host_linalg: decompositions (inv, solve, det, cholesky, qr, svd, eigh) run through
    a host round trip that is counted in ``nigiri.stats()``.
    fuse: ``nigiri.fuse`` compiles elementwise chains into one kernel here.
    unsupported: primitive names this backend declares it does not implement (the
    array layer raises ``NotImplementedError`` naming backend and primitive).
    fast_paths: names of the nn/composite fast paths this backend registers.
    zero_copy_host: buffers are host NumPy arrays, so transfers to/from the host and
    to other host backends need no copy.
    """

    float64: bool = True
    float16: bool = True
    complex: bool = True
    max_buffer_bytes: int | None = None
    memory_bytes: int | None = None
    host_linalg: bool = False
    fuse: bool = False
    zero_copy_host: bool = False
    unsupported: frozenset[str] = field(default_factory=frozenset)
    fast_paths: frozenset[str] = field(default_factory=frozenset)

    def supports_dtype(self, dtype) -> bool:
        """True when the device can hold arrays of this (NumPy) dtype."""
        kind, size = dtype.kind, dtype.itemsize
        if kind == "f":
            return (size != 8 or self.float64) and (size != 2 or self.float16)
        if kind == "c":
            return self.complex and (size != 16 or self.float64)
        return True

    def as_dict(self) -> dict:
        """Plain-data view for ``nigiri backends`` and ``__array_namespace_info__``."""
        return {
            "float64": self.float64,
            "float16": self.float16,
            "complex": self.complex,
            "max_buffer_bytes": self.max_buffer_bytes,
            "memory_bytes": self.memory_bytes,
            "host_linalg": self.host_linalg,
            "fuse": self.fuse,
            "zero_copy_host": self.zero_copy_host,
            "unsupported": sorted(self.unsupported),
            "fast_paths": sorted(self.fast_paths),
        }
