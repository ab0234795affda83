"""Records every training run of the open project, for the runs panel and the project file."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import numpy as np

from studio import engine
from studio.io import Run


def _same(a: dict[str, np.ndarray] | None, b: dict[str, np.ndarray]) -> bool:
    return a is not None and a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in b)


class RunRecorder:
    def __init__(self) -> None:
        self.runs: list[Run] = []
        self.current: Run | None = None
        #: the run whose final weights the window holds (0: weights opened from a file)
        self.weights_from: int | None = None

    def adopt(self, runs: list[Run], weights: dict[str, np.ndarray] | None) -> None:
        """An opened project's runs; its `weights` are the last run's that ended with them."""
        self.runs, self.current = list(runs), None
        self.weights_from = None
        if weights is not None:
            ended_with = [run.number for run in self.runs if _same(run.weights, weights)]
            self.weights_from = ended_with[-1] if ended_with else 0

    def begin(self, architecture: dict[str, Any], settings: dict[str, Any],
              resuming: bool = False, continuing: bool = False) -> Run:
        """A new run, fresh or `continuing` the weights the window holds; or — when a
        stopped run is `resuming` exactly — that run again."""
        last = self.runs[-1] if self.runs else None
        if resuming and last is not None and last.status == "stopped":
            last.status = "running"
            self.current = last
            return last
        number = max((run.number for run in self.runs), default=0) + 1
        self.current = Run(number, datetime.now().isoformat(timespec="seconds"),
                           copy.deepcopy(architecture), copy.deepcopy(settings),
                           continued_from=self.weights_from if continuing or resuming else None)
        self.runs.append(self.current)
        return self.current

    def add_history(self, history: np.ndarray) -> None:
        """history: (3, k) rows step, loss, accuracy, as the worker bundles them."""
        if self.current is not None:
            self.current.steps += [int(s) for s in history[0]]
            self.current.losses += [float(v) for v in history[1]]

    def add_epoch(self, event: engine.EpochEnd) -> None:
        if self.current is not None:
            self.current.epochs.append({
                "epoch": event.epoch + 1, "loss": float(event.train_loss),
                "train_accuracy": float(event.train_accuracy),
                "test_accuracy": None if event.test is None else float(event.test.accuracy)})

    def end(self, status: str, weights: dict[str, np.ndarray] | None) -> None:
        """Close the current run; one that never trained a batch counts as stopped."""
        if self.current is not None:
            self.current.status = status if self.current.steps else "stopped"
            self.current.weights = weights
            if weights is not None:
                self.weights_from = self.current.number
            self.current = None
