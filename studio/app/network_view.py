"""The whole network at once: the chosen image, then every layer's outputs, side by side.

One column per layer, input to logits, each with its own colours (a layer's
values are on a scale of their own); vectors are folded into a near-square
block, and the logits are drawn one tile per class with its softmax
probability. Clicking a tile asks (`pixel_clicked`) for the maths of that
value.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from studio.engine import Snapshot

from .feature_maps_panel import as_maps, class_tiles, is_logits
from .image_grid import ImageGrid
from .panel import Panel

COLUMN_WIDTH = 76  # the narrowest a layer's column gets before the view scrolls


def folded(vector: np.ndarray) -> np.ndarray:
    """A vector (n,) as one near-square (1, rows, width) image, padded with its minimum."""
    width = math.ceil(math.sqrt(len(vector)))
    rows = math.ceil(len(vector) / width)
    block = np.full(rows * width, vector.min(), dtype=np.float32)
    block[:len(vector)] = vector
    return block.reshape(1, rows, width)


class LayerColumn(QWidget):
    """A layer's name and shape above its outputs."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.title.setWordWrap(True)
        self.title.setFixedHeight(3 * self.title.fontMetrics().lineSpacing())  # grids align
        self.grid = ImageGrid(diverging=False)
        self.grid.setMinimumHeight(60)
        self.setMinimumWidth(COLUMN_WIDTH)
        column = QVBoxLayout(self)
        column.setContentsMargins(1, 0, 1, 0)
        column.addWidget(self.title)
        column.addWidget(self.grid, 1)


class NetworkView(Panel):
    pixel_clicked = Signal(int, tuple)  # layer, position in its output: (c, y, x) or (unit,)

    def __init__(self, parent=None):
        super().__init__("networkView", "The whole network at once: the image on the left, "
                         "then what every layer makes of it, up to the class probabilities "
                         "on the right (bright = large). Click any tile to see its maths.",
                         parent)
        self.source = QLabel()
        self.source.setObjectName("networkViewSource")
        self.source.setWordWrap(True)
        self.body.addWidget(self.source)
        self.row_widget = QWidget()
        self.row = QHBoxLayout(self.row_widget)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(2)
        self.scroll = QScrollArea()  # sideways only: the columns always get the full height
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.row_widget)
        self.scroll.viewport().installEventFilter(self)
        self.body.addWidget(self.scroll, 1)
        self.columns: list[LayerColumn] = []
        self.names: list[str] = []  # "index type" of each layer
        self.classes: list[str] = []
        self.snapshot: Snapshot | None = None

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit_row()
        return super().eventFilter(watched, event)

    def _fit_row(self) -> None:
        """The row as high as the view and as wide as it, or as its columns need."""
        viewport = self.scroll.viewport()
        shown = sum(column.isVisibleTo(self.row_widget) for column in self.columns)
        self.row_widget.resize(max(viewport.width(), shown * (COLUMN_WIDTH + 2)),
                               viewport.height())

    def set_layers(self, names: list[str]) -> None:
        """One column for the input and one per layer."""
        self.names = names
        while len(self.columns) < len(names) + 1:
            column = LayerColumn()
            index = len(self.columns)
            column.grid.clicked.connect(
                lambda tile, row, x, index=index: self._on_click(index, tile, row, x))
            self.row.addWidget(column, 1)
            self.columns.append(column)
        for index, column in enumerate(self.columns):
            column.setVisible(index <= len(names))
        self._fit_row()

    def show_snapshot(self, snapshot: Snapshot, source: str = "") -> None:
        self.snapshot = snapshot
        self.source.setText(source)
        if len(self.names) != len(snapshot.feature_maps):
            self.set_layers([str(i) for i in range(len(snapshot.feature_maps))])
        image = snapshot.sample_image
        first = self.columns[0]
        first.title.setText(f"input\n{'×'.join(map(str, image.shape))}")
        first.grid.show_images(image.transpose(1, 2, 0)[None] if image.shape[0] == 3
                               else image[:1], levels=(0.0, 1.0))
        for layer, output in enumerate(snapshot.feature_maps):
            column = self.columns[layer + 1]
            shape = "×".join(map(str, output.shape))
            column.title.setText(f"{self.names[layer]}\n{shape}")
            if is_logits(snapshot, layer):
                tiles, titles = class_tiles(output, self.classes)
                column.grid.show_images(tiles, titles, levels=(0.0, 1.0), beside=True)
            elif output.ndim == 3:
                column.grid.show_images(as_maps(output))
            else:
                column.grid.show_images(folded(output))

    def _on_click(self, column: int, tile: int, row: int, x: int) -> None:
        snapshot, layer = self.snapshot, column - 1
        if snapshot is None or layer < 0:
            return  # the input has no maths of its own
        output = snapshot.feature_maps[layer]
        if is_logits(snapshot, layer):
            self.pixel_clicked.emit(layer, (tile,))
        elif output.ndim == 3:
            self.pixel_clicked.emit(layer, (tile, row, x))
        else:
            unit = row * self.columns[column].grid.images.shape[2] + x
            if unit < len(output):
                self.pixel_clicked.emit(layer, (unit,))
