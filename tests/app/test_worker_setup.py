"""The app's worker sets a run up as `cli train` does: the same refusal, in the same words."""

from __future__ import annotations

import numpy as np

from studio.app.training_worker import TrainingWorker
from studio.data import Dataset
from studio.engine import TrainConfig
from studio.io import load_preset
from studio.training_setup import image_shape_problem


def colour_images() -> Dataset:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 3, 32, 32), dtype=np.uint8)
    return Dataset("colour", images[:32], np.arange(32) % 10, images[32:], np.arange(8) % 10)


def test_images_of_another_shape_fail_with_the_clis_sentence(qtbot, tmp_path):
    dataset = colour_images()
    worker = TrainingWorker(load_preset("tiny"), lambda progress, cancelled: dataset,
                            TrainConfig(epochs=1), checkpoint=tmp_path / "c.npz")
    failures = []
    worker.failed.connect(failures.append)
    worker.run()  # on this thread: the signal arrives at once
    assert failures == [f"Training could not start: "
                        f"{image_shape_problem((1, 28, 28), dataset)}"]
    assert "expects 1×28×28 input but the dataset's images are 3×32×32" in failures[0]
    assert not (tmp_path / "c.npz").exists()
