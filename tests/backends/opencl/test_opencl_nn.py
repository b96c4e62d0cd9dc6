"""OpenCL nn fast paths against PyTorch's CPU kernels (the reference semantics the nn
composites follow) and NumPy formulas."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the nn fast-path tests compare with PyTorch")
F = torch.nn.functional
rng = np.random.default_rng(11)


def _t(a: np.ndarray):
    return torch.from_numpy(np.ascontiguousarray(a))


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 0, 1, 1), (2, 1, 1, 1),
                                                            ((1, 2), (2, 0), (2, 1), 2)])
def test_conv2d_forward_backward(be, stride, padding, dilation, groups) -> None:
    x = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    w = rng.standard_normal((6, 4 // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    fwd, bwd = be.fast_path("conv2d_forward"), be.fast_path("conv2d_backward")
    dx_, dw_, db_ = be.from_host(x, True), be.from_host(w, True), be.from_host(b, True)
    y = be.to_host(fwd(dx_, dw_, db_, stride=stride, padding=padding, dilation=dilation,
                       groups=groups))
    tx, tw, tb = (_t(v).requires_grad_() for v in (x, w, b))
    ty = F.conv2d(tx, tw, tb, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    ty.backward(_t(dy))
    gx, gw, gb = bwd(dx_, dw_, be.from_host(dy, True), stride=stride, padding=padding,
                     dilation=dilation, groups=groups, need=(True, True, True))
    np.testing.assert_allclose(be.to_host(gx), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_host(gw), tw.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_host(gb), tb.grad.numpy(), rtol=1e-4, atol=1e-4)
    none = bwd(dx_, dw_, be.from_host(dy, True), stride=stride, padding=padding,
               dilation=dilation, groups=groups, need=(False, True, False))
    assert none[0] is None and none[2] is None and none[1] is not None


def test_conv2d_bad_groups(be) -> None:
    x = be.from_host(np.zeros((1, 4, 5, 5), np.float32), True)
    w = be.from_host(np.zeros((3, 4, 3, 3), np.float32), True)
    with pytest.raises(ValueError, match="groups"):
        be.fast_path("conv2d_forward")(x, w, None, groups=2)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("ksize,stride,padding,ceil", [(2, 2, 0, False), (3, 2, 1, True),
                                                       (3, 1, 1, False), ((2, 3), (1, 2), (1, 1), True)])
def test_pool2d(be, kind, ksize, stride, padding, ceil) -> None:
    x = rng.standard_normal((2, 3, 9, 10)).astype(np.float32)
    fwd, bwd = be.fast_path("pool2d_forward"), be.fast_path("pool2d_backward")
    dxb = be.from_host(x, True)
    y, arg = fwd(dxb, kind=kind, ksize=ksize, stride=stride, padding=padding, ceil_mode=ceil)
    tx = _t(x).requires_grad_()
    if kind == "max":
        ty, ti = F.max_pool2d(tx, ksize, stride, padding, ceil_mode=ceil, return_indices=True)
        np.testing.assert_array_equal(be.to_host(arg), ti.numpy())
    else:
        ty = F.avg_pool2d(tx, ksize, stride, padding, ceil_mode=ceil, count_include_pad=True)
        assert arg is None
    np.testing.assert_allclose(be.to_host(y), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
    dy = rng.standard_normal(ty.shape).astype(np.float32)
    ty.backward(_t(dy))
    dx = bwd(be.from_host(dy, True), dxb, arg, kind=kind, ksize=ksize, stride=stride,
             padding=padding, ceil_mode=ceil)
    np.testing.assert_allclose(be.to_host(dx), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_softmax_xent(be) -> None:
    logits = (rng.standard_normal((16, 10)) * 5).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    labels[3] = -100
    fwd, bwd = be.fast_path("softmax_xent_forward"), be.fast_path("softmax_xent_backward")
    loss, probs = fwd(be.from_host(logits, True), be.from_host(labels, True), ignore_index=-100)
    tl = _t(logits).requires_grad_()
    tloss = F.cross_entropy(tl, _t(labels), reduction="none", ignore_index=-100)
    np.testing.assert_allclose(be.to_host(loss), tloss.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(be.to_host(probs), torch.softmax(_t(logits), 1).numpy(),
                               rtol=1e-5, atol=1e-7)
    dloss = rng.standard_normal(16).astype(np.float32)
    tloss.backward(_t(dloss))
    got = bwd(probs, be.from_host(labels.astype(np.int32), True), be.from_host(dloss, True),
              ignore_index=-100)
    np.testing.assert_allclose(be.to_host(got), tl.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(8, 3, 5, 4), (32, 6)])
def test_batchnorm(be, shape) -> None:
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    c = shape[1]
    gamma = rng.standard_normal(c).astype(np.float32)
    beta = rng.standard_normal(c).astype(np.float32)
    rm, rv = np.zeros(c, np.float32), np.ones(c, np.float32)
    drm, drv = be.from_host(rm, True), be.from_host(rv, True)
    fwd, bwd = be.fast_path("batchnorm_forward"), be.fast_path("batchnorm_backward")
    y, mean, invstd = fwd(be.from_host(x, True), be.from_host(gamma, True),
                          be.from_host(beta, True), drm, drv, momentum=0.1, eps=1e-5,
                          training=True)
    tx, tg, tb = (_t(v).requires_grad_() for v in (x, gamma, beta))
    trm, trv = _t(rm.copy()), _t(rv.copy())
    ty = F.batch_norm(tx, trm, trv, tg, tb, training=True, momentum=0.1, eps=1e-5)
    np.testing.assert_allclose(be.to_host(y), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(be.to_host(drm), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(be.to_host(drv), trv.numpy(), rtol=1e-5, atol=1e-6)
    dy = rng.standard_normal(shape).astype(np.float32)
    ty.backward(_t(dy))
    dx, dg, db = bwd(be.from_host(dy, True), be.from_host(x, True), be.from_host(gamma, True),
                     mean, invstd)
    np.testing.assert_allclose(be.to_host(dx), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_host(dg), tg.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_host(db), tb.grad.numpy(), rtol=1e-4, atol=1e-4)
    ye, _, _ = fwd(be.from_host(x, True), be.from_host(gamma, True), be.from_host(beta, True),
                   drm, drv, training=False, eps=1e-5)
    te = F.batch_norm(_t(x), trm, trv, _t(gamma), _t(beta), training=False, eps=1e-5)
    np.testing.assert_allclose(be.to_host(ye), te.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_update(be, nesterov) -> None:
    p = rng.standard_normal((5, 7)).astype(np.float32)
    g = rng.standard_normal((5, 7)).astype(np.float32)
    v = rng.standard_normal((5, 7)).astype(np.float32)
    dp, dv = be.from_host(p, True), be.from_host(v, True)
    be.fast_path("sgd_update")(dp, be.from_host(g, True), dv, lr=0.1, momentum=0.9,
                               weight_decay=1e-2, nesterov=nesterov)
    gg = g + 1e-2 * p
    vv = 0.9 * v + gg
    pp = p - 0.1 * (gg + 0.9 * vv if nesterov else vv)
    np.testing.assert_allclose(be.to_host(dv), vv, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(be.to_host(dp), pp, rtol=1e-6, atol=1e-6)
    # a strided parameter view is updated in place in its base
    base = be.from_host(np.zeros((5, 14), np.float32), True)
    view = be.slice_view(base, (slice(0, 5, 1), slice(0, 14, 2)))
    be.copy_into(view, be.from_host(p, True))
    be.fast_path("sgd_update")(view, be.from_host(g, True), None, lr=0.5)
    np.testing.assert_allclose(be.to_host(base)[:, ::2], p - 0.5 * g, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(be.to_host(base)[:, 1::2], 0)
