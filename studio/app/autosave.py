"""Crash insurance: the open project is copied to the user's data folder every minute.

A clean exit removes the copy, so a copy found at start-up means the last
session ended without one — the window then offers to recover it.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import platformdirs
from PySide6.QtCore import QObject, QTimer

from studio.io import FileFormatError, Project, read_project, write_project

INTERVAL_MS = 60_000


def autosave_path() -> Path:
    return Path(platformdirs.user_data_dir("cnn-studio")) / "autosave.cnnproj"


class Autosaver(QObject):
    """Calls `snapshot()` (→ Project or None when nothing is unsaved) every minute."""

    def __init__(self, snapshot, parent: QObject | None = None):
        super().__init__(parent)
        self.snapshot = snapshot
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.save_now)
        self.timer.start()

    def save_now(self) -> None:
        project = self.snapshot()
        if project is None:
            return
        with suppress(OSError):  # insurance only: a full disk must not interrupt the work
            write_project(autosave_path(), project)

    @staticmethod
    def leftover() -> Project | None:
        """The autosaved project of a session that did not exit cleanly, if readable."""
        path = autosave_path()
        if not path.is_file():
            return None
        try:
            return read_project(path)
        except FileFormatError:
            return None

    @staticmethod
    def clear() -> None:
        for path in (autosave_path(), autosave_path().with_suffix(".npz")):
            path.unlink(missing_ok=True)
