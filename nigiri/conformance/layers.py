"""Layer-level conformance: the API nn layers use to register their cases.

A layer case checks three things:

1. **forward** on the backend under test against the numpy reference (same inputs);
2. **backward** (gradients for a fixed random output cotangent) on the backend against
   the reference;
3. **numgrad**: the reference's backward against float64 central-difference numerical
   gradients (run when the backend under test is the reference itself, since it does
   not depend on the backend).

When the case names a fast path (``fast_path="conv2d_forward"``) and the backend
registers it, forward and backward also run with fast paths disabled
(``[composite]`` results), so the fast path and the composite are both compared.

Registering a case (what ``nigiri.nn`` does, at import of the module
``nigiri.nn.conformance_cases``, which the runner imports when it exists)::

    from nigiri.conformance.layers import InputSpec, register_layer_case

    def affine(arrays, grads_out):
        # arrays: dict name -> nigiri Array on the device being checked
        # grads_out: None (forward only) or one cotangent Array per output
        x, w, b = arrays["x"], arrays["w"], arrays["b"]
        y = x @ w + b
        if grads_out is None:
            return y, None
        dy = grads_out[0]
        return y, {"x": dy @ w.mT, "w": x.mT @ dy, "b": ng.sum(dy, axis=0)}

    register_layer_case(
        "affine", affine,
        inputs={"x": (5, 7), "w": (7, 3), "b": (3,)},
        fan_in=7,
    )

Functions (all keyword arguments after ``fn``/``inputs`` are optional):

``register_layer_case(name, fn, inputs, *, wrt=None, dtype="float32", fan_in=None,
tol=None, grad_rtol=1e-6, numgrad_samples=12, fast_path=None, replace=False) ->
LayerCase``
    ``fn(arrays: dict[str, Array], grads_out: list[Array] | None) ->
    (outputs, grads)``: outputs is an Array or a sequence of Arrays; grads a dict
    ``input name -> gradient Array`` for every name in ``wrt`` (None when
    ``grads_out`` is None). ``fn`` must build any layer object itself from the arrays
    it gets (parameters are inputs), so the same function runs on every device and in
    float64. ``inputs``: name -> shape tuple, host NumPy array, or ``InputSpec``.
    ``wrt``: names to differentiate (default: every floating input).
    Tolerances: by default each forward output and gradient must satisfy
    ``|got - ref| <= 4 * eps * sqrt(fan_in) * A`` where ``A`` is ``|ref|`` plus the
    same quantity evaluated in float64 on the absolute values of the inputs and
    cotangents (for multilinear layers -- affine, convolution -- exactly the
    ``sum |terms|`` of the tolerance model; a safe scale for monotone nonlinearities).
    ``fan_in``: the reduction length (default: the largest input size). ``tol``: a
    ``tolerance`` object, or ``tol(host_inputs, ref_value) -> Tolerance``, to
    override. The numerical check requires ``|num - ana| <= grad_rtol * (|ana| +
    max|ana|)`` per sampled element (``numgrad_samples`` elements per input; step
    ``h = 6e-6 * max(1, |x|)``).

``InputSpec(shape, dtype=None, domain="any", grad=True)``
    Generated input: ``dtype`` defaults to the case dtype; ``domain`` as in the op
    table (``positive`` for a variance, ``small`` for logits); ``grad=False`` keeps
    it out of ``wrt`` (labels, masks); integer dtypes never get gradients.

``check_layer(case_or_name, backend="numpy") -> list[Result]``
    Run one case on one device (results named ``layer:<name>[forward]`` etc.;
    ``status`` is ``pass``/``fail``/``error``); a test asserts
    ``all(r.status == "pass" for r in check_layer("affine", "numba"))``.

``layer_cases() -> dict[str, LayerCase]``, ``unregister_layer_case(name)``.
"""

from __future__ import annotations

import importlib
import math
import re
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .case import REFERENCE, Result, fast_paths_disabled
from .inputs import rng_for, values
from .tolerance import Bound, Tolerance, compare

__all__ = ["InputSpec", "LayerCase", "register_layer_case", "unregister_layer_case",
           "layer_cases", "check_layer", "run", "LAYER_CASE_MODULES"]

#: Modules imported before layer cases run (they register their cases on import).
LAYER_CASE_MODULES = ("nigiri.nn.conformance_cases",)


