"""Runs the engine's training loop on a QThread and reports through Qt signals.

The worker consumes the same `Trainer.events()` generator as the CLI; it
forwards at most a few progress updates per second so the GUI never drowns.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread, Signal

from studio.engine import BatchEnd, EpochEnd, Network, TrainConfig, Trainer, TrainingDiverged


class TrainingWorker(QObject):
    progress = Signal(object)  # BatchEnd
    epoch_finished = Signal(object)  # EpochEnd
    finished = Signal(str)  # a closing sentence
    failed = Signal(str)

    def __init__(self, network: Network, dataset, config: TrainConfig):
        super().__init__()
        self.trainer = Trainer(network, dataset.train_images, dataset.train_labels,
                               dataset.test_images, dataset.test_labels, config)

    def run(self) -> None:
        last = 0.0
        try:
            events = self.trainer.events()
            for event in events:
                if isinstance(event, BatchEnd) and time.perf_counter() - last > 0.1:
                    last = time.perf_counter()
                    self.progress.emit(event)
                elif isinstance(event, EpochEnd):
                    self.epoch_finished.emit(event)
        except TrainingDiverged as error:
            self.failed.emit(str(error))
            return
        except (MemoryError, ValueError) as error:
            self.failed.emit(f"training stopped: {error}")
            return
        self.finished.emit("Training stopped." if self.trainer.stopped
                           else "Training finished.")


def start_worker(worker: TrainingWorker) -> QThread:
    thread = QThread()
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    thread.start()
    return thread
