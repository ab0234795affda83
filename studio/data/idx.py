"""Read and write IDX files (the MNIST format), plain or gzip-compressed.

An IDX file is a 4-byte magic number (0, 0, type code, number of dimensions),
one big-endian uint32 per dimension, then the values in C order. Every way a
file can be broken gets one sentence naming the file and the problem.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from studio.io.atomic import atomic_write_bytes


class DataError(ValueError):
    """A dataset file or folder that cannot be used; the message says which and why."""


_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype: code for code, dtype in _TYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    if not raw:
        raise DataError(f"{path}: the file is empty")
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):
            raise DataError(f"{path}: the gzip data is corrupt or cut short — download the "
                            "file again") from None
    if path.suffix == ".gz":
        raise DataError(f"{path}: named .gz but is not gzip-compressed — download the file "
                        "again")
    return raw


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (uint8 for MNIST), checked against its header."""
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _TYPES:
        raise DataError(f"{path}: not an IDX file (wrong magic number "
                        f"{data[:4].hex() or 'none'}) — is it an MNIST-format file?")
    dtype, ndim = _TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataError(f"{path}: the IDX header is cut short")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    actual = len(data) - header
    if actual < expected:
        raise DataError(f"{path}: truncated — the header promises {shape[0]} items of shape "
                        f"{shape[1:]} ({expected} bytes) but only {actual} bytes follow")
    if actual > expected:
        raise DataError(f"{path}: {actual - expected} unexpected bytes after the data")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write `array` as IDX (gzip when the name ends in .gz), atomically."""
    path = Path(path)
    array = np.asarray(array)
    big_endian = array.dtype.newbyteorder(">")
    if big_endian not in _CODES:
        raise ValueError(f"IDX cannot store {array.dtype}")
    header = bytes([0, 0, _CODES[big_endian], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(big_endian).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(path, payload)
