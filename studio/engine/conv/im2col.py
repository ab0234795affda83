"""Numba kernels for 2-D convolution (cross-correlation), forward and backward.

Notation: X is one sample (C, H, W), K the kernel (F, C, f, f), Y = X ⋆ K + b
of shape (F, H_o, W_o), with stride s and zero padding p.

Every kernel works per sample inside a `prange` over thread chunks of the batch.
Per sample it unrolls the receptive fields of X into a small column matrix
(im2col, C·f·f × H_o·W_o, small enough to stay in cache) and multiplies it with a
single-threaded sgemm; the caller pins BLAS to one thread so that Numba's
threads and BLAS's do not fight over the cores. Weight gradients are
accumulated per thread and summed at the end, so no two threads write the
same memory.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..chunking import SerialForOneChunk, chunk_bounds, known_non_negative, sum_over_chunks


@njit(cache=True, nogil=True)
def pad_into(x, pad, padded):
    """padded[c, y + p, x + p] = X[c, y, x]; the border of `padded` stays zero.

    Reading receptive fields from a zero-bordered copy leaves the copy loops
    below without a bounds check per element, so they vectorise.
    """
    channels, height, width = x.shape
    pad = known_non_negative(pad)
    for c in range(channels):
        for y in range(height):
            for x_ in range(width):
                padded[c, y + pad, x_ + pad] = x[c, y, x_]


@njit(cache=True, nogil=True)
def im2col(xp, kernel, stride, out_h, out_w, cols):
    """cols[(c·f + i)·f + j, y·W_o + x] = X_p[c, y·s + i, x·s + j]  (X_p: X zero-padded by p).

    Parameters
    ----------
    xp : (C, H + 2p, W + 2p) one padded sample.
    cols : (C·f·f, H_o·W_o) written in full.
    """
    channels = xp.shape[0]
    for c in range(channels):
        for i in range(kernel):
            for j in range(kernel):
                row = (c * kernel + i) * kernel + j
                for oy in range(out_h):
                    line = xp[c, oy * stride + i]
                    dst = cols[row, oy * out_w:(oy + 1) * out_w]
                    if stride == 1:
                        src = line[j:j + out_w]
                        for ox in range(out_w):
                            dst[ox] = src[ox]
                    else:
                        for ox in range(out_w):
                            dst[ox] = line[ox * stride + j]


@njit(cache=True, nogil=True)
def col2im(cols, kernel, stride, out_h, out_w, gp):
    """The adjoint of `im2col`: G_p[c, y·s + i, x·s + j] += cols[(c·f + i)·f + j, y·W_o + x].

    Scattering Wᵀ·dY back through the receptive fields this way is the full
    convolution of dY (dilated by s − 1 zeros between its elements) with the
    180°-rotated kernel: each output gradient dY[y, x] reaches exactly the input
    pixels that produced Y[y, x], weighted by the kernel tap that multiplied
    them. G_p is the padded gradient, zeroed here; its border is cropped by the
    caller (the padding is not an input).
    """
    channels = gp.shape[0]
    gp[:] = 0.0
    for c in range(channels):
        for i in range(kernel):
            for j in range(kernel):
                row = (c * kernel + i) * kernel + j
                for oy in range(out_h):
                    line = gp[c, oy * stride + i]
                    src = cols[row, oy * out_w:(oy + 1) * out_w]
                    if stride == 1:
                        dst = line[j:j + out_w]
                        for ox in range(out_w):
                            dst[ox] += src[ox]
                    else:
                        for ox in range(out_w):
                            line[ox * stride + j] += src[ox]


@njit(cache=True, nogil=True)
def crop_into(padded, pad, out):
    """out[c, y, x] = padded[c, y + p, x + p]: a padded gradient without its border.
    (Loops rather than a slice assignment, which Numba takes seconds longer to compile.)"""
    pad = known_non_negative(pad)
    for c in range(out.shape[0]):
        for y in range(out.shape[1]):
            for x in range(out.shape[2]):
                out[c, y, x] = padded[c, y + pad, x + pad]


@njit(cache=True, nogil=True)
def _padded_sample(x, pad, padded):
    """The sample itself when there is no padding, else its zero-bordered copy."""
    if pad == 0:
        return x
    pad_into(x, pad, padded)
    return padded


@SerialForOneChunk
@njit(parallel=True, cache=True, nogil=True)
def conv2d_forward(x, weight, bias, stride, pad, out, rectify, chunks):
    """Y[n, f] = Σ_c X[n, c] ⋆ K[f, c] + b[f]   (cross-correlation, stride s, padding p).

    Parameters
    ----------
    x : (N, C, H, W);  weight : (F, C, f, f);  bias : (F,)
    out : (N, F, H_o, W_o), written in full.
    rectify : write max(Y, 0) instead: a ReLU that follows, applied while Y is in cache.
    chunks : how many contiguous runs of samples to spread over the threads.
    """
    n_samples, channels = x.shape[0], x.shape[1]
    filters, kernel = weight.shape[0], weight.shape[2]
    out_h, out_w = out.shape[2], out.shape[3]
    w2 = weight.reshape(filters, channels * kernel * kernel)
    for t in prange(chunks):
        cols = np.empty((channels * kernel * kernel, out_h * out_w), dtype=x.dtype)
        padded = np.zeros((channels, x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), dtype=x.dtype)
        start, stop = chunk_bounds(t, chunks, n_samples)
        for n in range(start, stop):
            im2col(_padded_sample(x[n], pad, padded), kernel, stride, out_h, out_w, cols)
            y = out[n].reshape(filters, out_h * out_w)
            np.dot(w2, cols, y)
            for f in range(filters):
                row, b = y[f], bias[f]
                if rectify:
                    for p in range(row.size):
                        value = row[p] + b
                        row[p] = 0.0 if value <= 0.0 else value  # NaN stays NaN
                else:
                    row += b


#: What `conv2d_backward` receives as `grad_out` (see its docstring).
GRADIENT, RECTIFIED, POOLED = 0, 1, 2
#: The arg-max argument of a kernel call that has no pool.
NO_ARGMAX = np.zeros((1, 1, 1, 1), np.int32)


@njit(cache=True, nogil=True)
def row_places(out_h, out_w, pitch):
    """place[y·W_o + x] = y·pitch + x: where each output lands in rows `pitch` long.
    Worked out once per batch, so that no per-sample loop divides."""
    place = np.empty(out_h * out_w, np.int64)
    for y in range(out_h):
        for x in range(out_w):
            place[y * out_w + x] = y * pitch + x
    return place


@njit(cache=True, nogil=True)
def output_gradient(mode, grad_out, out, argmax, n, dy, start, place):
    """dL/dY[f, q] of sample n (mode RECTIFIED or POOLED; q = y·W_o + x) into
    dy[f, start + place[q]]. RECTIFIED leaves whatever lies between those entries of dy as
    it is; POOLED sets it to zero.

    RECTIFIED: grad_out is dL/d max(Y, 0); dL/dY = grad_out · [Y > 0] (out = max(Y, 0)).
    POOLED: grad_out is dL/dP of P = maxpool(max(Y, 0)); each window's gradient goes to its
    arg-max when the window's maximum is positive (there the ReLU passed Y through), and
    every other position gets 0 — the max-pool and ReLU backward passes, done in cache.
    The gradients that pass are picked first, in a loop of their own, so that the loop
    placing them stores without a branch: written as one loop, LLVM branched on each
    window's maximum, far slower on maps with zero windows (docs/performance.md, 'im2col').
    """
    filters = grad_out.shape[1]  # dy may have more rows
    g = grad_out[n].reshape(filters, -1)
    if mode == RECTIFIED:
        out_w = out.shape[3]
        for f in range(filters):
            rectified, given = out[n, f], g[f]
            for y in range(out.shape[2]):  # row y begins at place[y·W_o]: contiguous stores
                at, begin = known_non_negative(start + place[y * out_w]), y * out_w
                for x in range(out_w):
                    dy[f, at + x] = given[begin + x] if rectified[y, x] > 0.0 else 0.0
        return
    pooled, where = out[n].reshape(filters, -1), argmax[n].reshape(filters, -1)
    first, span = known_non_negative(start + place[0]), place[-1] - place[0] + 1
    passed = np.empty(g.shape[1], dy.dtype)
    for f in range(filters):
        row = dy[f]
        for i in range(span):
            row[first + i] = 0.0
        for q in range(g.shape[1]):
            passed[q] = g[f, q] if pooled[f, q] > 0.0 else 0.0
        for q in range(g.shape[1]):  # += : windows of a pool may overlap
            row[known_non_negative(start + place[where[f, q]])] += passed[q]


@njit(parallel=True, cache=True, nogil=True)
def conv2d_backward(x, weight, grad_out, out, argmax, mode, stride, pad, grad_x, grad_weight,
                    grad_bias, need_grad_x, chunks):
    """The three gradients of Y = X ⋆ K + b, from dL/dY.

    One long function on purpose: each thread's workspaces, the loop over its samples and
    the sum of the threads' partial gradients make one `prange` kernel, kept as measured.

    - dL/dK[f, c] = Σ_n X[n, c] ⋆ dL/dY[n, f]   (as a GEMM: dY · colsᵀ, or its transpose)
    - dL/db[f]    = Σ_n Σ_y,x dL/dY[n, f, y, x]
    - dL/dX[n, c] = Σ_f dL/dY[n, f] full-convolved with rot180(K[f, c])
      (as a GEMM, Kᵀ · dY, then `col2im`; skipped when `need_grad_x` is False,
      e.g. for the first layer, whose input is the image).

    Parameters
    ----------
    x : (N, C, H, W) the forward input;  weight : (F, C, f, f)
    grad_out, out, argmax, mode : what comes back from the layers above (see
        `output_gradient`): dL/dY itself (GRADIENT); dL/d max(Y, 0) with out the
        rectified output (RECTIFIED); or dL/dP for P = maxpool(max(Y, 0)) with out = P
        and argmax the pool's flat arg-max indices (POOLED). Unused arrays may be
        any array of their dtype and rank.
    grad_x : (N, C, H, W) written in full when need_grad_x.
    grad_weight : (F, C, f, f), grad_bias : (F,) overwritten.
    """
    n_samples, channels = x.shape[0], x.shape[1]
    filters, kernel = weight.shape[0], weight.shape[2]
    height, width = x.shape[2], x.shape[3]
    out_h = (height + 2 * pad - kernel) // stride + 1
    out_w = (width + 2 * pad - kernel) // stride + 1
    taps = channels * kernel * kernel
    w2t = np.ascontiguousarray(weight.reshape(filters, taps).T)
    # sgemm measured faster when the larger of (filters, taps) indexes the rows of its
    # result, so dL/dK is computed in that orientation (docs/performance.md, 'im2col').
    taps_as_rows = taps >= filters
    rows = taps if taps_as_rows else filters
    columns = filters if taps_as_rows else taps
    partial_w = np.zeros((chunks, rows, columns), dtype=x.dtype)
    partial_b = np.zeros((chunks, filters), dtype=x.dtype)
    place = row_places(out_h, out_w, out_w)
    for t in prange(chunks):
        cols = np.empty((taps, out_h * out_w), dtype=x.dtype)
        dcols = np.empty((taps, out_h * out_w), dtype=x.dtype)
        step = np.empty((rows, columns), dtype=x.dtype)
        local_dy = np.empty((filters, out_h * out_w), dtype=x.dtype)
        padded = np.zeros((channels, height + 2 * pad, width + 2 * pad), dtype=x.dtype)
        grad_padded = np.empty_like(padded)
        start, stop = chunk_bounds(t, chunks, n_samples)
        for n in range(start, stop):
            if mode == GRADIENT:
                dy = grad_out[n].reshape(filters, out_h * out_w)
            else:
                output_gradient(mode, grad_out, out, argmax, n, local_dy, 0, place)
                dy = local_dy
            im2col(_padded_sample(x[n], pad, padded), kernel, stride, out_h, out_w, cols)
            if taps_as_rows:
                np.dot(cols, dy.T, step)
            else:
                np.dot(dy, cols.T, step)
            accumulated = partial_w[t]
            for r in range(rows):
                for q in range(columns):
                    accumulated[r, q] += step[r, q]
            for f in range(filters):
                partial_b[t, f] += dy[f].sum()
            if need_grad_x:
                np.dot(w2t, dy, dcols)
                if pad == 0:
                    col2im(dcols, kernel, stride, out_h, out_w, grad_x[n])
                else:
                    col2im(dcols, kernel, stride, out_h, out_w, grad_padded)
                    crop_into(grad_padded, pad, grad_x[n])
    dk, total = grad_weight.reshape(filters, taps), sum_over_chunks(partial_w)
    for r in range(rows):  # loops, not array expressions: see `sum_over_chunks`
        for q in range(columns):
            if taps_as_rows:
                dk[q, r] = total[r, q]
            else:
                dk[r, q] = total[r, q]
    bias_total = sum_over_chunks(partial_b)
    for f in range(filters):
        grad_bias[f] = bias_total[f]
