"""MNIST IDX reading, the offline subset, the checked downloader and the DataLoader."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import nigiri as ng
from nigiri.nn.data import DataLoader, load_dataset
from nigiri.nn.data.idx import read_idx, write_idx
from nigiri.nn.data import mnist as M


# ------------------------------------------------------------------ IDX
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_roundtrip(tmp_path: Path, name: str, dtype: type) -> None:
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if np.dtype(dtype).kind == "u":
        a = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    write_idx(tmp_path / name, a)
    raw = (tmp_path / name).read_bytes()
    assert (raw[:2] == b"\x1f\x8b") == name.endswith(".gz")
    b = read_idx(tmp_path / name)
    assert b.dtype == np.dtype(dtype) and b.shape == (2, 3, 4)
    np.testing.assert_array_equal(a, b)


def _idx_bytes(code: int, shape: tuple[int, ...], body: bytes) -> bytes:
    return bytes([0, 0, code, len(shape)]) + np.asarray(shape, ">u4").tobytes() + body


@pytest.mark.parametrize("data, match", [
    (b"\x00\x00", "not an IDX file"),
    (b"\x01\x00\x08\x01" + b"\x00\x00\x00\x01" + b"\x05", "bad IDX magic"),
    (_idx_bytes(0x07, (1,), b"\x00"), "unknown IDX type code 0x07"),
    (_idx_bytes(0x08, (2, 2), b"\x00" * 3), r"shape \(2, 2\).*holds 3"),
    (_idx_bytes(0x08, (2, 2), b"\x00" * 5), "holds 5"),
    (bytes([0, 0, 8, 3]) + b"\x00\x00\x00\x02", "truncated IDX header"),
    (b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
])
def test_idx_rejects_malformed(tmp_path: Path, data: bytes, match: str) -> None:
    p = tmp_path / "bad.idx"
    p.write_bytes(data)
    with pytest.raises(ValueError, match=match) as info:
        read_idx(p)
    assert str(p) in str(info.value)


def test_idx_checks_expected_ndim_and_dtype(tmp_path: Path) -> None:
    write_idx(tmp_path / "x.idx", np.zeros((3, 4), np.uint8))
    with pytest.raises(ValueError, match="expected an IDX file of 3 dimensions, got 2"):
        read_idx(tmp_path / "x.idx", ndim=3)
    with pytest.raises(ValueError, match="expected IDX data of float32"):
        read_idx(tmp_path / "x.idx", dtype=np.float32)
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "missing.idx")


# ------------------------------------------------------------------ offline subset
def test_offline_subset() -> None:
    ds = load_dataset("mnist")
    assert ds.train_images.shape == (4000, 28, 28) and ds.train_images.dtype == np.uint8
    assert ds.test_images.shape == (1000, 28, 28)
    assert np.array_equal(np.bincount(ds.train_labels, minlength=10), np.full(10, 400))
    assert np.array_equal(np.bincount(ds.test_labels, minlength=10), np.full(10, 100))
    # shuffled, not ordered by class; real digits (ink in 0..255, mostly background)
    assert len(set(ds.train_labels[:20].tolist())) > 3
    assert ds.train_images.max() == 255 and 0.1 < ds.train_images.mean() / 255 < 0.2
    # the split is disjoint: no test image appears in the train set
    train_keys = {img.tobytes() for img in ds.train_images}
    assert sum(img.tobytes() in train_keys for img in ds.test_images) == 0
    sums = (M.OFFLINE_DIR / "SHA256SUMS.txt").read_text()
    assert sums.count("\n") == 4 and (M.OFFLINE_DIR / "README.md").read_text().count("CC BY-SA 3.0")


def test_offline_subset_corruption_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = M.copy_offline_subset(tmp_path / "sub")
    (copy / "SHA256SUMS.txt").write_text((M.OFFLINE_DIR / "SHA256SUMS.txt").read_text())
    data = bytearray((copy / "t10k-labels-idx1-ubyte.gz").read_bytes())
    data[-12] ^= 0xFF
    (copy / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(data))
    monkeypatch.setattr(M, "OFFLINE_DIR", copy)
    with pytest.raises(ValueError, match="is corrupt"):
        M.load_mnist(None, "test")


def _write_mnist_folder(folder: Path, n: int, gz: bool, dotted: bool = False) -> None:
    rng = np.random.default_rng(0)
    for split, count in (("train", n), ("t10k", n // 2)):
        imgs = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count).astype(np.uint8)
        sep = "." if dotted else "-"
        suffix = ".gz" if gz else ""
        write_idx(folder / f"{split}-images{sep}idx3-ubyte{suffix}", imgs)
        write_idx(folder / f"{split}-labels{sep}idx1-ubyte{suffix}", labels)


@pytest.mark.parametrize("gz, dotted", [(True, False), (False, False), (False, True)])
def test_load_mnist_folder(tmp_path: Path, gz: bool, dotted: bool) -> None:
    _write_mnist_folder(tmp_path, 10, gz, dotted)
    x, y = M.load_mnist(tmp_path, "train")
    assert x.shape == (10, 28, 28) and y.dtype == np.int64
    x, y = M.load_mnist(tmp_path, "test")
    assert x.shape == (5, 28, 28)


def test_load_mnist_folder_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        M.load_mnist(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="nigiri data mnist --download"):
        M.load_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(ValueError, match="4 labels for 3 images"):
        M.load_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(3, 12, np.uint8))
    with pytest.raises(ValueError, match="labels must be 0..9"):
        M.load_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 27), np.uint8))
    with pytest.raises(ValueError, match="must be 28 x 28"):
        M.load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be"):
        M.load_mnist(tmp_path, "valid")


# ------------------------------------------------------------------ downloader
class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def http_root(tmp_path: Path):
    """A local HTTP server on 127.0.0.1 serving ``tmp_path / 'www'``; yields (folder, url)."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _fixture_files(root: Path) -> dict[str, tuple[str, int]]:
    """Small MNIST-shaped gz IDX files in ``root`` and their (sha256, size) table."""
    _write_mnist_folder(root, 8, gz=True)
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size)
            for p in sorted(root.glob("*.gz"))}


