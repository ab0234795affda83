"""Training on your own folder of RGB images in the window: preview first, colour filters after."""

from __future__ import annotations

import json

from studio.engine import TrainConfig


def test_an_rgb_image_folder_is_previewed_then_trains_with_colour_filters(window, qtbot,
                                                                          tmp_path, colour_folder):
    arch = tmp_path / "rgb.json"
    arch.write_text(json.dumps({
        "format": "cnn-studio.architecture", "version": 1, "name": "colours",
        "input": {"channels": 3, "height": 16, "width": 16},
        "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same"},
                   {"type": "relu"}, {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 3}]}))
    assert window.open_file(arch)
    panel = window.training_panel
    panel.use_folder(str(colour_folder))
    preview = panel.preview
    assert preview is not None and preview.isVisible()
    assert preview.counts.rowCount() == 3 and preview.counts.item(2, 1).text() == "10"
    assert preview.samples.images.shape == (12, 16, 16, 3)  # four per class, as the net sees
    assert "colour (RGB), 16×16" in preview.summary.text()
    assert "30 images in 3 classes" in panel.folder.text()
    preview.accept()

    window.start_training(TrainConfig(epochs=10, batch_size=8, snapshot_interval=0.05))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert not window.errors
    assert "test accuracy 100.00%" in window.progress.format()
    watch = window.watch
    watch.tabs.setCurrentWidget(watch.filters)
    qtbot.waitUntil(lambda: watch.filters.grid.images is not None, timeout=5000)
    assert watch.filters.grid.images.shape == (4, 3, 3, 3)  # one colour tile per filter
    watch.tabs.setCurrentWidget(watch.feature_maps_page)
    qtbot.waitUntil(lambda: watch.feature_maps.input.images is not None, timeout=5000)
    assert watch.feature_maps.input.images.shape == (1, 16, 16, 3)
