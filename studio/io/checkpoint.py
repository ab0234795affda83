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

from studio import engine  # its network and trainer, when a checkpoint is read or written

from .architecture_file import parse_json
from .atomic import atomic_path
from .errors import FileFormatError
from .weights import ARCHITECTURE_KEY, ARRAY_PREFIX, TRAINER_KEY, read_weights


def save_checkpoint(path: str | os.PathLike, network: engine.Network,
                    trainer: engine.Trainer) -> None:
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


#: what `Trainer.checkpoint()` always holds, and the type each value must have
_COUNTERS = ("step", "epoch", "batch", "ordered_epoch")


def _state_problem(state: Any, network: engine.Network) -> str | None:
    """What is missing or malformed in a checkpoint's training state, if anything."""
    if not isinstance(state, dict):
        return "its training state is not an object"
    for key in (*_COUNTERS, "order", "rng", "layer_rngs"):
        if key not in state:
            return f"its training state has no {key!r}"
    for key in _COUNTERS:
        value = state[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < -1:
            return f"its training state's {key!r} is not a count"
    order = state["order"]
    if not isinstance(order, np.ndarray) or order.ndim != 1 or order.dtype.kind not in "iu":
        return "its training state's 'order' is not a list of image indices"
    for key, value in state.items():
        if key.startswith("optimizer.") and not (
                isinstance(value, np.ndarray) and value.dtype.kind in "fiu"
                and value.shape in ((), network.parameters.shape)):
            return f"its optimiser buffer {key!r} does not fit the network's parameters"
    with_rng = [layer for layer in network.layers if hasattr(layer, "rng")]
    rngs = state["layer_rngs"]
    if not isinstance(rngs, list) or len(rngs) != len(with_rng):
        return "its training state's 'layer_rngs' does not match the network's dropout layers"
    for rng_state in [state["rng"], *rngs]:
        try:
            np.random.default_rng().bit_generator.state = rng_state
        except (TypeError, ValueError, KeyError):
            return "its training state holds a random-number state that cannot be restored"
    config = state.get("config")
    if config is not None:
        try:
            engine.TrainConfig(**config)
        except (TypeError, ValueError):
            return "its training settings ('config') are malformed"
    return None


def read_checkpoint(path: str | os.PathLike) -> tuple[engine.Network, dict[str, Any]]:
    """The network with its weights, and the state for `Trainer(..., resume=state)`."""
    architecture, arrays = read_weights(path)
    if TRAINER_KEY not in arrays:
        raise FileFormatError(f"{path}: holds weights but no training state — use --init "
                              "to start a new run from them")
    state = parse_json(str(arrays.pop(TRAINER_KEY)), f"{path} (training state)")
    buffers = {key[len(ARRAY_PREFIX):]: arrays.pop(key) for key in list(arrays)
               if key.startswith(ARRAY_PREFIX)}
    try:
        network = engine.Network(architecture)
        network.load_state_dict(arrays)
    except (engine.ArchitectureError, engine.WeightsError) as error:
        raise FileFormatError(f"{path}: {error}") from None
    if isinstance(state, dict):
        state.update(buffers)
    problem = _state_problem(state, network)
    if problem:
        raise FileFormatError(f"{path}: not a usable checkpoint — {problem}; resume from "
                              "another checkpoint or start with --init")
    return network, state


#: settings a resumed run must share with the run that wrote the checkpoint
_SAME_SETTINGS = ("optimizer", "schedule", "batch_size")


def resume_problem(path: str | os.PathLike, state: dict[str, Any], config: engine.TrainConfig,
                   train_size: int) -> str | None:
    """Why continuing `state` with `config` on `train_size` images would not continue the
    run (another dataset, other settings, nothing left to do), or None."""
    if len(state["order"]) != train_size:
        return (f"{path}: the run trained on {len(state['order'])} images but this dataset has "
                f"{train_size} — resume with the same data, or start with --init")
    stored = state.get("config") or {}
    for key in _SAME_SETTINGS:
        if key in stored and stored[key] != getattr(config, key):
            option = "--" + key.replace("_", "-")
            return (f"{path}: the run used {option} {stored[key]} but this one "
                    f"{getattr(config, key)} — give {option} {stored[key]} to continue it")
    if state["epoch"] >= config.epochs:
        return (f"{path}: the run already finished {state['epoch']} epochs — give --epochs "
                f"more than {state['epoch']} to train further")
    if np.any((state["order"] < 0) | (state["order"] >= train_size)):
        return f"{path}: its data order does not fit this dataset — resume with the same data"
    return None