@dataclass(frozen=True)
class InputSpec:
    """A generated layer input (see the module docstring)."""

    shape: tuple[int, ...]
    dtype: Any = None
    domain: str = "any"
    grad: bool = True


@dataclass
class LayerCase:
    name: str
    fn: Callable[..., Any]
    inputs: dict[str, Any]
    wrt: tuple[str, ...]
    dtype: np.dtype
    fan_in: int
    tol: Any = None
    grad_rtol: float = 1e-6
    numgrad_samples: int = 12
    fast_path: str | None = None
    host: dict[str, np.ndarray] = field(default_factory=dict)


_CASES: dict[str, LayerCase] = {}


def _gen_inputs(name: str, inputs: dict[str, Any], dtype: np.dtype) -> tuple[dict, list[str]]:
    host: dict[str, np.ndarray] = {}
    diff: list[str] = []
    for key, spec in inputs.items():
        if isinstance(spec, np.ndarray):
            arr, grad = spec, spec.dtype.kind in "fc"
        else:
            if not isinstance(spec, InputSpec):
                spec = InputSpec(tuple(spec))
            dt = np.dtype(spec.dtype) if spec.dtype is not None else dtype
            arr = values(rng_for("layer", name, key), dt, tuple(spec.shape), spec.domain)
            grad = spec.grad and dt.kind in "fc"
        host[key] = arr
        if grad:
            diff.append(key)
    return host, diff


