"""Training runs as a project records them: settings, curves, metrics and final weights.

In the project JSON each run is an object (its curves as lists); the final
weights of every run sit in one `<project>.runs.npz` beside it, keyed
`"<run>/<array>"`, loaded without pickle like every other npz.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path
from .errors import FileFormatError
from .npz_archive import read_npz

MAX_CURVE_POINTS = 5000  # longer loss curves are thinned evenly before saving
STATUSES = ("running", "finished", "stopped", "failed")


@dataclass
class Run:
    number: int
    started: str  # ISO 8601, local time
    architecture: dict[str, Any]
    training: dict[str, Any]  # the project's training settings for this run
    status: str = "running"
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    epochs: list[dict[str, float]] = field(default_factory=list)  # epoch, loss, accuracies
    weights: dict[str, np.ndarray] | None = None  # the final state, by .npz names
    #: how its weights began: None drawn fresh from the run's seed, a run's number when it
    #: continued that run's weights, 0 when it continued weights opened from a file
    continued_from: int | None = None

    @property
    def lineage(self) -> str:
        if self.continued_from is None:
            return "new"
        if self.continued_from == 0:
            return "continued from opened weights"
        return f"continued from run {self.continued_from}"

    @property
    def test_accuracy(self) -> float | None:
        tested = [e["test_accuracy"] for e in self.epochs if e.get("test_accuracy") is not None]
        return tested[-1] if tested else None

    def to_json(self) -> dict[str, Any]:
        steps, losses = self.steps, self.losses
        if len(steps) > MAX_CURVE_POINTS:
            keep = np.linspace(0, len(steps) - 1, MAX_CURVE_POINTS).astype(int)
            steps, losses = [steps[i] for i in keep], [losses[i] for i in keep]
        return {"number": self.number, "started": self.started,
                "architecture": self.architecture, "training": self.training,
                "status": self.status, "steps": [int(s) for s in steps],
                "losses": [float(v) for v in losses], "epochs": self.epochs,
                "continued_from": self.continued_from}


def _check(raw: Any, source: str) -> Run:
    if not isinstance(raw, dict):
        raise FileFormatError(f"{source}: each run must be an object")
    expected = {"number": int, "started": str, "architecture": dict, "training": dict,
                "status": str, "steps": list, "losses": list, "epochs": list}
    for key, kind in expected.items():
        if not isinstance(raw.get(key), kind) or isinstance(raw.get(key), bool):
            raise FileFormatError(f"{source}: run {raw.get('number', '?')} has no valid "
                                  f"{key!r}")
    if raw["status"] not in STATUSES or len(raw["steps"]) != len(raw["losses"]):
        raise FileFormatError(f"{source}: run {raw['number']} is malformed (status or curve)")
    parent = raw.get("continued_from")  # absent in projects saved before lineage was kept
    if parent is not None and (isinstance(parent, bool) or not isinstance(parent, int)
                               or parent < 0):
        raise FileFormatError(f"{source}: run {raw['number']} has an invalid 'continued_from' "
                              f"({parent!r}); it must be a run number or null")
    return Run(raw["number"], raw["started"], raw["architecture"], raw["training"],
               raw["status"], raw["steps"], raw["losses"], raw["epochs"],
               continued_from=parent)


def runs_from_json(raw: Any, source: str) -> list[Run]:
    if not isinstance(raw, list):
        raise FileFormatError(f"{source}: 'runs' must be a list")
    return [_check(item, source) for item in raw]


def weights_path(project: Path) -> Path:
    return project.with_name(project.stem + ".runs.npz")


def save_run_weights(path: str | os.PathLike, runs: list[Run]) -> None:
    arrays = {f"{run.number}/{name}": np.ascontiguousarray(array)
              for run in runs if run.weights is not None for name, array in run.weights.items()}
    with atomic_path(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)


def load_run_weights(path: str | os.PathLike, runs: list[Run]) -> None:
    """Attach each run's final weights; a missing or unreadable file leaves them None."""
    try:
        arrays = read_npz(path)
    except FileFormatError:
        return
    for run in runs:
        prefix = f"{run.number}/"
        found = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
        run.weights = found or None
