"""Train is a fresh, seeded run; Continue carries the last one on; runs say where they came from."""

from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from studio.app.runs_panel import COLUMNS
from studio.app.training_panel import training_config

from .conftest import uninterrupted_weights
from .test_worker_setup import colour_images


def settle(window, qtbot, lr: str, epochs: int = 1) -> None:
    """Type the learning rate and epochs into the Training tab, as a person would."""
    panel = window.training_panel
    window.side_tabs.setCurrentWidget(panel)
    for box, text in ((panel.lr, lr), (panel.epochs, str(epochs))):
        box.selectAll()
        qtbot.keyClicks(box, text)
        qtbot.keyClick(box, Qt.Key.Key_Return)


def click_and_wait(window, qtbot, name: str) -> None:
    button = window.findChild(QPushButton, name)
    assert button.isEnabled(), f"{name} is disabled: {button.toolTip()}"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.training.running
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)


def cell(window, row: int, column: str) -> str:
    return window.watch.runs.table.item(row, COLUMNS.index(column)).text()


def test_train_after_a_dead_run_starts_fresh_and_continue_carries_on(window, qtbot):
    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    continue_button = window.findChild(QPushButton, "continueButton")
    assert not continue_button.isEnabled()  # nothing trained yet
    menu = next(a.menu() for a in window.menuBar().actions() if "Training" in a.text())
    assert any("Continue" in action.text() for action in menu.actions())
    epoch_messages = []
    window.training.epoch_finished.connect(
        lambda _: epoch_messages.append(window.statusBar().currentMessage()))

    settle(window, qtbot, "0.5")  # far too high: the ReLUs die, the network guesses
    click_and_wait(window, qtbot, "trainButton")
    assert window.recorder.runs[0].test_accuracy < 0.2
    assert re.search(r"test accuracy \d+\.\d\d %", epoch_messages[-1])
    assert re.search(r"test accuracy \d+\.\d\d %", window.progress.format())

    settle(window, qtbot, "0.05")
    click_and_wait(window, qtbot, "trainButton")
    fresh = window.recorder.runs[1]
    assert fresh.continued_from is None and fresh.test_accuracy > 0.8  # not the dead weights
    expected = uninterrupted_weights("tiny", training_config(window.training_panel.settings))
    for name, array in window.trained_network().state_dict().items():
        assert (array == expected[name]).all(), f"{name}: not a fresh run from the seed"

    assert continue_button.isEnabled()
    watch = window.watch
    before = watch.loss.data()[0].copy()
    click_and_wait(window, qtbot, "continueButton")
    assert [run.continued_from for run in window.recorder.runs] == [None, None, 2]
    steps = watch.loss.data()[0]  # the curves carry on: run 2's batches, then run 3's
    assert len(steps) == 2 * len(before) and (steps[:len(before)] == before).all()
    assert (np.diff(steps) == 1).all() and watch.loss.span == 2 * before[-1]
    assert [e.epoch for e in watch.accuracy.epochs] == [0, 1] and watch.accuracy.span == 2
    assert "Epoch 2: test accuracy" in window.progress.format()  # the count goes on
    kept = [snapshot.step for snapshot in watch.store.snapshots]
    assert kept == sorted(set(kept)) and kept[-1] == steps[-1]  # the timeline spans both
    assert window.recorder.runs[2].steps[0] == 1  # a new run of its own, from run 2's weights
    assert [cell(window, r, "lineage") for r in range(3)] == [
        "new", "new", "continued from run 2"]
    assert cell(window, 2, "dataset") == "synthetic" and cell(window, 2, "seed") == "0"


