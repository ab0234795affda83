"""A run's snapshots in one file, for replaying how its filters and feature maps formed.

`<project>.timeline.npz`: the arrays of every snapshot keyed `"<k>/<field>/<name>"`,
and the scalars (steps, labels, gradient norms, health) as JSON text under
`"meta"`. Loaded without pickle, like every npz the studio opens.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from studio import engine  # its snapshot classes, when a timeline is read or saved

from .architecture_file import parse_json
from .atomic import atomic_path
from .errors import FileFormatError
from .npz_archive import read_npz

_DICTS = ("kernel_gradients", "weights")


def timeline_path(project: Path) -> Path:
    return project.with_name(project.stem + ".timeline.npz")


def save_timeline(path: str | os.PathLike, snapshots: list[engine.Snapshot],
                  evaluations: dict[int, engine.Evaluation] | None = None) -> None:
    """The snapshots, and the test evaluation after each epoch (confusion, predictions)."""
    arrays: dict[str, np.ndarray] = {}
    meta = []
    scores = {}
    for epoch, evaluation in (evaluations or {}).items():
        arrays[f"evaluation/{epoch}/confusion"] = evaluation.confusion
        arrays[f"evaluation/{epoch}/predictions"] = evaluation.predictions
        scores[str(epoch)] = [evaluation.loss, evaluation.accuracy]
    for k, snapshot in enumerate(snapshots):
        for field in _DICTS:
            for name, array in getattr(snapshot, field).items():
                arrays[f"{k}/{field}/{name}"] = np.ascontiguousarray(array)
        for i, array in enumerate(snapshot.feature_maps):
            arrays[f"{k}/feature_maps/{i}"] = array
        arrays[f"{k}/sample_image"] = snapshot.sample_image
        arrays[f"{k}/input_gradient"] = snapshot.input_gradient
        meta.append({"step": snapshot.step, "epoch": snapshot.epoch,
                     "sample_label": snapshot.sample_label,
                     "gradient_norms": {str(i): v for i, v in snapshot.gradient_norms.items()},
                     "feature_maps": len(snapshot.feature_maps),
                     "architecture": snapshot.architecture,
                     "health": [dataclasses.asdict(h) for h in snapshot.health]})
    arrays["meta"] = np.array(json.dumps(meta))
    arrays["evaluations"] = np.array(json.dumps(scores))
    with atomic_path(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)  # uncompressed: saving stays quick on the GUI thread


def _health(raw: dict[str, Any]) -> engine.LayerHealth:
    suggestion = raw.get("suggestion")
    return engine.LayerHealth(**{**raw, "suggestion": engine.Suggestion(**suggestion)
                                 if suggestion else None})


def read_timeline(path: str | os.PathLike
                  ) -> tuple[list[engine.Snapshot], dict[int, engine.Evaluation]]:
    """The snapshots and the per-epoch test evaluations `save_timeline` wrote."""
    arrays = read_npz(path)
    try:
        meta = parse_json(str(arrays.pop("meta")), f"{path} (meta)")
        scores = parse_json(str(arrays.pop("evaluations", np.array("{}"))),
                            f"{path} (evaluations)")
        evaluations = {int(epoch): engine.Evaluation(loss, accuracy,
                                              arrays[f"evaluation/{epoch}/confusion"],
                                              arrays[f"evaluation/{epoch}/predictions"])
                       for epoch, (loss, accuracy) in scores.items()}
        snapshots = []
        for k, info in enumerate(meta):
            dicts = {field: {} for field in _DICTS}
            prefix = f"{k}/"
            for key, array in arrays.items():
                parts = key.split("/")
                if key.startswith(prefix) and len(parts) == 3 and parts[1] in _DICTS:
                    name = parts[2]
                    dicts[parts[1]][int(name) if parts[1] != "weights" else name] = array
            snapshots.append(engine.Snapshot(
                info["step"], info["epoch"], dicts["kernel_gradients"],
                {int(i): v for i, v in info["gradient_norms"].items()},
                arrays[f"{k}/sample_image"], info["sample_label"],
                [arrays[f"{k}/feature_maps/{i}"] for i in range(info["feature_maps"])],
                arrays[f"{k}/input_gradient"], info["architecture"], dicts["weights"],
                [_health(h) for h in info["health"]]))
        return snapshots, evaluations
    except FileFormatError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise FileFormatError(f"{path}: not a readable training timeline ({error})") from None
