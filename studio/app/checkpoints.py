"""Where the window keeps a run's checkpoint, and when one continues the open project.

The worker writes the checkpoint at the end of every epoch and when the run is
stopped. Opening the project again (or recovering it after a crash) finds it, so
Train continues the run exactly, optimiser state and data order included.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from studio import engine
from studio.io import FileFormatError, read_checkpoint
from studio.training_setup import CHECKPOINT_SUFFIX, checkpoint_beside


def checkpoint_path(project: Path | None) -> Path:
    """Beside a saved project (digits.cnnproj → digits.checkpoint.npz, as the CLI's
    --out does); in the user's data folder for a project never saved."""
    if project is not None:
        return checkpoint_beside(project)
    return Path(platformdirs.user_data_dir("cnn-studio")) / f"untitled{CHECKPOINT_SUFFIX}"


@dataclasses.dataclass
class Checkpoint:
    network: engine.Network  # with the checkpoint's weights
    config: engine.TrainConfig | None  # the run's settings; None in older checkpoints
    state: dict[str, Any]  # for Trainer(..., resume=state)
    same_weights: bool  # as the project's: trained no further than its last save

    @property
    def unfinished(self) -> bool:
        return self.config is not None and int(self.state["epoch"]) < self.config.epochs


def find_checkpoint(project: Path | None, architecture: dict[str, Any],
                    weights: dict[str, np.ndarray] | None) -> Checkpoint | None:
    """The checkpoint of this project's run, if it belongs to it: same architecture, and
    either the same weights as the project (saved after the run stopped) or newer than the
    project file (the run went on after the last save, e.g. before a crash)."""
    path = checkpoint_path(project)
    try:
        network, state = read_checkpoint(path)
    except (FileFormatError, OSError):
        return None
    if network.architecture != engine.analyse(architecture).to_architecture():
        return None
    saved = network.state_dict()
    same_weights = weights is not None and all(
        name in weights and np.array_equal(weights[name], array) for name, array in saved.items())
    newer = project is None or (project.is_file()
                                and path.stat().st_mtime > project.stat().st_mtime)
    if not (same_weights or newer):
        return None
    settings = state.pop("config", None)
    config = engine.TrainConfig(**settings) if isinstance(settings, dict) else None
    return Checkpoint(network, config, state, same_weights)
