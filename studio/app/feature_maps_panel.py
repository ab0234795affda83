"""What the network sees: every layer's output for one test image.

The last layer's outputs are the logits: they are drawn one tile per class,
titled with the class and its softmax probability.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox

from studio.engine import Snapshot, softmax

from .image_grid import ImageGrid
from .panel import Panel
from .steady_label import SteadyLabel

MAX_MAPS = 32
DRAWING = -1  # the image box's value while the drawing pad's image is on show
MAX_CLASS_TILES = 32  # more logits than this are drawn as one row, as any vector
CLASS_TILE = 4  # data pixels per side of a class's tile


def as_maps(output: np.ndarray) -> np.ndarray:
    """A layer's output as a stack of 2-D images: channels, or a flat vector as one row."""
    if output.ndim == 3:
        return output[:MAX_MAPS]
    return output.reshape(1, 1, -1)


def class_names(classes: list[str], count: int) -> list[str]:
    """The names of `count` classes: the dataset's when it has as many, else numbers."""
    return list(classes) if len(classes) == count else [str(c) for c in range(count)]


def class_tiles(logits: np.ndarray, classes: list[str]) -> tuple[np.ndarray, list[str]]:
    """Logits (K,) → K square tiles of the softmax probabilities, titled 'class: p %'."""
    probabilities = softmax(logits[None].astype(np.float64))[0]
    tiles = np.repeat(probabilities, CLASS_TILE * CLASS_TILE).reshape(-1, CLASS_TILE,
                                                                      CLASS_TILE)
    names = class_names(classes, len(logits))
    return tiles, [f"{name}: {p:.1%}" for name, p in zip(names, probabilities)]


def is_logits(snapshot: Snapshot, layer: int) -> bool:
    """Whether `layer` is the last one, its outputs few enough to draw one per class."""
    output = snapshot.feature_maps[layer]
    return (layer == len(snapshot.feature_maps) - 1 and output.ndim == 1
            and len(output) <= MAX_CLASS_TILES)


class FeatureMapsPanel(Panel):
    sample_changed = Signal(int)  # the test image chosen (its index)
    drawing_requested = Signal()  # the box stepped back to the drawing (see `show_drawing`)
    pixel_clicked = Signal(int, tuple)  # layer, position in its output: (c, y, x) or (unit,)

    def __init__(self, parent=None):
        super().__init__("featureMapsPanel", "One image through the network: each layer's "
                         "feature maps (bright = strongly activated). Pick the layer below or "
                         "click its block.", parent)
        controls = QHBoxLayout()
        self.sample = QSpinBox()
        self.sample.setRange(0, 0)
        self.sample.setPrefix("test image #")
        self.layer_choice = QComboBox()
        self.label = SteadyLabel()
        controls.addWidget(self.sample)
        controls.addWidget(QLabel("layer"))
        controls.addWidget(self.layer_choice, 1)
        self.body.addLayout(controls)
        self.source = QLabel()
        self.source.setObjectName("featureMapsSource")
        self.source.setWordWrap(True)
        self.body.addWidget(self.source)
        self.body.addWidget(self.label)
        pictures = QHBoxLayout()  # the input beside the maps: the maps get the height
        self.input = ImageGrid(diverging=False, columns=1)
        self.input.setFixedWidth(90)
        self.maps = ImageGrid(diverging=False, colour_bar=True)
        self.maps.setObjectName("featureMapTiles")
        pictures.addWidget(self.input)
        pictures.addWidget(self.maps, 1)
        self.body.addLayout(pictures, 1)
        self.sample.valueChanged.connect(self._on_sample_value)
        self.test_index = 0  # the test image last chosen, also while a drawing is on show
        self.layer_choice.currentIndexChanged.connect(self._on_layer_change)
        self.maps.clicked.connect(self._on_map_click)
        self._snapshot: Snapshot | None = None
        self.classes: list[str] = []
        self.chosen: tuple[int, tuple[int, ...]] | None = None  # the pixel last clicked

    def set_layers(self, names: list[str]) -> None:
        self.layer_choice.clear()
        self.layer_choice.addItems(names)

    def set_test_images(self, count: int) -> None:
        """A dataset's test images to choose from (a drawing was for the last network)."""
        self.sample.setSpecialValueText("")
        self.sample.setRange(0, max(count - 1, 0))

    def choose_test_image(self, index: int) -> None:
        """Show test image `index`, announced even when it is the one on show."""
        self.sample.blockSignals(True)
        self.sample.setValue(index)
        self.sample.blockSignals(False)
        self._on_sample_value(index)

    def _on_sample_value(self, value: int) -> None:
        if value == DRAWING:
            self.drawing_requested.emit()
        else:
            self.test_index = value
            self.sample_changed.emit(value)

    def show_drawing(self) -> None:
        """The box says a drawing is on show, not the test image it last named; stepping
        back below image #0 shows the drawing again (`drawing_requested`)."""
        self.sample.blockSignals(True)
        self.sample.setSpecialValueText("your drawing")  # shown at the minimum
        self.sample.setMinimum(DRAWING)
        self.sample.setValue(DRAWING)
        self.sample.blockSignals(False)

    def select_layer(self, index: int | None) -> None:
        if index is not None and index < self.layer_choice.count():
            self.layer_choice.setCurrentIndex(index)

    def show_snapshot(self, snapshot: Snapshot, source: str = "") -> None:
        """`source` says which image this is and which class its gradient is taken for."""
        self._snapshot = snapshot
        self.source.setText(source)
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
        if is_logits(self._snapshot, layer):
            self.choose(layer, (tile,))
            return
        flat = self._snapshot.feature_maps[layer].ndim == 1
        self.choose(layer, (column,) if flat else (tile, row, column))

    def _on_layer_change(self, _index: int) -> None:
        self.chosen = None
        self.maps.mark(None)
        self._redraw()

    def _mark(self) -> None:
        if (self._snapshot is None or self.chosen is None
                or self.chosen[0] != self.layer_choice.currentIndex()):
            self.maps.mark(None)
            return
        position = self.chosen[1]
        if is_logits(self._snapshot, self.chosen[0]):
            self.maps.mark(position[0], 0, 0)
        else:
            self.maps.mark(*((0, 0, position[0]) if len(position) == 1 else position))

    def _redraw(self) -> None:
        snapshot, layer = self._snapshot, self.layer_choice.currentIndex()
        if snapshot is None or not 0 <= layer < len(snapshot.feature_maps):
            return
        image = snapshot.sample_image
        shown = image.transpose(1, 2, 0)[None] if image.shape[0] == 3 else image[:1]
        self.input.show_images(shown, ["input"], levels=(0.0, 1.0))
        output = snapshot.feature_maps[layer]
        shape = "×".join(map(str, output.shape))
        if is_logits(snapshot, layer):
            tiles, titles = class_tiles(output, self.classes)
            self.maps.show_images(tiles, titles, levels=(0.0, 1.0), beside=True)
            self.label.setText(f"{shape} logits, shown as softmax probabilities")
        else:
            maps = as_maps(output)
            titles = [str(c) for c in range(len(maps))] if output.ndim == 3 else None
            self.maps.show_images(maps, titles)
            self.label.setText(f"{shape}, min {output.min():.3g}, max {output.max():.3g}")
        self._mark()
