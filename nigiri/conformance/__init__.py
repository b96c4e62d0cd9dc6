"""nigiri.conformance: prove every backend agrees with the numpy reference.

Command line (also ``python -m nigiri.conformance``)::

    nigiri conformance                          # full tier on every backend ('all')
    nigiri conformance --backend numba --quick  # the quick probe tier
    nigiri conformance --backend numba,opencl:1 --max-examples 20 --json out.json
    nigiri conformance --backend opencl --case '^sin\\['    # only matching case ids

It prints an ops x backends table (pass with the worst error in ulp or in units of
the bound, FAIL, xfail, skipped with the reason), every unexpected result with a
copy-pasteable reproducer, one summary line per device, and exits non-zero when
anything unexpected happened (a failure, a broken case, a known failure that passed,
or an explicitly named backend that is unavailable).

How a case works (``case.py``): inputs are generated once on the host (seeded,
domain-aware from the op table, never all zeros, special values where defined,
``inputs.py``), moved to the backend under test and to the reference with
``ng.asarray(host, device=...)``, viewed there (strided, transposed, negative
strides, broadcast, 0-d, empty), and the case's code runs on both; results are
compared in order: exception type, dtype, shape, values under the tolerance model of
``tolerance.py`` (read its docstring: exact / ulp per op-table class / reduction bound
``c * eps * sqrt(n) * sum|x_i|``).

Tiers: ``quick`` (about 390 cases covering every primitive at a few shapes; under a
second on numpy) and ``full`` (about 7,900 deterministic cases over every dtype the
device holds, Hypothesis targets with ``--max-examples`` examples each (``fuzz.py``),
and the nn layer cases (``layers.py``)).

Python API:

* ``run_backend(spec, quick=False, max_examples=100, pattern=None) -> BackendReport``
  (``report.ok``, ``report.counts()``, ``report.unexpected()``, ``report.results``);
* ``nigiri.conformance.layers``: ``register_layer_case``, ``check_layer`` -- the
  layer-level API for nn (forward/backward vs the reference, numerical gradients);
* ``nigiri.conformance.probe.probe(backend) -> None | reason``: the cached quick tier
  that ``NIGIRI_BACKEND=auto``, ``NIGIRI_CHECK=1``, nn and distributed workers run;
* known failures: ``nigiri/conformance/xfail/<backend>.txt`` (``xfails.py``).

pytest: ``pytest --nigiri-backend NAME`` (or ``NIGIRI_TEST_BACKEND``) runs the
project's tests, this suite included (``tests/conformance/test_suite.py``), with NAME
as every test's default device.
"""

from __future__ import annotations

from .case import Case, Result, run_case
from .runner import BackendReport, run_backend, run_device

__all__ = ["Case", "Result", "run_case", "BackendReport", "run_backend", "run_device"]
