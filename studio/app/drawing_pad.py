"""Draw a digit with the mouse and see what the trained network makes of it.

A drawing has no true label, so the learner says which class the gradients
(the saliency map, the maths panel's backward pass) are taken for: the class
the network predicts, or one they pick.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .panel import Panel

CANVAS = 252  # pixels on screen for the 28×28 input (9 per pixel; fits a 700-pixel screen)


class Sketch(QWidget):
    """A black square the person draws on in white; emits the drawing as 28×28 in [0, 1]."""

    drawn = Signal(object)

    def __init__(self, size: int = 28, parent=None):
        super().__init__(parent)
        self.size = size
        self.setFixedSize(CANVAS, CANVAS)
        self.image = QImage(CANVAS, CANVAS, QImage.Format.Format_Grayscale8)
        self.image.fill(0)
        self._last: QPointF | None = None

    def clear(self) -> None:
        self.image.fill(0)
        self.update()
        self.drawn.emit(self.pixels())

    def pixels(self) -> np.ndarray:
        """Downsample to size×size by averaging blocks (strokes come out anti-aliased)."""
        buffer = np.array(self.image.constBits(), dtype=np.uint8).reshape(
            CANVAS, self.image.bytesPerLine())[:, :CANVAS].astype(np.float32)
        block = CANVAS // self.size
        return buffer.reshape(self.size, block, self.size, block).mean(axis=(1, 3)) / 255.0

    def stroke(self, start: QPointF, end: QPointF) -> None:
        painter = QPainter(self.image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), CANVAS / 12, Qt.PenStyle.SolidLine,
                            Qt.PenCapStyle.RoundCap))
        painter.drawLine(start, end)
        painter.end()
        self.update()

    def mousePressEvent(self, event) -> None:
        self._last = event.position()
        self.stroke(self._last, self._last)

    def mouseMoveEvent(self, event) -> None:
        if self._last is not None:
            self.stroke(self._last, event.position())
            self._last = event.position()

    def mouseReleaseEvent(self, event) -> None:
        self._last = None
        self.drawn.emit(self.pixels())

    def paintEvent(self, event) -> None:
        QPainter(self).drawImage(0, 0, self.image)


PREDICTED = "the class it predicts"


class DrawingPad(Panel):
    target_changed = Signal()

    def __init__(self, parent=None):
        super().__init__("drawingPad", "Draw a digit in the black square: the bars show the "
                         "trained network's probability for each class, Feature maps what it "
                         "sees. A drawing has no true label: \"gradient for\" picks the class "
                         "whose loss its gradients are taken for.", parent)
        self.sketch = Sketch()
        clear = QPushButton("Clear")
        clear.clicked.connect(self.sketch.clear)
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7,
                                    brush=(60, 120, 200))
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("probabilityPlot")
        self.plot.addItem(self.bars)
        self.plot.setYRange(0, 1)
        self.plot.setLabel("left", "probability")
        self.plot.setLabel("bottom", "class")
        self.target = QComboBox()
        self.target.setObjectName("drawingTarget")
        self.target.setToolTip("The class whose loss the gradients of this drawing are "
                               "taken for, in the feature maps and the maths panel.")
        self.set_classes([str(c) for c in range(10)])
        self.target.currentIndexChanged.connect(self.target_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(clear)
        buttons.addWidget(QLabel("gradient for"))
        buttons.addWidget(self.target, 1)
        left = QVBoxLayout()
        left.addWidget(self.sketch)
        left.addLayout(buttons)
        left.addStretch(1)
        row = QHBoxLayout()
        row.addLayout(left)
        row.addWidget(self.plot, 1)
        self.body.addLayout(row, 1)
        self.probabilities: np.ndarray | None = None

    def set_classes(self, classes: list[str]) -> None:
        """Offer these classes as gradient targets (keeping the choice when it still exists)."""
        chosen = self.target.currentText()
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItems([PREDICTED, *classes])
        self.target.setCurrentIndex(max(self.target.findText(chosen), 0))
        self.target.blockSignals(False)
        self.plot.getAxis("bottom").setTicks([[(i, name[:8]) for i, name in enumerate(classes)]])

    def chosen_target(self) -> int | None:
        """The class picked for the gradient, or None for the predicted class."""
        return self.target.currentIndex() - 1 if self.target.currentIndex() > 0 else None

    def show_probabilities(self, probabilities: np.ndarray) -> None:
        self.probabilities = probabilities
        self.bars.setOpts(x=np.arange(len(probabilities)), height=probabilities)

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        if self.probabilities is None:
            return None
        return (np.column_stack([np.arange(len(self.probabilities)), self.probabilities]),
                ["class", "probability"])
