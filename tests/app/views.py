"""Putting an untrained network's look at one image on the Train & watch page, without
training: what the view tests need, in well under a second."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from studio.data import synthetic_dataset
from studio.engine import Network, Snapshot, as_input, look_inside


def snapshot_of(network: Network, image: np.ndarray, label: int, step: int = 0) -> Snapshot:
    seen = look_inside(network, image, label)
    return Snapshot(step, 0, {}, {}, image, label, seen.feature_maps, seen.input_gradient,
                    network.architecture,
                    {k: v.copy() for k, v in network.state_dict().items()}, [])


def show_untrained(window, preset: str = "lenet5"):
    """The window on its Train & watch page, showing a freshly initialised `preset` on the
    first of 60 synthetic test digits; returns (watch page, dataset, network)."""
    window.load_preset(preset)
    watch = window.watch
    dataset = synthetic_dataset(train=20, test=60)
    network = Network(window.document.architecture)
    watch.set_dataset(dataset)
    watch.start_run()
    watch.set_model(network)
    image = as_input(dataset.test_images[:1])[0]
    watch.offer_snapshot(snapshot_of(network, image, int(dataset.test_labels[0])))
    window.pages.setCurrentWidget(watch)
    return watch, dataset, network


def grid_point(grid, tile: int, row: int, column: int):
    """The widget position of the middle of one pixel of one tile of an ImageGrid."""
    corner = grid.tile_rect(tile).topLeft()
    local = QPointF(corner.x() + column + 0.5, corner.y() + row + 0.5)
    return grid.mapFromScene(grid.item.mapToScene(local))


def click_tile(qtbot, grid, tile: int, row: int = 0, column: int = 0) -> None:
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton,
                     pos=grid_point(grid, tile, row, column))


def click_tab(qtbot, tabs, widget) -> None:
    bar = tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton,
                     pos=bar.tabRect(tabs.indexOf(widget)).center())
