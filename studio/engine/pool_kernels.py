"""Numba kernels for max and average pooling, forward and backward.

Each (sample, channel) plane is independent, so the kernels run a `prange`
over planes; a plane's windows may overlap (stride < size), which is safe
because one thread owns the whole plane.
"""

from __future__ import annotations

from numba import njit, prange

from .chunking import LANES, SerialForOneChunk, known_non_negative


@SerialForOneChunk.chosen_by_caller
@njit(parallel=True, cache=True, nogil=True)
def maxpool2d_forward(x, size, stride, out, argmax):
    """Y[y, x] = max over the window X[y·s : y·s + k, x·s : x·s + k].

    Parameters
    ----------
    x : (N, C, H, W);  out : (N, C, H_o, W_o)
    argmax : (N, C, H_o, W_o) int32, the flat index (row·W + col) of each maximum
        within its plane, remembered for the backward pass.
    """
    n_samples, channels, _, width = x.shape
    out_h, out_w = out.shape[2], out.shape[3]
    for plane in prange(n_samples * channels):
        n, c = plane // channels, plane % channels
        for oy in range(out_h):
            for ox in range(out_w):
                top, left = oy * stride, ox * stride
                best = x[n, c, top, left]
                where = top * width + left
                for i in range(size):
                    for j in range(size):
                        value = x[n, c, top + i, left + j]
                        if value > best:
                            best = value
                            where = (top + i) * width + left + j
                out[n, c, oy, ox] = best
                argmax[n, c, oy, ox] = where


