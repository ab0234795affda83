"""Trained weights as .npz: "{i}.weight", "{i}.bias", batchnorm statistics, "architecture".

The archive loads with `np.load(path, allow_pickle=False)`: nothing a user opens
is ever unpickled, and an archive that holds pickled objects is refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from studio import engine  # its network, when weights are read or written

from .architecture_file import parse_json
from .atomic import atomic_path
from .errors import FileFormatError
from .npz_archive import read_npz

ARCHITECTURE_KEY = "architecture"
TRAINER_KEY = "trainer"  # in checkpoints, JSON: step, epoch, batch, RNG states
ARRAY_PREFIX = "trainer."  # in checkpoints: optimiser buffers and the epoch's data order
TEXT_KEYS = (ARCHITECTURE_KEY, TRAINER_KEY)
FLOAT32_MAX = float(np.finfo(np.float32).max)


def save_weights(path: str | os.PathLike, network: engine.Network) -> None:
    """Write the network's state and architecture atomically."""
    arrays = {name: np.ascontiguousarray(array, dtype=np.float32)
              for name, array in network.state_dict().items()}
    arrays[ARCHITECTURE_KEY] = np.array(json.dumps(network.architecture))
    with atomic_path(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)


def _array_problem(name: str, array: np.ndarray) -> str | None:
    """Why one array cannot be a network's weights (or a training buffer), if it cannot."""
    if name in TEXT_KEYS:
        return None if array.dtype.kind == "U" and array.ndim == 0 else (
            f"its {name!r} entry must be JSON text")
    if array.dtype.kind not in "fiu":
        return f"array {name!r} holds {array.dtype} values, not numbers"
    if array.dtype.kind == "f" and array.dtype.itemsize > 4 and array.size:
        # fmax/fmin skip NaN and allocate nothing; infinities are load_state_dict's to name
        largest = max(np.fmax.reduce(array, axis=None), -np.fmin.reduce(array, axis=None))
        if np.isfinite(largest) and largest > FLOAT32_MAX:
            return (f"array {name!r} holds values beyond float32's range (±3.4e38), which "
                    "the network would turn into infinities")
    return None


def read_weights(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(architecture, arrays) from an npz; every problem is one `FileFormatError` sentence."""
    path = Path(path)
    arrays = read_npz(path)
    if ARCHITECTURE_KEY not in arrays:
        raise FileFormatError(f"{path}: has no 'architecture' entry, so its layers are unknown "
                              "— save weights from CNN Studio or add the architecture JSON")
    for name, array in arrays.items():
        problem = _array_problem(name, array)
        if problem:
            raise FileFormatError(f"{path}: {problem}")
    text = arrays.pop(ARCHITECTURE_KEY)
    return parse_json(str(text), f"{path} (architecture)"), arrays


def without_training_state(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The network's arrays alone: a training checkpoint is weights too."""
    return {name: array for name, array in arrays.items()
            if name != TRAINER_KEY and not name.startswith(ARRAY_PREFIX)}


def load_network(path: str | os.PathLike) -> engine.Network:
    """The network an npz (weights or a checkpoint) describes, with its weights loaded."""
    architecture, arrays = read_weights(path)
    try:
        network = engine.Network(architecture)
        network.load_state_dict(without_training_state(arrays))
    except (engine.ArchitectureError, engine.WeightsError) as error:
        raise FileFormatError(f"{path}: {error}") from None
    return network
