"""Training checkpoints: the weights plus everything `Trainer.checkpoint()` returns.

One .npz, no pickle: arrays as arrays, the RNG states and counters as JSON text.
`python -m studio train --resume FILE` and a resumed run end where an
uninterrupted one would (see tests/engine/test_training.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import numpy as np

from studio.engine import ArchitectureError, Network, Trainer, WeightsError

from .atomic import atomic_path
from .errors import FileFormatError
from .weights import ARCHITECTURE_KEY, read_weights

TRAINER_KEY = "trainer"  # JSON: step, epoch, batch, RNG states
ARRAY_PREFIX = "trainer."  # optimiser buffers and the epoch's data order


def save_checkpoint(path: str | os.PathLike, network: Network, trainer: Trainer) -> None:
    """Write atomically; the training settings go along (as `state["config"]`) so that a
    reader can tell whether a new run with its own settings would continue this one."""
    state = {**trainer.checkpoint(), "config": dataclasses.asdict(trainer.config)}
    arrays = {name: np.ascontiguousarray(array) for name, array in network.state_dict().items()}
    arrays[ARCHITECTURE_KEY] = np.array(json.dumps(network.architecture))
    scalars = {}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[ARRAY_PREFIX + key] = value
        else:
            scalars[key] = value
    arrays[TRAINER_KEY] = np.array(json.dumps(scalars))
    with atomic_path(path, suffix=".npz") as temporary:
        np.savez(temporary, **arrays)


def read_checkpoint(path: str | os.PathLike) -> tuple[Network, dict[str, Any]]:
    """The network with its weights, and the state for `Trainer(..., resume=state)`."""
    architecture, arrays = read_weights(path)
    if TRAINER_KEY not in arrays:
        raise FileFormatError(f"{path}: holds weights but no training state — use --init "
                              "to start a new run from them")
    state = json.loads(str(arrays.pop(TRAINER_KEY)))
    state.update({key[len(ARRAY_PREFIX):]: arrays.pop(key) for key in list(arrays)
                  if key.startswith(ARRAY_PREFIX)})
    try:
        network = Network(architecture)
        network.load_state_dict(arrays)
    except (ArchitectureError, WeightsError) as error:
        raise FileFormatError(f"{path}: {error}") from None
    return network, state
