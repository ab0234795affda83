"""The error types of file input and output."""

from __future__ import annotations

import os


class FileFormatError(ValueError):
    """A file that cannot be read as what it claims to be; the message names it and says why."""


class FileWriteError(FileFormatError, OSError):
    """A file that cannot be written: the message names the user's path (never a temporary
    file). It is an `OSError` too, with the cause's `errno` and `strerror`, so code that
    already reports failed saves as `OSError` keeps working."""

    def __init__(self, path: str | os.PathLike, cause: OSError | None = None,
                 reason: str | None = None):
        if reason:  # our own finding, which says what to do
            self.reason, advice = reason, ""
        else:
            self.reason = (cause.strerror if cause else None) or str(cause)
            advice = " — choose another location or free some space"
        self.message = f"{path}: cannot be written ({self.reason}){advice}"
        super().__init__(self.message)
        self.errno = cause.errno if cause else None
        self.strerror = self.reason
        self.filename = os.fspath(path)

    def __str__(self) -> str:
        return self.message