def register_layer_case(name: str, fn: Callable[..., Any], inputs: dict[str, Any], *,
                        wrt: tuple[str, ...] | list[str] | None = None,
                        dtype: Any = "float32", fan_in: int | None = None,
                        tol: Any = None, grad_rtol: float = 1e-6,
                        numgrad_samples: int = 12, fast_path: str | None = None,
                        replace: bool = False) -> LayerCase:
    """Register a layer case (see the module docstring)."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_layer_case: name must be a non-empty string, got {name!r}")
    if name in _CASES and not replace:
        raise ValueError(f"register_layer_case: a case named {name!r} exists (pass replace=True)")
    if not callable(fn):
        raise TypeError(f"register_layer_case: fn must be callable, got {type(fn).__name__}")
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError("register_layer_case: inputs must be a non-empty dict name -> shape/spec/array")
    dt = np.dtype(dtype)
    if dt.kind not in "fc":
        raise TypeError(f"register_layer_case: dtype must be floating, got {dt.name}")
    host, diff = _gen_inputs(name, inputs, dt)
    if wrt is None:
        wrt = tuple(diff)
    unknown = [w for w in wrt if w not in host]
    if unknown:
        raise ValueError(f"register_layer_case: wrt names unknown inputs {unknown}")
    if fan_in is None:
        fan_in = max(max(a.size for a in host.values()), 1)
    case = LayerCase(name, fn, dict(inputs), tuple(wrt), dt, int(fan_in), tol, grad_rtol,
                     numgrad_samples, fast_path, host)
    _CASES[name] = case
    return case


def unregister_layer_case(name: str) -> None:
    """Remove a registered case (tests use it)."""
    _CASES.pop(name, None)


def layer_cases() -> dict[str, LayerCase]:
    """The registered cases (after importing ``LAYER_CASE_MODULES``)."""
    for mod in LAYER_CASE_MODULES:
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name is None or not mod.startswith(exc.name):
                raise
    return dict(_CASES)


# --------------------------------------------------------------------------- running
def _outputs(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _host(a: Any) -> np.ndarray:
    import nigiri as ng

    return np.array(ng.to_numpy(a), copy=True)


def _call(case: LayerCase, be: Any, host: dict[str, np.ndarray], cot: list[np.ndarray] | None,
          dtype: np.dtype | None = None) -> tuple[list[np.ndarray], dict[str, np.ndarray] | None]:
    import nigiri as ng

    arrays = {}
    for k, v in host.items():
        v = np.array(v, copy=True)
        if dtype is not None and v.dtype.kind in "fc":
            v = v.astype(dtype)
        arrays[k] = ng.asarray(v, device=be)
    dys = None
    if cot is not None:
        dys = [ng.asarray(c.astype(dtype) if dtype is not None else c.copy(), device=be) for c in cot]
    out, grads = case.fn(arrays, dys)
    outs = [_host(o) for o in _outputs(out)]
    if cot is None:
        return outs, None
    if not isinstance(grads, dict):
        raise TypeError(f"layer case {case.name!r}: fn must return (outputs, dict of gradients), "
                        f"got {type(grads).__name__} for the gradients")
    missing = [w for w in case.wrt if w not in grads]
    if missing:
        raise KeyError(f"layer case {case.name!r}: fn returned no gradient for {missing}")
    return outs, {w: _host(grads[w]) for w in case.wrt}


def _cotangents(case: LayerCase, ref_outs: list[np.ndarray]) -> list[np.ndarray]:
    rng = rng_for("layer-cotangent", case.name)
    return [values(rng, o.dtype if o.dtype.kind in "fc" else case.dtype, o.shape, "any")
            for o in ref_outs]


def _default_tol(case: LayerCase, abs_val: np.ndarray, ref: np.ndarray) -> Tolerance:
    eps = float(np.finfo(ref.real.dtype if ref.dtype.kind == "c" else ref.dtype).eps)
    scale = 4.0 * eps * math.sqrt(case.fan_in) * (np.abs(abs_val) + np.abs(ref).astype(np.float64))
    return Bound(scale, "4*sqrt(fan_in)*eps*A")


def _compare_list(case: LayerCase, got: list[np.ndarray], ref: list[np.ndarray],
                  abs_vals: list[np.ndarray], labels: list[str]) -> tuple[bool, float, str]:
    worst, msg = 0.0, ""
    if len(got) != len(ref):
        return False, 0.0, f"{len(got)} results, expected {len(ref)}"
    for g, r, a, label in zip(got, ref, abs_vals, labels):
        if g.dtype != r.dtype:
            return False, 0.0, f"{label}: dtype {g.dtype} (expected {r.dtype})"
        if g.shape != r.shape:
            return False, 0.0, f"{label}: shape {g.shape} (expected {r.shape})"
        if case.tol is None:
            tol = _default_tol(case, a, r)
        elif callable(case.tol) and not isinstance(case.tol, type):
            tol = case.tol(case.host, r)
        else:
            tol = case.tol
        v = compare(g, r, tol)
        if not v.ok:
            return False, v.worst, f"{label}: {v.message}"
        worst = max(worst, v.worst)
    return True, worst, msg


def _numgrad(case: LayerCase, ref_be: Any) -> tuple[bool, float, str]:
    """The reference's float64 backward against central differences."""
    host64 = {k: (v.astype(np.float64) if v.dtype.kind == "f" else
                  v.astype(np.complex128) if v.dtype.kind == "c" else v)
              for k, v in case.host.items()}
    outs, _ = _call(case, ref_be, host64, None)
    cot = [values(rng_for("layer-cotangent64", case.name), np.float64, o.shape, "any") for o in outs]
    _, grads = _call(case, ref_be, host64, cot)
    rng = rng_for("layer-numgrad", case.name)

    def loss(h: dict[str, np.ndarray]) -> float:
        o, _ = _call(case, ref_be, h, None)
        return float(sum(np.sum(a * c) for a, c in zip(o, cot)))

    worst = 0.0
    for w in case.wrt:
        x = host64[w]
        ana_all = grads[w]
        if ana_all.shape != x.shape:
            return False, 0.0, f"gradient for {w!r} has shape {ana_all.shape}, input {x.shape}"
        flat = rng.permutation(x.size)[: case.numgrad_samples]
        gmax = float(np.max(np.abs(ana_all))) if ana_all.size else 0.0
        for idx in flat:
            pos = np.unravel_index(int(idx), x.shape)
            h = 6e-6 * max(1.0, abs(float(x[pos])))
            xp, xm = x.copy(), x.copy()
            xp[pos] += h
            xm[pos] -= h
            num = (loss({**host64, w: xp}) - loss({**host64, w: xm})) / (2 * h)
            ana = float(ana_all[pos])
            bound = case.grad_rtol * (abs(ana) + gmax) + 1e-12
            err = abs(num - ana) / bound
            worst = max(worst, err)
            if err > 1.0:
                return False, err, (f"d loss / d {w}{tuple(int(p) for p in pos)}: analytic "
                                    f"{ana!r}, numerical {num!r} (bound {bound:.3g})")
    return True, worst, ""


