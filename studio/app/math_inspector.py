"""The maths behind one feature-map pixel: the sum that made it and the gradient it got back."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QVBoxLayout

from studio.engine import Explanation

from .image_grid import ImageGrid
from .panel import Panel

MAX_PICTURES = 4
MAX_PRINTED_SIDE = 7  # number grids up to 7×7 are printed; larger ones are only pictured


def number_grid(array: np.ndarray) -> list[str]:
    """A small 2-D array as aligned rows of numbers."""
    cells = [[f"{value:.3f}" for value in row] for row in array]
    width = max(len(cell) for row in cells for cell in row)
    return ["  " + " ".join(cell.rjust(width) for cell in row) for row in cells]


def as_text(explanation: Explanation) -> str:
    lines = list(explanation.forward)
    for caption, array in explanation.arrays.items():
        plane = array[0] if array.ndim == 3 else array
        if plane.shape[0] <= MAX_PRINTED_SIDE and plane.shape[1] <= MAX_PRINTED_SIDE:
            several = array.ndim == 3 and len(array) > 1
            which = f" (channel 0 of {array.shape[0]})" if several else ""
            lines += ["", f"{caption}{which}:", *number_grid(plane)]
    lines += ["", "Backward (the last backward pass of this image):", *explanation.backward]
    return "\n".join(lines)


class MathInspector(Panel):
    def __init__(self, parent=None):
        super().__init__("mathInspector", "Click any pixel of a feature map: here is how the "
                         "network computed it, with its own numbers, and the gradient that "
                         "came back through it.", parent)
        self.title = QLabel("No pixel chosen yet.")
        self.title.setObjectName("mathTitle")
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.text = QPlainTextEdit()
        self.text.setObjectName("mathText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.pictures: list[tuple[QLabel, ImageGrid]] = []
        row = QHBoxLayout()
        for _ in range(MAX_PICTURES):
            column = QVBoxLayout()
            label, grid = QLabel(), ImageGrid(diverging=True)
            grid.setMinimumHeight(90)
            column.addWidget(label)
            column.addWidget(grid, 1)
            row.addLayout(column)
            self.pictures.append((label, grid))
        self.body.addWidget(self.title)
        self.body.addLayout(row, 1)
        self.body.addWidget(self.text, 2)
        self.explanation: Explanation | None = None

    def show_explanation(self, explanation: Explanation) -> None:
        self.explanation = explanation
        self.title.setText(explanation.title)
        self.text.setPlainText(as_text(explanation))
        arrays = [(caption, array) for caption, array in explanation.arrays.items()
                  if array.ndim == 3 or array.shape[0] > 1]  # vectors are only printed
        for (label, grid), item in zip(self.pictures, arrays + [None] * MAX_PICTURES):
            label.setVisible(item is not None)
            grid.setVisible(item is not None)
            if item is not None:
                caption, array = item
                label.setText(caption)
                grid.show_images(array if array.ndim == 3 else array[None])

    def show_message(self, message: str) -> None:
        self.explanation = None
        self.title.setText(message)
        self.text.clear()
        for label, grid in self.pictures:
            label.hide()
            grid.hide()
