"""Accuracy, loss and confusion matrix of a network on a labelled set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .losses import softmax_cross_entropy
from .network import Network
from .threads import single_threaded_blas


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    confusion: np.ndarray  # (classes, classes): rows true class, columns predicted
    predictions: np.ndarray


def as_input(images: np.ndarray, dtype: type[np.floating] = np.float32) -> np.ndarray:
    """uint8 images (N, H, W) or (N, C, H, W) → float NCHW in [0, 1] (x = byte/255)."""
    x = images.astype(dtype) * dtype(1.0 / 255.0)
    return x[:, None] if x.ndim == 3 else x


def evaluate(network: Network, images: np.ndarray, labels: np.ndarray,
             batch_size: int = 1000) -> Evaluation:
    """Run the whole set through the network in inference mode."""
    classes = network.analysis.output_shape[0]
    total_loss = 0.0
    predictions = np.empty(len(images), dtype=np.int64)
    with single_threaded_blas():
        for start in range(0, len(images), batch_size):
            x = as_input(images[start:start + batch_size], network.dtype.type)
            y = labels[start:start + batch_size]
            logits = network.forward(x, training=False, layer_outputs=False)
            loss, _ = softmax_cross_entropy(logits, y)
            total_loss += loss * len(y)
            predictions[start:start + len(y)] = logits.argmax(axis=1)
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (labels, predictions), 1)
    n = max(len(images), 1)
    return Evaluation(total_loss / n, float((predictions == labels).sum() / n), confusion,
                      predictions)
