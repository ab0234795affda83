"""The resume-or-start decision: how Train and Continue begin a run.

Train always starts from fresh weights (drawn from the run's seed), so every run is a
fair comparison with the last. Continue carries the current weights on: exactly where
a stopped run stopped (optimiser state, data order and position too) when nothing that
run depends on has changed since, otherwise as a new run from those weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from studio import engine

if TYPE_CHECKING:
    from studio.engine import TrainConfig

#: (architecture, config, Trainer.checkpoint()) of a run stopped before its end
StoppedRun = tuple[dict[str, Any], "TrainConfig", dict[str, Any]]


@dataclass(frozen=True)
class RunStart:
    initial: dict[str, np.ndarray] | None  # the weights to start from; None: fresh ones
    resume: dict[str, Any] | None  # the stopped run's state, to continue it exactly
    message: str  # what the status bar says


def run_start(continuing: bool, architecture: dict[str, Any], config: engine.TrainConfig,
              weights: dict[str, np.ndarray] | None, stopped: StoppedRun | None
              ) -> RunStart | None:
    """How the run begins; None when Continue has no weights to carry on."""
    if not continuing:
        return RunStart(None, None, f"A new run from fresh weights (seed {config.seed}).")
    if weights is None:
        return None
    if stopped is not None and stopped[0] == architecture and stopped[1] == config:
        return RunStart(weights, stopped[2],
                        "Continuing the stopped run exactly where it stopped.")
    return RunStart(weights, None, "Continuing from the trained weights, as a new run.")
