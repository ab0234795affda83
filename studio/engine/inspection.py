"""What one image does inside a network: every layer's output, the saliency, the probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import softmax, softmax_cross_entropy
from .network import Network


@dataclass(frozen=True)
class Inside:
    feature_maps: list[np.ndarray]  # every layer's output for the image (copies)
    input_gradient: np.ndarray  # dL/dX for the given label, shaped like the image
    probabilities: np.ndarray  # softmax of the logits


def look_inside(network: Network, image: np.ndarray, label: int) -> Inside:
    """One inference pass and one backward pass for `image` (C, H, W) in [0, 1].

    The backward pass overwrites the network's gradient buffer, so call this
    between training steps, never inside one.
    """
    logits = network.forward(image[None], training=False)
    feature_maps = [output[0].copy() for output in network.outputs]
    probabilities = softmax(logits)[0]
    _, grad = softmax_cross_entropy(logits, np.array([label]))
    input_gradient = network.backward(grad, input_gradient=True)[0].copy()
    return Inside(feature_maps, input_gradient, probabilities)