def check_layer(case_or_name: Any, backend: Any = "numpy") -> list[Result]:
    """Run one layer case on one device; returns its Results (see the docstring)."""
    from .. import backends as reg

    case = case_or_name if isinstance(case_or_name, LayerCase) else layer_cases()[case_or_name]
    be = reg.get_device(backend) if isinstance(backend, str) else backend
    ref_be = reg.get_device(REFERENCE)
    return _run_one(case, be, ref_be)


def _result(case: LayerCase, be: Any, part: str, ok: bool, worst: float, msg: str,
            t0: float, unit: str = "bound") -> Result:
    return Result(f"layer:{case.name}[{part}]", f"layer:{case.name}", be.device_name,
                  "pass" if ok else "fail", msg, worst, unit,
                  reproducer=(f"from nigiri.conformance.layers import check_layer\n"
                              f"for r in check_layer({case.name!r}, {be.device_name!r}): "
                              "print(r.status, r.case_id, r.message)"),
                  seconds=time.perf_counter() - t0, group="layers")


def _run_one(case: LayerCase, be: Any, ref_be: Any, composite: bool = False) -> list[Result]:
    out: list[Result] = []
    suffix = "/composite" if composite else ""
    if not be.capabilities.supports_dtype(case.dtype):
        r = _result(case, be, "forward" + suffix, True, 0.0,
                    f"device lacks {case.dtype.name} (capabilities)", time.perf_counter())
        r.status = "skip"
        return [r]
    t0 = time.perf_counter()
    try:
        with fast_paths_disabled(ref_be):
            ref_outs, _ = _call(case, ref_be, case.host, None)
            cot = _cotangents(case, ref_outs)
            _, ref_grads = _call(case, ref_be, case.host, cot)
            abs_host = {k: np.abs(v).astype(np.float64) if v.dtype.kind in "fc" else v
                        for k, v in case.host.items()}
            abs_outs, abs_grads = _call(case, ref_be, abs_host, [np.abs(c).astype(np.float64) for c in cot])
    except Exception as exc:
        r = _result(case, be, "forward" + suffix, False, 0.0,
                    f"the reference raised {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}", t0)
        r.status = "error"
        return [r]
    ctx = fast_paths_disabled(be) if composite else _nullctx()
    with ctx:
        try:
            got_outs, _ = _call(case, be, case.host, None)
            ok, worst, msg = _compare_list(case, got_outs, ref_outs, abs_outs,
                                           [f"output {i}" for i in range(len(ref_outs))])
        except Exception as exc:
            ok, worst, msg = False, 0.0, f"raised {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        out.append(_result(case, be, "forward" + suffix, ok, worst, msg, t0))
        t1 = time.perf_counter()
        try:
            _, got_grads = _call(case, be, case.host, cot)
            ok, worst, msg = _compare_list(case, [got_grads[w] for w in case.wrt],
                                           [ref_grads[w] for w in case.wrt],
                                           [abs_grads[w] for w in case.wrt],
                                           [f"gradient {w!r}" for w in case.wrt])
        except Exception as exc:
            ok, worst, msg = False, 0.0, f"raised {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        out.append(_result(case, be, "backward" + suffix, ok, worst, msg, t1))
    if be is ref_be and not composite:
        t2 = time.perf_counter()
        try:
            ok, worst, msg = _numgrad(case, ref_be)
        except Exception as exc:
            ok, worst, msg = False, 0.0, f"raised {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        out.append(_result(case, be, "numgrad", ok, worst, msg, t2))
    if not composite and case.fast_path and be.fast_path(case.fast_path) is not None:
        out += _run_one(case, be, ref_be, composite=True)
    return out


class _nullctx:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def run(be: Any, ref_be: Any, *, pattern: str | None = None,
        progress: Callable[[Result], None] | None = None) -> list[Result]:
    """Every registered layer case on ``be`` (the runner's full tier calls this)."""
    rx = re.compile(pattern) if pattern else None
    results: list[Result] = []
    for name, case in layer_cases().items():
        if rx is not None and not rx.search(f"layer:{name}"):
            continue
        for r in _run_one(case, be, ref_be):
            results.append(r)
            if progress:
                progress(r)
    return results
