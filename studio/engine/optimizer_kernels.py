"""Numba kernels for the optimisers: each update is one pass over the flat buffers.

As numpy expressions an SGD step makes five passes over every parameter, and right
after a backward pass the buffers are no longer in cache: one pass is much cheaper
(figures: docs/performance.md, 'Python and numpy around the kernels').
The arithmetic and its order are those of the numpy expressions and every scalar
arrives in the buffers' dtype, so the results are the same to the bit.
"""

from __future__ import annotations

from numba import njit, prange

from .chunking import chunk_bounds


@njit(parallel=True, cache=True, nogil=True)
def sgd_step(parameters, gradients, velocity, lr, momentum, nesterov, weight_decay, chunks):
    """g ← g + λθ;  v ← μv + g;  θ ← θ − η(g + μv) with Nesterov, θ − ηv without."""
    for t in prange(chunks):
        start, stop = chunk_bounds(t, chunks, parameters.size)
        p, g, v = parameters[start:stop], gradients[start:stop], velocity[start:stop]
        if weight_decay != 0.0:
            for i in range(p.size):
                g[i] += p[i] * weight_decay
        if nesterov:
            for i in range(p.size):
                v[i] = v[i] * momentum + g[i]
                p[i] -= (v[i] * momentum + g[i]) * lr
        else:
            for i in range(p.size):
                v[i] = v[i] * momentum + g[i]
                p[i] -= v[i] * lr
