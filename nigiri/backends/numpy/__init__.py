"""The numpy reference backend: correct, simple, always present."""

from .backend import NumpyBackend

BACKEND = NumpyBackend

__all__ = ["NumpyBackend", "BACKEND"]
