"""Task builders shared by several suites."""

from __future__ import annotations

import zlib
from typing import Any, Callable

import numpy as np

from ..checks import EPS32, close, matmul_bound, reduce_bound
from ..registry import Task

__all__ = ["uniform", "binary_task", "unary_task", "matmul_task", "reduce_task"]

#: Elementwise float32 tolerance for the pre-timing check (conformance is stricter).
ELEMENTWISE_RTOL = 8 * EPS32


def uniform(shape: tuple[int, ...], lo: float, hi: float, seed: str | int) -> np.ndarray:
    """Deterministic float32 uniform samples in [lo, hi); ``seed`` may be a string."""
    if isinstance(seed, str):
        seed = zlib.crc32(seed.encode())
    rng = np.random.default_rng(seed)
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape)


def binary_task(op: str, shape: tuple[int, ...], *, name: str | None = None,
                lo: float = 0.5, hi: float = 1.5, group: str = "", **params: Any) -> Task:
    """``op(a, b)`` on two float32 arrays of ``shape``; bytes = 3 arrays."""
    n = int(np.prod(shape))
    ref = getattr(np, op)
    return Task(
        name=name or f"{op} {_fmt(shape)}",
        inputs=lambda: (uniform(shape, lo, hi, f"{op}a{shape}"), uniform(shape, lo, hi, f"{op}b{shape}")),
        reference=lambda a, b: ref(a.astype(np.float64), b.astype(np.float64)),
        check=close(ELEMENTWISE_RTOL),
        op=lambda t: t.op(op),
        group=group, bytes=3 * 4 * n, flops=0.0,
        params={"op": op, "shape": list(shape), **params},
    )


def unary_task(op: str, shape: tuple[int, ...], *, name: str | None = None,
               lo: float = 0.1, hi: float = 10.0, group: str = "", rtol: float = ELEMENTWISE_RTOL,
               atol: float = 2 * EPS32, **params: Any) -> Task:
    """``op(a)`` on one float32 array of ``shape``; bytes = 2 arrays."""
    n = int(np.prod(shape))
    if op == "copy":
        def ref(a: np.ndarray) -> np.ndarray:
            return a.astype(np.float64)
        check = close(0.0, 0.0)
    else:
        ref = getattr(np, op)
        check = close(rtol, atol)
    return Task(
        name=name or f"{op} {_fmt(shape)}",
        inputs=lambda: (uniform(shape, lo, hi, f"{op}{shape}"),),
        reference=lambda a: ref(a.astype(np.float64)),
        check=check,
        op=lambda t: t.op(op),
        group=group, bytes=2 * 4 * n,
        params={"op": op, "shape": list(shape), **params},
    )


def matmul_task(m: int, k: int, n: int, *, name: str | None = None, group: str = "",
                targets: Callable[[Any], bool] | None = None, **params: Any) -> Task:
    """``A[m,k] @ B[k,n]`` in float32; flops = 2mkn."""
    return Task(
        name=name or f"{m}x{k} @ {k}x{n}",
        inputs=lambda: (uniform((m, k), 0.0, 1.0, f"A{m},{k},{n}"),
                        uniform((k, n), 0.0, 1.0, f"B{m},{k},{n}")),
        reference=lambda a, b: a.astype(np.float64) @ b.astype(np.float64),
        check=matmul_bound(),
        op=lambda t: t.op("matmul"),
        group=group, flops=2.0 * m * k * n, bytes=4.0 * (m * k + k * n + m * n),
        params={"m": m, "k": k, "n": n, **params}, targets=targets,
    )


def reduce_task(op: str, shape: tuple[int, ...], axis: int | None, *, group: str = "",
                **params: Any) -> Task:
    """``op(x, axis)`` on float32 data in [-1, 1); bytes = the input read once."""
    n = int(np.prod(shape))
    ref = getattr(np, op)
    exact_op = op in ("max", "argmax")
    check = close(0.0, 0.0) if exact_op else reduce_bound(axis)
    where = "all" if axis is None else f"axis={axis}"
    return Task(
        name=f"{op} {_fmt(shape)} {where}",
        inputs=lambda: (uniform(shape, -1.0, 1.0, f"r{op}{shape}{axis}"),),
        reference=(lambda x: ref(x, axis=axis)) if op == "argmax"
        else (lambda x: ref(x.astype(np.float64), axis=axis)),
        check=check,
        op=lambda t: (lambda f: (lambda x: f(x, axis)))(t.op(op)),
        group=group, bytes=4.0 * n,
        params={"op": op, "shape": list(shape), "axis": axis, **params},
    )