def test_download_verifies_and_keeps_present(http_root, tmp_path: Path) -> None:
    root, url = http_root
    files = _fixture_files(root)
    dest = tmp_path / "dl"
    status = M.download_mnist(dest, mirrors=[url], files=files)
    assert set(status.values()) == {"downloaded"}
    for name in files:
        assert (dest / name).read_bytes() == (root / name).read_bytes()
    x, y = M.load_mnist(dest, "train")
    assert x.shape == (8, 28, 28)
    assert set(M.download_mnist(dest, mirrors=[url], files=files).values()) == {"present"}
    assert not list(dest.glob(".*part"))


def test_download_rejects_bad_checksum_and_falls_back(http_root, tmp_path: Path) -> None:
    root, url = http_root
    files = _fixture_files(root)
    bad = root / "bad"
    bad.mkdir()
    for name in files:  # a mirror serving corrupted copies of the right size
        data = bytearray((root / name).read_bytes())
        data[len(data) // 2] ^= 0x55
        (bad / name).write_bytes(bytes(data))
    dest = tmp_path / "dl"
    with pytest.raises(RuntimeError, match="does not match the published") as info:
        M.download_mnist(dest, mirrors=[url + "bad/"], files=files)
    assert "could not download" in str(info.value)
    assert not any(dest.iterdir())  # nothing half-written, nothing unverified left
    status = M.download_mnist(dest, mirrors=[url + "bad/", url + "missing/", url], files=files)
    assert set(status.values()) == {"downloaded"}


def test_download_rejects_wrong_size(http_root, tmp_path: Path) -> None:
    root, url = http_root
    files = _fixture_files(root)
    name = next(iter(files))
    files[name] = (files[name][0], files[name][1] - 1)
    with pytest.raises(RuntimeError, match="more than the expected"):
        M.download_mnist(tmp_path / "dl", mirrors=[url], files={name: files[name]})


def test_cli_data_download(http_root, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    from nigiri.nn.cli import main

    root, url = http_root
    monkeypatch.setattr(M, "MNIST_FILES", _fixture_files(root))
    dest = tmp_path / "dl"
    assert main(["data", "mnist", "--download", str(dest), "--mirror", url]) == 0
    out = capsys.readouterr().out
    assert "8 train / 4 test images" in out
    assert main(["data", "mnist", "--verify", str(dest)]) == 0
    (dest / "t10k-labels-idx1-ubyte.gz").unlink()
    assert main(["data", "mnist", "--verify", str(dest)]) == 1
    assert "missing" in capsys.readouterr().out


def test_real_mnist_digests_are_the_published_ones() -> None:
    # guards against an accidental edit of the table the downloader trusts
    assert M.MNIST_FILES == {
        "train-images-idx3-ubyte.gz": ("440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
        "train-labels-idx1-ubyte.gz": ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
        "t10k-images-idx3-ubyte.gz": ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
        "t10k-labels-idx1-ubyte.gz": ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
    }


# ------------------------------------------------------------------ loader
def _toy(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(n * 4, dtype=np.uint8).reshape(n, 2, 2)
    return x, np.arange(n) % 3


@pytest.mark.parametrize("prefetch", [0, 2])
def test_loader_batches_and_order(prefetch: int) -> None:
    x, y = _toy(10)
    dl = DataLoader(x, y, 4, prefetch=prefetch)
    batches = list(dl)
    assert [b[0].shape for b in batches] == [(4, 1, 2, 2), (4, 1, 2, 2), (2, 1, 2, 2)]
    assert batches[0][0].dtype == ng.uint8 and batches[0][1].dtype == ng.int64
    np.testing.assert_array_equal(np.concatenate([ng.to_numpy(b[1]) for b in batches]), y)
    assert len(DataLoader(x, y, 4, drop_last=True)) == 2


def test_loader_shuffle_is_seeded_per_epoch_and_resumable() -> None:
    x, y = _toy(20)
    a = DataLoader(x, y, 5, shuffle=True, seed=7)
    b = DataLoader(x, y, 5, shuffle=True, seed=7, prefetch=0)
    first = [ng.to_numpy(t[0]) for t in a]
    assert all(np.array_equal(p, ng.to_numpy(q[0])) for p, q in zip(first, b))
    covered = np.sort(np.concatenate([f.reshape(5, -1)[:, 0] for f in first]))
    np.testing.assert_array_equal(covered, np.sort(x.reshape(20, -1)[:, 0]))
    a.set_epoch(1)
    second = [ng.to_numpy(t[0]) for t in a]
    assert not all(np.array_equal(p, q) for p, q in zip(first, second))
    resumed = [ng.to_numpy(t[0]) for t in a.iterate(2)]
    assert all(np.array_equal(p, q) for p, q in zip(second[2:], resumed))
    c = DataLoader(x, y, 5, shuffle=True, seed=8)
    assert not np.array_equal(ng.to_numpy(next(iter(c))[0]), first[0])


def test_loader_prefetch_stops_early_and_reraises() -> None:
    x, y = _toy(40)
    dl = DataLoader(x, y, 2, prefetch=2)
    before = threading.active_count()
    for i, _ in enumerate(dl):
        if i == 1:
            break
    deadline = time.monotonic() + 5
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= before

    class Boom(DataLoader):
        def _host_batches(self, start: int):
            yield from super()._host_batches(start)
            raise OSError("disk vanished")

    with pytest.raises(OSError, match="disk vanished"):
        list(Boom(x, y, 8, prefetch=1))


def test_loader_validates() -> None:
    x, y = _toy(4)
    with pytest.raises(ValueError, match="4 images but 3 labels"):
        DataLoader(x, y[:3], 2)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader(x, y, 0)
    with pytest.raises(ValueError, match="labels must be a 1-d integer array"):
        DataLoader(x, y.astype(np.float32), 2)


def test_gzip_of_written_idx_is_reproducible(tmp_path: Path) -> None:
    a = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "a.gz", a)
    write_idx(tmp_path / "b.gz", a)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.gz").read_bytes())[:4] == b"\x00\x00\x08\x01"
