"""``nigiri train / evaluate / summary`` end to end (offline MNIST subset)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nigiri.nn.cli import main

ROOT = Path(__file__).resolve().parents[2]
SMALL = {
    "name": "small",
    "recipe": {"epochs": 1, "batch_size": 100, "optimizer": "momentum", "lr": 0.05, "schedule": "cosine"},
    "layers": [
        {"type": "mnist_data", "name": "data", "outputs": ["data", "label"],
         "params": {"scale": 0.00392156862745098, "mean": 0.1307, "std": 0.3081}},
        {"type": "pooling_2d", "name": "pool", "inputs": ["data"], "params": {"mode": "avg", "kernel_size": 2}},
        {"type": "linear", "name": "fc1", "inputs": ["pool"], "params": {"out_features": 32}},
        {"type": "relu", "name": "relu", "inputs": ["fc1"]},
        {"type": "linear", "name": "fc2", "inputs": ["relu"], "params": {"out_features": 10}},
        {"type": "softmax_cross_entropy", "name": "loss", "inputs": ["fc2", "label"]},
    ],
}


@pytest.fixture()
def small_net(tmp_path: Path) -> Path:
    p = tmp_path / "small.json"
    p.write_text(json.dumps(SMALL))
    return p


def test_train_then_evaluate(small_net: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["train", str(small_net), "--epochs", "2", "--out", str(out), "--no-progress",
                 "--json"]) == 0
    text = capsys.readouterr().out
    assert "epoch 1/2" in text and "epoch 2/2" in text and "img/s" in text
    hist = json.loads(text.strip().splitlines()[-1])["history"]
    assert len(hist) == 2 and hist[1]["test_accuracy"] > 0.8
    assert sorted(p.name for p in out.glob("checkpoint-*")) == [
        "checkpoint-epoch001.safetensors", "checkpoint-epoch002.safetensors"]
    assert json.loads((out / "history.json").read_text())["network"] == "small"
    assert main(["evaluate", str(out), "--json"]) == 0  # the folder: its latest checkpoint
    lines = capsys.readouterr().out.strip().splitlines()
    res = json.loads(lines[-1])
    assert res["accuracy"] == pytest.approx(hist[1]["test_accuracy"])
    assert res["loss"] == pytest.approx(hist[1]["test_loss"], rel=1e-5)
    assert res["samples"] == 1000 and res["checkpoint"].endswith("epoch002.safetensors")
    assert main(["evaluate", str(out / "checkpoint-epoch001.safetensors"), "--split", "train"]) == 0
    assert "[train], 4,000 samples" in capsys.readouterr().out
    # resume a finished run for one more epoch
    assert main(["train", "--resume", str(out), "--epochs", "3", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "epoch 3/3" in text
    assert float(text.split(" lr ")[-1].split()[0]) > 0  # the cosine was stretched to 3 epochs
    assert (out / "checkpoint-epoch003.safetensors").is_file()


def test_summary_and_errors(small_net: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", "lenet"]) == 0
    text = capsys.readouterr().out
    assert "Caffe's MNIST LeNet" in text and "431,080 trainable parameters" in text
    assert main(["summary", "resnet18", "--input-shape", "3", "64", "64"]) == 0
    assert "(N, 512)" in capsys.readouterr().out
    assert main(["summary", "nonet"]) == 2
    assert "neither a JSON file nor a zoo network" in capsys.readouterr().err
    assert main(["train", "vgg16", "--epochs", "1", "--no-progress"]) == 2
    assert "expects inputs of shape (3, 224, 224) but mnist samples are (1, 28, 28)" in capsys.readouterr().err
    assert main(["evaluate", str(small_net)]) == 2
    assert "not a valid safetensors file" in capsys.readouterr().err


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(small_net: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nigiri.nn.cli", "train", str(small_net), "--epochs", "1000",
         "--out", str(out), "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob("checkpoint-epoch*.safetensors")):  # well inside training
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "training produced no checkpoint"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted at" in stdout and "checkpoint written to" in stdout
    saved = stdout.strip().splitlines()[-1].split("checkpoint written to ")[-1]
    assert Path(saved).is_file()


def test_train_from_an_idx_folder_with_progress_bar(small_net: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from nigiri.nn.data import write_idx

    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    for split, n in (("train", 300), ("t10k", 100)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte", rng.integers(0, 10, n).astype(np.uint8))
    out = tmp_path / "run"
    assert main(["train", str(small_net), "--data-dir", str(folder), "--out", str(out),
                 "--batch-size", "50", "--optimizer", "adamw", "--lr", "0.001",
                 "--schedule", "step", "--step-size", "1", "--accumulate", "2"]) == 0
    captured = capsys.readouterr()
    assert "300 train / 100 test" in captured.out and "adamw lr 0.001 (step), batch 50" in captured.out
    assert "epoch 1/1" in captured.err and "img_s" in captured.err  # the tqdm bar
    assert main(["evaluate", str(out), "--data-dir", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["samples"] == 100
