"""Training in the real window: live panels fill, controls answer, failures are readable."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer

from studio.engine import TrainConfig

from .conftest import continue_exactly, stop_midway, uninterrupted_weights


def train(window, qtbot, preset="tiny", timeout=60000, **settings):
    window.load_preset(preset)
    config = TrainConfig(**{"epochs": 2, "snapshot_interval": 0.05, **settings})
    window.start_training(config)
    assert window.training.running
    qtbot.waitUntil(lambda: not window.training.running, timeout=timeout)


def test_a_run_fills_every_live_panel(window, qtbot):
    train(window, qtbot)
    watch = window.watch
    steps, losses = watch.loss.data()
    assert len(steps) == 2 * 94 and np.all(np.diff(steps) == 1), "a batch's loss was dropped"
    assert losses[-1] < losses[0]
    assert [e.epoch for e in watch.accuracy.epochs] == [0, 1]
    for index in range(4):  # filters, feature maps, gradients, mistakes draw when shown
        watch.tabs.setCurrentIndex(index)
        watch._draw_latest()
    assert watch.evaluation.confusion.sum() == 1000
    kernels = watch.filters.grid.images
    assert kernels.shape == (4, 3, 3) and np.abs(kernels).sum() > 0
    np.testing.assert_array_equal(kernels, watch._drawn.kernels[0][:, 0])
    assert watch.filters.grid.item.image is not None
    assert watch.feature_maps.maps.images.shape == (4, 26, 26)
    assert watch.gradients.saliency.images.shape == (1, 28, 28)
    assert set(watch.gradients.curves) == {0, 4}
    assert "Training finished" in window.progress.format()


def test_clicking_a_block_selects_the_layer_in_the_panels(window, qtbot):
    train(window, qtbot, preset="lenet5", epochs=1)
    window.watch.tabs.setCurrentWidget(window.watch.filters)
    window.document.select(3)
    window.watch._draw_latest()
    assert window.watch.filters.layer == 3
    assert len(window.watch.filters.grid.images) == 64  # 16×6 kernels, the first 64 shown
    assert window.watch.feature_maps.layer_choice.currentIndex() == 3


def test_pause_holds_the_batch_count_and_resume_continues(window, qtbot):
    window.load_preset("lenet5")
    window.start_training(TrainConfig(epochs=50, snapshot_interval=0.1))
    qtbot.waitUntil(lambda: window.progress.value() > 5, timeout=30000)
    window.toggle_pause()
    qtbot.wait(300)
    held = window.training.worker.trainer  # the loop is parked between batches
    count = len(window.watch.loss.data()[0])
    qtbot.wait(400)
    assert len(window.watch.loss.data()[0]) == count
    assert held.paused and window.pause_button.text() == "Resume"
    window.toggle_pause()
    qtbot.waitUntil(lambda: len(window.watch.loss.data()[0]) > count, timeout=5000)
    asked = time.perf_counter()
    window.stop_training()
    qtbot.waitUntil(lambda: window.palette.isEnabled(), timeout=1000)
    assert time.perf_counter() - asked < 1.0
    assert "Training stopped" in window.progress.format()


def test_a_diverging_run_ends_with_a_readable_message_and_the_app_works(window, qtbot):
    train(window, qtbot, lr=1e6, schedule="constant")
    assert window.errors and "training diverged" in window.errors[-1]
    assert "lower learning rate" in window.errors[-1]
    assert window.train_button.isEnabled()
    train(window, qtbot, epochs=1)
    assert window.watch.accuracy.epochs


def test_closing_while_training_stops_the_worker_thread(window, qtbot):
    window.load_preset("lenet5")
    window.start_training(TrainConfig(epochs=50))
    qtbot.waitUntil(lambda: window.progress.value() > 2, timeout=30000)
    thread = window.training.thread
    window.close()
    assert not thread.isRunning()
    assert not window.training.running
    assert threading.active_count() < 10


def test_drawing_a_digit_shows_probabilities(window, qtbot):
    train(window, qtbot, epochs=1)
    sketch = window.watch.drawing.sketch
    qtbot.mousePress(sketch, Qt.MouseButton.LeftButton, pos=QPoint(140, 40))
    for y in range(40, 240, 20):
        qtbot.mouseMove(sketch, QPoint(140, y))
    qtbot.mouseRelease(sketch, Qt.MouseButton.LeftButton, pos=QPoint(140, 240))
    heights = window.watch.drawing.bars.opts["height"]
    assert len(heights) == 10 and abs(float(np.sum(heights)) - 1) < 1e-4
    assert sketch.pixels().max() > 0.5


@pytest.mark.slow
def test_the_window_stays_responsive_while_lenet5_trains(window, qtbot):
    """A 10 ms timer on the GUI thread: the 99th percentile gap stays under 50 ms."""
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    window.load_preset("lenet5")
    window.watch.tabs.setCurrentWidget(window.watch.feature_maps_page)
    window.start_training(TrainConfig(epochs=50, snapshot_interval=0.1))
    qtbot.waitUntil(lambda: window.progress.value() > 2, timeout=30000)
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    last[0] = time.perf_counter()
    qtbot.wait(4000)
    timer.stop()
    window.stop_training()
    qtbot.waitUntil(lambda: not window.training.running, timeout=2000)
    p99 = float(np.percentile(gaps, 99)) * 1000
    print(f"GUI timer gaps while training LeNet-5: median "
          f"{np.median(gaps) * 1000:.1f} ms, p99 {p99:.1f} ms, max {max(gaps) * 1000:.1f} ms")
    assert len(gaps) > 200
    assert p99 < 50


@pytest.fixture
def local_mnist(mirror, monkeypatch, tmp_path):
    """MNIST served from the local mirror into a temporary cache, with the mirror's hashes."""
    import hashlib

    from studio.data import catalogue
    from studio.data.download import RemoteDataset

    hashes = {name: hashlib.sha256(body).hexdigest() for name, body in mirror.files.items()}
    monkeypatch.setitem(catalogue.REMOTE, "mnist",
                        RemoteDataset("mnist", "MNIST", "http://unused.invalid/", hashes))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("STUDIO_DATA_MIRROR", f"http://127.0.0.1:{mirror.server_address[1]}/")
    return mirror


def test_mnist_downloads_with_progress_then_trains(window, qtbot, local_mnist):
    shown: list[str] = []
    window.training.download.connect(lambda *_: shown.append(window.progress.format()))
    window.training_panel.set_settings({"dataset": "mnist"})
    train(window, qtbot, preset="tiny", epochs=1)
    assert any(text.startswith("downloading ") for text in shown)
    assert len(local_mnist.requests) == 4
    assert window.watch.dataset.name == "MNIST"
    assert window.watch.accuracy.epochs[0].test.accuracy > 0.8


def test_stop_cancels_a_download(window, qtbot, local_mnist):
    window.training_panel.set_settings({"dataset": "mnist"})
    window.load_preset("tiny")
    window.start_training(TrainConfig(epochs=1))
    window.stop_training()  # before the worker's first block of the first file
    qtbot.waitUntil(lambda: not window.training.running, timeout=10000)
    assert "Download cancelled" in window.progress.format()
    assert not window.errors


def test_stop_then_continue_carries_the_run_on_exactly(window, qtbot):
    config = TrainConfig(epochs=3, snapshot_interval=0, seed=1)
    expected = uninterrupted_weights("tiny", config)

    window.load_preset("tiny")
    stop_midway(window, qtbot, config)
    assert window.training.stopped_run is not None
    continue_exactly(window, qtbot, config, expected)
