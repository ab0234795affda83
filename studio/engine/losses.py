"""Softmax cross-entropy on logits, the one loss of a classifier."""

from __future__ import annotations

import numpy as np


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
    n = logits.shape[0]
    log_p = log_softmax(logits)
    rows = np.arange(n)
    loss = float(-log_p[rows, labels].mean())
    grad = np.exp(log_p)
    grad[rows, labels] -= 1.0
    grad /= n
    return loss, grad.astype(logits.dtype, copy=False)
