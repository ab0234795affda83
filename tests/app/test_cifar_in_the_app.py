"""CIFAR-10 from the dataset list: downloaded (from a local mirror), trained in colour."""

from __future__ import annotations

from studio.engine import TrainConfig


def test_cifar10_downloads_and_trains_an_rgb_preset_with_colour_filters(
        window, qtbot, cifar_mirror, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_MIRROR", cifar_mirror)
    window.load_preset("lenet5_rgb")
    panel = window.training_panel
    panel.dataset.setCurrentIndex(panel.dataset.findData("cifar10"))
    assert panel.settings["dataset"] == "cifar10"
    assert "CIFAR-10" in panel.dataset.currentText()
    window.start_training(TrainConfig(epochs=1, batch_size=12, snapshot_interval=0.05))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert not window.errors
    assert "test accuracy" in window.progress.format()
    watch = window.watch
    watch.tabs.setCurrentWidget(watch.filters)
    qtbot.waitUntil(lambda: watch.filters.grid.images is not None, timeout=5000)
    assert watch.filters.grid.images.shape == (6, 5, 5, 3)  # six colour 5×5 filters
