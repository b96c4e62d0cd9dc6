"""numba fast paths against straightforward NumPy reference implementations."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("numba")

from nigiri.backends import get_device  # noqa: E402

NB = get_device("numba")
RNG = np.random.default_rng(99)
F32 = np.float32


def _close(got, ref, rtol=2e-5, atol=2e-5):
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(ref, np.float64),
                               rtol=rtol, atol=atol)


# ------------------------------------------------------------ NumPy references
def _pad(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def ref_conv(x, w, b, stride, pad, dil, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = _pad(x.astype(np.float64), pad, pad)
    ho = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
    wo = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
    y = np.zeros((n, o, ho, wo))
    og = o // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * dil:i * dil + stride * (ho - 1) + 1:stride,
                           j * dil:j * dil + stride * (wo - 1) + 1:stride]
                y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch,
                                                       w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def ref_conv_grads(x, w, dy, stride, pad, dil, groups):
    """Gradients by the adjoint: d<y, dy>/dx via float64 finite structure (exact
    linear maps: build them by differentiating the reference with unit vectors)."""
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    dw = np.zeros_like(w64)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w64)
        e[idx] = 1
        dw[idx] = np.sum(ref_conv(x64, e, None, stride, pad, dil, groups) * dy)
    dx = np.zeros_like(x64)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x64)
        e[idx] = 1
        dx[idx] = np.sum(ref_conv(e, w64, None, stride, pad, dil, groups) * dy)
    return dx, dw, dy.sum(axis=(0, 2, 3))


@pytest.mark.parametrize("tiles", ["samples", "rows"])
@pytest.mark.parametrize("stride,pad,dil,groups", [(1, 0, 1, 1), (2, 1, 1, 2), (1, 2, 2, 1)])
def test_conv2d_forward_backward(stride, pad, dil, groups, tiles, monkeypatch):
    from nigiri.backends.numba import conv

    if tiles == "rows":  # one sample per task, one output row per tile
        monkeypatch.setattr(conv, "TASK_BYTES", 1)
    x = RNG.standard_normal((2, 4, 7, 6)).astype(F32)
    w = RNG.standard_normal((6, 4 // groups, 3, 2)).astype(F32)
    b = RNG.standard_normal(6).astype(F32)
    y = NB.fast_path("conv2d_forward")(x, w, b, stride, pad, dil, groups)
    ref = ref_conv(x, w, b, stride, pad, dil, groups)
    assert y.dtype == F32
    _close(y, ref, 1e-4, 1e-4)
    y2 = NB.fast_path("conv2d_forward")(x[:, :, ::-1], w, None, stride, pad, dil, groups)
    _close(y2, ref_conv(x[:, :, ::-1], w, None, stride, pad, dil, groups), 1e-4, 1e-4)
    dy = RNG.standard_normal(y.shape).astype(F32)
    dx, dw, db = NB.fast_path("conv2d_backward")(x, w, dy, stride, pad, dil, groups)
    rdx, rdw, rdb = ref_conv_grads(x, w, dy.astype(np.float64), stride, pad, dil, groups)
    _close(dx, rdx, 1e-4, 1e-4)
    _close(dw, rdw, 1e-4, 1e-4)
    _close(db, rdb, 1e-4, 1e-4)
    only = NB.fast_path("conv2d_backward")(x, w, dy, stride, pad, dil, groups,
                                            need=(False, True, False))
    assert only[0] is None and only[2] is None
    _close(only[1], rdw, 1e-4, 1e-4)


def test_conv2d_tasks_and_float64(monkeypatch):
    from nigiri.backends.numba import conv

    x = RNG.standard_normal((9, 2, 5, 5))
    w = RNG.standard_normal((3, 2, 3, 3))
    dy = RNG.standard_normal((9, 3, 5, 5))
    rdx, rdw, _ = ref_conv_grads(x, w, dy, 1, 1, 1, 1)
    monkeypatch.setattr(conv, "TASKS_PER_THREAD", 1)
    monkeypatch.setattr(conv, "_threads", lambda: 2)  # the tiling's arithmetic only
    # 3600 bytes of columns per sample: 2 tasks of 5 and 4 samples; then 2-row tiles
    for budget, tiling in ((5 * 3600, (5, 5)), (2 * 18 * 5 * 8, (1, 2))):
        monkeypatch.setattr(conv, "TASK_BYTES", budget)
        assert conv._tiling(9, 18, 5, 5, 8) == tiling
        _close(NB.fast_path("conv2d_forward")(x, w, None, 1, 1, 1, 1),
               ref_conv(x, w, None, 1, 1, 1, 1), 1e-12, 1e-12)
        dx, dw, _ = NB.fast_path("conv2d_backward")(x, w, dy, 1, 1, 1, 1)
        _close(dx, rdx, 1e-12, 1e-12)
        _close(dw, rdw, 1e-12, 1e-12)
    with pytest.raises(NotImplementedError, match="conv2d_forward"):
        NB.fast_path("conv2d_forward")(x.astype(np.int32), w.astype(np.int32), None)


def ref_pool(x, kind, k, s, p, ceil_mode):
    n, c, h, w = x.shape

    def osz(L):
        if ceil_mode:
            o = -(-(L + 2 * p - k) // s) + 1
            return o - 1 if (o - 1) * s >= L + p else o
        return (L + 2 * p - k) // s + 1

    ho, wo = osz(h), osz(w)
    y = np.zeros((n, c, ho, wo))
    arg = np.zeros((n, c, ho, wo), np.int64)
    for oh in range(ho):
        for ow in range(wo):
            h0, w0 = oh * s - p, ow * s - p
            hs, ws = slice(max(h0, 0), min(h0 + k, h)), slice(max(w0, 0), min(w0 + k, w))
            win = x[:, :, hs, ws].reshape(n, c, -1)
            if kind == "max":
                a = np.argmax(win, axis=2)
                y[:, :, oh, ow] = np.max(win, axis=2)
                wh = ws.stop - ws.start
                arg[:, :, oh, ow] = (hs.start + a // wh) * w + ws.start + a % wh
            else:
                div = (min(h0 + k, h + p) - h0) * (min(w0 + k, w + p) - w0)
                y[:, :, oh, ow] = win.sum(axis=2) / div
    return y, arg


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s,p,ceil_mode", [(2, 2, 0, False), (3, 2, 1, True), (3, 1, 1, False)])
def test_pool2d(kind, k, s, p, ceil_mode):
    x = RNG.standard_normal((2, 3, 7, 8)).astype(F32)
    y, arg = NB.fast_path("pool2d_forward")(x, kind, k, s, p, ceil_mode)
    ry, rarg = ref_pool(x.astype(np.float64), kind, k, s, p, ceil_mode)
    _close(y, ry)
    if kind == "max":
        assert np.array_equal(arg, rarg)
    else:
        assert arg is None
    dy = RNG.standard_normal(y.shape).astype(F32)
    dx = NB.fast_path("pool2d_backward")(dy, x, arg, kind, k, s, p, ceil_mode)
    # adjoint check: <pool(x + t e), dy> is linear for avg / piecewise for max
    rdx = np.zeros(x.shape)
    if kind == "max":
        for idx in np.ndindex(y.shape):
            n, c = idx[:2]
            a = rarg[idx]
            rdx[n, c, a // x.shape[3], a % x.shape[3]] += dy[idx]
    else:
        for idx in np.ndindex(x.shape):
            e = np.zeros(x.shape)
            e[idx] = 1
            rdx[idx] = np.sum(ref_pool(e, kind, k, s, p, ceil_mode)[0] * dy)
    _close(dx, rdx)


def test_maxpool_2x2_kernel_matches_general_kernel():
    """The 2x2/stride-2 kernel picks the same value and index as the general one on
    ties, NaNs (first NaN wins), -inf, and with a ragged last row and column."""
    from nigiri.backends.numba import pool

    x = RNG.integers(-2, 3, (3, 4, 9, 7)).astype(F32)  # many ties
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan
    x[1, 1, 2:4, 2:4] = -np.inf
    x[2, 3, 5, 5] = np.nan
    y2, a2 = pool.pool2d_forward(x, "max", 2, 2)
    y, a = np.empty_like(y2), np.empty_like(a2)
    pool._maxpool(x, 2, 2, 2, 2, 0, 0, y, a)
    assert np.array_equal(y, y2, equal_nan=True) and np.array_equal(a, a2)
    assert np.isnan(y2[0, 0, 0, 0]) and a2[0, 0, 0, 0] == 1 and y2[1, 1, 1, 1] == -np.inf


def test_softmax_logsumexp_xent():
    x = (RNG.standard_normal((33, 10)) * 5).astype(F32)
    x[3, 4] = -np.inf
    ref = np.exp(x - x.max(1, keepdims=True))
    ref /= ref.sum(1, keepdims=True)
    _close(NB.fast_path("softmax")(x, -1), ref, 1e-5, 1e-7)
    _close(NB.fast_path("softmax")(x.T, 0), ref.T, 1e-5, 1e-7)
    x64 = x.astype(np.float64)
    lse = np.log(np.exp(x64).sum(1))
    _close(NB.fast_path("logsumexp")(x, 1), lse, 1e-6)
    _close(NB.fast_path("logsumexp")(x.T, 0, True), lse[None], 1e-6)
    labels = RNG.integers(0, 10, 33)
    labels[5] = -100
    loss, probs = NB.fast_path("softmax_xent_forward")(x, labels, -100)
    rl = lse - x64[np.arange(33), np.where(labels < 0, 0, labels)]
    rl[5] = 0
    _close(loss, rl, 1e-5, 1e-5)
    _close(probs, ref, 1e-5, 1e-7)
    dloss = RNG.standard_normal(33).astype(F32)
    d = NB.fast_path("softmax_xent_backward")(probs, labels, dloss, -100)
    rd = ref.astype(np.float64).copy()
    rd[np.arange(33), np.where(labels < 0, 0, labels)] -= 1
    rd *= dloss[:, None]
    rd[5] = 0
    _close(d, rd, 1e-5, 1e-6)
    with pytest.raises(IndexError):
        NB.fast_path("softmax_xent_forward")(x, np.full(33, 10), -100)


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5, 2)])
def test_batchnorm(shape):
    x = (RNG.standard_normal(shape) * 2 + 1).astype(F32)
    c = shape[1]
    gamma, beta = RNG.standard_normal(c).astype(F32), RNG.standard_normal(c).astype(F32)
    rm, rv = np.zeros(c, F32), np.ones(c, F32)
    y, mean, invstd = NB.fast_path("batchnorm_forward")(x, gamma, beta, rm, rv, 0.1, 1e-5, True)
    axes = (0,) + tuple(range(2, len(shape)))
    x64 = x.astype(np.float64)
    mu, var = x64.mean(axes), x64.var(axes)
    bshape = (1, c) + (1,) * (len(shape) - 2)
    xh = (x64 - mu.reshape(bshape)) / np.sqrt(var.reshape(bshape) + 1e-5)
    _close(y, xh * gamma.reshape(bshape) + beta.reshape(bshape), 1e-5, 1e-5)
    _close(mean, mu)
    _close(invstd, 1 / np.sqrt(var + 1e-5))
    cnt = x.size // c
    _close(rm, 0.1 * mu)
    _close(rv, 0.9 + 0.1 * var * cnt / (cnt - 1))
    dy = RNG.standard_normal(shape).astype(F32)
    dx, dg, db = NB.fast_path("batchnorm_backward")(dy, x, gamma, mean, invstd)
    dy64 = dy.astype(np.float64)
    rdb = dy64.sum(axes)
    rdg = (dy64 * xh).sum(axes)
    rdx = (gamma.reshape(bshape) / np.sqrt(var.reshape(bshape) + 1e-5) / cnt) * (
        cnt * dy64 - rdb.reshape(bshape) - xh * rdg.reshape(bshape))
    _close(dx, rdx, 1e-4, 1e-5)
    _close(dg, rdg, 1e-4, 1e-5)
    _close(db, rdb, 1e-4, 1e-5)
    y2, m2, _ = NB.fast_path("batchnorm_forward")(x, gamma, beta, rm, rv, 0.1, 1e-5, False)
    _close(m2, rm)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_update(nesterov):
    p = RNG.standard_normal(1000).astype(F32)
    g = RNG.standard_normal(1000).astype(F32)
    v = RNG.standard_normal(1000).astype(F32)
    rp, rv = p.astype(np.float64), v.astype(np.float64)
    NB.fast_path("sgd_update")(p, g, v, 0.1, 0.9, 1e-2, nesterov)
    d = g + 1e-2 * rp
    rv = 0.9 * rv + d
    rp = rp - 0.1 * (d + 0.9 * rv if nesterov else rv)
    _close(v, rv)
    _close(p, rp)
    q = RNG.standard_normal(10).astype(F32)
    rq = q - 0.5 * (q + 0.0 * q)
    NB.fast_path("sgd_update")(q, q.copy(), None, 0.5)
    _close(q, rq)
    with pytest.raises(ValueError, match="C-contiguous"):
        NB.fast_path("sgd_update")(p[::2], g[::2], v[::2], 0.1, 0.9)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_update(decoupled):
    p = RNG.standard_normal(500).astype(F32)
    g = RNG.standard_normal(500).astype(F32)
    m, v = np.zeros(500, F32), np.zeros(500, F32)
    rp, rm, rv = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    for step in (1, 2, 3):
        NB.fast_path("adam_update")(p, g, m, v, 1e-2, 0.9, 0.999, 1e-8, 0.1, decoupled, step)
        gg = g.astype(np.float64)
        if decoupled:
            rp = rp * (1 - 1e-2 * 0.1)
        else:
            gg = gg + 0.1 * rp
        rm = 0.9 * rm + 0.1 * gg
        rv = 0.999 * rv + 0.001 * gg * gg
        rp = rp - 1e-2 * (rm / (1 - 0.9 ** step)) / (np.sqrt(rv / (1 - 0.999 ** step)) + 1e-8)
    _close(p, rp, 1e-5, 1e-6)
    _close(m, rm, 1e-5, 1e-6)


def test_chain5_and_capabilities():
    x = RNG.standard_normal((50, 40)).astype(F32)
    y = RNG.standard_normal((50, 40)).astype(F32)
    got = NB.fast_path("chain5")(x, y, 0.5, 0.25)
    t = (x.astype(np.float64) * 0.5 + y) - 0.25
    _close(got, np.log(np.exp(-t * t) + 0.5), 1e-6, 1e-6)
    assert {"conv2d_forward", "softmax", "adam_update"} <= NB.capabilities.fast_paths


def test_xent_ignore_index_none():
    x = RNG.standard_normal((4, 3)).astype(F32)
    labels = np.array([0, 2, 1, 2])
    loss, probs = NB.fast_path("softmax_xent_forward")(x, labels, None)
    x64 = x.astype(np.float64)
    ref = np.log(np.exp(x64).sum(1)) - x64[np.arange(4), labels]
    _close(loss, ref, 1e-5, 1e-5)
    d = NB.fast_path("softmax_xent_backward")(probs, labels, np.ones(4, F32), None)
    assert np.all(d[np.arange(4), labels] < 0)


def test_without_scipy_the_conv_fast_paths_are_not_registered(monkeypatch):
    from nigiri.backends.numba import blas_threads, matmul, nn_fast_paths

    class Recorder:
        def __init__(self):
            self.names = []

        def register_fast_path(self, name, fn):
            self.names.append(name)

    monkeypatch.setattr(matmul, "_HAVE_BLAS", False)
    rec = Recorder()
    assert "conv2d_forward" not in nn_fast_paths.register_all(rec)
    assert "conv2d_backward" not in rec.names and "pool2d_forward" in rec.names
    # and without threadpoolctl the BLAS guard is a no-op rather than an error
    guard = blas_threads._OneBlasThread()
    monkeypatch.setitem(__import__("sys").modules, "threadpoolctl", None)
    with guard:
        pass
    assert guard._libs == []
