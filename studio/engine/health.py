"""Layer health: the numbers that say a layer is stuck, saturated or learning too fast.

Computed from the last training batch, right after the optimiser step, for each
layer with weights (conv2d, dense):

- dead fraction: units of the ReLU after it that were ≤ 0 for every image of the
  batch (and so receive no gradient at all);
- saturated fraction: outputs of the sigmoid/tanh after it in the flat tails,
  where the slope is nearly zero;
- ‖dL/dW‖ / ‖W‖ and the update-to-weight ratio ‖ΔW‖ / ‖W‖ of the step. A common rule
  of thumb puts a healthy update ratio near 10⁻³: far below, the layer barely
  moves; far above, it is being thrown around.

The verdict names the likely cause: ReLUs that died after steps far above that
ratio (the run's peak, tracked by the trainer) were killed by the learning rate,
so the suggestion lowers it; leaky ReLU is offered when the rate looks sane.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the verdicts' classes load without the kernels, for the window
    from .network import Network

GOOD, WARNING, BAD = "good", "warning", "bad"
TOO_FAST = 1e-2  # an update ratio ten times the rule of thumb


@dataclass(frozen=True)
class Suggestion:
    """A change to try: a learning-rate factor, or replacing a ReLU with leaky ReLU."""

    text: str
    learning_rate_factor: float = 1.0
    leaky_relu_at: int | None = None  # index of the ReLU layer to replace


@dataclass(frozen=True)
class LayerHealth:
    layer: int
    kind: str
    dead_fraction: float | None
    saturated_fraction: float | None
    gradient_ratio: float
    update_ratio: float
    level: str  # GOOD, WARNING or BAD
    message: str  # one plain sentence
    suggestion: Suggestion | None


def _dead_fraction(output: np.ndarray) -> float:
    """Units (channels of an image output) never positive over the whole batch."""
    axes = (0, 2, 3) if output.ndim == 4 else (0,)
    return float(np.mean(output.max(axis=axes) <= 0))


def _saturated_fraction(kind: str, output: np.ndarray) -> float:
    if kind == "sigmoid":
        return float(np.mean((output < 0.02) | (output > 0.98)))
    return float(np.mean(np.abs(output) > 0.96))


def _verdict(dead: float | None, saturated: float | None, update: float, peak: float,
             relu_index: int | None, annealed: bool) -> tuple[str, str, Suggestion | None]:
    if dead is not None and dead >= 0.4 and peak > TOO_FAST:
        return BAD, (f"{dead:.0%} of this layer's units never activate: steps that changed its "
                     f"weights by up to {peak:.0%} of their size pushed them where they get no "
                     "gradient — the learning rate is too high; lower it."), \
            Suggestion("train again from scratch with a tenth of the learning rate",
                       learning_rate_factor=0.1)
    if dead is not None and dead >= 0.4:
        return BAD, (f"{dead:.0%} of this layer's units never activate, so they stop "
                     "learning: the learning rate may be too high, or try leaky ReLU."), \
            Suggestion("train again with leaky ReLU here", leaky_relu_at=relu_index)
    if saturated is not None and saturated >= 0.4:
        return BAD, (f"{saturated:.0%} of this layer's outputs sit where the activation is "
                     "flat, so almost no gradient passes: try a lower learning rate or ReLU."), \
            Suggestion("train again with half the learning rate", learning_rate_factor=0.5)
    if update > 1e-1:
        return BAD, (f"each step changes the weights by {update:.0%} of their size — far too "
                     "much to settle: lower the learning rate."), \
            Suggestion("train again with a tenth of the learning rate", learning_rate_factor=0.1)
    if update < 1e-5 and annealed:
        return GOOD, ("the schedule has lowered the learning rate, so each step now changes the "
                      f"weights by only {update:.1e} of their size, as intended."), None
    if update < 1e-5:
        return WARNING, (f"each step changes the weights by only {update:.1e} of their size: "
                         "this layer barely learns; a higher learning rate may help."), \
            Suggestion("train again with twice the learning rate", learning_rate_factor=2.0)
    if (dead is not None and dead >= 0.1) or (saturated is not None and saturated >= 0.1):
        share = dead if dead is not None and dead >= 0.1 else saturated
        what = "never activate" if share is dead else "are saturated"
        return WARNING, f"{share:.0%} of this layer's units {what}; keep an eye on it.", None
    if update > 1e-2:
        return WARNING, (f"each step changes the weights by {update:.1%} of their size, on the "
                         "fast side (about 0.1 % is typical)."), None
    return GOOD, (f"learning steadily: each step changes the weights by {update:.1e} of their "
                  "size, and its units are active."), None


def layer_health(network: Network, parameters_before_step: np.ndarray,
                 annealed: bool = False,
                 peak_updates: Mapping[int, float] | None = None) -> list[LayerHealth]:
    """Health of every layer with weights, from `network.outputs` of the last training batch
    and the parameters before the optimiser step that just ran. `annealed`: the schedule
    has brought the learning rate far below its peak, so tiny steps are intended.
    `peak_updates`: each layer's largest update ratio earlier in the run, by layer index."""
    peaks = peak_updates or {}
    offsets, offset = {}, 0
    for layer in network.layers:
        for name, array in layer.params.items():
            offsets[(layer.index, name)] = (offset, offset + array.size)
            offset += array.size
    found = []
    for i, layer in enumerate(network.layers):
        if "weight" not in layer.params or layer.kind not in ("conv2d", "dense"):
            continue
        weight = layer.params["weight"]
        start, stop = offsets[(layer.index, "weight")]
        norm = float(np.linalg.norm(weight)) or 1e-12
        update = float(np.linalg.norm(weight.reshape(-1) - parameters_before_step[start:stop]))
        gradient = float(np.linalg.norm(layer.grads["weight"]))
        following = network.layers[i + 1] if i + 1 < len(network.layers) else None
        dead = saturated = None
        relu_index = None
        if following is not None and i + 1 < len(network.outputs):
            output = network.outputs[i + 1]
            if following.kind == "relu":
                dead, relu_index = _dead_fraction(output), following.index
            elif following.kind in ("sigmoid", "tanh"):
                saturated = _saturated_fraction(following.kind, output)
        ratio = update / norm
        peak = max(ratio, peaks.get(layer.index, 0.0))
        level, message, suggestion = _verdict(dead, saturated, ratio, peak, relu_index,
                                              annealed)
        found.append(LayerHealth(layer.index, layer.kind, dead, saturated,
                                 gradient / norm if math.isfinite(gradient) else math.inf,
                                 ratio, level, message, suggestion))
    return found
