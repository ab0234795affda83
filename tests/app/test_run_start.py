"""Train or Continue: the resume-or-start decision, without a window."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from studio.app.run_start import run_start
from studio.engine import TrainConfig
from studio.io import load_preset

ARCH = load_preset("tiny")
CONFIG = TrainConfig(epochs=3, seed=5)
WEIGHTS = {"0.weight": np.ones((2, 1, 3, 3), np.float32)}
STATE = {"epoch": 1}
STOPPED = (ARCH, CONFIG, STATE)


@pytest.mark.parametrize("stopped", [None, STOPPED])
def test_train_always_starts_from_fresh_weights(stopped):
    start = run_start(False, ARCH, CONFIG, WEIGHTS, stopped)
    assert start.initial is None and start.resume is None
    assert start.message == "A new run from fresh weights (seed 5)."


def test_continue_needs_weights():
    assert run_start(True, ARCH, CONFIG, None, STOPPED) is None


def test_continue_with_nothing_changed_carries_the_stopped_run_on_exactly():
    start = run_start(True, ARCH, CONFIG, WEIGHTS, STOPPED)
    assert start.initial is WEIGHTS and start.resume is STATE
    assert "exactly where it stopped" in start.message


@pytest.mark.parametrize("stopped", [
    None,  # the last run finished
    ({**ARCH, "name": "edited"}, CONFIG, STATE),  # the network changed since
    (ARCH, dataclasses.replace(CONFIG, epochs=4), STATE),  # so did the settings
])
def test_otherwise_continue_is_a_new_run_from_the_current_weights(stopped):
    start = run_start(True, ARCH, CONFIG, WEIGHTS, stopped)
    assert start.initial is WEIGHTS and start.resume is None
    assert start.message == "Continuing from the trained weights, as a new run."
