"""Conv backward passes from a max-pool's gradient, touching only the pixels it reaches.

When conv2d → ReLU → max-pool trains, dL/dY of the conv is zero except at each pool
window's arg-max, and only where that maximum is positive (there the ReLU passed Y
through): a quarter or less of Y for a 2×2 pool. Every such position (y, x) with
gradient g = dL/dP contributes to the gradients through the one receptive field it
was computed from:

    dL/dK[f, :, i, j] += g · X_p[:, y·s + i, x·s + j]
    dL/dX_p[:, y·s + i, x·s + j] += g · K[f, :, i, j]
    dL/db[f] += g

which is the dense backward pass (see `im2col.conv2d_backward`) with the
zero terms left out. With the input and kernel stored channel-last, each kernel
row (i, all j, all c) is one contiguous run of f·C numbers, so the updates are
vector operations when f·C fills a SIMD register (`plan.use_pooled_scatter`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..chunking import LANES, chunk_bounds, round_up, sum_over_chunks


@njit(cache=True, nogil=True)
def _channel_last(x, pad, xh):
    """xh[y + p, (x + p)·C + c] = X[c, y, x]; the border stays as it is (zero)."""
    channels, height, width = x.shape
    for c in range(channels):
        for y in range(height):
            row, src = xh[y + pad], x[c, y]
            for x_ in range(width):
                row[(x_ + pad) * channels + c] = src[x_]


@njit(parallel=True, cache=True, nogil=True)
def conv2d_backward(x, weight, grad_pooled, pooled, argmax, stride, pad, grad_x, grad_weight,
                    grad_bias, need_grad_x, chunks):
    """dL/dK, dL/db and (when need_grad_x) dL/dX of conv2d → ReLU → max-pool.

    One long function on purpose: each thread's workspaces, the loop over its samples and
    the sum of the threads' partial gradients make one `prange` kernel, kept as measured.

    Parameters
    ----------
    x : (N, C, H, W) the conv's input;  weight : (F, C, f, f)
    grad_pooled : dL/dP;  pooled : P = maxpool(max(Y, 0));  argmax : the pool's flat
        arg-max into each (H_o·W_o) map of Y — all three (N, F, H_q, W_q).
    grad_x : (N, C, H, W) written in full when need_grad_x;  grad_weight, grad_bias overwritten.
    """
    n_samples, channels, height, width = x.shape
    filters, kernel = weight.shape[0], weight.shape[2]
    out_w = (width + 2 * pad - kernel) // stride + 1
    run = kernel * channels
    # Each row update spans whole vectors (`run` rounded up), with no scalar remainder loop:
    # the extra kernel entries are zero, so the extra input gradients they touch get + 0,
    # and the extra weight-gradient entries are dropped at the end.
    span = round_up(run, LANES)
    kernel_rows = np.zeros((filters, kernel, span), dtype=x.dtype)  # K[f, c, i, j] → [f, i, jC + c]
    for f in range(filters):
        for c in range(channels):
            for i in range(kernel):
                for j in range(kernel):
                    kernel_rows[f, i, j * channels + c] = weight[f, c, i, j]
    partial_w = np.zeros((chunks, filters, kernel, span), dtype=x.dtype)
    partial_b = np.zeros((chunks, filters), dtype=x.dtype)
    line = (width + 2 * pad) * channels + span - run  # one row of the channel-last input
    # corner[q]: where output q's receptive field starts in that input, flattened; worked
    # out once, so that no per-pixel step divides.
    out_h = (height + 2 * pad - kernel) // stride + 1
    corner = np.empty(out_h * out_w, np.int64)
    for q in range(corner.size):
        corner[q] = (q // out_w) * stride * line + (q % out_w) * stride * channels
    for t in prange(chunks):
        xh = np.zeros((height + 2 * pad, line), dtype=x.dtype)
        gh = np.zeros_like(xh)
        flat_x, flat_g = xh.reshape(-1), gh.reshape(-1)
        start, stop = chunk_bounds(t, chunks, n_samples)
        for n in range(start, stop):
            _channel_last(x[n], pad, xh)
            if need_grad_x:
                gh[:] = 0.0
            g, p, where = (grad_pooled[n].reshape(filters, -1), pooled[n].reshape(filters, -1),
                           argmax[n].reshape(filters, -1))
            for f in range(filters):
                dk, k_rows = partial_w[t, f], kernel_rows[f]
                for q in range(g.shape[1]):
                    if p[f, q] > 0.0:
                        value = g[f, q]
                        partial_b[t, f] += value
                        at = corner[where[f, q]]
                        for i in range(kernel):
                            patch, dk_row = flat_x[at + i * line:at + i * line + span], dk[i]
                            for e in range(span):
                                dk_row[e] += value * patch[e]
                            if need_grad_x:
                                grad_row = flat_g[at + i * line:at + i * line + span]
                                k_row = k_rows[i]
                                for e in range(span):
                                    grad_row[e] += value * k_row[e]
            if need_grad_x:
                for c in range(channels):
                    for y in range(height):
                        row, dst = gh[y + pad], grad_x[n, c, y]
                        for x_ in range(width):
                            dst[x_] = row[(x_ + pad) * channels + c]
    bias_total, weight_total = sum_over_chunks(partial_b), sum_over_chunks(partial_w)
    for f in range(filters):  # loops, not array expressions: see `sum_over_chunks`
        grad_bias[f] = bias_total[f]
        for c in range(channels):
            for i in range(kernel):
                for j in range(kernel):
                    grad_weight[f, c, i, j] = weight_total[f, i, j * channels + c]
