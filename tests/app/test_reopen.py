"""Reopening a project shows its last run as it was left: curves, confusion matrix, mistakes."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton


def test_a_reopened_project_shows_its_last_runs_curves_confusion_and_mistakes(window, qtbot,
                                                                              tmp_path):
    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic",
                                        "epochs": 2})
    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    watch = window.watch
    steps, losses = (a.copy() for a in watch.loss.data())
    accuracies = [(e.train_accuracy, e.test.accuracy) for e in watch.accuracy.epochs]
    confusion = watch.store.evaluations[1].confusion.copy()
    path = tmp_path / "left.cnnproj"
    assert window.save_to(path)

    window.new_network()
    assert not len(watch.loss.data()[0]) and not watch.accuracy.epochs
    window.watch.dataset = None  # as in a new session: no dataset loaded yet
    assert window.open_file(path)
    np.testing.assert_array_equal(watch.loss.data()[0], steps)
    np.testing.assert_allclose(watch.loss.data()[1], losses)
    assert [(e.train_accuracy, e.test.accuracy) for e in watch.accuracy.epochs] == accuracies
    assert window.progress.format() == (f"run 1 finished: test accuracy "
                                        f"{100 * accuracies[-1][1]:.2f} %")
    window.pages.setCurrentWidget(watch)
    watch.tabs.setCurrentWidget(watch.evaluation)
    qtbot.waitUntil(lambda: watch.evaluation.confusion is not None, timeout=20000)
    np.testing.assert_array_equal(watch.evaluation.confusion, confusion)
    (left, right), (top, bottom) = watch.evaluation.matrix_view.viewRange()
    assert -5 < left <= 0 and 10 <= right < 15  # the ten classes (the aspect is locked),
    assert -5 < top <= 0 and 10 <= bottom < 15  # not the empty plot's −400…400
    wrong = int(confusion.sum() - np.trace(confusion))
    assert len(watch.evaluation.gallery.images) == min(wrong, 24)
    continue_button = window.findChild(QPushButton, "continueButton")
    assert continue_button.isEnabled()  # the reopened weights are run 1's
    watch.tabs.setCurrentWidget(watch.gradients)  # the norms of every kept snapshot
    qtbot.waitUntil(lambda: len(watch.gradients.curves) > 0, timeout=3000)
    for curve in watch.gradients.curves.values():
        assert len(curve.getData()[0]) == len(watch.store.snapshots) > 10
    qtbot.mouseClick(continue_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert window.recorder.runs[-1].lineage == "continued from run 1"
    both = watch.loss.data()[0].copy()
    assert len(both) == 2 * len(steps) and both[-1] == 2 * steps[-1]  # drawn after run 1's

    assert window.save_to(path)  # reopened, the continued run comes after the one it continues
    window.new_network()
    assert window.open_file(path)
    np.testing.assert_array_equal(watch.loss.data()[0], both)
    assert [e.epoch for e in watch.accuracy.epochs] == [0, 1, 2, 3]
