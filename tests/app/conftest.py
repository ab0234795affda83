from __future__ import annotations

import gc

import numba
import numpy as np
import pytest

from studio.app import create_main_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # autosave goes here
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    from studio.app.kernel_warmup import KernelWarmup
    from studio.app.main_window import MainWindow

    # runs are on the fast kernels throughout (as once the cache is warm): their exact
    # comparisons must not depend on how soon the warm-up has loaded the cache
    monkeypatch.setattr(KernelWarmup, "fast_kernels_for", lambda self, architecture: None)
    # no modal dialog may ever wait for a person in a test
    monkeypatch.setattr(MainWindow, "confirm_discard", lambda self: True)
    monkeypatch.setattr(MainWindow, "offer_recovery", lambda self: False)
    monkeypatch.setattr(MainWindow, "confirm_replace", lambda self, files: True)
    win = create_main_window([])
    errors: list[str] = []
    monkeypatch.setattr(win, "show_error", errors.append)
    win.errors = errors
    qtbot.addWidget(win)
    win.resize(1280, 800)  # the size the views are laid out for (offscreen's screen is 800²)
    win.show()
    yield win
    win.training.shutdown()
    gc.collect()  # windows of earlier tests die here, on the GUI thread
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # the window made this thread serial


def uninterrupted_weights(preset: str, config) -> dict:
    """The final weights of `preset` trained on the synthetic digits without a stop, on
    its own thread with Numba's full thread count, as the app's worker runs it."""
    import threading

    from studio.data import synthetic_dataset
    from studio.engine import Network, Trainer
    from studio.io import load_preset

    weights = {}

    def run():
        dataset = synthetic_dataset()
        network = Network(load_preset(preset), seed=config.seed)  # as the app's fresh runs
        Trainer(network, dataset.train_images, dataset.train_labels, dataset.test_images,
                dataset.test_labels, config).run()
        weights.update({k: v.copy() for k, v in network.state_dict().items()})

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return weights


@pytest.fixture
def trained(window, qtbot):
    """The window after two epochs of LeNet-5 on the synthetic digits, snapshots every 50 ms."""
    from studio.engine import TrainConfig

    window.load_preset("lenet5")
    window.training_panel.set_settings({**window.training_panel.settings, "dataset": "synthetic"})
    window.start_training(TrainConfig(epochs=2, snapshot_interval=0.05))
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    return window


def stop_midway(window, qtbot, config) -> None:
    """Start a run with `config` and stop it once its first epoch has ended."""
    window.start_training(config)
    qtbot.waitUntil(lambda: len(window.watch.accuracy.epochs) > 0, timeout=30000)
    window.stop_training()
    qtbot.waitUntil(lambda: not window.training.running, timeout=5000)


def continue_exactly(window, qtbot, config, expected: dict) -> None:
    """Continue with `config`: the stopped run must carry on where it stopped and end
    with exactly the `expected` weights."""
    window.continue_training(config)
    assert "exactly where it stopped" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not window.training.running, timeout=60000)
    assert "Training finished" in window.progress.format()
    for name, array in window.trained_network().state_dict().items():
        np.testing.assert_array_equal(array, expected[name], err_msg=name)
