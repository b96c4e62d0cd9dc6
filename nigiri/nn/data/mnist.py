"""MNIST: the offline 5,000-digit subset, IDX folders, and a checked downloader.

``load_mnist()`` with no folder reads the subset shipped in ``nigiri/nn/data/mnist5k``
(4,000 train / 1,000 test; see its README for source and licence). With a folder it
reads the four standard IDX files, raw or gzip. ``download_mnist(folder)`` fetches the
full dataset from a mirror and verifies SHA-256 digests and sizes before anything is
moved into place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .idx import read_idx

__all__ = ["load_mnist", "download_mnist", "verify_mnist", "MNIST_FILES", "MNIST_MIRRORS",
           "OFFLINE_DIR", "MNIST_MEAN", "MNIST_STD"]

#: The four files of MNIST: name -> (sha256 of the .gz, size in bytes)
MNIST_FILES: dict[str, tuple[str, int]] = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
}
#: Mirrors tried in order (the original site has been unreliable)
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)
#: Folder of the offline subset shipped with nigiri
OFFLINE_DIR = Path(__file__).resolve().parent / "mnist5k"
#: Pixel mean and standard deviation of the MNIST training set (on 0..1 values)
MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

_SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
           "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_sums(folder: Path) -> dict[str, str]:
    sums = {}
    for line in (folder / "SHA256SUMS.txt").read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.strip()] = digest
    return sums


def _check_offline() -> None:
    for name, digest in _read_sums(OFFLINE_DIR).items():
        got = _sha256(OFFLINE_DIR / name)
        if got != digest:
            raise ValueError(f"offline MNIST file {OFFLINE_DIR / name} is corrupt: sha256 "
                             f"{got}, expected {digest} (reinstall nigiri)")


def _find(folder: Path, stem: str) -> Path:
    """The file for ``stem`` in ``folder``: ``stem``, ``stem.gz`` or the dotted variant
    (``train-images.idx3-ubyte``) some distributions use."""
    dotted = stem.replace("-idx", ".idx")
    for name in (stem + ".gz", stem, dotted + ".gz", dotted):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"MNIST file {stem}[.gz] not found in {folder}; fetch the dataset with "
        f"`nigiri data mnist --download {folder}` or omit --data-dir to use the offline "
        "5,000-digit subset")


def load_mnist(data_dir: str | os.PathLike[str] | None = None,
               split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, ``[N, 28, 28]``) and labels (int64, ``[N]``) of one split.

    ``data_dir=None`` reads the offline 5,000-digit subset (digests checked);
    otherwise the standard IDX files in ``data_dir`` (raw or gzip).
    """
    if split not in _SPLITS:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    if data_dir is None:
        _check_offline()
        folder = OFFLINE_DIR
    else:
        folder = Path(data_dir)
        if not folder.is_dir():
            raise FileNotFoundError(f"MNIST folder {folder} does not exist")
    img_path, lbl_path = (_find(folder, stem) for stem in _SPLITS[split])
    images = read_idx(img_path, ndim=3, dtype=np.uint8)
    labels = read_idx(lbl_path, ndim=1, dtype=np.uint8)
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{img_path}: MNIST images must be 28 x 28, got {images.shape[1:]}")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{lbl_path}: {labels.shape[0]} labels for {images.shape[0]} images "
                         f"in {img_path}")
    if labels.size and int(labels.max()) > 9:
        raise ValueError(f"{lbl_path}: MNIST labels must be 0..9, found {int(labels.max())}")
    return images, labels.astype(np.int64)


def verify_mnist(folder: str | os.PathLike[str]) -> dict[str, str]:
    """Check the four ``.gz`` files in ``folder`` against the published digests.

    Returns name -> ``ok`` / ``missing`` / ``bad checksum``.
    """
    folder = Path(folder)
    status = {}
    for name, (digest, _) in MNIST_FILES.items():
        path = folder / name
        if not path.is_file():
            status[name] = "missing"
        else:
            status[name] = "ok" if _sha256(path) == digest else "bad checksum"
    return status


def _fetch(url: str, dest: Path, digest: str, size: int, timeout: float,
           progress: Callable[[str, int, int], None] | None) -> None:
    """Download ``url`` to a temporary file beside ``dest``, verify, then rename."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        done = 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while True:
                chunk = resp.read(1 << 16)
                if not chunk:
                    break
                done += len(chunk)
                if done > size:
                    raise ValueError(f"{url}: more than the expected {size} bytes")
                h.update(chunk)
                out.write(chunk)
                if progress is not None:
                    progress(dest.name, done, size)
            out.flush()
            os.fsync(out.fileno())
        if done != size:
            raise ValueError(f"{url}: got {done} bytes, expected {size}")
        if h.hexdigest() != digest:
            raise ValueError(f"{url}: sha256 {h.hexdigest()} does not match the published "
                             f"{digest}")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def download_mnist(folder: str | os.PathLike[str], *, mirrors: Iterable[str] = MNIST_MIRRORS,
                   files: dict[str, tuple[str, int]] | None = None, force: bool = False,
                   timeout: float = 60.0,
                   progress: Callable[[str, int, int], None] | None = None) -> dict[str, str]:
    """Download MNIST's four ``.gz`` files into ``folder``, verifying each digest.

    Files already present with the right digest are kept (unless ``force``). Each file
    is tried on every mirror in turn; a wrong size or digest counts as a failure and
    leaves nothing behind. Returns name -> ``downloaded`` / ``present``. Raises
    ``RuntimeError`` listing every mirror's error when a file cannot be fetched.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = MNIST_FILES if files is None else files
    mirrors = list(mirrors)
    if not mirrors:
        raise ValueError("download_mnist: no mirrors given")
    result = {}
    for name, (digest, size) in files.items():
        dest = folder / name
        if not force and dest.is_file() and _sha256(dest) == digest:
            result[name] = "present"
            continue
        errors = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + name
            try:
                _fetch(url, dest, digest, size, timeout, progress)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                errors.append(f"{url}: {exc}")
                continue
            result[name] = "downloaded"
            break
        else:
            raise RuntimeError(f"could not download {name}:\n  " + "\n  ".join(errors))
    return result


def copy_offline_subset(folder: str | os.PathLike[str]) -> Path:
    """Copy the offline subset's IDX files into ``folder`` (for tools that want files)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in _read_sums(OFFLINE_DIR):
        shutil.copyfile(OFFLINE_DIR / name, folder / name)
    return folder
