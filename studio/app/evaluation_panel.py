"""After each epoch: the confusion matrix, and a gallery of test images the network got wrong.

Clicking a wrong image asks (`mistake_chosen`) to open it in the feature maps
and the maths panel.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout

from studio.engine import Evaluation

from .image_grid import SEQUENTIAL, ImageGrid
from .panel import Panel, plain_axes

GALLERY_SIZE = 24


class EvaluationPanel(Panel):
    mistake_chosen = Signal(int, int)  # test image index, predicted class

    def __init__(self, parent=None):
        super().__init__("evaluationPanel", "Left: the confusion matrix on the test set — row = "
                         "true digit, column = predicted digit; the diagonal is what it gets "
                         "right. Right: test images it got wrong, as predicted / true: "
                         "click one to see inside it.", parent)
        row = QHBoxLayout()
        self.matrix_view = pg.PlotWidget()
        plain_axes(self.matrix_view)
        self.matrix_view.setObjectName("confusionMatrix")  # PlotWidget ignores objectName=
        self.matrix_view.setAspectLocked(True)
        self.matrix_view.invertY(True)
        self.matrix_view.setLabel("left", "true")
        self.matrix_view.setLabel("bottom", "predicted")
        self.matrix = pg.ImageItem(axisOrder="row-major")
        self.matrix.setColorMap(SEQUENTIAL)
        self.matrix_view.addItem(self.matrix)
        self.counts: list[pg.TextItem] = []
        self.waiting = pg.TextItem("The first epoch's test fills this in.", anchor=(0.5, 0.5),
                                   color="#888")
        self.waiting.setPos(5, 5)
        self.matrix_view.addItem(self.waiting)
        self.matrix_view.getViewBox().sigResized.connect(self._fit_counts)
        self.gallery = ImageGrid(diverging=False, columns=6)
        self.gallery.setObjectName("misclassifiedGallery")
        gallery_column = QVBoxLayout()
        gallery_column.addWidget(self.gallery, 1)
        row.addWidget(self.matrix_view, 1)
        row.addLayout(gallery_column, 1)
        self.body.addLayout(row, 1)
        self.confusion: np.ndarray | None = None
        self.classes: list[str] = []
        self.wrong: list[tuple[int, int]] = []  # (test index, predicted) of each tile
        self.gallery.clicked.connect(self._on_gallery_click)
        self.clear()

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        """The confusion matrix: row = true class, column = predicted class."""
        if self.confusion is None:
            return None
        return self.confusion, [f"predicted {c}" for c in self.classes]

    def clear(self) -> None:
        self.confusion = None
        self.matrix.clear()
        self.matrix_view.setRange(xRange=(0, 10), yRange=(0, 10), padding=0)  # not ±400
        for side in ("bottom", "left"):  # no classes yet: not the numbers −2…11 either
            self.matrix_view.getAxis(side).setTicks([[]])
        for item in self.counts:
            item.setText("")
        self.waiting.show()
        self.gallery.clear_images()
        self.wrong = []

    def _fit_counts(self) -> None:
        """Counts in a font that fits their cells, so '1105' stays inside its own."""
        if self.confusion is None or not self.counts:
            return
        view = self.matrix_view.getViewBox()
        (x0, x1), _ = view.viewRange()
        cell = view.width() / max(x1 - x0, 1e-9) - 2  # pixels a cell is wide, less a gap
        widest = str(int(self.confusion.max()))
        font = QFont()
        for pixels in range(14, 5, -1):
            font.setPixelSize(pixels)
            if QFontMetricsF(font).horizontalAdvance(widest) <= cell:
                break
        for item in self.counts:
            item.setFont(font)

    def _on_gallery_click(self, tile: int, _row: int, _column: int) -> None:
        if tile < len(self.wrong):
            self.mistake_chosen.emit(*self.wrong[tile])

    def show_evaluation(self, evaluation: Evaluation, images: np.ndarray,
                        labels: np.ndarray, classes: list[str]) -> None:
        confusion = evaluation.confusion
        self.confusion, self.classes = confusion, list(classes)
        # log scale so the off-diagonal mistakes stay visible next to the large diagonal
        shade = np.log1p(confusion.astype(np.float32))
        self.matrix.setImage(shade, autoLevels=True)
        if len(self.counts) != confusion.size:
            for item in self.counts:
                self.matrix_view.removeItem(item)
            self.counts = []
            for index in range(confusion.size):
                text = pg.TextItem(anchor=(0.5, 0.5), color="w")
                text.textItem.document().setDocumentMargin(0)
                text.setPos(index % confusion.shape[1] + 0.5, index // confusion.shape[1] + 0.5)
                self.matrix_view.addItem(text)
                self.counts.append(text)
        size = confusion.shape[0]
        ticks = [[(i + 0.5, classes[i][:6]) for i in range(size)]]
        self.matrix_view.getAxis("bottom").setTicks(ticks)
        self.matrix_view.getAxis("left").setTicks(ticks)
        self.matrix_view.setRange(xRange=(0, size), yRange=(0, size), padding=0)
        low, high = float(shade.min()), float(shade.max())  # the levels autoLevels chose
        on_bright = (shade.reshape(-1) - low) / max(high - low, 1e-9) > 0.6
        for item, count, bright in zip(self.counts, confusion.reshape(-1), on_bright):
            item.setText(str(count))
            item.setColor("k" if bright else "w")  # readable on the colour map's yellow end
        self.waiting.hide()
        self._fit_counts()
        wrong = np.flatnonzero(evaluation.predictions != labels)[:GALLERY_SIZE]
        self.wrong = [(int(i), int(evaluation.predictions[i])) for i in wrong]
        if len(wrong):
            pictures = images[wrong].reshape(len(wrong), *images.shape[-2:]) / 255.0
            titles = [f"{classes[evaluation.predictions[i]]} / {classes[labels[i]]}"
                      for i in wrong]
            self.gallery.show_images(pictures, titles, levels=(0.0, 1.0))
        else:
            self.gallery.clear_images()