@njit(parallel=True, cache=True, nogil=True)
def maxpool2d_backward(grad_out, argmax, grad_x):
    """dL/dX = dL/dY routed to the arg-max of each window, zero elsewhere.

    Only the largest input of a window influenced the output, so only it
    receives the gradient (summed where overlapping windows share a maximum).
    """
    n_samples, channels, _, width = grad_x.shape
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]
    for plane in prange(n_samples * channels):
        n, c = plane // channels, plane % channels
        grad_x[n, c] = 0.0
        for oy in range(out_h):
            for ox in range(out_w):
                where = argmax[n, c, oy, ox]
                grad_x[n, c, where // width, where % width] += grad_out[n, c, oy, ox]


@njit(cache=True, nogil=True, inline="always")
def max_of_window(a, b, c, d, width):
    """(maximum, where) of a 2×2 window, a and b its upper row, c and d its lower: where is
    0, 1, width or width + 1, ties going to the first in reading order. The candidates are
    named, so a loop over windows has no branch."""
    best, where = a, 0
    if b > best:
        best, where = b, 1
    if c > best:
        best, where = c, width
    if d > best:
        best, where = d, width + 1
    return best, where


@njit(cache=True, nogil=True, inline="always")
def _window2x2(x, i, upper, lower, width):
    """`max_of_window` of x[i, upper], x[i, upper + 1], x[i, lower], x[i, lower + 1]."""
    return max_of_window(x[i, upper], x[i, upper + 1], x[i, lower], x[i, lower + 1], width)


@njit(cache=True, nogil=True, inline="always")
def _pool_row(x, i, upper, lower, above, width, count, out, argmax, row):
    """Windows 0 … count − 1 of the row pair x[i, upper + ·], x[i, lower + ·] into
    out[row + ·], and their arg-max (`above` + where in the pair) into argmax[row + ·]."""
    for ox in range(count):
        best, where = _window2x2(x, i, upper + 2 * ox, lower + 2 * ox, width)
        out[row + ox] = best
        argmax[row + ox] = above + 2 * ox + where


@njit(cache=True, nogil=True)
def maxpool2x2_plane(x, i, start, pitch, width, pooled_h, pooled_w, out, argmax, at):
    """One map of `maxpool2x2_forward`: X[y, x] = x[i, start + y·pitch + x] (maps stored
    flat, rows `pitch` apart), pooled into out[at + y_q·W_q + x_q] and its arg-max
    y·width + x (as in a dense map) into argmax, the same place.

    Whole arrays and indices, not views of one map: each view handed to a function costs
    Numba atomic reference counts. A row of 8-16 windows is done as 16, a fixed count the
    compiler makes whole SIMD vectors of; the extra windows land at the start of the next
    row, which then overwrites them (the last row, and other sizes, go window by window).
    Both measured faster (docs/performance.md, 'The 2×2 max-pool').
    """
    whole = 8 <= pooled_w <= LANES and pitch >= 11  # the extra windows' reads stay in x[i]
    spilled = pooled_h - 1 if whole else 0  # rows done as 16
    for oy in range(spilled):
        upper = known_non_negative(start + 2 * oy * pitch)
        _pool_row(x, i, upper, known_non_negative(upper + pitch), 2 * oy * width, width,
                  LANES, out, argmax, known_non_negative(at + oy * pooled_w))
    for oy in range(spilled, pooled_h):
        upper = known_non_negative(start + 2 * oy * pitch)
        _pool_row(x, i, upper, known_non_negative(upper + pitch), 2 * oy * width, width,
                  pooled_w, out, argmax, known_non_negative(at + oy * pooled_w))


@SerialForOneChunk.chosen_by_caller
@njit(parallel=True, cache=True, nogil=True)
def maxpool2x2_forward(x, out, argmax):
    """`maxpool2d_forward` for the 2×2 window with stride 2, unrolled (`maxpool2x2_plane`):
    faster than the general kernel (docs/performance.md, 'The 2×2 max-pool'). All three
    arrays C-contiguous."""
    planes, width = x.shape[0] * x.shape[1], x.shape[3]
    pooled_h, pooled_w = out.shape[2], out.shape[3]
    flat, pooled, where = x.reshape(planes, -1), out.reshape(-1), argmax.reshape(-1)
    for plane in prange(planes):
        maxpool2x2_plane(flat, plane, 0, width, width, pooled_h, pooled_w, pooled, where,
                         plane * pooled_h * pooled_w)


@njit(parallel=True, cache=True, nogil=True)
def maxpool2x2_backward(grad_out, argmax, grad_x):
    """`maxpool2d_backward` for the 2×2 window with stride 2: each window's four
    inputs are written once (dL/dY at the arg-max, 0 at the other three)."""
    n_samples, channels, height, width = grad_x.shape
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]
    uncovered = height > 2 * out_h or width > 2 * out_w
    for plane in prange(n_samples * channels):
        n, c = plane // channels, plane % channels
        if uncovered:
            grad_x[n, c] = 0.0
        for oy in range(out_h):
            upper, lower = grad_x[n, c, 2 * oy], grad_x[n, c, 2 * oy + 1]
            grads, where_row = grad_out[n, c, oy], argmax[n, c, oy]
            for ox in range(out_w):
                g, where = grads[ox], where_row[ox] - 2 * oy * width - 2 * ox
                upper[2 * ox] = g if where == 0 else 0.0
                upper[2 * ox + 1] = g if where == 1 else 0.0
                lower[2 * ox] = g if where == width else 0.0
                lower[2 * ox + 1] = g if where == width + 1 else 0.0


@njit(parallel=True, cache=True, nogil=True)
def avgpool2d_forward(x, size, stride, out):
    """Y[y, x] = (1/k²) Σ X[y·s + i, x·s + j] over the k×k window."""
    n_samples, channels = x.shape[0], x.shape[1]
    out_h, out_w = out.shape[2], out.shape[3]
    scale = 1.0 / (size * size)
    for plane in prange(n_samples * channels):
        n, c = plane // channels, plane % channels
        for oy in range(out_h):
            for ox in range(out_w):
                total = 0.0
                for i in range(size):
                    for j in range(size):
                        total += x[n, c, oy * stride + i, ox * stride + j]
                out[n, c, oy, ox] = total * scale


@njit(parallel=True, cache=True, nogil=True)
def avgpool2d_backward(grad_out, size, stride, grad_x):
    """dL/dX[i, j] = Σ over the windows containing (i, j) of dL/dY / k²: spread evenly."""
    n_samples, channels = grad_x.shape[0], grad_x.shape[1]
    out_h, out_w = grad_out.shape[2], grad_out.shape[3]
    scale = 1.0 / (size * size)
    for plane in prange(n_samples * channels):
        n, c = plane // channels, plane % channels
        grad_x[n, c] = 0.0
        for oy in range(out_h):
            for ox in range(out_w):
                share = grad_out[n, c, oy, ox] * scale
                for i in range(size):
                    for j in range(size):
                        grad_x[n, c, oy * stride + i, ox * stride + j] += share

