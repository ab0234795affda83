"""The open project's files: where it is saved, the recent files, the autosaved copy, the
run's checkpoint and the training timeline beside it.

No widgets: the window asks it to read and write and shows what it answers (every
problem as a sentence), so the file rules are tested without a window.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QSettings

from studio.io import (
    FileFormatError,
    Project,
    project_files,
    read_project,
    read_timeline,
    save_timeline,
    timeline_path,
    write_architecture,
    write_project,
)

from .autosave import Autosaver
from .checkpoints import Checkpoint, checkpoint_path, find_checkpoint

PROJECT_SUFFIX = ".cnnproj"
MAX_RECENT = 8


@dataclass
class Saved:
    """What a save did: the file written (None: nothing was), and sentences for the person."""

    path: Path | None
    problems: list[str]


class ProjectSession:
    """The files of the project open in one window; `snapshot()` gives the unsaved project
    (or None when nothing is unsaved) for the autosave every minute."""

    def __init__(self, settings: QSettings, snapshot: Callable[[], Project | None],
                 parent: QObject | None = None):
        self.settings = settings
        self.path: Path | None = None
        self.autosaver = Autosaver(snapshot, parent)

    # opening ------------------------------------------------------------------------
    @staticmethod
    def leftover() -> Project | None:
        """The autosaved project of a session that did not close cleanly, if any."""
        return Autosaver.leftover()

    @staticmethod
    def read(path: str | Path) -> Project:
        """The project or architecture at `path`; `FileFormatError` says what is wrong."""
        return read_project(path)

    @staticmethod
    def timeline(path: Path | None) -> tuple[tuple | None, str | None]:
        """(the training timeline saved beside the project, or None; a problem reading it)."""
        if path is None or not timeline_path(path).is_file():
            return None, None
        try:
            return read_timeline(timeline_path(path)), None
        except FileFormatError as error:
            return None, str(error)

    @staticmethod
    def checkpoint(project: Project, path: Path | None) -> Checkpoint | None:
        """The checkpoint of this project's last run, when it belongs to it."""
        return find_checkpoint(path, project.architecture, project.weights)

    def checkpoint_path(self) -> Path:
        """Where the open project's runs keep their checkpoint."""
        return checkpoint_path(self.path)

    # saving -------------------------------------------------------------------------
    @staticmethod
    def _saved_path(path: str | Path) -> Path:
        """`path`, or with .cnnproj added to a name ending in neither .json nor .cnnproj."""
        path = Path(path)
        return path if path.suffix in (".json", PROJECT_SUFFIX) else path.with_name(
            path.name + PROJECT_SUFFIX)

    def replaced_beside(self, path: str | Path, project: Project, timeline: tuple | None
                        ) -> list[Path]:
        """Files a save to `path` writes beside the one named and would replace, when they
        are not this project's own (another project's or an export's of the same name)."""
        saved = self._saved_path(path)
        if saved == self.path or saved.suffix == ".json":
            return []
        files = project_files(saved, project) + ([timeline_path(saved)] if timeline else [])
        return [file for file in files if file != Path(path) and file.exists()]

    def save(self, path: str | Path, project: Project, timeline: tuple | None = None) -> Saved:
        """A .json path gets the architecture alone; anything else the whole project (a
        name without .cnnproj gets it), with `timeline` ((snapshots, evaluations)) beside."""
        path = self._saved_path(path)
        try:
            if path.suffix == ".json":
                write_architecture(path, project.architecture)
            else:
                write_project(path, project)
        except OSError as error:
            return Saved(None, [f"{path}: cannot be saved ({error.strerror})"])
        problems = []
        if timeline is not None and path.suffix == PROJECT_SUFFIX:
            try:
                save_timeline(timeline_path(path), *timeline)
            except OSError as error:
                problems.append(f"{timeline_path(path)}: the training timeline cannot be saved "
                                f"({error.strerror}); the project itself was saved")
        if self.path is None:  # the unsaved network's checkpoint now belongs to the file
            with suppress(OSError):
                checkpoint_path(None).replace(checkpoint_path(path))
        self.path = path
        self.remember(path)
        return Saved(path, problems)

    # recent files -------------------------------------------------------------------
    def remember(self, path: Path) -> None:
        recent = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recentFiles", recent[:MAX_RECENT])

    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles") or []
        return [value] if isinstance(value, str) else list(value)

    # closing ------------------------------------------------------------------------
    @staticmethod
    def close() -> None:
        """A clean exit: no autosaved copy to recover next time, nor an unsaved run."""
        Autosaver.clear()
        checkpoint_path(None).unlink(missing_ok=True)
