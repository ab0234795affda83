"""While training runs, the GUI thread shares the two cores with it: its updates stay small.

Each guard here is against a cost that was measured (`python -m studio bench
--gui`): a label whose new text made the tab widgets around it repaint the
whole window, hidden panels redrawn anyway, a progress update per epoch.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from studio.app.gradients_panel import GradientsPanel
from studio.app.runs_panel import COLUMNS, RunsPanel
from studio.app.steady_label import SteadyLabel
from studio.app.training_worker import PROGRESS_INTERVAL, TrainingWorker
from studio.data import synthetic_dataset
from studio.engine import Snapshot, TrainConfig
from studio.io import Run, load_preset


class LayoutRequests(QObject):
    """Counts the layout requests a widget receives."""

    def __init__(self, widget: QWidget):
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def label_in_tabs(qtbot, label: QLabel) -> QTabWidget:
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    page = QWidget()
    QVBoxLayout(page).addWidget(label)
    tabs.addTab(page, "page")
    tabs.show()
    qtbot.waitExposed(tabs)
    return tabs


def requests_after_new_texts(qtbot, label: QLabel) -> int:
    tabs = label_in_tabs(qtbot, label)
    label.setText("step 1000, epoch 10 · 12 kept")
    qtbot.wait(20)
    requests = LayoutRequests(tabs)
    for step in range(10):  # shorter texts than the first, as numbers come and go
        label.setText(f"step {step}, epoch 1 · {step} kept")
        qtbot.wait(5)
    return requests.count


def test_a_new_text_re_lays_out_the_tab_widget_only_with_a_plain_label(qtbot):
    assert requests_after_new_texts(qtbot, QLabel()) > 0  # each one: the whole tab widget
    assert requests_after_new_texts(qtbot, SteadyLabel()) == 0


def test_a_steady_label_grows_to_fit_its_text_and_never_shrinks(qtbot):
    label = SteadyLabel("short")
    qtbot.addWidget(label)
    narrow = label.width()
    label.setText("a much longer text than before")
    wide = label.width()
    assert wide > narrow and wide >= label.fontMetrics().horizontalAdvance(label.text())
    label.setText("short")
    assert label.width() == wide


def snapshot(step: int, norms: dict[int, float]) -> Snapshot:
    image = np.zeros((1, 28, 28), dtype=np.float32)
    return Snapshot(step, 0, {}, norms, image, 0, [], image, {}, {}, [])


def test_gradient_norms_recorded_while_hidden_are_all_drawn_when_shown(qtbot):
    panel = GradientsPanel()
    qtbot.addWidget(panel)
    for step in (1, 2, 3):
        panel.record_norms(snapshot(step, {0: 0.1 * step, 4: 0.01 * step}))
    assert panel.curves == {}  # a hidden log-scale plot is not updated
    panel.show_snapshot(snapshot(3, {0: 0.3, 4: 0.03}), None)
    curve = panel.curves[4]
    np.testing.assert_array_equal(curve.xData, [1, 2, 3])
    np.testing.assert_allclose(curve.yData, [0.01, 0.02, 0.03])


EPOCHS = COLUMNS.index("epochs")


def test_runs_that_move_on_while_the_panel_is_hidden_are_shown_when_it_is(qtbot):
    panel = RunsPanel()
    qtbot.addWidget(panel)
    run = Run(1, "2026-01-01T00:00", {}, {}, "running", [0], [2.0], [])
    panel.set_runs([run])
    run.epochs.append({"epoch": 1, "loss": 1.0, "train_accuracy": 0.5, "test_accuracy": 0.5})
    panel.follow([run])
    assert panel.table.item(0, EPOCHS).text() == "0"  # not refilled while nobody looks
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.table.item(0, EPOCHS).text() == "1"
    run.epochs.append({"epoch": 2, "loss": 0.5, "train_accuracy": 0.9, "test_accuracy": 0.9})
    panel.follow([run])
    assert panel.table.item(0, EPOCHS).text() == "2"  # on show: at once


def test_the_losses_of_many_short_epochs_arrive_in_bundles(qtbot):
    dataset = synthetic_dataset(train=320, test=64)
    config = TrainConfig(epochs=30, batch_size=32, snapshot_interval=0)
    worker = TrainingWorker(load_preset("tiny"), lambda progress, cancelled: dataset, config)
    bundles, epochs = [], []
    worker.progress.connect(lambda event, history: bundles.append(history))
    worker.epoch_finished.connect(epochs.append)
    started = time.perf_counter()
    worker.run()  # on this thread: the signals arrive at once
    seconds = time.perf_counter() - started
    assert len(epochs) == 30
    assert len(bundles) <= 2 + seconds / PROGRESS_INTERVAL  # not one per epoch
    steps = np.concatenate([history[0] for history in bundles])
    np.testing.assert_array_equal(steps, np.arange(1, 30 * 10 + 1))  # every batch, once
