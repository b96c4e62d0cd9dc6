"""JSON networks: parsing, DAG checks, shape inference, Sukiyaki2 files, the zoo."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

import nigiri as ng
from nigiri.nn import Network
from nigiri.nn.zoo import zoo_names

TINY = [
    {"type": "data", "name": "data", "outputs": ["data", "label"], "params": {"shape": [1, 6, 6]}},
    {"type": "convolution_2d", "name": "conv", "inputs": ["data"], "outputs": ["conv"],
     "params": {"out_channels": 2, "kernel_size": 3}},
    {"type": "relu", "name": "relu", "inputs": ["conv"], "outputs": ["relu"]},
    {"type": "linear", "name": "fc", "inputs": ["relu"], "outputs": ["fc"], "params": {"out_features": 3}},
    {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc", "label"], "outputs": ["loss"]},
]


def _with(changes) -> list:
    net = copy.deepcopy(TINY)
    changes(net)
    return net


@pytest.mark.parametrize("mutate, match", [
    (lambda n: n[1].update(type="convolution_3d"), r"layer 'conv': type: unknown layer type 'convolution_3d'"),
    (lambda n: n[2].update(inputs=["nope"]), r"layer 'relu': inputs: blob 'nope' is not produced"),
    (lambda n: n[1]["params"].update(kernel=3), r"layer 'conv' \(convolution_2d\): params.kernel: duplicates params.kernel_size"),
    (lambda n: n[1]["params"].update(strid=2), r"layer 'conv' \(convolution_2d\): params.strid: unknown parameter"),
    (lambda n: n[1]["params"].update(stride="2"), r"params.stride: expected a non-negative integer"),
    (lambda n: n[1]["params"].pop("out_channels"), r"params.out_channels: required parameter is missing"),
    (lambda n: n[1]["params"].update(kernel_size=9), r"layer 'conv' .*params.kernel_size: kernel \[9, 9\].*does not fit"),
    (lambda n: n[1]["params"].update(in_channels=3), r"params.in_channels: is 3 but the input 'data' has 1 channels"),
    (lambda n: n[3]["params"].update(in_features=7), r"layer 'fc' .*params.in_features: is 7 but the input 'relu' has 32"),
    (lambda n: n[1].update(inputs=["relu"]), r"cycle in the train phase through layers \['conv', 'relu', 'fc', 'loss'\]"),
    (lambda n: n[2].update(name="conv"), r"layer 'conv': name: used twice"),
    (lambda n: n[2].update(outputs=["conv"]), r"blob 'conv' is already produced by layer 'conv'"),
    (lambda n: n[2].update(phase="validation"), r"layer 'relu': phase: expected 'train', 'test'"),
    (lambda n: n[2].update(colour="red"), r"layer 'relu': unknown field\(s\) \['colour'\]"),
    (lambda n: n[2].pop("name"), r"layer #2: name: required"),
    (lambda n: n.pop(0), r"network has no data layer in the train phase"),
    (lambda n: n[1]["params"].update(weight_init={"type": "normal", "sd": 1}), r"params.weight_init: initializer 'normal' has no option 'sd'"),
    (lambda n: n[4].update(inputs=["fc", "relu"]), r"layer 'loss' .*labels 'relu' must have shape \(1,\)"),
    (lambda n: n[4].update(inputs=["fc"]), r"layer 'loss' \(softmax_cross_entropy\): inputs: expected 2 blob names, got 1"),
])
def test_bad_definitions_name_layer_and_field(mutate, match) -> None:
    with pytest.raises(ValueError, match=match):
        Network.from_json(_with(mutate))


def test_add_shape_mismatch() -> None:
    net = _with(lambda n: n.insert(3, {"type": "add", "name": "sum", "inputs": ["relu", "data"],
                                       "outputs": ["sum"]}))
    with pytest.raises(ValueError, match=r"layer 'sum' \(add\): inputs: 'data' has shape \(1, 1, 6, 6\) "
                                         r"but 'relu' has \(1, 2, 4, 4\)"):
        Network.from_json(net)


def test_json_text_file_and_top_level_errors(tmp_path: Path) -> None:
    p = tmp_path / "tiny.json"
    p.write_text(json.dumps(TINY))
    net = Network.from_json(p)
    assert net.name == "tiny" and net.output == "fc"
    assert Network.from_json(json.dumps({"name": "t", "layers": TINY})).name == "t"
    (tmp_path / "bad.json").write_text("[{")
    with pytest.raises(ValueError, match="bad.json: not valid JSON"):
        Network.from_json(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="unknown key"):
        Network.from_json({"layers": TINY, "optimizer": "sgd"})
    with pytest.raises(ValueError, match="neither a JSON file nor a zoo network"):
        Network.from_json("lenet5")
    with pytest.raises(FileNotFoundError):
        Network.from_json(tmp_path / "missing.json")


def test_loading_never_evaluates_code(tmp_path: Path) -> None:
    evil = _with(lambda n: n[1].update(type="__import__('os').system('touch pwned')"))
    with pytest.raises(ValueError, match="unknown layer type"):
        Network.from_json(evil)
    evil = _with(lambda n: n[1]["params"].update(out_channels="__import__('os')"))
    with pytest.raises(ValueError, match="expected a positive integer"):
        Network.from_json(evil)


def test_forward_backward_shapes_and_summary() -> None:
    net = Network.from_json(TINY, batch_size=4)
    x = ng.asarray(np.random.default_rng(0).random((4, 1, 6, 6)).astype(np.float32))
    y = ng.asarray(np.array([0, 1, 2, 1]))
    blobs = net.forward((x, y))
    assert blobs["fc"].shape == (4, 3) and blobs["loss"].shape == ()
    grads = net.backward()
    assert set(grads) == set(net.params()) == {"conv.weight", "conv.bias", "fc.weight", "fc.bias"}
    assert all(grads[k].shape == v.shape for k, v in net.params().items())
    text = net.summary()
    assert "(N, 2, 4, 4)" in text and "fc" in text and "119 trainable parameters" in text
    scores = net.forward((x,), phase="test", until=net.output)[net.output]
    assert scores.shape == (4, 3)
    with pytest.raises(ValueError, match="blob 'label' was not fed"):
        net.forward((x,), phase="test")


def test_dag_branches_merge_and_fanout_gradients() -> None:
    # one blob feeding two layers directly, merged by add: its gradient is the sum
    net = Network.from_json([
        {"type": "data", "name": "d", "outputs": ["x", "t"], "params": {"shape": [3], "label_shape": [3]}},
        {"type": "linear", "name": "a", "inputs": ["x"], "params": {"out_features": 3}},
        {"type": "tanh", "name": "p", "inputs": ["a"]},
        {"type": "sigmoid", "name": "q", "inputs": ["a"]},
        {"type": "add", "name": "s", "inputs": ["p", "q"]},
        {"type": "loss", "name": "l", "inputs": ["s", "t"]},
    ], batch_size=2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3))
    t = rng.standard_normal((2, 3))
    w = ng.to_numpy(net.params()["a.weight"]).astype(np.float64)
    b = ng.to_numpy(net.params()["a.bias"]).astype(np.float64)

    def loss(w):
        a = x @ w.T + b
        return np.mean((np.tanh(a) + 1 / (1 + np.exp(-a)) - t) ** 2)

    net.forward((ng.asarray(x.astype(np.float32)), ng.asarray(t.astype(np.float32))))
    g = ng.to_numpy(net.backward()["a.weight"])
    num = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[i] = 1e-6
        num[i] = (loss(w + e) - loss(w - e)) / 2e-6
    np.testing.assert_allclose(g, num, rtol=1e-3, atol=1e-5)


SUKIYAKI = [  # the paper's Sukiyaki2 format: HWC data shapes, train/test data layers
    {"name": "d_train", "type": "blob_data", "params": {"file_prefix": "mnist_train",
     "data_shape": [28, 28, 1], "data_klass": "uint8"}, "inputs": ["batch"],
     "outputs": ["rawdata", "label"], "phase": ["train"]},
    {"name": "d_test", "type": "blob_data", "params": {"file_prefix": "mnist_test",
     "data_shape": [28, 28, 1], "data_klass": "uint8"}, "inputs": ["batch"],
     "outputs": ["rawdata", "label"], "phase": ["test"]},
    {"name": "aug_train", "type": "data_augmentation", "params": {"out_shape": [24, 24],
     "scale": 0.00390625, "random_crop": True, "random_flip": False, "input_klass": "uint8"},
     "inputs": ["rawdata"], "outputs": ["data"], "phase": ["train"]},
    {"name": "aug_test", "type": "data_augmentation", "params": {"out_shape": [24, 24],
     "scale": 0.00390625, "random_crop": False, "random_flip": False, "input_klass": "uint8"},
     "inputs": ["rawdata"], "outputs": ["data"], "phase": ["test"]},
    {"name": "conv1", "type": "convolution_2d", "params": {"in_size": 1, "out_size": 4, "ksize": 5,
     "stride": 1, "pad": 0}, "inputs": ["data"], "outputs": ["conv1"]},
    {"name": "bn1", "type": "batch_normalization", "params": {"in_size": 4, "target_dim": 3},
     "inputs": ["conv1"], "outputs": ["bn1"]},
    {"name": "pool1", "type": "pooling_2d", "params": {"type": "max", "ksize": 2, "stride": 2, "pad": 0},
     "inputs": ["bn1"], "outputs": ["pool1"]},
    {"name": "br", "type": "branch", "params": {"n_output": 2}, "inputs": ["pool1"],
     "outputs": ["b1", "b2"]},
    {"name": "r", "type": "relu", "params": {}, "inputs": ["b2"], "outputs": ["r"]},
    {"name": "sum", "type": "plus", "params": {"n_input": 2}, "inputs": ["b1", "r"], "outputs": ["sum"]},
    {"name": "fc3", "type": "linear", "params": {"in_shape": [10, 10, 4], "out_size": 10},
     "inputs": ["sum"], "outputs": ["pred"]},
    {"name": "l", "type": "softmax_cross_entropy", "params": {}, "inputs": ["pred", "label"],
     "outputs": ["loss"]},
    {"name": "a", "type": "accuracy", "params": {}, "inputs": ["pred", "label"],
     "outputs": ["accuracy"], "phase": ["test"]},
]


def test_sukiyaki2_network_reads_as_written() -> None:
    net = Network.from_json(SUKIYAKI, batch_size=3)
    assert [ly.name for ly in net.plans["train"].order][:2] == ["d_train", "aug_train"]
    assert net.plans["test"].shapes["data"] == (3, 1, 24, 24)
    rng = np.random.default_rng(0)
    x = ng.asarray(rng.integers(0, 256, (3, 28, 28), dtype=np.uint8))
    y = ng.asarray(np.array([1, 2, 3]))
    out = net.forward((x, y), phase="train")
    assert out["data"].shape == (3, 1, 24, 24) and float(ng.max(out["data"])) <= 1.0
    net.backward()
    assert set(net.grads) == {"conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                              "fc3.weight", "fc3.bias"}
    test = net.forward((x, y), phase="test")
    assert 0.0 <= float(test["accuracy"]) <= 1.0
    # test phase: center crop, deterministic
    again = net.forward((x, y), phase="test")
    np.testing.assert_array_equal(ng.to_numpy(test["data"]), ng.to_numpy(again["data"]))
    np.testing.assert_array_equal(ng.to_numpy(test["data"])[0, 0] * 256,
                                  ng.to_numpy(x)[0, 2:26, 2:26].astype(np.float32))


def test_data_augmentation_is_seeded_and_train_only() -> None:
    spec = [{"type": "data", "name": "d", "outputs": ["x"], "params": {"shape": [1, 4, 4]}},
            {"type": "data_augmentation", "name": "aug", "inputs": ["x"],
             "params": {"padding": 1, "random_flip": True}}]
    x = ng.asarray(np.arange(2 * 16, dtype=np.float32).reshape(2, 1, 4, 4))
    a = Network.from_json(spec, seed=3).forward((x,))["aug"]
    b = Network.from_json(spec, seed=3).forward((x,))["aug"]
    np.testing.assert_array_equal(ng.to_numpy(a), ng.to_numpy(b))
    net = Network.from_json(spec, seed=3)
    outs = {ng.to_numpy(net.forward((x,))["aug"]).tobytes() for _ in range(6)}
    assert len(outs) > 1  # the stream advances
    ref = np.pad(ng.to_numpy(x), ((0, 0), (0, 0), (1, 1), (1, 1)))
    got = ng.to_numpy(a)
    for i in range(2):  # each sample is a 4x4 window of the padded input, maybe mirrored
        windows = [ref[i, 0, r:r + 4, c:c + 4] for r in range(3) for c in range(3)]
        assert any(np.array_equal(got[i, 0], w) or np.array_equal(got[i, 0], w[:, ::-1])
                   for w in windows)
    np.testing.assert_array_equal(ng.to_numpy(net.forward((x,), phase="test")["aug"]), ng.to_numpy(x))


# ------------------------------------------------------------------ zoo
FULL_OUT = {"lenet": (10,), "vgg16": (1000,), "resnet18": (1000,), "resnet50": (1000,),
            "resnet152": (1000,)}
PARAMS = {"lenet": 431_080, "vgg16": 138_357_544, "resnet18": 11_689_512,
          "resnet50": 25_557_032, "resnet152": 60_192_808}


def test_zoo_lists_the_issue_networks() -> None:
    assert set(zoo_names()) >= set(FULL_OUT)


@pytest.mark.parametrize("name", sorted(FULL_OUT))
def test_zoo_shape_inference_full_size(name: str) -> None:
    net = Network.from_json(name, batch_size=2, weights=False)  # no memory for 138M weights
    shapes = net.shapes("test")
    assert shapes[net.output] == (2,) + FULL_OUT[name]
    count = sum(int(np.prod(s[0])) for ly in net.layers for s in ly.weight_specs.values())
    assert count == PARAMS[name]
    assert f"{PARAMS[name]:,} trainable parameters" in net.summary()
    if name.startswith("resnet"):
        assert shapes["pool1"] == (2, 64, 56, 56)
        assert shapes["pool5"] == (2, 2048 if name != "resnet18" else 512)


@pytest.mark.parametrize("name, shape", [("lenet", None), ("vgg16", (3, 32, 32)),
                                         ("resnet18", (3, 32, 32)), ("resnet50", (3, 32, 32)),
                                         pytest.param("resnet152", (3, 32, 32), marks=pytest.mark.slow)])
def test_zoo_forward_small(name: str, shape) -> None:
    net = Network.from_json(name, input_shape=shape, batch_size=2)
    s = shape or (1, 28, 28)
    x = ng.asarray(np.random.default_rng(0).integers(0, 256, (2,) + tuple(s), dtype=np.uint8))
    y = ng.asarray(np.array([1, 7]))
    blobs = net.forward((x, y), phase="test")
    out = ng.to_numpy(blobs[net.output])
    assert out.shape == (2,) + FULL_OUT[name] and np.isfinite(out).all()
    assert np.isfinite(float(blobs["loss"]))


def test_custom_layer_registered_by_type_name() -> None:
    from nigiri.nn.layers import Layer, Spec, register_layer
    from nigiri.nn.layers.base import _REGISTRY

    @register_layer
    class Scale(Layer):
        type_name = "test_scale"
        PARAMS = {"factor": Spec("float", 2.0)}

        def setup(self, in_shapes):
            return [in_shapes[0]]

        def forward(self, xs, ctx):
            return [xs[0] * self.cfg["factor"]]

        def backward(self, dys, ctx):
            return [dys[0] * self.cfg["factor"]]

    try:
        net = Network.from_json(_with(lambda n: n.insert(3, {"type": "test_scale", "name": "s",
                                                              "inputs": ["relu"], "outputs": ["relu_s"],
                                                              "params": {"factor": 3.0}})
                                      or n[4].update(inputs=["relu_s"])))
        x = ng.asarray(np.ones((1, 1, 6, 6), np.float32))
        blobs = net.forward((x, ng.asarray(np.array([1]))))
        np.testing.assert_allclose(ng.to_numpy(blobs["relu_s"]), 3 * ng.to_numpy(blobs["relu"]))
        net.backward()
        with pytest.raises(ValueError, match="already registered"):
            @register_layer
            class Other(Scale):
                pass
    finally:
        _REGISTRY.pop("test_scale", None)
