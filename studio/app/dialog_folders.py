"""Where a file dialog starts: the folder last used for that kind of file, else Documents.

Qt's dialogs otherwise start in the current directory, which for a learner who ran
`make run` is the studio's own source checkout.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths


def start_folder(kind: str) -> Path:
    """The folder last used for `kind` ("projects", "exports", …) if it still exists,
    else the user's Documents folder (the home folder where there is none)."""
    remembered = QSettings().value(f"folders/{kind}", "")
    if remembered and Path(str(remembered)).is_dir():
        return Path(str(remembered))
    documents = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents) if documents and Path(documents).is_dir() else Path.home()


def remember_folder(kind: str, chosen: str | Path) -> None:
    """The folder of `chosen` (a file, or a folder itself) is where `kind` starts next time."""
    path = Path(chosen)
    QSettings().setValue(f"folders/{kind}", str(path if path.is_dir() else path.parent))
