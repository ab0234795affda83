"""What the network sees: every layer's output for one test image."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox

from studio.engine import Snapshot

from .image_grid import ImageGrid
from .panel import Panel
from .steady_label import SteadyLabel

MAX_MAPS = 32


def as_maps(output: np.ndarray) -> np.ndarray:
    """A layer's output as a stack of 2-D images: channels, or a flat vector as one row."""
    if output.ndim == 3:
        return output[:MAX_MAPS]
    return output.reshape(1, 1, -1)


class FeatureMapsPanel(Panel):
    sample_changed = Signal(int)
    pixel_clicked = Signal(int, tuple)  # layer, position in its output: (c, y, x) or (unit,)

    def __init__(self, parent=None):
        super().__init__("featureMapsPanel", "One test image passing through the network: the "
                         "input, then each layer's feature maps (bright = strongly "
                         "activated). Pick the layer below, or click its block on the "
                         "canvas.", parent)
        controls = QHBoxLayout()
        self.sample = QSpinBox()
        self.sample.setRange(0, 0)
        self.sample.setPrefix("test image #")
        self.layer_choice = QComboBox()
        self.label = SteadyLabel()
        controls.addWidget(self.sample)
        controls.addWidget(QLabel("layer"))
        controls.addWidget(self.layer_choice, 1)
        controls.addWidget(self.label)
        self.body.addLayout(controls)
        self.input = ImageGrid(diverging=False, columns=1)
        self.input.setMaximumHeight(140)
        self.maps = ImageGrid(diverging=False)
        self.body.addWidget(self.input)
        self.body.addWidget(self.maps, 1)
        self.sample.valueChanged.connect(self.sample_changed)
        self.layer_choice.currentIndexChanged.connect(self._on_layer_change)
        self.maps.clicked.connect(self._on_map_click)
        self._snapshot: Snapshot | None = None
        self.chosen: tuple[int, tuple[int, ...]] | None = None  # the pixel last clicked

    def set_layers(self, names: list[str], test_images: int) -> None:
        self.layer_choice.clear()
        self.layer_choice.addItems(names)
        self.sample.setRange(0, max(test_images - 1, 0))

    def select_layer(self, index: int | None) -> None:
        if index is not None and index < self.layer_choice.count():
            self.layer_choice.setCurrentIndex(index)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._redraw()

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        """The chosen layer's output for the chosen image: (C, H, W) or a vector."""
        layer = self.layer_choice.currentIndex()
        if self._snapshot is None or not 0 <= layer < len(self._snapshot.feature_maps):
            return None
        return self._snapshot.feature_maps[layer], []

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot on show."""
        return self._snapshot

    def choose(self, layer: int, position: tuple[int, ...]) -> None:
        """Outline the pixel at `position` of `layer`'s output and announce it."""
        self.select_layer(layer)
        self.chosen = (layer, position)
        self._mark()
        self.pixel_clicked.emit(layer, position)

    def _on_map_click(self, tile: int, row: int, column: int) -> None:
        layer = self.layer_choice.currentIndex()
        if self._snapshot is None or not 0 <= layer < len(self._snapshot.feature_maps):
            return
        flat = self._snapshot.feature_maps[layer].ndim == 1
        self.choose(layer, (column,) if flat else (tile, row, column))

    def _on_layer_change(self, _index: int) -> None:
        self.chosen = None
        self.maps.mark(None)
        self._redraw()

    def _mark(self) -> None:
        if self.chosen is None or self.chosen[0] != self.layer_choice.currentIndex():
            self.maps.mark(None)
            return
        position = self.chosen[1]
        self.maps.mark(*((0, 0, position[0]) if len(position) == 1 else position))

    def _redraw(self) -> None:
        snapshot, layer = self._snapshot, self.layer_choice.currentIndex()
        if snapshot is None or not 0 <= layer < len(snapshot.feature_maps):
            return
        image = snapshot.sample_image
        shown = image.transpose(1, 2, 0)[None] if image.shape[0] == 3 else image[:1]
        self.input.show_images(shown, [f"label {snapshot.sample_label}"], levels=(0.0, 1.0))
        output = snapshot.feature_maps[layer]
        maps = as_maps(output)
        titles = [str(c) for c in range(len(maps))] if output.ndim == 3 else None
        self.maps.show_images(maps, titles)
        self._mark()
        shape = "×".join(map(str, output.shape))
        self.label.setText(f"{shape}, min {output.min():.2f}, max {output.max():.2f}")
