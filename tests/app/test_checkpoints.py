"""The window's checkpoint: written every epoch and on Stop, found again when the project opens."""

from __future__ import annotations

import numpy as np

from studio.app.checkpoints import checkpoint_path
from studio.engine import TrainConfig
from studio.io import read_checkpoint

from .conftest import continue_exactly, stop_midway, uninterrupted_weights

CONFIG = TrainConfig(epochs=3, snapshot_interval=0, seed=2)


def saved_project(window, tmp_path):
    window.load_preset("tiny")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    path = tmp_path / "digits.cnnproj"
    assert window.save_to(path)
    return path


def test_every_epoch_leaves_a_checkpoint_beside_the_project(window, qtbot, tmp_path):
    path = saved_project(window, tmp_path)
    window.start_training(TrainConfig(epochs=2, snapshot_interval=0))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    network, state = read_checkpoint(checkpoint_path(path))
    assert checkpoint_path(path).name == "digits.checkpoint.npz"
    assert state["epoch"] == 2 and state["config"]["epochs"] == 2
    for name, array in window.trained_network().state_dict().items():
        np.testing.assert_array_equal(network.state_dict()[name], array, err_msg=name)


def test_a_stopped_run_continues_exactly_after_the_project_is_opened_again(window, qtbot,
                                                                          tmp_path):
    expected = uninterrupted_weights("tiny", CONFIG)
    path = saved_project(window, tmp_path)
    stop_midway(window, qtbot, CONFIG)
    assert checkpoint_path(path).is_file()
    assert window.save_to(path)

    window.training.stopped_run = None  # forget the run, as a new session would
    window.watch.model = None
    assert window.open_file(path)
    assert "carries it on exactly" in window.statusBar().currentMessage()
    continue_exactly(window, qtbot, CONFIG, expected)


def test_a_checkpoint_of_another_network_is_ignored(window, qtbot, tmp_path):
    path = saved_project(window, tmp_path)
    window.start_training(TrainConfig(epochs=1, snapshot_interval=0))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    window.load_preset("mlp")
    assert window.save_to(path)  # the same file now holds another network
    window.watch.model = None
    assert window.open_file(path)
    assert window.trained_network() is None
    assert window.training.stopped_run is None


def test_an_unwritable_checkpoint_is_reported_and_training_goes_on(window, qtbot, tmp_path):
    path = saved_project(window, tmp_path)
    checkpoint_path(path).mkdir()  # a folder in the way: every write fails
    messages = []
    window.training.notice.connect(messages.append)
    window.start_training(TrainConfig(epochs=2, snapshot_interval=0))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert "Training finished" in window.progress.format()
    assert messages and "could not be written" in messages[0]
    assert not window.errors
