"""safetensors weights, atomic checkpoints, exact resume (Ctrl-C included)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pytest

import nigiri as ng
from nigiri.nn import Network
from nigiri.nn.data import DataLoader
from nigiri.nn.io import latest_checkpoint, load_checkpoint, load_weights, read_safetensors, save_weights
from nigiri.nn.optim import make_optimizer, make_schedule
from nigiri.nn.train import Trainer, evaluate, predict

NET = [
    {"type": "data", "name": "data", "outputs": ["data", "label"], "params": {"shape": [1, 6, 6], "scale": 0.01}},
    {"type": "data_augmentation", "name": "aug", "inputs": ["data"], "params": {"padding": 1, "random_flip": True}},
    {"type": "convolution_2d", "name": "c", "inputs": ["aug"], "params": {"out_channels": 3, "kernel_size": 3}},
    {"type": "batch_normalization", "name": "bn", "inputs": ["c"]},
    {"type": "relu", "name": "r", "inputs": ["bn"]},
    {"type": "dropout", "name": "drop", "inputs": ["r"], "params": {"ratio": 0.25}},
    {"type": "linear", "name": "fc", "inputs": ["drop"], "params": {"out_features": 3}},
    {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc", "label"]},
    {"type": "accuracy", "name": "acc", "inputs": ["fc", "label"], "phase": "test"},
]


def _data(n: int = 40):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (n, 6, 6), dtype=np.uint8)
    y = (x[:, :3].mean(axis=(1, 2)) > 127).astype(np.int64) + (x[:, 3:].mean(axis=(1, 2)) > 127)
    return x, y


def _trainer(epochs: int, out: Path | None, **kw) -> Trainer:
    x, y = _data()
    net = Network.from_json(NET, seed=4, batch_size=8)
    opt = make_optimizer("momentum", lr=0.1, weight_decay=1e-3,
                         schedule=make_schedule("cosine", total_steps=15))
    train = DataLoader(x, y, 8, shuffle=True, seed=9, prefetch=1)
    test = DataLoader(x[:16], y[:16], 16)
    return Trainer(net, opt, train, test, epochs=epochs, out_dir=out, progress=False, log=None,
                   record_losses=True, **kw)


def test_weights_roundtrip_and_mismatch(tmp_path: Path) -> None:
    net = Network.from_json(NET, seed=1)
    path = save_weights(net, tmp_path / "w.safetensors")
    tensors, meta = read_safetensors(path)
    assert meta["format"] == "nigiri-weights" and set(tensors) == set(net.state())
    assert "bn.running_var" in tensors and tensors["c.weight"].dtype == np.float32
    other = Network.from_json(NET, seed=2)
    load_weights(other, path)
    for k, v in net.state().items():
        np.testing.assert_array_equal(ng.to_numpy(other.state()[k]), ng.to_numpy(v))
    changed = json.loads(json.dumps(NET))
    changed[2]["params"]["out_channels"] = 4
    changed[3]["name"] = "bn2"
    changed[3]["outputs"] = ["bn"]
    with pytest.raises(ValueError) as info:
        load_weights(Network.from_json(changed), path)
    msg = str(info.value)
    assert "shape of c.weight: file (3, 1, 3, 3), network (4, 1, 3, 3)" in msg
    assert "missing bn2.weight (4,)" in msg and "unexpected bn.weight (3,)" in msg


def test_malformed_files_raise_value_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}xxxxx")
    with pytest.raises(ValueError, match="bad.safetensors: not a valid safetensors file"):
        read_safetensors(bad)
    net = Network.from_json(NET)
    w = save_weights(net, tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="not a nigiri checkpoint"):
        load_checkpoint(w)
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "nothing-here")


def test_checkpoint_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tr = _trainer(1, tmp_path)
    first = tr.save(tmp_path / "checkpoint-x.safetensors")
    before = first.read_bytes()
    import os

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        tr.save(first)
    assert first.read_bytes() == before  # the old file is untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-x.safetensors"]


def test_resume_reproduces_the_uninterrupted_run(tmp_path: Path) -> None:
    full = _trainer(3, tmp_path / "a")
    full.fit()
    ref = full.step_losses
    assert len(ref) == 15 and ref[0] != ref[5]

    # stop after epoch 1, resume from the --out folder (its latest checkpoint)
    part = _trainer(1, tmp_path / "b")
    part.fit()
    assert latest_checkpoint(tmp_path / "b").name == "checkpoint-epoch001.safetensors"
    x, y = _data()
    resumed = Trainer.resume(tmp_path / "b", DataLoader(x, y, 8, shuffle=True, seed=9),
                             DataLoader(x[:16], y[:16], 16), epochs=3, progress=False, log=None,
                             record_losses=True, out_dir=tmp_path / "b")
    resumed.fit()
    assert part.step_losses + resumed.step_losses == ref
    for k, v in full.net.state().items():
        np.testing.assert_array_equal(ng.to_numpy(resumed.net.state()[k]), ng.to_numpy(v))
    assert [h["test_accuracy"] for h in resumed.history] == [h["test_accuracy"] for h in full.history]


def test_ctrl_c_saves_mid_epoch_and_resume_continues_exactly(tmp_path: Path) -> None:
    full = _trainer(2, None)
    full.fit()

    class Interrupted(Trainer):
        def train_step(self, x, y):
            out = super().train_step(x, y)
            if self.optimizer.step_count == 7:  # in epoch 2, batch 2
                signal.raise_signal(signal.SIGINT)
            return out

    tr = _trainer(2, tmp_path)
    tr.__class__ = Interrupted
    result = tr.fit()
    assert result["interrupted"] and result["checkpoint"].name == "checkpoint-step0000007.safetensors"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    ck = load_checkpoint(tmp_path)
    assert ck.path == result["checkpoint"] and ck.trainer["epoch"] == 1 and ck.trainer["batch"] == 2
    x, y = _data()
    resumed = Trainer.resume(ck, DataLoader(x, y, 8, shuffle=True, seed=9), DataLoader(x[:16], y[:16], 16),
                             progress=False, log=None, record_losses=True)
    resumed.fit()
    assert tr.step_losses + resumed.step_losses == full.step_losses
    assert resumed.history[-1]["train_loss"] == pytest.approx(full.history[-1]["train_loss"], rel=1e-6)


def test_evaluate_and_predict() -> None:
    tr = _trainer(2, None)
    tr.fit()
    x, y = _data()
    res = evaluate(tr.net, DataLoader(x, y, 16))
    assert set(res) == {"accuracy", "loss", "samples"} and res["samples"] == 40
    scores = predict(tr.net, x, batch_size=16)
    pred = ng.to_numpy(ng.argmax(scores, axis=1))
    assert scores.shape == (40, 3)
    assert res["accuracy"] == pytest.approx(float(np.mean(pred == y)))


def test_regression_network_trains_without_accuracy() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((24, 3)).astype(np.float32)
    t = (x @ rng.standard_normal((3, 2))).astype(np.float32)
    net = Network.from_json([
        {"type": "data", "name": "d", "outputs": ["x", "t"], "params": {"shape": [3], "label_shape": [2]}},
        {"type": "linear", "name": "fc", "inputs": ["x"], "params": {"out_features": 2}},
        {"type": "loss", "name": "mse", "inputs": ["fc", "t"]},
    ])

    class Pairs(DataLoader):  # float targets instead of class labels
        def __init__(self) -> None:
            super().__init__(x, np.zeros(24, np.int64), 8, prefetch=0)

        def _host_batches(self, start: int):
            for b in range(start, 3):
                yield x[b * 8:(b + 1) * 8], t[b * 8:(b + 1) * 8]

    tr = Trainer(net, make_optimizer("adam", lr=0.05), Pairs(), Pairs(), epochs=30, progress=False, log=None)
    tr.fit()
    assert tr.history[-1]["train_accuracy"] is None and tr.history[-1]["test_accuracy"] is None
    assert tr.history[-1]["test_loss"] < 0.1 * tr.history[0]["test_loss"]
