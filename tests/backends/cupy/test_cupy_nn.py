"""cupy backend on a CUDA device: the nn fast paths (conv2d through cuDNN and
im2col + cuBLAS, pooling, softmax cross-entropy, batch norm, optimizer updates)."""

from __future__ import annotations

import itertools
import os
import sys

import numpy as np
import pytest

import nigiri
from nigiri.backends.nn_shapes import conv_out, pool_out

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the helpers beside us
from _cupy_helpers import gpu, seeded  # noqa: E402


# ------------------------------------------------------------- nn fast paths (GPU)
def _np_conv(x, w, b, s, p, d, g):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = conv_out(h, kh, s[0], p[0], d[0]), conv_out(wd, kw, s[1], p[1], d[1])
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    y = np.zeros((n, o, ho, wo))
    og = o // g
    for gi, i, j in itertools.product(range(g), range(kh), range(kw)):
        patch = xp[:, gi * cg:(gi + 1) * cg, i * d[0]:i * d[0] + s[0] * (ho - 1) + 1:s[0],
                   j * d[1]:j * d[1] + s[1] * (wo - 1) + 1:s[1]]
        y[:, gi * og:(gi + 1) * og] += np.einsum("ncij,oc->noij", patch, w[gi * og:(gi + 1) * og, :, i, j])
    if b is not None:
        y += b[None, :, None, None]
    return y


def _np_conv_backward(x, w, dy, s, p, d, g):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    ho, wo = dy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    dxp = np.zeros_like(xp, dtype=np.float64)
    dw = np.zeros(w.shape)
    og = o // g
    for gi, i, j in itertools.product(range(g), range(kh), range(kw)):
        sl = (slice(None), slice(gi * cg, (gi + 1) * cg),
              slice(i * d[0], i * d[0] + s[0] * (ho - 1) + 1, s[0]),
              slice(j * d[1], j * d[1] + s[1] * (wo - 1) + 1, s[1]))
        dyg = dy[:, gi * og:(gi + 1) * og]
        dw[gi * og:(gi + 1) * og, :, i, j] = np.einsum("noij,ncij->oc", dyg, xp[sl])
        dxp[sl] += np.einsum("noij,oc->ncij", dyg, w[gi * og:(gi + 1) * og, :, i, j])
    return dxp[:, :, p[0]:p[0] + h, p[1]:p[1] + wd], dw, dy.sum(axis=(0, 2, 3))


