"""One training set-up for `python -m studio train` and the app's training worker.

The dataset for a network, the check that its images fit the network's input, the
trainer, and when a run's checkpoint is written: both callers use these, so a mismatch
reads the same sentence in the terminal and in the window, and a checkpoint the window
writes beside a project is the one the CLI would write beside its --out.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio import engine
from studio.data import DataError, Dataset, load_dataset
from studio.io import FileWriteError, resume_problem, save_checkpoint, save_weights

CHECKPOINT_SUFFIX = ".checkpoint.npz"


def checkpoint_beside(path: str | os.PathLike) -> Path:
    """Where a run saved as `path` keeps its checkpoint: model.npz → model.checkpoint.npz,
    digits.cnnproj → digits.checkpoint.npz."""
    path = Path(path)
    return path.with_name(path.stem + CHECKPOINT_SUFFIX)


def training_data(input_shape: tuple[int, int, int], source: str,
                  folder: str | os.PathLike | None = None, *, mirror: str | None = None,
                  progress: Callable[[str, int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None) -> Dataset:
    """The dataset `source` names, for a network whose input is `input_shape`: images in
    class folders are converted to it (so one folder gives another dataset for another
    input); IDX, CIFAR-10 and the catalogue's datasets come as they are."""
    if source == "folder":
        return load_dataset("folder", folder, image_shape=input_shape, progress=progress,
                            cancelled=cancelled)
    return load_dataset(source, mirror=mirror, progress=progress, cancelled=cancelled)


def image_shape_problem(expected: tuple[int, ...], dataset: Dataset,
                        whose: str = "the architecture") -> str | None:
    """The one sentence for images that do not fit a network's input, or None."""
    if dataset.image_shape == tuple(expected):
        return None
    wanted, got = ("×".join(map(str, shape)) for shape in (expected, dataset.image_shape))
    return (f"{whose} expects {wanted} input but the dataset's images are {got} — set the "
            f"network's input to {got} or choose a dataset of {wanted} images")


def trainer_for(network: engine.Network, dataset: Dataset, config: engine.TrainConfig,
                resume: dict[str, Any] | None = None,
                resume_file: str | os.PathLike | None = None,
                fast_kernels: threading.Event | None = None) -> engine.Trainer:
    """A trainer of `network` on `dataset`, once the network ends in as many outputs as the
    dataset has classes and takes its images (`DataError` otherwise); continuing `resume`,
    the state in `resume_file` when it came from one, which must fit this data and config;
    on the textbook loops until `fast_kernels` is set (`engine.Trainer`)."""
    engine.check(network.architecture, num_classes=len(dataset.classes))
    problem = image_shape_problem(network.input_shape, dataset)
    if problem:
        raise DataError(problem)
    if resume is not None and resume_file is not None:
        problem = resume_problem(resume_file, resume, config, len(dataset.train_images))
        if problem:
            raise DataError(problem)
    tested = len(dataset.test_images) > 0
    try:
        return engine.Trainer(network, dataset.train_images, dataset.train_labels,
                       dataset.test_images if tested else None,
                       dataset.test_labels if tested else None, config, resume=resume,
                       fast_kernels=fast_kernels)
    except (KeyError, TypeError, IndexError) as error:  # only a resume state can cause these
        raise DataError(f"{resume_file or 'the stopped run'}: its training state does not fit "
                        f"this run ({type(error).__name__}: {error}) — start a new run "
                        "instead") from None


class CheckpointPolicy:
    """When a run is saved: after every epoch and when it is stopped, its checkpoint (and,
    for the CLI's --out, its weights), so a kill at any moment leaves a run to continue.
    A write that fails is reported once, through `warn`, and the training goes on."""

    def __init__(self, checkpoint: str | os.PathLike | None, warn: Callable[[str], None],
                 weights: str | os.PathLike | None = None):
        self.checkpoint, self.weights, self.warn = checkpoint, weights, warn
        self.failures: list[FileWriteError] = []

    def after_epoch(self, trainer: engine.Trainer) -> None:
        self._save(trainer)

    def after_run(self, trainer: engine.Trainer) -> None:
        """A stopped run is saved where it stopped; a finished one was at its last epoch."""
        if trainer.stopped:
            self._save(trainer)

    def _save(self, trainer: engine.Trainer) -> None:
        try:
            if self.weights is not None:
                save_weights(self.weights, trainer.network)
            if self.checkpoint is not None:
                save_checkpoint(self.checkpoint, trainer.network, trainer)
        except FileWriteError as error:
            if not self.failures:
                self.warn(f"{error.filename} could not be written ({error.strerror}); "
                          "training goes on without it")
            self.failures.append(error)
