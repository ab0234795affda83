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
from typing import IO

import numpy as np

from studio.engine.memory import available_bytes
from studio.io import atomic_write_bytes


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


#: deflate packs at most about 1032 bytes into one; a gzip file can hold no more than this
MAX_GZIP_RATIO = 1100
#: the share of the memory still available that one file's array may take (reading it
#: holds the bytes and the array at once)
MEMORY_SHARE = 0.4
_TRAILING_PROBE = 1 << 20  # how far past the data to look when counting stray bytes


def _open(path: Path) -> tuple[IO[bytes], int]:
    """The file's (decompressed) byte stream and the most bytes it can hold."""
    try:
        if not path.is_file():
            raise DataError(f"{path}: " + ("is not a regular file" if path.exists()
                                           else "file not found"))
        size = path.stat().st_size
        if not size:
            raise DataError(f"{path}: the file is empty")
        with open(path, "rb") as handle:
            compressed = handle.read(2) == _GZIP_MAGIC
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    if not compressed and path.suffix == ".gz":
        raise DataError(f"{path}: named .gz but is not gzip-compressed — download the file "
                        "again")
    if compressed:
        return gzip.open(path, "rb"), size * MAX_GZIP_RATIO
    return open(path, "rb"), size


def _read(stream: IO[bytes], count: int, path: Path) -> bytes:
    try:
        return stream.read(count)
    except MemoryError:  # the guard leaves room, but other programs may take it meanwhile
        raise DataError(f"{path}: there is not enough memory to read it") from None
    except (OSError, EOFError, zlib.error):
        raise DataError(f"{path}: the gzip data is corrupt or cut short — download the "
                        "file again") from None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (uint8 for MNIST), checked against its header.

    The header's promised size is checked against what the file can hold and against
    the memory still available before the data is read (or inflated), so a crafted
    file costs a few bytes of reading, not gigabytes.
    """
    path = Path(path)
    stream, capacity = _open(path)
    with stream:
        magic = _read(stream, 4, path)
        if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES:
            raise DataError(f"{path}: not an IDX file (wrong magic number "
                            f"{magic[:4].hex() or 'none'}) — is it an MNIST-format file?")
        dtype, ndim = _TYPES[magic[2]], magic[3]
        dims = _read(stream, 4 * ndim, path)
        if ndim == 0 or len(dims) < 4 * ndim:
            raise DataError(f"{path}: the IDX header is cut short")
        shape = struct.unpack(f">{ndim}I", dims)
        expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
        promise = (f"the header promises {shape[0]} items of shape {shape[1:]} "
                   f"({expected:,} bytes)")
        if 4 + 4 * ndim + expected > capacity:
            raise DataError(f"{path}: truncated — {promise}, more than the file can hold")
        available = available_bytes()
        if expected > MEMORY_SHARE * available:
            raise DataError(f"{path}: {promise} but only {available / 1e9:.1f} GB of memory "
                            "is available")
        data = _read(stream, expected, path)
        if len(data) < expected:
            raise DataError(f"{path}: truncated — {promise} but only {len(data)} bytes follow")
        extra = len(_read(stream, _TRAILING_PROBE, path))
    if extra:
        count = f"at least {extra}" if extra == _TRAILING_PROBE else str(extra)
        raise DataError(f"{path}: {count} unexpected bytes after the data")
    try:
        array = np.frombuffer(data, dtype=dtype).reshape(shape)
    except ValueError:  # no items, but dimensions too large to describe an array
        raise DataError(f"{path}: the header declares an impossible shape {shape}") from None
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
