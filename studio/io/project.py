"""Project files: the architecture plus the training settings, as one JSON document.

A project (`.cnnproj`) is `{"format": "cnn-studio.project", "version": 1,
"architecture": {...}, "training": {...}}`. Opening accepts a bare architecture
JSON too, with default settings, so a shared design opens like a project.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from studio.engine import FORMAT as ARCHITECTURE_FORMAT

from .architecture_file import read_json
from .atomic import atomic_write_text
from .errors import FileFormatError

PROJECT_FORMAT = "cnn-studio.project"
PROJECT_VERSION = 1

#: Every training setting a project stores, with its default and accepted type.
TRAINING_DEFAULTS: dict[str, Any] = {
    "dataset": "synthetic",  # synthetic | mnist | fashion-mnist | folder
    "folder": "",
    "epochs": 5,
    "batch_size": 64,
    "optimizer": "sgd",
    "lr": None,
    "schedule": "onecycle",
    "weight_decay": 5e-4,
    "seed": 0,
}


@dataclass
class Project:
    architecture: dict[str, Any]
    training: dict[str, Any] = field(default_factory=lambda: dict(TRAINING_DEFAULTS))

    def to_json(self) -> dict[str, Any]:
        return {"format": PROJECT_FORMAT, "version": PROJECT_VERSION,
                "architecture": self.architecture, "training": self.training}


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
    return settings


def read_project(path: str | os.PathLike) -> Project:
    """A project, or an architecture JSON opened as a project with default settings."""
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
    extra = sorted(set(data) - {"format", "version", "architecture", "training"})
    if extra:
        raise FileFormatError(f"{path}: unknown key {extra[0]!r} in the project")
    architecture = data.get("architecture")
    if not isinstance(architecture, dict):
        raise FileFormatError(f"{path}: the project has no 'architecture' object")
    return Project(architecture, _check_training(data.get("training", {}), str(path)))


def write_project(path: str | os.PathLike, project: Project) -> None:
    atomic_write_text(path, json.dumps(project.to_json(), indent=2) + "\n")
