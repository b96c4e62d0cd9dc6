"""Every layer's backward against float64 central differences (numpy backend)."""

from __future__ import annotations

import numpy as np
import pytest

from nigiri.nn.gradcheck import check_gradients, make_layer

R = np.random.default_rng(0)

CASES = [
    ("linear", {"out_features": 3}, [(2, 4)]),
    ("linear", {"out_features": 3, "bias": False}, [(2, 3, 2, 2)]),
    ("convolution_2d", {"out_channels": 3, "kernel_size": 3}, [(2, 2, 5, 5)]),
    ("convolution_2d", {"out_channels": 4, "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 2],
                        "dilation": [1, 2], "groups": 2, "bias": False}, [(2, 2, 6, 7)]),
    ("convolution_2d", {"out_channels": 2, "kernel_size": 1, "stride": 2}, [(1, 3, 5, 4)]),
    ("convolution_2d", {"out_channels": 3, "kernel_size": [2, 3], "stride": [2, 1], "padding": 1,
                        "dilation": [1, 2]}, [(2, 9, 3, 5)]),  # wide-channel unfold layout
    ("pooling_2d", {"mode": "max", "kernel_size": 2}, [(2, 2, 4, 4)]),
    ("pooling_2d", {"mode": "max", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(1, 2, 6, 6)]),
    ("pooling_2d", {"mode": "avg", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(1, 2, 6, 6)]),
    ("pooling_2d", {"mode": "avg", "kernel_size": 2, "stride": 1, "padding": 1,
                    "count_include_pad": False}, [(1, 2, 3, 4)]),
    ("global_average_pooling", {}, [(2, 3, 2, 3)]),
    ("relu", {}, [(3, 4)]),
    ("sigmoid", {}, [(3, 4)]),
    ("tanh", {}, [(2, 3, 2)]),
    ("softmax", {}, [(3, 4)]),
    ("softmax", {"axis": 0}, [(3, 4)]),
    ("batch_normalization", {}, [(4, 3, 2, 2)]),
    ("batch_normalization", {}, [(5, 3)]),
    ("flatten", {}, [(2, 3, 2, 2)]),
    ("reshape", {"shape": [2, -1]}, [(2, 3, 2, 2)]),
    ("concat", {}, [(2, 3, 2), (2, 1, 2)]),
    ("concat", {"axis": -1}, [(2, 3, 2), (2, 3, 1)]),
    ("add", {}, [(2, 3), (2, 3), (2, 3)]),
    ("plus", {"n_input": 2}, [(2, 3), (2, 3)]),
    ("loss", {}, [(4, 5), (4, 5)]),
]


@pytest.mark.parametrize("type_name, params, shapes", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_backward_matches_central_differences(type_name, params, shapes) -> None:
    layer = make_layer(type_name, params, shapes)
    xs = [R.standard_normal(s) for s in shapes]
    tol = {"rtol": 1e-4, "atol": 1e-6} if type_name == "batch_normalization" else {}
    check_gradients(layer, xs, **tol)


@pytest.mark.parametrize("ignore", [None, 1])
def test_softmax_cross_entropy_gradient(ignore) -> None:
    layer = make_layer("softmax_cross_entropy", {"ignore_label": ignore}, [(4, 5), (4,)])
    check_gradients(layer, [R.standard_normal((4, 5)) * 3, np.array([0, 3, 1, 4])], wrt_inputs=[0])


def test_batch_normalization_test_phase_gradient() -> None:
    layer = make_layer("batch_normalization", {}, [(4, 3, 2, 2)])
    check_gradients(layer, [R.standard_normal((4, 3, 2, 2))], train=False)


def test_dropout_gradient_with_fixed_stream() -> None:
    layer = make_layer("dropout", {"ratio": 0.3}, [(4, 6)])
    check_gradients(layer, [R.standard_normal((4, 6))], rng_seed=5)


def test_branch_sums_gradients() -> None:
    layer = make_layer("branch", {"n_output": 3}, [(2, 3)], n_outputs=3)
    check_gradients(layer, [R.standard_normal((2, 3))])


def test_max_pool_ties_and_nan() -> None:
    import nigiri as ng
    from nigiri.nn import functional as F

    x = ng.asarray(np.array([[[[1.0, 1.0], [0.0, 1.0]]]], np.float32))
    y, idx = F.pool2d(x, "max", (2, 2), (2, 2))
    dx = F.pool2d_backward(ng.ones_like(y), x, idx, "max", (2, 2), (2, 2))
    np.testing.assert_array_equal(ng.to_numpy(dx), [[[[1, 0], [0, 0]]]])  # first max wins
    x = ng.asarray(np.array([[[[1.0, np.nan], [0.0, 5.0]]]], np.float32))
    y, _ = F.pool2d(x, "max", (2, 2), (2, 2))
    assert np.isnan(ng.to_numpy(y)).all()


def test_max_pool_backward_after_test_phase_forward() -> None:
    layer = make_layer("pooling_2d", {"mode": "max", "kernel_size": 2}, [(1, 2, 4, 4)])
    check_gradients(layer, [R.standard_normal((1, 2, 4, 4))], train=False)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_backward_on_channel_major_input(kind: str) -> None:
    """The convolution composite returns NCHW views of (C, N, H, W) memory; pooling's
    backward then folds into that layout: same numbers as on contiguous input."""
    import nigiri as ng
    from nigiri.nn import functional as F

    x = R.standard_normal((3, 4, 6, 6)).astype(np.float32)
    dy = R.standard_normal((3, 4, 3, 3)).astype(np.float32)
    xc = ng.asarray(x)
    xt = ng.permute_dims(ng.asarray(np.ascontiguousarray(x.transpose(1, 0, 2, 3))), (1, 0, 2, 3))
    out = []
    for a in (xc, xt):
        y, idx = F.pool2d(a, kind, (2, 2), (2, 2))
        out.append((ng.to_numpy(y), ng.to_numpy(F.pool2d_backward(ng.asarray(dy), a, idx, kind, (2, 2), (2, 2)))))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
