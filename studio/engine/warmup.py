"""Compile (or load from Numba's cache) every kernel before anyone waits for one.

On a first launch Numba compiles each kernel on first use, which takes seconds;
the app calls `compile_kernels` on a background thread at start-up so that
neither the first training step nor the first drawing stalls. Numba compiles one
kernel at a time (one lock for the process), so what the network on the canvas
needs comes before everything else: its textbook loops (seconds), on which a run
started at once trains, then its fast kernels (a minute or more), then the rest.
"""

from __future__ import annotations

from contextlib import suppress

import numpy as np

from .architecture import FORMAT, VERSION, ArchitectureError
from .conv.plan import WINOGRAD_MIN_IMAGES
from .inspection import look_inside
from .losses import softmax_cross_entropy
from .network import Network
from .optimizers import SGD

#: One of every layer kind and, with `_IN_PHASES`, of every kernel path: shifted-row,
#: Winograd and (strided) im2col convs, with the ReLU (and a max-pool, by the pooled-gradient
#: scatter or not) fused into their backward pass or not, both max-pool kernels, average
#: pooling, ReLU on its own, dense.
_EVERY_KERNEL = {
    "format": FORMAT, "version": VERSION, "name": "warm-up",
    "input": {"channels": 1, "height": 16, "width": 16},
    "layers": [
        {"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"}, {"type": "relu"},
        {"type": "conv2d", "filters": 32, "kernel": 3, "padding": "same"}, {"type": "relu"},
        {"type": "maxpool2d", "size": 2, "stride": 2},
        {"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2, "padding": 1},
        {"type": "maxpool2d", "size": 3, "stride": 1}, {"type": "relu"},
        {"type": "avgpool2d", "size": 1, "stride": 1}, {"type": "flatten"},
        {"type": "dense", "units": 10},
    ],
}
#: A first conv pooled in phases (one channel, 3×3, 16 filters, ReLU, 2×2 max-pool), which
#: `_EVERY_KERNEL`'s first conv, followed by a conv, is not.
_IN_PHASES = {
    "format": FORMAT, "version": VERSION, "name": "warm-up in phases",
    "input": {"channels": 1, "height": 16, "width": 16},
    "layers": [
        {"type": "conv2d", "filters": 16, "kernel": 3, "padding": "same"}, {"type": "relu"},
        {"type": "maxpool2d", "size": 2, "stride": 2}, {"type": "flatten"},
        {"type": "dense", "units": 10},
    ],
}


def compile_kernels(first: dict | None = None, batch: int = 64, only_first: bool = False,
                    engine: str = "fast") -> None:
    """Every kernel path, in float32, as training, evaluation and the GUI call them.

    `first` (an architecture) comes first, at the training batch size: the kernels of its
    first training batch (which takes a snapshot: layer outputs, one image looked inside),
    then those of the later batches and of evaluation, then every other path;
    `only_first` stops after `first`'s. `engine` "textbook" compiles the textbook loops
    instead: what a first launch trains on while the fast kernels compile.
    """
    network = None
    if first is not None:
        with suppress(ArchitectureError):  # an invalid network: nothing of its own to compile
            network = Network(first, engine=engine)
    if network is not None:
        _first_batch(network, batch)
        _later_batches(network, batch)
    if only_first:
        return
    for architecture in (_EVERY_KERNEL, _IN_PHASES):
        every = Network(architecture, engine=engine)
        _first_batch(every, WINOGRAD_MIN_IMAGES)  # fewer images would leave Winograd out
        _later_batches(every, WINOGRAD_MIN_IMAGES)


def _batch(network: Network, batch: int) -> tuple[np.ndarray, np.ndarray]:
    images = np.random.default_rng(0).random((batch, *network.input_shape), dtype=np.float32)
    return images, np.arange(batch) % network.analysis.output_shape[0]


def _first_batch(network: Network, batch: int) -> None:
    """As `Trainer.events` runs a step with a snapshot, and as the GUI looks at one image."""
    x, labels = _batch(network, batch)
    logits = network.forward(x, training=True)
    network.backward(softmax_cross_entropy(logits, labels)[1])
    SGD(network.parameters, network.gradients).step(0.0)
    look_inside(network, x[0], int(labels[0]))


def _later_batches(network: Network, batch: int) -> None:
    """A step without layer outputs (most steps), and inference as evaluation runs it."""
    x, labels = _batch(network, batch)
    logits = network.forward(x, training=True, layer_outputs=False)
    network.backward(softmax_cross_entropy(logits, labels)[1])
    network.forward(x, layer_outputs=False)
