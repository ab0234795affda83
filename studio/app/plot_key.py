"""A plot's key as a column of coloured names beside the plot, never over its data.

pyqtgraph's legend is drawn inside the plot: at 1024×700 it covered the accuracy
points, and one added to a plot that is cleared and redrawn lost entries. The
key is a label the plot's owner fills with exactly the series it draws; beside
the plot it costs width, of which a small screen has more to spare than height.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget


class PlotKey(QLabel):
    """`set_entries([(name, colour, mark), ...])`: each name after a mark in its colour,
    one a line."""

    def __init__(self, object_name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.names: list[str] = []

    def set_entries(self, entries: Sequence[tuple[str, str | QColor, str]]) -> None:
        self.names = [name for name, _, _ in entries]
        self.setText("<br>".join(
            f'<span style="color:{QColor(colour).name()}"><b>{html.escape(mark)}</b></span>'
            f"&nbsp;{html.escape(name)}" for name, colour, mark in entries))


def beside(plot: QWidget, key: PlotKey) -> QHBoxLayout:
    """The plot with its key at its right."""
    row = QHBoxLayout()
    row.setSpacing(2)
    row.addWidget(plot, 1)
    row.addWidget(key)
    return row
