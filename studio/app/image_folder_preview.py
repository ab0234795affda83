"""Before training on your own images: the classes, how many images each has, and samples
converted exactly as the network will see them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from studio.data import DataError, ImageFolder, read_image

from .image_grid import ImageGrid

SAMPLES_PER_CLASS = 4


def sample_tiles(folder: ImageFolder, shape: tuple[int, int, int]) -> np.ndarray:
    """Up to four images of each class as the network gets them, (N, H, W) or (N, H, W, 3)."""
    tiles = [read_image(path, shape) for files in folder.files
             for path in files[:SAMPLES_PER_CLASS]]
    stack = np.stack(tiles).astype(np.float32) / 255.0
    return stack[:, 0] if shape[0] == 1 else stack.transpose(0, 2, 3, 1)


class ImageFolderPreview(QDialog):
    def __init__(self, folder: ImageFolder, shape: tuple[int, int, int], parent=None):
        super().__init__(parent)
        self.setObjectName("imageFolderPreview")
        self.setWindowTitle(f"Your images: {folder.path.name}")
        layout = QVBoxLayout(self)
        kind = "grayscale" if shape[0] == 1 else "colour (RGB)"
        self.summary = QLabel(f"{folder.describe()}. Each image becomes {kind}, "
                              f"{shape[1]}×{shape[2]}, as this network's input needs; 20 % of "
                              "each class is kept aside as test images.")
        self.summary.setWordWrap(True)
        self.counts = QTableWidget(len(folder.classes), 2)
        self.counts.setHorizontalHeaderLabels(["class", "images"])
        for row, (name, count) in enumerate(zip(folder.classes, folder.counts)):
            self.counts.setItem(row, 0, QTableWidgetItem(name))
            self.counts.setItem(row, 1, QTableWidgetItem(str(count)))
        self.samples = ImageGrid(diverging=False, columns=SAMPLES_PER_CLASS)
        if shape[0] == 1:  # show grayscale as grey, not in the panels' colour map
            self.samples.item.setColorMap(pg.colormap.get("CET-L1"))
        self.samples.setMinimumSize(360, 260)
        layout.addWidget(self.summary)
        layout.addWidget(self.counts)
        layout.addWidget(self.samples, 1)
        try:
            titles = [name for name, files in zip(folder.classes, folder.files)
                      for _ in files[:SAMPLES_PER_CLASS]]
            self.samples.show_images(sample_tiles(folder, shape), titles, levels=(0.0, 1.0))
        except DataError as error:
            self.summary.setText(f"{self.summary.text()}\n\n⚠ {error}")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
