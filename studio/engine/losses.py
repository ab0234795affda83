"""Softmax cross-entropy on logits, the one loss of a classifier."""

from __future__ import annotations

import numpy as np
from numba import njit


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log p_k = z_k − max z − log Σ_j exp(z_j − max z): never overflows."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss L = −(1/N) Σ_n log p[n, y_n] and its gradient dL/dz = (p − onehot(y))/N.

    Parameters
    ----------
    logits : (N, K) raw class scores.
    labels : (N,) integer classes in [0, K).
    """
    grad = np.empty_like(logits)
    loss = _cross_entropy(logits, np.asarray(labels, dtype=np.int64), grad)
    return float(loss), grad


@njit(cache=True, nogil=True)
def _cross_entropy(logits, labels, grad):
    """`softmax_cross_entropy` row by row: as numpy calls it was a dozen calls on a
    (64, 10) array, a measurable share of a small network's step (docs/performance.md,
    'Python and numpy around the kernels')."""
    n, classes = logits.shape
    total = 0.0
    for i in range(n):
        row, top = logits[i], logits[i, 0]
        for k in range(classes):
            top = max(top, row[k])
        norm = 0.0
        for k in range(classes):
            norm += np.exp(row[k] - top)
        log_norm = np.log(norm)  # log p_k = z_k − max z − log Σ_j exp(z_j − max z)
        total -= row[labels[i]] - top - log_norm
        for k in range(classes):
            grad[i, k] = np.exp(row[k] - top - log_norm)
        grad[i, labels[i]] -= 1.0
        for k in range(classes):
            grad[i, k] /= n
    return total / n  # a NaN logit makes Σ exp NaN, so the loss is NaN