def test_try_it_on_units_killed_by_the_learning_rate_lowers_it_and_overlays_the_runs(window,
                                                                                    qtbot):
    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    settle(window, qtbot, "0.5")
    click_and_wait(window, qtbot, "trainButton")
    canvas = window.watch.canvas
    badge = canvas.blocks[0].badge
    qtbot.waitUntil(badge.isVisible, timeout=3000)
    assert "learning rate is too high" in canvas.blocks[0].health.message
    point = canvas.mapFromScene(badge.mapToScene(badge.boundingRect().center()))
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.objectName() == "layerHealth")
    try_it = next(b for b in box.buttons() if b.text().startswith("Try it"))
    assert "learning rate" in try_it.text() and "leaky" not in try_it.text()
    qtbot.mouseClick(try_it, Qt.MouseButton.LeftButton)
    assert window.training.running
    assert window.training_panel.lr.value() == 0.05
    assert window.document.layers[1]["type"] == "relu"  # the network is left as it was
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    before, after = window.recorder.runs
    assert after.continued_from is None and after.test_accuracy > 0.8 > before.test_accuracy
    runs = window.watch.runs
    assert window.watch.tabs.currentWidget() is runs
    assert [run.number for run in runs.selected()] == [1, 2]
    names = {item.name() for item in runs.loss.getPlotItem().items if hasattr(item, "name")}
    assert {"run 1 raw", "run 2 raw"} <= names


def test_a_run_that_cannot_start_leaves_the_last_run_on_screen(window, qtbot, monkeypatch):
    """A download with no network, say: the error is shown and nothing the learner saw goes."""
    from studio.data import DataError

    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    settle(window, qtbot, "0.05")
    click_and_wait(window, qtbot, "trainButton")
    watch = window.watch
    steps, snapshots = watch.loss.data()[0].copy(), len(watch.store.snapshots)
    status = window.recorder.runs[0].status

    def unreachable(*_):
        raise DataError("https://example.org/mnist: cannot download (no network)")

    monkeypatch.setattr(window, "_loader", lambda: unreachable)
    click_and_wait(window, qtbot, "trainButton")
    assert window.errors and "cannot download" in window.errors[-1]
    assert len(window.recorder.runs) == 1 and window.recorder.runs[0].status == status
    assert window.watch.runs.table.rowCount() == 1
    assert (watch.loss.data()[0] == steps).all() and len(watch.store.snapshots) == snapshots
    assert window.findChild(QPushButton, "trainButton").isEnabled()
    assert window.progress.format().startswith("run 1 finished: test accuracy")

    shown = watch.dataset  # images the network cannot take fail after loading: still kept
    monkeypatch.setattr(window, "_loader", lambda: lambda *_: colour_images())
    click_and_wait(window, qtbot, "trainButton")
    assert "expects 1×28×28 input" in window.errors[-1]
    assert watch.dataset is shown and len(window.recorder.runs) == 1
    assert (watch.loss.data()[0] == steps).all() and len(watch.store.snapshots) == snapshots


def test_a_first_run_offline_says_what_to_do_in_the_window(window, qtbot, monkeypatch, tmp_path):
    """The command line's advice (--mirror, $STUDIO_DATA_MIRROR) means nothing in the
    window, and with no run before there is no 'last one' still shown."""
    from studio.data import download

    def offline(*_):  # a real download from an address nothing answers at
        return download.fetch(download.MNIST, mirror="http://127.0.0.1:9/", folder=tmp_path)

    monkeypatch.setattr(window, "_loader", lambda: offline)
    click_and_wait(window, qtbot, "trainButton")
    error = window.errors[-1]
    assert error.startswith("MNIST could not be downloaded from 127.0.0.1 (")
    assert "“A folder…”" in error and "--" not in error and "$" not in error
    assert window.statusBar().currentMessage() == "The run did not start."
    assert not window.recorder.runs and window.findChild(QPushButton, "trainButton").isEnabled()


def test_the_training_tab_says_how_many_images_a_run_sees(window, qtbot):
    """A folder of MNIST may hold fewer than the 60,000 training images tutorials quote."""
    from PySide6.QtWidgets import QLabel

    label = window.findChild(QLabel, "datasetImages")
    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    assert "once the dataset is loaded" in label.text()
    settle(window, qtbot, "0.05")
    click_and_wait(window, qtbot, "trainButton")
    dataset = window.watch.dataset
    assert label.text().startswith(f"{len(dataset.train_images):,} training and "
                                   f"{len(dataset.test_images):,} test images, 1×28×28, 10 classes")
    window.training_panel.dataset.setCurrentIndex(window.training_panel.dataset.findData("mnist"))
    assert "once the dataset is loaded" in label.text()
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    window._on_settings_change()  # as opening a project does: back to the loaded one
    assert label.text().startswith(f"{len(dataset.train_images):,} training")
    window.load_preset("lenet5_rgb")  # another input: those images are not what it trains on
    assert "once the dataset is loaded" in label.text()
