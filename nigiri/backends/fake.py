"""A test backend that fakes devices and capabilities (DESIGN section 4).

``fake:0`` is a full device; ``fake:1`` lacks float64 and complex128. Buffers are
NumPy arrays wrapped so that they never pass for the reference backend's (mixing
``fake`` and ``numpy`` arrays must raise like any device mix). Registered only by the
test suite (``nigiri.backends.register_backend("fake", FakeBackend)``); ``all`` never
includes it.
"""

from __future__ import annotations

from typing import Any

from .capabilities import Capabilities
from .numpy.backend import NumpyBackend

__all__ = ["FakeBackend"]


class FakeBackend(NumpyBackend):
    """The reference backend's behaviour under two fake devices with different
    capabilities; it is not a host backend (no zero-copy), so transfers and host
    round trips are exercised as they would be on an accelerator."""

    name = "fake"
    single_device = False
    install_hint = "registered only by nigiri's tests"
    DEVICES = 2

    def __init__(self, index: int = 0) -> None:
        super().__init__(index)
        self.device_name = f"fake:{index}"
        if index == 1:
            self.capabilities = Capabilities(float64=False, float16=False,
                                             host_linalg=True, zero_copy_host=False)
        else:
            self.capabilities = Capabilities(zero_copy_host=False)

    @classmethod
    def device_count(cls) -> int:
        return cls.DEVICES

    @classmethod
    def device_kinds(cls) -> list[str]:
        return ["gpu", "cpu"][: cls.DEVICES]

    def describe(self) -> dict[str, Any]:
        return {"device": self.device_name, "kind": "fake", "name": f"fake device {self.index}"}

    def from_host(self, array, copy):
        return array.copy()  # never alias host memory: behave like a device

    def to_host(self, buf):
        return buf.copy()

    def linalg(self, op, *bufs, **kwargs):
        if self.capabilities.host_linalg:
            raise self.unsupported("linalg")
        return super().linalg(op, *bufs, **kwargs)
