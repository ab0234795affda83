"""Training on your own folder of RGB images in the window: preview first, colour filters after."""

from __future__ import annotations

from studio.engine import TrainConfig


def test_an_rgb_image_folder_is_previewed_then_trains_with_colour_filters(
        window, qtbot, rgb_architecture, colour_folder):
    assert window.open_file(rgb_architecture)
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
    assert "test accuracy 100.00 %" in window.progress.format()
    watch = window.watch
    watch.tabs.setCurrentWidget(watch.filters)
    qtbot.waitUntil(lambda: watch.filters.grid.images is not None, timeout=5000)
    assert watch.filters.grid.images.shape == (4, 3, 3, 3)  # one colour tile per filter
    watch.tabs.setCurrentWidget(watch.feature_maps_page)
    qtbot.waitUntil(lambda: watch.feature_maps.input.images is not None, timeout=5000)
    assert watch.feature_maps.input.images.shape == (1, 16, 16, 3)
