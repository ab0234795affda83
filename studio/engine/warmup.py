"""Compile (or load from Numba's cache) every kernel before anyone waits for one.

On a first launch Numba compiles each kernel on first use, which takes seconds;
the app calls `compile_kernels` on a background thread at start-up so that
neither the first training step nor the first drawing stalls.
"""

from __future__ import annotations

from contextlib import suppress

import numpy as np

from .architecture import FORMAT, VERSION, ArchitectureError
from .losses import softmax_cross_entropy
from .network import Network
from .optimizers import SGD

#: One of every layer kind and kernel path: shifted-row, Winograd and (strided) im2col convs,
#: with the ReLU (and a max-pool, by the pooled-gradient scatter or not) fused into their
#: backward pass or not, both max-pool kernels, average pooling, ReLU on its own, dense.
_EVERY_KERNEL = {
    "format": FORMAT, "version": VERSION, "name": "warm-up",
    "input": {"channels": 1, "height": 16, "width": 16},
    "layers": [
        {"type": "conv2d", "filters": 16, "kernel": 3, "padding": "same"}, {"type": "relu"},
        {"type": "conv2d", "filters": 2, "kernel": 3, "padding": "same"}, {"type": "relu"},
        {"type": "maxpool2d", "size": 2, "stride": 2},
        {"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "maxpool2d", "size": 3, "stride": 1}, {"type": "relu"},
        {"type": "avgpool2d", "size": 1, "stride": 1}, {"type": "flatten"},
        {"type": "dense", "units": 10},
    ],
}


def compile_kernels(first: dict | None = None, batch: int = 64) -> None:
    """One training step and one inference pass in float32, as training and the GUI run them.

    `first` (an architecture) is compiled before everything else, at the training batch size,
    so that a network about to be trained does not wait behind kernels it never calls.
    """
    if first is not None:
        with suppress(ArchitectureError):  # an invalid network: nothing of its own to compile
            _step(Network(first), batch)
    _step(Network(_EVERY_KERNEL), 2)


def _step(network: Network, batch: int) -> None:
    x = np.random.default_rng(0).random((batch, *network.input_shape), dtype=np.float32)
    labels = np.arange(batch) % network.analysis.output_shape[0]
    logits = network.forward(x, training=True)
    network.backward(softmax_cross_entropy(logits, labels)[1], input_gradient=True)
    SGD(network.parameters, network.gradients).step(0.0)
    network.forward(x[:1], training=False)
    network.forward(x, layer_outputs=False)  # as evaluation runs it
