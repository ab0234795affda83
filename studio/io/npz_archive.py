"""The one way the studio opens an .npz a user gives it: checked before anything is inflated.

An .npz is a zip of .npy members, each with a header that declares its dtype
and shape. A crafted file can declare 10¹² floats in a few bytes, or hold a
small deflated member that inflates to gigabytes. Before `np.load` reads a
single array, every member's header is read (a few hundred bytes) and checked:
a .npy name, a plain dtype (never a pickled object), a declared size that the
member really holds and that deflate could have packed into its compressed size,
and a total that fits in the memory this process can still get.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from studio.engine.memory import available_bytes

from .errors import FileFormatError

#: deflate cannot pack more than about 1032 bytes into one; a margin for the headers
MAX_DEFLATE_RATIO = 1100
#: the share of the available memory an archive's arrays may take once inflated
MEMORY_SHARE = 0.5
_KINDS = "fiubU"  # numbers, booleans, text; never objects, bytes, complex or records


def _member_problem(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str | None, int]:
    """(what is wrong with one member or None, the bytes its array takes)."""
    name = info.filename
    if not name.endswith(".npy"):
        return f"its member {name!r} is not a .npy array", 0
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"its member {name!r} uses a compression CNN Studio does not read", 0
    try:
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, _, dtype = read_header(member)
            header = member.tell()
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, TypeError):
        return f"its member {name!r} is not a readable .npy array", 0
    array_name = name[:-len(".npy")]
    if dtype.hasobject:
        return ("holds pickled Python objects, which CNN Studio never loads (they could run "
                "code) — export the weights as plain arrays"), 0
    if dtype.kind not in _KINDS or dtype.fields is not None:
        return f"array {array_name!r} has type {dtype}, not numbers", 0
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if header + nbytes != info.file_size:
        return (f"array {array_name!r} declares shape {tuple(shape)} ({nbytes:,} bytes) but "
                f"the archive holds {max(info.file_size - header, 0):,} — the file is "
                "corrupt"), 0
    if info.file_size > MAX_DEFLATE_RATIO * max(info.compress_size, 1):
        return (f"array {array_name!r} claims {info.file_size:,} bytes packed into "
                f"{info.compress_size:,}, more than compression allows — the file is "
                "corrupt"), 0
    return None, nbytes


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of the archive at `path`; each problem is one `FileFormatError` sentence
    naming the file."""
    path = Path(path)
    try:
        if not path.is_file():  # a FIFO or device would block the reader
            raise FileFormatError(f"{path}: " + ("file not found" if not path.exists() else
                                                 "is a folder, not a file" if path.is_dir()
                                                 else "is not a regular file"))
        with open(path, "rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
    except OSError as error:
        raise FileFormatError(f"{path}: cannot be read ({error.strerror})") from None
    if not is_zip:  # np.load would try to unpickle it
        raise FileFormatError(f"{path}: not a .npz archive — choose weights saved by CNN Studio")
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                problem, nbytes = _member_problem(archive, info)
                if problem:
                    raise FileFormatError(f"{path}: {problem}")
                total += nbytes
            available = available_bytes()
            if total > MEMORY_SHARE * available:
                raise FileFormatError(f"{path}: its arrays would take {total / 1e9:.1f} GB but "
                                      f"only {available / 1e9:.1f} GB of memory is available")
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileFormatError:
        raise
    except MemoryError:  # the guard leaves room, but other programs may take it meanwhile
        raise FileFormatError(f"{path}: there is not enough memory to read it") from None
    except ValueError as error:
        raise FileFormatError(f"{path}: not a readable .npz archive ({error})") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError,
            RuntimeError):
        raise FileFormatError(f"{path}: not a readable .npz archive (corrupt or truncated)"
                              ) from None
