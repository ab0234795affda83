"""The Training tab's "Textbook engine" trains on the paper's loops, to the fast weights."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QPushButton

from studio.app.training_panel import training_config

from .conftest import uninterrupted_weights


def test_choosing_the_textbook_engine_trains_on_it_to_the_same_weights(window, qtbot):
    window.load_preset("tiny")
    panel = window.training_panel
    panel.set_settings({**panel.settings, "dataset": "synthetic", "epochs": 1})
    window.side_tabs.setCurrentWidget(panel)
    choice = window.findChild(QComboBox, "engineChoice")
    choice.setFocus()
    qtbot.keyClick(choice, Qt.Key.Key_Down)  # the second entry, as a person picks it
    assert panel.settings["engine"] == "textbook"
    used = training_config(panel.settings)
    assert used.engine == "textbook"

    qtbot.mouseClick(window.findChild(QPushButton, "trainButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.training.running, timeout=120000)
    run = window.recorder.runs[-1]
    assert run.training["engine"] == "textbook"
    fast = uninterrupted_weights("tiny", training_config({**panel.settings, "engine": "fast"}))
    for name, array in window.trained_network().state_dict().items():
        np.testing.assert_allclose(array, fast[name], rtol=1e-3, atol=1e-4, err_msg=name)
