"""Starts, pauses, paces and stops training runs; owns the worker and its thread.

The window only connects to these signals; it never touches a thread. A run
starts either fresh (weights drawn from the run's seed, plus any hand-made
starting filters) or from given weights, continuing a stopped run exactly when
its checkpoint is passed as `resume`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from studio import engine
from studio.data import Dataset

if TYPE_CHECKING:
    from .training_worker import TrainingWorker

STOP_WAIT_MS = 2000


def frozen_kernels(settings: dict[str, Any], weights: dict[str, np.ndarray] | None
                   ) -> dict[tuple[int, int], np.ndarray]:
    """The kernels of a project's fixed filters, from its weights: a fresh run of a reopened
    project must start them from the hand-made values, as training kept them."""
    if weights is None:
        return {}
    found = {}
    for layer, f in settings.get("frozen_filters", []):
        weight = weights.get(f"{layer}.weight")
        if weight is not None and weight.ndim == 4 and f < len(weight):
            found[(layer, f)] = weight[f].copy()
    return found


class TrainingController(QObject):
    started = Signal()
    dataset_ready = Signal(object)  # Dataset
    began = Signal()  # the dataset loaded and the network built: nothing stops it starting
    download = Signal(str, int, int)  # file, bytes done, bytes total
    progress = Signal(object, object)  # the latest BatchEnd, (steps, losses, accuracies)
    epoch_finished = Signal(object)  # EpochEnd
    snapshot = Signal(object)  # Snapshot
    ended = Signal(str)  # a closing sentence, once the run has returned
    failed = Signal(str)
    notice = Signal(str)  # e.g. a checkpoint that could not be written; the run goes on

    _run = Signal()  # runs the current worker on the training thread (a queued call)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        # One training thread for the whole session: with a new thread per run, memory
        # grew in a train/stop soak (likely a malloc arena and an OpenMP team left behind
        # per thread); with one thread it stays flat (docs/performance.md, 'Memory').
        self.thread = QThread()
        self.thread.setObjectName("training")
        self.worker: TrainingWorker | None = None
        self._active = False
        self._last_network: engine.Network | None = None
        #: (architecture, config, Trainer.checkpoint()) of a run stopped before its end
        self.stopped_run: tuple[dict[str, Any], engine.TrainConfig, dict[str, Any]] | None = None
        #: hand-made kernels, by (conv layer, filter), that every fresh run starts with
        self.starting_filters: dict[tuple[int, int], np.ndarray] = {}
        self.pace: float | None = None  # steps per second for every run; None: full speed

    @property
    def running(self) -> bool:
        return self._active

    @property
    def network(self) -> engine.Network | None:
        """The network of the current run once built, else of the last run."""
        if self.worker is not None and self.worker.trainer is not None:
            return self.worker.trainer.network
        return self._last_network

    @property
    def paused(self) -> bool:
        return self.worker is not None and self.worker.paused

    def start(self, architecture: dict[str, Any], load: Callable[..., Dataset],
              config: engine.TrainConfig, initial_state: dict[str, np.ndarray] | None = None,
              resume: dict[str, Any] | None = None, checkpoint: Path | None = None,
              fast_kernels: threading.Event | None = None) -> None:
        """Train on a worker thread (`TrainingWorker` says what each argument is)."""
        if self.running:
            return
        from .training_worker import TrainingWorker  # the engine: not while the window opens

        self.stopped_run = None
        worker = TrainingWorker(architecture, load, config, initial_state, resume, checkpoint,
                                starting_filters=dict(self.starting_filters),
                                fast_kernels=fast_kernels)
        worker.set_pace(self.pace)
        worker.moveToThread(self.thread)
        self._run.connect(worker.run)
        worker.dataset_ready.connect(self.dataset_ready)
        worker.began.connect(self.began)
        worker.download.connect(self.download)
        worker.progress.connect(self.progress)
        worker.epoch_finished.connect(self.epoch_finished)
        worker.snapshot.connect(self.snapshot)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.notice.connect(self.notice)
        self.worker, self._active = worker, True
        if not self.thread.isRunning():
            self.thread.start()
        self._run.emit()
        self.started.emit()

    def set_sample(self, index: int) -> None:
        """Which test image the next snapshots look at."""
        if self.worker is not None and self.worker.trainer is not None:
            self.worker.trainer.sample_index = index

    def toggle_pause(self) -> None:
        if self.worker is None:
            return
        if self.worker.paused:
            self.worker.resume()
        else:
            self.worker.pause()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()

    def set_pace(self, steps_per_second: float | None) -> None:
        """Slow this and later runs down to at most this many steps a second (None: full)."""
        self.pace = steps_per_second
        if self.worker is not None:
            self.worker.set_pace(steps_per_second)

    def step(self) -> None:
        """While paused, train one batch and pause again."""
        if self.worker is not None:
            self.worker.step()

    def shutdown(self) -> None:
        """Stop the run and end the training thread (closing the window)."""
        self.stop()
        self.thread.quit()  # taken up as soon as the run returns
        self.thread.wait(STOP_WAIT_MS)
        self._release()

    def _release(self) -> None:
        worker = self.worker
        if worker is None:
            return
        trainer = worker.trainer
        if trainer is not None:
            self._last_network = trainer.network
            if trainer.stopped:
                self.stopped_run = (worker.architecture, worker.config, trainer.checkpoint())
        self._run.disconnect(worker.run)
        worker.deleteLater()
        self.worker, self._active = None, False

    def _on_finished(self, message: str) -> None:
        self._release()
        self.ended.emit(message)

    def _on_failed(self, message: str) -> None:
        self._release()
        self.failed.emit(message)
