"""Creation functions on the device under test (exact, except linspace: 1 ulp of the
step product plus the start, as a basic op)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..case import Case
from ..tolerance import Bound
from ._util import ALL, REAL, arr, dt, mk, rng, transposed

__all__ = ["cases"]

G = "creation"


def _linspace_tol(hosts: list, ref: object) -> Bound:
    out = np.abs(np.asarray(ref[3], dtype=np.complex128))  # type: ignore[index]
    eps = float(np.finfo(np.asarray(ref[3]).real.dtype).eps)  # type: ignore[index]
    return Bound(4 * eps * (out + np.max(out, initial=0.0)), "4*eps*(|x|+max|x|)")


def cases() -> Iterator[Case]:
    for dtype in ALL:
        n = dtype.name
        q = dtype in (dt("float32"), dt("int32"))
        yield mk(f"full[{n}]", "full", G, (), f"ng.full((3, 4), ng.asarray(1, dtype=ng.{n}).item() if False else "
                 f"{'True' if dtype.kind == 'b' else '3' if dtype.kind in 'iu' else '2.5'}, dtype=ng.{n}, device=device)",
                 dtypes=(dtype,), quick=q)
        yield mk(f"zeros[{n}]", "zeros", G, (), f"ng.zeros((2, 0, 3), dtype=ng.{n}, device=device)", dtypes=(dtype,))
        yield mk(f"ones[{n}]", "ones", G, (), f"ng.ones((5,), dtype=ng.{n}, device=device)", dtypes=(dtype,), quick=q)
        yield mk(f"empty[{n}]", "empty", G, (),
                 f"e = ng.empty((3, 2), dtype=ng.{n}, device=device)\nout = (e.shape, str(e.dtype), str(e.device) == str(device.device_name))",
                 dtypes=(dtype,))
        yield mk(f"eye[{n}]", "eye", G, (), f"ng.eye(4, 5, k=1, dtype=ng.{n}, device=device)", dtypes=(dtype,))
        yield mk(f"asarray[{n},list]", "asarray", G, (),
                 f"ng.asarray([[1, 0], [0, 1]], dtype=ng.{n}, device=device)", dtypes=(dtype,))
        r = rng(f"creation{dtype}")
        yield mk(f"tril[{n}]", "tril", G, (transposed(r, dtype, (4, 5)),), "ng.tril(x1, k=-1)")
        yield mk(f"triu[{n}]", "triu", G, (arr(r, dtype, (2, 4, 5)),), "ng.triu(x1, k=1)")
        yield mk(f"full_like[{n}]", "full_like", G, (arr(r, dtype, (3, 2)),), "ng.ones_like(x1)")
    for dtype in REAL:
        n = dtype.name
        yield mk(f"arange[{n}]", "arange", G, (), f"ng.arange(2, 30, 3, dtype=ng.{n}, device=device)",
                 dtypes=(dtype,), quick=dtype == dt("int64"))
    yield mk("arange[float32,fraction]", "arange", G, (), "ng.arange(0.5, 3.0, 0.25, device=device)")
    yield mk("arange[int64,negative-step]", "arange", G, (), "ng.arange(10, -3, -4, device=device)")
    yield mk("arange[zero-step]", "arange", G, (), "ng.arange(0, 3, 0, device=device)", raises=ValueError)
    for dtype in (dt("float32"), dt("float64"), dt("complex64")):
        n = dtype.name
        yield mk(f"linspace[{n}]", "linspace", G, (), f"ng.linspace(-1, 2, 7, dtype=ng.{n}, device=device)",
                 tol=_linspace_tol, dtypes=(dtype,), quick=dtype == dt("float32"))
        yield mk(f"linspace[{n},no-endpoint]", "linspace", G, (),
                 f"ng.linspace(0, 1, 5, endpoint=False, dtype=ng.{n}, device=device)", tol=_linspace_tol,
                 dtypes=(dtype,))
    r = rng("meshgrid")
    for indexing in ("xy", "ij"):
        yield mk(f"meshgrid[{indexing}]", "meshgrid", G, (arr(r, dt("float32"), (3,)), arr(r, dt("float32"), (4,))),
                 f"ng.meshgrid(x1, x2, indexing={indexing!r})")
