"""The learned kernels of one conv layer: one small image per filter and input channel."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QLabel

from studio.engine import Snapshot

from .image_grid import ImageGrid
from .panel import Panel


def kernel_tiles(kernels: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(F, C, k, k) → (F·C, k, k) tiles with 'filter f, channel c' titles (C > 1 only);
    kernels over 3 channels (an RGB input) → (F, k, k, 3) colour tiles, each stretched
    to [0, 1] so its hue shows which colours it responds to."""
    filters, channels = kernels.shape[:2]
    if channels == 3:
        tiles = kernels.transpose(0, 2, 3, 1)
        low = tiles.min(axis=(1, 2, 3), keepdims=True)
        span = tiles.max(axis=(1, 2, 3), keepdims=True) - low
        return (tiles - low) / np.where(span > 0, span, 1), [str(f) for f in range(filters)]
    titles = [f"{f}" if channels == 1 else f"{f}·{c}"
              for f in range(filters) for c in range(channels)]
    return kernels.reshape(filters * channels, *kernels.shape[2:]), titles


class FiltersPanel(Panel):
    """Diverging colours centred on zero: red weights excite, blue inhibit."""

    MAX_TILES = 64

    def __init__(self, parent=None):
        super().__init__("filtersPanel", "The kernels the selected conv layer has learned, one "
                         "tile per filter (and input channel). Red weights add, blue weights "
                         "subtract; white is zero. They start as noise and turn into edge and "
                         "stroke detectors.", parent)
        self.title = QLabel("Train a network with a conv layer to see its filters.")
        self.grid = ImageGrid(diverging=True, colour_bar=True)
        self.body.addWidget(self.title)
        self.body.addWidget(self.grid, 1)
        self.layer: int | None = None
        self.kernels: np.ndarray | None = None  # (F, C, f, f) on show

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        return None if self.kernels is None else (self.kernels, [])

    def show_snapshot(self, snapshot: Snapshot, selected: int | None) -> None:
        if not snapshot.kernels:
            return
        layer = selected if selected in snapshot.kernels else min(snapshot.kernels)
        self.layer = layer
        self.kernels = snapshot.kernels[layer]
        tiles, titles = kernel_tiles(snapshot.kernels[layer])
        self.title.setText(f"layer {layer} (conv2d): {len(tiles)} kernels"
                           + (f", first {self.MAX_TILES} shown" if len(tiles) > self.MAX_TILES
                              else "") + f" — step {snapshot.step}")
        self.grid.show_images(tiles[:self.MAX_TILES], titles[:self.MAX_TILES])