_CONV_CASES = [
    # (N, C, H, W, O, kh, kw, stride, padding, dilation, groups)
    (2, 3, 9, 8, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (2, 4, 10, 11, 6, 3, 2, (2, 1), (0, 1), (1, 1), 1),
    (1, 4, 12, 12, 4, 3, 3, (1, 2), (2, 2), (2, 1), 2),
    (3, 6, 7, 7, 6, 1, 1, (1, 1), (0, 0), (1, 1), 3),
    (2, 8, 16, 16, 16, 5, 5, (2, 2), (2, 2), (1, 1), 1),
]


def _conv_impls(be):
    from nigiri.backends.cupy.nn import conv_gemm

    impls = [("registered", be.fast_path("conv2d_forward"), be.fast_path("conv2d_backward"))]
    if getattr(be, "cudnn_conv", None) is not None:
        impls.append(("im2col", lambda x, w, b, s, p, d, g: conv_gemm.forward(x, w, b, s, p, d, g),
                      lambda x, w, dy, s, p, d, g, need: conv_gemm.backward(x, w, dy, s, p, d, g, need)))
    return impls


@gpu
@pytest.mark.parametrize("case", _CONV_CASES, ids=lambda c: "x".join(map(str, c[:7])))
@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64)], ids=lambda d: d.name)
def test_conv2d_fast_paths(be, case, dtype):
    n, c, h, wd, o, kh, kw, s, p, d, g = case
    rng = seeded(12)
    x = rng.standard_normal((n, c, h, wd)).astype(dtype)
    w = rng.standard_normal((o, c // g, kh, kw)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    want = _np_conv(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), s, p, d, g)
    dy = rng.standard_normal(want.shape).astype(dtype)
    dx_w, dw_w, db_w = _np_conv_backward(x.astype(np.float64), w.astype(np.float64),
                                         dy.astype(np.float64), s, p, d, g)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for name, fwd, bwd in _conv_impls(be):
        y = be.to_host(fwd(be.from_host(x, True), be.from_host(w, True), be.from_host(b, True), s, p, d, g))
        assert y.dtype == dtype
        np.testing.assert_allclose(y, want, rtol=tol, atol=tol * 10, err_msg=f"{name} forward")
        dx, dw, db = bwd(be.from_host(x, True), be.from_host(w, True), be.from_host(dy, True),
                         s, p, d, g, (True, True, True))
        for got, ref_, label in ((dx, dx_w, "dx"), (dw, dw_w, "dw"), (db, db_w, "db")):
            np.testing.assert_allclose(be.to_host(got), ref_, rtol=tol, atol=tol * 50,
                                       err_msg=f"{name} {label}")
        only_dw = bwd(be.from_host(x, True), be.from_host(w, True), be.from_host(dy, True),
                      s, p, d, g, (False, True, False))
        assert only_dw[0] is None and only_dw[2] is None


@gpu
def test_conv2d_tf32_opt_in(be):
    fwd = be.fast_path("conv2d_forward")
    rng = seeded(13)
    x = rng.standard_normal((4, 64, 16, 16)).astype(np.float32)
    w = rng.standard_normal((64, 64, 3, 3)).astype(np.float32)
    want = _np_conv(x.astype(np.float64), w.astype(np.float64), None, (1, 1), (1, 1), (1, 1), 1)
    dx, dw = be.from_host(x, True), be.from_host(w, True)
    strict = np.abs(be.to_host(fwd(dx, dw, None, 1, 1, 1, 1)) - want).max()
    with nigiri.use(allow_tf32=True):
        loose = np.abs(be.to_host(fwd(dx, dw, None, 1, 1, 1, 1)) - want).max()
    assert strict < 2e-3, strict
    assert loose < 0.5, loose


def _np_pool(x, kind, k, s, p, ceil):
    n, c, h, w = x.shape
    ho, wo = pool_out(h, k[0], s[0], p[0], ceil), pool_out(w, k[1], s[1], p[1], ceil)
    y = np.zeros((n, c, ho, wo), x.dtype)
    arg = np.full((n, c, ho, wo), -1, np.int64)
    for oh, ow in itertools.product(range(ho), range(wo)):
        h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
        h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
        hs, ws = slice(max(h0, 0), min(h1, h)), slice(max(w0, 0), min(w1, w))
        win = x[:, :, hs, ws].reshape(n, c, -1)
        if kind == "max":
            hh, ww = np.meshgrid(np.arange(h)[hs], np.arange(w)[ws], indexing="ij")
            flat = (hh * w + ww).reshape(-1)
            pos = np.where(np.isnan(win).any(-1), np.argmax(np.isnan(win), -1), np.argmax(win, -1))
            y[:, :, oh, ow] = np.take_along_axis(win, pos[..., None], -1)[..., 0]
            arg[:, :, oh, ow] = flat[pos]
        else:
            y[:, :, oh, ow] = win.sum(-1) / ((h1 - h0) * (w1 - w0))
    return y, arg


@gpu
@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("k,s,p,ceil", [((2, 2), (2, 2), (0, 0), False), ((3, 3), (2, 2), (1, 1), False),
                                        ((3, 2), (2, 1), (1, 0), True), ((2, 2), (2, 2), (1, 1), True)])
def test_pool2d_fast_paths(be, kind, k, s, p, ceil):
    rng = seeded(14)
    x = rng.integers(0, 6, (2, 3, 7, 8)).astype(np.float32)  # ties
    x[0, 1, 2, 3] = np.nan
    want_y, want_arg = _np_pool(x, kind, k, s, p, ceil)
    fwd, bwd = be.fast_path("pool2d_forward"), be.fast_path("pool2d_backward")
    y, arg = fwd(be.from_host(x, True), kind, k, s, p, ceil)
    np.testing.assert_allclose(be.to_host(y), want_y, rtol=1e-6, equal_nan=True)
    if kind == "max":
        np.testing.assert_array_equal(be.to_host(arg), want_arg)
    else:
        assert arg is None
    dy = rng.standard_normal(want_y.shape).astype(np.float32)
    dx = be.to_host(bwd(be.from_host(dy, True), be.from_host(x, True), arg, kind, k, s, p, ceil))
    want_dx = np.zeros(x.shape)
    n, c, h, w = x.shape
    for oh, ow in itertools.product(range(want_y.shape[2]), range(want_y.shape[3])):
        if kind == "max":
            for i, j in itertools.product(range(n), range(c)):
                a = want_arg[i, j, oh, ow]
                want_dx[i, j, a // w, a % w] += dy[i, j, oh, ow]
        else:
            h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            want_dx[:, :, max(h0, 0):min(h1, h), max(w0, 0):min(w1, w)] += (
                dy[:, :, oh, ow][:, :, None, None] / ((h1 - h0) * (w1 - w0)))
    np.testing.assert_allclose(dx, want_dx, rtol=1e-5, atol=1e-5)


@gpu
@pytest.mark.parametrize("dtype", [np.dtype(np.float32), np.dtype(np.float64)], ids=lambda d: d.name)
def test_softmax_xent_fast_paths(be, dtype):
    rng = seeded(15)
    logits = (rng.standard_normal((37, 1000)) * 5).astype(dtype)
    labels = rng.integers(0, 1000, 37)
    labels[[3, 7]] = -100
    z = logits.astype(np.float64)
    m = z.max(1, keepdims=True)
    e = np.exp(z - m)
    probs = e / e.sum(1, keepdims=True)
    loss = np.log(e.sum(1)) + m[:, 0] - z[np.arange(37), np.clip(labels, 0, None)]
    loss[labels == -100] = 0
    fwd, bwd = be.fast_path("softmax_xent_forward"), be.fast_path("softmax_xent_backward")
    gl, gp = fwd(be.from_host(logits, True), be.from_host(labels, True), -100)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(be.to_host(gl), loss, rtol=tol, atol=tol)
    np.testing.assert_allclose(be.to_host(gp), probs, rtol=tol, atol=tol)
    dloss = rng.standard_normal(37).astype(dtype)
    onehot = np.zeros_like(probs)
    onehot[np.arange(37), np.clip(labels, 0, None)] = 1
    want = dloss[:, None] * (probs - onehot)
    want[labels == -100] = 0
    got = be.to_host(bwd(gp, be.from_host(labels.astype(np.int32), True), be.from_host(dloss, True), -100))
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@gpu
@pytest.mark.parametrize("shape", [(8, 5, 6, 7), (16, 9), (4, 3, 16, 20)])
def test_batchnorm_fast_paths(be, shape):
    rng = seeded(16)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    c = shape[1]
    gamma, beta = rng.standard_normal(c).astype(np.float32), rng.standard_normal(c).astype(np.float32)
    rm, rv = np.zeros(c, np.float32), np.ones(c, np.float32)
    axes = (0,) + tuple(range(2, len(shape)))
    bs = (1, c) + (1,) * (len(shape) - 2)
    x64 = x.astype(np.float64)
    mean, var = x64.mean(axes), x64.var(axes)
    invstd = 1 / np.sqrt(var + 1e-5)
    want_y = (x64 - mean.reshape(bs)) * invstd.reshape(bs) * gamma.reshape(bs) + beta.reshape(bs)
    cnt = x.size // c
    impls = [(be.fast_path("batchnorm_forward"), be.fast_path("batchnorm_backward"))]
    if getattr(be, "cudnn_bn", None) is not None:
        impls.append((be.cudnn_bn.forward, be.cudnn_bn.backward))
    for fwd, bwd in impls:
        _check_batchnorm(be, fwd, bwd, x, gamma, beta, rm, rv, mean, var, invstd, want_y, cnt,
                         axes, bs, x64, rng)


def _check_batchnorm(be, fwd, bwd, x, gamma, beta, rm, rv, mean, var, invstd, want_y, cnt,
                     axes, bs, x64, rng):
    shape = x.shape
    drm, drv = be.from_host(rm, True), be.from_host(rv, True)
    y, sm, si = fwd(be.from_host(x, True), be.from_host(gamma, True), be.from_host(beta, True),
                    drm, drv, 0.1, 1e-5, True)
    np.testing.assert_allclose(be.to_host(y), want_y, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_host(sm), mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(be.to_host(si), invstd, rtol=1e-4)
    np.testing.assert_allclose(be.to_host(drm), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(be.to_host(drv), 0.9 + 0.1 * var * cnt / (cnt - 1), rtol=1e-5)
    dy = rng.standard_normal(shape).astype(np.float32)
    dx, dg, db = bwd(be.from_host(dy, True), be.from_host(x, True), be.from_host(gamma, True), sm, si)
    xhat = (x64 - mean.reshape(bs)) * invstd.reshape(bs)
    want_db = dy.sum(axes)
    want_dg = (dy * xhat).sum(axes)
    want_dx = gamma.reshape(bs) * invstd.reshape(bs) / cnt * (
        cnt * dy - want_db.reshape(bs) - xhat * want_dg.reshape(bs))
    np.testing.assert_allclose(be.to_host(db), want_db, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(be.to_host(dg), want_dg, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(be.to_host(dx), want_dx, rtol=1e-4, atol=1e-4)
    # inference mode normalises with the running statistics
    y2, _, _ = fwd(be.from_host(x, True), be.from_host(gamma, True), be.from_host(beta, True),
                   drm, drv, 0.1, 1e-5, False)
    r_m, r_v = be.to_host(drm).astype(np.float64), be.to_host(drv).astype(np.float64)
    want2 = (x64 - r_m.reshape(bs)) / np.sqrt(r_v.reshape(bs) + 1e-5) * gamma.reshape(bs) + beta.reshape(bs)
    np.testing.assert_allclose(be.to_host(y2), want2, rtol=1e-4, atol=1e-4)


@gpu
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_update(be, nesterov):
    rng = seeded(17)
    p, g, v = (rng.standard_normal(1000).astype(np.float32) for _ in range(3))
    dp, dg, dv = (be.from_host(a, True) for a in (p, g, v))
    be.fast_path("sgd_update")(dp, dg, dv, 0.1, 0.9, 1e-4, nesterov)
    gg = g + 1e-4 * p
    v2 = 0.9 * v + gg
    p2 = p - 0.1 * (gg + 0.9 * v2 if nesterov else v2)
    np.testing.assert_allclose(be.to_host(dv), v2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(be.to_host(dp), p2, rtol=1e-6, atol=1e-6)


@gpu
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_update(be, decoupled):
    rng = seeded(18)
    p, g = (rng.standard_normal(1000).astype(np.float64) for _ in range(2))
    m, v = rng.standard_normal(1000) * 0.1, np.abs(rng.standard_normal(1000)) * 0.01
    dp, dg, dm, dv = (be.from_host(a, True) for a in (p, g, m, v))
    lr, b1, b2, eps, wd, step = 1e-3, 0.9, 0.999, 1e-8, 1e-2, 7
    be.fast_path("adam_update")(dp, dg, dm, dv, lr, b1, b2, eps, wd, decoupled, step)
    pp = p * (1 - lr * wd) if decoupled else p
    gg = g if decoupled else g + wd * p
    m2 = b1 * m + (1 - b1) * gg
    v2 = b2 * v + (1 - b2) * gg * gg
    p2 = pp - lr * (m2 / (1 - b1 ** step)) / (np.sqrt(v2 / (1 - b2 ** step)) + eps)
    np.testing.assert_allclose(be.to_host(dm), m2, rtol=1e-12)
    np.testing.assert_allclose(be.to_host(dv), v2, rtol=1e-12)
    np.testing.assert_allclose(be.to_host(dp), p2, rtol=1e-10, atol=1e-12)
