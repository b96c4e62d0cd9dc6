"""Linear algebra: matmul and friends under the reduction bound; decompositions by
their invariants.

Products (matmul, tensordot, vecdot, trace, norms) use ``4 * eps * sqrt(n) * |A||B|``
(integers exact). Factorizations whose factors are not unique (qr, svd, eigh: signs
and phases are free) are checked through invariants on the backend's own result --
reconstruction ``||QR - A||``, orthogonality ``||Q^H Q - I||``, triangularity, order of
eigen/singular values -- each within ``8 * n * eps * ||A||`` (the normwise backward
error of Householder/Jacobi/divide-and-conquer algorithms), plus the eigen/singular
values against the reference within the same bound. Solutions (inv, solve, det,
slogdet, pinv, matrix_power) are compared with the reference within
``8 * n * eps * cond(A)`` relative to the reference's magnitude, on matrices built with
a known, small condition number.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from ..case import Case
from ..inputs import Input
from ..tolerance import EXACT, Bound, Verdict, compare, matmul_bound, sum_bound, ulps_for_class
from ._util import FLOATS, NUMERIC, arr, dt, mk, rng, strided, transposed

__all__ = ["cases"]

G = "linalg"
_QUICK = (dt("float32"),)
LA_DTYPES = [dt("float32"), dt("float64"), dt("complex64"), dt("complex128")]


# ------------------------------------------------------------------ tolerances
def mm_tol(hosts: list, ref: Any) -> Any:
    a, b = np.asarray(hosts[0]), np.asarray(hosts[1])
    if a.dtype.kind in "iub":
        return EXACT
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    bound = matmul_bound(a2, b2, a.dtype)
    scale = bound.scale
    if b.ndim == 1:
        scale = scale[..., 0]
    if a.ndim == 1:
        scale = scale[..., 0, :] if b.ndim > 1 else scale[..., 0]
    return Bound(scale, bound.what)


def _eps(dtype: np.dtype) -> float:
    return float(np.finfo(np.dtype(dtype).char.lower() if np.dtype(dtype).kind == "c" else dtype).eps)


def _mag(x: np.ndarray) -> np.ndarray:
    return np.abs(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64))


def _structure(got: Any, ref: Any) -> Verdict | None:
    """dtype/shape/kind equality of two result structures (None when equal)."""
    if got[0] != ref[0]:
        return Verdict(False, message=f"result kind {got[0]} (expected {ref[0]})")
    if ref[0] == "seq":
        if len(got[2]) != len(ref[2]):
            return Verdict(False, message=f"{len(got[2])} results (expected {len(ref[2])})")
        for i, (g, r) in enumerate(zip(got[2], ref[2])):
            v = _structure(g, r)
            if v is not None:
                v.message = f"result[{i}]: {v.message}"
                return v
        return None
    if ref[0] == "array":
        if got[1] != ref[1]:
            return Verdict(False, message=f"dtype {got[1]} (expected {ref[1]})")
        if got[2] != ref[2]:
            return Verdict(False, message=f"shape {got[2]} (expected {ref[2]})")
    return None


def _within(err: np.ndarray, bound: np.ndarray, what: str) -> Verdict:
    err = np.asarray(err, dtype=np.float64)
    bound = np.broadcast_to(np.asarray(bound, dtype=np.float64), err.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        units = np.where(err == 0, 0.0, err / bound)
    worst = float(np.max(units)) if units.size else 0.0
    if not np.all(np.isfinite(err)) or worst > 1.0:
        return Verdict(False, worst, "bound", f"{what}: error {worst:.3g}x the bound")
    return Verdict(True, worst, "bound")


def _fro(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(np.abs(x) ** 2, axis=(-2, -1)))


def _H(x: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(x, -1, -2))


def _combine(verdicts: list[Verdict]) -> Verdict:
    for v in verdicts:
        if not v.ok:
            return v
    return Verdict(True, max((v.worst for v in verdicts), default=0.0), "bound")


def invariant_check(kind: str, **kw: Any) -> Any:
    """A ``check`` for a factorization ``kind`` (qr, svd, eigh, cholesky, ...)."""

    def check(got: Any, ref: Any, hosts: list) -> Verdict:
        bad = _structure(got, ref)
        if bad is not None:
            return bad
        a = np.asarray(hosts[0]).astype(np.complex128 if np.asarray(hosts[0]).dtype.kind == "c" else np.float64)
        n = max(a.shape[-2:])
        eps = _eps(ref[1] if ref[0] == "array" else ref[2][0][1])
        tol = 8 * n * eps
        norm_a = _fro(a)[..., None, None]
        parts = [g[3] for g in got[2]] if got[0] == "seq" else [got[3]]
        parts = [p.astype(np.complex128 if p.dtype.kind == "c" else np.float64) for p in parts]
        out: list[Verdict] = []
        if kind == "qr":
            q, r = parts
            out.append(_within(_fro(q @ r - a), tol * _fro(a), "||QR - A||"))
            k = q.shape[-1]
            out.append(_within(_fro(_H(q) @ q - np.eye(k)), tol * np.sqrt(k), "||Q^H Q - I||"))
            out.append(_within(np.abs(np.tril(r, -1)), tol * norm_a, "R below the diagonal"))
        elif kind == "svd":
            u, s, vh = parts
            k = s.shape[-1]
            recon = (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :]
            out.append(_within(_fro(recon - a), tol * _fro(a), "||U S Vh - A||"))
            out.append(_within(_fro(_H(u) @ u - np.eye(u.shape[-1])), tol * np.sqrt(k), "||U^H U - I||"))
            out.append(_within(_fro(vh @ _H(vh) - np.eye(vh.shape[-2])), tol * np.sqrt(k), "||Vh Vh^H - I||"))
            out.append(_values(s, ref[2][1][3], tol * _fro(a)[..., None], "singular values"))
        elif kind == "svdvals":
            out.append(_values(parts[0], ref[3], tol * _fro(a)[..., None], "singular values"))
        elif kind == "eigh":
            w, v = parts
            out.append(_within(_fro(a @ v - v * w[..., None, :]), tol * _fro(a), "||A V - V diag(w)||"))
            out.append(_within(_fro(_H(v) @ v - np.eye(v.shape[-1])), tol * np.sqrt(n), "||V^H V - I||"))
            out.append(_values(w, ref[2][0][3], tol * _fro(a)[..., None], "eigenvalues"))
        elif kind == "eigvalsh":
            out.append(_values(parts[0], ref[3], tol * _fro(a)[..., None], "eigenvalues"))
        elif kind == "cholesky":
            (f,) = parts
            upper = kw.get("upper", False)
            recon = _H(f) @ f if upper else f @ _H(f)
            out.append(_within(_fro(recon - a), tol * _fro(a), "||L L^H - A||"))
            off = np.tril(f, -1) if upper else np.triu(f, 1)
            out.append(_within(np.abs(off), tol * norm_a, "the other triangle"))
            d = np.diagonal(f, axis1=-2, axis2=-1)
            if np.any(d.real <= 0) or np.any(np.abs(d.imag) > tol * _fro(a)[..., None]):
                out.append(Verdict(False, message="diagonal not real positive"))
        return _combine(out)

    return check


def _values(got: np.ndarray, ref: np.ndarray, bound: np.ndarray, what: str) -> Verdict:
    if np.any(np.diff(got.real, axis=-1) > 0) and what == "singular values":
        return Verdict(False, message="singular values not in descending order")
    if np.any(np.diff(got.real, axis=-1) < 0) and what == "eigenvalues":
        return Verdict(False, message="eigenvalues not in ascending order")
    return _within(np.abs(got - ref), bound, what)


def cond_check(c: float = 8.0, floor: float = 0.0) -> Any:
    """Compare with the reference within ``c * n * eps * cond(A) * max(max|ref|,
    floor)`` (``floor=1`` for logarithms, whose error is absolute)."""

    def check(got: Any, ref: Any, hosts: list) -> Verdict:
        bad = _structure(got, ref)
        if bad is not None:
            return bad
        a = np.asarray(hosts[0]).astype(np.complex128)
        n = a.shape[-1]
        cond = float(np.max(np.linalg.cond(a))) if a.size else 1.0
        gs = got[2] if got[0] == "seq" else [got]
        rs = ref[2] if ref[0] == "seq" else [ref]
        out = []
        for g, r in zip(gs, rs):
            if r[1].kind in "iub":
                out.append(compare(g[3], r[3], EXACT))
                continue
            eps = _eps(r[1])
            mag = max(float(np.max(np.abs(r[3]))) if r[3].size else 0.0, floor)
            out.append(_within(np.abs(g[3] - r[3]), c * n * eps * cond * max(mag, 1e-30), "vs reference"))
        return _combine(out)

    return check


# ------------------------------------------------------------------ inputs
def _well_conditioned(r: np.random.Generator, dtype: np.dtype, shape: tuple, spd: bool = False) -> Input:
    n = shape[-1]
    batch = shape[:-2]
    q1, _ = np.linalg.qr(r.standard_normal(batch + (n, n)))
    q2, _ = np.linalg.qr(r.standard_normal(batch + (n, n)))
    s = r.uniform(1.0, 4.0, batch + (n,))
    if spd:
        a = (q1 * s[..., None, :]) @ np.swapaxes(q1, -1, -2)
    else:
        a = (q1 * s[..., None, :]) @ q2
    if dtype.kind == "c":
        a = a + 1j * (0.1 * r.standard_normal(a.shape))
        if spd:
            a = 0.5 * (a + np.conj(np.swapaxes(a, -1, -2))) + 0.5 * np.eye(n)
    return Input(np.asarray(a, dtype=dtype))


def _symmetric(r: np.random.Generator, dtype: np.dtype, shape: tuple) -> Input:
    a = r.standard_normal(shape)
    if dtype.kind == "c":
        a = a + 1j * r.standard_normal(shape)
    a = 0.5 * (a + np.conj(np.swapaxes(a, -1, -2)))
    return Input(np.asarray(a, dtype=dtype))


# ------------------------------------------------------------------ cases
def _matmul_cases() -> Iterator[Case]:
    for dtype in NUMERIC:
        r = rng(f"matmul{dtype}")
        q = dtype in _QUICK or dtype == dt("int32")
        dom = "small" if dtype.kind in "iu" else "any"

        def c(label: str, ins: tuple, code: str = "ng.matmul(x1, x2)", quick: bool = False,
              dtype: np.dtype = dtype, q: bool = q, **kw: Any) -> Case:
            return mk(f"matmul[{dtype.name},{label}]", "matmul", G, ins, code, tol=mm_tol,
                      quick=quick and q, **kw)

        yield c("2d", (arr(r, dtype, (5, 7), dom), arr(r, dtype, (7, 3), dom)), quick=True)
        yield c("batch", (arr(r, dtype, (2, 5, 7), dom), arr(r, dtype, (7, 3), dom)))
        yield c("broadcast-batch", (arr(r, dtype, (2, 1, 4, 3), dom), arr(r, dtype, (5, 3, 2), dom)))
        yield c("vec-mat", (arr(r, dtype, (7,), dom), arr(r, dtype, (7, 3), dom)))
        yield c("mat-vec", (arr(r, dtype, (5, 7), dom), arr(r, dtype, (7,), dom)))
        yield c("vec-vec", (arr(r, dtype, (7,), dom), arr(r, dtype, (7,), dom)))
        yield c("transposed", (transposed(r, dtype, (6, 4), dom), strided(r, dtype, (4, 5), dom)), quick=True)
        yield c("operator", (arr(r, dtype, (3, 4), dom), arr(r, dtype, (4, 2), dom)), "x1 @ x2")
        yield c("empty-k", (Input(np.zeros((3, 0), dtype)), Input(np.zeros((0, 4), dtype))))
        if dtype.kind in "fc":
            yield c("long-k", (arr(r, dtype, (3, 2048)), arr(r, dtype, (2048, 2))))
        yield c("mismatch", (arr(r, dtype, (3, 4), dom), arr(r, dtype, (5, 2), dom)), raises=ValueError)
        yield c("0d", (arr(r, dtype, (), dom), arr(r, dtype, (3,), dom)), raises=ValueError)


def _vec_tol(axis: int) -> Any:
    def tol(hosts: list, ref: Any) -> Any:
        a, b = (np.asarray(h) for h in hosts[:2])
        if a.dtype.kind in "iub":
            return EXACT
        prod = _mag(a) * _mag(b)
        return sum_bound(np.sum(prod, axis=axis), prod.shape[axis], a.dtype)

    return tol


def _cross_tol(hosts: list, ref: Any) -> Any:
    a, b = (_mag(np.asarray(h)) for h in hosts[:2])
    if np.asarray(hosts[0]).dtype.kind in "iu":
        return EXACT
    s = np.stack([a[..., 1] * b[..., 2] + a[..., 2] * b[..., 1],
                  a[..., 2] * b[..., 0] + a[..., 0] * b[..., 2],
                  a[..., 0] * b[..., 1] + a[..., 1] * b[..., 0]], axis=-1)
    return Bound(2 * _eps(np.asarray(hosts[0]).dtype) * s, "2*eps*sum|terms|")


def _norm_tol(c_svd: bool = False) -> Any:
    def tol(hosts: list, ref: Any) -> Any:
        x = np.asarray(hosts[0])
        eps = _eps(x.dtype)
        n = max(x.size, 1)
        refv = np.abs(ref[3]).astype(np.float64)
        factor = 8 * max(x.shape[-2:]) if c_svd else 4 * np.sqrt(n)
        return Bound(factor * eps * refv + eps * refv, "c*eps*norm")

    return tol


def _product_cases() -> Iterator[Case]:
    for dtype in NUMERIC:
        r = rng(f"products{dtype}")
        dom = "small" if dtype.kind in "iu" else "any"
        q = dtype in _QUICK
        yield mk(f"vecdot[{dtype.name},axis-1]", "vecdot", G,
                 (arr(r, dtype, (4, 6), dom), strided(r, dtype, (4, 6), dom)), "ng.vecdot(x1, x2)",
                 tol=_vec_tol(-1), quick=q)
        yield mk(f"vecdot[{dtype.name},axis0-broadcast]", "vecdot", G,
                 (arr(r, dtype, (6, 1), dom), arr(r, dtype, (6, 3), dom)), "ng.vecdot(x1, x2, axis=0)",
                 tol=_vec_tol(0))
        yield mk(f"tensordot[{dtype.name},axes1]", "tensordot", G,
                 (arr(r, dtype, (3, 4), dom), arr(r, dtype, (4, 5), dom)), "ng.tensordot(x1, x2, axes=1)",
                 tol=mm_tol)
        yield mk(f"tensordot[{dtype.name},axes-pairs]", "tensordot", G,
                 (arr(r, dtype, (4, 3), dom), arr(r, dtype, (4, 5), dom)),
                 "ng.tensordot(x1, x2, axes=([0], [0]))",
                 tol=lambda h, ref: mm_tol([np.asarray(h[0]).T, h[1]], ref))
        yield mk(f"outer[{dtype.name},basic]", "outer", G, (arr(r, dtype, (4,), dom), arr(r, dtype, (3,), dom)),
                 "ng.linalg.outer(x1, x2)", tol=ulps_for_class("basic"))
        yield mk(f"cross[{dtype.name},basic]", "cross", G,
                 (arr(r, dtype, (4, 3), dom), arr(r, dtype, (1, 3), dom)), "ng.linalg.cross(x1, x2)", tol=_cross_tol)
        yield mk(f"diagonal[{dtype.name},offset]", "diagonal", G, (transposed(r, dtype, (4, 5), dom),),
                 "ng.linalg.diagonal(x1, offset=1)")
        yield mk(f"trace[{dtype.name},batch]", "trace", G, (arr(r, dtype, (2, 4, 4), dom),),
                 "ng.linalg.trace(x1)",
                 tol=lambda h, ref: EXACT if np.asarray(h[0]).dtype.kind in "iu" else sum_bound(
                     np.sum(np.abs(np.diagonal(np.asarray(h[0]), axis1=-2, axis2=-1)).astype(np.float64), -1),
                     4, np.asarray(h[0]).dtype))
        yield mk(f"matrix_transpose[{dtype.name},3d]", "matrix_transpose", G, (arr(r, dtype, (2, 3, 4)),),
                 "ng.linalg.matrix_transpose(x1)")
    for dtype in FLOATS:
        r = rng(f"norms{dtype}")
        for label, code in [("l2", "ng.linalg.vector_norm(x1)"), ("l1-axis", "ng.linalg.vector_norm(x1, axis=1, ord=1)"),
                            ("inf", "ng.linalg.vector_norm(x1, ord=ng.inf)"),
                            ("l2-keepdims", "ng.linalg.vector_norm(x1, axis=0, keepdims=True)")]:
            yield mk(f"vector_norm[{dtype.name},{label}]", "vector_norm", G, (arr(r, dtype, (5, 6)),), code,
                     tol=_norm_tol(), quick=dtype in _QUICK and label == "l2")
        for label, svd_based in [("fro", False), ("1", False), ("inf", False), ("nuc", True), ("2", True)]:
            o = repr(label) if label in ("fro", "nuc") else label.replace("inf", "ng.inf")
            # float16 has no SVD: the reference raises TypeError, every backend must too
            bad = TypeError if svd_based and dtype == dt("float16") else None
            yield mk(f"matrix_norm[{dtype.name},{label}]", "matrix_norm", G, (arr(r, dtype, (2, 4, 5)),),
                     f"ng.linalg.matrix_norm(x1, ord={o})", tol=_norm_tol(svd_based), raises=bad)


def _decomp_cases() -> Iterator[Case]:
    for dtype in LA_DTYPES:
        r = rng(f"decomp{dtype}")
        q = dtype in _QUICK
        wc = _well_conditioned(r, dtype, (4, 4))
        wcb = _well_conditioned(r, dtype, (2, 5, 5))
        spd = _well_conditioned(r, dtype, (2, 4, 4), spd=True)
        sym = _symmetric(r, dtype, (3, 5, 5))
        rect = arr(r, dtype, (6, 4))
        wide = arr(r, dtype, (3, 5))
        rhs = arr(r, dtype, (4, 2))

        def c(op: str, label: str, ins: tuple, code: str, quick: bool = False,
              dtype: np.dtype = dtype, q: bool = q, **kw: Any) -> Case:
            return mk(f"{op}[{dtype.name},{label}]", op, G, ins, code, quick=quick and q, **kw)

        yield c("inv", "2d", (wc,), "ng.linalg.inv(x1)", True, check=cond_check())
        yield c("inv", "batch", (wcb,), "ng.linalg.inv(x1)", check=cond_check())
        yield c("solve", "matrix-rhs", (wc, rhs), "ng.linalg.solve(x1, x2)", check=cond_check())
        yield c("solve", "vector-rhs", (wc, arr(r, dtype, (4,))), "ng.linalg.solve(x1, x2)", check=cond_check())
        yield c("det", "batch", (wcb,), "ng.linalg.det(x1)", True, check=cond_check())
        yield c("slogdet", "batch", (wcb,), "ng.linalg.slogdet(x1)", check=cond_check(floor=1.0))
        yield c("pinv", "square", (wc,), "ng.linalg.pinv(x1)", check=cond_check())
        yield c("matrix_power", "3", (wc,), "ng.linalg.matrix_power(x1, 3)", check=cond_check(24.0))
        yield c("matrix_power", "-2", (wc,), "ng.linalg.matrix_power(x1, -2)", check=cond_check(24.0))
        yield c("matrix_power", "0", (wc,), "ng.linalg.matrix_power(x1, 0)")
        yield c("cholesky", "lower", (spd,), "ng.linalg.cholesky(x1)", True, check=invariant_check("cholesky"))
        yield c("cholesky", "upper", (spd,), "ng.linalg.cholesky(x1, upper=True)",
                check=invariant_check("cholesky", upper=True))
        yield c("qr", "tall", (rect,), "ng.linalg.qr(x1)", True, check=invariant_check("qr"))
        yield c("qr", "wide", (wide,), "ng.linalg.qr(x1)", check=invariant_check("qr"))
        yield c("qr", "complete", (rect,), "ng.linalg.qr(x1, mode='complete')", check=invariant_check("qr"))
        yield c("svd", "tall-reduced", (rect,), "ng.linalg.svd(x1, full_matrices=False)", True,
                check=invariant_check("svd"))
        yield c("svd", "wide-full", (wide,), "ng.linalg.svd(x1)", check=invariant_check("svd"))
        yield c("svdvals", "batch", (wcb,), "ng.linalg.svdvals(x1)", check=invariant_check("svdvals"))
        yield c("eigh", "batch", (sym,), "ng.linalg.eigh(x1)", True, check=invariant_check("eigh"))
        yield c("eigvalsh", "batch", (sym,), "ng.linalg.eigvalsh(x1)", check=invariant_check("eigvalsh"))
        yield c("matrix_rank", "deficient", (Input(np.asarray(rect.base @ np.diag([1, 1, 0, 1]).astype(dtype)
                                                   @ rect.base.T[:4, :4], dtype)),),
                "ng.linalg.matrix_rank(x1)")
        yield c("inv", "not-square", (rect,), "ng.linalg.inv(x1)", raises=ValueError)
        yield c("cholesky", "1d", (arr(r, dtype, (4,)),), "ng.linalg.cholesky(x1)", raises=ValueError)
    yield mk("inv[int32,wrong-dtype]", "inv", G, (Input(np.eye(3, dtype=np.int32)),), "ng.linalg.inv(x1)",
             raises=TypeError)


def cases() -> Iterator[Case]:
    yield from _matmul_cases()
    yield from _product_cases()
    yield from _decomp_cases()
