"""Runs the engine's training loop on a QThread and reports through Qt signals.

Everything slow happens on the worker thread: loading the dataset, building
the network, every training step. The worker consumes the same
`Trainer.events()` generator as the CLI and forwards the batches' losses in
bundles, two a second and the rest when the run returns, so the GUI never
drowns: an epoch of a small dataset ends ten times a second, and an update
per epoch kept the GUI thread, and with it one of the two cores, busier.

A learner can slow the run down to watch it (`set_pace`, down to one step a
second) and, while paused, run one batch at a time (`step`). The worker waits
between batches on an event, which releases the GIL and which pause, stop and a
new pace set at once, so they still answer within milliseconds. Slowed down,
every batch is reported and snapshotted, so the panels follow it step by step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from studio.data import DataError, Dataset, DownloadCancelled, DownloadFailed, LoadingCancelled
from studio.engine import (
    ArchitectureError,
    BatchEnd,
    EpochEnd,
    Network,
    Snapshot,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    WeightsError,
    set_filter,
)
from studio.training_setup import CheckpointPolicy, trainer_for

PROGRESS_INTERVAL = 0.5  # seconds between progress signals; the loss points come in bundles


def offline_sentence(error: DownloadFailed) -> str:
    """A failed download in the window's terms (the command line's names its options)."""
    return (f"{error.dataset} could not be downloaded from {error.host} ({error.reason}). "
            f"Check the internet connection and press Train again — or, if you have the "
            f"files, choose the dataset “A folder…” (Training tab) and pick the folder that "
            f"holds them.")


class TrainingWorker(QObject):
    dataset_ready = Signal(object)  # Dataset
    began = Signal()  # the network and its trainer exist: the run is under way
    download = Signal(str, int, int)  # file, bytes done, bytes total
    progress = Signal(object, object)  # the latest BatchEnd, (steps, losses, accuracies)
    epoch_finished = Signal(object)  # EpochEnd
    snapshot = Signal(object)  # Snapshot
    finished = Signal(str)  # a closing sentence
    failed = Signal(str)  # a sentence saying what went wrong
    notice = Signal(str)  # something the user should know that does not stop the run

    def __init__(self, architecture: dict[str, Any], load_dataset: Callable[..., Dataset],
                 config: TrainConfig, initial_state: dict[str, np.ndarray] | None = None,
                 resume: dict[str, Any] | None = None, checkpoint: Path | None = None,
                 starting_filters: dict[tuple[int, int], np.ndarray] | None = None,
                 fast_kernels: threading.Event | None = None):
        """`load_dataset(progress, cancelled)` runs on the worker thread; training starts
        from `initial_state` when given, and continues a stopped run given its `resume`;
        otherwise from weights drawn from the config's seed, with `starting_filters`
        ((conv layer, filter) → kernel) put in. With a `checkpoint` path, the run is
        saved there after every epoch and on Stop. Until `fast_kernels` is set (a first
        launch compiling them), the batches run on the textbook loops."""
        super().__init__()
        self.architecture, self.load_dataset, self.config = architecture, load_dataset, config
        self.initial_state, self.resume_state = initial_state, resume
        self.starting_filters = starting_filters or {}
        self.fast_kernels = fast_kernels
        self.checkpoint = checkpoint
        self.trainer: Trainer | None = None
        self._stop = threading.Event()
        self._pause = threading.Event()
        self._wake = threading.Event()  # ends a wait between two paced batches early
        self._pace: float | None = None  # steps per second; None: full speed
        self._single_step = False  # one batch, then paused again
        self._paced_at = 0.0  # when the last paced wait ended

    # control, from the GUI thread ----------------------------------------------------
    def pause(self) -> None:
        self._pause.set()
        if self.trainer is not None:
            self.trainer.pause()
        self._wake.set()

    def resume(self) -> None:
        self._pause.clear()
        if self.trainer is not None:
            self.trainer.resume()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        if self.trainer is not None:
            self.trainer.stop()
        self._wake.set()

    def set_pace(self, steps_per_second: float | None) -> None:
        """At most this many batches a second (None: as fast as it goes)."""
        self._pace = steps_per_second
        self._wake.set()

    def step(self) -> None:
        """While paused: train one batch (with its snapshot), then stay paused."""
        trainer = self.trainer
        if trainer is None or not self._pause.is_set() or self._stop.is_set():
            return
        self._single_step = True
        trainer.request_snapshot()
        trainer.resume()

    @property
    def paused(self) -> bool:
        return self._pause.is_set()

    # the worker thread -----------------------------------------------------------------
    def run(self) -> None:
        try:
            self.trainer = self._prepare()
            self.began.emit()
            if self._pause.is_set():
                self.trainer.pause()
            if self._stop.is_set():
                self.trainer.stop()
            self._train(self.trainer)
        except TrainingDiverged as error:
            self.failed.emit(str(error))
            return
        except DownloadFailed as error:
            self.failed.emit(offline_sentence(error))
            return
        except (DataError, ArchitectureError, WeightsError, ValueError) as error:
            self.failed.emit(f"Training could not start: {error}")
            return
        except DownloadCancelled:
            self.finished.emit("Download cancelled; it resumes where it stopped next time.")
            return
        except LoadingCancelled:
            self.finished.emit("Loading the dataset was cancelled.")
            return
        except MemoryError:
            self.failed.emit("Training ran out of memory — try a smaller batch or network.")
            return
        self.finished.emit("Training stopped." if self._stop.is_set() else "Training finished.")

    def _prepare(self) -> Trainer:
        """Load the dataset, build the network (the given weights, or fresh ones with the
        hand-made starting filters) and its trainer, as the CLI's train does."""
        dataset = self.load_dataset(self.download.emit, self._stop.is_set)
        network = Network(self.architecture, seed=self.config.seed,
                          num_classes=len(dataset.classes), engine=self.config.engine)
        if self.initial_state is not None:
            network.load_state_dict(self.initial_state)
        else:
            for (layer, f), kernel in self.starting_filters.items():
                set_filter(network, layer, f, kernel)
        trainer = trainer_for(network, dataset, self.config, resume=self.resume_state,
                              fast_kernels=self.fast_kernels)
        if self._stop.is_set():  # Stop while a cached dataset loaded: nothing has begun
            raise LoadingCancelled
        # only now: a dataset that does not fit the network must leave the window as it was
        self.dataset_ready.emit(dataset)
        return trainer

    def _train(self, trainer: Trainer) -> None:
        """Run it, forwarding batches in bundles, epochs and snapshots as signals."""
        policy = CheckpointPolicy(self.checkpoint, self.notice.emit)
        last = 0.0
        history: list[tuple[int, float, float]] = []
        latest: BatchEnd | None = None
        for event in trainer.events():
            if isinstance(event, BatchEnd):
                latest = event
                history.append((event.step, event.loss, event.accuracy))
                slow = self._pace is not None or self._single_step
                if slow or time.perf_counter() - last > PROGRESS_INTERVAL:
                    last = time.perf_counter()
                    self.progress.emit(latest, np.array(history).T)
                    history = []
                self._between_batches()
            elif isinstance(event, EpochEnd):
                self.epoch_finished.emit(event)
                policy.after_epoch(trainer)
            elif isinstance(event, Snapshot):
                self.snapshot.emit(event)
        if history:
            self.progress.emit(latest, np.array(history).T)
        policy.after_run(trainer)

    def _between_batches(self) -> None:
        """After a single step, pause again; slowed down, wait out the rest of the step's
        time (pause, stop and a new pace end the wait at once) and snapshot the next one."""
        trainer = self.trainer
        if trainer is None:
            return
        if self._single_step:
            self._single_step = False
            trainer.pause()
            if not self._pause.is_set():  # Resume was pressed during the step
                trainer.resume()
            return
        while (pace := self._pace) is not None and not (self._stop.is_set()
                                                        or self._pause.is_set()):
            remaining = self._paced_at + 1.0 / pace - time.perf_counter()
            if remaining <= 0:
                break
            self._wake.wait(remaining)
            self._wake.clear()
        self._paced_at = time.perf_counter()
        if self._pace is not None:
            trainer.request_snapshot()
