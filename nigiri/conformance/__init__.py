"""nigiri.conformance: prove every backend agrees with the numpy reference.

Command line: ``nigiri conformance [--backend NAME[,NAME]|all] [--quick]
[--max-examples N] [--json FILE]`` (also ``python -m nigiri.conformance``).

Python: ``run_backend(spec, quick=False, max_examples=100)`` returns a
``BackendReport``; ``nigiri.conformance.layers`` is the layer-level API for nn
(``register_layer_case``, ``check_layer``); ``nigiri.conformance.probe`` is the quick
probe that ``NIGIRI_BACKEND=auto`` and ``NIGIRI_CHECK=1`` run; the tolerance model is
documented in ``nigiri.conformance.tolerance``.
"""

from __future__ import annotations

from .case import Case, Result, run_case
from .runner import BackendReport, run_backend

__all__ = ["Case", "Result", "run_case", "BackendReport", "run_backend"]
