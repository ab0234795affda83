"""The curves keep up with short epochs without redrawing for each one."""

from __future__ import annotations

import numpy as np

from studio.app.curves_panel import CURVE_REDRAW_MS, AccuracyPanel, LossPanel, epoch_label_step
from studio.engine import EpochEnd


def _epoch(index: int) -> EpochEnd:
    return EpochEnd(epoch=index, train_loss=0.1, train_accuracy=0.9 + index / 100, test=None,
                    seconds=0.1)


def test_epochs_ending_together_are_drawn_in_one_redraw(qtbot):
    panel = AccuracyPanel()
    qtbot.addWidget(panel)
    panel.reset(epochs=10)
    panel.add(_epoch(0))
    assert list(panel.train.getData()[0]) == [1]  # the first epoch shows at once
    for index in range(1, 5):
        panel.add(_epoch(index))
    assert list(panel.train.getData()[0]) == [1]  # the next ones wait for the cooldown...
    assert len(panel.epochs) == 5  # ...though none is lost
    qtbot.waitUntil(lambda: len(panel.train.getData()[0]) == 5, timeout=4 * CURVE_REDRAW_MS)
    x, y = panel.train.getData()
    assert list(x) == [1, 2, 3, 4, 5] and y[-1] == 94


def test_loss_bundles_arriving_together_are_drawn_in_one_redraw(qtbot):
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.reset(total_steps=100)
    for first in range(0, 40, 10):
        steps = np.arange(first, first + 10)
        panel.add(np.vstack([steps, 2.0 - steps / 50, np.zeros(10)]))
    assert len(panel.raw.getData()[0]) == 10  # the first bundle at once, the rest later
    assert len(panel.data()[0]) == 40
    qtbot.waitUntil(lambda: len(panel.raw.getData()[0]) == 40, timeout=4 * CURVE_REDRAW_MS)


def test_the_epoch_axis_keeps_its_labels_apart():
    assert [epoch_label_step(n) for n in (1, 12, 13, 24, 25, 60, 61, 200, 1000)] == [
        1, 1, 2, 2, 5, 5, 10, 20, 100]
    for epochs in range(1, 500):
        assert epochs / epoch_label_step(epochs) <= 12  # at most 12 labels (and 13 ticks)
