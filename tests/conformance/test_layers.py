"""The layer-level API, tested with a small affine layer (forward, backward, numgrad)."""

from __future__ import annotations

import pytest

import nigiri as ng
import nigiri.backends as registry
from nigiri.conformance import layers
from nigiri.conformance.layers import InputSpec, check_layer, register_layer_case

from .planted import SloppySum


def affine(arrays, grads_out):
    x, w, b = arrays["x"], arrays["w"], arrays["b"]
    y = ng.matmul(x, w) + b
    if grads_out is None:
        return y, None
    (dy,) = grads_out
    return y, {"x": ng.matmul(dy, ng.matrix_transpose(w)),
               "w": ng.matmul(ng.matrix_transpose(x), dy),
               "b": ng.sum(dy, axis=0)}


def affine_wrong_dw(arrays, grads_out):
    y, grads = affine(arrays, grads_out)
    if grads is not None:
        grads["w"] = grads["w"] * 1.001  # a subtly wrong backward
    return y, grads


def affine_relu(arrays, grads_out):
    y, _ = affine(arrays, None)
    out = ng.maximum(y, 0.0)
    if grads_out is None:
        return out, None
    dy = ng.where(y > 0, grads_out[0], ng.zeros_like(y))
    _, g = affine(arrays, [dy])
    return out, g


@pytest.fixture
def cases():
    made = []

    def reg(name, fn, **kw):
        made.append(name)
        return register_layer_case(name, fn, {"x": (5, 7), "w": (7, 3), "b": (3,)}, fan_in=7, **kw)

    yield reg
    for name in made:
        layers.unregister_layer_case(name)


def test_affine_passes_forward_backward_and_numgrad(cases):
    cases("t_affine", affine)
    res = check_layer("t_affine", "numpy")
    assert [r.case_id for r in res] == ["layer:t_affine[forward]", "layer:t_affine[backward]",
                                        "layer:t_affine[numgrad]"]
    assert all(r.status == "pass" for r in res), [r.message for r in res]


def test_affine_float64_and_relu(cases):
    cases("t_affine64", affine, dtype="float64")
    cases("t_affine_relu", affine_relu)
    for name in ("t_affine64", "t_affine_relu"):
        assert all(r.status == "pass" for r in check_layer(name)), name


def test_wrong_backward_fails_numgrad(cases):
    cases("t_affine_bad", affine_wrong_dw)
    res = {r.case_id: r for r in check_layer("t_affine_bad")}
    bad = res["layer:t_affine_bad[numgrad]"]
    assert bad.status == "fail" and "d loss / d w" in bad.message


def test_backend_bug_fails_forward_or_backward(cases):
    cases("t_affine_sum", affine)
    registry.register_backend("planted_sum", SloppySum)
    try:
        res = {r.case_id: r for r in check_layer("t_affine_sum", "planted_sum")}
    finally:
        registry.unregister_backend("planted_sum")
    assert res["layer:t_affine_sum[forward]"].status == "pass"  # no sum in the forward
    assert res["layer:t_affine_sum[backward]"].status == "fail"
    assert "gradient 'b'" in res["layer:t_affine_sum[backward]"].message


def test_registration_errors(cases):
    cases("t_dup", affine)
    with pytest.raises(ValueError, match="exists"):
        register_layer_case("t_dup", affine, {"x": (2, 2)})
    with pytest.raises(TypeError, match="callable"):
        register_layer_case("t_x", 3, {"x": (2, 2)})
    with pytest.raises(ValueError, match="unknown inputs"):
        register_layer_case("t_y", affine, {"x": (2, 2)}, wrt=["q"])
    with pytest.raises(TypeError, match="floating"):
        register_layer_case("t_z", affine, {"x": (2, 2)}, dtype="int32")


def test_labels_get_no_gradient(cases):
    spec = InputSpec((5,), dtype="int64", domain="small", grad=False)

    def pick(arrays, grads_out):
        x = arrays["x"]
        y = ng.sum(x, axis=1) + ng.astype(arrays["labels"], ng.float32)
        if grads_out is None:
            return y, None
        return y, {"x": ng.broadcast_to(ng.expand_dims(grads_out[0], axis=1), x.shape)}

    case = register_layer_case("t_labels", pick, {"x": (5, 3), "labels": spec}, fan_in=3)
    try:
        assert case.wrt == ("x",)
        assert all(r.status == "pass" for r in check_layer("t_labels"))
    finally:
        layers.unregister_layer_case("t_labels")


def test_runner_runs_layer_cases(cases):
    from nigiri.conformance.runner import run_backend

    cases("t_affine_run", affine)
    rep = run_backend("numpy", max_examples=0, pattern=r"^layer:t_affine_run")
    assert {r.case_id for r in rep.results} == {
        "layer:t_affine_run[forward]", "layer:t_affine_run[backward]", "layer:t_affine_run[numgrad]"}
    assert rep.ok


class _BuggyFastSoftmax:
    """A backend whose registered softmax fast path is wrong (composite is right)."""

    @staticmethod
    def make():
        import numpy as np

        from nigiri.backends.numpy.backend import NumpyBackend

        class Backend(NumpyBackend):
            name = "planted_fastpath"

            def __init__(self, index=0):
                super().__init__(index)

                def softmax(buf, axis):
                    e = np.exp(buf - buf.max(axis=axis, keepdims=True))
                    return e / (e.sum(axis=axis, keepdims=True) * np.float32(1.01))

                self.register_fast_path("softmax", softmax)

        return Backend


def softmax_layer(arrays, grads_out):
    x = arrays["x"]
    fp = x._be.fast_path("softmax")
    if fp is not None:
        y = type(x)._new(fp(x._buf, 1), x._be)  # fast paths take and return buffers
    else:
        e = ng.exp(x - ng.max(x, axis=1, keepdims=True))
        y = e / ng.sum(e, axis=1, keepdims=True)
    if grads_out is None:
        return y, None
    dy = grads_out[0]
    return y, {"x": y * (dy - ng.sum(dy * y, axis=1, keepdims=True))}


def test_fast_path_and_composite_both_compared():
    backend = _BuggyFastSoftmax.make()
    registry.register_backend("planted_fastpath", backend)
    register_layer_case("t_softmax", softmax_layer, {"x": InputSpec((4, 6), domain="small")},
                        fan_in=6, fast_path="softmax")
    try:
        res = {r.case_id: r for r in check_layer("t_softmax", "planted_fastpath")}
        assert res["layer:t_softmax[forward]"].status == "fail"
        assert res["layer:t_softmax[forward/composite]"].status == "pass"
        assert res["layer:t_softmax[backward/composite]"].status == "pass"
        ok = check_layer("t_softmax", "numpy")
        assert all(r.status == "pass" for r in ok) and len(ok) == 3  # no fast path on numpy
    finally:
        layers.unregister_layer_case("t_softmax")
        registry.unregister_backend("planted_fastpath")
