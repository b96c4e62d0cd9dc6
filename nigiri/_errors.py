"""Exception types of nigiri (DESIGN section 8)."""

from __future__ import annotations

__all__ = ["BackendUnavailableError"]


class BackendUnavailableError(RuntimeError):
    """A known backend cannot be used here: not installed, or no device.

    The message carries the reason and the install hint.
    """
