"""The IDX file format of MNIST (LeCun et al.), raw or gzip-compressed.

Layout: two zero bytes, a type code, the number of dimensions ``d``, then ``d``
big-endian uint32 sizes, then the data in big-endian C order. NumPy does the parsing;
no library reads IDX with the checks we want (magic, type, exact size), so this module
is short hand-written code.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from ..._atomic import atomic_write_bytes

__all__ = ["read_idx", "write_idx", "IDX_TYPES"]

#: IDX type code -> NumPy dtype (big-endian where the width exceeds one byte)
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("=") if dt.itemsize > 1 else dt: code for code, dt in IDX_TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file {path} does not exist") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt gzip data ({exc})") from None
    return raw


def read_idx(path: str | os.PathLike[str], *, ndim: int | None = None,
             dtype: np.dtype | str | None = None) -> np.ndarray:
    """Read an IDX file (raw or gzip, detected from the content) into a NumPy array.

    ``ndim`` and ``dtype``, when given, are checked against the header. Malformed
    files raise ``ValueError`` naming the file and the problem.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: bad IDX magic {data[:4].hex()} (must start with 0000)")
    code, nd = data[2], data[3]
    if code not in IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x} "
                         f"(expected one of {', '.join(f'0x{c:02x}' for c in IDX_TYPES)})")
    if ndim is not None and nd != ndim:
        raise ValueError(f"{path}: expected an IDX file of {ndim} dimensions, got {nd}")
    header = 4 + 4 * nd
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, need {header})")
    shape = tuple(int(v) for v in np.frombuffer(data, ">u4", count=nd, offset=4))
    file_dtype = IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * file_dtype.itemsize
    body = len(data) - header
    if body != expected:
        raise ValueError(f"{path}: IDX header says shape {shape} of {file_dtype.name} "
                         f"({expected} data bytes) but the file holds {body}")
    if dtype is not None and np.dtype(dtype) != file_dtype.newbyteorder("="):
        raise ValueError(f"{path}: expected IDX data of {np.dtype(dtype).name}, "
                         f"got {file_dtype.name}")
    array = np.frombuffer(data, file_dtype, offset=header).reshape(shape)
    return array.astype(file_dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike[str], array: np.ndarray, *,
              compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, atomically; gzip when ``compress`` is True or,
    by default, when the name ends in ``.gz`` (written with mtime 0: reproducible)."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=") if array.dtype.itemsize > 1 else array.dtype
    if native not in _CODES:
        raise TypeError(f"write_idx: dtype {array.dtype.name} has no IDX type code")
    if array.ndim > 255:
        raise ValueError(f"write_idx: at most 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    payload = header + np.ascontiguousarray(array, IDX_TYPES[code]).tobytes()
    path = Path(path)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        payload = gzip.compress(payload, compresslevel=9, mtime=0)
    return atomic_write_bytes(path, payload)
