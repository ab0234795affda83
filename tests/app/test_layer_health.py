"""Health badges on the training canvas, their sentences, and trying their suggestions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.engine import LayerHealth, Suggestion, TrainConfig
from studio.engine.health import BAD


def synthetic_lenet(window):
    window.load_preset("lenet5")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic",
                                        "epochs": 1})


def test_training_puts_a_badge_on_every_block_with_weights(window, qtbot):
    synthetic_lenet(window)
    window.start_training(TrainConfig(epochs=1, snapshot_interval=0.05))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    qtbot.wait(250)
    blocks = window.watch.canvas.blocks
    badged = [block.index for block in blocks if block.badge.isVisible()]
    assert badged == [0, 3, 7, 9, 11]
    for block in blocks:
        if block.badge.isVisible():
            assert block.health.message in block.badge.toolTip()


def dead_relu_health() -> LayerHealth:
    return LayerHealth(0, "conv2d", 0.67, None, 0.1, 1e-3, BAD,
                       "67% of this layer's units never activate.",
                       Suggestion("train again with leaky ReLU here", leaky_relu_at=1))


def test_clicking_a_red_badge_and_trying_it_starts_a_run_with_leaky_relu(window, qtbot):
    synthetic_lenet(window)
    window.pages.setCurrentWidget(window.watch)
    canvas = window.watch.canvas
    canvas.show_health([dead_relu_health()])
    badge = canvas.blocks[0].badge
    assert badge.isVisible() and "never activate" in badge.toolTip()
    point = canvas.mapFromScene(badge.mapToScene(badge.boundingRect().center()))
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.objectName() == "layerHealth")
    try_it = next(b for b in box.buttons() if b.text().startswith("Try it"))
    qtbot.mouseClick(try_it, Qt.MouseButton.LeftButton)
    assert window.document.layers[1]["type"] == "leaky_relu"
    assert window.training.running
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    window.undo_stack.undo()
    assert window.document.layers[1]["type"] == "relu"


def test_a_learning_rate_suggestion_stops_the_run_and_starts_one_with_the_new_rate(window,
                                                                                    qtbot):
    synthetic_lenet(window)
    window.start_training(TrainConfig(epochs=50, snapshot_interval=0.05))
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=30000)
    before = window.training_panel.lr.value()
    window.try_suggestion(Suggestion("half the rate", learning_rate_factor=0.5))
    qtbot.waitUntil(lambda: window.training_panel.lr.value() == before / 2, timeout=10000)
    assert window.training.running  # the new run, with the new rate
    assert window.training.worker.config.learning_rate == before / 2
    window.stop_training()
    qtbot.waitUntil(lambda: not window.training.running, timeout=10000)
