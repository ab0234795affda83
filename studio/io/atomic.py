"""Atomic file writes: a temporary file in the same folder, flushed, then renamed.

A crash or kill at any moment leaves either the old file or the new one. A path
that is a symbolic link is written through the link (its target is replaced, the
link stays), and the new file gets the mode any other tool would give it: the
old file's mode, or 0666 less the umask.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import FileWriteError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _new_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path` atomically.

    `suffix` lets writers that insist on an extension (``np.savez`` adds ``.npz``)
    write to a name they accept. Every `OSError` becomes one `FileWriteError` that
    names `path`.
    """
    target = Path(os.path.realpath(path))  # through symbolic links, to what they point at
    if target.is_dir():
        raise FileWriteError(path, reason="it is a folder; give a file name")
    temporary_path = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{suffix}",
                                         dir=target.parent)
        os.close(fd)
        temporary_path = Path(temporary)
        yield temporary_path
        with open(temporary_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary_path, _new_mode(target))
        os.replace(temporary_path, target)
    except OSError as error:
        raise FileWriteError(path, error) from None
    finally:
        if temporary_path is not None:
            temporary_path.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Call `write(handle)` on a temporary binary file, then move it into place."""
    with atomic_path(path) as temporary, open(temporary, "wb") as handle:
        write(handle)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write(path, lambda handle: handle.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
