"""A grid of small images drawn with pyqtgraph, created once and then only updated.

Used for filters, kernel gradients and feature maps. Items are rebuilt only
when the number or shape of the images changes; every other update is
`ImageItem.setImage` with fixed levels, as pyqtgraph's own examples do.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

DIVERGING = pg.colormap.get("CET-D1")  # blue – white – red, centred on zero
SEQUENTIAL = pg.colormap.get("viridis")


def symmetric_levels(images: np.ndarray) -> tuple[float, float]:
    """(−m, m) with m = max |value|, so zero is always the middle colour."""
    bound = float(np.max(np.abs(images))) if images.size else 1.0
    bound = bound or 1.0
    return -bound, bound


class ImageGrid(pg.GraphicsLayoutWidget):
    """Shows a stack of 2-D images (N, H, W) as a grid with optional titles."""

    def __init__(self, diverging: bool = True, columns: int | None = None, parent=None):
        super().__init__(parent)
        self.diverging = diverging
        self.columns = columns
        self.items: list[pg.ImageItem] = []
        self.boxes: list[pg.ViewBox] = []
        self.labels: list[pg.LabelItem] = []
        self._layout: tuple | None = None
        self.setBackground(None)

    def show_images(self, images: np.ndarray, titles: list[str] | None = None,
                    levels: tuple[float, float] | None = None) -> None:
        images = np.asarray(images, dtype=np.float32)
        layout = (images.shape, titles is not None)
        if layout != self._layout:
            self._rebuild(images.shape, titles is not None)
            self._layout = layout
        for label, title in zip(self.labels, titles or []):
            label.setText(title, size="8pt")
        if levels is None:
            levels = (symmetric_levels(images) if self.diverging
                      else (float(images.min()), float(images.max()) or 1.0))
        for item, image in zip(self.items, images):
            item.setImage(image, levels=levels, autoLevels=False)

    def clear_images(self) -> None:
        self.clear()
        self.items, self.boxes, self.labels = [], [], []
        self._layout = None

    def _rebuild(self, shape: tuple[int, ...], titled: bool) -> None:
        self.clear_images()
        count = shape[0]
        columns = self.columns or max(1, math.ceil(math.sqrt(count)))
        colormap = DIVERGING if self.diverging else SEQUENTIAL
        for index in range(count):
            row, column = divmod(index, columns)
            cell = self.ci.addLayout(row=row, col=column)
            if titled:
                self.labels.append(cell.addLabel("", row=0, col=0, size="8pt"))
            box = cell.addViewBox(row=1, col=0, lockAspect=True, enableMouse=False,
                                  invertY=True)
            item = pg.ImageItem(axisOrder="row-major")
            item.setColorMap(colormap)
            box.addItem(item)
            self.items.append(item)
            self.boxes.append(box)
