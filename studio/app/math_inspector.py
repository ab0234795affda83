"""The maths behind one feature-map pixel: the sum that made it and the gradient it got back."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.engine import Explanation

from .colours import COLOUR_CHANNELS
from .image_grid import ImageGrid
from .panel import Panel

MAX_PICTURES = 4
MAX_PRINTED_SIDE = 7  # number grids up to 7×7 are printed; larger ones are only pictured


def number_format(array: np.ndarray) -> str:
    """One format for all the numbers of an array that shows each of them: three
    decimals for everyday sizes, scientific notation when the largest is under 0.01
    (a gradient's ~1e-5 would print as 0.000) or 10,000 and over."""
    largest = float(np.max(np.abs(array))) if np.size(array) else 0.0
    return "{:.3f}" if largest == 0 or 1e-2 <= largest < 1e4 else "{:.2e}"


def number_grid(array: np.ndarray) -> list[str]:
    """A small 2-D array as aligned rows of numbers."""
    shape = number_format(array)
    cells = [[shape.format(value) for value in row] for row in array]
    width = max(len(cell) for row in cells for cell in row)
    return ["  " + " ".join(cell.rjust(width) for cell in row) for row in cells]


def as_text(explanation: Explanation) -> str:
    lines = list(explanation.forward)
    for caption, array in explanation.arrays.items():
        planes = array if array.ndim == 3 else array[None]
        if planes.shape[1] <= MAX_PRINTED_SIDE and planes.shape[2] <= MAX_PRINTED_SIDE:
            lines += _channel_grids(caption, planes)
    lines += ["", "Backward (the last backward pass of this image):", *explanation.backward]
    if explanation.code:
        lines += ["", f"In the code: forward {explanation.code}."]
    return "\n".join(lines)


def _channel_grids(caption: str, planes: np.ndarray) -> list[str]:
    """Every channel of a colour patch (the sum runs over all three), the first of many."""
    if len(planes) == 1:
        return ["", f"{caption}:", *number_grid(planes[0])]
    names = COLOUR_CHANNELS if len(planes) == len(COLOUR_CHANNELS) else None
    shown = range(len(planes)) if names else range(1)
    lines: list[str] = []
    for c in shown:
        which = f"channel {c}, {names[c]}" if names else f"channel 0 of {len(planes)}"
        lines += ["", f"{caption} ({which}):", *number_grid(planes[c])]
    return lines


def hover_sentence(explanation: Explanation, plane: tuple[int, int, int]) -> str | None:
    """The product under the pointer of a conv explanation, with the input pixel and
    kernel weight it multiplies, as a sentence."""
    if explanation.kind != "conv2d":
        return None
    arrays = list(explanation.arrays.values())
    patch, kernel, products = arrays[:3]
    c, i, j = plane
    f, y, x = explanation.position
    shape = number_format(products)
    return (f"X[{c}, patch row {i}, column {j}] · K[{f}, {c}, {i}, {j}] = "
            f"{number_format(patch).format(patch[c, i, j])} · "
            f"{number_format(kernel).format(kernel[c, i, j])} = "
            f"{shape.format(products[c, i, j])}   (one of the products summed into "
            f"Y[{f}, {y}, {x}])")


class MathInspector(Panel):
    def __init__(self, parent=None):
        super().__init__("mathInspector", "Click a pixel of a feature map: how the network "
                         "computed it, and the gradient that came back.", parent)
        self.title = QLabel("No pixel chosen yet.")
        self.title.setObjectName("mathTitle")
        bold = self.title.font()
        bold.setBold(True)
        self.title.setFont(bold)
        self.hover = QLabel()
        self.hover.setObjectName("mathHover")
        self.hover.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("mathText")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.text.setMinimumHeight(3 * self.text.fontMetrics().lineSpacing())
        self.pictures: list[tuple[QLabel, ImageGrid]] = []
        row = QGridLayout()  # two by two: each picture keeps room for its colour bar
        for index in range(MAX_PICTURES):
            column = QVBoxLayout()
            label, grid = QLabel(), ImageGrid(diverging=True, colour_bar=True)
            grid.setMinimumHeight(56)
            # no height of their own to insist on: the text below gets its share
            grid.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
            grid.hovered.connect(self._on_hover)
            column.addWidget(label)
            column.addWidget(grid, 1)
            row.addLayout(column, *divmod(index, 2))
            self.pictures.append((label, grid))
        pictures = QWidget()
        beside_pictures = QVBoxLayout(pictures)
        beside_pictures.setContentsMargins(0, 0, 0, 0)
        beside_pictures.addLayout(row, 1)
        beside_pictures.addWidget(self.hover)
        self.split = QSplitter(Qt.Orientation.Vertical)  # on a small screen the learner
        self.split.setObjectName("mathSplit")            # drags room to the pictures or sums
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(pictures)
        self.split.addWidget(self.text)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)  # halves: at 1920×1080 2:3 left 3×3 pictures 35 px
        self.body.addWidget(self.title)
        self.body.addWidget(self.split, 1)
        self.explanation: Explanation | None = None

    def show_explanation(self, explanation: Explanation, source: str = "") -> None:
        """`source` says which image this is and which class the gradient is taken for."""
        self.explanation = explanation
        self.caption.hide()  # its instruction is done; at 1024×700 the sums need the room
        self.title.setText(explanation.title)
        self.hover.setText("Point at a product: its input pixel and kernel weight light up."
                           if explanation.kind == "conv2d" else "")
        self.text.setPlainText("\n\n".join(filter(None, [source, as_text(explanation)])))
        arrays = [(caption, array) for caption, array in explanation.arrays.items()
                  if array.ndim == 3 or array.shape[0] > 1]  # vectors are only printed
        for (label, grid), item in zip(self.pictures, arrays + [None] * MAX_PICTURES):
            label.setVisible(item is not None)
            grid.setVisible(item is not None)
            if item is not None:
                caption, array = item  # an all-zero picture is one flat colour: say why
                label.setText(caption if array.any() else f"{caption}: all 0")
                grid.show_images(array if array.ndim == 3 else array[None])

    def _on_hover(self, tile: int, row: int, column: int) -> None:
        """Outline the same cell in every picture: the input pixel, its kernel weight,
        their product and its share of the gradient."""
        sentence = (hover_sentence(self.explanation, (tile, row, column))
                    if self.explanation is not None and tile >= 0 else None)
        for _, grid in self.pictures:
            grid.mark(tile if sentence else None, row, column)
        if sentence:
            self.hover.setText(sentence)

    def show_message(self, message: str) -> None:
        self.explanation = None
        self.caption.show()
        self.title.setText(message)
        self.hover.clear()
        self.text.clear()
        for label, grid in self.pictures:
            label.hide()
            grid.hide()
