"""Numba kernels for ReLU, parallel over the flat array (memory-bound: both cores help)."""

from __future__ import annotations

from numba import njit, prange

from .chunking import SerialForOneChunk


@SerialForOneChunk.chosen_by_caller
@njit(parallel=True, cache=True, nogil=True)
def relu_forward(x, out):
    """y = max(x, 0) over flat contiguous arrays; NaN stays NaN, as in PyTorch."""
    for i in prange(x.size):
        out[i] = 0.0 if x[i] <= 0 else x[i]


@njit(parallel=True, cache=True, nogil=True)
def relu_backward(grad_y, y, grad_x):
    """dL/dx = dL/dy where y > 0, else 0."""
    for i in prange(y.size):
        grad_x[i] = grad_y[i] if y[i] > 0 else 0.0
