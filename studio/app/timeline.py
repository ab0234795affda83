"""The training timeline: snapshots kept in a bounded store, and a slider that replays them.

Every snapshot the run sends is kept until the store reaches its memory limit;
then every second one is dropped (the first and the newest stay), so the
store always spans the whole run, ever more coarsely. At most `DISK_LIMIT` of
them, evenly spaced, are saved with the project.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from studio.engine import Evaluation, Snapshot

from .steady_label import SteadyLabel

MEMORY_LIMIT = 64 * 2**20
DISK_LIMIT = 32 * 2**20
#: positions a second that Replay can show, its own speed whatever the run's was
REPLAY_SPEEDS = (1, 2, 5, 10, 20, 50)
REPLAY_DEFAULT = 10


def snapshot_bytes(snapshot: Snapshot) -> int:
    arrays = [*snapshot.kernel_gradients.values(),
              *snapshot.weights.values(), *snapshot.feature_maps, snapshot.sample_image,
              snapshot.input_gradient]
    return sum(int(np.asarray(a).nbytes) for a in arrays)


def _thinned(snapshots: list[Snapshot]) -> list[Snapshot]:
    """Every second snapshot, keeping the first and the newest."""
    kept = snapshots[::2]
    if kept[-1] is not snapshots[-1]:
        kept.append(snapshots[-1])
    return kept


class SnapshotStore:
    def __init__(self, memory_limit: int = MEMORY_LIMIT):
        self.memory_limit = memory_limit
        self.snapshots: list[Snapshot] = []
        self.bytes = 0
        self.evaluations: dict[int, Evaluation] = {}  # test results after each epoch

    def evaluation_before(self, snapshot: Snapshot) -> Evaluation | None:
        """The test evaluation of the last epoch finished before `snapshot` was taken."""
        finished = [epoch for epoch in self.evaluations if epoch < snapshot.epoch]
        return self.evaluations[max(finished)] if finished else None

    def add(self, snapshot: Snapshot) -> None:
        if self.snapshots and self.snapshots[-1].step >= snapshot.step:
            return  # a snapshot of a step already kept
        self.snapshots.append(snapshot)
        self.bytes += snapshot_bytes(snapshot)
        while self.bytes > self.memory_limit and len(self.snapshots) > 2:
            self.snapshots = _thinned(self.snapshots)
            self.bytes = sum(map(snapshot_bytes, self.snapshots))

    def replace(self, snapshots: list[Snapshot],
                evaluations: dict[int, Evaluation] | None = None) -> None:
        self.snapshots = []
        self.bytes = 0
        self.evaluations = dict(evaluations or {})
        for snapshot in snapshots:
            self.add(snapshot)

    def for_disk(self, limit: int = DISK_LIMIT) -> list[Snapshot]:
        """Evenly spaced snapshots (first and last included) within `limit` bytes."""
        if not self.snapshots:
            return []
        each = max(1, self.bytes // len(self.snapshots))
        count = max(2, min(len(self.snapshots), limit // each))
        picks = np.unique(np.linspace(0, len(self.snapshots) - 1, count).astype(int))
        return [self.snapshots[i] for i in picks]


class TimelineBar(QWidget):
    """A slider over the kept snapshots; at its right end the panels follow the run live."""

    moved = Signal(object)  # the Snapshot to show, or None for live

    def __init__(self, store: SnapshotStore, parent=None):
        super().__init__(parent)
        self.store = store
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setRange(0, 0)
        self.slider.setMinimumWidth(160)  # a long label never squeezes it away
        self.play = QPushButton("▶ Replay")
        self.play.setObjectName("timelinePlay")
        self.play.setCheckable(True)
        self.speed = QComboBox()
        self.speed.setObjectName("replaySpeed")
        self.speed.setToolTip("How many kept snapshots Replay shows a second")
        for speed in REPLAY_SPEEDS:
            self.speed.addItem(f"{speed}/s", speed)
        self.speed.setCurrentIndex(REPLAY_SPEEDS.index(REPLAY_DEFAULT))
        self.live = QPushButton("Live")
        self.label = SteadyLabel()
        self.label.setObjectName("timelineLabel")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 0)
        row.addWidget(QLabel("timeline"))
        row.addWidget(self.play)
        row.addWidget(self.speed)
        row.addWidget(self.slider, 1)
        row.addWidget(self.live)
        row.addWidget(self.label)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._advance)
        self._anchor = (0.0, 0)  # (when, slider position) the replay's speed counts from
        self.speed.currentIndexChanged.connect(self._on_speed_change)
        self._on_speed_change()
        self.play.toggled.connect(self._on_play)
        self.live.clicked.connect(self.go_live)
        self.slider.valueChanged.connect(self._on_move)
        self.following = True
        self.refresh()

    def refresh(self) -> None:
        """The store changed: extend the slider, and stay at its end while following live."""
        count = len(self.store.snapshots)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(count - 1, 0))
        if self.following:
            self.slider.setValue(max(count - 1, 0))
        self.slider.blockSignals(False)
        self._label()

    def show_index(self, index: int) -> None:
        self.slider.setValue(index)
        self._on_move(index)

    def go_live(self) -> None:
        self.play.setChecked(False)
        self.following = True
        self.refresh()
        self.moved.emit(None)

    def _on_move(self, index: int) -> None:
        snapshots = self.store.snapshots
        if not snapshots:
            return
        self.following = index >= len(snapshots) - 1 and not self.play.isChecked()
        self._label()
        self.moved.emit(None if self.following else snapshots[index])

    def _on_speed_change(self) -> None:
        self.timer.setInterval(round(1000 / self.speed.currentData()))
        self._anchor = (time.perf_counter(), self.slider.value())

    def _on_play(self, playing: bool) -> None:
        if playing:
            if self.slider.value() >= self.slider.maximum():
                self.slider.setValue(0)
            self._anchor = (time.perf_counter(), self.slider.value())
            self.timer.start()
        else:
            self.timer.stop()
        self.play.setText("❚❚ Pause" if playing else "▶ Replay")

    def _advance(self) -> None:
        """The position the chosen speed has reached by now: when drawing a frame takes
        longer than a tick, frames are skipped rather than the replay slowed down."""
        if self.slider.value() >= self.slider.maximum():
            self.play.setChecked(False)
            return
        started, first = self._anchor
        due = first + int((time.perf_counter() - started) * self.speed.currentData())
        self.slider.setValue(min(max(due, self.slider.value() + 1), self.slider.maximum()))

    def _label(self) -> None:
        snapshots = self.store.snapshots
        megabytes = self.store.bytes / 2**20
        limits = (f"{len(snapshots)} kept, {megabytes:.0f} of {MEMORY_LIMIT // 2**20} MB in "
                  f"memory; up to {DISK_LIMIT // 2**20} MB saved with the project")
        self.label.setToolTip(limits)  # the details; the label itself stays short
        if not snapshots:
            self.label.setText("no snapshots yet")
            return
        shown = snapshots[min(self.slider.value(), len(snapshots) - 1)]
        where = "live" if self.following else f"step {shown.step}, epoch {shown.epoch + 1}"
        self.label.setText(f"{where} · {len(snapshots)} kept")
