"""The one training set-up the CLI and the app's worker share (studio/training_setup.py)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.data import DataError, Dataset
from studio.engine import Network, TrainConfig
from studio.io import load_preset, read_checkpoint
from studio.training_setup import (
    CheckpointPolicy,
    checkpoint_beside,
    image_shape_problem,
    trainer_for,
)


def dataset(count=64, shape=(28, 28), classes=10, tests=16) -> Dataset:
    rng = np.random.default_rng(0)
    return Dataset("tiny data", rng.integers(0, 256, (count, *shape), dtype=np.uint8),
                   np.arange(count) % classes,
                   rng.integers(0, 256, (tests, *shape), dtype=np.uint8),
                   np.arange(tests) % classes, classes=[str(c) for c in range(classes)])


CONFIG = TrainConfig(epochs=2, batch_size=32, snapshot_interval=0)


@pytest.mark.parametrize(("path", "beside"), [
    ("out/model.npz", "out/model.checkpoint.npz"),
    ("digits.cnnproj", "digits.checkpoint.npz"),  # the window's project and the CLI's --out
    ("a.b.npz", "a.b.checkpoint.npz"),
])
def test_the_checkpoint_lives_beside_what_the_run_is_saved_as(path, beside):
    assert str(checkpoint_beside(path)) == beside


def test_images_that_do_not_fit_get_one_sentence_that_says_what_to_do():
    colour = dataset(shape=(3, 32, 32))
    assert image_shape_problem((1, 28, 28), dataset()) is None
    assert image_shape_problem((1, 28, 28), colour, "m.npz") == (
        "m.npz expects 1×28×28 input but the dataset's images are 3×32×32 — set the network's "
        "input to 3×32×32 or choose a dataset of 1×28×28 images")
    with pytest.raises(DataError, match="expects 1×28×28 input but the dataset's images are"):
        trainer_for(Network(load_preset("tiny")), colour, CONFIG)


def test_the_network_must_end_in_as_many_outputs_as_the_dataset_has_classes():
    with pytest.raises(ValueError, match="ends in 10 outputs but the dataset has 3 classes"):
        trainer_for(Network(load_preset("tiny")), dataset(classes=3), CONFIG)


def test_a_dataset_without_test_images_trains_without_a_test_set():
    trainer = trainer_for(Network(load_preset("tiny")), dataset(tests=0), CONFIG)
    assert trainer.test_images is None and trainer.run().epochs[-1].test is None


def test_a_resume_state_for_other_data_is_refused_with_its_file(tmp_path):
    trainer = trainer_for(Network(load_preset("tiny")), dataset(), CONFIG)
    policy = CheckpointPolicy(tmp_path / "c.npz", warn=pytest.fail)
    trainer.run(lambda event: None)
    policy.after_epoch(trainer)
    network, state = read_checkpoint(tmp_path / "c.npz")
    with pytest.raises(DataError, match="c.npz: the run trained on 64 images but this dataset "
                                        "has 96"):
        trainer_for(network, dataset(count=96), TrainConfig(epochs=3, batch_size=32),
                    state, tmp_path / "c.npz")


def test_every_epoch_and_a_stop_are_saved_and_a_failing_write_is_reported_once(tmp_path):
    trainer = trainer_for(Network(load_preset("tiny")), dataset(), CONFIG)
    saved = []
    policy = CheckpointPolicy(tmp_path / "m.checkpoint.npz", warn=pytest.fail,
                              weights=tmp_path / "m.npz")
    for event in trainer.events():
        if type(event).__name__ == "EpochEnd":
            policy.after_epoch(trainer)
            saved.append(read_checkpoint(tmp_path / "m.checkpoint.npz")[1]["epoch"])
            trainer.stop()
    policy.after_run(trainer)
    assert saved == [1] and (tmp_path / "m.npz").is_file()
    assert read_checkpoint(tmp_path / "m.checkpoint.npz")[1]["epoch"] == 1

    (tmp_path / "blocked.npz").mkdir()  # a folder in the way: every write fails
    warnings = []
    policy = CheckpointPolicy(tmp_path / "blocked.npz", warn=warnings.append)
    policy.after_epoch(trainer)
    policy.after_run(trainer)  # stopped: saved again, and fails again
    assert len(policy.failures) == 2 and len(warnings) == 1
    assert "blocked.npz could not be written" in warnings[0]
    assert warnings[0].endswith("training goes on without it")
