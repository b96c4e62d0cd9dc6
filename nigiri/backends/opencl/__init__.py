"""The OpenCL backend (pyopencl; PoCL on CPUs, any vendor's OpenCL driver on GPUs).

Importing this package does not touch pyopencl; ``OpenCLBackend.device_count()``
does, and raises ``BackendUnavailableError`` with the reason and install hint when
pyopencl, a platform, or a device is missing.
"""

from .backend import OpenCLBackend

BACKEND = OpenCLBackend

__all__ = ["OpenCLBackend", "BACKEND"]
