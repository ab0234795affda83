"""Compare runs: every training run of the project in a table; select some to overlay them.

The loss curves are always drawn raw; the smoothing control adds a smoothed
line on top (0 turns it off), so smoothing never hides what happened.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from studio.engine import DEFAULT_LEARNING_RATES
from studio.io import Run

from .colours import faint, series_colour
from .curves_panel import epoch_label_step, smoothed
from .panel import Panel, plain_axes
from .plot_key import PlotKey, beside

COLUMNS = ("run", "started", "status", "lineage", "dataset", "seed", "epochs", "test accuracy",
           "optimiser", "learning rate", "batch", "layers")
SETTING_NAMES = {"optimizer": "optimiser", "lr": "learning rate", "batch_size": "batch size",
                 "epochs": "epochs", "schedule": "schedule", "weight_decay": "weight decay",
                 "seed": "seed", "dataset": "dataset", "frozen_filters": "fixed filters"}


def _layer_text(layer: dict[str, Any]) -> str:
    settings = ", ".join(f"{k} {v}" for k, v in layer.items() if k != "type")
    return layer.get("type", "?") + (f" ({settings})" if settings else "")


def dataset_text(run: Run) -> str:
    """The dataset a run trained on, a folder by its name."""
    kind = run.training.get("dataset", "")
    folder = run.training.get("folder", "")
    return f"folder {Path(folder).name}" if kind == "folder" and folder else kind


def setting(run: Run, key: str) -> Any:
    """A run's setting as it trained: the optimiser's default rate when none was set."""
    value = run.training.get(key)
    if key == "lr" and value is None:
        return DEFAULT_LEARNING_RATES.get(run.training.get("optimizer", "sgd"))
    return value


def differences(runs: list[Run]) -> list[str]:
    """Sentences for every setting and layer that is not the same in all `runs`."""
    lines = []
    for key, name in SETTING_NAMES.items():
        values = [json.dumps(setting(run, key)) for run in runs]
        if len(set(values)) > 1:
            lines.append(f"{name}: " + " | ".join(f"run {r.number} {v}"
                                                  for r, v in zip(runs, values)))
    layer_lists = [run.architecture.get("layers", []) for run in runs]
    inputs = [json.dumps(run.architecture.get("input")) for run in runs]
    if len(set(inputs)) > 1:
        lines.append("input: " + " | ".join(f"run {r.number} {v}" for r, v in zip(runs, inputs)))
    for i in range(max(map(len, layer_lists), default=0)):
        texts = [_layer_text(layers[i]) if i < len(layers) else "—" for layers in layer_lists]
        if len(set(texts)) > 1:
            lines.append(f"layer {i}: " + " | ".join(f"run {r.number} {t}"
                                                     for r, t in zip(runs, texts)))
    return lines or ["The selected runs have the same settings and the same network."]


class RunsPanel(Panel):
    def __init__(self, parent=None):
        super().__init__("runsPanel", "Every training run of this project. Select two or more "
                         "(Ctrl-click) to overlay their curves and see how their settings and "
                         "networks differ.", parent)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("runsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.loss = pg.PlotWidget()
        plain_axes(self.loss)
        self.loss.setObjectName("runsLossPlot")  # PlotWidget ignores objectName=
        self.loss.setLabel("bottom", "batch")
        self.loss.setLabel("left", "loss")
        self.key = PlotKey("runsKey")  # every run drawn, in its colour, off the curves
        self.accuracy = pg.PlotWidget()
        plain_axes(self.accuracy)
        self.accuracy.setObjectName("runsAccuracyPlot")
        self.accuracy.setLabel("bottom", "epoch")
        self.accuracy.setLabel("left", "test accuracy", units="%")
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setObjectName("runsSmoothing")
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(90)
        self.smoothing_label = QLabel()
        self.differences = QPlainTextEdit()
        self.differences.setObjectName("runsDifferences")
        self.differences.setReadOnly(True)
        control = QHBoxLayout()
        control.addWidget(self.smoothing_label)
        control.addWidget(self.smoothing, 1)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.loss)
        plots.addWidget(self.accuracy)
        keyed = QWidget()
        keyed.setLayout(beside(plots, self.key))
        keyed.layout().setContentsMargins(0, 0, 0, 0)
        lower = QSplitter(Qt.Orientation.Horizontal)
        lower.addWidget(keyed)
        lower.addWidget(self.differences)
        lower.setSizes([700, 300])
        column = QSplitter(Qt.Orientation.Vertical)
        column.addWidget(self.table)
        column.addWidget(lower)
        rows = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(  # two runs whole, under the header, over a scroll bar
            self.table.horizontalHeader().sizeHint().height() + 2 * rows + 4
            + self.table.horizontalScrollBar().sizeHint().height()
            + 2 * self.table.frameWidth())
        column.setSizes([4 * rows, 300])
        for splitter in (column, lower, plots):
            splitter.setChildrenCollapsible(False)
        self.body.addLayout(control)
        self.body.addWidget(column, 1)
        self.runs: list[Run] = []
        self._stale = False  # the runs changed while hidden: shown on the next show
        self.table.itemSelectionChanged.connect(self.redraw)
        self.smoothing.valueChanged.connect(lambda _: self.redraw())
        self._label_smoothing()

    def set_runs(self, runs: list[Run]) -> None:
        """Show `runs`, keeping the selection by run number."""
        chosen = {run.number for run in self.selected()}
        self.runs = runs
        self.table.blockSignals(True)
        self.table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            accuracy = run.test_accuracy
            settings = run.training
            cells = (run.number, run.started.replace("T", " ")[:16], run.status, run.lineage,
                     dataset_text(run), settings.get("seed", ""), len(run.epochs),
                     "—" if accuracy is None else f"{accuracy:.2%}",
                     settings.get("optimizer", ""), setting(run, "lr"),
                     settings.get("batch_size", ""), len(run.architecture.get("layers", [])))
            for column, value in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(str(value)))
        self._select(chosen)
        self.table.resizeColumnsToContents()
        self.table.blockSignals(False)
        if self.isVisible():
            self.redraw()
        else:  # an epoch ends several times a second on small data: draw what is seen
            self._stale = True

    def follow(self, runs: list[Run]) -> None:
        """The current run moved on (an epoch ended): shown now if the panel is on show,
        else when it is next shown. An epoch of a small dataset ends ten times a second,
        and refilling a hidden table each time took GUI-thread time from training."""
        if self.isVisible():
            self.set_runs(runs)
        else:
            self.runs, self._stale = runs, True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.set_runs(self.runs)

    def selected(self) -> list[Run]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[row] for row in rows if row < len(self.runs)]

    def select_numbers(self, numbers: list[int]) -> None:
        self._select(set(numbers))

    def _select(self, numbers: set[int]) -> None:
        """Select the rows of these runs (selectRow alone keeps only the last one)."""
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row, run in enumerate(self.runs):
            if run.number in numbers:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _label_smoothing(self) -> None:
        weight = self.smoothing.value() / 100
        self.smoothing_label.setText(
            f"smoothing {weight:.2f} (exponential moving average; the raw loss is always drawn"
            + (", no smoothed line)" if weight == 0 else ")"))

    def redraw(self) -> None:
        self._stale = False
        self._label_smoothing()
        self.loss.clear()
        self.accuracy.clear()
        chosen = self.selected() or self.runs[-1:]
        step = epoch_label_step(max((len(run.epochs) for run in chosen), default=1))
        self.accuracy.getAxis("bottom").setTickSpacing(major=step, minor=step)  # whole epochs
        weight = self.smoothing.value() / 100
        self.key.set_entries([(f"run {run.number}", series_colour(i), "━")
                              for i, run in enumerate(chosen)])
        for i, run in enumerate(chosen):
            colour = series_colour(i)
            steps, losses = np.asarray(run.steps), np.asarray(run.losses)
            self.loss.plot(steps, losses, pen=pg.mkPen(faint(colour, 90 if weight else 255)),
                           name=f"run {run.number} raw")
            if weight and len(losses):
                self.loss.plot(steps, smoothed(losses, weight), pen=pg.mkPen(colour, width=2),
                               name=f"run {run.number} smoothed")
            tested = [e for e in run.epochs if e.get("test_accuracy") is not None]
            if tested:
                self.accuracy.plot([e["epoch"] for e in tested],
                                   [100 * e["test_accuracy"] for e in tested],
                                   pen=pg.mkPen(colour, width=2), symbol="o", symbolBrush=colour)
        self.differences.setPlainText("\n".join(differences(chosen)) if len(chosen) > 1 else
                                      "Select two or more runs to compare their settings.")

    def exported_data(self) -> tuple[np.ndarray, list[str]] | None:
        """Run, epoch and test accuracy of every epoch of the selected runs."""
        rows = [(run.number, e["epoch"], np.nan if e.get("test_accuracy") is None
                 else 100 * e["test_accuracy"])
                for run in (self.selected() or self.runs) for e in run.epochs]
        return ((np.array(rows, dtype=float), ["run", "epoch", "test accuracy %"]) if rows
                else None)
