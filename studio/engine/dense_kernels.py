"""Numba kernels for the dense layer, Y = X Wᵀ + b, split over both cores.

A dense layer is one GEMM too small to be worth BLAS's own threads (which are
pinned to one during training) but large enough that a single core makes it
LeNet-5's fourth most expensive layer. So each thread multiplies its own block:
of samples for Y and dL/dX, of units for dL/dW.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .chunking import SerialForOneChunk, chunk_bounds


@SerialForOneChunk
@njit(parallel=True, cache=True, nogil=True)
def dense_forward(x, weight, bias, out, rectify, chunks):
    """Y[n] = W · X[n] + b for each sample n, a block of samples per thread.

    x : (N, I);  weight : (U, I);  bias : (U,);  out : (N, U) written in full.
    rectify : write max(Y, 0) instead: a ReLU that follows, applied while Y is in cache.
    """
    wt = weight.T
    for t in prange(chunks):
        start, stop = chunk_bounds(t, chunks, x.shape[0])
        if stop > start:
            y = out[start:stop]
            np.dot(x[start:stop], wt, y)
            for n in range(stop - start):
                row = y[n]
                for u in range(row.size):
                    value = row[u] + bias[u]
                    row[u] = 0.0 if rectify and value <= 0.0 else value  # NaN stays NaN


@njit(parallel=True, cache=True, nogil=True)
def dense_backward(x, weight, grad_out, out, rectified, grad_x, grad_weight, grad_bias,
                   need_grad_x, chunks):
    """dL/dW = dYᵀ X (a block of units per thread), dL/db = Σ_n dY, dL/dX = dY W
    (a block of samples per thread; skipped when `need_grad_x` is False).

    rectified : grad_out is dL/d max(Y, 0) and out = max(Y, 0); then dL/dY = grad_out · [Y > 0].
    """
    # dL/dY, rectified when asked, once as it is and once transposed, (U, N): a block of
    # units is then a block of rows.
    n_samples, units = grad_out.shape
    masked = np.empty_like(grad_out) if rectified else grad_out
    grad_out_t = np.empty((units, n_samples), dtype=grad_out.dtype)
    for n in range(n_samples):
        for u in range(units):
            value = grad_out[n, u]
            if rectified:
                if out[n, u] <= 0.0:
                    value = 0.0
                masked[n, u] = value
            grad_out_t[u, n] = value
    grad_out = masked
    for t in prange(chunks):
        first, last = chunk_bounds(t, chunks, weight.shape[0])
        if last > first:
            np.dot(grad_out_t[first:last], x, grad_weight[first:last])
            for u in range(first, last):
                grad_bias[u] = grad_out_t[u].sum()
        if need_grad_x:
            start, stop = chunk_bounds(t, chunks, x.shape[0])
            if stop > start:
                np.dot(grad_out[start:stop], weight, grad_x[start:stop])
