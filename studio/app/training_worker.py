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

from studio.data import DataError, Dataset, DownloadCancelled, LoadingCancelled
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
)
from studio.io import save_checkpoint

PROGRESS_INTERVAL = 0.5  # seconds between progress signals; the loss points come in bundles


class TrainingWorker(QObject):
    dataset_ready = Signal(object)  # Dataset
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
                 starting_filters: dict[tuple[int, int], np.ndarray] | None = None):
        """`load_dataset(progress, cancelled)` runs on the worker thread; training starts
        from `initial_state` when given, and continues a stopped run given its `resume`;
        otherwise from weights drawn from the config's seed, with `starting_filters`
        ((conv layer, filter) → kernel) put in. With a `checkpoint` path, the run is
        saved there after every epoch and on Stop."""
        super().__init__()
        self.architecture, self.load_dataset, self.config = architecture, load_dataset, config
        self.initial_state, self.resume_state = initial_state, resume
        self.starting_filters = starting_filters or {}
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
            dataset = self.load_dataset(self.download.emit, self._stop.is_set)
            self.dataset_ready.emit(dataset)
            network = Network(self.architecture, seed=self.config.seed,
                              num_classes=len(dataset.classes), engine=self.config.engine)
            if self.initial_state is not None:
                network.load_state_dict(self.initial_state)
            else:
                self._put_starting_filters(network)
            if dataset.image_shape != network.input_shape:
                raise DataError(f"the network expects {'×'.join(map(str, network.input_shape))}"
                                f" images but {dataset.name} has "
                                f"{'×'.join(map(str, dataset.image_shape))}")
            self.trainer = Trainer(network, dataset.train_images, dataset.train_labels,
                                   dataset.test_images, dataset.test_labels, self.config,
                                   resume=self.resume_state)
            if self._pause.is_set():
                self.trainer.pause()
            if self._stop.is_set():
                self.trainer.stop()
            last = 0.0
            history: list[tuple[int, float, float]] = []
            latest: BatchEnd | None = None
            for event in self.trainer.events():
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
                    self._save_checkpoint()
                elif isinstance(event, Snapshot):
                    self.snapshot.emit(event)
            if history:
                self.progress.emit(latest, np.array(history).T)
            if self.trainer.stopped:
                self._save_checkpoint()
        except TrainingDiverged as error:
            self.failed.emit(str(error))
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

    def _put_starting_filters(self, network: Network) -> None:
        """Hand-made kernels (zero bias) into the filters they were made for, where the
        network still has such a filter of that shape."""
        for (layer, f), kernel in self.starting_filters.items():
            target = network.layers[layer] if layer < len(network.layers) else None
            if (target is not None and target.kind == "conv2d"
                    and f < len(target.params["weight"])
                    and target.params["weight"][f].shape[-2:] == kernel.shape[-2:]):
                target.params["weight"][f] = kernel
                target.params["bias"][f] = 0.0

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

    def _save_checkpoint(self) -> None:
        if self.checkpoint is None or self.trainer is None:
            return
        try:
            self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
            save_checkpoint(self.checkpoint, self.trainer.network, self.trainer)
        except OSError as error:  # the run goes on; only the insurance is missing
            self.notice.emit(f"The checkpoint {self.checkpoint} could not be written "
                             f"({error.strerror}); training continues without it.")

