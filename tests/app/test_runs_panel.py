"""Every run is recorded in the project; the runs panel overlays and compares them."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from studio.app.runs_panel import RunsPanel
from studio.engine import TrainConfig
from studio.io import Run, read_project

from .conftest import stop_midway


def two_runs(window, qtbot):
    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic",
                                        "epochs": 2})
    for lr in (0.05, 0.01):
        window.training_panel.lr.setValue(lr)
        window.start_training()  # a fresh run each time
        qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    return window.watch.runs


def curves(plot):
    return [item for item in plot.getPlotItem().items if isinstance(item, pg.PlotDataItem)]


def test_two_runs_are_listed_overlaid_and_compared(window, qtbot):
    panel = two_runs(window, qtbot)
    assert panel.table.rowCount() == 2
    assert [panel.table.item(r, 2).text() for r in range(2)] == ["finished", "finished"]
    panel.select_numbers([1, 2])
    assert [run.number for run in panel.selected()] == [1, 2]
    assert len(curves(panel.loss)) == 4  # raw and smoothed for each run
    assert len(curves(panel.accuracy)) == 2
    assert panel.key.names == ["run 1", "run 2"]  # every run drawn is named, off the plot
    percent = [run.epochs[-1]["test_accuracy"] * 100 for run in window.recorder.runs]
    assert [curve.getData()[1][-1] for curve in curves(panel.accuracy)] == percent
    assert "%" in panel.accuracy.getAxis("left").labelString()  # the axis says what it shows
    array, columns = panel.exported_data()
    assert columns[-1] == "test accuracy %" and list(array[[1, 3], 2]) == percent
    window.resize(1024, 700)  # the small screen still shows both runs whole
    window.pages.setCurrentWidget(window.watch)
    window.watch.tabs.setCurrentWidget(panel)
    qtbot.wait(100)
    assert panel.table.viewport().height() >= 2 * panel.table.rowHeight(0)
    text = panel.differences.toPlainText()
    assert "learning rate: run 1 0.05 | run 2 0.01" in text
    panel.smoothing.setValue(0)
    assert len(curves(panel.loss)) == 2  # raw only, and the label says so
    assert "no smoothed line" in panel.smoothing_label.text()
    raw = curves(panel.loss)[0].getData()[1]
    np.testing.assert_allclose(raw, window.recorder.runs[0].losses)


def test_runs_are_saved_with_the_project_and_come_back(window, qtbot, tmp_path):
    two_runs(window, qtbot)
    path = tmp_path / "runs.cnnproj"
    assert window.save_to(path)
    project = read_project(path)
    assert [run.number for run in project.runs] == [1, 2]
    assert project.runs[1].training["lr"] == 0.01
    final = window.trained_network().state_dict()
    for name, array in final.items():
        np.testing.assert_array_equal(project.runs[1].weights[name], array)
    window.new_network()
    assert window.watch.runs.table.rowCount() == 0
    assert window.open_file(path)
    assert window.watch.runs.table.rowCount() == 2


def test_a_stopped_run_that_continues_exactly_stays_one_run(window, qtbot):
    window.load_preset("tiny")
    config = TrainConfig(epochs=3, snapshot_interval=0)
    stop_midway(window, qtbot, config)
    assert window.recorder.runs[-1].status == "stopped"
    window.continue_training(config)
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert [(r.number, r.status) for r in window.recorder.runs] == [(1, "finished")]
    steps = window.recorder.runs[0].steps
    assert steps == sorted(steps) and len(steps) == len(set(steps))  # no batch twice


def test_a_run_records_the_settings_it_actually_trained_with(window, qtbot):
    window.load_preset("tiny")
    window.start_training(TrainConfig(epochs=1, lr=0.02, seed=4, snapshot_interval=0))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    run = window.recorder.runs[-1]
    assert (run.training["lr"], run.training["seed"], run.training["epochs"]) == (0.02, 4, 1)


def test_runs_that_end_while_the_panel_is_hidden_are_drawn_when_it_is_shown(window, qtbot):
    panel = two_runs(window, qtbot)
    latest = np.asarray(window.recorder.runs[-1].losses)

    def drawn() -> bool:
        return any(np.array_equal(c.getData()[1], latest) for c in curves(panel.loss))

    assert not panel.isVisible() and not drawn()  # nothing is drawn unseen
    window.pages.setCurrentWidget(window.watch)
    window.watch.tabs.setCurrentWidget(panel)
    assert panel.isVisible() and drawn()


def test_a_long_run_labels_its_epochs_apart(qtbot):
    panel = RunsPanel()
    qtbot.addWidget(panel)
    epochs = [{"epoch": e + 1, "test_accuracy": 0.9} for e in range(30)]
    panel.set_runs([Run(1, "2026-01-01T00:00", {}, {}, "finished", [0, 1], [2.0, 1.0], epochs)])
    panel.redraw()
    major = panel.accuracy.getAxis("bottom").tickSpacing(0, 30, 400)[0][0]
    assert major == 5  # a label every epoch ran together
