"""Project files: the architecture, the training settings and, once trained, the weights.

A project (`.cnnproj`) is `{"format": "cnn-studio.project", "version": 1,
"architecture": {...}, "training": {...}, "weights": "name.npz"}`; the weights
live beside it in the design's .npz form, so they are usable on their own.
Opening also accepts a bare architecture JSON (default settings) and a weights
.npz (its architecture, with its weights), so anything shared opens alike.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio import engine  # its network, when weights are read or written
from studio.engine import FORMAT as ARCHITECTURE_FORMAT

from .architecture_file import read_json
from .atomic import atomic_write_text
from .errors import FileFormatError
from .runs import Run, load_run_weights, runs_from_json, save_run_weights
from .runs import weights_path as run_weights_path
from .weights import read_weights, save_weights, without_training_state

PROJECT_FORMAT = "cnn-studio.project"
PROJECT_VERSION = 1

#: Every training setting a project stores, with its default and accepted type.
TRAINING_DEFAULTS: dict[str, Any] = {
    "dataset": "synthetic",  # synthetic | mnist | fashion-mnist | cifar10 | folder
    "folder": "",
    "epochs": 5,
    "batch_size": 64,
    "optimizer": "sgd",
    "lr": None,
    "schedule": "onecycle",
    "weight_decay": 5e-4,
    "seed": 0,
    "engine": "fast",  # or "textbook": the paper's loops, slowly
    "frozen_filters": [],  # [conv layer, filter] pairs kept at their hand-made values
}


@dataclass
class Project:
    architecture: dict[str, Any]
    training: dict[str, Any] = field(default_factory=lambda: dict(TRAINING_DEFAULTS))
    weights: dict[str, np.ndarray] | None = None  # the trained state, by .npz names
    runs: list[Run] = field(default_factory=list)  # every training run, oldest first

    def to_json(self, weights_name: str | None = None) -> dict[str, Any]:
        data = {"format": PROJECT_FORMAT, "version": PROJECT_VERSION,
                "architecture": self.architecture, "training": self.training}
        if weights_name:
            data["weights"] = weights_name
        if self.runs:
            data["runs"] = [run.to_json() for run in self.runs]
        return data


def _checked_weights(path: Path, architecture: dict[str, Any],
                     arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays, once a network of `architecture` accepts them."""
    try:
        engine.Network(architecture).load_state_dict(arrays)
    except (engine.ArchitectureError, engine.WeightsError) as error:
        raise FileFormatError(f"{path}: {error}") from None
    return arrays


def _check_training(raw: Any, source: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise FileFormatError(f"{source}: 'training' must be an object of settings")
    unknown = sorted(set(raw) - set(TRAINING_DEFAULTS))
    if unknown:
        raise FileFormatError(f"{source}: unknown training setting {unknown[0]!r} (known: "
                              f"{', '.join(TRAINING_DEFAULTS)})")
    settings = {**TRAINING_DEFAULTS, **raw}
    for key, default in TRAINING_DEFAULTS.items():
        value = settings[key]
        expected = (int, float) if isinstance(default, float) or key == "lr" else type(default)
        if key == "lr" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, expected):
            raise FileFormatError(f"{source}: training setting '{key}' has the wrong type "
                                  f"({value!r})")
    for pair in settings["frozen_filters"]:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)):
            raise FileFormatError(f"{source}: each frozen filter must be [layer, filter], "
                                  f"not {pair!r}")
    return settings


def read_project(path: str | os.PathLike) -> Project:
    """A project, an architecture JSON or a weights .npz, as a project."""
    path = Path(path)
    if path.suffix == ".npz":
        architecture, arrays = read_weights(path)
        return Project(architecture, weights=_checked_weights(path, architecture,
                                                              without_training_state(arrays)))
    data = read_json(path)
    if not isinstance(data, dict):
        raise FileFormatError(f"{path}: not a CNN Studio project or architecture")
    if data.get("format") == ARCHITECTURE_FORMAT:
        return Project(data)
    if data.get("format") != PROJECT_FORMAT:
        raise FileFormatError(f"{path}: not a CNN Studio project or architecture ('format' is "
                              f"{data.get('format')!r})")
    if data.get("version") != PROJECT_VERSION:
        raise FileFormatError(f"{path}: project version {data.get('version')!r} is not "
                              f"supported (this CNN Studio reads version {PROJECT_VERSION})")
    extra = sorted(set(data) - {"format", "version", "architecture", "training", "weights",
                                "runs"})
    if extra:
        raise FileFormatError(f"{path}: unknown key {extra[0]!r} in the project")
    architecture = data.get("architecture")
    if not isinstance(architecture, dict):
        raise FileFormatError(f"{path}: the project has no 'architecture' object")
    training = _check_training(data.get("training", {}), str(path))
    weights = None
    if data.get("weights") is not None:
        if not isinstance(data["weights"], str) or not data["weights"]:
            raise FileFormatError(f"{path}: 'weights' must name the weights file beside it")
        named = path.parent / data["weights"]
        try:
            _, arrays = read_weights(named)
            weights = _checked_weights(named, architecture, arrays)
        except FileFormatError as error:
            raise FileFormatError(f"{path}: its weights cannot be used — {error}") from None
    runs = runs_from_json(data.get("runs", []), str(path))
    if runs:
        load_run_weights(run_weights_path(path), runs)
    return Project(architecture, training, weights, runs)


def weights_path(project: Path) -> Path:
    """digits.cnnproj → digits.npz, the trained weights beside it."""
    return project.with_name(f"{project.stem}.npz")


def project_files(path: str | os.PathLike, project: Project) -> list[Path]:
    """Every file `write_project` writes for `project` at `path`."""
    path = Path(path)
    return ([path] + ([weights_path(path)] if project.weights is not None else [])
            + ([run_weights_path(path)] if project.runs else []))


def write_project(path: str | os.PathLike, project: Project) -> None:
    """The project JSON, and its weights as `<name>.npz` beside it; each write atomic."""
    path = Path(path)
    weights_name = None
    if project.weights is not None:
        weights_name = weights_path(path).name
        network = engine.Network(project.architecture)
        network.load_state_dict(project.weights)
        save_weights(weights_path(path), network)
    if project.runs:
        save_run_weights(run_weights_path(path), project.runs)
    atomic_write_text(path, json.dumps(project.to_json(weights_name), indent=2) + "\n")
