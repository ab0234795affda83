"""Setting one conv filter by hand: the kernel playground's kernel put into a network.

The one place outside training that writes a layer's weights, so the window and the
training worker never reach into `layer.params`, and the old values come back for undo.
"""

from __future__ import annotations

import numpy as np

from .network import Network


def set_filter(network: Network, layer: int, f: int, weight: np.ndarray,
               bias: float | np.ndarray = 0.0) -> tuple[np.ndarray, np.ndarray] | None:
    """Make filter `f` of conv `layer` `weight` ((k, k) for every input channel, or
    (C, k, k)) with `bias`; the filter's previous (weight, bias), to put back on undo.

    None, changing nothing, where the network has no such filter of that size (a network
    edited since the kernel was made for it).
    """
    target = network.layers[layer] if 0 <= layer < len(network.layers) else None
    if (target is None or target.kind != "conv2d" or not 0 <= f < len(target.params["weight"])
            or target.params["weight"][f].shape[-2:] != np.shape(weight)[-2:]):
        return None
    previous = target.params["weight"][f].copy(), target.params["bias"][f].copy()
    target.params["weight"][f] = weight
    target.params["bias"][f] = bias
    return previous
