"""A live panel: a caption that says what the person is looking at, above the view.

Right-click any panel to save what it shows as PNG or SVG, and the numbers
behind it as .npy or CSV. Subclasses say what their numbers are in
`exported_data`. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QSize
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QMessageBox, QVBoxLayout, QWidget

from studio.io import atomic_path

from .dialog_folders import remember_folder, start_folder


def write_csv(path: Path, array: np.ndarray, columns: list[str]) -> None:
    """A 2-D array with `columns` as its header; an N-D one as its leading indices
    followed by the values along the last axis."""
    array = np.asarray(array)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim > 2 or not columns:
        lead = np.indices(array.shape[:-1]).reshape(array.ndim - 1, -1).T
        columns = ([f"index {axis}" for axis in range(array.ndim - 1)]
                   + [f"value {i}" for i in range(array.shape[-1])])
        array = np.hstack([lead, array.reshape(-1, array.shape[-1])])
    with atomic_path(path, suffix=".csv") as temporary:
        np.savetxt(temporary, array, delimiter=",", header=",".join(columns), comments="",
                   fmt="%.9g")


def plain_axes(plot) -> None:
    """Numbers on the axes as they are: pyqtgraph would rescale a loss of 0.2 to "200
    (×0.001)", which reads as a different quantity."""
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)


class Panel(QWidget):
    def __init__(self, object_name: str, caption: str, parent=None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAutoFillBackground(True)  # opaque: a repaint inside stops here, not at the window
        self.caption = QLabel(caption)
        self.caption.setWordWrap(True)
        self.caption.setObjectName("caption")
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(4, 4, 4, 4)
        self.body.addWidget(self.caption)

    # export ---------------------------------------------------------------------------
    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        """The numbers on show and their CSV column names ([] for an image stack);
        None while the panel shows nothing."""
        return None

    def save_image(self, path: str | Path) -> None:
        """The panel as drawn: PNG (pixels) or SVG (vectors), by the file's suffix."""
        path = Path(path)
        with atomic_path(path, suffix=path.suffix) as temporary:
            if path.suffix.lower() == ".svg":
                generator = QSvgGenerator()
                generator.setFileName(str(temporary))
                generator.setSize(QSize(self.width(), self.height()))
                generator.setViewBox(QRectF(0, 0, self.width(), self.height()))
                generator.setTitle(self.objectName())
                self.render(generator)
            elif not self.grab().save(str(temporary), "PNG"):
                raise OSError(f"{path}: the image could not be written")

    def save_data(self, path: str | Path) -> None:
        """The numbers on show: .npy (the array as is) or CSV, by the file's suffix."""
        path = Path(path)
        exported = self.exported_data()
        if exported is None:
            raise ValueError("this panel shows no numbers yet — train first")
        array, columns = exported
        if path.suffix.lower() == ".csv":
            write_csv(path, array, columns)
        else:
            with atomic_path(path, suffix=".npy") as temporary:
                np.save(temporary, array, allow_pickle=False)

    def export_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setObjectName("panelExportMenu")
        menu.addAction("Save image as PNG…", lambda: self._ask_and_save("png"))
        menu.addAction("Save image as SVG…", lambda: self._ask_and_save("svg"))
        has_data = self.exported_data() is not None
        for suffix, text in (("npy", "Save data as .npy…"), ("csv", "Save data as CSV…")):
            action = menu.addAction(text, lambda s=suffix: self._ask_and_save(s))
            action.setEnabled(has_data)
        return menu

    def contextMenuEvent(self, event) -> None:
        self.export_menu().popup(event.globalPos())

    def _ask_and_save(self, suffix: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save", str(start_folder("figures") / f"{self.objectName()}.{suffix}"),
            f"{suffix.upper()} (*.{suffix})")
        if not path:
            return
        remember_folder("figures", path)
        try:
            (self.save_image if suffix in ("png", "svg") else self.save_data)(path)
        except (OSError, ValueError) as error:
            reason = getattr(error, "strerror", None) or error
            QMessageBox.warning(self, "CNN Studio", f"{path}: could not be saved ({reason})")
